"""Retention as the tick runs it: after sending, reported in the tick's summary, and never making a
producer send again what it sent before (the sent row's unique key is what stops a second send)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from bot.cli import default_producers
from bot.outbox_sender import OutboxSender, Sent
from bot.tick import Producer, run_tick
from conversations.messages import Platform
from conversations.workspace_settings import KEEP_MESSAGES_DAYS, validate_settings
from storage import org_import, people, workspaces
from storage.connections import new_organisation
from storage.database import Database
from storage.models import DeliveryStatus, OneOnOnePair, OutboxDelivery

ORG = """email,name,manager_email,timezone,role
maya@acme.test,Maya Chen,,Europe/Berlin,admin
sam@acme.test,Sam Okafor,maya@acme.test,America/New_York,manager
grace@acme.test,Grace Hopper,sam@acme.test,Asia/Tokyo,member
linus@acme.test,Linus Tanaka,sam@acme.test,Pacific/Auckland,member
"""


class KeyRecorder:
    """A transport that says every message was sent and remembers each one's unique key."""

    def __init__(self) -> None:
        self.delivered: Counter[str] = Counter()

    async def prepare(self, deliveries) -> None:
        """Nothing to read ahead."""

    async def deliver(self, delivery: OutboxDelivery) -> Sent:
        self.delivered[delivery.dedupe_key] += 1
        return Sent(f"m{delivery.id}")

    async def close(self) -> None:
        """Nothing to close."""


def organisation(database: Database, **settings) -> None:
    parsed, errors = validate_settings(settings)
    assert errors == [] and parsed is not None
    with database.session_scope() as session:
        workspace = new_organisation(session, "Acme", Platform.SHELL, "acme")
        assert org_import.import_org(session, workspace.id, ORG).ok
        workspaces.apply_settings(session, workspace, parsed)
        for person in people.all_in(session, workspace.id):
            if person.manager_id is not None:
                session.add(OneOnOnePair(workspace_id=workspace.id, manager_id=person.manager_id,
                                         report_id=person.id, anchor=date(2027, 3, 4)))  # fmt: skip


def tick(database: Database, transport: KeyRecorder, at: datetime, producers: Sequence[Producer] | None = None):
    sender = OutboxSender(database, {Platform.SHELL: transport}, lambda: at)
    return asyncio.run(run_tick(database, sender, at, default_producers() if producers is None else producers))


def test_weeks_of_ticks_with_the_shortest_retention_send_nothing_twice(database: Database) -> None:
    """Across a quarter's end (snapshots catch up for a week), biweekly 1:1s whose agendas come a
    week early, weekly check-ins and digests, ticking every six hours for four weeks while sent
    messages are kept only the shortest time allowed."""
    organisation(
        database,
        retention={"sent_messages": KEEP_MESSAGES_DAYS, "handled_requests": 1},
        one_on_ones={"cadence": "biweekly", "agenda_workdays_before": 5},
    )
    transport = KeyRecorder()
    producers = default_producers()  # made once, as the serving process makes them (each compiles templates)
    at = datetime(2027, 3, 22, 0, 0, tzinfo=UTC)
    pruned = 0
    while at < datetime(2027, 4, 19, tzinfo=UTC):
        pruned += tick(database, transport, at, producers).retention.removed.total()
        at += timedelta(hours=6)
    kinds = Counter(key.split(":")[0] for key in transport.delivered)
    assert {"checkin", "digest", "snapshot", "one_on_one_agenda"} <= set(kinds), kinds
    assert pruned > 0, "old messages were removed meanwhile"
    assert [key for key, times in transport.delivered.items() if times > 1] == []


def test_the_tick_says_what_retention_removed(database: Database) -> None:
    organisation(database)
    now = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
    with database.session_scope() as session:
        workspace_id = people.all_in(session, 1)[0].workspace_id
        for index in range(2):
            session.add(OutboxDelivery(workspace_id=workspace_id, platform=Platform.SHELL, kind="x",
                                       recipient="person:1", dedupe_key=f"old:{index}", status=DeliveryStatus.SENT,
                                       next_attempt_at=now - timedelta(days=31), sent_at=now - timedelta(days=31)))  # fmt: skip
    report = tick(database, KeyRecorder(), now)
    assert report.summary().splitlines()[-1] == "retention: removed 2 sent messages"
    with database.session_scope() as session:
        assert not session.exec(select(OutboxDelivery).where(OutboxDelivery.dedupe_key.startswith("old:"))).all()
    assert "retention" not in tick(database, KeyRecorder(), now).summary(), "nothing removed: nothing said"


def test_a_serving_process_applies_retention_hourly_and_every_tick_while_a_backlog_is_left(
    database: Database, monkeypatch
) -> None:
    from bot import retention_tick

    runs: list[datetime] = []
    left = [True, False]

    def counted_run(database, now):
        runs.append(now)
        return retention_tick.RetentionReport(unfinished=left.pop(0) if left else False)

    monkeypatch.setattr(retention_tick, "apply_retention", counted_run)
    schedule = retention_tick.RetentionSchedule()
    start = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
    for minute in range(0, 125):
        schedule.run_if_due(database, start + timedelta(minutes=minute))
    assert runs == [start, start + timedelta(minutes=1), start + timedelta(minutes=61), start + timedelta(minutes=121)]

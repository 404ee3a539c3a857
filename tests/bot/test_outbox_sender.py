"""How the outbox sender stores what happened to its deliveries: a busy sender shares commits between
outcomes, and an outcome the database couldn't take is kept, not lost and not sent again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlmodel import select

from bot.outbox_sender import OutboxSender, Sent
from conversations.messages import Platform
from storage import outbox
from storage.connections import new_organisation
from storage.database import Database
from storage.models import DeliveryStatus, OutboxDelivery

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


class CountsSends:
    """A platform that answers at once (after giving the loop a turn, as a real call would)."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.prepared: list[list[str]] = []

    async def prepare(self, deliveries) -> None:
        self.prepared.append([delivery.dedupe_key for delivery in deliveries])

    async def deliver(self, delivery: OutboxDelivery) -> Sent:
        await asyncio.sleep(0)
        assert any(delivery.dedupe_key in batch for batch in self.prepared), "sent before its batch was read ahead"
        self.sent.append(delivery.dedupe_key)
        return Sent(f"m-{delivery.id}")

    async def close(self) -> None:
        """Nothing to close."""


def queue(database: Database, count: int) -> None:
    with database.session_scope() as session:
        workspace = new_organisation(session, "Acme", Platform.SHELL, "acme")
        for index in range(count):
            outbox.enqueue(session, workspace_id=workspace.id, platform=Platform.SHELL, kind="x",
                           recipient=f"person:{index}", dedupe_key=f"k{index}", payload={}, not_before=NOW)  # fmt: skip


def test_a_busy_sender_stores_a_batchs_outcomes_in_a_few_commits(database: Database) -> None:
    queue(database, 40)
    platform = CountsSends()
    sender = OutboxSender(database, {Platform.SHELL: platform}, lambda: NOW, batch_size=20, concurrency=8)
    commits: list[int] = []

    def count(connection) -> None:
        commits.append(1)

    sa.event.listen(database.engine, "commit", count)
    report = asyncio.run(sender.drain())
    sa.event.remove(database.engine, "commit", count)
    assert report.sent == 40 and sorted(platform.sent) == sorted(f"k{index}" for index in range(40))
    assert [len(batch) for batch in platform.prepared] == [20, 20]  # each claimed batch read ahead at once
    with database.session_scope() as session:
        rows = session.exec(select(OutboxDelivery)).all()
    assert {row.status for row in rows} == {DeliveryStatus.SENT}
    assert all(row.platform_message_id == f"m-{row.id}" for row in rows)
    # two claims, an empty one, the unrecorded check, and a handful of writes: not one commit per delivery
    assert len(commits) <= 12, len(commits)


def test_outcomes_the_database_could_not_take_are_stored_once_it_is_back_and_never_sent_again(
    database: Database,
) -> None:
    queue(database, 5)
    platform = CountsSends()
    sender = OutboxSender(database, {Platform.SHELL: platform}, lambda: NOW)
    store = sender.record_all
    away = {"left": 1}

    def record_all(outcomes, report, now=None):
        if away["left"]:
            away["left"] -= 1
            raise sa.exc.OperationalError("UPDATE outbox_deliveries", {}, Exception("the database restarts"))
        return store(outcomes, report, now)

    sender.record_all = record_all
    with pytest.raises(sa.exc.OperationalError):
        asyncio.run(sender.drain())
    assert len(platform.sent) == 5 and len(sender.unrecorded) == 5
    report = asyncio.run(sender.drain())
    assert report.sent == 5 and sender.unrecorded == []
    assert len(platform.sent) == 5, "what was sent while the database was away is not sent again"
    with database.session_scope() as session:
        assert {row.status for row in session.exec(select(OutboxDelivery))} == {DeliveryStatus.SENT}


class CannotReadAhead(CountsSends):
    async def prepare(self, deliveries) -> None:
        raise sa.exc.OperationalError("SELECT workspaces", {}, Exception("the database restarts"))

    async def deliver(self, delivery: OutboxDelivery) -> Sent:
        await asyncio.sleep(0)
        self.sent.append(delivery.dedupe_key)
        return Sent(f"m-{delivery.id}")


def test_a_batch_that_cannot_be_read_ahead_is_still_sent_delivery_by_delivery(database: Database) -> None:
    """Reading ahead only saves statements: when it fails, each delivery looks itself up as it did before,
    instead of the whole batch staying claimed until its lease runs out."""
    queue(database, 5)
    platform = CannotReadAhead()
    sender = OutboxSender(database, {Platform.SHELL: platform}, lambda: NOW)
    report = asyncio.run(sender.drain())
    assert report.sent == 5 and sorted(platform.sent) == [f"k{index}" for index in range(5)]
    with database.session_scope() as session:
        assert {row.status for row in session.exec(select(OutboxDelivery))} == {DeliveryStatus.SENT}

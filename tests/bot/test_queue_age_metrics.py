"""The queue-age gauges on /metrics: how long the longest-waiting due row of the outbox and the inbox has
waited, which is what deploy/alerts.yml pages on when nobody is working a queue off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import Metrics, QueueCollector
from conversations.messages import Platform
from storage import inbox, outbox
from storage.connections import new_organisation
from storage.database import Database

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
OUTBOX_AGE = "cadence_outbox_oldest_pending_seconds"
INBOX_AGE = "cadence_inbox_oldest_queued_seconds"


def gauges(database: Database, now: datetime = NOW) -> dict[str, float]:
    """Every unlabelled gauge the collector reports at ``now``, by name."""
    return {
        family.name: family.samples[0].value
        for family in QueueCollector(database, clock=lambda: now).collect()
        if len(family.samples) == 1 and not family.samples[0].labels
    }


def owe_message(database: Database, key: str, due: datetime) -> None:
    with database.session_scope() as session:
        workspace = new_organisation(session, f"Acme {key}", Platform.SLACK, f"T-{key}")
        outbox.enqueue(
            session,
            workspace_id=workspace.id,
            platform=Platform.SLACK,
            kind="checkin_prompt",
            recipient="U1",
            dedupe_key=key,
            payload={},
            not_before=due,
        )


def receive_request(database: Database, key: str, at: datetime) -> None:
    with database.session_scope() as session:
        inbox.record(session, platform=Platform.SLACK, request_key=key, team="T1", kind="event", payload={}, now=at)


def test_empty_queues_report_an_age_of_zero(database: Database) -> None:
    figures = gauges(database)
    assert figures[OUTBOX_AGE] == 0
    assert figures[INBOX_AGE] == 0


def test_the_outbox_age_is_how_long_the_earliest_due_delivery_has_waited(any_database: Database) -> None:
    owe_message(any_database, "recent", NOW - timedelta(seconds=30))
    owe_message(any_database, "oldest", NOW - timedelta(minutes=10))
    assert gauges(any_database)[OUTBOX_AGE] == 600


def test_a_delivery_scheduled_for_later_is_not_yet_late(database: Database) -> None:
    owe_message(database, "tomorrow", NOW + timedelta(days=1))
    assert gauges(database)[OUTBOX_AGE] == 0
    assert gauges(database, NOW + timedelta(days=1, minutes=2))[OUTBOX_AGE] == 120


def test_a_delivery_being_sent_or_sent_no_longer_counts_as_waiting(database: Database) -> None:
    owe_message(database, "claimed", NOW - timedelta(minutes=10))
    with database.session_scope() as session:
        [claimed] = outbox.claim_due(session, NOW)
        outbox.mark_sent(session, claimed, NOW, "1.0")
    assert gauges(database)[OUTBOX_AGE] == 0


def test_the_inbox_age_is_how_long_the_earliest_queued_request_has_waited(database: Database) -> None:
    receive_request(database, "Ev1", NOW - timedelta(seconds=90))
    receive_request(database, "Ev2", NOW - timedelta(seconds=5))
    assert gauges(database)[INBOX_AGE] == 90
    with database.session_scope() as session:
        claimed = inbox.claim_due(session, NOW, limit=1)
    assert [request.request_key for request in claimed] == ["Ev1"]
    assert gauges(database)[INBOX_AGE] == 5


def test_the_ages_are_on_the_metrics_page(database: Database) -> None:
    receive_request(database, "Ev1", datetime.now(UTC) - timedelta(hours=1))
    rendered = Metrics(database).render().decode()
    families = {family.name: family for family in text_string_to_metric_families(rendered)}
    assert families[OUTBOX_AGE].samples[0].value == 0
    assert 3590 < families[INBOX_AGE].samples[0].value < 3700

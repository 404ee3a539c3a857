"""Quarterly snapshots go out when the quarter is over: on the first working day after it, at the
digest's time in each reader's own time zone, to each manager for each report and to each person
for themselves, once, and never for a quarter that left nothing behind."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from bot.snapshot_tick import snapshot_producer
from bot.tick import enqueue_due
from conversations.messages import outbound_from_dict
from conversations.snapshot import snapshot_due
from storage.database import Database
from storage.models import OutboxDelivery
from tests.storage.test_snapshots import seed_quarter


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def tick(database: Database, at: datetime) -> list[tuple[str, str]]:
    enqueue_due(database, at, [snapshot_producer()])
    with database.session_scope() as session:
        return [(row.kind, row.dedupe_key) for row in session.exec(select(OutboxDelivery).order_by(OutboxDelivery.id))]


def test_the_first_working_day_after_the_quarter_at_the_digest_time_in_the_readers_zone() -> None:
    holidays = [datetime(2027, 1, 1).date()]
    # Friday 1 January 2027 is a holiday: Monday 4 January, 09:00 where the reader is
    assert snapshot_due(utc(2027, 1, 4, 3, 29), "Asia/Kolkata", "09:00", holidays) is None  # 08:59 in Kolkata
    assert snapshot_due(utc(2027, 1, 4, 3, 30), "Asia/Kolkata", "09:00", holidays) == "2026-Q4"
    assert snapshot_due(utc(2027, 1, 4, 7, 59), "Europe/Berlin", "09:00", holidays) is None
    assert snapshot_due(utc(2027, 1, 4, 8, 0), "Europe/Berlin", "09:00", holidays) == "2026-Q4"
    assert snapshot_due(utc(2027, 1, 11, 8, 0), "Europe/Berlin", "09:00", holidays) is None, "a week late: not sent"


def test_a_quarter_ending_in_summer_time_is_sent_at_local_nine_too() -> None:
    # 2027-Q2 ends on Wednesday 30 June; Thursday 1 July 09:00 in Berlin is 07:00 UTC (summer time)
    assert snapshot_due(utc(2027, 7, 1, 6, 59), "Europe/Berlin", "09:00", []) is None
    assert snapshot_due(utc(2027, 7, 1, 7, 0), "Europe/Berlin", "09:00", []) == "2027-Q2"


def test_each_manager_gets_each_reports_snapshot_and_each_person_their_own_once(database: Database) -> None:
    _, org = seed_quarter(database)  # Ravi (Kolkata) has a quarter; Gus has nothing; Mira (Berlin) manages both
    ravi, mira = org["Ravi"].id, org["Mira"].id
    assert tick(database, utc(2027, 1, 1, 3, 29)) == []  # 08:59 in Kolkata
    at_nine_in_kolkata = tick(database, utc(2027, 1, 1, 3, 30))
    assert at_nine_in_kolkata == [
        ("snapshot", f"snapshot:2026-Q4:{ravi}:{ravi}"),
        ("digest_chart", f"snapshot:2026-Q4:{ravi}:{ravi}:chart"),
    ]
    at_nine_in_berlin = tick(database, utc(2027, 1, 1, 8, 0))
    assert at_nine_in_berlin[2:] == [
        ("snapshot", f"snapshot:2026-Q4:{ravi}:{mira}"),
        ("digest_chart", f"snapshot:2026-Q4:{ravi}:{mira}:chart"),
    ], "Mira gets Ravi's, nobody gets Gus's empty quarter, and Mira's own has nothing in it"
    assert tick(database, utc(2027, 1, 1, 9, 0)) == at_nine_in_berlin, "a second tick sends nothing again"
    with database.session_scope() as session:
        row = session.exec(select(OutboxDelivery).where(OutboxDelivery.dedupe_key.endswith(f"{ravi}:{mira}"))).one()
        message = outbound_from_dict(row.payload["outbound"])
    assert message.data["quarter_over"] is True and message.data["own"] is False
    assert message.data["participation"]["rate"] == 67

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from conversations.messages import Platform
from storage import inbox
from storage.database import Database
from storage.models import InboxRequest, InboxStatus

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def record(database: Database, key: str, when: datetime = NOW, platform: Platform = Platform.SLACK) -> bool:
    with database.session_scope() as session:
        return inbox.record(
            session, platform=platform, request_key=key, team="T1", kind="inbound", payload={"n": key}, now=when
        )


def claim(database: Database, when: datetime = NOW, **options) -> list[InboxRequest]:
    with database.session_scope() as session:
        return inbox.claim_due(session, when, **options)


def test_a_redelivered_request_is_recorded_once(any_database: Database) -> None:
    assert record(any_database, "slack:event:Ev1") is True
    assert record(any_database, "slack:event:Ev1") is False
    with any_database.session_scope() as session:
        [row] = session.exec(select(InboxRequest)).all()
    assert row.status is InboxStatus.QUEUED and row.payload == {"n": "slack:event:Ev1"} and row.received_at == NOW


def test_requests_are_claimed_once_in_order_of_arrival(any_database: Database) -> None:
    record(any_database, "second", NOW + timedelta(seconds=1))
    record(any_database, "first")
    first = claim(any_database, NOW + timedelta(seconds=1))
    assert [row.request_key for row in first] == ["first", "second"]
    assert all(row.status is InboxStatus.PROCESSING and row.attempts == 1 for row in first)
    assert claim(any_database, NOW + timedelta(seconds=1)) == []


def test_done_is_recorded_with_the_work_and_only_by_the_worker_holding_the_claim(any_database: Database) -> None:
    record(any_database, "k")
    [mine] = claim(any_database)
    [theirs] = claim(any_database, NOW + inbox.DEFAULT_LEASE)  # our lease ran out: another worker took it
    assert theirs.attempts == 2
    with pytest.raises(inbox.LostClaim), any_database.session_scope() as session:
        inbox.mark_done(session, mine, NOW)
    with any_database.session_scope() as session:
        inbox.mark_done(session, theirs, NOW + inbox.DEFAULT_LEASE)
    with any_database.session_scope() as session:
        row = inbox.by_key(session, "k")
        assert row.status is InboxStatus.DONE and row.finished_at == NOW + inbox.DEFAULT_LEASE


def test_retries_come_due_later_and_failures_keep_their_reason(any_database: Database) -> None:
    record(any_database, "retry")
    record(any_database, "fail")
    with any_database.session_scope() as session:
        retry, fail = inbox.claim_due(session, NOW)
        inbox.mark_retry(session, retry, NOW + timedelta(seconds=2), "RuntimeError: boom")
        inbox.mark_failed(session, fail, NOW, "x" * 900)
    with any_database.session_scope() as session:
        assert inbox.next_due_at(session) == NOW + timedelta(seconds=2)
        counts = inbox.counts_by_status(session)
        failed = inbox.by_key(session, "fail")
    assert counts[InboxStatus.QUEUED] == counts[InboxStatus.FAILED] == 1
    assert len(failed.error) == inbox.MAX_ERROR_LENGTH
    assert claim(any_database, NOW + timedelta(seconds=1)) == []
    assert [row.request_key for row in claim(any_database, NOW + timedelta(seconds=2))] == ["retry"]


def test_claims_are_limited_to_the_given_platforms(any_database: Database) -> None:
    record(any_database, "slack")
    record(any_database, "teams", platform=Platform.TEAMS)
    assert [row.request_key for row in claim(any_database, platforms=[Platform.TEAMS])] == ["teams"]


def test_concurrent_workers_never_take_the_same_request(any_database: Database) -> None:
    for index in range(40):
        record(any_database, f"k{index}")
    claimed: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(4)

    def worker() -> None:
        barrier.wait()
        while batch := claim(any_database, limit=3):
            with lock:
                claimed.extend(row.request_key for row in batch)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(f"k{index}" for index in range(40))

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from conversations.messages import Platform
from storage import outbox
from storage.connections import new_organisation
from storage.database import Database
from storage.models import DeliveryStatus, OutboxDelivery

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def workspace_id(database: Database) -> int:
    with database.session_scope() as session:
        workspace = new_organisation(session, "Acme", Platform.SLACK, "T1")
        return workspace.id


def enqueue(
    database: Database, workspace: int, key: str, when: datetime = NOW, platform=Platform.SLACK, recipient: str = ""
) -> bool:
    """One delivery, to a recipient of its own unless ``recipient`` names one."""
    with database.session_scope() as session:
        return outbox.enqueue(
            session,
            workspace_id=workspace,
            platform=platform,
            kind="checkin_prompt",
            recipient=recipient or f"U-{key}",
            dedupe_key=key,
            payload={"n": key},
            not_before=when,
        )


def test_the_same_dedupe_key_is_enqueued_once(any_database: Database) -> None:
    workspace = workspace_id(any_database)
    assert enqueue(any_database, workspace, "prompt:1:2026-W49") is True
    assert enqueue(any_database, workspace, "prompt:1:2026-W49") is False
    with any_database.session_scope() as session:
        assert len(session.exec(select(OutboxDelivery)).all()) == 1


def test_only_due_rows_are_claimed_and_a_claimed_row_is_not_claimed_again(any_database: Database) -> None:
    workspace = workspace_id(any_database)
    enqueue(any_database, workspace, "due")
    enqueue(any_database, workspace, "later", NOW + timedelta(hours=1))
    with any_database.session_scope() as session:
        first = outbox.claim_due(session, NOW)
    with any_database.session_scope() as session:
        second = outbox.claim_due(session, NOW)
    assert [row.dedupe_key for row in first] == ["due"]
    assert first[0].status is DeliveryStatus.SENDING and first[0].attempts == 1
    assert second == []


def test_a_row_abandoned_by_a_crashed_sender_is_claimed_after_the_lease(any_database: Database) -> None:
    workspace = workspace_id(any_database)
    enqueue(any_database, workspace, "k")
    with any_database.session_scope() as session:
        outbox.claim_due(session, NOW)
    with any_database.session_scope() as session:
        assert outbox.claim_due(session, NOW + outbox.DEFAULT_LEASE - timedelta(seconds=1)) == []
    with any_database.session_scope() as session:
        again = outbox.claim_due(session, NOW + outbox.DEFAULT_LEASE)
    assert [row.attempts for row in again] == [2]


def test_claims_are_limited_to_the_given_platforms(any_database: Database) -> None:
    workspace = workspace_id(any_database)
    enqueue(any_database, workspace, "slack")
    enqueue(any_database, workspace, "shell", platform=Platform.SHELL)
    with any_database.session_scope() as session:
        claimed = outbox.claim_due(session, NOW, platforms=[Platform.SHELL])
    assert [row.dedupe_key for row in claimed] == ["shell"]


def test_retry_sent_and_failed_states_are_recorded(any_database: Database) -> None:
    workspace = workspace_id(any_database)
    for key in ("a", "b", "c"):
        enqueue(any_database, workspace, key)
    with any_database.session_scope() as session:
        a, b, c = outbox.claim_due(session, NOW)
        outbox.mark_sent(session, a, NOW, "1700000000.000100")
        outbox.mark_retry(session, b, NOW + timedelta(seconds=30), "ratelimited")
        outbox.mark_failed(session, c, "user_not_found")
    with any_database.session_scope() as session:
        counts = outbox.counts_by_status(session)
        assert outbox.next_due_at(session) == NOW + timedelta(seconds=30)
        rows = {row.dedupe_key: row for row in session.exec(select(OutboxDelivery))}
    assert counts[DeliveryStatus.SENT] == counts[DeliveryStatus.PENDING] == counts[DeliveryStatus.FAILED] == 1
    assert rows["a"].platform_message_id == "1700000000.000100"
    assert rows["c"].last_error == "user_not_found"


def test_concurrent_claimers_never_take_the_same_row(any_database: Database) -> None:
    workspace = workspace_id(any_database)
    for index in range(60):
        enqueue(any_database, workspace, f"k{index}")
    claimed: list[list[str]] = []
    barrier = threading.Barrier(4)

    def claimer() -> None:
        barrier.wait()
        mine = []
        while True:
            with any_database.session_scope() as session:
                batch = outbox.claim_due(session, NOW, limit=5)
            if not batch:
                break
            mine.extend(row.dedupe_key for row in batch)
        claimed.append(mine)

    threads = [threading.Thread(target=claimer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [key for keys in claimed for key in keys]
    assert sorted(everything) == sorted(f"k{index}" for index in range(60))
    assert len(everything) == len(set(everything))

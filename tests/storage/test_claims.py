"""Claiming from the table queues: a batch, never more; one person's rows one at a time and in order;
rows handed back by a stopping process. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import select

from conversations.messages import Platform
from storage import inbox, outbox
from storage.connections import new_organisation
from storage.database import Database
from storage.models import DeliveryStatus, InboxRequest, InboxStatus, OutboxDelivery
from tests.conftest import another_replica

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def organisation(database: Database, team: str = "T1") -> int:
    with database.session_scope() as session:
        return new_organisation(session, f"Org {team}", Platform.SLACK, team).id


def owe(database: Database, workspace: int, rows: list[tuple[str, str]], when: datetime = NOW) -> None:
    """Enqueue (dedupe key, recipient) deliveries, in this order."""
    with database.session_scope() as session:
        for key, recipient in rows:
            outbox.enqueue(session, workspace_id=workspace, platform=Platform.SLACK, kind="checkin_prompt",
                           recipient=recipient, dedupe_key=key, payload={}, not_before=when)  # fmt: skip


def claim(database: Database, at: datetime = NOW, limit: int = 50) -> list[str]:
    with database.session_scope() as session:
        return [row.dedupe_key for row in outbox.claim_due(session, at, limit=limit)]


def test_a_claim_takes_one_batch_and_no_more_however_many_are_due(any_database: Database) -> None:
    workspace = organisation(any_database)
    owe(any_database, workspace, [(f"k{index:04}", f"U{index}") for index in range(1000)])
    first = claim(any_database, limit=50)
    assert len(first) == 50
    assert first == [f"k{index:04}" for index in range(50)], "oldest due first"
    with any_database.session_scope() as session:
        sending = session.exec(select(OutboxDelivery).where(OutboxDelivery.status == DeliveryStatus.SENDING)).all()
    assert len(sending) == 50


def test_two_replicas_claiming_at_once_each_take_a_batch_and_share_the_rows(any_database: Database) -> None:
    """Separate engines, as two processes would have: together they take each row once, in batches."""
    workspace = organisation(any_database)
    owe(any_database, workspace, [(f"k{index:04}", f"U{index}") for index in range(600)])
    other = another_replica(any_database)
    batches: dict[str, list[int]] = {"one": [], "two": []}
    taken: list[str] = []
    barrier = threading.Barrier(2)

    def replica(name: str, database: Database) -> None:
        barrier.wait()
        while keys := claim(database, limit=40):
            batches[name].append(len(keys))
            taken.extend(keys)

    threads = [threading.Thread(target=replica, args=pair) for pair in (("one", any_database), ("two", other))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other.dispose()
    assert sorted(taken) == sorted(f"k{index:04}" for index in range(600))
    assert max(batches["one"] + batches["two"]) <= 40
    if any_database.dialect == "postgresql":  # (SQLite lets one writer in at a time: one may take all)
        assert batches["one"] and batches["two"], "both replicas took part"


def test_one_recipients_messages_go_one_at_a_time_and_in_order(any_database: Database) -> None:
    workspace = organisation(any_database)
    owe(any_database, workspace, [("ada:1", "U1"), ("grace:1", "U2"), ("ada:2", "U1"), ("ada:3", "U1")])
    assert claim(any_database) == ["ada:1", "grace:1"], "a batch holds one of each recipient's"
    assert claim(any_database) == [], "ada:2 waits while ada:1 is being sent"
    with any_database.session_scope() as session:
        outbox.mark_sent(session, outbox.by_key(session, "ada:1"), NOW, "ts1")
        outbox.mark_sent(session, outbox.by_key(session, "grace:1"), NOW, "ts2")
    assert claim(any_database) == ["ada:2"]
    with any_database.session_scope() as session:
        outbox.mark_retry(session, outbox.by_key(session, "ada:2"), NOW + timedelta(minutes=5), "ratelimited")
    assert claim(any_database, NOW + timedelta(minutes=1)) == [], "ada:3 keeps its place behind a retried ada:2"
    assert claim(any_database, NOW + timedelta(minutes=5)) == ["ada:2"]


def test_a_message_queued_ahead_for_later_holds_up_nothing_sent_today(any_database: Database) -> None:
    workspace = organisation(any_database)
    owe(any_database, workspace, [("reminder:tomorrow", "U1")], when=NOW + timedelta(days=1))
    owe(any_database, workspace, [("prompt:today", "U1")])
    assert claim(any_database) == ["prompt:today"]


def test_the_same_user_id_in_two_organisations_is_two_recipients(any_database: Database) -> None:
    first, second = organisation(any_database, "T1"), organisation(any_database, "T2")
    owe(any_database, first, [("t1", "U1")])
    owe(any_database, second, [("t2", "U1")])
    assert sorted(claim(any_database)) == ["t1", "t2"]


def test_claims_handed_back_go_to_the_next_claimer_at_once_with_their_attempt_undone(any_database: Database) -> None:
    workspace = organisation(any_database)
    owe(any_database, workspace, [("a", "U1"), ("b", "U2")])
    with any_database.session_scope() as session:
        claimed = outbox.claim_due(session, NOW)
    with any_database.session_scope() as session:
        assert outbox.release(session, claimed) == 2
    with any_database.session_scope() as session:
        again = outbox.claim_due(session, NOW + timedelta(seconds=1))
    assert [(row.dedupe_key, row.attempts) for row in again] == [("a", 1), ("b", 1)]
    with any_database.session_scope() as session:
        assert outbox.release(session, claimed) == 0, "rows claimed again since are not ours to hand back"


def record(database: Database, key: str, actor: str | None) -> None:
    with database.session_scope() as session:
        inbox.record(session, platform=Platform.SLACK, request_key=key, team="T1", kind="inbound", payload={},
                     now=NOW, actor=actor)  # fmt: skip


def take(database: Database, limit: int = 10) -> list[InboxRequest]:
    with database.session_scope() as session:
        return inbox.claim_due(session, NOW, limit=limit)


def test_one_persons_requests_are_handled_one_at_a_time_in_arrival_order(any_database: Database) -> None:
    record(any_database, "ada-first", "slack:T1:U1")
    record(any_database, "grace", "slack:T1:U2")
    record(any_database, "ada-second", "slack:T1:U1")
    record(any_database, "someone's event", None)
    first = take(any_database)
    assert [request.request_key for request in first] == ["ada-first", "grace", "someone's event"]
    assert take(any_database) == [], "Ada's second message waits for her first"
    with any_database.session_scope() as session:
        inbox.mark_done(session, first[0], NOW)
    assert [request.request_key for request in take(any_database)] == ["ada-second"]


def test_a_failed_request_lets_the_next_one_through(any_database: Database) -> None:
    record(any_database, "ada-first", "slack:T1:U1")
    record(any_database, "ada-second", "slack:T1:U1")
    [first] = take(any_database)
    with any_database.session_scope() as session:
        inbox.mark_failed(session, first, NOW, "boom")
    assert [request.request_key for request in take(any_database)] == ["ada-second"]


def test_requests_handed_back_by_a_stopping_worker_wait_for_no_lease(any_database: Database) -> None:
    record(any_database, "ada", "slack:T1:U1")
    claimed = take(any_database)
    with any_database.session_scope() as session:
        assert inbox.release(session, claimed) == 1
    with any_database.session_scope() as session:
        row = session.exec(select(InboxRequest)).one()
    assert (row.status, row.attempts, row.claimed_at) == (InboxStatus.QUEUED, 0, None)


def test_a_claim_on_sqlite_walks_its_index_in_order_instead_of_sorting_every_due_row(database: Database) -> None:
    """The limit stops the walk: a claim costs the same among 4,000 queued requests as among 500. Asked with
    one OR of waiting and stale rows, SQLite checked every due row's predecessors and sorted them all."""
    for index in range(200):
        record(database, f"k{index}", f"U{index % 20}")
    executed: list[tuple[str, Any]] = []

    def capture(connection, cursor, statement, parameters, context, many) -> None:
        executed.append((statement, parameters))

    sa.event.listen(database.engine, "before_cursor_execute", capture)
    with database.session_scope() as session:
        assert len(inbox.claim_due(session, NOW + timedelta(minutes=1), limit=1)) == 1
    sa.event.remove(database.engine, "before_cursor_execute", capture)
    statement, parameters = next(item for item in executed if item[0].startswith("UPDATE inbox_requests"))
    with database.engine.connect() as connection:
        plan = {
            row[0]: (row[1], row[3])
            for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        }

    def below(node: int, ancestor: str) -> bool:
        while node in plan:
            node = plan[node][0]
            if node in plan and plan[node][1] == ancestor:
                return True
        return False

    steps = [detail for _, detail in plan.values()]
    assert "COMPOUND QUERY" in steps, steps  # waiting rows and stale ones, each picked on its own
    for node, (_, detail) in plan.items():
        if "TEMP B-TREE" in detail:  # only the few rows the branches picked are sorted, never every due one
            assert not below(node, "COMPOUND QUERY"), steps


def hurry(database: Database, keys: list[str], at: datetime = NOW) -> list[str]:
    with database.session_scope() as session:
        return [row.dedupe_key for row in outbox.claim_by_keys(session, at, keys)]


def test_deliveries_asked_for_by_key_are_taken_ahead_of_the_queue_when_their_turn_has_come(
    any_database: Database,
) -> None:
    workspace = organisation(any_database)
    owe(any_database, workspace, [(f"fan-out:{index}", f"U{index}") for index in range(300)])
    owe(any_database, workspace, [("answer:ada", "answer:1"), ("dm:grace", "U7"), ("later", "answer:2")])
    owe(any_database, workspace, [("tomorrow", "answer:3")], when=NOW + timedelta(days=1))
    assert hurry(any_database, ["answer:ada", "dm:grace", "tomorrow", "unknown"]) == ["answer:ada"], (
        "Grace's DM waits behind her fan-out message; tomorrow's is not due"
    )
    assert hurry(any_database, ["answer:ada"]) == [], "taken once"
    assert claim(any_database, limit=300)[:2] == ["fan-out:0", "fan-out:1"], "the rest keeps its order"
    with any_database.session_scope() as session:
        row = outbox.by_key(session, "answer:ada")
    assert (row.status, row.attempts, row.claimed_at) == (DeliveryStatus.SENDING, 1, NOW)

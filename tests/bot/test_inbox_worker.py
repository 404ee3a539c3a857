"""The inbox worker with a fake platform handler: handled once, retried with backoff, then given up on."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from bot.inbox_worker import InboxWorker
from bot.metrics import Metrics
from bot.outbox_sender import RetryPolicy
from bot.retention_tick import apply_retention
from conversations.messages import Platform
from conversations.workspace_settings import RetentionKind
from storage import inbox
from storage.database import Database
from storage.models import InboxRequest, InboxStatus

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class Handler:
    """Fails the first ``failures`` times it sees a request, then marks it done; records who it gave up on."""

    def __init__(self, database: Database, clock: Clock, failures: int = 0) -> None:
        self.database = database
        self.clock = clock
        self.failures = failures
        self.seen: list[str] = []
        self.given_up: list[str] = []

    async def handle(self, request: InboxRequest) -> None:
        self.seen.append(request.request_key)
        if len(self.seen) <= self.failures:
            raise RuntimeError("the flow fell over")
        with self.database.session_scope() as session:
            inbox.mark_done(session, request, self.clock())

    def give_up(self, session: Session, request: InboxRequest, now: datetime) -> None:
        self.given_up.append(request.request_key)


def worker_with(database: Database, handler: Handler, clock: Clock) -> tuple[InboxWorker, Metrics]:
    metrics = Metrics(database)
    policy = RetryPolicy(max_attempts=3, base_delay=timedelta(seconds=1))
    return InboxWorker(
        database, {Platform.SLACK: handler}, clock, metrics, policy=policy, rng=random.Random(1)
    ), metrics


def record(database: Database, key: str) -> None:
    with database.session_scope() as session:
        inbox.record(session, platform=Platform.SLACK, request_key=key, team="T1", kind="inbound", payload={}, now=NOW)


def status(database: Database, key: str) -> InboxRequest:
    with database.session_scope() as session:
        return inbox.by_key(session, key)


def outcome(metrics: Metrics, name: str) -> float:
    return metrics.registry.get_sample_value("cadence_events_total", {"platform": "slack", "outcome": name}) or 0


def test_requests_are_handled_once_in_order(database: Database) -> None:
    clock = Clock()
    handler = Handler(database, clock)
    worker, metrics = worker_with(database, handler, clock)
    for key in ("a", "b", "c"):
        record(database, key)
    assert asyncio.run(worker.drain()) == 3
    assert asyncio.run(worker.drain()) == 0
    assert handler.seen == ["a", "b", "c"] and outcome(metrics, "processed") == 3
    assert worker.seconds_until_next_due(clock.now) is None


def test_a_failing_request_is_retried_with_backoff_and_then_succeeds(database: Database) -> None:
    clock = Clock()
    handler = Handler(database, clock, failures=1)
    worker, metrics = worker_with(database, handler, clock)
    record(database, "flaky")
    asyncio.run(worker.drain())
    row = status(database, "flaky")
    assert row.status is InboxStatus.QUEUED and "fell over" in row.error
    assert 0.5 <= worker.seconds_until_next_due(clock.now) <= 1.0
    asyncio.run(worker.drain())
    assert handler.seen == ["flaky"], "not retried before its backoff is over"
    clock.now += timedelta(seconds=1)
    asyncio.run(worker.drain())
    assert status(database, "flaky").status is InboxStatus.DONE
    assert (outcome(metrics, "retried"), outcome(metrics, "processed"), handler.given_up) == (1, 1, [])


def test_a_request_that_keeps_failing_is_given_up_on_once_with_its_reason(database: Database) -> None:
    clock = Clock()
    handler = Handler(database, clock, failures=99)
    worker, metrics = worker_with(database, handler, clock)
    record(database, "broken")
    for _ in range(5):
        asyncio.run(worker.drain())
        clock.now += timedelta(minutes=1)
    row = status(database, "broken")
    assert row.status is InboxStatus.FAILED and row.attempts == 3 and "RuntimeError: the flow fell over" in row.error
    assert handler.seen == ["broken"] * 3 and handler.given_up == ["broken"]
    assert (outcome(metrics, "retried"), outcome(metrics, "failed")) == (2, 1)


def test_handled_requests_are_forgotten_after_a_week_by_default(database: Database) -> None:
    clock = Clock()
    worker, _ = worker_with(database, Handler(database, clock), clock)
    record(database, "old")
    asyncio.run(worker.drain())
    clock.now += timedelta(days=7) - timedelta(seconds=1)
    assert apply_retention(database, clock.now).removed[RetentionKind.HANDLED_REQUESTS] == 0
    clock.now += timedelta(seconds=2)
    assert apply_retention(database, clock.now).removed[RetentionKind.HANDLED_REQUESTS] == 1
    assert status(database, "old") is None


def test_a_request_that_keeps_taking_its_worker_down_is_not_tried_again(database: Database) -> None:
    clock = Clock()
    handler = Handler(database, clock)
    worker, metrics = worker_with(database, handler, clock)
    record(database, "poison")
    for _ in range(3):  # three workers claimed it and vanished without a word (each lease ran out)
        with database.session_scope() as session:
            inbox.claim_due(session, clock.now)
        clock.now += inbox.DEFAULT_LEASE
    asyncio.run(worker.drain())
    row = status(database, "poison")
    assert row.status is InboxStatus.FAILED and "gave up after 3 attempts" in row.error
    assert handler.seen == [] and handler.given_up == ["poison"] and outcome(metrics, "failed") == 1


def test_a_worker_stopped_mid_request_hands_it_back_and_its_late_commit_rolls_back(database: Database) -> None:
    """Past the grace period the worker's task is cancelled while its unit of work still runs in a
    thread: the request goes back to the queue at once, and the late unit of work keeps nothing."""
    import threading

    record(database, "slow")
    started, finish = threading.Event(), threading.Event()
    outcome: list[str] = []

    class Slow:
        async def handle(self, request) -> None:
            def unit_of_work() -> None:
                started.set()
                finish.wait(5)
                try:
                    with database.session_scope() as session:
                        inbox.mark_done(session, request, NOW)
                    outcome.append("done")
                except inbox.LostClaim:
                    outcome.append("lost its claim")

            await asyncio.to_thread(unit_of_work)

        def give_up(self, session, request, now) -> None:
            raise AssertionError("never given up")

    worker = InboxWorker(database, {Platform.SLACK: Slow()}, lambda: NOW, Metrics(database))

    async def scenario() -> None:
        draining = asyncio.create_task(worker.drain())
        await asyncio.to_thread(started.wait, 5)
        draining.cancel()
        with pytest.raises(asyncio.CancelledError):
            await draining
        finish.set()

    asyncio.run(scenario())
    assert outcome == ["lost its claim"]
    with database.session_scope() as session:
        row = inbox.by_key(session, "slow")
    assert (row.status, row.claimed_at, row.attempts) == (InboxStatus.QUEUED, None, 0)


class Overlap:
    """Marks each request done after a pause, and notes the most requests it was in at once, and whose."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self.database = database
        self.clock = clock
        self.inside: list[str] = []
        self.most_at_once = 0
        self.actors_at_once: list[list[str]] = []

    async def handle(self, request: InboxRequest) -> None:
        self.inside.append(request.actor)
        self.most_at_once = max(self.most_at_once, len(self.inside))
        self.actors_at_once.append(list(self.inside))
        await asyncio.sleep(0)  # let the others of the batch start
        await asyncio.sleep(0)
        self.inside.remove(request.actor)
        with self.database.session_scope() as session:
            inbox.mark_done(session, request, self.clock())

    def give_up(self, session: Session, request: InboxRequest, now: datetime) -> None:
        raise AssertionError("nothing fails here")


def test_several_peoples_requests_are_worked_on_at_once_but_one_persons_one_at_a_time(database: Database) -> None:
    clock = Clock()
    handler = Overlap(database, clock)
    worker = InboxWorker(database, {Platform.SLACK: handler}, clock, Metrics(database), concurrency=4)
    with database.session_scope() as session:
        for index in range(12):
            actor = f"slack:T1:U{index % 3}"  # three people, four requests each
            inbox.record(
                session,
                platform=Platform.SLACK,
                request_key=f"k{index}",
                team="T1",
                kind="inbound",
                payload={},
                now=NOW,
                actor=actor,
            )
    assert asyncio.run(worker.drain()) == 12
    assert handler.most_at_once == 3, "three people's requests at once"
    assert all(len(set(actors)) == len(actors) for actors in handler.actors_at_once), "never one person's two"
    with database.session_scope() as session:
        assert all(inbox.by_key(session, f"k{index}").status is InboxStatus.DONE for index in range(12))


def test_requests_are_claimed_a_batch_at_a_time_and_worked_on_one_at_a_time_on_sqlite(database: Database) -> None:
    """One claim for one request cost as much as a sixth of handling it under a long queue."""
    clock = Clock()
    handler = Overlap(database, clock)
    worker = InboxWorker(database, {Platform.SLACK: handler}, clock, Metrics(database), concurrency=1, batch_size=5)
    claims: list[int] = []
    claim = worker.claim

    def counted(now: datetime) -> list[InboxRequest]:
        batch = claim(now)
        claims.append(len(batch))
        return batch

    worker.claim = counted
    with database.session_scope() as session:
        for index in range(12):
            inbox.record(session, platform=Platform.SLACK, request_key=f"k{index}", team="T1", kind="inbound",
                         payload={}, now=NOW, actor=f"slack:T1:U{index}")  # fmt: skip
    assert asyncio.run(worker.drain()) == 12
    assert claims == [5, 5, 2, 0]
    assert handler.most_at_once == 1, "SQLite's one writer: one request at a time"
    with database.session_scope() as session:
        assert all(inbox.by_key(session, f"k{index}").status is InboxStatus.DONE for index in range(12))


def test_a_stopping_worker_hands_back_what_it_has_not_started(database: Database) -> None:
    clock = Clock()
    handler = Handler(database, clock)
    worker, _ = worker_with(database, handler, clock)
    worker.concurrency = 3
    for key in ("a", "b", "c"):
        record(database, key)

    async def stop_after_first_claim() -> None:
        batch = await asyncio.to_thread(worker.claim, clock())
        worker.stop()
        await worker.work_through(batch)

    asyncio.run(stop_after_first_claim())
    assert handler.seen == []
    assert [status(database, key).status for key in ("a", "b", "c")] == [InboxStatus.QUEUED] * 3
    assert [status(database, key).attempts for key in ("a", "b", "c")] == [0, 0, 0], "the claim was undone"

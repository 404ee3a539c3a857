"""Recording requests inside their acks: many per commit, none acked before it is committed."""

from __future__ import annotations

import asyncio
import os
import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlmodel import select

from bot.inbox_recorder import InboxRecorder
from bot.traffic import SharedArrivals, Traffic
from conversations.messages import Platform
from storage.database import Database
from storage.inbox import NewRequest
from storage.models import InboxRequest

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def recording(key: str) -> NewRequest:
    return NewRequest(Platform.SLACK, key, "T1", "inbound", {"key": key})


def test_a_burst_of_requests_is_committed_in_a_few_commits_and_each_hears_whether_it_was_new(
    any_database: Database,
) -> None:
    recorder = InboxRecorder(any_database, lambda: NOW)
    commits = []
    sa.event.listen(any_database.engine, "commit", lambda connection: commits.append(1))

    async def burst() -> list[bool]:
        keys = [f"k{index}" for index in range(50)] + ["k0", "k1"]
        return await asyncio.gather(*(recorder.record(recording(key)) for key in keys))

    results = asyncio.run(burst())
    assert results == [True] * 50 + [False, False]
    assert 1 <= len(commits) <= 3
    with any_database.session_scope() as session:
        rows = session.exec(select(InboxRequest)).all()
    assert sorted(row.request_key for row in rows) == sorted(f"k{index}" for index in range(50))
    assert all(row.payload == {"key": row.request_key} and row.received_at == NOW for row in rows)


def test_commits_overlap_up_to_the_limit_but_a_person_s_next_request_waits_for_their_last(
    any_database: Database,
) -> None:
    """On PostgreSQL a commit mostly waits on round trips, so several go at once; one person's requests
    still go one commit after another, in the order they came, so they are handled in that order."""
    recorder = InboxRecorder(any_database, lambda: NOW, commits_at_once=2)
    real_write = recorder.write
    under_way: list[int] = []
    batches: list[list[str]] = []
    lock = threading.Lock()
    both_started = threading.Barrier(2, timeout=5)

    def slow_write(recordings):
        with lock:
            batches.append([item.request_key for item in recordings])
            under_way.append(len(batches))
        if len(batches) <= 2:
            both_started.wait()  # the first two commits are under way at the same time
        return real_write(recordings)

    recorder.write = slow_write

    def by(person: str, key: str) -> NewRequest:
        return NewRequest.from_user(Platform.SLACK, key, "T1", "inbound", {"key": key}, person)

    async def burst() -> list[bool]:
        first = asyncio.ensure_future(recorder.record(by("ada", "ada-1")))
        await asyncio.sleep(0)  # ada's first commit starts alone
        rest = asyncio.gather(recorder.record(by("grace", "grace-1")), recorder.record(by("ada", "ada-2")))
        return [await first, *await rest]

    assert asyncio.run(burst()) == [True, True, True]
    assert batches == [["ada-1"], ["grace-1"], ["ada-2"]]
    with any_database.session_scope() as session:
        ids = {row.request_key: row.id for row in session.exec(select(InboxRequest))}
    assert ids["ada-1"] < ids["ada-2"]


def test_when_the_commit_fails_every_request_in_it_fails_and_the_next_ones_are_recorded(database: Database) -> None:
    recorder = InboxRecorder(database, lambda: NOW)
    real_write = recorder.write
    calls = []

    def write_failing_once(recordings):
        calls.append([item.request_key for item in recordings])
        if len(calls) == 1:
            raise sa.exc.OperationalError("INSERT", {}, Exception("database is locked"))
        return real_write(recordings)

    recorder.write = write_failing_once

    async def two_bursts():
        first = await asyncio.gather(*(recorder.record(recording(f"a{i}")) for i in range(3)), return_exceptions=True)
        second = await recorder.record(recording("b0"))
        return first, second

    first, second = asyncio.run(two_bursts())
    assert all(isinstance(result, sa.exc.OperationalError) for result in first)
    assert second is True
    with database.session_scope() as session:
        assert [row.request_key for row in session.exec(select(InboxRequest))] == ["b0"]


def test_a_caller_that_gives_up_mid_commit_leaves_the_others_answered(database: Database) -> None:
    recorder = InboxRecorder(database, lambda: NOW)
    real_write = recorder.write
    release = threading.Event()

    def slow_write(recordings):
        release.wait(timeout=5)
        return real_write(recordings)

    recorder.write = slow_write

    async def burst():
        callers = [asyncio.create_task(recorder.record(recording(f"c{i}"))) for i in range(3)]
        await asyncio.sleep(0)  # all three are waiting on the same commit
        await asyncio.sleep(0)
        callers[1].cancel()
        release.set()
        later = await recorder.record(recording("later"))
        return await asyncio.gather(*callers, return_exceptions=True), later

    (first, cancelled, third), later = asyncio.run(burst())
    assert first is True and third is True and later is True
    assert isinstance(cancelled, asyncio.CancelledError)
    with database.session_scope() as session:
        assert len(session.exec(select(InboxRequest)).all()) == 4, "the cancelled caller's row was committed too"


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.mark.parametrize(("quiet_for", "expected_wait"), [(0.2, 0.0), (0.0, 0.05), (0.08, 0.02)])
def test_background_work_steps_aside_only_while_requests_arrive(quiet_for: float, expected_wait: float) -> None:
    time = FakeTime()
    traffic = Traffic(quiet=0.1, max_wait=0.05, clock=time, sleep=time.sleep)
    traffic.arrived()
    time.now += quiet_for
    asyncio.run(traffic.step_aside())
    assert sum(time.slept) == pytest.approx(expected_wait), "until requests pause for 0.1 s, never more than 0.05 s"


def test_a_worker_process_steps_aside_for_the_requests_its_serving_process_receives() -> None:
    """The arrivals live in memory both processes map: what one writes, the other's traffic reads."""
    time = FakeTime()
    serving_side = SharedArrivals.create()
    serving = Traffic(quiet=0.1, max_wait=0.05, clock=time, sleep=time.sleep, arrivals=serving_side)
    worker = Traffic(
        quiet=0.1, max_wait=0.05, clock=time, sleep=time.sleep, arrivals=SharedArrivals(os.dup(serving_side.descriptor))
    )
    assert worker.busy_for() == 0
    serving.arrived()
    asyncio.run(worker.step_aside())
    assert sum(time.slept) == pytest.approx(0.05)


def test_a_request_the_database_does_not_record_in_time_is_refused_while_the_commit_goes_on(
    database, monkeypatch
) -> None:
    """A hung database: the platform hears "not recorded" before its own timeout, and the request,
    if the commit lands after all, is there for its retry to be recognised."""
    from bot import inbox_recorder
    from storage.database import NotAnswering

    monkeypatch.setattr(inbox_recorder, "RECORDING_TIMEOUT_SECONDS", 0.2)
    recorder = InboxRecorder(database, lambda: NOW)
    release = threading.Event()
    original = recorder.write
    recorder.write = lambda recordings: (release.wait(5), original(recordings))[1]  # type: ignore[method-assign]

    async def scenario() -> bool:
        with pytest.raises(NotAnswering):
            await recorder.record(NewRequest.from_user(Platform.SLACK, "late", "T1", "inbound", {}, "U1"))
        release.set()
        await recorder.committer
        recorder.write = original  # type: ignore[method-assign]
        return await recorder.record(NewRequest.from_user(Platform.SLACK, "late", "T1", "inbound", {}, "U1"))

    assert asyncio.run(scenario()) is False, "the late commit landed: the platform's retry is a duplicate"

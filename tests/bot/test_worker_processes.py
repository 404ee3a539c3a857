"""The serving side of the worker processes, with stand-ins that speak the same pipes
(``stand_in_worker_process.py``): ready before serving, woken, counted, started again, stopped."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.metrics import Metrics
from bot.worker_processes import Report, WorkerProcesses, WorkerProcessFailed
from storage.database import Database
from tests.reliability.replicas import metric_value

STAND_IN = Path(__file__).with_name("stand_in_worker_process.py")


def processes(database: Database, behaviour: str, count: int = 1, **options) -> WorkerProcesses:
    return WorkerProcesses(
        count,
        Metrics(database),
        command=[sys.executable, str(STAND_IN), behaviour],
        environment=dict(os.environ),
        grace=options.pop("grace", 2.0),
        restart_delays=(0.05, 0.2),
        **options,
    )


async def eventually(condition: Callable[[], object], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(scenario())


def processed(workers: WorkerProcesses) -> float | None:
    return metric_value(workers.metrics.render().decode(), "cadence_events_total", outcome="processed")


def test_every_worker_is_woken_and_what_each_handled_is_counted_on_the_serving_side(database: Database) -> None:
    async def scenario() -> None:
        workers = processes(database, "works", count=2)
        await workers.start()
        try:
            assert workers.health().startswith("worker processes: 2 of 2 running (pid ")
            assert metric_value(workers.metrics.render().decode(), "cadence_worker_processes_running") == 2
            for _ in range(3):
                workers.notify()
                await asyncio.sleep(0.05)
            await eventually(lambda: processed(workers) == 6, "three wakes counted by each of two workers")
            assert not workers.leading
        finally:
            await workers.stop()
        assert workers.running == {}

    run(scenario)


def test_the_scheduler_leader_among_the_workers_is_the_serving_process_s_leader(database: Database) -> None:
    async def scenario() -> None:
        workers = processes(database, "leads")
        await workers.start()
        try:
            await eventually(lambda: workers.leading, "the worker's leadership to be heard")
        finally:
            await workers.stop()
        assert not workers.leading

    run(scenario)


def test_a_worker_that_stops_before_it_is_ready_stops_the_start_up_saying_so(
    database: Database, capfd: pytest.CaptureFixture[str]
) -> None:
    async def scenario() -> None:
        workers = processes(database, "fails")
        with pytest.raises(
            WorkerProcessFailed, match=r"worker process 1 stopped before it was ready \(exit status 3\)"
        ):
            await workers.start()
        assert workers.running == {}

    run(scenario)
    assert "the stand-in refuses to start" in capfd.readouterr().err  # its own error, above ours


def test_a_worker_that_never_gets_ready_stops_the_start_up_and_is_stopped(database: Database) -> None:
    async def scenario() -> None:
        workers = processes(database, "silent", ready_timeout=0.5)
        with pytest.raises(WorkerProcessFailed, match="not ready within"):
            await workers.start()
        assert workers.running == {}

    run(scenario)


def test_a_worker_that_dies_is_started_again_and_woken_like_the_first(database: Database) -> None:
    async def scenario() -> None:
        workers = processes(database, "dies")
        await workers.start()
        try:
            first = workers.running[1].process.pid
            workers.notify()  # the stand-in exits 9 at its first wake
            await eventually(
                lambda: 1 in workers.running and workers.running[1].process.pid != first and workers.ready_count() == 1,
                "a second worker process, ready",
            )
            assert workers.health() == f"worker processes: 1 of 1 running (pid {workers.running[1].process.pid})"
        finally:
            await workers.stop()

    run(scenario)


def test_a_worker_that_ignores_sigterm_is_killed_after_the_grace_period(database: Database) -> None:
    async def scenario() -> None:
        workers = processes(database, "stubborn", grace=0.2, stop_margin=0.3)
        await workers.start()
        pid = workers.running[1].process.pid
        started = time.monotonic()
        await workers.stop()
        assert time.monotonic() - started < 5
        assert not alive(pid)

    run(scenario)


def test_a_worker_stops_when_its_wake_pipe_ends(database: Database) -> None:
    """The pipe is the worker's lifeline: a serving process killed with -9 closes it too."""

    async def scenario() -> None:
        workers = processes(database, "works")
        await workers.start()
        worker = workers.running[1]
        with workers.writing:
            os.close(worker.wake)
            worker.wake = os.open(os.devnull, os.O_WRONLY)  # what the supervisor closes once it exits
        assert await asyncio.wait_for(worker.process.wait(), 10) == 0
        workers.stopping.set()
        await asyncio.gather(*workers.supervisors)

    run(scenario)


def test_a_report_reads_back_as_written_and_an_unreadable_line_is_skipped() -> None:
    report = Report(ready=True, leading=False, events=(("slack", "processed", 4), ("teams", "failed", 1)))
    assert Report.read(report.line()) == report
    assert Report.read(Report().line()) == Report()
    for unreadable in (b"not json\n", b"[]\n", b'{"events": [["slack"]]}\n'):
        assert Report.read(unreadable) is None

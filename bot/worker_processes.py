"""Worker processes: the inbox worker, the outbox sender and the scheduler in processes of their own,
started by ``cadence serve`` (``CADENCE_WORKER_PROCESSES``), so the serving process only checks,
records and acks.

One interpreter runs one thread of Python at a time. With the background work in the serving
process, a burst of commands shared that interpreter and its core with the handling of earlier
ones, and the acks slowed down to about half what a bare Bolt app manages (bench/slack_burst.py).
A worker process has an interpreter of its own, on the other core where there is one, and runs at
a lower priority (``CADENCE_WORKER_NICENESS``), so that when both want the CPU the acks get it.

A serving process and each of its worker processes share two pipes:

- **wake**: the serving process writes a byte whenever it recorded a request or queued a delivery,
  and the worker wakes its inbox worker and sender at once instead of at their next poll. The pipe
  is also the worker's lifeline: when the serving process dies (``kill -9`` included), the worker
  reads the pipe's end and stops as it does on SIGTERM: it finishes what it has in hand, hands back
  the rest and gives the scheduler up.
- **reports**: the worker writes a line of JSON (:class:`Report`) when it is ready, when it starts or
  stops leading the scheduler, and a few times a second with the requests it handled, which the
  serving process adds to its own ``/metrics`` (the one Prometheus scrapes).

A worker process that stops on its own (a crash) is started again, after a wait that doubles up to
half a minute; a worker that stops before it is ready stops the start-up of ``cadence serve``,
whose standard error shows the worker's own error above. On SQLite, the serving process's lock on
the database file (``bot/leadership.py``) is handed down to its workers, so a second ``cadence
serve`` is refused until the last of them has stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.metrics import Metrics

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

READY_TIMEOUT_SECONDS = 90.0
"""How long ``cadence serve`` waits for a worker process to start working (an interpreter importing
Bolt and the Teams SDK on a busy machine takes several seconds)."""
RESTART_DELAY_SECONDS = (1.0, 30.0)
"""First and longest wait before a worker process that stopped on its own is started again."""
STEADY_SECONDS = 60.0
"""A worker process that ran this long before it stopped is started again after the first wait."""
REPORT_EVERY_SECONDS = 0.2
STOP_MARGIN_SECONDS = 5.0
"""Beyond the shutdown grace a worker process is given on SIGTERM, before it is killed."""


@dataclass(frozen=True)
class Report:
    """One line a worker process tells its serving process."""

    ready: bool = False
    leading: bool | None = None
    """Whether it runs the scheduler now; None: unchanged since the last report."""
    events: tuple[tuple[str, str, int], ...] = ()
    """(platform, outcome, how many) of the requests it handled since the last report."""

    def line(self) -> bytes:
        said = {"ready": self.ready, "leading": self.leading, "events": [list(event) for event in self.events]}
        return (json.dumps(said, separators=(",", ":")) + "\n").encode()

    @classmethod
    def read(cls, line: bytes) -> Report | None:
        """The report on ``line``, or None for one this release can't read."""
        try:
            said = json.loads(line)
            leading = said.get("leading")
            return cls(
                ready=bool(said.get("ready")),
                leading=None if leading is None else bool(leading),
                events=tuple((str(platform), str(outcome), int(count)) for platform, outcome, count in said["events"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


class WorkerProcessFailed(RuntimeError):
    """A worker process stopped before it was ready, or never got ready: ``cadence serve`` doesn't serve."""


@dataclass
class WorkerProcess:
    """A running worker process, as its serving process sees it."""

    number: int  # 1, 2, …: how the log names it
    process: asyncio.subprocess.Process
    wake: int  # the write end of its wake pipe
    started_at: float
    ready: bool = False
    leading: bool = False


@dataclass
class WorkerProcesses:
    """The serving process's side: starts ``count`` worker processes, wakes them, hears them, starts
    again one that stops, and stops them all on shutdown.

    ``command`` starts one (``cadence worker-process``), to which the pipes' descriptors are added;
    ``inherited`` are descriptors the workers keep open for as long as they live (the shared arrivals,
    the SQLite lock)."""

    count: int
    metrics: Metrics
    command: Sequence[str]
    environment: Mapping[str, str]
    grace: float
    handed_down: Sequence[int] = ()
    """Descriptors the command names (the shared arrivals), kept open in every worker process."""
    inherited: Sequence[int] = ()
    """Descriptors the workers keep open without being told of them (the SQLite lock, taken after this is made)."""
    ready_timeout: float = READY_TIMEOUT_SECONDS
    restart_delays: tuple[float, float] = RESTART_DELAY_SECONDS
    stop_margin: float = STOP_MARGIN_SECONDS
    running: dict[int, WorkerProcess] = field(default_factory=dict)
    supervisors: list[asyncio.Task] = field(default_factory=list)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    writing: threading.Lock = field(default_factory=threading.Lock)
    """Held to write to a wake pipe and to close one: a wake from a thread never writes to a descriptor
    that was closed (and maybe reused for another file) meanwhile."""

    def __post_init__(self) -> None:
        self.metrics.count_processes(self.count, self.ready_count)

    async def start(self) -> None:
        """Start every worker process and wait until each is ready."""
        readies = [asyncio.get_running_loop().create_future() for _ in range(self.count)]
        self.supervisors = [
            asyncio.create_task(self.supervise(number, ready), name=f"worker process {number}")
            for number, ready in enumerate(readies, start=1)
        ]
        try:
            async with asyncio.timeout(self.ready_timeout):
                await asyncio.gather(*readies)
        except TimeoutError:
            await self.stop()
            raise WorkerProcessFailed(
                f"a worker process was not ready within {self.ready_timeout:.0f} s; its log is above"
            ) from None
        except WorkerProcessFailed:
            await self.stop()
            raise

    def notify(self) -> None:
        """Wake every worker process (callable from any thread: a unit of work in a thread queues deliveries)."""
        with self.writing:
            for worker in self.running.values():
                with contextlib.suppress(BlockingIOError, BrokenPipeError):  # a full pipe wakes it all the same
                    os.write(worker.wake, b".")

    def hurry(self, keys: Collection[str]) -> None:
        """Wake them: the keys stay in this process, and the worker processes send those deliveries in turn."""
        self.notify()

    def ready_count(self) -> int:
        return sum(worker.ready for worker in list(self.running.values()))

    @property
    def leading(self) -> bool:
        return any(worker.leading for worker in list(self.running.values()))

    def health(self) -> str:
        pids = ", ".join(str(worker.process.pid) for worker in self.running.values() if worker.ready)
        return f"worker processes: {self.ready_count()} of {self.count} running" + (f" (pid {pids})" if pids else "")

    async def stop(self) -> None:
        """SIGTERM to each: it finishes what it has in hand within the grace period and hands back the
        rest; one still running after that (and a margin) is killed."""
        self.stopping.set()
        for worker in list(self.running.values()):
            with contextlib.suppress(ProcessLookupError):
                worker.process.terminate()
        if not self.supervisors:
            return
        _, unfinished = await asyncio.wait(self.supervisors, timeout=self.grace + self.stop_margin)
        for worker in list(self.running.values()):
            if unfinished:
                log.warning(
                    "worker process %d (pid %d) is still running; killing it", worker.number, worker.process.pid
                )
            with contextlib.suppress(ProcessLookupError):
                worker.process.kill()
        await asyncio.gather(*self.supervisors, return_exceptions=True)
        self.supervisors.clear()

    async def supervise(self, number: int, ready: asyncio.Future[None]) -> None:
        """Keep worker process ``number`` running until the serving process stops."""
        delay = self.restart_delays[0]
        while not self.stopping.is_set():
            worker, reports = await self.spawn(number)
            hearing = asyncio.create_task(self.hear(worker, reports, ready))
            status = await worker.process.wait()
            await hearing
            with self.writing:
                del self.running[number]
                os.close(worker.wake)
            if not ready.done():
                ready.set_exception(
                    WorkerProcessFailed(
                        f"worker process {number} stopped before it was ready (exit status {status}); its error is above"
                    )
                )
                return
            if self.stopping.is_set():
                return
            if time.monotonic() - worker.started_at >= STEADY_SECONDS:
                delay = self.restart_delays[0]
            log.warning(
                "worker process %d (pid %d) stopped with exit status %s; starting it again in %.0f s",
                number,
                worker.process.pid,
                status,
                delay,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), timeout=delay)
            delay = min(delay * 2, self.restart_delays[1])

    async def spawn(self, number: int) -> tuple[WorkerProcess, asyncio.StreamReader]:
        wake_read, wake_write = os.pipe()
        report_read, report_write = os.pipe()
        try:
            process = await asyncio.create_subprocess_exec(
                *self.command,
                "--wake-fd",
                str(wake_read),
                "--report-fd",
                str(report_write),
                pass_fds=(wake_read, report_write, *self.handed_down, *self.inherited),
                env=dict(self.environment),
                stdin=asyncio.subprocess.DEVNULL,
            )
        except OSError:
            os.close(wake_write)
            os.close(report_read)
            raise
        finally:
            os.close(wake_read)
            os.close(report_write)
        os.set_blocking(wake_write, False)
        reports = asyncio.StreamReader()
        loop = asyncio.get_running_loop()
        await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reports), os.fdopen(report_read, "rb", buffering=0)
        )
        worker = WorkerProcess(number, process, wake_write, time.monotonic())
        with self.writing:
            self.running[number] = worker
        return worker, reports

    async def hear(self, worker: WorkerProcess, reports: asyncio.StreamReader, ready: asyncio.Future[None]) -> None:
        """Read the worker's reports until it closes its end (it stopped)."""
        while line := await reports.readline():
            report = Report.read(line)
            if report is None:
                continue
            if report.ready and not worker.ready:
                worker.ready = True
                log.info("worker process %d (pid %d) is working", worker.number, worker.process.pid)
                if not ready.done():
                    ready.set_result(None)
            if report.leading is not None:
                worker.leading = report.leading
            for platform, outcome, count in report.events:
                self.metrics.events.labels(platform, outcome).inc(count)
        worker.leading = False


class ServingProcessLink:
    """A worker process's side of the two pipes."""

    def __init__(self, wake: int, reports: int) -> None:
        self.wake = wake
        self.reports = reports
        self.counted: Counter[tuple[str, str]] = Counter()
        self.counting = threading.Lock()
        self.told_leading: bool | None = None
        self.gone = False

    def count(self, platform: str, outcome: str) -> None:
        """What the worker's metrics count (from the loop or a unit of work's thread), told in the next report."""
        with self.counting:
            self.counted[(platform, outcome)] += 1

    def tell(self, *, ready: bool = False, leading: bool) -> None:
        with self.counting:
            counted, self.counted = self.counted, Counter()
        changed = None if leading == self.told_leading else leading
        if not (ready or counted or changed is not None) or self.gone:
            return
        report = Report(ready, changed, tuple((platform, outcome, n) for (platform, outcome), n in counted.items()))
        try:
            os.write(self.reports, report.line())
        except BrokenPipeError:  # the serving process is gone: the wake pipe says so too, and stops this one
            self.gone = True
            return
        self.told_leading = leading


async def work_for_serving_process(runtime: Runtime, link: ServingProcessLink) -> None:
    """The worker process's life: the runtime's background work, until SIGTERM or the serving process is gone.

    SIGINT is ignored: a Ctrl-C in a terminal reaches the whole process group, and the serving process
    stops its workers itself once it has finished the requests in flight."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    runtime.metrics.relay_events_to(link.count)
    os.set_blocking(link.wake, False)

    def woken() -> None:
        try:
            said = os.read(link.wake, 65536)
        except BlockingIOError:
            return
        if said:
            runtime.worker.notify()
            runtime.sender.notify()
            return
        loop.remove_reader(link.wake)
        log.warning("the serving process is gone; this worker process stops")
        stop.set()

    loop.add_reader(link.wake, woken)
    try:
        await runtime.start_background()
        link.tell(ready=True, leading=runtime.leadership.leading)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), REPORT_EVERY_SECONDS)
            link.tell(leading=runtime.leadership.leading)
    finally:
        loop.remove_reader(link.wake)
        await runtime.stop()
        link.tell(leading=False)


def worker_command(executable: str) -> list[str]:
    """How a serving process starts a worker process: this same Cadence, by its interpreter."""
    return [executable, "-m", "bot", "worker-process"]

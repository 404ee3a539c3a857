"""Putting a running Cadence together: database, platform adapters, inbox worker, outbox sender,
scheduler, ASGI service. The one composition root: entry points build a ``Runtime`` and serve it.

The runtime knows no platform: it asks the adapter registry (``bot/platforms.py``) which are
configured and plugs each in (its routes into the service, its inbox handler into the worker, its
transport into the sender). The scheduler keeps no job per person: one job runs the tick every
minute, which works out from the tables what is due, for the platforms served here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TextIO

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import AppConfig, ConfigError
from bot.inbox_recorder import InboxRecorder
from bot.inbox_worker import INBOX_RETRIES, InboxWorker
from bot.leadership import leadership_for
from bot.metrics import Metrics
from bot.outbox_sender import OutboxSender, RetryPolicy
from bot.platforms import Parts, PlatformAdapter, configured_adapters, platforms_of
from bot.replica_channel import replica_channel_for
from bot.request_runner import RequestRunner
from bot.retention_tick import RetentionSchedule
from bot.service import Service
from bot.shared_pace import PaceBoard, PaceNews
from bot.tick import Producer, enqueue_due
from bot.traffic import SharedArrivals, Traffic
from bot.worker_processes import WorkerProcesses, worker_command
from conversations.flow import Flow
from storage.database import UNAVAILABLE, Database

log = logging.getLogger(__name__)


POSTGRES_CONCURRENCY = 8
"""Requests worked on at once on PostgreSQL (``CADENCE_CONCURRENCY``): most of a request's time is the
database's round trips, and eight in flight kept both cores busy here (bench/slack_burst.py)."""
THREADS_BESIDE_THE_WORKER = 6
POSTGRES_COMMITS_AT_ONCE = 3
"""Commits of recorded requests under way together on PostgreSQL (``bot/inbox_recorder.py``)."""
DEFAULT_WORKER_PROCESSES = 1
"""With the serving process, both cores of a small machine: the serving process acks, the worker
process answers. A burst of commands was acked at several times the rate of one process doing both,
and answered about twice as fast (bench/README.md, slack_burst.py)."""

LEADERSHIP_CHECK_SECONDS = 5
"""How often a follower asks for the scheduler lock (and the leader checks it still holds it): with
the database's own detection of a dead session, a follower takes over well within 30 s."""


async def run_tick_job(runtime: Runtime) -> None:
    """The scheduler's job, on the leader only: enqueue whatever is due now (off the event loop: it
    may build digests), then wake the senders, this one on the loop and every replica's through the
    database (``bot/replica_channel.py``); and, when due, remove what the retention
    settings no longer keep."""
    async with runtime.ticking:
        if not await asyncio.to_thread(runtime.leadership.lead):
            return
        try:
            await asyncio.to_thread(
                enqueue_due, runtime.database, runtime.clock(), runtime.producers, runtime.platforms
            )
        finally:
            runtime.sender.notify()
            with contextlib.suppress(*UNAVAILABLE):  # the others' next poll finds the work all the same
                await asyncio.to_thread(runtime.channel.announce)
            await asyncio.to_thread(runtime.retention.run_if_due, runtime.database, runtime.clock())


async def check_leadership_job(runtime: Runtime) -> None:
    """Take the scheduler over when its leader is gone, and tick at once: whatever the old leader
    left undone this minute is caught up now rather than at the next minute."""
    if runtime.leadership.leading or runtime.ticking.locked():
        return
    if await asyncio.to_thread(runtime.leadership.lead):
        await run_tick_job(runtime)


def session_database_for(config: AppConfig, database: Database) -> Database:
    """Where the connections that keep session state go (``DATABASE_SESSION_URL``, or the database itself).

    PgBouncer in transaction mode hands a server connection to another client after each
    transaction: an advisory lock would stay with a session the leader no longer has, and a
    ``LISTEN`` would hear for someone else, so those two connections need a route past it."""
    url = config.database_session_url
    if not url:
        return database
    if database.dialect != "postgresql" or not url.startswith("postgres"):
        raise ConfigError(
            "DATABASE_SESSION_URL is for PostgreSQL behind a pooler: set it to the same database past the pooler, "
            "e.g. postgresql+psycopg://cadence@db:5432/cadence, or leave it unset"
        )
    return Database(url, secret_keys=config.secret_keys, pool_size=2, max_overflow=2)


class Runtime:
    def __init__(
        self,
        config: AppConfig,
        database: Database,
        clock: Callable[[], datetime],
        flows: Sequence[Flow],
        producers: Sequence[Producer],
        *,
        socket_mode: bool = False,
        poll_interval: float = 1.0,
        inbox_retries: RetryPolicy = INBOX_RETRIES,
        adapters: Sequence[PlatformAdapter] | None = None,
        out: TextIO | None = None,
        serve: bool = True,
        worker_processes: int | None = 0,
        traffic: Traffic | None = None,
    ) -> None:
        """``serve`` False for a process that only delivers (``cadence tick``, a worker process): what
        serving requests needs (a signing secret, say) isn't asked for. ``worker_processes``: how many
        processes to start for the background work (``bot/worker_processes.py``); 0 does it here, None
        takes the default.
        ``traffic``: when requests arrive, shared with the serving process in a worker process."""
        self.adapters = list(adapters if adapters is not None else configured_adapters(config, socket_mode=socket_mode))
        for adapter in self.adapters if serve else ():
            adapter.check()
        self.platforms = platforms_of(self.adapters)
        self.config = config
        self.database = database
        self.clock = clock
        self.producers = list(producers)
        self.retention = RetentionSchedule()
        self.poll_interval = poll_interval
        self.session_database = session_database_for(config, database)
        self.leadership = leadership_for(self.session_database)
        self.channel = replica_channel_for(self.session_database)
        self.paces = PaceBoard(publish=self.tell_pace)
        self.stopping = asyncio.Event()
        self.ticking = asyncio.Lock()
        self.metrics = Metrics(database, leading=self.leading)
        self.traffic = traffic or Traffic(arrivals=SharedArrivals.create() if worker_processes != 0 else None)
        self.recorder = InboxRecorder(
            database,
            clock,
            self.traffic,
            commits_at_once=POSTGRES_COMMITS_AT_ONCE if database.dialect == "postgresql" else 1,
        )
        lease = timedelta(seconds=config.cadence_lease_seconds)
        self.shutdown_grace = config.cadence_shutdown_grace_seconds
        self.sender = OutboxSender(database, {}, clock, traffic=self.traffic, lease=lease)
        self.concurrency = config.cadence_concurrency or (
            POSTGRES_CONCURRENCY if database.dialect == "postgresql" else 1
        )
        self.worker = InboxWorker(
            database,
            {},
            clock,
            self.metrics,
            traffic=self.traffic,
            policy=inbox_retries,
            lease=lease,
            concurrency=self.concurrency,
        )
        self.worker_processes = self.worker_processes_for(worker_processes)
        self.runner = RequestRunner(
            database, flows, self.worker_processes or self.sender, clock, serving=self.platforms
        )
        self.parts = Parts(
            config=config,
            database=database,
            clock=clock,
            metrics=self.metrics,
            traffic=self.traffic,
            recorder=self.recorder,
            runner=self.runner,
            sender=self.sender,
            worker=self.worker_processes or self.worker,
            out=out or sys.stdout,
            paces=self.paces,
        )
        self.service = Service(
            database, self.metrics, startup=[self.start], shutdown=[self.stop], health=self.health_lines
        )
        self.tasks: list[asyncio.Task] = []
        self.scheduler: AsyncIOScheduler | None = None
        self.executor: ThreadPoolExecutor | None = None

    def worker_processes_for(self, count: int | None) -> WorkerProcesses | None:
        database_file = self.database.engine.url.database
        in_memory = self.database.dialect == "sqlite" and (not database_file or database_file == ":memory:")
        if count is None:
            count = 0 if in_memory else DEFAULT_WORKER_PROCESSES
        if not count:
            return None
        if self.database.dialect == "sqlite" and (count > 1 or in_memory):
            raise ConfigError(
                "SQLite lets one writer in at a time, so it takes one worker process on a database file: set "
                "CADENCE_WORKER_PROCESSES=1 (or 0), or move to PostgreSQL "
                "(DATABASE_URL=postgresql+psycopg://user@host/cadence) for more"
            )
        arrivals = self.traffic.arrivals
        assert isinstance(arrivals, SharedArrivals)
        return WorkerProcesses(
            count,
            self.metrics,
            command=[*worker_command(sys.executable), "--arrivals-fd", str(arrivals.descriptor)],
            handed_down=(arrivals.descriptor,),
            environment={**os.environ, "DATABASE_URL": self.config.database_url},
            grace=self.shutdown_grace,
        )

    def leading(self) -> bool:
        """Whether this process, or one of its worker processes, runs the scheduler now (for /metrics)."""
        if self.worker_processes is not None:
            return self.worker_processes.leading
        return self.leadership.leading

    def use_threads(self) -> None:
        """Threads for the requests worked on at once, with room left for recording acks and the ticks."""
        if self.executor is None:
            self.executor = ThreadPoolExecutor(
                max_workers=self.concurrency + THREADS_BESIDE_THE_WORKER, thread_name_prefix="cadence"
            )
            asyncio.get_running_loop().set_default_executor(self.executor)

    async def connect(self) -> None:
        """Reach every platform before serving (``cadence serve`` calls it first, so an unreachable
        platform or a refused token stops it with one line before it claims anything)."""
        for adapter in self.adapters:
            await adapter.connect(self.parts)

    async def start(self) -> None:
        """Serve every platform's routes; and work the inbox, the outbox and the scheduler here, or start
        the worker processes that do."""
        self.use_threads()
        for adapter in self.adapters:
            await adapter.start(self.parts)
            self.service.routes.update(adapter.routes)
        if self.worker_processes is None:
            await self.start_background()
        else:
            self.worker_processes.inherited = self.leadership.handed_down()
            await self.worker_processes.start()

    async def start_background(self) -> None:
        """The inbox worker, the outbox sender, the replicas' channel and the scheduler (what a worker
        process runs, and a serving process without any)."""
        self.use_threads()
        for adapter in self.adapters:
            self.sender.transports[adapter.platform] = await adapter.open_transport(self.parts)
            if (handler := await adapter.open_inbox(self.parts)) is not None:
                self.worker.handlers[adapter.platform] = handler
        self.tasks.append(asyncio.create_task(self.sender.run(self.poll_interval)))
        self.tasks.append(asyncio.create_task(self.worker.run(self.poll_interval)))
        self.stopping.clear()
        self.tasks.append(asyncio.create_task(self.channel.listen(self.sender.notify, self.paces.heard, self.stopping)))
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self.scheduler.add_job(
            run_tick_job,
            "cron",
            second=0,
            args=[self],
            id="tick",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=50,
        )
        self.scheduler.add_job(
            check_leadership_job,
            "interval",
            seconds=LEADERSHIP_CHECK_SECONDS,
            args=[self],
            id="leadership",
            coalesce=True,
            max_instances=1,
            next_run_time=datetime.now(UTC),
        )
        self.scheduler.start()

    async def stop(self) -> None:
        """Stop taking work, let what is in hand finish within the grace period, hand back the rest,
        and give the scheduler up (SIGTERM, a rolling restart: the other replicas carry on at once)."""
        self.sender.stop()
        self.worker.stop()
        self.stopping.set()
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        for adapter in self.adapters:
            await adapter.stop()
        if self.tasks:
            _, unfinished = await asyncio.wait(self.tasks, timeout=self.shutdown_grace)
            for task in unfinished:
                log.warning("stopping without waiting any longer for %s", task.get_name())
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks.clear()
        if self.worker_processes is not None:
            await self.worker_processes.stop()
        await asyncio.to_thread(self.leadership.release)
        if self.session_database is not self.database:
            self.session_database.dispose()
        await self.sender.close()

    def tell_pace(self, news: PaceNews) -> None:
        """Tell the other replicas, from a thread: the sender calls this between two calls to the platform."""
        asyncio.get_running_loop().run_in_executor(None, self.channel.tell, news)

    def health_lines(self) -> list[str]:
        lines = [adapter.health() for adapter in self.adapters]
        return lines if self.worker_processes is None else [*lines, self.worker_processes.health()]

    def serving(self, base_url: str) -> str:
        """What this process serves, for the line ``cadence serve`` prints once it does."""
        return "; ".join(adapter.serving(base_url) for adapter in self.adapters)

"""Putting a running Cadence together: database, platform adapters, inbox worker, outbox sender,
scheduler, ASGI service. The one composition root: entry points build a ``Runtime`` and serve it.

The runtime knows no platform: it asks the adapter registry (``bot/platforms.py``) which are
configured and plugs each in (its routes into the service, its inbox handler into the worker, its
transport into the sender). The scheduler keeps no job per person: one job runs the tick every
minute, which works out from the tables what is due, for the platforms served here.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TextIO

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import AppConfig
from bot.inbox_recorder import InboxRecorder
from bot.inbox_worker import INBOX_RETRIES, InboxWorker
from bot.metrics import Metrics
from bot.outbox_sender import OutboxSender, RetryPolicy
from bot.platforms import Parts, PlatformAdapter, configured_adapters, platforms_of
from bot.request_runner import RequestRunner
from bot.retention_tick import RetentionSchedule
from bot.service import Service
from bot.tick import Producer, enqueue_due
from bot.traffic import Traffic
from conversations.flow import Flow
from storage.database import Database

log = logging.getLogger(__name__)


async def run_tick_job(runtime: Runtime) -> None:
    """The scheduler's job: enqueue whatever is due now (off the event loop: it may build digests),
    then wake the sender, on the loop; and, when due, remove what the retention settings no longer keep."""
    try:
        await asyncio.to_thread(enqueue_due, runtime.database, runtime.clock(), runtime.producers, runtime.platforms)
    finally:
        runtime.sender.notify()
        await asyncio.to_thread(runtime.retention.run_if_due, runtime.database, runtime.clock())


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
    ) -> None:
        """``serve`` False for a process that only delivers (``cadence tick``): what serving requests
        needs (a signing secret, say) isn't asked for."""
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
        self.metrics = Metrics(database)
        self.traffic = Traffic()
        self.recorder = InboxRecorder(database, clock, self.traffic)
        self.sender = OutboxSender(database, {}, clock, traffic=self.traffic)
        self.worker = InboxWorker(database, {}, clock, self.metrics, traffic=self.traffic, policy=inbox_retries)
        self.runner = RequestRunner(database, flows, self.sender, clock, serving=self.platforms)
        self.parts = Parts(
            config=config,
            database=database,
            clock=clock,
            metrics=self.metrics,
            traffic=self.traffic,
            recorder=self.recorder,
            runner=self.runner,
            sender=self.sender,
            worker=self.worker,
            out=out or sys.stdout,
        )
        self.service = Service(
            database, self.metrics, startup=[self.start], shutdown=[self.stop], health=self.health_lines
        )
        self.stopping = asyncio.Event()
        self.tasks: list[asyncio.Task] = []
        self.scheduler: AsyncIOScheduler | None = None

    async def connect(self) -> None:
        """Reach every platform before serving (``cadence serve`` calls it first, so an unreachable
        platform or a refused token stops it with one line before it claims anything)."""
        for adapter in self.adapters:
            await adapter.connect(self.parts)

    async def start(self) -> None:
        for adapter in self.adapters:
            await adapter.start(self.parts)
            self.sender.transports[adapter.platform] = await adapter.open_transport(self.parts)
            if adapter.inbox_handler is not None:
                self.worker.handlers[adapter.platform] = adapter.inbox_handler
            self.service.routes.update(adapter.routes)
        self.stopping.clear()
        self.tasks.append(asyncio.create_task(self.sender.run(self.stopping, self.poll_interval)))
        self.tasks.append(asyncio.create_task(self.worker.run(self.stopping, self.poll_interval)))
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
        self.scheduler.start()

    async def stop(self) -> None:
        self.stopping.set()
        self.sender.notify()
        self.worker.notify()
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        for adapter in self.adapters:
            await adapter.stop()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks.clear()
        await self.sender.close()

    def health_lines(self) -> list[str]:
        return [adapter.health() for adapter in self.adapters]

    def serving(self, base_url: str) -> str:
        """What this process serves, for the line ``cadence serve`` prints once it does."""
        return "; ".join(adapter.serving(base_url) for adapter in self.adapters)

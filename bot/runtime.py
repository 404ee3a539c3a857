"""Putting a running Cadence together: database, Slack app, inbox worker, outbox sender, scheduler, ASGI service.

``cadence serve`` runs it under uvicorn with Slack over HTTP; ``cadence socket`` runs the same
listeners over Socket Mode (and still serves ``/healthz`` and ``/metrics``). The scheduler keeps no
job per person: one job runs the tick every minute, which works out from the tables what is due.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.config import AppConfig, check_slack
from bot.inbox_recorder import InboxRecorder
from bot.inbox_worker import INBOX_RETRIES, InboxWorker
from bot.metrics import Metrics
from bot.outbox_sender import OutboxSender, RetryPolicy
from bot.request_runner import RequestRunner
from bot.service import Service, SlackRequestHandler
from bot.slack.app import SlackApp, build_slack_app, identify
from bot.slack.handling import SlackSide
from bot.slack.inbox import SlackInbox
from bot.slack.installations import BotIdentity, BotTokens, bind_workspace
from bot.slack.render import Renderers
from bot.slack.transport import SlackTransport
from bot.tick import Producer, enqueue_due
from bot.traffic import Traffic
from conversations.flow import Flow
from conversations.messages import Platform
from storage.database import Database

log = logging.getLogger(__name__)


async def run_tick_job(runtime: Runtime) -> None:
    """The scheduler's job: enqueue whatever is due now (off the event loop: it may build digests),
    then wake the sender, on the loop; and forget requests handled long ago."""
    try:
        await asyncio.to_thread(enqueue_due, runtime.database, runtime.clock(), runtime.producers)
    finally:
        runtime.sender.notify()
        await asyncio.to_thread(runtime.worker.forget_old_requests, runtime.clock())


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
    ) -> None:
        check_slack(config, socket_mode=socket_mode)
        self.config = config
        self.database = database
        self.clock = clock
        self.producers = list(producers)
        self.socket_mode = socket_mode
        self.poll_interval = poll_interval
        self.metrics = Metrics(database)
        self.renderers = Renderers()
        self.traffic = Traffic()
        self.recorder = InboxRecorder(database, clock, self.traffic)
        self.sender = OutboxSender(database, {}, clock, traffic=self.traffic)
        self.worker = InboxWorker(database, {}, clock, self.metrics, traffic=self.traffic, policy=inbox_retries)
        self.runner = RequestRunner(database, flows, self.sender, clock, serving={Platform.SLACK})
        self.slack_side = SlackSide()
        self.service = Service(database, self.metrics, startup=[self.start], shutdown=[self.stop])
        self.identity: BotIdentity | None = None
        self.slack: SlackApp | None = None
        self.stopping = asyncio.Event()
        self.tasks: list[asyncio.Task] = []
        self.scheduler: AsyncIOScheduler | None = None
        self.socket_handler: AsyncSocketModeHandler | None = None

    async def connect(self) -> None:
        """Check the bot token with Slack and bind its workspace (single-workspace deployments; with
        OAuth installs there is nothing to check until someone installs). ``cadence serve`` calls
        this before serving, so an unreachable Slack or a refused token stops it with one line
        before it claims anything; ``start`` calls it when that hasn't happened."""
        if not self.config.slack_bot_token or self.identity is not None:
            return
        self.identity = await identify(self.config)
        with self.database.session_scope() as session:
            bind_workspace(session, self.identity.team_id, self.identity.team_name, adopt_unconnected=True)
        log.info("connected to Slack workspace %s (%s)", self.identity.team_name, self.identity.team_id)

    async def start(self) -> None:
        await self.connect()
        transport = SlackTransport(
            self.database,
            BotTokens(self.database, self.identity),
            self.config.slack_api_url,
            self.clock,
            self.renderers,
        )
        self.sender.transports[Platform.SLACK] = transport
        slack_inbox = SlackInbox(
            self.database,
            self.runner,
            self.slack_side,
            self.clock,
            self.metrics,
            transport,
            self.recorder,
            self.worker.notify,
        )
        self.worker.handlers[Platform.SLACK] = slack_inbox
        self.slack = build_slack_app(
            self.config,
            self.database,
            slack_inbox,
            self.clock,
            self.renderers,
            identity=self.identity,
            socket_mode=self.socket_mode,
        )
        self.service.slack = SlackRequestHandler(self.slack.app, self.metrics)
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
        if self.socket_mode:
            self.socket_handler = AsyncSocketModeHandler(self.slack.app, app_token=self.config.slack_app_token)
            self.tasks.append(asyncio.create_task(self.socket_handler.connect_async()))

    async def stop(self) -> None:
        self.stopping.set()
        self.sender.notify()
        self.worker.notify()
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        if self.socket_handler is not None:
            await self.socket_handler.close_async()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks.clear()
        await self.sender.close()

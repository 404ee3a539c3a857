"""Slack as one platform adapter: Bolt's app behind ``/slack/*``, the Slack inbox handler and the Slack
transport, started and stopped together (see ``bot/platforms.py`` for what an adapter provides)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError

from bot.config import AppConfig, ConfigError, check_slack
from bot.inbox_worker import RequestHandler
from bot.outbox_sender import Transport
from bot.platforms import Parts, Route
from bot.slack.app import build_slack_app, identify
from bot.slack.handling import SlackSide
from bot.slack.inbox import SlackInbox
from bot.slack.installations import BotIdentity, BotTokens, bind_workspace
from bot.slack.render import Renderers
from bot.slack.transport import SlackTransport
from bot.slack.web import SLACK_PATHS, SlackRoute
from conversations.messages import Platform

log = logging.getLogger(__name__)


class SlackRefused(ConfigError):
    """Slack answered, and said no (a revoked or mistyped token)."""


class SlackAdapter:
    platform = Platform.SLACK
    label = "Slack"

    def __init__(self, config: AppConfig, *, socket_mode: bool = False) -> None:
        self.config = config
        self.socket_mode = socket_mode
        self.identity: BotIdentity | None = None
        self.renderers = Renderers()
        self.side = SlackSide()
        self.transport: SlackTransport | None = None
        self.inbox: SlackInbox | None = None
        self.route: SlackRoute | None = None
        self.socket_handler: AsyncSocketModeHandler | None = None
        self.tasks: list[asyncio.Task] = []

    def check(self) -> None:
        check_slack(self.config, socket_mode=self.socket_mode)

    async def connect(self, parts: Parts) -> None:
        """Check the bot token with Slack and connect its workspace (single-workspace deployments; with
        OAuth installs there is nothing to check until someone installs)."""
        if not self.config.slack_bot_token or self.identity is not None:
            return
        try:
            self.identity = await identify(self.config)
        except SlackApiError as error:
            raise SlackRefused(f"Slack refused the bot token: {error.response.get('error', error)}") from error
        with parts.database.session_scope() as session:
            bind_workspace(session, self.identity.team_id, self.identity.team_name, adopt_unconnected=True)
        log.info("connected to Slack workspace %s (%s)", self.identity.team_name, self.identity.team_id)

    async def open_transport(self, parts: Parts) -> Transport:
        await self.connect(parts)
        if self.transport is None:
            tokens = BotTokens(parts.database, self.identity)
            self.transport = SlackTransport(
                parts.database, tokens, self.config.slack_api_url, parts.clock, self.renderers, board=parts.paces
            )
        return self.transport

    async def open_inbox(self, parts: Parts) -> RequestHandler | None:
        if self.inbox is None:
            transport = await self.open_transport(parts)
            assert isinstance(transport, SlackTransport)
            self.inbox = SlackInbox(
                parts.database,
                parts.runner,
                self.side,
                parts.clock,
                parts.metrics,
                transport,
                parts.recorder,
                parts.worker.notify,
            )
        return self.inbox

    async def start(self, parts: Parts) -> None:
        await self.open_inbox(parts)
        assert self.inbox is not None
        slack = build_slack_app(
            self.config,
            parts.database,
            self.inbox,
            parts.clock,
            self.renderers,
            identity=self.identity,
            socket_mode=self.socket_mode,
        )
        self.route = SlackRoute(slack.app, parts.metrics)
        if self.socket_mode:
            self.socket_handler = AsyncSocketModeHandler(slack.app, app_token=self.config.slack_app_token)
            self.tasks.append(asyncio.create_task(self.socket_handler.connect_async()))

    async def stop(self) -> None:
        if self.socket_handler is not None:
            await self.socket_handler.close_async()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks.clear()

    @property
    def routes(self) -> Mapping[str, Route]:
        return dict.fromkeys(SLACK_PATHS, self.route) if self.route is not None else {}

    def health(self) -> str:
        if self.identity is not None:
            return f"slack: connected to {self.identity.team_name} ({self.identity.team_id})"
        return "slack: serving installs from /slack/install"

    def serving(self, base_url: str) -> str:
        if self.socket_mode:
            return "Slack over Socket Mode"
        return f"Slack over HTTP at {base_url}/slack/events"

"""Microsoft Teams as one platform adapter: ``POST /api/messages``, the Teams inbox handler and the
Teams transport, started and stopped together (see ``bot/platforms.py`` for what an adapter provides)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from msal.exceptions import MsalError

from bot.config import AppConfig, ConfigError, check_teams
from bot.inbox_worker import RequestHandler
from bot.outbox_sender import Transport
from bot.platforms import Parts, Route
from bot.teams.cards import Renderers
from bot.teams.inbox import TeamsInbox
from bot.teams.sdk import TeamsSdk, build_sdk
from bot.teams.side import TeamsSide, bind_tenant
from bot.teams.transport import TeamsLimits, TeamsTransport
from bot.teams.web import MESSAGES_PATH, TeamsRoute
from conversations.messages import Platform

log = logging.getLogger(__name__)


class TeamsRefused(ConfigError):
    """Microsoft's login said no to the app id and password (or can't be reached): one line at start-up."""


class TeamsAdapter:
    platform = Platform.TEAMS
    label = "Teams"

    def __init__(self, config: AppConfig) -> None:
        self.config = config
        self.renderers = Renderers()
        self.side = TeamsSide(config.teams_tenant_id or None)
        self.sdk: TeamsSdk | None = None
        self.transport: TeamsTransport | None = None
        self.inbox: TeamsInbox | None = None
        self.route: TeamsRoute | None = None
        self.connected = False

    def check(self) -> None:
        check_teams(self.config)
        if self.config.teams_allow_unauthenticated:
            log.warning(
                "TEAMS_ALLOW_UNAUTHENTICATED=true: /api/messages accepts requests without Microsoft's signature; "
                "for local development only"
            )

    def the_sdk(self) -> TeamsSdk:
        if self.sdk is None:
            self.sdk = build_sdk(self.config)
        return self.sdk

    async def connect(self, parts: Parts) -> None:
        """Sign in to Microsoft once (a wrong password stops start-up here, not at the first send), and
        connect the configured tenant to the organisation it belongs to."""
        if self.connected:
            return
        sdk = self.the_sdk()
        if sdk.tokens is not None:
            try:
                await sdk.tokens.prepare()
            except (ValueError, MsalError, OSError) as error:
                raise TeamsRefused(
                    f"Microsoft's login refused TEAMS_APP_ID/TEAMS_APP_PASSWORD or couldn't be reached: {error}"
                ) from error
        if self.config.teams_tenant_id:
            with parts.database.session_scope() as session:
                bind_tenant(session, self.config.teams_tenant_id, self.config.teams_tenant_id)
        self.connected = True

    async def open_transport(self, parts: Parts) -> Transport:
        await self.connect(parts)
        if self.transport is None:
            self.transport = TeamsTransport(
                parts.database,
                self.the_sdk(),
                parts.clock,
                self.renderers,
                default_service_url=self.config.teams_service_url,
                limits=TeamsLimits(parts.clock, board=parts.paces),
            )
        return self.transport

    async def open_inbox(self, parts: Parts) -> RequestHandler | None:
        if self.inbox is None:
            await self.open_transport(parts)
            self.inbox = TeamsInbox(
                parts.database,
                parts.runner,
                self.side,
                parts.clock,
                parts.metrics,
                parts.recorder,
                parts.worker.notify,
                self.the_sdk(),
            )
        return self.inbox

    async def start(self, parts: Parts) -> None:
        await self.open_inbox(parts)
        assert self.inbox is not None
        sdk = self.the_sdk()
        self.route = TeamsRoute(
            sdk, self.inbox, parts.runner, self.side, self.renderers, parts.database, parts.metrics, parts.clock
        )

    async def stop(self) -> None:
        """Nothing runs on its own."""

    @property
    def routes(self) -> Mapping[str, Route]:
        return {MESSAGES_PATH: self.route} if self.route is not None else {}

    def health(self) -> str:
        tenant = self.config.teams_tenant_id or "any tenant"
        return f"teams: app {self.config.teams_app_id} for {tenant}"

    def serving(self, base_url: str) -> str:
        return f"Teams over HTTP at {base_url}{MESSAGES_PATH}"

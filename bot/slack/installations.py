"""Who Cadence is in each Slack workspace: installations, bot tokens and OAuth state, in our database.

slack_sdk ships SQLAlchemy stores, but they bring their own tables outside our migrations and
need an async engine; these implement the same interfaces over tables in ``storage/models.py``.
Authorization reads the stored bot token and ids, so no request ever waits for ``auth.test``:
with a single token the one ``auth.test`` happens at start-up, with OAuth at install time.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from sqlmodel import col, delete, select

from conversations.messages import Platform
from storage import connections
from storage.database import Database
from storage.models import SlackBot, SlackInstallation, SlackOAuthState, Workspace

log = logging.getLogger(__name__)


def _json_ready(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value.isoformat() if isinstance(value, datetime) else value for key, value in data.items()}


def _installed_at(value: float) -> datetime:
    return datetime.fromtimestamp(value, tz=UTC)


def _same(column, value):
    return col(column).is_(None) if value is None else column == value


def bind_workspace(session, team_id: str, team_name: str, *, adopt_unconnected: bool = False) -> Workspace:
    """The organisation a Slack team belongs to: the one connected to it (an org imported with
    ``--workspace T0123`` is), else, only where the operator's own token says so
    (``adopt_unconnected``), the one organisation not yet connected to any platform, else a new
    one, connected to the team. An install from an unknown team never takes over an existing org."""
    adoptable = connections.unconnected(session) if adopt_unconnected else []
    return connections.bind(session, Platform.SLACK, team_id, team_name, adoptable)


class SqlInstallationStore(AsyncInstallationStore):
    def __init__(self, database: Database, client_id: str) -> None:
        self.database = database
        self.client_id = client_id

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        with self.database.session_scope() as session:
            session.add(
                SlackInstallation(
                    client_id=self.client_id,
                    enterprise_id=installation.enterprise_id,
                    team_id=None if installation.is_enterprise_install else installation.team_id,
                    user_id=installation.user_id,
                    is_enterprise_install=bool(installation.is_enterprise_install),
                    installed_at=_installed_at(installation.installed_at),
                    data=_json_ready(installation.to_dict_for_copying()),
                )
            )
            if installation.team_id:
                bind_workspace(session, installation.team_id, installation.team_name or installation.team_id)
            bot = installation.to_bot()
            if bot is not None:
                self._add_bot(session, bot)  # in the same commit: never an installation without its token

    async def async_save_bot(self, bot: Bot) -> None:
        with self.database.session_scope() as session:
            self._add_bot(session, bot)

    def _add_bot(self, session, bot: Bot) -> None:
        session.add(
            SlackBot(
                client_id=self.client_id,
                enterprise_id=bot.enterprise_id,
                team_id=None if bot.is_enterprise_install else bot.team_id,
                is_enterprise_install=bool(bot.is_enterprise_install),
                installed_at=_installed_at(bot.installed_at),
                data=_json_ready(bot.to_dict_for_copying()),
            )
        )

    async def async_find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        team_id = None if is_enterprise_install else team_id
        with self.database.session_scope() as session:
            row = session.exec(
                select(SlackBot)
                .where(
                    SlackBot.client_id == self.client_id,
                    _same(SlackBot.enterprise_id, enterprise_id),
                    _same(SlackBot.team_id, team_id),
                )
                .order_by(col(SlackBot.installed_at).desc(), col(SlackBot.id).desc())
            ).first()
        return Bot(**row.data) if row else None

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        team_id = None if is_enterprise_install else team_id
        with self.database.session_scope() as session:
            query = select(SlackInstallation).where(
                SlackInstallation.client_id == self.client_id,
                _same(SlackInstallation.enterprise_id, enterprise_id),
                _same(SlackInstallation.team_id, team_id),
            )
            if user_id is not None:
                query = query.where(SlackInstallation.user_id == user_id)
            row = session.exec(
                query.order_by(col(SlackInstallation.installed_at).desc(), col(SlackInstallation.id).desc())
            ).first()
        return Installation(**row.data) if row else None

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        with self.database.session_scope() as session:
            session.exec(
                delete(SlackBot).where(
                    SlackBot.client_id == self.client_id,
                    _same(SlackBot.enterprise_id, enterprise_id),
                    _same(SlackBot.team_id, team_id),
                )
            )

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        with self.database.session_scope() as session:
            statement = delete(SlackInstallation).where(
                SlackInstallation.client_id == self.client_id,
                _same(SlackInstallation.enterprise_id, enterprise_id),
                _same(SlackInstallation.team_id, team_id),
            )
            if user_id is not None:
                statement = statement.where(SlackInstallation.user_id == user_id)
            session.exec(statement)


SLACK_TEAM_ID = re.compile(r"^T[A-Z0-9]{2,30}$")


class InstallFlow(AsyncOAuthFlow):
    """Bolt's OAuth flow, passing Slack's authorize URL only a ``team`` that is a Slack team id.

    Bolt copies the install link's ``team`` query into that URL as it is, so
    ``/slack/install?team=T1%26redirect_uri%3Dhttps://elsewhere`` would add parameters of its own
    (a redirect elsewhere, other scopes) to the link Cadence hands the installer."""

    async def build_authorize_url(self, state: str, request: AsyncBoltRequest) -> str:
        team = (request.query.get("team") or [None])[0]
        return self.settings.authorize_url_generator.generate(
            state=state, team=team if team and SLACK_TEAM_ID.match(team) else None
        )


class SqlOAuthStateStore(AsyncOAuthStateStore):
    def __init__(self, database: Database, clock: Callable[[], datetime], lifetime: timedelta = timedelta(minutes=10)):
        self.database = database
        self.clock = clock
        self.lifetime = lifetime

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args, **kwargs) -> str:
        state = secrets.token_urlsafe(32)
        with self.database.session_scope() as session:
            session.add(SlackOAuthState(state=state, expires_at=self.clock() + self.lifetime))
        return state

    async def async_consume(self, state: str) -> bool:
        """True once for a state we issued that has not expired; the row is gone either way."""
        with self.database.session_scope() as session:
            row = session.exec(select(SlackOAuthState).where(SlackOAuthState.state == state)).first()
            if row is None:
                return False
            session.delete(row)
            return row.expires_at > self.clock()


@dataclass(frozen=True)
class BotIdentity:
    """What ``auth.test`` says about our bot in one workspace; Bolt needs the ids to ignore our own events."""

    team_id: str
    team_name: str
    bot_token: str
    bot_id: str
    bot_user_id: str
    enterprise_id: str | None = None

    def authorize_result(self) -> AuthorizeResult:
        return AuthorizeResult(
            enterprise_id=self.enterprise_id,
            team_id=self.team_id,
            bot_token=self.bot_token,
            bot_id=self.bot_id,
            bot_user_id=self.bot_user_id,
        )


class SingleWorkspaceAuthorize(AsyncAuthorize):
    """One bot token for one workspace, checked once at start-up."""

    def __init__(self, identity: BotIdentity) -> None:
        self.identity = identity

    async def __call__(
        self, *, context: AsyncBoltContext, enterprise_id: str | None, team_id: str | None, user_id: str | None
    ) -> AuthorizeResult | None:
        if team_id not in (None, self.identity.team_id):
            return None
        return self.identity.authorize_result()


class InstallationAuthorize(AsyncAuthorize):
    """Multi-workspace: the stored bot token and ids of the installation the request comes from."""

    def __init__(self, store: SqlInstallationStore) -> None:
        self.store = store

    async def __call__(
        self, *, context: AsyncBoltContext, enterprise_id: str | None, team_id: str | None, user_id: str | None
    ) -> AuthorizeResult | None:
        bot = await self.store.async_find_bot(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=context.is_enterprise_install
        )
        if bot is None:
            return None
        return AuthorizeResult(
            enterprise_id=bot.enterprise_id,
            team_id=bot.team_id,
            bot_token=bot.bot_token,
            bot_id=bot.bot_id,
            bot_user_id=bot.bot_user_id,
            bot_scopes=bot.bot_scopes,
        )


class BotTokens:
    """The bot token to use for a Slack team: the configured one, or the latest installation's."""

    def __init__(self, database: Database, identity: BotIdentity | None) -> None:
        self.database = database
        self.identity = identity

    def __call__(self, team_id: str) -> str | None:
        if self.identity is not None:
            return self.identity.bot_token if team_id == self.identity.team_id else None
        with self.database.session_scope() as session:
            bot = session.exec(
                select(SlackBot)
                .where(SlackBot.team_id == team_id)
                .order_by(col(SlackBot.installed_at).desc(), col(SlackBot.id).desc())
            ).first()
        return str(bot.data["bot_token"]) if bot else None

"""Building Bolt's ``AsyncApp`` with Cadence's authorization, listeners and error answers.

The app is async end to end (the sync ``App`` behind an ASGI adapter would block the event loop
for up to 3 s per request). Every Web API call, Bolt's own included, goes to ``SLACK_API_URL``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import AppConfig, SlackUnreachable
from bot.outbound_http import proxy_for, ssl_context
from bot.slack.envelope import problem
from bot.slack.inbox import SlackInbox
from bot.slack.installations import (
    BotIdentity,
    InstallationAuthorize,
    InstallFlow,
    SingleWorkspaceAuthorize,
    SqlInstallationStore,
    SqlOAuthStateStore,
)
from bot.slack.listeners import register_all
from bot.slack.listeners.deps import ListenerDeps
from bot.slack.render import BlockKit, Renderers
from bot.slack.surface import BOT_SCOPES
from conversations.engine import UNKNOWN_COMMAND
from conversations.messages import DATABASE_AWAY, INTERNAL_ERROR, Outbound
from storage.database import UNAVAILABLE, Database

log = logging.getLogger(__name__)


def web_client(config: AppConfig, token: str | None = None) -> AsyncWebClient:
    """A client for calls made while answering a request: short retries only, the outbox does the rest."""
    client = AsyncWebClient(
        token=token,
        base_url=config.slack_api_url,
        timeout=10,
        ssl=ssl_context(),
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=1),
            AsyncRateLimitErrorRetryHandler(max_retry_count=1),
            AsyncServerErrorRetryHandler(max_retry_count=1),
        ],
    )
    client.proxy = proxy_for(config.slack_api_url)  # slack_sdk reads HTTPS_PROXY itself, but not NO_PROXY
    return client


CONNECTION_ERRORS = (aiohttp.ClientConnectionError, TimeoutError)
"""What a Web API call raises when Slack never answered (as opposed to ``SlackApiError``: it answered no)."""


async def identify(config: AppConfig) -> BotIdentity:
    """The one ``auth.test`` of a single-workspace deployment, made at start-up: also the first
    sign of whether Slack can be reached at all (``SlackUnreachable`` when it can't)."""
    assert config.slack_bot_token is not None
    try:
        answer = await web_client(config, config.slack_bot_token).auth_test()
    except CONNECTION_ERRORS as error:
        raise SlackUnreachable(config.slack_api_url, error) from error
    return BotIdentity(
        team_id=str(answer["team_id"]),
        team_name=str(answer.get("team") or answer["team_id"]),
        bot_token=config.slack_bot_token,
        bot_id=str(answer.get("bot_id") or ""),
        bot_user_id=str(answer["user_id"]),
        enterprise_id=answer.get("enterprise_id"),
    )


@dataclass
class SlackApp:
    app: AsyncApp
    deps: ListenerDeps


def build_slack_app(
    config: AppConfig,
    database: Database,
    inbox: SlackInbox,
    clock: Callable[[], datetime],
    renderers: Renderers,
    *,
    identity: BotIdentity | None,
    socket_mode: bool = False,
) -> SlackApp:
    client = web_client(config)
    common: dict[str, Any] = {
        "client": client,
        "signing_secret": config.slack_signing_secret or "",
        "request_verification_enabled": not socket_mode,
        "raise_error_for_unhandled_request": True,
        "before_authorize": RefuseMalformed(),  # signed (or over the socket), then read: before anything else
        # a listener only records the request, so it finishes before the ack: "acked" means "in the database"
        "process_before_response": True,
    }
    store = None
    if identity is not None:
        app = AsyncApp(authorize=SingleWorkspaceAuthorize(identity), **common)
    else:
        assert config.slack_client_id and config.slack_client_secret
        store = SqlInstallationStore(database, config.slack_client_id)
        settings = AsyncOAuthSettings(
            client_id=config.slack_client_id,
            client_secret=config.slack_client_secret,
            scopes=[scope.name for scope in BOT_SCOPES],
            installation_store=store,
            installation_store_bot_only=True,
            state_store=SqlOAuthStateStore(database, clock),
        )
        app = AsyncApp(
            oauth_flow=InstallFlow(settings=settings),
            authorize=InstallationAuthorize(store),
            installation_store_bot_only=True,
            **common,
        )
    deps = ListenerDeps(
        database=database,
        inbox=inbox,
        renderers=renderers,
        clock=clock,
        installation_store=store,
    )
    register_all(app, deps)

    @app.error
    async def answer_errors(error: Exception, body: dict[str, Any]) -> BoltResponse | None:
        if isinstance(error, BoltUnhandledRequestError):
            return unhandled_answer(renderers.get(), body)
        if isinstance(error, UNAVAILABLE):
            log.warning("a Slack request could not be recorded: the database is unavailable")
            return database_away_answer(renderers.get(), body)
        log.error("Slack request failed: %s", error, exc_info=error)
        return failure_answer(renderers.get(), body)

    return SlackApp(app=app, deps=deps)


class RefuseMalformed(AsyncMiddleware):
    """A signed request that isn't what Slack sends gets 400 and a few words, before it can be recorded.

    A middleware class, not a function: Bolt builds a function's arguments from the body (its first
    action, its event) and would itself trip over the shapes this is here to refuse."""

    async def async_process(
        self, *, req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse | None:
        reason = problem(req.body)
        if reason is not None:
            log.info("refused a malformed Slack request: %s", reason)
            return BoltResponse(status=400, body=f"malformed request: {reason}")
        return await next()


def failure_answer(blocks: BlockKit, body: dict[str, Any]) -> BoltResponse | None:
    """Our own failure, said plainly where Slack shows an answer: privately after a command, next to
    the first field of a form. Nothing was saved, because the unit of work rolled back. Events and
    buttons were acknowledged already; for them the log and the failed-event record are what is left."""
    if body.get("command"):
        response = blocks.ephemeral_response([Outbound(INTERNAL_ERROR, {}, private=True)])
        return BoltResponse(status=200, body=json.dumps(response), headers={"content-type": "application/json"})
    view = body.get("view") or {}
    if body.get("type") == "view_submission" and (view.get("state") or {}).get("values"):
        first_field = next(iter(view["state"]["values"]))
        errors = {first_field: blocks.plain_words.render(INTERNAL_ERROR, {}).text}
        return BoltResponse(
            status=200,
            body=json.dumps({"response_action": "errors", "errors": errors}),
            headers={"content-type": "application/json"},
        )
    return None


def database_away_answer(blocks: BlockKit, body: dict[str, Any]) -> BoltResponse:
    """Nothing could be recorded: the person who typed a command reads why, at once (Slack doesn't
    retry commands); anything else gets 503 at once, which Slack retries (events) or shows as failed
    (buttons), rather than a request left hanging until Slack gives up."""
    if body.get("command"):
        response = blocks.ephemeral_response([Outbound(DATABASE_AWAY, {}, private=True)])
        return BoltResponse(status=200, body=json.dumps(response), headers={"content-type": "application/json"})
    return BoltResponse(status=503, body="database unavailable; try again shortly", headers={"retry-after": "5"})


def unhandled_answer(blocks: BlockKit, body: dict[str, Any]) -> BoltResponse:
    """Something we registered no listener for: a friendly pointer to help for commands, a quiet 200 otherwise."""
    command = body.get("command")
    if not command:
        return BoltResponse(status=200, body="")
    response = blocks.ephemeral_response(
        [Outbound(UNKNOWN_COMMAND, {"command": str(command).lstrip("/")}, private=True)]
    )
    return BoltResponse(status=200, body=json.dumps(response), headers={"content-type": "application/json"})

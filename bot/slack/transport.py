"""Delivering outbox rows to Slack, and turning every Slack answer into sent, retry or failed.

- HTTP 429: wait what ``Retry-After`` says, and hold every other call to the same method in the
  same workspace until then (Slack's limits are per method and workspace);
- HTTP 5xx, connection errors, time-outs and Slack's own transient errors: retry with backoff;
- anything else Slack refuses (``user_not_found``, ``channel_not_found``, ``invalid_auth``, ...)
  will not get better by retrying: the delivery fails with that reason.

The Web API client does no retries of its own here; the outbox owns retrying, durably.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.outbox_sender import Failed, Outcome, RetryLater, Sent
from bot.slack.render import BlockKit, Renderers
from conversations.messages import Platform, outbound_from_dict
from conversations.workspace_settings import load_settings
from storage import outbox
from storage.conversation_store import reference_for, remember_reference
from storage.database import Database
from storage.models import OutboxDelivery, Person, Workspace

log = logging.getLogger(__name__)

TRANSIENT_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited", "team_added_to_org"}
)
DEFAULT_RETRY_AFTER = timedelta(seconds=30)


class DeliveryRefused(Exception):
    """A delivery that can't be made for a reason on our side (no Slack account, no workspace)."""


@dataclass
class RateLimitGate:
    """Per (workspace, method): not before this instant, because Slack said so."""

    clock: Callable[[], datetime]
    closed_until: dict[tuple[str, str], datetime] = field(default_factory=dict)

    def wait_for(self, team_id: str, method: str) -> timedelta | None:
        until = self.closed_until.get((team_id, method))
        if until is None:
            return None
        remaining = until - self.clock()
        if remaining <= timedelta(0):
            del self.closed_until[(team_id, method)]
            return None
        return remaining

    def close(self, team_id: str, method: str, for_: timedelta) -> None:
        until = self.clock() + for_
        key = (team_id, method)
        self.closed_until[key] = max(until, self.closed_until.get(key, until))


def retry_after(response: Any) -> timedelta:
    headers = getattr(response, "headers", None) or {}
    value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return timedelta(seconds=max(1, int(str(value).strip())))
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER


def classify(error: SlackApiError) -> Outcome:
    response = error.response
    if not isinstance(response, AsyncSlackResponse):
        return RetryLater(f"unreadable Slack response: {error}")
    status = response.status_code
    code = response.get("error") if isinstance(response.data, dict) else None
    if status == 429:
        return RetryLater("ratelimited", after=retry_after(response), throttled=True)
    if status >= 500:
        return RetryLater(f"Slack answered HTTP {status}")
    if code in TRANSIENT_ERRORS:
        return RetryLater(str(code))
    return Failed(str(code or f"HTTP {status}"))


class SlackTransport:
    """Sends one outbox row to Slack; needs the bot token of the row's workspace."""

    def __init__(
        self,
        database: Database,
        token_for: Callable[[str], str | None],
        api_url: str,
        clock: Callable[[], datetime],
        renderers: Renderers,
        *,
        timeout_seconds: int = 10,
    ) -> None:
        self.database = database
        self.token_for = token_for
        self.api_url = api_url
        self.timeout_seconds = timeout_seconds
        self.gate = RateLimitGate(clock)
        self.clients: dict[str, AsyncWebClient] = {}
        self.renderers = renderers

    def client(self, token: str) -> AsyncWebClient:
        if token not in self.clients:
            self.clients[token] = AsyncWebClient(
                token=token, base_url=self.api_url, timeout=self.timeout_seconds, retry_handlers=[]
            )
        return self.clients[token]

    async def deliver(self, delivery: OutboxDelivery) -> Outcome:
        spec = delivery.payload.get("slack") or {}
        method = str(spec.get("method", "post_message"))
        with self.database.session_scope() as session:
            workspace = session.get(Workspace, delivery.workspace_id)
            team_id = workspace.external_id if workspace else None
            templates_dir = load_settings(workspace.settings).templates_dir if workspace else None
        if not team_id:
            return Failed("the workspace is not connected to Slack")
        token = self.token_for(team_id)
        if not token:
            return Failed("no bot token for this Slack workspace; install the app again")
        wait = self.gate.wait_for(team_id, method)
        if wait is not None:
            return RetryLater(f"holding {method} for Slack's rate limit", after=wait, throttled=True)
        client = self.client(token)
        try:
            return await self.call(client, method, spec, delivery, self.renderers.get(templates_dir))
        except DeliveryRefused as refused:
            return Failed(str(refused))
        except SlackApiError as error:
            outcome = classify(error)
            if isinstance(outcome, RetryLater) and outcome.throttled and outcome.after is not None:
                self.gate.close(team_id, method, outcome.after)
            return outcome
        except (aiohttp.ClientError, SlackRequestError, TimeoutError) as error:
            return RetryLater(f"could not reach Slack: {type(error).__name__}: {error}")

    async def call(
        self, client: AsyncWebClient, method: str, spec: dict[str, Any], delivery: OutboxDelivery, blocks: BlockKit
    ) -> Outcome:
        outbound = outbound_from_dict(delivery.payload["outbound"])
        if method == "publish_home":
            person = self.person(delivery)
            await client.views_publish(user_id=self.slack_id(person), view=blocks.home(outbound))
            return Sent()
        message = blocks.message(outbound)
        if method == "post_ephemeral":
            person = self.person(delivery)
            response = await client.chat_postEphemeral(
                channel=spec["channel"], user=self.slack_id(person), text=message["text"], blocks=message["blocks"]
            )
            return Sent(str(response.get("message_ts") or ""))
        channel, thread_ts = spec.get("channel"), spec.get("thread_ts")
        if outbound.thread:
            channel, thread_ts = self.thread_of(outbound.thread) or (channel, thread_ts)
        channel = channel or await self.direct_message_channel(client, self.person(delivery))
        response = await client.chat_postMessage(
            channel=channel,
            text=message["text"],
            blocks=message["blocks"],
            thread_ts=thread_ts,
            unfurl_links=False,
            unfurl_media=False,
        )
        return Sent(f"{response.get('channel', channel)}/{response['ts']}")

    def thread_of(self, dedupe_key: str) -> tuple[str, str] | None:
        """Where the earlier message ``dedupe_key`` went (channel and ts), to reply in its thread."""
        with self.database.session_scope() as session:
            earlier = outbox.by_key(session, dedupe_key)
        if earlier is None or not earlier.platform_message_id or "/" not in earlier.platform_message_id:
            return None
        channel, _, ts = earlier.platform_message_id.partition("/")
        return channel, ts

    def person(self, delivery: OutboxDelivery) -> Person:
        if not delivery.recipient.startswith("person:"):
            raise DeliveryRefused(f"recipient {delivery.recipient!r} is not a person")
        with self.database.session_scope() as session:
            person = session.get(Person, int(delivery.recipient.removeprefix("person:")))
        if person is None:
            raise DeliveryRefused("the recipient no longer exists")
        return person

    @staticmethod
    def slack_id(person: Person) -> str:
        if not person.slack_user_id:
            raise DeliveryRefused(f"{person.display_name} has no Slack account linked; run `cadence org sync`")
        return person.slack_user_id

    async def direct_message_channel(self, client: AsyncWebClient, person: Person) -> str:
        """The DM channel with ``person``: remembered from earlier, or opened once and remembered."""
        assert person.id is not None
        with self.database.session_scope() as session:
            reference = reference_for(session, person.id, Platform.SLACK) or {}
        if reference.get("channel"):
            return str(reference["channel"])
        opened = await client.conversations_open(users=self.slack_id(person))
        channel = str(opened["channel"]["id"])
        with self.database.session_scope() as session:
            remember_reference(session, person.workspace_id, person.id, Platform.SLACK, {"channel": channel})
        return channel

"""Delivering outbox rows to Slack, and turning every Slack answer into sent, retry or failed.

- HTTP 429: wait what ``Retry-After`` says, and hold every other call to the same method in the
  same workspace until then (Slack's limits are per method and workspace);
- HTTP 5xx, connection errors, time-outs and Slack's own transient errors: retry with backoff;
- anything else Slack refuses (``user_not_found``, ``channel_not_found``, ``invalid_auth``, ...)
  will not get better by retrying: the delivery fails with that reason.

The outbox owns retrying, durably; the Web API client retries only one thing itself, at once: a
request whose connection ended before any answer came (see ``resend_on_dropped_connection``).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot import data_files
from bot.charts import CHARTS
from bot.outbound_http import proxy_for, ssl_context
from bot.outbox_sender import DeliveryRefused, Failed, Outcome, ReadAhead, RetryLater, Sent, Throttled
from bot.shared_pace import PaceBoard
from bot.slack.render import BlockKit, Renderers
from bot.slack.translate import message_ref, parse_message_ref
from conversations.destinations import (
    ChannelPost,
    CommandAnswer,
    Destination,
    PrivateReply,
    ReplyHere,
    destination_from_dict,
)
from conversations.home import HOME
from conversations.messages import Outbound, Platform, outbound_from_dict
from storage import outbox
from storage.conversation_store import remember_reference
from storage.database import Database
from storage.models import OutboxDelivery, Person
from storage.recipients import Recipients, read_recipients

log = logging.getLogger(__name__)

TRANSIENT_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited", "team_added_to_org"}
)
DEFAULT_RETRY_AFTER = timedelta(seconds=30)


DROPPED_BEFORE_ANSWER: list[type[Exception]] = [
    aiohttp.ServerDisconnectedError,  # the other end closed the (kept-alive) connection: "Server disconnected"
    aiohttp.ClientConnectionResetError,  # the request could not even be written to the connection
    aiohttp.ClientOSError,  # reset by peer, broken pipe, or no connection could be made at all
]
"""Connection errors that mean Slack never answered; timeouts are not among them (see below)."""
RESENDS_AT_ONCE = 2  # after a quiet spell every connection in the pool may be stale, and each fails at once


def resend_on_dropped_connection() -> AsyncConnectionErrorRetryHandler:
    """slack_sdk's connection-error retry handler, limited to what may safely be sent again at once.

    Everything that got an answer (429, 5xx, Slack's own errors) goes back to the outbox, which
    retries durably with backoff and ``Retry-After``, or to the person (a form too late to open).
    The exception is a request whose connection ended before any answer came, most often a
    connection kept alive in the pool that Slack's edge (or a proxy or NAT between) had already
    closed after a quiet spell: aiohttp says "Server disconnected". Any HTTP client sends such a
    request again on a fresh connection; aiohttp does it by itself, but only for idempotent methods,
    and Web API calls are POSTs. Waiting for the outbox instead would cost seconds to minutes, and a
    form would miss its trigger's 3 seconds, so this sends it again at once, without waiting.

    That is safe because a server closes a kept-alive connection when it is idle, before reading
    a request from it, so Slack never acted on the first one. In the rare case where the
    connection broke after Slack acted but before it answered, sending again does no more harm
    than the outbox's own retry of the same error would: a ``trigger_id`` is good for one
    ``views.open``, so no second form opens, and a repeated ``chat.postMessage`` is the risk the
    outbox already takes for connection errors. Time-outs are not sent again at once: that request
    reached Slack, which may still be working on it, and another one would pile on; the outbox
    retries those later.
    """
    return AsyncConnectionErrorRetryHandler(
        max_retry_count=RESENDS_AT_ONCE,
        interval_calculator=FixedValueRetryIntervalCalculator(0.0),
        error_types=DROPPED_BEFORE_ANSWER,
    )


@dataclass
class Pace:
    """What we have learned about one method in one workspace."""

    closed_until: datetime | None = None
    rate: float | None = None  # calls per second we keep to since Slack last said 429
    next_slot: float = 0.0
    recent: deque[float] = field(default_factory=deque)
    last_call: float = 0.0


class RateLimits:
    """Slack's limits are per method and per workspace, and Slack says when one is hit (HTTP 429 with
    ``Retry-After``) rather than what it is. So: hold the method for as long as Slack says, learn
    the rate that was reached (the calls that succeeded in the second before the 429), and from
    then on space calls evenly just under it instead of bursting into the limit again. A pace is
    forgotten after a quiet minute.

    With several replicas under one limit, ``board`` shares what each learned (``bot/shared_pace.py``)
    and each keeps to the mean. A replica's learned rate is then its weight in that mean: a 429 while
    keeping to the shared pace scales its weight down by what got through, so the total stays near
    what the replicas learned together instead of falling to one replica's share.
    """

    FORGET_AFTER = 60.0
    MARGIN = 0.95

    def __init__(
        self,
        clock: Callable[[], datetime],
        *,
        max_inline_wait: timedelta = timedelta(seconds=2),
        board: PaceBoard | None = None,
    ) -> None:
        self.clock = clock
        self.max_inline_wait = max_inline_wait
        self.board = board
        self.paces: dict[tuple[str, str], Pace] = {}

    def pace(self, team_id: str, method: str) -> Pace:
        pace = self.paces.setdefault((team_id, method), Pace())
        if pace.rate is not None and time.monotonic() - pace.last_call > self.FORGET_AFTER:
            pace.rate = None
        return pace

    def kept_rate(self, team_id: str, method: str) -> float | None:
        """Calls per second to keep to now: ours, or the even share of what the replicas learned."""
        own = self.pace(team_id, method).rate
        return own if self.board is None else self.board.even_share(limit_name(team_id, method), own)

    def held_for(self, team_id: str, method: str) -> timedelta | None:
        pace = self.pace(team_id, method)
        if pace.closed_until is None:
            return None
        remaining = pace.closed_until - self.clock()
        if remaining <= timedelta(0):
            pace.closed_until = None
            return None
        return remaining

    async def before(self, team_id: str, method: str) -> None:
        """Wait for this call's turn; raises Throttled when the wait is too long to hold a sender."""
        held = self.held_for(team_id, method)
        if held is not None:
            if held > self.max_inline_wait:
                raise Throttled(held, "Slack's rate limit")
            await asyncio.sleep(held.total_seconds())
        pace = self.pace(team_id, method)
        rate = self.kept_rate(team_id, method)
        if rate is not None:
            now = time.monotonic()
            slot = max(pace.next_slot, now)
            pace.next_slot = slot + 1.0 / rate
            if slot > now:
                await asyncio.sleep(slot - now)

    def succeeded(self, team_id: str, method: str) -> None:
        pace = self.pace(team_id, method)
        now = pace.last_call = time.monotonic()
        pace.recent.append(now)
        while pace.recent and pace.recent[0] < now - 1.0:
            pace.recent.popleft()
        if self.board is not None and pace.rate is not None:
            self.board.keeping(limit_name(team_id, method), pace.rate)

    def limited(self, team_id: str, method: str, retry_after: timedelta) -> None:
        already_held = self.held_for(team_id, method) is not None  # one more refusal of the same burst
        pace = self.pace(team_id, method)
        until = self.clock() + retry_after
        pace.closed_until = max(until, pace.closed_until or until)
        now = time.monotonic()
        pace.next_slot = now + retry_after.total_seconds()
        if already_held:
            return
        reached = sum(1 for at in pace.recent if at >= now - 1.0)
        kept = self.kept_rate(team_id, method)
        if pace.rate is None or kept is None:
            learned = max(1.0, reached * self.MARGIN) if reached else max(1.0, (pace.rate or 2.0) / 2)
        else:
            learned = max(1.0, pace.rate * min(self.MARGIN, reached * self.MARGIN / kept) if reached else pace.rate / 2)
        pace.rate = learned
        if self.board is not None:
            self.board.learned(limit_name(team_id, method), learned)


def limit_name(team_id: str, method: str) -> str:
    """How replicas name one of Slack's limits to each other: a method, in a workspace."""
    return f"slack:{team_id}:{method}"


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


class PacedApi:
    """Web API calls for one workspace, each waiting its turn under its method's rate limit."""

    def __init__(self, client: AsyncWebClient, team_id: str, limits: RateLimits) -> None:
        self.client = client
        self.team_id = team_id
        self.limits = limits

    async def __call__(self, method: str, **arguments: Any) -> AsyncSlackResponse:
        await self.limits.before(self.team_id, method)
        try:
            response = await getattr(self.client, method.replace(".", "_"))(**arguments)
        except SlackApiError as error:
            if isinstance(error.response, AsyncSlackResponse) and error.response.status_code == 429:
                self.limits.limited(self.team_id, method, retry_after(error.response))
            raise
        self.limits.succeeded(self.team_id, method)
        return response


@dataclass(frozen=True)
class Addressee:
    """What a delivery needs from the database: its workspace's team and templates, for a person
    their row, Slack id and the DM channel we already know, and the Slack ids of everyone the
    message mentions."""

    team_id: str | None
    templates_dir: str | None
    person: Person | None = None
    slack_user: str | None = None
    dm_channel: str | None = None
    mentioned: Mapping[int, str] = field(default_factory=dict)

    def recipient(self) -> Person:
        if self.person is None:
            raise DeliveryRefused("the recipient no longer exists, or the message is for no one person")
        return self.person

    def slack_id(self) -> str:
        person = self.recipient()
        if not self.slack_user:
            raise DeliveryRefused(f"{person.display_name} has no Slack account linked; run `cadence org sync`")
        return self.slack_user


def addressee_of(delivery: OutboxDelivery, destination: Destination, known: Recipients) -> Addressee:
    if delivery.workspace_id not in known.workspaces:
        return Addressee(None, None)
    addressee = Addressee(
        known.external_id(delivery.workspace_id),
        known.templates_dir(delivery.workspace_id),
        mentioned=known.mentioned(delivery),
    )
    person = known.reader(destination)
    if person is None or person.id is None:
        return addressee
    channel = known.references.get(person.id, {}).get("channel")
    return replace(
        addressee,
        person=person,
        slack_user=known.identities.get(person.id),
        dm_channel=str(channel) if channel else None,
    )


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
        board: PaceBoard | None = None,
    ) -> None:
        """``board``: the pace this replica and the others keep to under each limit (none: alone)."""
        self.database = database
        self.token_for = token_for
        self.api_url = api_url
        self.timeout_seconds = timeout_seconds
        self.clock = clock
        self.limits = RateLimits(clock, board=board)
        self.clients: dict[str, AsyncWebClient] = {}
        self.renderers = renderers
        self.http: aiohttp.ClientSession | None = None
        self.http_loop: asyncio.AbstractEventLoop | None = None
        self.tls: ssl.SSLContext | None = None
        self.proxies: dict[str, str | None] = {}
        self.addressees = ReadAhead(self.look_up_all)

    def tls_context(self) -> ssl.SSLContext:
        """Built once: loading the trusted certificates costs about 10 ms, more than answering a command."""
        if self.tls is None:
            self.tls = ssl_context()
        return self.tls

    def session(self) -> aiohttp.ClientSession:
        """The one HTTP session every call shares (slack_sdk otherwise opens one per call), per event loop."""
        loop = asyncio.get_running_loop()
        if self.http is None or self.http.closed or self.http_loop is not loop:
            self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout_seconds))
            self.http_loop = loop
            self.clients.clear()
        return self.http

    def client(self, token: str) -> AsyncWebClient:
        """One client per bot token, all on the shared HTTP session; it sends a request again at once
        only when its connection dropped before Slack answered (``resend_on_dropped_connection``)."""
        session = self.session()
        if token not in self.clients:
            client = AsyncWebClient(
                token=token,
                base_url=self.api_url,
                timeout=self.timeout_seconds,
                ssl=self.tls_context(),
                retry_handlers=[resend_on_dropped_connection()],
                session=session,
            )
            client.proxy = proxy_for(self.api_url)  # slack_sdk reads HTTPS_PROXY itself, but not NO_PROXY
            self.clients[token] = client
        return self.clients[token]

    def proxy_for(self, url: str) -> str | None:
        """The proxy for ``url``'s host, read from the environment once per host: every answer goes to a
        response URL of its own, and reading the proxy settings anew cost a tenth of the answer."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self.proxies:
            self.proxies[origin] = proxy_for(url)
        return self.proxies[origin]

    async def close(self) -> None:
        if self.http is not None and not self.http.closed:
            await self.http.close()

    async def deliver(self, delivery: OutboxDelivery) -> Outcome:
        """Map the delivery's destination and kind to Slack's API: a command's answer through its
        ``response_url``, a private reply as an ephemeral message, a Home view with ``views.publish``,
        a chart or a file (a person's data) uploaded to the person's direct messages, anything else
        as a message where it belongs."""
        outbound = outbound_from_dict(delivery.payload["outbound"])
        destination = destination_from_dict(delivery.payload["destination"])
        addressee = await self.addressees.take(delivery)
        if not addressee.team_id:
            return Failed("the workspace is not connected to Slack")
        blocks = self.renderers.get(addressee.templates_dir)
        try:
            uploaded = outbound.kind in CHARTS or outbound.kind in data_files.DATA_FILES
            if isinstance(destination, CommandAnswer) and not uploaded:
                answer = blocks.ephemeral_response([outbound], addressee.mentioned)
                return await self.respond(destination.reply_to, answer)
            api = self.api(addressee.team_id)
            return await self.call(api, outbound, destination, addressee, blocks)
        except DeliveryRefused as refused:
            return Failed(str(refused))
        except Throttled as throttled:
            return RetryLater(str(throttled), after=throttled.wait, throttled=True)
        except SlackApiError as error:
            return classify(error)
        except (aiohttp.ClientError, SlackRequestError, TimeoutError) as error:
            return RetryLater(f"could not reach Slack: {type(error).__name__}: {error}")

    async def prepare(self, deliveries: Sequence[OutboxDelivery]) -> None:
        """Read what the batch about to go out needs, in one unit of work for all of it."""
        await self.addressees.prepare(deliveries)

    def look_up_all(self, deliveries: Sequence[OutboxDelivery]) -> dict[int | None, Addressee]:
        """Where each delivery goes and what its message needs (``storage/recipients.py``), by delivery id."""
        addressed = [(delivery, destination_from_dict(delivery.payload["destination"])) for delivery in deliveries]
        with self.database.session_scope() as session:
            known = read_recipients(session, Platform.SLACK, addressed)
        return {delivery.id: addressee_of(delivery, destination, known) for delivery, destination in addressed}

    def api(self, team_id: str) -> PacedApi:
        """Web API calls as the bot of ``team_id``, paced under Slack's rate limits."""
        token = self.token_for(team_id)
        if not token:
            raise DeliveryRefused("no bot token for this Slack workspace; install the app again")
        return PacedApi(self.client(token), team_id, self.limits)

    async def respond(self, response_url: str, body: dict[str, Any]) -> Outcome:
        """Answer a slash command through its ``response_url`` (valid for 30 minutes, 5 answers)."""
        webhook = AsyncWebhookClient(
            response_url,
            timeout=self.timeout_seconds,
            ssl=self.tls_context(),
            session=self.session(),
            retry_handlers=[resend_on_dropped_connection()],
        )
        webhook.proxy = self.proxy_for(response_url)
        answer = await webhook.send_dict(body)
        if answer.status_code == 200:
            return Sent()
        if answer.status_code == 429:
            return RetryLater("ratelimited", after=retry_after(answer), throttled=True)
        if answer.status_code >= 500:
            return RetryLater(f"Slack answered HTTP {answer.status_code}")
        return Failed(f"response_url refused: {answer.body or answer.status_code}")

    async def call(
        self, api: PacedApi, outbound: Outbound, destination: Destination, addressee: Addressee, blocks: BlockKit
    ) -> Outcome:
        if outbound.kind == HOME:
            view = blocks.home(outbound, addressee.mentioned)
            await api("views.publish", user_id=addressee.slack_id(), view=view)
            return Sent()
        if outbound.kind in data_files.DATA_FILES:  # built now, for whoever it goes to: never held in the outbox
            built = await asyncio.to_thread(data_files.build, self.database, outbound, destination, self.clock())
            channel = await self.direct_message_channel(api, addressee)
            caption = blocks.message(built.caption, addressee.mentioned)["text"]
            response = await api(
                "files.upload_v2",
                channel=channel,
                content=built.content,
                filename=built.name,
                title=built.name,
                initial_comment=caption,
            )
            return Sent(str((response.get("file") or {}).get("id") or ""))
        if outbound.kind in CHARTS:  # a command's chart too: a response_url can't carry a file
            drawing = CHARTS[outbound.kind]
            channel = await self.direct_message_channel(api, addressee)
            caption = blocks.message(outbound, addressee.mentioned)["text"]
            response = await api(
                "files.upload_v2",
                channel=channel,
                content=drawing.render(outbound.data),
                filename=f"cadence-{drawing.file_stem(outbound.data)}.png",
                title=caption,
                initial_comment=caption,
            )
            return Sent(str((response.get("file") or {}).get("id") or ""))
        message = blocks.message(outbound, addressee.mentioned)
        if isinstance(destination, PrivateReply):
            response = await api(
                "chat.postEphemeral",
                channel=destination.conversation,
                user=addressee.slack_id(),
                text=message["text"],
                blocks=message["blocks"],
            )
            return Sent(str(response.get("message_ts") or ""))
        channel, thread_ts = None, None
        if isinstance(destination, ReplyHere):
            channel = destination.conversation
        elif isinstance(destination, ChannelPost):
            channel = destination.channel
        if outbound.thread:
            channel, thread_ts = self.thread_of(outbound.thread) or (channel, thread_ts)
        channel = channel or await self.direct_message_channel(api, addressee)
        response = await api(
            "chat.postMessage",
            channel=channel,
            text=message["text"],
            blocks=message["blocks"],
            thread_ts=thread_ts,
            unfurl_links=False,
            unfurl_media=False,
        )
        return Sent(message_ref(str(response.get("channel", channel)), str(response["ts"])))

    def thread_of(self, dedupe_key: str) -> tuple[str, str] | None:
        """Where the earlier message ``dedupe_key`` went (channel and ts), to reply in its thread."""
        with self.database.session_scope() as session:
            earlier = outbox.by_key(session, dedupe_key)
        return parse_message_ref(earlier.platform_message_id) if earlier and earlier.platform_message_id else None

    async def direct_message_channel(self, api: PacedApi, addressee: Addressee) -> str:
        """The DM channel with the recipient: remembered from earlier, or opened once and remembered."""
        person = addressee.recipient()
        if addressee.dm_channel:
            return addressee.dm_channel
        opened = await api("conversations.open", users=addressee.slack_id())
        channel = str(opened["channel"]["id"])
        await asyncio.to_thread(self.remember_channel, person, channel)
        return channel

    def remember_channel(self, person: Person, channel: str) -> None:
        assert person.id is not None
        with self.database.session_scope() as session:
            remember_reference(session, person.workspace_id, person.id, Platform.SLACK, {"channel": channel})

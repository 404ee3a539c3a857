"""Delivering outbox rows to Teams through the Bot Connector, and turning every answer into sent,
retry or failed.

- Teams' limits (about 50 requests a second per app and tenant; 7 a second and 60 in 30 seconds per
  conversation) are kept to by spacing calls before they are made; a 429 holds the conversation for
  its ``Retry-After`` (or backs off when there is none);
- 412 (the conversation is busy), 5xx, connection errors and time-outs: retry with backoff;
- 403 and 404 (the person removed Cadence, the chat is gone) won't get better: failed, with why.

A direct message to someone goes to their chat with Cadence; for someone who never wrote, the chat
is created first (``POST /v3/conversations``) and remembered, once. Teams has no private replies in
a channel, so those go to the person's chat too. A file (a person's data) always goes to that chat,
as a consent card first; once accepted, its upload is a delivery of its own (``bot/teams/files.py``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import httpx
from microsoft_teams.api import MessageActivityInput
from microsoft_teams.api.clients.conversation.params import CreateConversationParams
from msal.exceptions import MsalError
from sqlmodel import Session

from bot import data_files
from bot.charts import CHARTS, compact_png
from bot.outbox_sender import DeliveryRefused, Failed, Outcome, ReadAhead, RetryLater, Sent, Throttled
from bot.shared_pace import PaceBoard
from bot.teams import files
from bot.teams.cards import AdaptiveCards, Card, Renderers
from bot.teams.sdk import TeamsSdk
from bot.teams.side import channel_named, channel_names, open_chat, service_url_of
from bot.teams.translate import FILE_CONTEXT, message_ref
from conversations.destinations import ChannelPost, Destination, ReplyHere, destination_from_dict
from conversations.messages import Outbound, Platform, outbound_from_dict
from storage.conversation_store import remember_reference
from storage.database import Database
from storage.models import OutboxDelivery, Person
from storage.recipients import Recipients, read_recipients

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({408, 412, 429, 500, 502, 503, 504})
GONE_STATUSES = {
    403: "Teams refused it (403): the person removed Cadence, or Cadence may not write there",
    404: "the chat is gone (404): the person removed Cadence, or the conversation was deleted",
}


@dataclass
class Window:
    """Calls in one rolling window: at most ``limit`` in ``seconds``."""

    limit: int
    seconds: float
    calls: deque[float] = field(default_factory=deque)

    def wait(self, now: float) -> float:
        while self.calls and self.calls[0] <= now - self.seconds:
            self.calls.popleft()
        return 0.0 if len(self.calls) < self.limit else self.calls[0] + self.seconds - now

    def take(self, now: float) -> None:
        self.calls.append(now)


class TeamsLimits:
    """Teams says what its limits are, so they are kept to before a call rather than learnt from
    429s: per tenant (the app's share of the Bot Connector) and per conversation. A conversation held
    by a 429 waits for as long as Teams said. The tenant's budget is the app's, whatever the number
    of replicas: with ``board`` (``bot/shared_pace.py``) each replica sending to a tenant says so, and
    keeps to its part of the budget."""

    def __init__(
        self,
        clock: Callable[[], datetime],
        *,
        per_tenant: int = 50,
        max_inline_wait: timedelta = timedelta(seconds=2),
        monotonic: Callable[[], float] = time.monotonic,
        board: PaceBoard | None = None,
    ) -> None:
        self.clock = clock
        self.per_tenant = per_tenant
        self.board = board
        self.max_inline_wait = max_inline_wait
        self.monotonic = monotonic
        self.tenants: dict[str, Window] = {}
        self.conversations: dict[str, tuple[Window, Window]] = {}
        self.held_until: dict[str, datetime] = {}

    def windows(self, tenant: str, conversation: str | None) -> tuple[Window, ...]:
        tenant_window = self.tenants.setdefault(tenant, Window(self.per_tenant, 1.0))
        if self.board is not None:
            limit = f"teams:{tenant}"
            self.board.keeping(limit, float(self.per_tenant))
            tenant_window.limit = max(1, self.per_tenant // self.board.sending(limit))
        if conversation is None:
            return (tenant_window,)
        second, half_minute = self.conversations.setdefault(conversation, (Window(7, 1.0), Window(60, 30.0)))
        return tenant_window, second, half_minute

    async def before(self, tenant: str, conversation: str | None = None) -> None:
        """Wait for this call's turn; ``Throttled`` when that is too long to hold a sender. A call in no
        conversation yet (creating a chat) counts against the tenant only."""
        held = self.held_until.get(conversation) if conversation is not None else None
        if held is not None:
            remaining = held - self.clock()
            if remaining > self.max_inline_wait:
                raise Throttled(remaining, "Teams' rate limit")
            if remaining > timedelta(0):
                await asyncio.sleep(remaining.total_seconds())
            self.held_until.pop(str(conversation), None)
        windows = self.windows(tenant, conversation)
        while True:
            now = self.monotonic()
            wait = max(window.wait(now) for window in windows)
            if wait <= 0:
                break
            if wait > self.max_inline_wait.total_seconds():
                raise Throttled(timedelta(seconds=wait), "Teams' rate limit")
            await asyncio.sleep(wait)
        for window in windows:
            window.take(now)

    def limited(self, conversation: str, retry_after: timedelta) -> None:
        until = self.clock() + retry_after
        self.held_until[conversation] = max(until, self.held_until.get(conversation, until))


def retry_after(response: httpx.Response) -> timedelta | None:
    value = response.headers.get("retry-after")
    try:
        return timedelta(seconds=max(1.0, float(str(value).strip())))
    except (TypeError, ValueError):
        return None


def classify(error: httpx.HTTPStatusError) -> Outcome:
    status = error.response.status_code
    if status == 429:
        return RetryLater("Teams answered 429 (too many requests)", after=retry_after(error.response), throttled=True)
    if status in RETRYABLE_STATUSES:
        return RetryLater(f"Teams answered HTTP {status}")
    return Failed(GONE_STATUSES.get(status) or f"Teams refused it: HTTP {status} {_error_code(error.response)}".strip())


def _error_code(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, Mapping) else None
    return str(error.get("code") or "") if isinstance(error, Mapping) else ""


@dataclass(frozen=True)
class Addressee:
    """What a delivery needs from the database: the tenant, its templates and Bot Connector, for a
    person their Entra id and chat with Cadence, and the Teams ids of everyone the message mentions."""

    tenant: str | None
    templates_dir: str | None
    service_url: str | None
    person: Person | None = None
    teams_user: str | None = None
    chat: Mapping[str, Any] | None = None
    mentioned: Mapping[int, str] = field(default_factory=dict)
    channel: str | None = None  # the id of the channel a ChannelPost names, when it names one by name
    channel_names: tuple[str, ...] = ()

    def recipient(self) -> Person:
        if self.person is None:
            raise DeliveryRefused("the recipient no longer exists, or the message is for no one person")
        return self.person


class TeamsTransport:
    def __init__(
        self,
        database: Database,
        sdk: TeamsSdk,
        clock: Callable[[], datetime],
        renderers: Renderers,
        *,
        default_service_url: str,
        limits: TeamsLimits | None = None,
    ) -> None:
        self.database = database
        self.sdk = sdk
        self.renderers = renderers
        self.default_service_url = default_service_url
        self.clock = clock
        self.limits = limits or TeamsLimits(clock)
        self.created: dict[int, asyncio.Future[Mapping[str, Any]]] = {}
        self.addressees = ReadAhead(self.look_up_all)

    async def close(self) -> None:
        """The SDK's HTTP client lives as long as the process."""

    async def deliver(self, delivery: OutboxDelivery) -> Outcome:
        outbound = outbound_from_dict(delivery.payload["outbound"])
        destination = destination_from_dict(delivery.payload["destination"])
        addressee = await self.addressees.take(delivery)
        if not addressee.tenant:
            return Failed("the organisation is not connected to Teams")
        cards = self.renderers.get(addressee.templates_dir)
        is_file = outbound.kind in data_files.DATA_FILES or outbound.kind == files.FILE_UPLOAD
        activity = None if is_file else (await self.card(outbound, addressee, cards)).activity()
        conversation = ""
        try:
            if activity is None:
                chat = await self.chat_of(addressee)  # files go to the person's own chat, wherever asked
                conversation = str(chat["conversation"])
                service_url = str(chat.get("service_url") or addressee.service_url or self.default_service_url)
                activity = await self.file_activity(delivery, outbound, destination, cards)
            else:
                conversation, service_url = await self.conversation_for(destination, addressee)
            activity_id = await self.send(addressee.tenant, service_url, conversation, activity)
            return Sent(message_ref(conversation, activity_id))
        except DeliveryRefused as refused:
            return Failed(str(refused))
        except Throttled as throttled:
            return RetryLater(str(throttled), after=throttled.wait, throttled=True)
        except httpx.HTTPStatusError as error:
            if error.response.status_code == 429:
                self.limits.limited(conversation, retry_after(error.response) or timedelta(seconds=2))
            return classify(error)
        except (httpx.TransportError, TimeoutError) as error:
            return RetryLater(f"could not reach Teams: {type(error).__name__}: {error}")
        except (ValueError, MsalError, OSError) as error:  # signing in: Microsoft's login refused or unreachable
            return RetryLater(f"could not sign in to Microsoft: {type(error).__name__}: {error}")

    async def card(self, outbound: Outbound, addressee: Addressee, cards: AdaptiveCards) -> Card:
        if outbound.form is not None:
            return cards.form(outbound.form)
        if outbound.kind in CHARTS:
            drawing = CHARTS[outbound.kind]
            png = await asyncio.to_thread(lambda: compact_png(drawing.render(outbound.data)))
            return cards.message(outbound, addressee.mentioned, image=png)
        return cards.message(outbound, addressee.mentioned)

    async def file_activity(
        self, delivery: OutboxDelivery, outbound: Outbound, destination: Destination, cards: AdaptiveCards
    ) -> dict[str, Any]:
        """A file's consent card (its context names this delivery); or, for an accepted one, the file
        built afresh and put in the person's OneDrive, then its info card."""
        if outbound.kind != files.FILE_UPLOAD:
            built = await asyncio.to_thread(data_files.build, self.database, outbound, destination, self.clock())
            context = {FILE_CONTEXT: delivery.dedupe_key}
            return cards.file_consent(built.caption, built.name, len(built.content), context)
        asked = await asyncio.to_thread(self.asked_file, str(outbound.data["asked_by"]), delivery.workspace_id)
        if asked is None:
            raise DeliveryRefused("the file asked for is no longer there to send (its person was erased)")
        asked_outbound, asked_destination = asked
        built = await asyncio.to_thread(
            data_files.build, self.database, asked_outbound, asked_destination, self.clock()
        )
        upload = outbound.data["upload"]
        await files.put_file(str(upload["upload_url"]), built.content)
        return cards.file_info(upload, cards.plain_words.render(built.caption.kind, built.caption.data).title)

    def asked_file(self, key: str, workspace_id: int) -> tuple[Outbound, Destination] | None:
        with self.database.session_scope() as session:
            asked = files.asked_file(session, key, workspace_id)
            if asked is None:
                return None
            return outbound_from_dict(asked.payload["outbound"]), destination_from_dict(asked.payload["destination"])

    async def prepare(self, deliveries: Sequence[OutboxDelivery]) -> None:
        """Read what the batch about to go out needs, in one unit of work for all of it."""
        await self.addressees.prepare(deliveries)

    def look_up_all(self, deliveries: Sequence[OutboxDelivery]) -> dict[int | None, Addressee]:
        """Where each delivery goes and what its message needs (``storage/recipients.py``), by delivery id."""
        addressed = [(delivery, destination_from_dict(delivery.payload["destination"])) for delivery in deliveries]
        with self.database.session_scope() as session:
            known = read_recipients(session, Platform.TEAMS, addressed)
            tenant_urls: dict[int, str | None] = {}
            return {
                delivery.id: self.addressee_of(session, delivery, destination, known, tenant_urls)
                for delivery, destination in addressed
            }

    @staticmethod
    def addressee_of(
        session: Session,
        delivery: OutboxDelivery,
        destination: Destination,
        known: Recipients,
        tenant_urls: dict[int, str | None],
    ) -> Addressee:
        """``tenant_urls``: each organisation's Bot Connector, read once for the batch when a delivery needs it."""
        workspace_id = delivery.workspace_id
        if workspace_id not in known.workspaces:
            return Addressee(None, None, None)
        addressee = Addressee(
            known.external_id(workspace_id),
            known.templates_dir(workspace_id),
            None,
            mentioned=known.mentioned(delivery),
        )
        person = known.reader(destination)
        chat = open_chat(known.references.get(person.id)) if person is not None and person.id is not None else None
        if chat is not None and chat.get("service_url"):
            addressee = replace(addressee, service_url=str(chat["service_url"]))
        else:  # a channel, or someone whose chat is still to be created: the tenant's Bot Connector
            if workspace_id not in tenant_urls:
                tenant_urls[workspace_id] = service_url_of(session, workspace_id)
            addressee = replace(addressee, service_url=tenant_urls[workspace_id])
        if isinstance(destination, ChannelPost) and not destination.channel.startswith("19:"):
            return replace(
                addressee,
                channel=channel_named(session, workspace_id, destination.channel),
                channel_names=tuple(channel_names(session, workspace_id)),
            )
        if person is None or person.id is None:
            return addressee
        return replace(addressee, person=person, teams_user=known.identities.get(person.id), chat=chat)

    async def conversation_for(self, destination: Destination, addressee: Addressee) -> tuple[str, str]:
        """Where the message goes, and the Bot Connector that serves it."""
        service_url = addressee.service_url or self.default_service_url
        if isinstance(destination, ReplyHere) and (addressee.chat is None or destination.person_id is None):
            return destination.conversation, service_url
        if isinstance(destination, ChannelPost):
            if destination.channel.startswith("19:"):
                return destination.channel, service_url
            if addressee.channel is None:
                known = ", ".join(addressee.channel_names) or "none yet: add Cadence to a team"
                raise DeliveryRefused(
                    f"no channel {destination.channel!r} in the teams Cadence was added to (it knows: {known}); "
                    "name one of those, or give the channel's id from Get link to channel (19:…@thread.tacv2)"
                )
            return addressee.channel, service_url
        chat = await self.chat_of(addressee)
        return str(chat["conversation"]), str(chat.get("service_url") or service_url)

    async def chat_of(self, addressee: Addressee) -> Mapping[str, Any]:
        """The recipient's chat with Cadence: known, or created once (concurrent sends to someone
        new share one creation) and remembered."""
        person = addressee.recipient()
        if addressee.chat is not None:
            return addressee.chat
        if not addressee.teams_user:
            raise DeliveryRefused(
                f"{person.display_name} has no Teams account linked; add their teams_id to the org file"
            )
        assert person.id is not None and addressee.tenant is not None
        pending = self.created.get(person.id)
        if pending is None:
            pending = asyncio.ensure_future(self.create_chat(person, addressee))
            self.created[person.id] = pending
        try:
            return await pending
        finally:
            if pending.done():
                self.created.pop(person.id, None)

    async def create_chat(self, person: Person, addressee: Addressee) -> Mapping[str, Any]:
        assert addressee.tenant is not None and addressee.teams_user is not None and person.id is not None
        service_url = addressee.service_url or self.default_service_url
        await self.limits.before(addressee.tenant)  # a chat being created is in no conversation yet
        params = CreateConversationParams.model_validate(
            {
                "members": [{"id": addressee.teams_user}],
                "tenantId": addressee.tenant,
                "isGroup": False,
                "bot": {"id": f"28:{self.sdk.app_id}"},
                "channelData": {"tenant": {"id": addressee.tenant}},
            }
        )
        created = await self.sdk.client_for(service_url).conversations.create(params)
        chat = {"conversation": created.id, "service_url": service_url, "tenant": addressee.tenant, "user_key": ""}
        with self.database.session_scope() as session:
            remember_reference(session, person.workspace_id, person.id, Platform.TEAMS, chat)
        return chat

    async def send(self, tenant: str, service_url: str, conversation: str, activity: Mapping[str, Any]) -> str:
        await self.limits.before(tenant, conversation)
        activity = MessageActivityInput.model_validate(dict(activity))
        sent = await self.sdk.client_for(service_url).conversations.create_activity(conversation, activity)
        return str(sent.id)

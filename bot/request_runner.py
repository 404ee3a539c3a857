"""Running one request through the engine, in one unit of work, whatever platform it came from.

Everything a request changes (conversation state, domain changes, the messages it owes, the inbox
row saying it was handled) commits together; then the outbox sender is woken to deliver. Each
message gets a typed destination from one addressing step (``conversations.destinations.address``)
and goes to one platform: a reply to where the request came from, a message to someone else to
the platform that person is reached on. A platform's adapter contributes only what is its own:
how a request's organisation is found, and what to keep for proactive messages (its conversation
reference) the first time someone writes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlmodel import Session

from bot.polling import Sender
from conversations.destinations import ChannelPost, CommandAnswer, Destination, PrivateReply, ReplyHere, address
from conversations.flow import Flow
from conversations.messages import (
    COMMAND_CHOICE,
    FORM_ERRORS,
    FORM_NEEDS_A_CLICK,
    Actor,
    Choice,
    ConfiguredChannel,
    Form,
    Inbound,
    Outbound,
    Platform,
)
from conversations.workspace_settings import load_settings
from storage import connections, inbox, outbox
from storage.database import Database
from storage.flow_bindings import engine_for
from storage.models import InboxRequest, Person, Workspace
from storage.reach import EVERY_PLATFORM, ORDER, platform_of


class PlatformSide(Protocol):
    """What the runner needs from a platform adapter."""

    platform: Platform

    def organisation(self, session: Session, inbound: Inbound) -> Workspace:
        """The organisation a request belongs to (connecting it, where the platform's rules allow)."""
        ...

    def remember(self, session: Session, workspace_id: int, actor: Actor, inbound: Inbound) -> None:
        """Keep what a later proactive message to this person needs on this platform."""
        ...


ANSWERS = (CommandAnswer, ReplyHere, PrivateReply)
"""Where a request's author reads its reply, which they are waiting for: sent ahead of the queue."""


@dataclass
class Handled:
    """What the platform still does itself after the unit of work: open forms, show form problems."""

    forms: list[Outbound] = field(default_factory=list)  # messages whose form the platform opens
    form_errors: Outbound | None = None
    templates_dir: str | None = None
    answers: list[str] = field(default_factory=list)  # the dedupe keys of the replies to its author: sent first


def form_offer(form: Form, inbound: Inbound) -> Outbound:
    """A button that runs the typed command again, now from a click (Slack opens forms only from one)."""
    command = " ".join(part for part in (inbound.command or "", inbound.text) if part)
    return Outbound(
        FORM_NEEDS_A_CLICK, {"title": form.title}, (Choice(form.title, f"{COMMAND_CHOICE}{command}", "primary"),)
    )


class Deliveries:
    """The engine's channel for one request: where each message goes, written to the outbox at the end."""

    def __init__(
        self,
        session: Session,
        workspace: Workspace,
        side: PlatformSide,
        key: str,
        now: datetime,
        *,
        serving: Collection[Platform],
        command_answer: str | None = None,
        forms_open: bool = True,
        forms_in_conversation: bool = False,
    ) -> None:
        assert workspace.id is not None
        self.session = session
        self.workspace_id = workspace.id
        self.side = side
        self.key = key
        self.now = now
        self.serving = serving
        self.command_answer = command_answer
        self.forms_open = forms_open
        self.forms_in_conversation = forms_in_conversation
        self.handled = Handled(templates_dir=load_settings(workspace.settings).templates_dir)
        self.rows: list[dict[str, Any]] = []
        self.connected: set[Platform] | None = None  # read on first need, once per request

    def send(self, inbound: Inbound, messages: Sequence[Outbound]) -> None:
        if inbound.actor is not None:
            self.noticed(inbound.actor, inbound)
        for index, message in enumerate(messages):
            if message.kind == FORM_ERRORS:
                self.handled.form_errors = message
            elif message.form is not None and self.forms_open and not self.forms_in_conversation:
                self.handled.forms.append(message)
            else:
                if message.form is not None and not self.forms_in_conversation:
                    message = form_offer(message.form, inbound)  # no form can open here: offer a button that can
                if message.to_configured_channel is not None:
                    self.post_in_configured_channel(index, message, message.to_configured_channel, inbound)
                    continue
                destination = address(message, inbound, command_answer=self.command_answer)
                if destination is not None:
                    self.enqueue(index, message, destination, self.platform_for(destination, inbound))

    def noticed(self, actor: Actor, inbound: Inbound) -> None:
        """Someone wrote: remember the platform they use and what reaching them there needs."""
        person = self.session.get(Person, actor.person_id)
        if person is not None and person.last_platform != inbound.platform:
            person.last_platform = inbound.platform
            self.session.add(person)
        self.side.remember(self.session, self.workspace_id, actor, inbound)

    def platform_for(self, destination: Destination, inbound: Inbound) -> Platform:
        """A reply goes back where the request came from; a message to someone else to their platform."""
        actor_id = inbound.actor.person_id if inbound.actor else None
        person_id = getattr(destination, "person_id", None)
        if person_id is None or person_id == actor_id:
            return inbound.platform
        person = self.session.get(Person, person_id)
        if person is None:
            return inbound.platform
        return platform_of(self.session, person, self.in_play(), connected=True) or inbound.platform

    def in_play(self) -> set[Platform]:
        """The platforms the organisation is connected to that this process serves."""
        if self.connected is None:
            self.connected = connections.platforms_of(self.session, self.workspace_id)
        return self.connected & set(self.serving)

    def post_in_configured_channel(
        self, index: int, message: Outbound, channel: ConfiguredChannel, inbound: Inbound
    ) -> None:
        """One post on each platform in play that the settings name a channel on (a kudos card is seen
        in Slack's #kudos and in the Teams channel alike)."""
        in_play = self.in_play() | {inbound.platform}
        for platform in ORDER:
            name = channel.on(platform)
            if platform in in_play and name:
                suffix = "" if platform == inbound.platform else f":{platform.value}"
                self.enqueue(index, message, ChannelPost(name), platform, suffix)

    def enqueue(
        self, index: int, message: Outbound, destination: Destination, platform: Platform, suffix: str = ""
    ) -> None:
        key = f"{self.key}:{index}{suffix}"
        if isinstance(destination, ANSWERS):
            self.handled.answers.append(key)
        self.rows.append(
            outbox.message_row(
                workspace_id=self.workspace_id,
                platform=platform,
                message=message,
                destination=destination,
                dedupe_key=key,
                not_before=self.now,
            )
        )

    def flush(self) -> None:
        """Write every delivery this request owes, in one statement."""
        outbox.enqueue_many(self.session, self.rows)
        self.rows.clear()


class RequestRunner:
    """What every platform's inbox handler (and the shell) uses to turn an ``Inbound`` into state,
    changes and deliveries, in one commit."""

    def __init__(
        self,
        database: Database,
        flows: Sequence[Flow],
        sender: Sender,
        clock: Callable[[], datetime],
        serving: Collection[Platform] = EVERY_PLATFORM,
    ) -> None:
        self.database = database
        self.flows = tuple(flows)
        self.sender = sender
        self.clock = clock
        self.serving = serving

    def handle(
        self,
        side: PlatformSide,
        inbound: Inbound,
        key: str,
        *,
        command_answer: str | None = None,
        forms_open: bool = True,
        forms_in_conversation: bool = False,
        request: InboxRequest | None = None,
        now: datetime | None = None,
    ) -> Handled:
        """Run ``inbound`` through the engine; ``request`` is the inbox row it came from, marked done in
        the same commit; ``command_answer`` the platform's handle for answering a command;
        ``forms_in_conversation`` sends a form as a message (a card with inputs on Teams) instead of
        leaving it to the platform to open."""
        handled = Handled()

        def converse(session: Session, now: datetime) -> None:
            nonlocal handled
            workspace = side.organisation(session, inbound)
            deliveries = Deliveries(
                session,
                workspace,
                side,
                key,
                now,
                serving=self.serving,
                command_answer=command_answer,
                forms_open=forms_open,
                forms_in_conversation=forms_in_conversation,
            )
            engine_for(session, workspace, self.flows, deliveries).handle(inbound, now)
            deliveries.flush()
            handled = deliveries.handled

        self.in_unit_of_work(converse, request, now, urgent=lambda: handled.answers)
        return handled

    def in_unit_of_work(
        self,
        work: Callable[[Session, datetime], Any],
        request: InboxRequest | None = None,
        now: datetime | None = None,
        *,
        urgent: Callable[[], Collection[str]] | None = None,
    ) -> None:
        """Run ``work`` in one commit, with ``request`` marked done in it; then wake the outbox sender,
        and hand it the deliveries ``urgent`` names (the replies to the request) to send ahead of the queue: under
        a burst, its author reads the answer before the cards and messages the others are sent.

        Pass ``now`` when calling from another thread: read the clock on the event loop."""
        now = now or self.clock()
        with self.database.session_scope(hold_rows=True) as session:
            work(session, now)
            if request is not None:
                inbox.mark_done(session, request, now)
        if urgent is not None and (keys := urgent()):
            self.sender.hurry(keys)
        else:
            self.sender.notify()


def enqueue_one(
    session: Session,
    workspace_id: int,
    platform: Platform,
    message: Outbound,
    destination: Destination,
    key: str,
    now: datetime,
) -> None:
    """One message a platform adapter owes outside a flow (a Home view, "nothing was saved")."""
    row = outbox.message_row(
        workspace_id=workspace_id,
        platform=platform,
        message=message,
        destination=destination,
        dedupe_key=key,
        not_before=now,
    )
    outbox.enqueue_many(session, [row])

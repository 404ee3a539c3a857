"""Running one Slack request through the engine, inside one unit of work.

Everything a request changes (conversation state, domain changes, the messages it owes, the
inbox row saying it was handled) commits together, then the outbox sender is woken to deliver.
A slash command's answers go back to its ``response_url``; a form submission's validation
errors are collected for the HTTP response; forms are returned for the caller to open with the
request's ``trigger_id`` while it is still valid.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.outbox_sender import OutboxSender
from bot.slack.installations import bind_workspace
from conversations.flow import Flow
from conversations.messages import (
    COMMAND_CHOICE,
    FORM_ERRORS,
    FORM_NEEDS_A_CLICK,
    Choice,
    Form,
    Inbound,
    Outbound,
    Platform,
    outbound_to_dict,
)
from conversations.workspace_settings import load_settings
from storage import inbox, outbox
from storage.conversation_store import remember_reference
from storage.database import Database
from storage.flow_bindings import engine_for
from storage.models import InboxRequest, Workspace


@dataclass
class Handled:
    replies: list[Outbound] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)
    form_errors: Outbound | None = None
    templates_dir: str | None = None


def is_direct_message(conversation: str) -> bool:
    return conversation.startswith("D")


class SlackReplies:
    """The engine's channel for one Slack request: decides where each outbound message goes."""

    def __init__(
        self,
        session: Session,
        workspace_id: int,
        key: str,
        now: datetime,
        *,
        collect: bool = False,
        response_url: str | None = None,
        forms_open: bool = True,
    ) -> None:
        self.session = session
        self.forms_open = forms_open
        self.workspace_id = workspace_id
        self.key = key
        self.now = now
        self.collect = collect
        self.response_url = response_url
        self.handled = Handled()
        self.deliveries: list[dict[str, Any]] = []

    def send(self, inbound: Inbound, messages: Sequence[Outbound]) -> None:
        actor = inbound.actor
        if actor is not None and is_direct_message(inbound.conversation):
            remember_reference(
                self.session, self.workspace_id, actor.person_id, Platform.SLACK, {"channel": inbound.conversation}
            )
        for index, message in enumerate(messages):
            if message.kind == FORM_ERRORS:
                self.handled.form_errors = message
            elif message.form is not None and not self.forms_open:
                # a typed command in a DM has no trigger to open a form with: offer a button that has one
                offer = form_offer(message.form, inbound)
                recipient = f"person:{actor.person_id}" if actor else f"channel:{inbound.conversation}"
                self.enqueue(index, offer, recipient, {"method": "post_message", "channel": inbound.conversation})
            elif message.form is not None:
                self.handled.forms.append(message.form)
            elif message.to_channel is not None:
                target = {"method": "post_message", "channel": message.to_channel}
                self.enqueue(index, message, f"channel:{message.to_channel}", target)
            elif message.to_person_id is not None and (actor is None or message.to_person_id != actor.person_id):
                self.enqueue(index, message, f"person:{message.to_person_id}", {"method": "post_message"})
            elif self.collect:
                self.handled.replies.append(message)
            elif self.response_url is not None:
                recipient = f"person:{actor.person_id}" if actor else f"user:{inbound.user}"
                self.enqueue(index, message, recipient, respond_target(self.response_url))
            elif is_direct_message(inbound.conversation):
                recipient = f"person:{actor.person_id}" if actor else f"channel:{inbound.conversation}"
                self.enqueue(index, message, recipient, {"method": "post_message", "channel": inbound.conversation})
            elif actor is None:
                continue  # someone we don't know, in a shared place: never answer them in public
            elif not inbound.conversation or inbound.form_id is not None:
                # a Home tab, a shortcut or a form: answer in the person's DM, whatever channel it started in
                self.enqueue(index, message, f"person:{actor.person_id}", {"method": "post_message"})
            elif message.private:
                target = {"method": "post_ephemeral", "channel": inbound.conversation}
                self.enqueue(index, message, f"person:{actor.person_id}", target)
            else:
                target = {"method": "post_message", "channel": inbound.conversation}
                self.enqueue(index, message, f"channel:{inbound.conversation}", target)

    def enqueue(self, index: int, message: Outbound, recipient: str, target: dict[str, Any]) -> None:
        self.deliveries.append(
            outbox.delivery_row(
                workspace_id=self.workspace_id,
                platform=Platform.SLACK,
                kind=message.kind,
                recipient=recipient,
                dedupe_key=f"{self.key}:{index}",
                payload={"outbound": outbound_to_dict(message), "slack": target},
                not_before=self.now,
            )
        )

    def flush(self) -> None:
        """Write every delivery this request owes, in one statement."""
        outbox.enqueue_many(self.session, self.deliveries)
        self.deliveries.clear()


def form_offer(form: Form, inbound: Inbound) -> Outbound:
    """A button that runs the typed command again, now from a click Slack gives a trigger for."""
    command = " ".join(part for part in (inbound.command or "", inbound.text) if part)
    return Outbound(
        FORM_NEEDS_A_CLICK, {"title": form.title}, (Choice(form.title, f"{COMMAND_CHOICE}{command}", "primary"),)
    )


def respond_target(response_url: str) -> dict[str, Any]:
    """Where a slash command's answer goes: back to the command, seen only by the person who typed it."""
    return {"method": "respond", "response_url": response_url}


class SlackHandling:
    """What every listener uses to turn an ``Inbound`` into state, changes and deliveries."""

    def __init__(
        self,
        database: Database,
        flows: Sequence[Flow],
        sender: OutboxSender,
        clock: Callable[[], datetime],
    ) -> None:
        self.database = database
        self.flows = tuple(flows)
        self.sender = sender
        self.clock = clock
        self.workspace_ids: dict[str, int] = {}

    def handle(
        self,
        inbound: Inbound,
        key: str,
        *,
        collect: bool = False,
        response_url: str | None = None,
        request: InboxRequest | None = None,
        now: datetime | None = None,
        forms_open: bool = True,
    ) -> Handled:
        """Run ``inbound`` through the engine; ``request`` is the inbox row it came from, marked done in the same commit."""
        handled = Handled()

        def converse(session: Session, now: datetime) -> None:
            nonlocal handled
            workspace = self.workspace(session, inbound.workspace)
            assert workspace.id is not None
            replies = SlackReplies(
                session, workspace.id, key, now, collect=collect, response_url=response_url, forms_open=forms_open
            )
            engine_for(session, workspace, self.flows, replies).handle(inbound, now)
            replies.flush()
            handled = replies.handled
            handled.templates_dir = load_settings(workspace.settings).templates_dir

        self.in_unit_of_work(converse, request, now)
        return handled

    def workspace(self, session: Session, team_id: str) -> Workspace:
        """The workspace of a Slack team; its id is remembered (it never changes), its row read fresh."""
        known = self.workspace_ids.get(team_id)
        workspace = session.get(Workspace, known) if known is not None else None
        if workspace is None:
            workspace = bind_workspace(session, team_id, team_id)
            assert workspace.id is not None
            self.workspace_ids[team_id] = workspace.id
        return workspace

    def in_unit_of_work(
        self,
        work: Callable[[Session, datetime], Any],
        request: InboxRequest | None = None,
        now: datetime | None = None,
    ) -> None:
        """Run ``work`` in one commit, with ``request`` marked done in it; then wake the outbox sender.

        Pass ``now`` when calling from another thread: read the clock on the event loop."""
        now = now or self.clock()
        with self.database.session_scope() as session:
            work(session, now)
            if request is not None:
                inbox.mark_done(session, request, now)
        self.sender.notify()

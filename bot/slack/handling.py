"""Running one Slack request through the engine, inside one unit of work.

Everything a request changes (conversation state, domain changes, the messages it owes, the
record that its event was processed) commits together, then the outbox sender is woken to
deliver. Replies that belong in the HTTP response (a slash command's ephemeral answer, a
form's validation errors) are collected instead of enqueued, and forms are returned for the
caller to open with the request's ``trigger_id`` while it is still valid.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.metrics import Metrics
from bot.outbox_sender import OutboxSender
from bot.slack.installations import bind_workspace
from conversations.flow import Flow
from conversations.messages import FORM_ERRORS, Form, Inbound, Outbound, Platform, outbound_to_dict
from conversations.workspace_settings import load_settings
from storage import outbox, processed_events
from storage.conversation_store import remember_reference
from storage.database import Database
from storage.flow_bindings import engine_for
from storage.models import Workspace


@dataclass
class Handled:
    duplicate: bool = False
    replies: list[Outbound] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)
    form_errors: Outbound | None = None
    templates_dir: str | None = None


def is_direct_message(conversation: str) -> bool:
    return conversation.startswith("D")


class SlackReplies:
    """The engine's channel for one Slack request: decides where each outbound message goes."""

    def __init__(self, session: Session, workspace_id: int, key: str, now: datetime, *, collect: bool) -> None:
        self.session = session
        self.workspace_id = workspace_id
        self.key = key
        self.now = now
        self.collect = collect
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
            elif message.form is not None:
                self.handled.forms.append(message.form)
            elif message.to_channel is not None:
                target = {"method": "post_message", "channel": message.to_channel}
                self.enqueue(index, message, f"channel:{message.to_channel}", target)
            elif message.to_person_id is not None and (actor is None or message.to_person_id != actor.person_id):
                self.enqueue(index, message, f"person:{message.to_person_id}", {"method": "post_message"})
            elif self.collect:
                self.handled.replies.append(message)
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


class SlackHandling:
    """What every listener uses to turn an ``Inbound`` into state, changes and deliveries."""

    def __init__(
        self,
        database: Database,
        flows: Sequence[Flow],
        sender: OutboxSender,
        clock: Callable[[], datetime],
        metrics: Metrics,
    ) -> None:
        self.database = database
        self.flows = tuple(flows)
        self.sender = sender
        self.clock = clock
        self.metrics = metrics
        self.workspace_ids: dict[str, int] = {}

    def handle(self, inbound: Inbound, key: str, *, event_key: str | None = None, collect: bool = False) -> Handled:
        handled = Handled(duplicate=True)

        def converse(session: Session, now: datetime) -> None:
            nonlocal handled
            workspace = self.workspace(session, inbound.workspace)
            assert workspace.id is not None
            replies = SlackReplies(session, workspace.id, key, now, collect=collect)
            engine_for(session, workspace, self.flows, replies).handle(inbound, now)
            replies.flush()
            handled = replies.handled
            handled.templates_dir = load_settings(workspace.settings).templates_dir

        self.run_once(event_key, converse)
        return handled

    def workspace(self, session: Session, team_id: str) -> Workspace:
        """The workspace of a Slack team; its id is remembered (it never changes), its row read fresh."""
        known = self.workspace_ids.get(team_id)
        workspace = session.get(Workspace, known) if known is not None else None
        if workspace is None or workspace.external_id != team_id:
            workspace = bind_workspace(session, team_id, team_id)
            assert workspace.id is not None
            self.workspace_ids[team_id] = workspace.id
        return workspace

    def run_once(self, event_key: str | None, work: Callable[[Session, datetime], Any]) -> bool:
        """Run ``work`` in one unit of work unless ``event_key`` was already processed; True if it ran.

        A failure is recorded against the event (so its redelivery is processed) and re-raised.
        """
        now = self.clock()
        try:
            with self.database.session_scope() as session:
                if event_key is not None and not processed_events.begin(session, event_key, Platform.SLACK, now):
                    self.metrics.event("slack", "duplicate")
                    return False
                work(session, now)
                if event_key is not None:
                    processed_events.finish(session, event_key, now)
        except BaseException as error:
            if event_key is not None:
                processed_events.record_failure(self.database, event_key, Platform.SLACK, now, repr(error))
                self.metrics.event("slack", "failed")
            raise
        if event_key is not None:
            self.metrics.event("slack", "processed")
        self.sender.notify()
        return True

"""Slack's side of the inbox: what a listener records inside its ack, and what the worker does with it.

A listener checks a request (Bolt verified its signature; ``translate`` read it) and records it
in one short commit, then acks: Slack's 3-second budget is never spent on Cadence's own work,
and an acked request survives a crash because it is in the database before Slack hears back.
The inbox worker then runs each recorded request through the engine; a slash command's answers
go to its ``response_url``, and forms open with the request's ``trigger_id`` (valid for 3 seconds
after the click, which the worker, woken at once, normally makes easily).
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from sqlmodel import Session

from bot.inbox_recorder import InboxRecorder
from bot.metrics import Metrics
from bot.outbox_sender import DeliveryRefused, Throttled
from bot.request_runner import Handled, RequestRunner, enqueue_one
from bot.slack.handling import SlackSide
from bot.slack.installations import bind_workspace
from bot.slack.people_sync import upsert_slack_user
from bot.slack.transport import SlackTransport
from conversations.destinations import CommandAnswer, DirectMessage
from conversations.messages import (
    FORM_TOO_LATE,
    INTERNAL_ERROR,
    Inbound,
    Outbound,
    Platform,
    inbound_from_dict,
    inbound_to_dict,
)
from storage import people
from storage.database import Database
from storage.home import home_view
from storage.inbox import NewRequest
from storage.models import InboxRequest

log = logging.getLogger(__name__)


class RequestKind(enum.StrEnum):
    INBOUND = "inbound"  # something a person said or did, for the engine
    HOME_OPENED = "home_opened"  # someone opened Cadence's Home tab: publish it
    USER_CHANGED = "user_changed"  # a member joined or changed their profile: sync the org chart


class SlackInbox:
    def __init__(
        self,
        database: Database,
        runner: RequestRunner,
        side: SlackSide,
        clock: Callable[[], datetime],
        metrics: Metrics,
        transport: SlackTransport,
        recorder: InboxRecorder,
        wake_worker: Callable[[], None],
    ) -> None:
        self.database = database
        self.runner = runner
        self.side = side
        self.clock = clock
        self.metrics = metrics
        self.transport = transport
        self.recorder = recorder
        self.wake_worker = wake_worker

    # ---- inside the ack ------------------------------------------------------------------------------------------

    async def record(
        self, team: str, request_key: str, kind: RequestKind, payload: dict[str, Any], user: str | None = None
    ) -> bool:
        """Queue a request for the worker; False (and counted) when Slack delivered it before. ``user``'s
        requests are handled one at a time, in the order they arrived."""
        recording = NewRequest.from_user(Platform.SLACK, request_key, team, kind, payload, user)
        return await self.recorder.record_for_worker(recording, self.wake_worker, self.metrics)

    async def record_inbound(
        self, inbound: Inbound, request_key: str, *, response_url: str | None = None, trigger_id: str | None = None
    ) -> bool:
        payload = {"inbound": inbound_to_dict(inbound), "response_url": response_url, "trigger_id": trigger_id}
        return await self.record(inbound.workspace, request_key, RequestKind.INBOUND, payload, inbound.user)

    # ---- in the worker -------------------------------------------------------------------------------------------

    async def handle(self, request: InboxRequest) -> None:
        match RequestKind(request.kind):
            case RequestKind.INBOUND:
                await self.handle_inbound(request)
            case RequestKind.HOME_OPENED:
                await self.publish_home(request)
            case RequestKind.USER_CHANGED:
                user = request.payload["user"]
                await asyncio.to_thread(
                    self.runner.in_unit_of_work,
                    lambda session, now: sync_user(session, request.team, user),
                    request,
                    self.clock(),
                )

    async def handle_inbound(self, request: InboxRequest) -> None:
        payload = request.payload
        inbound = inbound_from_dict(payload["inbound"])
        response_url = payload.get("response_url")
        handled = await asyncio.to_thread(
            self.runner.handle,
            self.side,
            inbound,
            request.request_key,
            command_answer=response_url,
            request=request,
            now=self.clock(),
            forms_open=bool(payload.get("trigger_id")),
        )
        if handled.forms and payload.get("trigger_id"):
            await self.open_forms(request, handled, inbound.conversation)

    async def open_forms(self, request: InboxRequest, handled: Handled, conversation: str) -> None:
        """Open what the flow asked for; if Slack's window for the trigger has passed, say so."""
        transport = self.transport
        renderer = transport.renderers.get(handled.templates_dir)
        for form in (message.form for message in handled.forms if message.form is not None):
            try:
                await transport.api(request.team)(
                    "views.open",
                    trigger_id=request.payload["trigger_id"],
                    view=renderer.modal(form, {"channel": conversation}),
                )
            except (
                SlackApiError,
                SlackRequestError,
                DeliveryRefused,
                Throttled,
                aiohttp.ClientError,
                TimeoutError,
            ) as error:
                # the request is done already (the trigger can't be used twice): say so instead of retrying
                log.warning("could not open form %s for %s: %s", form.id, request.request_key, error)
                await asyncio.to_thread(self.tell_author, request, FORM_TOO_LATE, self.clock())

    async def publish_home(self, request: InboxRequest) -> None:
        user_id = request.payload["user"]
        if not await asyncio.to_thread(self.is_known, request.team, user_id):
            profile = await self.transport.api(request.team)("users.info", user=user_id)
            await asyncio.to_thread(
                self.runner.in_unit_of_work,
                lambda session, now: sync_user(session, request.team, profile["user"]),
                None,
                self.clock(),
            )

        def publish(session: Session, now: datetime) -> None:
            workspace = bind_workspace(session, request.team, request.team)
            assert workspace.id is not None
            person = people.by_platform_id(session, workspace.id, Platform.SLACK, user_id)
            if person is None or not person.active:
                return
            assert person.id is not None
            page = home_view(session, person, now)
            enqueue_one(
                session,
                workspace.id,
                Platform.SLACK,
                page,
                DirectMessage(person.id),
                f"{request.request_key}:home",
                now,
            )

        await asyncio.to_thread(self.runner.in_unit_of_work, publish, request, self.clock())

    def give_up(self, session: Session, request: InboxRequest, now: datetime) -> None:
        """A command that failed for good still gets an answer: nothing was saved, try again."""
        self.queue_author_answer(session, request, INTERNAL_ERROR, now)

    def tell_author(self, request: InboxRequest, kind: str, now: datetime) -> None:
        with self.database.session_scope() as session:
            self.queue_author_answer(session, request, kind, now)
        self.runner.sender.notify()

    def queue_author_answer(self, session: Session, request: InboxRequest, kind: str, now: datetime) -> None:
        response_url = request.payload.get("response_url")
        if request.kind != RequestKind.INBOUND or not response_url:
            return  # an event or a button with nowhere private to answer: the failed row and the log remain
        workspace = self.side.workspace(session, request.team)
        assert workspace.id is not None
        answer = CommandAnswer(response_url)
        key = f"{request.request_key}:{kind}"
        enqueue_one(session, workspace.id, Platform.SLACK, Outbound(kind, {}, private=True), answer, key, now)

    def is_known(self, team_id: str, user_id: str) -> bool:
        with self.database.session_scope() as session:
            workspace = bind_workspace(session, team_id, team_id)
            assert workspace.id is not None
            return people.by_platform_id(session, workspace.id, Platform.SLACK, user_id) is not None


def sync_user(session: Session, team_id: str, user: dict[str, Any]) -> None:
    workspace = bind_workspace(session, team_id, team_id)
    assert workspace.id is not None
    upsert_slack_user(session, workspace.id, user)

"""Teams' requests over HTTP: ``POST /api/messages``, where the Bot Connector posts every activity.

Each request is checked before anything is recorded: a JSON object, a bearer token the SDK validates
(Microsoft's signing keys, issuer, audience = our app id, expiry, and the token's service URL against
the activity's), and an activity Cadence can read. Then it is answered within Teams' window:

- a message, a button press, a reaction, an install: recorded in the inbox and answered 200 at once;
  a pressed button's card is answered with the same card without its buttons, so it can't be
  pressed twice;
- a form sent from a card: run through the engine inside the request (off the event loop), so
  problems show on the card next to their fields, or the card says it was sent;
- an answer to a file consent card: recorded in the inbox and answered 200 at once; the worker
  uploads the file (``bot/teams/files.py``);
- an invoke Cadence doesn't know: a proper invoke response saying so, never a 500.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import jwt

from bot.metrics import Metrics
from bot.request_runner import RequestRunner
from bot.teams.cards import CARD_CONTENT_TYPE, Card, Renderers
from bot.teams.inbox import TeamsInbox
from bot.teams.sdk import TeamsSdk
from bot.teams.side import TeamsSide
from bot.teams.translate import (
    FileConsent,
    Ignored,
    Installed,
    MalformedActivity,
    Said,
    Submitted,
    Unsupported,
    message_ref,
    translate,
)
from conversations.commands import typed_handles
from conversations.messages import FieldKind, Form, Inbound, Outbound, Platform, outbound_from_dict
from conversations.workspace_settings import load_settings
from storage import connections, outbox
from storage.database import UNAVAILABLE, Database

log = logging.getLogger(__name__)

MESSAGES_PATH = "/api/messages"
BOT_NAME = "Cadence"


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any = None

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        return self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()


def card_answer(card: Card) -> Answer:
    """An ``adaptiveCard/action`` invoke answered with the card that replaces the pressed one."""
    return Answer(200, {"statusCode": 200, "type": CARD_CONTENT_TYPE, "value": card.content})


def error_answer(status: int, code: str, message: str) -> Answer:
    return Answer(
        200,
        {"statusCode": status, "type": "application/vnd.microsoft.error", "value": {"code": code, "message": message}},
    )


def request_key(body: Mapping[str, Any]) -> str:
    conversation = (body.get("conversation") or {}).get("id", "")
    return f"teams:{conversation}:{body.get('id') or ''}"


class TeamsRoute:
    """The ASGI application behind ``/api/messages``."""

    def __init__(
        self,
        sdk: TeamsSdk,
        inbox: TeamsInbox,
        runner: RequestRunner,
        side: TeamsSide,
        renderers: Renderers,
        database: Database,
        metrics: Metrics,
        clock: Callable[[], datetime],
    ) -> None:
        self.sdk = sdk
        self.inbox = inbox
        self.runner = runner
        self.side = side
        self.renderers = renderers
        self.database = database
        self.metrics = metrics
        self.clock = clock

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        started = time.perf_counter()
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope.get("headers") or []}
        if scope.get("method") != "POST":
            kind, answer = "other", Answer(405, b"POST activities here")
        else:
            try:
                kind, answer = await self.answer(bytes(body), headers)
            except UNAVAILABLE:  # nothing recorded: a fast 503, which the Bot Connector retries
                log.warning("a Teams activity could not be recorded: the database is unavailable")
                kind, answer = "unavailable", Answer(503, b"database unavailable; try again shortly")
        self.metrics.observe("teams", kind, answer.status, time.perf_counter() - started)
        payload = answer.encoded()
        content_type = (
            b"application/json"
            if answer.body is not None and not isinstance(answer.body, bytes)
            else b"text/plain; charset=utf-8"
        )
        await send(
            {
                "type": "http.response.start",
                "status": answer.status,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(payload)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    async def answer(self, raw: bytes, headers: Mapping[str, str]) -> tuple[str, Answer]:
        try:
            body = json.loads(raw or b"null")
        except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested deeper than the parser goes
            return "malformed", Answer(400, b"malformed request: not JSON")
        if not isinstance(body, dict):
            return "malformed", Answer(400, b"malformed request: an activity is a JSON object")
        if not isinstance(body.get("serviceUrl"), str) or not body["serviceUrl"]:
            # the token vouches for the service URL it names, so the activity must name one to compare
            return "malformed", Answer(400, b"malformed request: an activity names its serviceUrl")
        if self.sdk.authenticate:
            try:
                await self.sdk.validate(headers.get("authorization"), body.get("serviceUrl"))
            except (jwt.PyJWTError, ValueError) as error:
                log.info("refused a Teams request: %s", type(error).__name__)
                return "unauthorized", Answer(401, b"unauthorized")
        kind = str(body.get("type") or "unknown")
        try:
            request = translate(body, BOT_NAME)
        except MalformedActivity as error:
            return "malformed", Answer(400, f"malformed request: {error}".encode())
        key = request_key(body)
        match request:
            case Said():
                self.side.learn(request.where)
                await self.inbox.record_said(request, key)
                if request.pressed is not None:
                    return kind, await self.pressed_card(request)
                return kind, Answer(200)
            case Submitted():
                self.side.learn(request.where)
                return kind, await self.submitted(request, key)
            case FileConsent():
                self.side.learn(request.where)
                await self.inbox.record_consent(request, key)
                return kind, Answer(200)
            case Installed():
                await self.inbox.record_installed(request, key)
                return kind, Answer(200)
            case Unsupported():
                return kind, error_answer(
                    501, "NotImplemented", f"Cadence doesn't handle {request.name or 'this invoke'}"
                )
            case Ignored():
                return kind, Answer(200)

    async def pressed_card(self, said: Said) -> Answer:
        """The pressed card again, its buttons gone and the choice under it; 200 with nothing when
        the card isn't one of ours (Teams then leaves it as it was)."""
        found = await asyncio.to_thread(
            self.delivered, said.where.tenant, message_ref(said.where.conversation, str(said.pressed))
        )
        if found is None:
            return Answer(200)
        outbound, templates_dir = found
        cards = self.renderers.get(templates_dir)
        chosen = said.inbound.choice
        label = next((choice.label for choice in outbound.choices if choice.value == chosen), None)
        if label is None and outbound.choice_set is not None and outbound.choice_set.id == chosen:
            label = outbound.choice_set.submit_label
        note = cards.labels("pressed", label=label) if label else ""
        return card_answer(cards.message(outbound, note=note, buttons=False))

    def people_picked(self, submitted: Submitted, form: Form | None) -> Inbound:
        """A card has no people picker Cadence can rely on, so people are typed (``@sam, ada@acme.example``):
        each field that asks for people becomes the Teams ids of those named, as a picker would give."""
        values = dict(submitted.inbound.form or {})
        for field in form.fields if form is not None else ():
            if field.kind is FieldKind.PEOPLE and isinstance(values.get(field.id), str):
                handles = typed_handles(values[field.id]) or [
                    part.strip() for part in values[field.id].split(",") if part.strip()
                ]
                values[field.id] = self.inbox.teams_ids_of(submitted.where, handles)
        return replace(submitted.inbound, form=values)

    def delivered(self, tenant: str, message_id: str) -> tuple[Outbound, str | None] | None:
        """The card of the tenant's organisation that became ``message_id``, and its templates; None
        when it isn't one (a card of another organisation, in a channel shared with it, included)."""
        with self.database.session_scope() as session:
            owner = connections.workspace_for(session, Platform.TEAMS, tenant)
            row = outbox.by_message(session, owner.id, message_id) if owner and owner.id is not None else None
            if owner is None or row is None:
                return None
            return outbound_from_dict(row.payload["outbound"]), load_settings(owner.settings).templates_dir

    async def submitted(self, submitted: Submitted, key: str) -> Answer:
        """A form from a card, checked now: its problems on the card, or the card saying it was sent."""
        found = (
            await asyncio.to_thread(
                self.delivered, submitted.where.tenant, message_ref(submitted.where.conversation, submitted.card)
            )
            if submitted.card
            else None
        )
        form = found[0].form if found else None
        inbound = await asyncio.to_thread(self.people_picked, submitted, form)
        handled = await asyncio.to_thread(
            self.runner.handle, self.side, inbound, key, forms_in_conversation=True, now=self.clock()
        )
        cards = self.renderers.get(handled.templates_dir)
        if handled.form_errors is not None and form is not None:
            return card_answer(cards.form(form, cards.form_problems(handled.form_errors)))
        if handled.form_errors is not None:
            problems = "; ".join(cards.form_problems(handled.form_errors).values())
            return error_answer(400, "BadRequest", problems)
        if form is not None:
            return card_answer(cards.sent_form(form))
        return Answer(200)

"""Correctly signed Slack requests that are not what Slack sends: refused with 400 and a few plain
words, inside the ack and before anything is recorded; never a 500 or a traceback."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from storage.models import InboxRequest, InboxStatus, OutboxDelivery
from tests.bot.slack.harness import SIGNING_SECRET, RunningCadence
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_requests import (
    FORM,
    JSON,
    app_home_opened_payload,
    block_action_payload,
    event_callback_payload,
    slash_command_payload,
    view_submission_payload,
)
from tests.security.mutations import mutated

DEEP = 10_000


def signed_post(cadence: RunningCadence, body: bytes, content_type: str) -> httpx.Response:
    """POST ``body`` signed as Slack signs it. Signed here rather than with slack_sdk's verifier,
    which decodes the body as UTF-8 first and so can't sign the bytes of an invalid one."""
    timestamp = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    headers = {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": f"v0={digest.hexdigest()}",
        "Content-Type": content_type,
    }
    return cadence.http.post("/slack/events", content=body, headers=headers)


def as_json(payload: Any) -> tuple[bytes, str]:
    return json.dumps(payload).encode(), JSON


def as_form(fields: dict[str, str]) -> tuple[bytes, str]:
    return urlencode(fields).encode(), FORM


def as_interaction(payload: Any) -> tuple[bytes, str]:
    return urlencode({"payload": json.dumps(payload)}).encode(), FORM


def event(**fields: Any) -> dict[str, Any]:
    body = event_callback_payload({"type": "message", "channel_type": "im", "user": "U0001", "text": "help"})
    body.update(fields)
    return body


def recorded(cadence: RunningCadence) -> list[InboxRequest]:
    with cadence.database.session_scope() as session:
        return list(session.exec(select(InboxRequest)))


def queued(cadence: RunningCadence) -> list[OutboxDelivery]:
    with cadence.database.session_scope() as session:
        return list(session.exec(select(OutboxDelivery)))


MALFORMED: dict[str, tuple[bytes, str]] = {
    "an empty form": (b"", FORM),
    "an empty JSON body": (b"", JSON),
    "an empty JSON object": as_json({}),
    "JSON that is a list": as_json([1, 2]),
    "JSON that is a string": as_json("event_callback"),
    "JSON that is null": as_json(None),
    "JSON of no known kind": as_json({"hello": "world"}),
    "an event_callback without its event": as_json({k: v for k, v in event().items() if k != "event"}),
    "an event_callback whose event is text": as_json(event(event="message")),
    "an event_callback whose event is a list": as_json(event(event=[{"type": "message"}])),
    "an event without a type": as_json(event(event={"text": "help", "user": "U0001"})),
    "an event_callback without an event_id": as_json({k: v for k, v in event().items() if k != "event_id"}),
    "an event_callback without a team_id": as_json({k: v for k, v in event().items() if k != "team_id"}),
    "a Home tab opened by nobody": as_json(event(event={"type": "app_home_opened", "tab": "home"})),
    "a member change without the member": as_json(event(event={"type": "user_change", "user": "U0001"})),
    "a reaction on no item": as_json(event(event={"type": "reaction_added", "user": "U0001", "reaction": "+1"})),
    "a message whose text is a list": as_json(event(event={"type": "message", "user": "U0001", "text": ["x"]})),
    "a url_verification without its challenge": as_json({"type": "url_verification", "token": "t"}),
    "a form without a command": as_form({"text": "whoami", "team_id": "T0001", "user_id": "U0001"}),
    "a command that is not a slash command": as_form({**slash_command_payload("/cadence"), "command": "cadence"}),
    "a command from no one": as_form({**slash_command_payload("/cadence", "whoami"), "user_id": ""}),
    "an interaction whose payload is not JSON": (b"payload=%7Bnot+json", FORM),
    "an interaction whose payload is a list": as_form({"payload": "[1]"}),
    "an interaction whose payload is empty": as_form({"payload": "{}"}),
    "a button press without actions": as_interaction({**block_action_payload("kudos.give"), "actions": []}),
    "a button press whose action is text": as_interaction({**block_action_payload("kudos.give"), "actions": ["x"]}),
    "a button press by a user who is text": as_interaction({**block_action_payload("kudos.give"), "user": "U0001"}),
    "a form sent with its view as text": as_interaction({**view_submission_payload("kudos.give", {}), "view": "v"}),
    "a form sent whose field is text": as_interaction(
        view_submission_payload("kudos.give", {"message": "not an element"})  # type: ignore[dict-item]
    ),
    "invalid UTF-8 in a form": (b"command=%2Fcadence&text=\xff\xfe", FORM),
    "invalid UTF-8 in JSON": (b'{"type": "event_callback", "x": "\xff"}', JSON),
    f"a JSON list nested {DEEP} deep": (b"[" * DEEP + b"]" * DEEP, JSON),
    f"a JSON object nested {DEEP} deep": (b'{"a":' * DEEP + b"1" + b"}" * DEEP, JSON),
    f"an event nested {DEEP} deep": (
        b'{"type": "event_callback", "team_id": "T0001", "event_id": "Ev1", "event": '
        + b'{"a":' * DEEP
        + b"1"
        + b"}" * (DEEP + 1),
        JSON,
    ),
    f"an interaction payload nested {DEEP} deep": as_form({"payload": "[" * DEEP + "]" * DEEP}),
}


def test_a_signed_but_malformed_request_is_a_400_with_a_reason_and_nothing_is_recorded(
    cadence: RunningCadence,
) -> None:
    answered = {name: signed_post(cadence, *MALFORMED[name]) for name in MALFORMED}
    wrong = {name: (response.status_code, response.text[:80]) for name, response in answered.items()}
    assert {name: status for name, (status, _) in wrong.items() if status != 400} == {}, wrong
    for name, response in answered.items():
        reason = response.text
        assert reason.startswith("malformed request: ") and "\n" not in reason and len(reason) < 200, (name, reason)
        assert "Traceback" not in reason and "pydantic" not in reason.lower(), name
        assert response.headers["content-type"].startswith("text/plain"), name
    assert recorded(cadence) == [] and queued(cadence) == []
    assert cadence.metric("cadence_requests_total", platform="slack", status="500") == 0


def test_the_reason_says_what_is_wrong_and_where(cadence: RunningCadence) -> None:
    def reason(name: str) -> str:
        return signed_post(cadence, *MALFORMED[name]).text.removeprefix("malformed request: ")

    assert reason("an event_callback without its event") == "event: missing; this needs an event"
    assert reason("an event without a type").startswith("event.type: missing")
    assert reason("a Home tab opened by nobody").startswith("event.user: missing")
    assert reason("a url_verification without its challenge").startswith("challenge: missing")
    assert reason("a form without a command").startswith("a request from Slack is a slash command")
    assert reason("a button press whose action is text").startswith("actions.0: ")
    assert reason("an empty form") == "the request is empty"


def test_an_unsigned_malformed_request_learns_nothing_about_its_shape(cadence: RunningCadence) -> None:
    """Shape is judged only once the signature holds: a forger gets 401 whatever they send that parses."""
    for name in ("an event_callback without its event", "a form without a command", "an empty JSON object"):
        body, content_type = MALFORMED[name]
        response = cadence.http.post(
            "/slack/events",
            content=body,
            headers={"Content-Type": content_type, "X-Slack-Request-Timestamp": str(int(time.time()))},
        )
        assert response.status_code == 401, name
    assert recorded(cadence) == []


def test_well_formed_requests_of_every_kind_still_pass(cadence: RunningCadence) -> None:
    """The checks name only what Slack always sends: real requests, and kinds Cadence ignores, are 200."""
    for body, content_type in (
        as_json({"type": "url_verification", "challenge": "c-123", "token": "t"}),
        as_json(app_home_opened_payload("U0001")),
        as_json(event(event={"type": "message", "channel_type": "im", "subtype": "bot_message", "bot_id": "B9"})),
        as_json(event(event={"type": "channel_created", "channel": {"id": "C9", "name": "new"}})),
        as_json({"type": "app_rate_limited", "team_id": "T0001", "minute_rate_limited": 1}),
        as_form(slash_command_payload("/cadence", "help", user_id="U0001")),
        as_interaction({"type": "view_closed", "user": {"id": "U0001"}, "view": {"id": "V1"}}),
    ):
        response = signed_post(cadence, body, content_type)
        assert response.status_code == 200, (body[:80], response.text)
    assert signed_post(cadence, *as_json({"type": "url_verification", "challenge": "c-123"})).json() == {
        "challenge": "c-123"
    }


def envelopes(slack: FakeSlackApi) -> list[tuple[str, dict[str, Any]]]:
    """One real request of each kind Cadence listens to, and how it travels."""
    message = {"type": "message", "channel_type": "im", "user": "U0001", "text": "help", "channel": "D0001"}
    reaction = {
        "type": "reaction_added",
        "user": "U0001",
        "reaction": "tada",
        "item": {"type": "message", "channel": "C0001", "ts": "1.2"},
    }
    return [
        ("json", event_callback_payload(message)),
        ("json", event_callback_payload(reaction)),
        ("json", app_home_opened_payload("U0001")),
        ("json", event_callback_payload({"type": "user_change", "user": {"id": "U0001", "profile": {}}})),
        ("form", slash_command_payload("/cadence", "help", user_id="U0001", response_url=slack.response_url())),
        ("payload", block_action_payload("kudos.give", "kudos.give", response_url=slack.response_url())),
        ("payload", view_submission_payload("kudos.give", {"message": {"value": {"type": "plain_text_input"}}})),
    ]


def encoded(how: str, payload: dict[str, Any]) -> tuple[bytes, str]:
    if how == "json":
        return as_json(payload)
    if how == "form":
        return as_form({key: str(value) for key, value in payload.items()})
    return as_interaction(payload)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_field_of_a_real_request_replaced_by_any_json_is_a_200_or_a_400_never_a_500(
    cadence: RunningCadence, slack: FakeSlackApi, data: st.DataObject
) -> None:
    how, original = data.draw(st.sampled_from(envelopes(slack)), label="request")
    payload = mutated(data, original)
    before = len(recorded(cadence))
    response = signed_post(cadence, *encoded(how, payload))
    assert response.status_code in (200, 400), (response.status_code, response.text)
    if response.status_code == 400:
        assert response.text.startswith("malformed request: ") and len(recorded(cadence)) == before


def test_requests_that_were_recorded_never_fail_in_the_worker(cadence: RunningCadence) -> None:
    """What passes the checks is what the listeners and the worker can read: odd but well-formed
    requests are done (or dropped), not failed."""
    for body in (
        as_json(event(event={"type": "message", "channel_type": "im", "user": "U0001", "text": ""})),
        as_json(event(event={"type": "message", "channel_type": "im", "user": "U9999", "text": "whoami"})),
        as_json(event(event={"type": "user_change", "user": {"id": "U0001"}})),
        as_json(event(event={"type": "reaction_added", "user": "U0001", "reaction": "x", "item": {}})),
        as_json(app_home_opened_payload("U0001")),
    ):
        assert signed_post(cadence, *body).status_code == 200
    from tests.bot.slack.harness import wait_until

    wait_until(lambda: all(row.status in (InboxStatus.DONE,) for row in recorded(cadence)), what="the worker to finish")

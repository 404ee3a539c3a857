"""Signed requests as Slack sends them to the app: slash commands, Events API callbacks and interactivity.

Each kind has two builders:

* ``*_payload(...)`` returns the payload dict. Use it in Socket Mode envelopes
  (``FakeSlackApi.send_socket_envelope``) and in assertions.
* The plain name, such as ``slash_command(...)``, returns ``(body, content_type)``, encoded the way Slack
  encodes it over HTTP. It takes the same arguments as the ``*_payload`` builder.

Then ``sign(secret, built)`` gives the exact body and its headers to POST::

    body, headers = sign(SECRET, slash_command("/cadence", "help", response_url=slack.response_url()))

The defaults match ``FakeSlackApi``: team T0001 "Acme", app A0001, bot UBOT/BBOT, user U0001 "ada", and a DM
channel "D" + user ID. Default ``response_url`` values point at hooks.slack.com, as Slack's do. A test whose code
calls ``respond()`` must pass ``slack.response_url()``; otherwise the offline guard fails the test.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Callable
from typing import Any, ParamSpec
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from tests.fakes.slack_api import APP_ID, BOT_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID

Payload = dict[str, Any]
Body = tuple[str, str]
"""``(body, content_type)``: the exact text to sign and send, and its Content-Type."""
P = ParamSpec("P")

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
VERIFICATION_TOKEN = "legacy-verification-token"  # deprecated by Slack but still present in every payload
DEFAULT_USER_ID = "U0001"
DEFAULT_USER_NAME = "ada"
DEFAULT_CHANNEL_ID = "C0001"

_serial = itertools.count(1)


def _next_serial() -> int:
    return next(_serial)


def _message_ts() -> str:
    """Now in seconds, plus a serial in the microseconds, so that two messages never share a ts."""
    return f"{int(time.time())}.{_next_serial() % 1_000_000:06d}"


def _trigger_id() -> str:
    return f"{_next_serial()}.{int(time.time())}.{uuid.uuid4().hex[:32]}"


def _hooks_url(kind: str, team_id: str) -> str:
    return f"https://hooks.slack.com/{kind}/{team_id}/{_next_serial()}/{uuid.uuid4().hex[:24]}"


def dm_channel_id(user_id: str) -> str:
    """The bot's DM channel with ``user_id``, as ``FakeSlackApi``'s conversations.open reports it."""
    return "D" + user_id


# ---- signing ------------------------------------------------------------------------------------------------------


def signed_headers(
    secret: str, body: str | bytes, timestamp: int | None = None, content_type: str | None = None
) -> dict[str, str]:
    """``X-Slack-Request-Timestamp`` and ``X-Slack-Signature`` (``v0=HMAC-SHA256(secret, "v0:{ts}:{body}")``).

    Sign exactly the bytes you send. Pass ``timestamp=int(time.time()) - 301`` for a stale request.
    """
    timestamp_text = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp_text, body=body)
    assert signature is not None  # only None when the timestamp is None
    headers = {"X-Slack-Request-Timestamp": timestamp_text, "X-Slack-Signature": signature}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return headers


def sign(secret: str, built: Body, timestamp: int | None = None) -> tuple[str, dict[str, str]]:
    """The body and the headers to POST it with (signature and Content-Type)."""
    body, content_type = built
    return body, signed_headers(secret, body, timestamp=timestamp, content_type=content_type)


def retry_headers(retry_num: int, reason: str = "http_timeout") -> dict[str, str]:
    """The headers Slack adds when it redelivers an event. The signature does not cover them."""
    return {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": reason}


# ---- encodings ----------------------------------------------------------------------------------------------------


def json_body(payload: Payload) -> Body:
    """Events API: a JSON body."""
    return json.dumps(payload), JSON


def form_body(payload: Payload) -> Body:
    """Slash commands: the fields, form-encoded."""
    return urlencode(payload), FORM


def interaction_body(payload: Payload) -> Body:
    """Interactivity: the JSON payload in a single form field named ``payload``."""
    return urlencode({"payload": json.dumps(payload)}), FORM


def _encoded(build: Callable[P, Payload], encode: Callable[[Payload], Body]) -> Callable[P, Body]:
    """A body builder that takes exactly the arguments of the payload builder ``build``."""

    def build_body(*args: P.args, **kwargs: P.kwargs) -> Body:
        return encode(build(*args, **kwargs))

    build_body.__name__ = build_body.__qualname__ = build.__name__.removesuffix("_payload")
    build_body.__doc__ = f"``{encode.__name__}`` of ``{build.__name__}``. {build.__doc__ or ''}"
    return build_body


# ---- interaction-state helpers ------------------------------------------------------------------------------------


def text_input_state(value: str | None) -> Payload:
    """What a plain_text_input reports in ``view.state.values[block_id][action_id]``."""
    return {"type": "plain_text_input", "value": value}


def select_state(value: str | None, text: str | None = None, element_type: str = "static_select") -> Payload:
    """What a select menu reports in ``state.values``. ``None`` means nothing is selected."""
    if value is None:
        return {"type": element_type, "selected_option": None}
    option = {"text": {"type": "plain_text", "text": text or value, "emoji": True}, "value": value}
    return {"type": element_type, "selected_option": option}


def options_state(options: list[tuple[str, str]], element_type: str = "checkboxes") -> Payload:
    """What checkboxes or a multi-select menu report in ``state.values``: the ``(value, text)`` pairs ticked.

    A tick's own action carries the same ``selected_options`` (every box ticked so far, not just the one clicked).
    """
    selected = [
        {"text": {"type": "plain_text", "text": text, "emoji": True}, "value": value} for value, text in options
    ]
    return {"type": element_type, "selected_options": selected}


def _user(user_id: str, user_name: str, team_id: str) -> Payload:
    return {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id}


# ---- slash commands -----------------------------------------------------------------------------------------------


def slash_command_payload(
    command: str,
    text: str = "",
    *,
    user_id: str = DEFAULT_USER_ID,
    user_name: str = DEFAULT_USER_NAME,
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    channel_id: str = DEFAULT_CHANNEL_ID,
    channel_name: str = "general",
    trigger_id: str | None = None,
    response_url: str | None = None,
) -> Payload:
    """The fields of a slash command invocation. Slack sends every value as a string."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url or _hooks_url("commands", team_id),
        "trigger_id": trigger_id or _trigger_id(),
    }


slash_command = _encoded(slash_command_payload, form_body)


# ---- Events API ---------------------------------------------------------------------------------------------------


def event_callback_payload(
    event: Payload,
    event_id: str | None = None,
    team_id: str = TEAM_ID,
    *,
    event_time: int | None = None,
) -> Payload:
    """The ``event_callback`` envelope around ``event``. ``event_id`` stays the same across Slack's retries."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{_next_serial():08X}",
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{uuid.uuid4().hex}",
    }


event_callback = _encoded(event_callback_payload, json_body)


def url_verification_payload(challenge: str = "challenge-token") -> Payload:
    """The handshake Slack sends when the Events request URL is configured."""
    return {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}


url_verification = _encoded(url_verification_payload, json_body)


def app_home_opened_event(
    user_id: str = DEFAULT_USER_ID,
    *,
    channel: str | None = None,
    tab: str = "home",
    view: Payload | None = None,
) -> Payload:
    """``app_home_opened``. ``view`` is present once a Home view has been published for the user."""
    event: Payload = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": channel or dm_channel_id(user_id),
        "tab": tab,
        "event_ts": _message_ts(),
    }
    if view is not None:
        event["view"] = view
    return event


def app_home_opened_payload(
    user_id: str = DEFAULT_USER_ID,
    *,
    channel: str | None = None,
    tab: str = "home",
    view: Payload | None = None,
    team_id: str = TEAM_ID,
) -> Payload:
    """``app_home_opened_event`` wrapped in its ``event_callback`` envelope."""
    return event_callback_payload(app_home_opened_event(user_id, channel=channel, tab=tab, view=view), team_id=team_id)


app_home_opened = _encoded(app_home_opened_payload, json_body)


def message_im_event(
    user_id: str,
    text: str,
    *,
    channel: str | None = None,
    ts: str | None = None,
    thread_ts: str | None = None,
    team_id: str = TEAM_ID,
) -> Payload:
    """A person's message in their DM with the bot (``message.im``), including the rich_text block Slack adds."""
    ts = ts or _message_ts()
    event: Payload = {
        "client_msg_id": str(uuid.uuid4()),
        "type": "message",
        "text": text,
        "user": user_id,
        "ts": ts,
        "blocks": [
            {
                "type": "rich_text",
                "block_id": uuid.uuid4().hex[:5],
                "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
            }
        ],
        "team": team_id,
        "channel": channel or dm_channel_id(user_id),
        "event_ts": ts,
        "channel_type": "im",
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return event


def message_im_payload(
    user_id: str,
    text: str,
    *,
    channel: str | None = None,
    ts: str | None = None,
    thread_ts: str | None = None,
    team_id: str = TEAM_ID,
) -> Payload:
    """``message_im_event`` wrapped in its ``event_callback`` envelope."""
    event = message_im_event(user_id, text, channel=channel, ts=ts, thread_ts=thread_ts, team_id=team_id)
    return event_callback_payload(event, team_id=team_id)


message_im = _encoded(message_im_payload, json_body)


# ---- interactivity ------------------------------------------------------------------------------------------------


def block_action_payload(
    action_id: str,
    value: str | None = "",
    *,
    block_id: str = "actions",
    action_type: str = "button",
    action: Payload | None = None,
    user_id: str = DEFAULT_USER_ID,
    user_name: str = DEFAULT_USER_NAME,
    team_id: str = TEAM_ID,
    channel_id: str | None = None,
    message_ts: str | None = None,
    message: Payload | None = None,
    view: Payload | None = None,
    state_values: Payload | None = None,
    trigger_id: str | None = None,
    response_url: str | None = None,
) -> Payload:
    """A ``block_actions`` interaction: one element clicked or changed.

    By default the element sits in a bot message in the user's DM (container type ``message``), and the payload
    carries ``channel``, ``message`` and ``response_url``. Pass ``view`` (for instance the one the fake returned
    from views.publish) for an element in App Home or a modal. The container is then type ``view``, and Slack
    sends no channel and no response_url. ``action`` adds or overrides fields of the action, e.g.
    ``action_type="static_select", value=None, action={"selected_option": ...}``.
    """
    action_ts = _message_ts()
    clicked: Payload = {"action_id": action_id, "block_id": block_id, "type": action_type, "action_ts": action_ts}
    if action_type == "button":
        clicked["text"] = {"type": "plain_text", "text": value or action_id, "emoji": True}
    if value is not None:
        clicked["value"] = value
    clicked.update(action or {})
    payload: Payload = {
        "type": "block_actions",
        "user": _user(user_id, user_name, team_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or _trigger_id(),
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "state": {"values": state_values or {}},
        "actions": [clicked],
    }
    if view is not None:
        view = {"team_id": team_id, "app_installed_team_id": team_id, "state": {"values": {}}, **view}
        payload["container"] = {"type": "view", "view_id": view.get("id", "")}
        payload["view"] = view
        return payload
    channel_id = channel_id or dm_channel_id(user_id)
    message = message or {
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "team": team_id,
        "text": "",
        "ts": message_ts or _message_ts(),
        "blocks": [],
    }
    payload["container"] = {
        "type": "message",
        "message_ts": message["ts"],
        "channel_id": channel_id,
        "is_ephemeral": False,
    }
    payload["channel"] = {"id": channel_id, "name": "directmessage" if channel_id.startswith("D") else channel_id}
    payload["message"] = message
    payload["response_url"] = response_url or _hooks_url("actions", team_id)
    return payload


block_action = _encoded(block_action_payload, interaction_body)


def view_submission_payload(
    callback_id: str,
    values: dict[str, dict[str, Payload]],
    private_metadata: str = "",
    *,
    user_id: str = DEFAULT_USER_ID,
    user_name: str = DEFAULT_USER_NAME,
    team_id: str = TEAM_ID,
    view_id: str | None = None,
    external_id: str = "",
    title: str = "Cadence",
    blocks: list[Payload] | None = None,
    trigger_id: str | None = None,
    response_urls: list[Payload] | None = None,
) -> Payload:
    """A modal submitted with ``values`` as its state: ``{block_id: {action_id: text_input_state("...")}}``."""
    view_id = view_id or f"V{_next_serial():08d}"
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": _user(user_id, user_name, team_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or _trigger_id(),
        "view": {
            "id": view_id,
            "team_id": team_id,
            "type": "modal",
            "blocks": blocks or [],
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": values},
            "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
            "title": {"type": "plain_text", "text": title, "emoji": True},
            "clear_on_close": False,
            "notify_on_close": False,
            "close": {"type": "plain_text", "text": "Cancel", "emoji": True},
            "submit": {"type": "plain_text", "text": "Submit", "emoji": True},
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": APP_ID,
            "external_id": external_id,
            "app_installed_team_id": team_id,
            "bot_id": BOT_ID,
        },
        "response_urls": response_urls or [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


view_submission = _encoded(view_submission_payload, interaction_body)

"""Slack payloads in, ``Inbound`` out: the only place that reads the shape of Slack's requests."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from conversations.messages import Inbound, Platform

UMBRELLA_COMMAND = "cadence"


def team_of(body: Mapping[str, Any]) -> str:
    """The workspace id, wherever this kind of payload keeps it."""
    team = body.get("team")
    if isinstance(team, Mapping) and team.get("id"):
        return str(team["id"])
    user = body.get("user")
    if isinstance(user, Mapping) and user.get("team_id"):
        return str(user["team_id"])
    return str(body.get("team_id") or "")


def from_command(body: Mapping[str, Any]) -> Inbound:
    """``/cadence whoami`` becomes the ``whoami`` command; other slash commands name their own flow."""
    command = str(body.get("command", "")).lstrip("/").lower()
    text = str(body.get("text") or "").strip()
    if command == UMBRELLA_COMMAND:
        first, _, rest = text.partition(" ")
        command, text = (first.lower(), rest.strip()) if first else ("help", "")
    return Inbound(
        platform=Platform.SLACK,
        workspace=team_of(body),
        user=str(body.get("user_id", "")),
        conversation=str(body.get("channel_id", "")),
        command=command,
        text=text,
    )


def is_person_message(event: Mapping[str, Any]) -> bool:
    """A new message a person typed: not an edit, a deletion, a join notice or a bot (ourselves included)."""
    return (
        event.get("type") == "message"
        and event.get("subtype") in (None, "file_share")
        and not event.get("bot_id")
        and bool(event.get("user"))
    )


def from_message(body: Mapping[str, Any], event: Mapping[str, Any]) -> Inbound:
    return Inbound(
        platform=Platform.SLACK,
        workspace=str(body.get("team_id") or event.get("team") or ""),
        user=str(event.get("user", "")),
        conversation=str(event.get("channel", "")),
        text=str(event.get("text") or ""),
    )


def chosen_value(action: Mapping[str, Any]) -> str:
    """A button's value, or the value of the option picked in a menu."""
    selected = action.get("selected_option")
    if isinstance(selected, Mapping):
        return str(selected.get("value", ""))
    return str(action.get("value") or action.get("action_id") or "")


def conversation_of(body: Mapping[str, Any]) -> str:
    channel = body.get("channel")
    if isinstance(channel, Mapping) and channel.get("id"):
        return str(channel["id"])
    container = body.get("container")
    if isinstance(container, Mapping) and container.get("channel_id"):
        return str(container["channel_id"])
    return ""


def from_block_action(body: Mapping[str, Any]) -> Inbound:
    actions = body.get("actions") or [{}]
    return Inbound(
        platform=Platform.SLACK,
        workspace=team_of(body),
        user=str((body.get("user") or {}).get("id", "")),
        conversation=conversation_of(body),
        choice=chosen_value(actions[0]),
    )


def private_metadata(view: Mapping[str, Any]) -> dict[str, Any]:
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        return {}
    return metadata if isinstance(metadata, dict) else {}


def element_value(element: Mapping[str, Any]) -> Any:
    """What a person entered in one input element, as a plain value."""
    kind = element.get("type")
    if kind in ("static_select", "radio_buttons", "external_select"):
        selected = element.get("selected_option")
        return selected.get("value") if isinstance(selected, Mapping) else None
    if kind in ("checkboxes", "multi_static_select", "multi_external_select"):
        return [option.get("value") for option in element.get("selected_options") or []]
    if kind == "datepicker":
        return element.get("selected_date")
    if kind == "multi_users_select":
        return list(element.get("selected_users") or [])
    if kind == "users_select":
        return element.get("selected_user")
    return element.get("value")


def form_values(view: Mapping[str, Any]) -> dict[str, Any]:
    """Submitted values by field id (the block id); every field's element is ``value``."""
    values = ((view.get("state") or {}).get("values")) or {}
    return {
        block_id: element_value(elements.get("value") or next(iter(elements.values()), {}))
        for block_id, elements in values.items()
        if isinstance(elements, Mapping)
    }


def from_view_submission(body: Mapping[str, Any]) -> Inbound:
    view = body.get("view") or {}
    return Inbound(
        platform=Platform.SLACK,
        workspace=team_of(body),
        user=str((body.get("user") or {}).get("id", "")),
        conversation=str(private_metadata(view).get("channel", "")),
        form_id=str(view.get("callback_id", "")),
        form=form_values(view),
    )

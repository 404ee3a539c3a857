"""Slack payloads in, ``Inbound`` out: the only place that reads the shape of Slack's requests."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from typing import Any

from bot.slack.render import PICKS_ACTION, PICKS_BLOCK, SEND_PICKS_ACTION
from conversations.messages import PICKED, Inbound, Platform, Reaction

UMBRELLA_COMMAND = "cadence"
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!([a-z]+)(?:\^[^|>]*)?(?:\|([^>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")


def read_text(text: str) -> tuple[str, tuple[str, ...]]:
    """Slack's message markup as plain words, and the user ids it mentions, in order.

    ``<@U123|ada>`` becomes ``@ada``, ``<#C1|general>`` ``#general``, ``<!here>`` ``@here`` (words
    only, never a notification), ``<https://x|label>`` its label; Slack's escapes are undone.
    """
    mentions: list[str] = []

    def user(match: re.Match) -> str:
        mentions.append(match.group(1))
        return "@" + (match.group(2) or match.group(1))

    text = _USER.sub(user, text)
    text = _CHANNEL.sub(lambda match: "#" + (match.group(2) or match.group(1)), text)
    text = _SPECIAL.sub(lambda match: "@" + (match.group(2) or match.group(1)).lstrip("@"), text)
    text = _LINK.sub(lambda match: match.group(2) or match.group(1), text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text, tuple(mentions)


def message_ref(channel: str, ts: str) -> str:
    """How Cadence names a Slack message (a delivery's ``platform_message_id``, a reaction's target):
    its channel and its timestamp."""
    return f"{channel}/{ts}"


def parse_message_ref(ref: str) -> tuple[str, str] | None:
    channel, _, ts = ref.partition("/")
    return (channel, ts) if channel and ts else None


def in_channel(conversation: str) -> bool:
    """Shared channels (``C…``, ``G…``) as opposed to direct messages (``D…``)."""
    return bool(conversation) and not conversation.startswith("D")


def team_of(body: Mapping[str, Any]) -> str:
    """The workspace id, wherever this kind of payload keeps it."""
    team = body.get("team")
    if isinstance(team, Mapping) and team.get("id"):
        return str(team["id"])
    user = body.get("user")
    if isinstance(user, Mapping) and user.get("team_id"):
        return str(user["team_id"])
    return str(body.get("team_id") or "")


def request_id(body: Mapping[str, Any]) -> str:
    """What makes this click unique: Slack's trigger id, or one of our own if a payload ever lacks it
    (a shared fallback key would make every later such click look like a redelivery)."""
    return str(body.get("trigger_id") or uuid.uuid4())


def from_command(body: Mapping[str, Any]) -> Inbound:
    """``/cadence whoami`` becomes the ``whoami`` command; other slash commands name their own flow."""
    command = str(body.get("command", "")).lstrip("/").lower()
    text, mentions = read_text(str(body.get("text") or "").strip())
    if command == UMBRELLA_COMMAND:
        first, _, rest = text.partition(" ")
        command, text = (first.lower(), rest.strip()) if first else ("help", "")
    conversation = str(body.get("channel_id", ""))
    return Inbound(
        platform=Platform.SLACK,
        workspace=team_of(body),
        user=str(body.get("user_id", "")),
        conversation=conversation,
        command=command,
        text=text,
        mentions=mentions,
        in_channel=in_channel(conversation),
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
    text, mentions = read_text(str(event.get("text") or ""))
    conversation = str(event.get("channel", ""))
    return Inbound(
        platform=Platform.SLACK,
        workspace=str(body.get("team_id") or event.get("team") or ""),
        user=str(event.get("user", "")),
        conversation=conversation,
        text=text,
        mentions=mentions,
        in_channel=in_channel(conversation),
    )


def from_reaction(body: Mapping[str, Any], event: Mapping[str, Any], *, added: bool) -> Inbound | None:
    """An emoji on a message; None for reactions on files or other items that aren't messages."""
    item = event.get("item") or {}
    if item.get("type") != "message":
        return None
    conversation = str(item.get("channel", ""))
    reaction = Reaction(
        emoji=str(event.get("reaction", "")).split("::")[0],
        target=message_ref(conversation, str(item.get("ts", ""))),
        target_author=str(event.get("item_user") or ""),
        added=added,
    )
    return Inbound(
        platform=Platform.SLACK,
        workspace=str(body.get("team_id") or ""),
        user=str(event.get("user", "")),
        conversation=conversation,
        reaction=reaction,
        in_channel=in_channel(conversation),
    )


def from_shortcut(body: Mapping[str, Any]) -> Inbound:
    """A global shortcut picks a flow like a button does: its callback id is the choice."""
    return Inbound(
        platform=Platform.SLACK,
        workspace=team_of(body),
        user=str((body.get("user") or {}).get("id", "")),
        conversation="",
        choice=str(body.get("callback_id", "")),
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


def is_tick(action: Mapping[str, Any]) -> bool:
    """A box of a choice set ticked or unticked (or an option picked in its menu): Slack reports each
    one, but nothing is chosen until the set's button sends the ticks together."""
    return action.get("action_id") == PICKS_ACTION


def picked_values(body: Mapping[str, Any]) -> list[str]:
    """The values ticked in the message's choice set, from the state Slack sends with the button press."""
    values = ((body.get("state") or {}).get("values")) or {}
    element = (values.get(PICKS_BLOCK) or {}).get(PICKS_ACTION)
    picked = element_value(element) if isinstance(element, Mapping) else None
    return [str(value) for value in picked if value is not None] if isinstance(picked, list) else []


def from_block_action(body: Mapping[str, Any]) -> Inbound | None:
    """A press or a pick, as a choice; a choice set's button carries the ticks in ``form[PICKED]``.
    None for a tick on its own, which changes nothing until the set is sent."""
    action = (body.get("actions") or [{}])[0]
    if is_tick(action):
        return None
    sends_picks = action.get("action_id") == SEND_PICKS_ACTION
    return Inbound(
        platform=Platform.SLACK,
        workspace=team_of(body),
        user=str((body.get("user") or {}).get("id", "")),
        conversation=conversation_of(body),
        choice=chosen_value(action),
        form={PICKED: picked_values(body)} if sends_picks else None,
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
    conversation = str(private_metadata(view).get("channel", ""))
    return Inbound(
        platform=Platform.SLACK,
        workspace=team_of(body),
        user=str((body.get("user") or {}).get("id", "")),
        conversation=conversation,
        form_id=str(view.get("callback_id", "")),
        form=form_values(view),
        in_channel=in_channel(conversation),  # a form opened from a channel answers in private, not there
    )

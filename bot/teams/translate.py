"""Teams activities as what Cadence understands: who (their Entra object id), which tenant, which
conversation, what they said or pressed, read through the SDK's activity models.

Only this module and the rest of ``bot/teams`` know an activity's shape. A message's text loses its
``<at>Cadence</at>`` mention and its HTML; a card button (``Action.Execute``) carries Cadence's own
data, named by the keys below, with the values of the card's inputs merged in by Teams.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from bot.teams.sdk import ACTIVITY_MODELS
from conversations.messages import PICKED, Inbound, Platform, Reaction
from conversations.validation_words import describe_errors

CHOICE = "cadence_choice"
"""``data`` key of a button: the choice's value."""
CHOICE_SET = "cadence_choice_set"
"""``data`` key of a choice set's button: the set's id; the ticks are the input named ``PICKS_INPUT``."""
PICKS_INPUT = "cadence_picks"
FORM = "cadence_form"
"""``data`` key of a form's button: the form's id; each field is the input named by its id."""
VERB = "cadence"
"""The ``verb`` of every ``Action.Execute`` Cadence puts on a card."""
FILE_CONTEXT = "cadence_file"
"""Key of a file consent card's accept and decline context: the outbox key of the delivery that asked."""

_TAG = re.compile(r"<[^>]+>")
_MENTION = re.compile(r"<at>(.*?)</at>", re.IGNORECASE | re.DOTALL)


class MalformedActivity(ValueError):
    """Not an activity at all (no type, no sender, no conversation): answered with 400."""


@dataclass(frozen=True)
class Where:
    """A conversation Cadence can write to later, as the Bot Connector needs it."""

    tenant: str
    conversation: str
    service_url: str
    user: str = ""  # the sender's Entra object id
    user_key: str = ""  # the sender's Bot Framework id (29:…), what creating a chat with them takes
    personal: bool = True
    team: str = ""  # the team the conversation belongs to, for a channel

    def reference(self) -> dict[str, str]:
        return {
            "conversation": self.conversation,
            "service_url": self.service_url,
            "tenant": self.tenant,
            "user_key": self.user_key,
        }


@dataclass(frozen=True)
class Said:
    """A message, a button press or a reaction: for the engine, through the inbox."""

    where: Where
    inbound: Inbound
    pressed: str | None = None  # the id of the card whose button was pressed (its activity id)
    mentions: tuple[tuple[str, str], ...] = ()  # (Bot Framework id, name) of people mentioned
    timezone: str | None = None  # the IANA zone the sender's Teams client reports


@dataclass(frozen=True)
class Submitted:
    """A form sent from a card: checked inside the request, so problems show on the card."""

    where: Where
    inbound: Inbound
    card: str | None = None


@dataclass(frozen=True)
class FileConsent:
    """A person's answer to a file consent card Cadence sent: accepted, with where in their OneDrive
    to put the file (``upload``: its name, upload URL, content URL, unique id and type), or declined."""

    where: Where
    asked_by: str  # the outbox key of the delivery whose card it was
    accepted: bool
    upload: Mapping[str, str]


@dataclass(frozen=True)
class Installed:
    where: Where
    added: bool = True


@dataclass(frozen=True)
class Ignored:
    """An activity Cadence has nothing to do with (typing, a member joining a team, a new kind)."""

    why: str = ""


@dataclass(frozen=True)
class Unsupported:
    """An invoke Cadence doesn't know: answered with a proper invoke response, never a 500."""

    name: str = ""


TeamsRequest = Said | Submitted | FileConsent | Installed | Ignored | Unsupported


def read_text(text: str, bot_name: str | None = None) -> tuple[str, tuple[str, ...]]:
    """A message's words without the bot's mention or HTML (``<at>Ada Lovelace</at>`` becomes
    ``@AdaLovelace``), and the names it mentions."""
    names = tuple(html.unescape(_TAG.sub("", match.group(1))).strip() for match in _MENTION.finditer(text))

    def keep(match: re.Match[str]) -> str:
        name = html.unescape(_TAG.sub("", match.group(1))).strip()
        if bot_name is not None and name.lower() == bot_name.lower():
            return ""
        return "@" + re.sub(r"\s+", "", name)  # one word, as a typed @handle is

    plain = _MENTION.sub(keep, text)
    plain = re.sub(r"<br\s*/?>|</p>|</div>", "\n", plain, flags=re.IGNORECASE)
    plain = html.unescape(_TAG.sub("", plain)).replace("\xa0", " ")
    return re.sub(r"[ \t]+", " ", plain).strip(), names


def _tenant(body: Mapping[str, Any]) -> str:
    conversation = body.get("conversation") or {}
    channel_data = body.get("channelData") or {}
    tenant = (channel_data.get("tenant") or {}) if isinstance(channel_data, Mapping) else {}
    return str(
        (conversation.get("tenantId") if isinstance(conversation, Mapping) else None)
        or (tenant.get("id") if isinstance(tenant, Mapping) else None)
        or ""
    )


def _team(body: Mapping[str, Any]) -> str:
    channel_data = body.get("channelData")
    team = channel_data.get("team") if isinstance(channel_data, Mapping) else None
    return str(team.get("id") or "") if isinstance(team, Mapping) else ""


def _where(activity: Any, body: Mapping[str, Any]) -> Where:
    sender = activity.from_
    conversation = activity.conversation
    kind = str(getattr(conversation, "conversation_type", "") or "personal")
    return Where(
        tenant=_tenant(body),
        conversation=str(conversation.id),
        service_url=str(activity.service_url or ""),
        user=str(sender.aad_object_id or sender.id),
        user_key=str(sender.id),
        personal=kind == "personal",
        team=_team(body),
    )


def _inbound(where: Where, **fields: Any) -> Inbound:
    return Inbound(
        platform=Platform.TEAMS,
        workspace=where.tenant,
        user=where.user,
        conversation=where.conversation,
        in_channel=not where.personal,
        **fields,
    )


def timezone_of(activity: Any) -> str | None:
    """The IANA zone the person's Teams client reports (its ``clientInfo`` entity), if any."""
    for entity in getattr(activity, "entities", None) or ():
        if getattr(entity, "type", None) == "clientInfo" and getattr(entity, "timezone", None):
            return str(entity.timezone)
    return None


UNKNOWN_KIND = "union_tag_invalid"
"""The SDK's error for an activity type (or an invoke name) it has no model for."""


def parse(body: Any) -> Any:
    """The SDK's model of an activity; ``MalformedActivity`` for what isn't one (no type, no sender,
    no conversation, or a kind the SDK models with a field of the wrong shape), None for a valid
    activity of a kind the SDK doesn't model (a new event, ``endOfConversation``)."""
    if not isinstance(body, Mapping) or not isinstance(body.get("type"), str):
        raise MalformedActivity("an activity is a JSON object with a type")
    for required in ("from", "conversation"):
        if not isinstance(body.get(required), Mapping) or not body[required].get("id"):
            raise MalformedActivity(f"an activity names its {required} with an id")
    try:
        return ACTIVITY_MODELS.validate_python(dict(body))
    except ValidationError as error:
        details = error.errors()
        if all(detail["type"] == UNKNOWN_KIND for detail in details):
            return None
        first = next(detail for detail in details if detail["type"] != UNKNOWN_KIND)
        tags = (body["type"], body.get("name"))  # how the SDK's union names the model it tried
        loc = tuple(part for index, part in enumerate(first["loc"]) if index >= len(tags) or part != tags[index])
        said = describe_errors([{**first, "loc": loc}], BaseModel, key_noun="field")[0]
        raise MalformedActivity(f"{said.where}: {said.message}") from None


def translate(body: Mapping[str, Any], bot_name: str) -> TeamsRequest:
    activity = parse(body)
    if activity is None:
        kind, name = body.get("type"), body.get("name")
        if kind == "invoke":
            return Unsupported(str(name or ""))
        return Ignored(f"{kind} {name or ''}".strip())
    where = _where(activity, body)
    kind = activity.type
    if kind == "message":
        return _message(activity, where, bot_name)
    if kind == "invoke":
        if getattr(activity, "name", None) == "adaptiveCard/action":
            return _card_action(activity, where, body)
        if getattr(activity, "name", None) == "fileConsent/invoke":
            return _file_consent(activity, where)
        return Unsupported(str(getattr(activity, "name", "") or ""))
    if kind == "installationUpdate":
        action = str(getattr(activity, "action", ""))
        return Installed(where, added=not action.startswith("remove"))
    if kind == "conversationUpdate":
        added = {str(member.id) for member in activity.members_added or ()}
        bot = str(activity.recipient.id)
        return Installed(where) if bot in added else Ignored("conversationUpdate")
    if kind == "messageReaction":
        return _reaction(activity, where)
    return Ignored(kind)


def _message(activity: Any, where: Where, bot_name: str) -> TeamsRequest:
    text, _ = read_text(str(activity.text or ""), bot_name)
    value = activity.value if isinstance(getattr(activity, "value", None), Mapping) else None
    if value is not None and not text:  # an old-style Action.Submit from a card
        return _from_data(value, where, None)
    bot = str(activity.recipient.id)
    mentions = tuple(
        (str(entity.mentioned.id), str(entity.mentioned.name or ""))
        for entity in activity.entities or ()
        if getattr(entity, "type", None) == "mention" and str(entity.mentioned.id) != bot
    )
    return Said(where, _inbound(where, text=text), mentions=mentions, timezone=timezone_of(activity))


def _card_action(activity: Any, where: Where, body: Mapping[str, Any]) -> TeamsRequest:
    action = activity.value.action
    data = dict(action.data or {})
    card = str(body.get("replyToId") or "") or None
    return _from_data(data, where, card)


def _file_consent(activity: Any, where: Where) -> TeamsRequest:
    answer = activity.value
    context = answer.context if isinstance(answer.context, Mapping) else {}
    if not context.get(FILE_CONTEXT):
        return Unsupported("fileConsent/invoke")  # not a card of ours
    info = answer.upload_info
    upload = (
        {
            "name": str(info.name or ""),
            "upload_url": str(info.upload_url or ""),
            "content_url": str(info.content_url or ""),
            "unique_id": str(info.unique_id or ""),
            "file_type": str(info.file_type or ""),
        }
        if info is not None
        else {}
    )
    accepted = answer.action == "accept" and bool(upload.get("upload_url"))
    return FileConsent(where, str(context[FILE_CONTEXT]), accepted, upload)


def _from_data(data: Mapping[str, Any], where: Where, card: str | None) -> TeamsRequest:
    if FORM in data:
        values = {key: _input_value(value) for key, value in data.items() if not key.startswith("cadence_")}
        return Submitted(where, _inbound(where, form_id=str(data[FORM]), form=values), card)
    if CHOICE_SET in data:
        picks = [value for value in str(data.get(PICKS_INPUT) or "").split(",") if value]
        return Said(where, _inbound(where, choice=str(data[CHOICE_SET]), form={PICKED: picks}), pressed=card)
    if CHOICE in data:
        return Said(where, _inbound(where, choice=str(data[CHOICE])), pressed=card)
    return Unsupported("adaptiveCard/action")


def _input_value(value: Any) -> Any:
    """Teams sends every input as text; an empty one is no answer."""
    if isinstance(value, str):
        return value if value.strip() else None
    return value


def _reaction(activity: Any, where: Where) -> TeamsRequest:
    """A reaction to one of Cadence's messages (Teams reports no others to a bot)."""
    added = list(activity.reactions_added or ())
    removed = list(activity.reactions_removed or ())
    reaction = (added or removed or [None])[0]
    if reaction is None or not activity.reply_to_id:
        return Ignored("messageReaction")
    return Said(
        where,
        _inbound(
            where,
            reaction=Reaction(
                emoji=str(reaction.type),
                target=message_ref(where.conversation, str(activity.reply_to_id)),
                target_author="",
                added=bool(added),
            ),
        ),
    )


def message_ref(conversation: str, activity_id: str) -> str:
    """How a Teams message is named where Cadence keeps one (a recognition card's id)."""
    return f"{conversation}/{activity_id}"

"""Where a message goes, as data every platform understands: the outbox stores it, and each
platform's transport maps it to its own API (Slack: a private reply in a channel is an ephemeral
message; Teams: a direct message).

- :class:`ReplyHere`: in the conversation the request came from;
- :class:`PrivateReply`: there, seen by one person only;
- :class:`DirectMessage`: in the person's one-to-one chat with Cadence, started if need be;
- :class:`ChannelPost`: in a shared channel the settings name (``#kudos``) or a request came from;
- :class:`CommandAnswer`: the answer to a command, through the handle the platform gave for it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class DestinationType(enum.StrEnum):
    REPLY_HERE = "reply_here"
    PRIVATE_REPLY = "private_reply"
    DIRECT_MESSAGE = "direct_message"
    CHANNEL_POST = "channel_post"
    COMMAND_ANSWER = "command_answer"


@dataclass(frozen=True)
class ReplyHere:
    """In the request's conversation; ``person_id`` is who it is for when that is a direct message."""

    conversation: str
    person_id: int | None = None


@dataclass(frozen=True)
class PrivateReply:
    conversation: str
    person_id: int


@dataclass(frozen=True)
class DirectMessage:
    person_id: int


@dataclass(frozen=True)
class ChannelPost:
    channel: str


@dataclass(frozen=True)
class CommandAnswer:
    """``reply_to`` is the platform's handle for answering the command (Slack: its ``response_url``)."""

    reply_to: str
    person_id: int | None = None


Destination = ReplyHere | PrivateReply | DirectMessage | ChannelPost | CommandAnswer

_TYPES: dict[DestinationType, type] = {
    DestinationType.REPLY_HERE: ReplyHere,
    DestinationType.PRIVATE_REPLY: PrivateReply,
    DestinationType.DIRECT_MESSAGE: DirectMessage,
    DestinationType.CHANNEL_POST: ChannelPost,
    DestinationType.COMMAND_ANSWER: CommandAnswer,
}
_NAMES = {kind: name for name, kind in _TYPES.items()}


def destination_to_dict(destination: Destination) -> dict[str, Any]:
    return {"type": _NAMES[type(destination)].value, **destination.__dict__}


def destination_from_dict(data: Mapping[str, Any]) -> Destination:
    fields = {key: value for key, value in data.items() if key != "type"}
    return _TYPES[DestinationType(data["type"])](**fields)


def reader_of(destination: Destination) -> int | None:
    """The one person who reads it, when there is one (not for a channel post)."""
    return getattr(destination, "person_id", None)


def ordering_key(destination: Destination) -> str:
    """Whose messages stay in order with each other (the outbox's ``recipient``): one person's, or one
    channel's. A person never reads the second question before the first, whichever way each came."""
    person_id = reader_of(destination)
    if person_id is not None:
        return f"person:{person_id}"
    if isinstance(destination, ChannelPost):
        return f"channel:{destination.channel}"
    if isinstance(destination, ReplyHere):
        return f"conversation:{destination.conversation}"
    return f"answer:{destination.reply_to}"[:200]


def address(message: Any, inbound: Any, *, command_answer: str | None = None) -> Destination | None:
    """Where one of a request's messages goes (``message`` an Outbound, ``inbound`` the request with its
    actor): to someone else directly, to a channel, back to a command, or back where it was said (in
    private when asked to, and never in public to someone Cadence doesn't know)."""
    actor = inbound.actor
    if message.to_channel is not None:
        return ChannelPost(message.to_channel)
    if message.to_person_id is not None and (actor is None or message.to_person_id != actor.person_id):
        return DirectMessage(message.to_person_id)
    person_id = actor.person_id if actor is not None else None
    if command_answer is not None:
        return CommandAnswer(command_answer, person_id)
    if inbound.conversation and not inbound.in_channel:
        return ReplyHere(inbound.conversation, person_id)
    if actor is None:
        return None  # someone we don't know, in a shared place: never answer them in public
    if not inbound.conversation or inbound.form_id is not None:
        return DirectMessage(actor.person_id)  # a Home tab, a shortcut or a form: in their direct messages
    if message.private:
        return PrivateReply(inbound.conversation, actor.person_id)
    return ReplyHere(inbound.conversation)

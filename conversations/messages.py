"""The only types that cross the platform boundary.

Adapters (Slack, Teams, the shell) turn what a person did into an :class:`Inbound` and turn an
:class:`Outbound` back into their own layout. Flows never see a platform payload, so one flow
serves every platform. Everything here is plain data that round-trips through JSON, because
outbound messages wait in the outbox and conversation state waits in the database.
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache
from typing import Any

FORM_ERRORS = "form_errors"
"""An outbound kind: the submitted form has problems. ``data["errors"]`` maps field ids to the
values of a problem, which the template named by ``data["template"]`` words. Platforms show
them next to the fields (Slack: ``response_action: errors``) and keep the form open."""


INTERNAL_ERROR = "internal_error"
"""An outbound kind: handling a request failed on our side and nothing was saved."""

DATABASE_AWAY = "database_away"
"""An outbound kind: the request couldn't even be recorded, because the database is away (restarting,
unreachable); nothing was saved, and trying again shortly will work."""

FORM_TOO_LATE = "form_too_late"
"""An outbound kind: a form could not be opened because the platform's window for it had passed."""

FORM_NEEDS_A_CLICK = "form_needs_a_click"
"""An outbound kind: a typed command asked for a form that the platform only opens from a click
(Slack opens forms from a button or a slash command); its button runs the command again."""

COMMAND_CHOICE = "command:"
"""A button whose value is ``command:goal new`` runs that command, as if it had been typed."""


class Platform(enum.StrEnum):
    SLACK = "slack"
    TEAMS = "teams"
    SHELL = "shell"


@dataclass(frozen=True)
class Actor:
    """The person behind an inbound message, as the directory knows them."""

    person_id: int
    workspace_id: int
    display_name: str
    email: str | None
    timezone: str
    role: str
    team: str | None = None
    manager_name: str | None = None
    report_count: int = 0


@dataclass(frozen=True)
class Reaction:
    """An emoji put on (or taken off) a message: ``target`` names the message, ``target_author`` wrote it."""

    emoji: str
    target: str
    target_author: str
    added: bool = True


@dataclass(frozen=True)
class Inbound:
    """Something a person said or did: a message, a command, a button press or a submitted form.

    ``command`` is a product command without its slash (``"kudos"``) with ``text`` holding its
    arguments; ``choice`` is the value of a pressed button or picked option; ``form`` holds the
    values of a submitted form by field id, ``form_id`` naming the form. ``mentions`` are the
    platform user ids the text mentions, in order (the adapter writes each as ``@name`` in
    ``text``); ``reaction`` is an emoji reaction; ``in_channel`` says the conversation is shared
    (a channel), not a direct message. ``actor`` is filled by the engine, never by adapters.
    """

    platform: Platform
    workspace: str
    user: str
    conversation: str
    text: str = ""
    command: str | None = None
    choice: str | None = None
    form_id: str | None = None
    form: Mapping[str, Any] | None = None
    mentions: tuple[str, ...] = ()
    reaction: Reaction | None = None
    in_channel: bool = False
    actor: Actor | None = None


@dataclass(frozen=True)
class Choice:
    """A button or option; ``value`` comes back as ``Inbound.choice`` when picked."""

    label: str
    value: str
    style: str | None = None  # "primary" or "danger": a hint, platforms may ignore it
    answer: bool = False  # a one-click answer to its message's question, not an action such as "Skip this week"


@dataclass(frozen=True)
class ChoiceSet:
    """Options ticked together and sent with one button: a checkbox set under a message on Slack,
    numbers typed with commas in the shell. Sending comes back as ``Inbound.choice`` = ``id`` with
    the ticked values in ``Inbound.form[PICKED]``."""

    id: str
    options: tuple[Choice, ...]
    submit_label: str = "Done"


PICKED = "picked"


class FieldKind(enum.StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    NUMBER = "number"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    DATE = "date"
    PEOPLE = "people"


@dataclass(frozen=True)
class FormField:
    id: str
    label: str
    kind: FieldKind = FieldKind.TEXT
    required: bool = False
    options: tuple[Choice, ...] = ()
    initial: Any = None
    hint: str | None = None
    max_length: int | None = None


@dataclass(frozen=True)
class Form:
    """A set of fields answered together: a modal on Slack, a card on Teams, prompts in the shell."""

    id: str
    title: str
    fields: tuple[FormField, ...]
    submit_label: str = "Submit"


@dataclass(frozen=True)
class ConfiguredChannel:
    """A channel the settings name (``kudos.channel``), as a name on each platform that has one: the
    message is posted on every platform the organisation is on where the settings name a channel."""

    names: Mapping[str, str]

    @classmethod
    def read(cls, value: Mapping[str, str] | str) -> ConfiguredChannel:
        """From a flow's saved state; a plain name, saved before channels were per platform, names it everywhere."""
        return cls({platform.value: value for platform in Platform} if isinstance(value, str) else dict(value))

    def on(self, platform: Platform) -> str | None:
        return self.names.get(platform.value)


@dataclass(frozen=True)
class Outbound:
    """A message to show: ``kind`` names the words template, ``data`` fills it.

    ``to_person_id`` is None for a reply in the conversation the inbound came from; set it to
    message someone else (a manager, a kudos recipient), set ``to_channel`` to post in a shared
    channel on the platform the request came from (the one it was said in), or
    ``to_configured_channel`` to post in a channel the settings name (``#kudos``). ``private`` asks for a reply only the
    person sees when the conversation is shared (an ephemeral message on Slack). ``thread``
    names an earlier message (by its outbox dedupe key) that this one answers, so platforms with
    threads can put it there.
    """

    kind: str
    data: Mapping[str, Any] = field(default_factory=dict)
    choices: tuple[Choice, ...] = ()
    form: Form | None = None
    choice_set: ChoiceSet | None = None
    to_person_id: int | None = None
    to_channel: str | None = None
    to_configured_channel: ConfiguredChannel | None = None
    private: bool = False
    thread: str | None = None


_OUTBOUND_FIELDS = tuple(item.name for item in fields(Outbound))


_INBOUND_FIELDS = tuple(item.name for item in fields(Inbound))


def inbound_to_dict(message: Inbound) -> dict[str, Any]:
    """A JSON-ready copy of what an adapter received (before the engine adds the actor), for the inbox.

    Field by field rather than ``dataclasses.asdict``, whose deep copy was a twentieth of an ack's CPU."""
    data = {name: getattr(message, name) for name in _INBOUND_FIELDS}
    data["actor"] = None
    data["form"] = None if message.form is None else copy.deepcopy(dict(message.form))
    data["reaction"] = None if message.reaction is None else asdict(message.reaction)
    return data


def inbound_from_dict(data: Mapping[str, Any]) -> Inbound:
    reaction = data.get("reaction")
    form = data.get("form")
    return Inbound(
        platform=Platform(data["platform"]),
        workspace=data["workspace"],
        user=data["user"],
        conversation=data["conversation"],
        text=data.get("text") or "",
        command=data.get("command"),
        choice=data.get("choice"),
        form_id=data.get("form_id"),
        form=dict(form) if form is not None else None,
        mentions=tuple(data.get("mentions") or ()),
        reaction=Reaction(**reaction) if reaction else None,
        in_channel=bool(data.get("in_channel", False)),
    )


_ATOMS = frozenset({str, int, float, bool, type(None)})


@dataclass(frozen=True)
class _Wrapped:
    value: Any


def _plain(value: Any) -> Any:
    """``value`` as ``asdict`` copies it: atoms as they are (a copy of one is itself), anything else
    through ``asdict`` itself."""
    return value if type(value) in _ATOMS else asdict(_Wrapped(value))["value"]


@lru_cache(maxsize=256)
def _choices_to_dicts(choices: tuple[Choice, ...]) -> tuple[dict[str, Any], ...]:
    return tuple(asdict(choice) for choice in choices)


def outbound_to_dict(message: Outbound) -> dict[str, Any]:
    """A JSON-ready copy of ``message``, for the outbox; ``outbound_from_dict`` reverses it.

    The same as ``asdict(message)``, only faster: a tick queues 100,000 prompts with the same
    buttons, which are converted once (each message gets its own copies), and ``asdict`` walking
    every field of every message was a third of that tick's time."""
    plain: dict[str, Any] = {}
    for name in _OUTBOUND_FIELDS:
        value = getattr(message, name)
        if name == "choices":
            plain[name] = tuple(dict(choice) for choice in _choices_to_dicts(value))
        elif name == "data" and type(value) is dict:
            plain[name] = {_plain(key): _plain(item) for key, item in value.items()}
        else:
            plain[name] = _plain(value)
    return plain


def outbound_from_dict(data: Mapping[str, Any]) -> Outbound:
    form = data.get("form")
    choice_set = data.get("choice_set")
    return Outbound(
        kind=data["kind"],
        data=dict(data.get("data") or {}),
        choices=tuple(Choice(**choice) for choice in data.get("choices") or ()),
        form=_form_from_dict(form) if form else None,
        choice_set=(
            ChoiceSet(
                id=choice_set["id"],
                options=tuple(Choice(**option) for option in choice_set.get("options") or ()),
                submit_label=choice_set.get("submit_label", "Done"),
            )
            if choice_set
            else None
        ),
        to_person_id=data.get("to_person_id"),
        to_channel=data.get("to_channel"),
        to_configured_channel=(
            ConfiguredChannel(dict(data["to_configured_channel"]["names"]))
            if data.get("to_configured_channel")
            else None
        ),
        private=bool(data.get("private", False)),
        thread=data.get("thread"),
    )


def _form_from_dict(data: Mapping[str, Any]) -> Form:
    return Form(
        id=data["id"],
        title=data["title"],
        submit_label=data.get("submit_label", "Submit"),
        fields=tuple(
            FormField(
                **{
                    **field_data,
                    "kind": FieldKind(field_data["kind"]),
                    "options": tuple(Choice(**option) for option in field_data.get("options") or ()),
                }
            )
            for field_data in data["fields"]
        ),
    )

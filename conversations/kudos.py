"""Peer kudos as pure flows.

``kudos``: ``/kudos @a @b for shipping the release #ownership`` (or the "Give kudos" form): checks
the recipients, the message, the company values and the giver's daily allowance, then posts a
recognition card, tells each recipient and tells the giver how many kudos are left today.
``kudos_reaction``: a configured emoji on someone's message gives its author a kudos (and takes
it back when removed); on a recognition card it adds a +1 to that card's recipients.
``kudos stats`` and ``kudos top``: counts and the leaderboard.

The storage context resolves mentions to people and loads values, allowance and settings; the
flows only decide. Problems are codes worded by the ``kudos_problem`` template.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar

from conversations.flow import Change, State, StepResult, reply
from conversations.messages import (
    FORM_ERRORS,
    Choice,
    ConfiguredChannel,
    FieldKind,
    Form,
    FormField,
    Inbound,
    Outbound,
)
from conversations.words import Labels

MAX_MESSAGE = 1000
PERIODS = ("week", "month", "quarter")
# mentions, each followed by any joining words ("@a, @b and @c"): a message that starts with "and" keeps it
_LEADING_MENTIONS = re.compile(
    r"^(?:\s*(?:@\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)(?:\s*(?:,|\band\b|&))*\s*)+", re.IGNORECASE
)
_VALUE_TAG = re.compile(r"(?<![\w#])#([^\W\d_][\w-]*)", re.UNICODE)  # #ownership, not #42
_SKILL_TAG = re.compile(r"(?<![\w~])~([^\W\d_][\w-]*)", re.UNICODE)  # ~mentoring, not ~5 or a~b


@dataclass(frozen=True)
class KudosGiven(Change):
    """Kudos from the actor to each recipient; ``source_ref`` ties reaction kudos to their message."""

    recipient_ids: tuple[int, ...]
    message: str
    values: tuple[str, ...]
    source: str
    giver_local_date: date
    source_ref: str | None = None
    skills: tuple[str, ...] = ()


@dataclass(frozen=True)
class KudosTakenBack(Change):
    source_ref: str


def parse_kudos_text(text: str) -> tuple[str, tuple[str, ...]]:
    """The message and the value tags of ``@a @b for shipping it #ownership``: leading mentions and
    tags are not part of the message; mentions further in stay, as the words they are."""
    values = tuple(dict.fromkeys(tag.lower().rstrip("-") for tag in _VALUE_TAG.findall(text)))
    message = _SKILL_TAG.sub("", _VALUE_TAG.sub("", text))
    message = _LEADING_MENTIONS.sub("", message, count=1)
    message = re.sub(r"\s+([.!?,;:])", r"\1", re.sub(r"\s+", " ", message)).strip(" ,;:-")
    return message, values


def skill_tags(text: str) -> tuple[str, ...]:
    """The skills ``~mentoring ~system-design`` tags name, in order without repeats."""
    return tuple(dict.fromkeys(tag.lower().rstrip("-") for tag in _SKILL_TAG.findall(text)))


def problem(code: str, **values: Any) -> Outbound:
    return Outbound("kudos_problem", {"code": code, **values}, private=True)


def check(
    context: Mapping[str, Any],
    recipients: Sequence[Mapping[str, Any]],
    message: str,
    values: Sequence[str],
    skills: Sequence[str] = (),
) -> tuple[str, dict[str, Any]] | None:
    """The first thing wrong with these kudos, as (code, details), or None when they can be given."""
    giver = context["giver"]
    configured = {value["slug"] for value in context["values"]}
    if context.get("unknown"):
        return "unknown_person", {"names": list(context["unknown"])}
    if not recipients:
        return "no_recipient", {}
    if any(person["id"] == giver["id"] for person in recipients):
        return "self", {}
    for person in recipients:
        if person.get("is_bot"):
            return "bot", {"name": person["display_name"]}
        if not person.get("active", True):
            return "inactive", {"name": person["display_name"]}
    if not message:
        return "empty_message", {}
    if len(message) > MAX_MESSAGE:
        return "too_long", {"length": len(message), "limit": MAX_MESSAGE}
    unknown_values = [value for value in values if value not in configured]
    if unknown_values:
        return "unknown_value", {"value": unknown_values[0], "configured": sorted(configured)}
    if context["settings"]["require_value"] and not values:
        return "value_required", {"configured": sorted(configured)}
    listed = [skill["slug"] for skill in context.get("skills", ())]
    unknown_skills = [skill for skill in skills if skill not in listed]
    if unknown_skills:
        return "unknown_skill", {"skill": unknown_skills[0], "listed": sorted(listed)}
    left = context["allowance"]["limit"] - context["allowance"]["used"]
    if len(recipients) > left:
        return "allowance", {"left": max(left, 0), "wanted": len(recipients), **context["allowance"]}
    return None


def recognition(
    context: Mapping[str, Any],
    recipients: Sequence[Mapping[str, Any]],
    message: str,
    values: Sequence[str],
    conversation: str,
    skills: Sequence[str] = (),
) -> list[Outbound]:
    """The card (kudos channel, and the channel it was given in when the settings say so) and a DM to each recipient."""
    giver = context["giver"]
    labels = {value["slug"]: value["label"] for value in context["values"]}
    shown_values = [labels.get(slug, slug) for slug in values]
    skill_labels = {skill["slug"]: skill["label"] for skill in context.get("skills", ())}
    shown_skills = [skill_labels.get(slug, slug) for slug in skills]
    card = {
        "giver": giver,
        "recipients": list(recipients),
        "recipient_ids": [person["id"] for person in recipients],
        "message": message,
        "values": shown_values,
        "value_slugs": list(values),
        "skills": shown_skills,
    }
    settings = context["settings"]
    configured = ConfiguredChannel.read(settings.get("channel") or {})  # the kudos channel on each platform
    messages = [Outbound("kudos_card", card, to_configured_channel=configured)] if configured.names else []
    in_shared_channel = context.get("origin_is_channel", False)
    if (
        in_shared_channel
        and (settings.get("post_in_origin_channel") or not configured.names)
        and conversation not in configured.names.values()
    ):
        messages.append(Outbound("kudos_card", card, to_channel=conversation))
    messages += [
        Outbound(
            "kudos_received",
            {"giver": giver, "message": message, "values": shown_values, "skills": shown_skills},
            to_person_id=person["id"],
        )
        for person in recipients
    ]
    return messages


@dataclass
class KudosFlow:
    labels: Labels
    stateless: ClassVar[bool] = True
    name: ClassVar[str] = "kudos"
    commands: ClassVar[tuple[str, ...]] = ("kudos",)
    keywords: ClassVar[tuple[str, ...]] = ()

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        assert state is not None, "the kudos context always seeds a state"
        context = state.data
        wants_form = inbound.choice and inbound.choice.startswith("kudos.give")
        if wants_form or (inbound.form_id is None and not inbound.text.strip() and not inbound.mentions):
            return StepResult(outbound=(Outbound("kudos_form", {}, form=self.form(context)),))
        from_form = inbound.form_id is not None
        if from_form:
            form = inbound.form or {}
            message = " ".join(str(form.get("message") or "").split())
            values = tuple(str(value) for value in form.get("values") or ())
            skills = tuple(str(skill) for skill in form.get("skills") or ())
        else:
            message, values = parse_kudos_text(inbound.text)
            skills = skill_tags(inbound.text)
        recipients = list(context["recipients"])
        wrong = check(context, recipients, message, values, skills)
        if wrong is not None:
            code, details = wrong
            if from_form:
                field = {"no_recipient": "people", "unknown_person": "people", "self": "people", "bot": "people", "inactive": "people",
                         "unknown_value": "values", "value_required": "values", "unknown_skill": "skills"}.get(code, "message")  # fmt: skip
                return StepResult(
                    outbound=(
                        Outbound(
                            FORM_ERRORS, {"template": "kudos_problem", "errors": {field: {"code": code, **details}}}
                        ),
                    )
                )
            return StepResult(outbound=(problem(code, **details),))
        left = context["allowance"]["limit"] - context["allowance"]["used"] - len(recipients)
        change = KudosGiven(
            recipient_ids=tuple(person["id"] for person in recipients),
            message=message,
            values=values,
            source="shortcut" if from_form else "command",
            giver_local_date=date.fromisoformat(context["allowance"]["today"]),
            skills=skills,
        )
        confirmation = Outbound(
            "kudos_sent", {"recipients": recipients, "left": left, **context["allowance"]}, private=True
        )
        return StepResult(
            outbound=(confirmation, *recognition(context, recipients, message, values, inbound.conversation, skills)),
            changes=(change,),
        )

    def form(self, context: Mapping[str, Any]) -> Form:
        values = tuple(Choice(value["label"], value["slug"]) for value in context["values"])
        fields = [FormField("people", self.labels("kudos_people"), FieldKind.PEOPLE, required=True)]
        if values:
            fields.append(
                FormField(
                    "values",
                    self.labels("kudos_values"),
                    FieldKind.MULTIPLE_CHOICE,
                    context["settings"]["require_value"],
                    values,
                )
            )
        skills = tuple(Choice(skill["label"], skill["slug"]) for skill in context.get("skills", ()))
        if skills:
            fields.append(FormField("skills", self.labels("kudos_skills"), FieldKind.MULTIPLE_CHOICE, False, skills))
        fields.append(
            FormField("message", self.labels("kudos_message"), FieldKind.LONG_TEXT, True, max_length=MAX_MESSAGE)
        )
        return Form(
            id="kudos.form",
            title=self.labels("kudos_form_title"),
            fields=tuple(fields),
            submit_label=self.labels("kudos_submit"),
        )


class KudosReactionFlow:
    """An emoji reaction as kudos: to the author of the message, or +1 on a recognition card."""

    stateless: ClassVar[bool] = True
    name: ClassVar[str] = "kudos_reaction"
    commands: ClassVar[tuple[str, ...]] = ()
    keywords: ClassVar[tuple[str, ...]] = ()
    handles_reactions: ClassVar[bool] = True

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        assert state is not None and inbound.reaction is not None
        context = state.data
        reaction = inbound.reaction
        if reaction.emoji not in context["emojis"]:
            return StepResult()
        source_ref = f"{reaction.target}:{reaction.emoji}"
        if not reaction.added:
            return StepResult(changes=(KudosTakenBack(source_ref),) if context.get("given") else ())
        if context.get("given"):
            return StepResult()  # already counted: a redelivered or repeated reaction
        card = context.get("card")
        giver = context["giver"]
        if card is not None:
            recipients = [person for person in card["recipients"] if person["id"] != giver["id"]]
            message, values, source = card["message"], tuple(card["value_slugs"]), "plus_one"
        else:
            author = context.get("author")
            if author is None or author["id"] == giver["id"] or author.get("is_bot") or not author.get("active", True):
                return StepResult()
            recipients, message, values, source = [author], f":{reaction.emoji}:", (), "reaction"
        if not recipients:
            return StepResult()
        left = context["allowance"]["limit"] - context["allowance"]["used"]
        if len(recipients) > left:
            return StepResult(
                outbound=(problem("allowance", left=max(left, 0), wanted=len(recipients), **context["allowance"]),)
            )
        change = KudosGiven(
            recipient_ids=tuple(person["id"] for person in recipients),
            message=message,
            values=values,
            source=source,
            giver_local_date=date.fromisoformat(context["allowance"]["today"]),
            source_ref=source_ref,
        )
        notes = [
            Outbound(
                "kudos_received",
                {"giver": giver, "message": message, "values": list(values), "emoji": reaction.emoji},
                to_person_id=person["id"],
            )
            for person in recipients
        ]
        return StepResult(outbound=tuple(notes), changes=(change,))


def parse_top_arguments(text: str) -> tuple[str, str | None, str | None]:
    """``[week|month|quarter] [#value]`` → (period, value, problem word or None)."""
    period, value = "month", None
    for word in text.split():
        lowered = word.lower().strip(",.")
        if lowered in PERIODS:
            period = lowered
        elif lowered.startswith("#") and len(lowered) > 1:
            value = lowered[1:]
        else:
            return period, value, word
    return period, value, None


class KudosStatsFlow:
    stateless: ClassVar[bool] = True
    name: ClassVar[str] = "kudos_stats"
    commands: ClassVar[tuple[str, ...]] = ("kudos stats",)
    keywords: ClassVar[tuple[str, ...]] = ()

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        assert state is not None
        return StepResult(outbound=(Outbound("kudos_stats", dict(state.data), private=True),))


class KudosTopFlow:
    stateless: ClassVar[bool] = True
    name: ClassVar[str] = "kudos_top"
    commands: ClassVar[tuple[str, ...]] = ("kudos top",)
    keywords: ClassVar[tuple[str, ...]] = ()

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        assert state is not None
        period, value, wrong = parse_top_arguments(inbound.text)
        if wrong is not None:
            return StepResult(outbound=(problem("top_usage", word=wrong),))
        if not state.data["enabled"]:
            return StepResult(outbound=(problem("leaderboard_off"),))
        if value is not None and value not in state.data["configured"]:
            return StepResult(outbound=(problem("unknown_value", value=value, configured=state.data["configured"]),))
        return reply("kudos_top", period=period, value=value or "", leaders=state.data["leaders"])

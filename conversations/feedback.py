"""Feedback between people as pure flows.

``feedback`` (``/feedback give @grace``, the "Give feedback" button): a form for what went well and
what could be better, one company value or skill, and who reads it (the person, or the person and
their manager). The recipient gets it with a Thanks button, their manager a copy when chosen, and
the giver is told by name who will read it. The same flow answers a request (the "Give feedback"
button a peer is sent), declines one ("Not this time") and takes the Thanks.

``feedback_request`` (``/feedback request @a @b about "Q4 launch" and my manager``): asks up to
:data:`MAX_PEERS` peers, each in a direct message with the two buttons; each ask is reminded once,
``reminder_workdays`` working days later at the same clock time where the peer lives
(:func:`reminder_at`), and the request closes ``closes_after_days`` days after it was made
(:func:`closing_at`).

``feedback_list`` (``/feedback``, ``/feedback list``): what waits for my answer, my open requests
with who answered so far, and how much feedback I received this quarter.

Buttons and forms name a feedback or a request by who wrote it and when (:class:`Ref`), because
their rows are written by the change the same step asks for. The storage context resolves people
and loads requests; the flows only decide. Problems are codes worded by ``feedback_problem``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from conversations.commands import TYPED_MENTION
from conversations.dates import day_text
from conversations.flow import Change, State, StepResult
from conversations.messages import COMMAND_CHOICE, FORM_ERRORS, Choice, FieldKind, Form, FormField, Inbound, Outbound
from conversations.schedule import is_workday, local_instant
from conversations.words import Labels

MAX_TEXT = 2000
"""Characters in each of "what went well" and "what could be better": room for a few paragraphs, and
under every platform's limit for one input and one message (Slack's 3,000, a Teams card's)."""
MAX_PEERS = 10
MAX_TOPIC = 200  # FeedbackRequest.topic's column
EXAMPLE_GIVE = "/feedback give @grace"
EXAMPLE_REQUEST = '/feedback request @grace @linus about "Q4 launch"'

REQUEST_FORM = "feedback_request.form"
TEXT_FIELDS = ("went_well", "could_be_better")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_QUOTED = re.compile(r'"([^"]*)"|“([^”]*)”|\'([^\']*)\'')
_WITH_MANAGER = re.compile(
    r"[\s,;]*(?:(?:and|&)\s+(?:share\s+(?:it\s+)?with\s+)?my\s+manager(?:\s+too)?|share\s+(?:it\s+)?with\s+my\s+manager)"
    r"[\s.!]*$",
    re.IGNORECASE,
)
_CONNECTORS = re.compile(r"^(?:\s*(?:,|;|and|&|about|on|for|re:?)(?=\s|$))+\s*", re.IGNORECASE)


class Action(enum.StrEnum):
    """What a button or form of the ``feedback`` flow asks for: the part of its value before the ``:``
    (after it, a :class:`Ref` or a person's id)."""

    GIVE = "feedback.give"
    THANK = "feedback.thank"
    QUOTE = "feedback.quote"
    ANSWER = "feedback.answer"
    DECLINE = "feedback.decline"

    def on(self, argument: object) -> str:
        """A button's or form's value: ``feedback.answer:12:1806...``."""
        return f"{self.value}:{argument}"


def read_action(inbound: Inbound) -> tuple[Action | None, str]:
    """The action a button or form asks for and its argument; (None, "") for a typed command."""
    prefix, _, argument = (inbound.choice or inbound.form_id or "").partition(":")
    return next((action for action in Action if action.value == prefix), None), argument


class AskState(enum.StrEnum):
    """Where a peer's ask stands, as the flow reads it: as stored, except that an ask whose request is
    past its closing is closed even before the tick has marked it so."""

    OPEN = "open"
    DECLINED = "declined"  # may still answer while the request is open
    ANSWERED = "answered"
    CLOSED = "closed"


ONLY_THEM = "recipient"
WITH_MANAGER = "recipient_and_manager"


JUST_ME = "me"
ME_AND_MY_MANAGER = "me_and_manager"  # who reads the answers to a request


def shares_with_manager(form: Mapping[str, Any]) -> bool:
    """The form's "who sees it" says the recipient's manager too."""
    return str(form.get("audience") or ONLY_THEM) == WITH_MANAGER


@dataclass(frozen=True)
class Ref:
    """A feedback or a request as buttons and forms name it: who wrote it and the instant they did
    (to the microsecond). The step that writes one can't know its row id, but it knows both of these,
    and the row keeps them (``giver_id``/``given_at``, ``requester_id``/``created_at``)."""

    person_id: int
    at: datetime

    @property
    def value(self) -> str:
        return f"{self.person_id}:{(self.at - _EPOCH) // timedelta(microseconds=1)}"

    @classmethod
    def read(cls, text: str) -> Ref | None:
        person, _, micros = text.partition(":")
        if not (person.isdigit() and micros.isdigit()):
            return None
        return cls(int(person), _EPOCH + timedelta(microseconds=int(micros)))


@dataclass(frozen=True)
class FeedbackGiven(Change):
    """Feedback from the actor; ``request`` when it answers one (the ask is then marked answered)."""

    recipient_id: int
    went_well: str
    could_be_better: str
    value_slug: str | None
    skill: str | None
    with_manager: bool
    request: Ref | None = None


@dataclass(frozen=True)
class FeedbackQuoted(Change):
    """The actor, who received ``feedback``, lets their quarterly snapshot quote its words."""

    feedback: Ref


@dataclass(frozen=True)
class FeedbackThanked(Change):
    """The actor, who received ``feedback``, thanked its giver."""

    feedback: Ref


@dataclass(frozen=True)
class PeerAsked:
    peer_id: int
    remind_at: datetime


@dataclass(frozen=True)
class FeedbackRequested(Change):
    topic: str
    with_manager: bool
    closes_at: datetime
    asks: tuple[PeerAsked, ...]


@dataclass(frozen=True)
class AskDeclined(Change):
    """The actor said "not this time" to ``request``; its requester is never told who."""

    request: Ref


def reminder_at(asked_at: datetime, zone: str, workdays: int, holidays: Iterable[date]) -> datetime:
    """When a peer who hasn't answered is reminded: ``workdays`` working days after the day they were
    asked, in their own time zone (weekends and ``holidays`` skipped), at the clock time they were
    asked at there, whatever daylight saving did in between."""
    tz = ZoneInfo(zone)
    local = asked_at.astimezone(tz)
    day, counted, holiday_set = local.date(), 0, set(holidays)
    while counted < workdays:
        day += timedelta(days=1)
        counted += is_workday(day, holiday_set)
    return local_instant(day, local.time(), tz)


def closing_at(asked_at: datetime, zone: str, days: int) -> datetime:
    """When a request closes: ``days`` days on, at the clock time it was made where the requester lives."""
    tz = ZoneInfo(zone)
    local = asked_at.astimezone(tz)
    return local_instant(local.date() + timedelta(days=days), local.time(), tz)


def local_day_text(instant: datetime, zone: str, now: datetime) -> str:
    """``Fri 9 Apr``: the day ``instant`` falls on where the reader lives."""
    tz = ZoneInfo(zone)
    return day_text(instant.astimezone(tz).date(), now.astimezone(tz).date())


def parse_request_text(text: str) -> tuple[str, bool]:
    """The topic and whether answers go to the requester's manager too, from ``@a @b about "Q4
    launch" and my manager``: the topic is the quoted words, or whatever follows the people (an
    ``about`` taken off); ``and my manager`` or ``share with my manager`` at the end asks for the manager."""
    with_manager = _WITH_MANAGER.search(text) is not None
    rest = _WITH_MANAGER.sub("", text)
    quoted = _QUOTED.search(rest)
    if quoted is not None:
        topic = next(group for group in quoted.groups() if group is not None)
    else:
        topic = _CONNECTORS.sub("", TYPED_MENTION.sub(" ", rest))
    return " ".join(topic.split()), with_manager


def problem(code: str, **values: Any) -> Outbound:
    return Outbound("feedback_problem", {"code": code, **values}, private=True)


def form_problems(errors: Mapping[str, Mapping[str, Any]]) -> Outbound:
    return Outbound(FORM_ERRORS, {"template": "feedback_problem", "errors": {k: dict(v) for k, v in errors.items()}})


def person_problem(
    people: Sequence[Mapping[str, Any]], unknown: Sequence[Mapping[str, Any]], actor_id: int, *, asking: bool
) -> dict[str, Any] | None:
    """The first thing wrong with the people named for feedback (or, ``asking``, asked for it):
    nobody, a stranger, oneself, a bot, someone who left; as a problem's values, or None."""
    example = EXAMPLE_REQUEST if asking else EXAMPLE_GIVE
    if unknown:
        return {"code": "unknown_person", "names": list(unknown), "example": example}
    if not people:
        return {"code": "nobody_to_ask" if asking else "nobody", "limit": MAX_PEERS, "example": example}
    for person in people:
        if person["id"] == actor_id:
            return {"code": "self_request" if asking else "self", "example": example}
        if person.get("is_bot"):
            return {"code": "bot", "name": person["display_name"], "example": example}
        if not person.get("active", True):
            return {"code": "inactive", "name": person["display_name"], "example": example}
    return None


def recipient_problem(context: Mapping[str, Any], actor_id: int) -> dict[str, Any] | None:
    """What is wrong with whom the feedback is for: ``person_problem``, or more than one person."""
    wrong = person_problem(context["recipients"], context["unknown"], actor_id, asking=False)
    if wrong is None and len(context["recipients"]) > 1:
        return {"code": "one_at_a_time", "example": EXAMPLE_GIVE}
    return wrong


def text_problems(values: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Problems with the written parts, by field: too long, or neither written."""
    errors = {
        field: {"code": "too_long", "length": len(values[field]), "limit": MAX_TEXT}
        for field in TEXT_FIELDS
        if len(values[field]) > MAX_TEXT
    }
    if not errors and not any(values[field] for field in TEXT_FIELDS):
        errors["went_well"] = {"code": "empty"}
    return errors


def written(form: Mapping[str, Any]) -> dict[str, str]:
    """The two written fields as typed: surrounding blanks off, paragraphs kept."""
    return {field: str(form.get(field) or "").strip() for field in TEXT_FIELDS}


def theme_choice(kind: str, slug: str) -> str:
    return f"{kind}:{slug}"


def read_theme(picked: Any, themes: Sequence[Mapping[str, str]]) -> tuple[str | None, str | None] | None:
    """(value slug, skill slug) for the theme picked in the form, (None, None) for none, None when it
    names no active value or skill (the settings changed while the form was open)."""
    if not picked:
        return None, None
    chosen = next((theme for theme in themes if theme_choice(theme["kind"], theme["slug"]) == str(picked)), None)
    if chosen is None:
        return None
    return (chosen["slug"], None) if chosen["kind"] == "value" else (None, chosen["slug"])


def theme_label(value_slug: str | None, skill: str | None, themes: Sequence[Mapping[str, str]]) -> str:
    wanted = ("value", value_slug) if value_slug else ("skill", skill)
    return next((theme["label"] for theme in themes if (theme["kind"], theme["slug"]) == wanted), "")


def others_than(readers: Sequence[Mapping[str, Any]], person_id: int) -> list[dict[str, Any]]:
    return [dict(reader) for reader in readers if reader["id"] != person_id]


def answer_choices(labels: Labels, request: Ref) -> tuple[Choice, ...]:
    """The two buttons of a request a peer is asked, reminded of, or sees waiting in their list."""
    return (
        Choice(labels("feedback_give"), Action.ANSWER.on(request.value), "primary"),
        Choice(labels("feedback_not_this_time"), Action.DECLINE.on(request.value)),
    )


@dataclass
class FeedbackFlow:
    """Giving feedback, answering a request (or declining it), and thanking for feedback received."""

    labels: Labels
    stateless: ClassVar[bool] = True
    name: ClassVar[str] = "feedback"
    commands: ClassVar[tuple[str, ...]] = ("feedback give",)
    keywords: ClassVar[tuple[str, ...]] = ()

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        assert state is not None and inbound.actor is not None, "the feedback context always seeds a state"
        context = state.data
        action, argument = read_action(inbound)
        if action is Action.THANK:
            return self.thank(context)
        if action is Action.QUOTE:
            return self.quote(context)
        if action is Action.ANSWER and inbound.form_id is None:
            return self.answer_form(context)
        if action is Action.ANSWER:
            return self.answer(context, inbound, now)
        if action is Action.DECLINE:
            return self.decline(context)
        if action is Action.GIVE and inbound.form_id is not None:
            return self.give(context, inbound, now, fixed=bool(argument))
        if action is Action.GIVE or (not inbound.text.strip() and not inbound.mentions):
            return StepResult(outbound=(self.give_form(context, None),))
        wrong = recipient_problem(context, inbound.actor.person_id)
        if wrong is not None:
            return StepResult(outbound=(problem(**wrong),))
        return StepResult(outbound=(self.give_form(context, context["recipients"][0]),))

    def give_form(self, context: Mapping[str, Any], recipient: Mapping[str, Any] | None) -> Outbound:
        """The form, for someone already named (their name in it) or with a field to pick them."""
        name = recipient["display_name"] if recipient else ""
        fields = [] if recipient else [FormField("people", self.labels("feedback_person"), FieldKind.PEOPLE, True)]
        fields += self.written_fields(self.labels("feedback_give_hint", name=name, limit=MAX_TEXT))
        fields += self.theme_field(context)
        audience = [Choice(self.labels("feedback_only", name=name), ONLY_THEM)]
        if recipient is None or recipient.get("manager"):
            audience.append(Choice(self.labels("feedback_and_manager", name=name), WITH_MANAGER))
        fields.append(
            FormField(
                "audience",
                self.labels("feedback_audience"),
                FieldKind.SINGLE_CHOICE,
                True,
                tuple(audience),
                ONLY_THEM,
            )
        )
        form = Form(
            id=Action.GIVE.on(recipient["id"]) if recipient else Action.GIVE.value,
            title=self.labels("feedback_form_title"),
            fields=tuple(fields),
            submit_label=self.labels("feedback_submit"),
        )
        return Outbound("feedback_form", {"recipient": dict(recipient) if recipient else None}, form=form)

    def written_fields(self, hint: str) -> list[FormField]:
        """What went well and what could be better: either may stay empty, not both (the flow checks)."""
        return [
            FormField(
                "went_well", self.labels("feedback_went_well"), FieldKind.LONG_TEXT, hint=hint, max_length=MAX_TEXT
            ),
            FormField(
                "could_be_better", self.labels("feedback_could_be_better"), FieldKind.LONG_TEXT, max_length=MAX_TEXT
            ),
        ]

    def theme_field(self, context: Mapping[str, Any]) -> list[FormField]:
        themes = tuple(
            Choice(
                self.labels(f"feedback_theme_{theme['kind']}", label=theme["label"]),
                theme_choice(theme["kind"], theme["slug"]),
            )
            for theme in context["themes"]
        )
        return (
            [FormField("theme", self.labels("feedback_theme"), FieldKind.SINGLE_CHOICE, options=themes)]
            if themes
            else []
        )

    def give(self, context: Mapping[str, Any], inbound: Inbound, now: datetime, *, fixed: bool) -> StepResult:
        assert inbound.actor is not None
        form = inbound.form or {}
        recipients = list(context["recipients"])
        errors: dict[str, dict[str, Any]] = {}
        wrong = recipient_problem(context, inbound.actor.person_id)
        if wrong is not None:
            errors["went_well" if fixed else "people"] = wrong
        texts = written(form)
        errors = {**text_problems(texts), **errors}
        theme = read_theme(form.get("theme"), context["themes"])
        if theme is None:
            errors["theme"] = {"code": "unknown_theme"}
        with_manager = shares_with_manager(form)
        if not errors and with_manager and not recipients[0].get("manager"):
            errors["audience"] = {"code": "no_manager", "name": recipients[0]["display_name"]}
        if errors:
            return StepResult(outbound=(form_problems(errors),))
        assert theme is not None
        return self.delivered(context, now, recipients[0], texts, theme, with_manager, None)

    def delivered(
        self,
        context: Mapping[str, Any],
        now: datetime,
        recipient: Mapping[str, Any],
        texts: Mapping[str, str],
        theme: tuple[str | None, str | None],
        with_manager: bool,
        request: Mapping[str, Any] | None,
    ) -> StepResult:
        """The feedback to its recipient (with Thanks), a copy to their manager when chosen, and the
        giver told who reads it."""
        giver = context["actor"]
        shown = {
            "giver": giver,
            "recipient": dict(recipient),
            **texts,
            "theme": theme_label(*theme, context["themes"]),
            "topic": request["topic"] if request else "",
            "asked": request is not None,
        }
        written = Ref(giver["id"], now).value
        thanks = Choice(self.labels("thanks"), Action.THANK.on(written), "primary")
        quote = Choice(self.labels("feedback_quote"), Action.QUOTE.on(written))
        readers = others_than(context["readers"], giver["id"])  # storage.privacy.feedback_readers
        messages = [Outbound("feedback_received", shown, (thanks, quote), to_person_id=recipient["id"])]
        messages += [
            Outbound("feedback_copy", shown, to_person_id=reader["id"])
            for reader in readers
            if reader["id"] != recipient["id"]
        ]
        sent = Outbound("feedback_sent", {"recipient": dict(recipient), "readers": readers}, private=True)
        change = FeedbackGiven(
            recipient_id=recipient["id"],
            went_well=texts["went_well"],
            could_be_better=texts["could_be_better"],
            value_slug=theme[0],
            skill=theme[1],
            with_manager=with_manager,
            request=Ref.read(request["ref"]) if request else None,
        )
        return StepResult(outbound=(sent, *messages), changes=(change,))

    def request_problem(self, request: Mapping[str, Any] | None) -> Outbound | None:
        """Why the actor can't answer or decline this request now, or None when they can."""
        if request is None:
            return problem("not_asked")
        if request["status"] == AskState.CLOSED:
            return problem("request_closed", requester=request["requester"], closed_on=request["closes_on"])
        if request["status"] == AskState.ANSWERED:
            return problem("already_answered", requester=request["requester"], topic=request["topic"])
        return None

    def answer_form(self, context: Mapping[str, Any]) -> StepResult:
        request = context.get("request")
        wrong = self.request_problem(request)
        if wrong is not None:
            return StepResult(outbound=(wrong,))
        assert request is not None
        requester = request["requester"]
        readers = others_than(context["readers"], context["actor"]["id"])
        hint = self.labels(
            "feedback_answer_hint", requester=requester, topic=request["topic"], readers=readers, limit=MAX_TEXT
        )
        form = Form(
            id=Action.ANSWER.on(request["ref"]),
            title=self.labels("feedback_form_title"),
            fields=(*self.written_fields(hint), *self.theme_field(context)),
            submit_label=self.labels("feedback_submit"),
        )
        return StepResult(outbound=(Outbound("feedback_answer_form", dict(request), form=form),))

    def answer(self, context: Mapping[str, Any], inbound: Inbound, now: datetime) -> StepResult:
        request = context.get("request")
        wrong = self.request_problem(request)
        if wrong is not None:
            return StepResult(outbound=(form_problems({"went_well": wrong.data}),))
        assert request is not None
        form = inbound.form or {}
        texts = written(form)
        errors = text_problems(texts)
        theme = read_theme(form.get("theme"), context["themes"])
        if theme is None:
            errors["theme"] = {"code": "unknown_theme"}
        if errors:
            return StepResult(outbound=(form_problems(errors),))
        assert theme is not None
        recipient = request["requester"]
        return self.delivered(context, now, recipient, texts, theme, request["with_manager"], request)

    def decline(self, context: Mapping[str, Any]) -> StepResult:
        request = context.get("request")
        wrong = self.request_problem(request)
        if wrong is not None:
            return StepResult(outbound=(wrong,))
        assert request is not None
        if request["status"] == AskState.DECLINED:
            return StepResult(outbound=(problem("already_declined", requester=request["requester"]),))
        ref = Ref.read(request["ref"])
        assert ref is not None
        note = Outbound(
            "feedback_declined", {"requester": request["requester"], "topic": request["topic"]}, private=True
        )
        return StepResult(outbound=(note,), changes=(AskDeclined(ref),))

    def thank(self, context: Mapping[str, Any]) -> StepResult:
        feedback = context.get("feedback")
        if feedback is None:
            return StepResult(outbound=(problem("not_yours"),))
        giver = feedback["giver"]
        if feedback["thanked"]:
            return StepResult(outbound=(problem("already_thanked", giver=giver),))
        ref = Ref.read(feedback["ref"])
        assert ref is not None
        note = Outbound("feedback_thanks_sent", {"giver": giver}, private=True)
        messages = [note]
        if giver is not None:
            told = Outbound(
                "feedback_thanked",
                {"recipient": context["actor"], "topic": feedback["topic"]},
                to_person_id=giver["id"],
            )
            messages.append(told)
        return StepResult(outbound=tuple(messages), changes=(FeedbackThanked(ref),))

    def quote(self, context: Mapping[str, Any]) -> StepResult:
        """The recipient alone decides whether their snapshot quotes what they were told; the
        snapshot counts it by its value and skill either way."""
        feedback = context.get("feedback")
        if feedback is None:
            return StepResult(outbound=(problem("not_yours"),))
        ref = Ref.read(feedback["ref"])
        assert ref is not None
        note = Outbound("feedback_quoted", {"giver": feedback["giver"], "already": feedback["quoted"]}, private=True)
        return StepResult(outbound=(note,), changes=() if feedback["quoted"] else (FeedbackQuoted(ref),))


@dataclass
class FeedbackRequestFlow:
    """Asking peers for feedback: typed with the people and the topic, or in a form."""

    labels: Labels
    stateless: ClassVar[bool] = True
    name: ClassVar[str] = "feedback_request"
    commands: ClassVar[tuple[str, ...]] = ("feedback request",)
    keywords: ClassVar[tuple[str, ...]] = ()

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        assert state is not None and inbound.actor is not None, "the request context always seeds a state"
        context = state.data
        if inbound.form_id is not None:
            form = inbound.form or {}
            topic = " ".join(str(form.get("topic") or "").split())
            with_manager = str(form.get("audience") or "") == ME_AND_MY_MANAGER
            wrong = self.what_is_wrong(context, inbound.actor.person_id, topic, with_manager)
            if wrong is not None:
                field = {"topic_too_long": "topic", "no_manager_of_mine": "audience"}.get(wrong["code"], "people")
                return StepResult(outbound=(form_problems({field: wrong}),))
            return self.asked(context, now, topic, with_manager)
        if not inbound.text.strip() and not inbound.mentions:
            return StepResult(outbound=(Outbound("feedback_request_form", {}, form=self.form(context)),))
        topic, with_manager = parse_request_text(inbound.text)
        wrong = self.what_is_wrong(context, inbound.actor.person_id, topic, with_manager)
        if wrong is not None:
            return StepResult(outbound=(problem(**wrong),))
        return self.asked(context, now, topic, with_manager)

    def what_is_wrong(
        self, context: Mapping[str, Any], actor_id: int, topic: str, with_manager: bool
    ) -> dict[str, Any] | None:
        peers = context["peers"]
        if len(peers) + len(context["unknown"]) > MAX_PEERS:
            return {
                "code": "too_many",
                "count": len(peers) + len(context["unknown"]),
                "limit": MAX_PEERS,
                "example": EXAMPLE_REQUEST,
            }
        wrong = person_problem(peers, context["unknown"], actor_id, asking=True)
        if wrong is not None:
            return wrong
        if len(topic) > MAX_TOPIC:
            return {"code": "topic_too_long", "length": len(topic), "limit": MAX_TOPIC, "example": EXAMPLE_REQUEST}
        if with_manager and not context["requester"].get("manager"):
            return {"code": "no_manager_of_mine", "example": EXAMPLE_REQUEST}
        return None

    def form(self, context: Mapping[str, Any]) -> Form:
        fields = [
            FormField("people", self.labels("feedback_request_people", limit=MAX_PEERS), FieldKind.PEOPLE, True),
            FormField("topic", self.labels("feedback_request_topic"), FieldKind.TEXT, max_length=MAX_TOPIC),
        ]
        manager = context["requester"].get("manager")
        if manager:
            options = (
                Choice(self.labels("feedback_request_me"), JUST_ME),
                Choice(self.labels("feedback_request_me_and_manager", manager=manager), ME_AND_MY_MANAGER),
            )
            fields.append(
                FormField(
                    "audience",
                    self.labels("feedback_request_audience"),
                    FieldKind.SINGLE_CHOICE,
                    True,
                    options,
                    JUST_ME,
                )
            )
        return Form(
            id=REQUEST_FORM,
            title=self.labels("feedback_request_title"),
            fields=tuple(fields),
            submit_label=self.labels("feedback_request_submit"),
        )

    def asked(self, context: Mapping[str, Any], now: datetime, topic: str, with_manager: bool) -> StepResult:
        requester = context["requester"]
        settings = context["settings"]
        holidays = [date.fromisoformat(day) for day in settings["holidays"]]
        closes_at = closing_at(now, requester["timezone"], settings["closes_after_days"])
        ref = Ref(requester["id"], now)
        asks = tuple(
            PeerAsked(peer["id"], reminder_at(now, peer["timezone"], settings["reminder_workdays"], holidays))
            for peer in context["peers"]
        )
        choices = answer_choices(self.labels, ref)
        messages = [
            Outbound(
                "feedback_asked",
                {"requester": requester, "topic": topic, "closes_on": local_day_text(closes_at, peer["timezone"], now)},
                choices,
                to_person_id=peer["id"],
            )
            for peer in context["peers"]
        ]
        confirmation = Outbound(
            "feedback_requested",
            {
                "peers": list(context["peers"]),
                "topic": topic,
                "manager": requester.get("manager") if with_manager else None,
                "closes_on": local_day_text(closes_at, requester["timezone"], now),
            },
            private=True,
        )
        change = FeedbackRequested(topic=topic, with_manager=with_manager, closes_at=closes_at, asks=asks)
        return StepResult(outbound=(confirmation, *messages), changes=(change,))


@dataclass
class FeedbackListFlow:
    """``/feedback``: what waits for my answer, my open requests, and what I received this quarter."""

    labels: Labels
    stateless: ClassVar[bool] = True
    name: ClassVar[str] = "feedback_list"
    commands: ClassVar[tuple[str, ...]] = ("feedback", "feedback list")
    keywords: ClassVar[tuple[str, ...]] = ("my feedback",)

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        assert state is not None
        if inbound.command == "feedback" and (inbound.text.strip() or inbound.mentions):
            return StepResult(outbound=(problem("usage", word=inbound.text.strip()),))
        data = dict(state.data)
        choices = [
            Choice(
                self.labels("feedback_give_to", name=ask["requester"]["display_name"]),
                Action.ANSWER.on(ask["ref"]),
                "primary",
            )
            for ask in data["waiting"]
        ]
        choices += [
            Choice(self.labels("feedback_give"), Action.GIVE.value),
            Choice(self.labels("feedback_ask"), f"{COMMAND_CHOICE}feedback request"),
        ]
        return StepResult(outbound=(Outbound("feedback_list", data, tuple(choices), private=True),))

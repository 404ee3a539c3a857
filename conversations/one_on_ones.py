"""1:1s between a manager and each direct report, as one pure flow.

``/1on1`` lists my 1:1s and when each is next; ``/1on1 @grace`` shows the next 1:1 with Grace and its
shared agenda (seeded from the report's latest check-in, the talking points both sides added, the
open action items) with my own private notes; ``add``, ``note``, ``private``, ``action``, ``done``
and ``every`` change it (see :data:`EXAMPLES`). The agenda's buttons add a talking point or a note
through a form and close points and action items with a checkbox set.

The storage context (``storage/one_on_ones.py``) resolves who the 1:1 is with, checks that the two
are a manager and their direct report, and loads the agenda the reader may read; the flow reads
what was typed, decides, and names the changes. Problems are codes worded by ``one_on_one_problem``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar

from conversations.dates import WEEKDAYS as WEEKDAY_SPELLINGS
from conversations.flow import Change, State, StepResult
from conversations.messages import (
    FORM_ERRORS,
    PICKED,
    Choice,
    ChoiceSet,
    FieldKind,
    Form,
    FormField,
    Inbound,
    Outbound,
)
from conversations.numbers import small_int
from conversations.one_on_one_schedule import Rhythm, first_meeting_day, moment_text, next_meeting
from conversations.words import Labels
from conversations.workspace_settings import WEEKDAYS, parse_clock

FLOW = "one_on_one"
COMMAND = "1on1"
MAX_TEXT = 500
"""The longest talking point, action item or note, in characters: a 1:1 agenda is read at a glance."""
SHARED, PRIVATE = "shared", "private"


def open_choice(labels: Labels, other_id: int) -> Choice:
    """The button that shows the next 1:1 with the person ``other_id`` and its agenda."""
    return Choice(labels("one_on_one_show"), f"{FLOW}.open:{other_id}")


class Ask(enum.StrEnum):
    """What a person asked of the 1:1 flow, typed or pressed."""

    LIST = "list"
    VIEW = "view"
    ADD = "add"
    NOTE = "note"
    PRIVATE = "private"
    ACTION = "action"
    DONE = "done"
    EVERY = "every"
    POINT_FORM = "point"  # the "Add a talking point" button, and the form it opens
    NOTE_FORM = "note_form"  # the "Add a note" button, and the form it opens
    PICKED = "picked"  # the checkbox set's "Mark done"


SUB_COMMANDS = (Ask.ADD, Ask.NOTE, Ask.PRIVATE, Ask.ACTION, Ask.DONE, Ask.EVERY)
EXAMPLES = {
    Ask.VIEW: "1on1 {handle}",
    Ask.ADD: '1on1 add {handle} "career plan"',
    Ask.NOTE: "1on1 note {handle} we agreed to move the demo to May",
    Ask.PRIVATE: "1on1 private {handle} ask about the team move",
    Ask.ACTION: "1on1 action {handle} {handle} send the draft by Friday",
    Ask.DONE: "1on1 done {handle} {numbers}",
    Ask.EVERY: "1on1 every {handle} 2 weeks thursday 15:00",
}
"""How each command is typed; ``{handle}`` is someone the reader has 1:1s with, ``{numbers}`` items open."""
QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’"}
FORM_ASKS = {"point": Ask.POINT_FORM, "note": Ask.NOTE_FORM}
_LEADING_HANDLE = re.compile(r"^\s*(@[\w.+-]+(?:@[\w-]+(?:\.[\w-]+)+)?|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)(?=\s|$)")
_WEEKS = {
    "week": 1,
    "weekly": 1,
    "1 week": 1,
    "every week": 1,
    "2 weeks": 2,
    "two weeks": 2,
    "biweekly": 2,
    "fortnightly": 2,
    "fortnight": 2,
    "other week": 2,
    "every other week": 2,
}
CADENCES = {1: "weekly", 2: "biweekly"}


@dataclass(frozen=True)
class Request:
    """One exchange with the flow: what was asked and, from a button or form, who the 1:1 is with."""

    ask: Ask
    other_id: int | None = None


def read_request(inbound: Inbound) -> Request:
    """What ``inbound`` asks: a sub-command (``1on1 add``), a button or form of ours, or the agenda
    (``1on1 @grace``) or the list (``1on1`` alone). The storage context reads it too, to know whose
    1:1 to load."""
    value = inbound.choice or inbound.form_id
    if value is not None and value.startswith(f"{FLOW}."):
        action, _, argument = value.removeprefix(f"{FLOW}.").partition(":")
        other_id = small_int(argument)
        if inbound.choice is not None and action == "done":
            return Request(Ask.PICKED, other_id)
        return Request(FORM_ASKS.get(action, Ask.VIEW), other_id)
    command = (inbound.command or "").lower()
    sub = command.removeprefix(COMMAND).strip()
    if sub in {ask.value for ask in SUB_COMMANDS}:
        return Request(Ask(sub))
    if not inbound.text.strip() and not inbound.mentions:
        return Request(Ask.LIST)
    return Request(Ask.VIEW)


def split_handles(text: str) -> tuple[list[str], str]:
    """The @handles (or emails) ``text`` starts with, and the rest: ``@grace @sam send it`` →
    (["@grace", "@sam"], "send it")."""
    handles: list[str] = []
    rest = text
    while (match := _LEADING_HANDLE.match(rest)) is not None:
        handles.append(match.group(1).lower())
        rest = rest[match.end() :]
    return handles, rest.strip()


def clean_text(text: str) -> str:
    """What someone wrote, on one line, without the quotes around it (``"career plan"``)."""
    words = " ".join(str(text or "").split())
    if len(words) >= 2 and QUOTES.get(words[0]) == words[-1]:
        words = words[1:-1].strip()
    return words


def read_cadence(text: str) -> tuple[int, str | None, str | None] | None:
    """``week``, ``2 weeks thursday 15:00``, ``biweekly tue 9:30`` → (weeks apart, weekday, HH:MM); None
    when it can't be read."""
    words = text.lower().replace(",", " ").split()
    weeks = None
    for length in (3, 2, 1):
        phrase = " ".join(words[:length])
        if len(words) >= length and phrase in _WEEKS:
            weeks, words = _WEEKS[phrase], words[length:]
            break
    if weeks is None:
        return None
    weekday = clock = None
    for word in words:
        if word in WEEKDAY_SPELLINGS and weekday is None:
            weekday = WEEKDAYS[WEEKDAY_SPELLINGS[word]]
        elif clock is None and re.fullmatch(r"\d{1,2}:\d{2}", word):
            try:
                clock = f"{parse_clock(word.zfill(5)):%H:%M}"
            except ValueError:
                return None
        else:
            return None
    return weeks, weekday, clock


@dataclass(frozen=True)
class PairKey:
    """A 1:1 pair by its two sides; ``anchor`` is the date of its first 1:1, used when it is created."""

    manager_id: int
    report_id: int
    anchor: date


@dataclass(frozen=True)
class PairStarted(Change):
    """Someone opened the 1:1s with the other side for the first time: the pair exists from now."""

    pair: PairKey


@dataclass(frozen=True)
class TalkingPointAdded(Change):
    pair: PairKey
    text: str


@dataclass(frozen=True)
class ActionItemAdded(Change):
    pair: PairKey
    text: str
    owner_id: int


@dataclass(frozen=True)
class NoteAdded(Change):
    """A note on the 1:1 starting at ``meeting_starts_at``: shared with the other side, or private."""

    pair: PairKey
    text: str
    meeting_starts_at: datetime
    private: bool


@dataclass(frozen=True)
class ItemsClosed(Change):
    """Talking points discussed and action items done, by their ids."""

    pair: PairKey
    item_ids: tuple[int, ...]


@dataclass(frozen=True)
class CadenceSet(Change):
    """The pair's own rhythm; ``anchor`` moves to the first 1:1 under it."""

    pair: PairKey
    cadence: str
    weekday: str
    local_time: str
    anchor: date


def problem(code: str, **values: Any) -> Outbound:
    return Outbound("one_on_one_problem", {"code": code, **values}, private=True)


@dataclass
class OneOnOneFlow:
    labels: Labels
    stateless: ClassVar[bool] = True
    name: ClassVar[str] = FLOW
    commands: ClassVar[tuple[str, ...]] = (COMMAND, *(f"{COMMAND} {ask.value}" for ask in SUB_COMMANDS))
    keywords: ClassVar[tuple[str, ...]] = ()

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        assert state is not None, "the 1:1 context always seeds a state"
        context = state.data
        request = read_request(inbound)
        if request.ask is Ask.LIST:
            return StepResult(outbound=(Outbound("one_on_one_list", self._list_data(context), private=True),))
        wrong = context.get("problem")
        if wrong is not None:
            return self._refuse(request, inbound, context, wrong)
        target = context["target"]
        handles, rest = split_handles(inbound.text)
        if request.ask is Ask.VIEW:
            return self._with_pair(target, (self.agenda_message(target),))
        if request.ask is Ask.POINT_FORM and inbound.form_id is None:
            return StepResult(
                outbound=(Outbound("one_on_one_form", {"other": target["other"]}, form=self._point_form(target)),)
            )
        if request.ask is Ask.NOTE_FORM and inbound.form_id is None:
            return StepResult(
                outbound=(Outbound("one_on_one_form", {"other": target["other"]}, form=self._note_form(target)),)
            )
        if request.ask in (Ask.POINT_FORM, Ask.NOTE_FORM):
            return self._submitted(request.ask, inbound.form or {}, target, context)
        if request.ask is Ask.DONE:
            return self._done_typed(rest, target)
        if request.ask is Ask.PICKED:
            return self._done_picked(inbound.form or {}, target)
        if request.ask is Ask.EVERY:
            return self._every(rest, target, context, now)
        if request.ask is Ask.ACTION:
            return self._action(handles, rest, target, context)
        return self._add(request.ask, clean_text(rest), target, context)

    # -- reading -------------------------------------------------------------------------------

    def agenda_message(self, target: Mapping[str, Any], *, reminder: bool = False) -> Outbound:
        """The agenda as its reader sees it, with its buttons: the reply to ``/1on1 @grace`` and the
        tick's message before each 1:1."""
        agenda = target["agenda"]
        other_id = target["other"]["id"]
        items = list(agenda["points"]) + list(agenda["actions"])
        choice_set = None
        if items:
            choice_set = ChoiceSet(
                f"{FLOW}.done:{other_id}",
                tuple(
                    Choice(self.labels("one_on_one_item", number=item["number"], text=item["text"]), str(item["id"]))
                    for item in items
                ),
                self.labels("one_on_one_mark_done"),
            )
        choices = (
            Choice(self.labels("one_on_one_add_point"), f"{FLOW}.point:{other_id}", "primary"),
            Choice(self.labels("one_on_one_add_note"), f"{FLOW}.note:{other_id}"),
        )
        data = {**agenda, "other": target["other"], "handle": target["handle"], "reminder": reminder}
        return Outbound("one_on_one_agenda", data, choices, choice_set=choice_set, private=True)

    @staticmethod
    def _list_data(context: Mapping[str, Any]) -> dict[str, Any]:
        return {"pairs": list(context.get("pairs") or []), "example": context.get("example") or ""}

    # -- problems ------------------------------------------------------------------------------

    def _refuse(
        self, request: Request, inbound: Inbound, context: Mapping[str, Any], wrong: Mapping[str, Any]
    ) -> StepResult:
        ask = request.ask if request.ask in EXAMPLES else Ask.VIEW
        handle = context.get("example") or ""
        details = {**wrong, "example": self._example(ask, handle), "has_partners": bool(handle)}
        if inbound.form_id is not None:
            return self._form_problem(details)
        return StepResult(outbound=(problem(**details),))

    @staticmethod
    def _example(ask: Ask, handle: str, numbers: Sequence[int] = (1, 3)) -> str:
        return EXAMPLES[ask].format(handle=handle or "@name", numbers=" ".join(str(number) for number in numbers[:2]))

    @staticmethod
    def _form_problem(details: Mapping[str, Any], field: str = "text") -> StepResult:
        errors = {field: dict(details)}
        return StepResult(outbound=(Outbound(FORM_ERRORS, {"template": "one_on_one_problem", "errors": errors}),))

    def _text_problem(self, ask: Ask, text: str, target: Mapping[str, Any]) -> dict[str, Any] | None:
        example = self._example(ask, target["handle"])
        if not text:
            return {"code": "empty_text", "ask": ask.value, "example": example}
        if len(text) > MAX_TEXT:
            return {"code": "too_long", "length": len(text), "limit": MAX_TEXT, "example": example}
        return None

    # -- changing ------------------------------------------------------------------------------

    @staticmethod
    def _pair(target: Mapping[str, Any]) -> PairKey:
        return PairKey(target["manager_id"], target["report_id"], date.fromisoformat(target["anchor"]))

    def _with_pair(
        self, target: Mapping[str, Any], outbound: Sequence[Outbound], changes: Sequence[Change] = ()
    ) -> StepResult:
        """The result of a valid request; a pair's first one also starts the pair."""
        started = () if target.get("pair_id") else (PairStarted(self._pair(target)),)
        return StepResult(outbound=tuple(outbound), changes=(*started, *changes))

    def _add(self, ask: Ask, text: str, target: Mapping[str, Any], context: Mapping[str, Any]) -> StepResult:
        wrong = self._text_problem(ask, text, target)
        if wrong is not None:
            return StepResult(outbound=(problem(**wrong),))
        pair = self._pair(target)
        agenda = target["agenda"]
        if ask is Ask.ADD:
            change: Change = TalkingPointAdded(pair, text)
        else:
            change = NoteAdded(pair, text, datetime.fromisoformat(agenda["next"]["starts_at"]), ask is Ask.PRIVATE)
        kind = {Ask.ADD: "point", Ask.NOTE: SHARED, Ask.PRIVATE: PRIVATE}[ask]
        return self._with_pair(target, self._confirmations(kind, text, target, context), (change,))

    def _action(
        self, handles: Sequence[str], text: str, target: Mapping[str, Any], context: Mapping[str, Any]
    ) -> StepResult:
        reader, other = context["reader"], target["other"]
        owner = reader
        if len(handles) >= 2:
            named = self._named(handles, context)
            if named is None or named["id"] not in (reader["id"], other["id"]):
                example = self._example(Ask.ACTION, target["handle"])
                return StepResult(outbound=(problem("owner_outside", other=other, example=example),))
            owner = named
        text = clean_text(text)
        wrong = self._text_problem(Ask.ACTION, text, target)
        if wrong is not None:
            return StepResult(outbound=(problem(**wrong),))
        change = ActionItemAdded(self._pair(target), text, owner["id"])
        return self._with_pair(target, self._confirmations("action", text, target, context, owner), (change,))

    @staticmethod
    def _named(handles: Sequence[str], context: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The person the second leading handle names: the first person again when the same handle is
        repeated (platforms list a person mentioned twice once), else the second person mentioned."""
        mentioned = list(context.get("mentioned") or [])
        distinct = list(dict.fromkeys(handles[:2]))
        index = distinct.index(handles[1])
        return mentioned[index] if index < len(mentioned) and mentioned[index].get("id") else None

    def _confirmations(
        self,
        kind: str,
        text: str,
        target: Mapping[str, Any],
        context: Mapping[str, Any],
        owner: Mapping[str, Any] | None = None,
    ) -> list[Outbound]:
        """The writer's confirmation, and a short note to the other side when their agenda for the
        next 1:1 has already gone out (before it, the agenda itself tells them)."""
        other, agenda = target["other"], target["agenda"]
        show = (open_choice(self.labels, other["id"]),)
        data = {"kind": kind, "text": text, "other": other, "owner": owner or {}, "next": agenda["next"]}
        messages = [Outbound("one_on_one_added", data, show, private=True)]
        if kind in ("point", "action") and target.get("other_agenda_sent"):
            reader = context["reader"]
            heads_up = {"kind": kind, "text": text, "by": reader, "owner": owner or {}, "when": target["other_next"]}
            show_theirs = (open_choice(self.labels, reader["id"]),)
            messages.append(Outbound("one_on_one_heads_up", heads_up, show_theirs, to_person_id=other["id"]))
        return messages

    def _done_typed(self, rest: str, target: Mapping[str, Any]) -> StepResult:
        items = self._open_items(target)
        example = self._example(Ask.DONE, target["handle"], sorted(item["number"] for item in items) or (1, 3))
        words = rest.replace(",", " ").split()
        if not items:
            return StepResult(
                outbound=(
                    problem("nothing_open", other=target["other"], example=self._example(Ask.ADD, target["handle"])),
                )
            )
        if not words:
            return StepResult(outbound=(problem("no_numbers", other=target["other"], example=example),))
        by_number = {item["number"]: item for item in items}
        picked = []
        for word in words:
            number = small_int(word.removeprefix("#"), 4)
            if number is None or number not in by_number:
                return StepResult(
                    outbound=(
                        problem(
                            "unknown_number",
                            word=word,
                            numbers=sorted(by_number),
                            other=target["other"],
                            example=example,
                        ),
                    )
                )
            picked.append(by_number[number])
        return self._close(picked, target)

    def _done_picked(self, form: Mapping[str, Any], target: Mapping[str, Any]) -> StepResult:
        items = {str(item["id"]): item for item in self._open_items(target)}
        ticked = [str(value) for value in form.get(PICKED) or []]
        if not ticked:
            return StepResult(outbound=(problem("nothing_ticked", other=target["other"]),))
        picked = [items[value] for value in ticked if value in items]
        if not picked:  # closed meanwhile (by the other side, or from an older message)
            return StepResult(outbound=(problem("already_closed", other=target["other"]), self.agenda_message(target)))
        return self._close(picked, target)

    @staticmethod
    def _open_items(target: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        return [*target["agenda"]["points"], *target["agenda"]["actions"]]

    def _close(self, picked: Sequence[Mapping[str, Any]], target: Mapping[str, Any]) -> StepResult:
        ids = tuple(dict.fromkeys(item["id"] for item in picked))
        chosen = [item for item in self._open_items(target) if item["id"] in ids]
        data = {
            "other": target["other"],
            "points": [item for item in chosen if item["kind"] == "point"],
            "actions": [item for item in chosen if item["kind"] == "action"],
        }
        show = (open_choice(self.labels, target["other"]["id"]),)
        closed = Outbound("one_on_one_closed", data, show, private=True)
        return self._with_pair(target, (closed,), (ItemsClosed(self._pair(target), ids),))

    def _every(self, rest: str, target: Mapping[str, Any], context: Mapping[str, Any], now: datetime) -> StepResult:
        read = read_cadence(rest)
        if read is None:
            example = self._example(Ask.EVERY, target["handle"])
            return StepResult(outbound=(problem("bad_cadence", text=rest, example=example),))
        weeks, weekday, clock = read
        current = target["rhythm"]
        weekday, clock = weekday or current["weekday"], clock or current["time"]
        zone = target["manager_zone"]
        anchor = first_meeting_day(weekday, parse_clock(clock), zone, now)
        rhythm = Rhythm(weeks, weekday, parse_clock(clock), zone, anchor)
        change = CadenceSet(self._pair(target), CADENCES[weeks], weekday, clock, anchor)
        data = {
            "other": target["other"],
            "weeks_apart": weeks,
            "weekday": weekday,
            "time": clock,
            "manager": target["manager"],
            "reader_is_manager": target["reader_is_manager"],
            "next": moment_text(next_meeting(rhythm, now), context["reader"]["timezone"], now),
        }
        return self._with_pair(target, (Outbound("one_on_one_cadence_set", data, private=True),), (change,))

    def _submitted(
        self, ask: Ask, form: Mapping[str, Any], target: Mapping[str, Any], context: Mapping[str, Any]
    ) -> StepResult:
        text = clean_text(str(form.get("text") or ""))
        wrong = self._text_problem(Ask.ADD if ask is Ask.POINT_FORM else Ask.NOTE, text, target)
        if wrong is not None:
            return self._form_problem(wrong)
        if ask is Ask.POINT_FORM:
            return self._add(Ask.ADD, text, target, context)
        private = str(form.get("visibility") or SHARED) == PRIVATE
        return self._add(Ask.PRIVATE if private else Ask.NOTE, text, target, context)

    # -- forms ---------------------------------------------------------------------------------

    def _point_form(self, target: Mapping[str, Any]) -> Form:
        other = target["other"]
        field = FormField(
            "text",
            self.labels("one_on_one_point_field", name=other["display_name"]),
            FieldKind.TEXT,
            required=True,
            max_length=MAX_TEXT,
        )
        return Form(
            id=f"{FLOW}.point:{other['id']}",
            title=self.labels("one_on_one_add_point"),
            fields=(field,),
            submit_label=self.labels("one_on_one_save"),
        )

    def _note_form(self, target: Mapping[str, Any]) -> Form:
        other = target["other"]
        visibility = (
            Choice(self.labels("one_on_one_note_shared", name=other["display_name"]), SHARED),
            Choice(self.labels("one_on_one_note_private"), PRIVATE),
        )
        return Form(
            id=f"{FLOW}.note:{other['id']}",
            title=self.labels("one_on_one_add_note"),
            fields=(
                FormField("text", self.labels("one_on_one_note_field"), FieldKind.LONG_TEXT, True, max_length=MAX_TEXT),
                FormField(
                    "visibility",
                    self.labels("one_on_one_note_visibility"),
                    FieldKind.SINGLE_CHOICE,
                    True,
                    visibility,
                    initial=SHARED,
                ),
            ),
            submit_label=self.labels("one_on_one_save"),
        )

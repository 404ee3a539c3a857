"""The weekly check-in, as pure flows.

``checkin``: answer the week's questions one at a time in chat (a mood or a single choice with
one-click buttons, several choices as a checkbox set), or all at once in a form, or skip the week.
Answers are saved as they come, so an interrupted check-in resumes where it stopped, and can be
changed until the check-in closes, one answer at a time or all of them. The steering words
(``help``, ``back``, ``skip``, ``pause``) work at every question. The storage context seeds the
state with everything the flow needs: the week, its closing time, the questions (one per key
result for goal progress), the answers so far, the manager and the team channel.

``checkin away``: record time off. ``checkin history``: my last answers.
``checkin_feedback``: a manager's "Reply" and "Thanks" on a report's check-in.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, ClassVar

from conversations.checkin_answers import (
    KEEP_WORDS,
    KEY_RESULT_KINDS,
    KR_CONFIDENCE,
    KR_UPDATE,
    KR_VALUE,
    MAX_NOTE,
    Parsed,
    blockers_of,
    display,
    is_upward,
    key_result_updates,
    key_result_value_field,
    mood_of,
    parse_answer,
)
from conversations.engine import NOTHING_TO_STEER
from conversations.flow import Change, State, StepResult, reply
from conversations.messages import (
    FORM_ERRORS,
    PICKED,
    Choice,
    ChoiceSet,
    ConfiguredChannel,
    FieldKind,
    Form,
    FormField,
    Inbound,
    Outbound,
)
from conversations.numbers import parse_measure, small_int
from conversations.steering import Steer, steering_word
from conversations.words import Labels

FLOW = "checkin"
MAX_BUTTONS = 50  # one-click choices beyond this many are more than a person scans; they are typed instead
SECONDS_TO_ANSWER = {"mood": 10, "single_choice": 15, "multiple_choice": 15, "number": 15, KR_UPDATE: 20}
SECONDS_FOR_TEXT = 40
HARD_MOOD = 2  # a mood this low together with a blocker gets a human answer and a flag for the manager
ALL = "all"


class Step(enum.StrEnum):
    READY = "ready"
    ASKING = "asking"
    SKIP_REASON = "skip_reason"
    EDIT_PICK = "edit_pick"  # a submitted check-in: which answer to change?


class Status(enum.StrEnum):
    """Where a person's check-in of a week stands; stored as is on the response."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    SKIPPED = "skipped"
    AWAY = "away"


@dataclass(frozen=True)
class CheckinSaved(Change):
    """The answers of a week: ``submitted`` False while answers are still coming in."""

    week: str
    template_id: int | None
    answers: Mapping[str, Any]
    submitted: bool
    mood: int | None = None
    blockers: str | None = None
    key_results: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class CheckinSkipped(Change):
    week: str
    reason: str | None


def checkin_length(kinds: Iterable[str]) -> tuple[int, int]:
    """How many questions a check-in has and about how many minutes it takes (at least one): the
    prompt promises what the check-in then asks."""
    kinds = list(kinds)
    seconds = sum(SECONDS_TO_ANSWER.get(kind, SECONDS_FOR_TEXT) for kind in kinds)
    return len(kinds), max(1, round(seconds / 60))


def asked_kinds(setting_kinds: Iterable[str], key_results: int) -> list[str]:
    """The kinds of question a person is asked: a goal-progress question is one per open key result."""
    kinds: list[str] = []
    for kind in setting_kinds:
        kinds.extend([KR_UPDATE] * key_results if kind == "goal_progress" else [kind])
    return kinds


def prompt_choices(labels: Labels, week: str) -> tuple[Choice, ...]:
    """The three buttons of a prompt or a reminder."""
    return (
        Choice(labels("start_checkin"), f"checkin.start:{week}", "primary"),
        Choice(labels("open_form"), f"checkin.form:{week}"),
        Choice(labels("skip_week"), f"checkin.skip:{week}"),
    )


def form_errors(problems: Mapping[str, Mapping[str, Any]]) -> Outbound:
    """Problems by field, each worded by the ``checkin_problem`` template next to its field."""
    return Outbound(
        FORM_ERRORS, {"template": "checkin_problem", "errors": {key: dict(value) for key, value in problems.items()}}
    )


def _argument(value: str | None) -> str:
    return (value or "").partition(":")[2]


def _answered(questions: Sequence[Mapping[str, Any]], answers: Mapping[str, Any]) -> int:
    return sum(1 for question in questions if answers.get(question["id"]) is not None)


@dataclass
class CheckinFlow:
    labels: Labels
    name: ClassVar[str] = FLOW
    commands: ClassVar[tuple[str, ...]] = ("checkin",)
    keywords: ClassVar[tuple[str, ...]] = ("checkin", "check in", "check-in", "start check-in")

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        assert state is not None, "the check-in context always seeds a state"
        data = dict(state.data)
        value = inbound.choice or inbound.form_id or ""
        action, argument = value.partition(":")[0], _argument(value)
        asked_week = argument.partition(":")[0]
        if asked_week and asked_week != data["week"]:
            return StepResult(self._keep(state), (Outbound("checkin_closed", {"week": asked_week}),))
        if now >= datetime.fromisoformat(data["closes_at"]):
            return StepResult(None, (Outbound("checkin_closed", {"week": data["week"]}),))
        if inbound.command and inbound.text.strip():
            steer = steering_word(inbound.text)
            if steer is not None:  # /checkin back, /checkin help
                return self.steer(state, steer, inbound, now)
            usage = Outbound("checkin_usage", {"word": inbound.text.split()[0]}, private=True)
            return StepResult(self._keep(state), (usage,))
        if action == "checkin.form":
            return StepResult(self._keep(state), (self._form_message(data),))
        if action == "checkin.answers":
            return self._submit_form(state, data, inbound.form or {})
        if action in ("checkin.skip", "checkin.skip_confirm") and data["status"] == Status.SUBMITTED:
            # the week is answered: skipping it now would throw the answers away
            edit = (Choice(self.labels("edit_answers"), f"checkin.start:{data['week']}"),)
            return StepResult(self._keep(state), (Outbound("checkin_already_in", {"week": data["week"]}, edit),))
        if action == "checkin.skip" or (action == "checkin.skip_confirm" and state.step != Step.SKIP_REASON):
            return self._ask_skip_reason(state, data)
        if action == "checkin.skip_confirm":
            return self._skip(data, None)
        if action == "checkin.answer":
            return self._pressed_answer(state, data, argument, inbound.form or {})
        if action == "checkin.edit":
            return self._edit_chosen(state, data, argument.partition(":")[2])
        typed = inbound.text.strip() if inbound.text and not inbound.command and not inbound.choice else ""
        if typed and state.step == Step.SKIP_REASON:
            return self._skip(data, typed)
        if typed and state.step == Step.ASKING:
            return self._answer(state, data, typed)
        if typed and state.step == Step.EDIT_PICK:
            return self._edit_chosen(state, data, typed, typed=True)
        return self._start(state, data)

    def steer(self, state: State | None, steer: Steer, inbound: Inbound, now: datetime) -> StepResult:
        """``help``, ``cancel``, ``back`` and ``skip`` at whatever step the check-in is."""
        assert state is not None
        data = dict(state.data)
        if now >= datetime.fromisoformat(data["closes_at"]):
            return StepResult(None, (Outbound("checkin_closed", {"week": data["week"]}),))
        if state.step == Step.ASKING:
            return self._steer_question(state, data, steer)
        if state.step == Step.SKIP_REASON:
            if steer is Steer.HELP:
                return StepResult(state, (self._help(data, "skip_reason"), self._skip_reason_message(data)))
            if steer is Steer.SKIP:
                return self._skip(data, None)
            return StepResult(None, (Outbound("checkin_skip_cancelled", {"week": data["week"]}),))
        if state.step == Step.EDIT_PICK:
            if steer is Steer.HELP:
                return StepResult(state, (self._help(data, "edit_pick"), *self._edit_pick(state, data).outbound))
            return StepResult(None, (Outbound("checkin_edit_cancelled", {"week": data["week"]}),))
        if steer is Steer.HELP:
            return StepResult(None, (self._help(data, "ready"),))
        choices = prompt_choices(self.labels, data["week"])[2:] if steer is Steer.SKIP else ()
        return StepResult(None, (Outbound(NOTHING_TO_STEER, {"word": steer.value, "steer": steer.value}, choices),))

    def _steer_question(self, state: State, data: dict[str, Any], steer: Steer) -> StepResult:
        if steer is Steer.HELP:
            return StepResult(state, (self._help(data, "question"), self._question(data)))
        if steer is Steer.CANCEL:
            return self._pause(data)
        if steer is Steer.SKIP:
            return self._answer(state, data, None)
        if data.get("single"):  # changing one answer: back is the list of answers
            return self._edit_pick(state, data)
        if data["index"] == 0:
            return StepResult(state, (self._help(data, "first"), self._question(data)))
        data.update(index=data["index"] - 1)
        return StepResult(replace(state, data=data), (self._question(data),))

    def _help(self, data: Mapping[str, Any], where: str) -> Outbound:
        question = data["questions"][data["index"]] if where in ("question", "first") else None
        return Outbound(
            "checkin_help",
            {
                "where": where,
                "week": data["week"],
                "number": data.get("index", 0) + 1,
                "count": len(data["questions"]),
                "optional": bool(question and not question.get("required")),
                "kind": question["kind"] if question else "",
                "editing": bool(data.get("editing")),
                "single": bool(data.get("single")),
                "closes_local": data["closes_local"],
            },
        )

    @staticmethod
    def _keep(state: State) -> State | None:
        """Leave the conversation as it was: a fresh, untouched one isn't worth remembering."""
        return None if state.step == Step.READY else state

    def _start(self, state: State, data: dict[str, Any]) -> StepResult:
        questions, answers = data["questions"], data["answers"]
        if state.step == Step.ASKING:
            index = data.get("index", 0)
        elif data["status"] == Status.SUBMITTED:
            return self._edit_pick(state, data)
        else:  # picking up answers saved before a pause: start at the first one missing
            index = next((i for i, q in enumerate(questions) if q["id"] not in answers), 0)
            data.update(editing=False, single=False)
        data.update(index=index)
        count, minutes = checkin_length(question["kind"] for question in questions)
        intro = Outbound(
            "checkin_intro",
            {
                "week": data["week"],
                "count": count,
                "minutes": minutes,
                "resuming": index > 0,
                "editing": bool(data.get("editing")),
                "after_skip": data["status"] == Status.SKIPPED,
            },
        )
        return StepResult(replace(state, step=Step.ASKING, data=data), (intro, self._question(data)))

    def text_of(self, question: Mapping[str, Any]) -> str:
        """A question's words: from the settings, or from the labels for a key result's questions."""
        if question["kind"] in KEY_RESULT_KINDS:
            return self.labels(question["kind"], kr=question["kr"])
        return question["text"]

    def _question(self, data: Mapping[str, Any]) -> Outbound:
        index = data["index"]
        question = {**data["questions"][index]}
        question["text"] = self.text_of(question)
        current = data["answers"].get(question["id"])
        choices, choice_set = self._answer_buttons(data["week"], question)
        return Outbound(
            "checkin_question",
            {
                "question": question,
                "number": index + 1,
                "count": len(data["questions"]),
                "current": display(question, current) if current is not None else None,
                "editing": bool(data.get("editing")),
                "buttons": bool(choices or choice_set),
            },
            choices,
            choice_set=choice_set,
        )

    def _answer_buttons(self, week: str, question: Mapping[str, Any]) -> tuple[tuple[Choice, ...], ChoiceSet | None]:
        """One-click answers: the mood's five, a single choice's options; several choices as a checkbox set."""
        value = f"checkin.answer:{week}:{question['id']}"
        if question["kind"] == "mood":
            labels = list(question.get("labels") or [])
            return tuple(
                Choice(self.labels("mood_option", value=n, label=text), f"{value}:{n}", answer=True)
                for n, text in enumerate(labels, 1)
            ), None
        options = list(question.get("options") or [])
        if question["kind"] == "single_choice" and len(options) <= MAX_BUTTONS:
            return tuple(Choice(option, f"{value}:{index}", answer=True) for index, option in enumerate(options)), None
        if question["kind"] == "multiple_choice":
            picks = tuple(Choice(option, str(index)) for index, option in enumerate(options))
            return (), ChoiceSet(value, picks, self.labels("choices_done"))
        return (), None

    def _answer(self, state: State, data: dict[str, Any], raw: Any) -> StepResult:
        """The answer to the current question, typed, pressed or skipped (``raw`` None)."""
        question = data["questions"][data["index"]]
        answers = dict(data["answers"])
        keeping = isinstance(raw, str) and raw.strip().lower() in KEEP_WORDS and question["id"] in answers
        if not keeping:
            parsed = parse_answer(question, raw)
            if not parsed.ok:
                return StepResult(state, (self._problem(parsed), self._question(data)))
            answers[question["id"]] = parsed.value
        return self._advance(state, data, answers)

    @staticmethod
    def _problem(parsed: Parsed) -> Outbound:
        assert parsed.problem is not None
        return Outbound("checkin_problem", {"code": parsed.problem.code, **parsed.problem.values})

    def _advance(self, state: State, data: dict[str, Any], answers: dict[str, Any]) -> StepResult:
        data.update(answers=answers)
        if data.get("single"):
            return self._complete(data)
        data.update(index=data["index"] + 1)
        if data["index"] < len(data["questions"]):
            progress = self._saved(data, submitted=False)
            return StepResult(replace(state, step=Step.ASKING, data=data), (self._question(data),), progress)
        return self._complete(data)

    def _pressed_answer(self, state: State, data: dict[str, Any], argument: str, form: Mapping[str, Any]) -> StepResult:
        """A one-click answer, perhaps on an earlier question's message: it answers the question it
        was under, never the one being asked now, and the conversation carries on from there."""
        question_id, _, raw = argument.partition(":")[2].partition(":")
        questions = data["questions"]
        index = next((i for i, q in enumerate(questions) if q["id"] == question_id), None)
        if index is None or (data["status"] == Status.SUBMITTED and state.step != Step.ASKING):
            why = "no_longer_asked" if index is None else "already_in"
            expired = Outbound("checkin_answer_expired", {"week": data["week"], "why": why})
            return StepResult(self._keep(state), (expired,))
        question = questions[index]
        options = list(question.get("options") or [])
        if question["kind"] == "single_choice":
            position = small_int(raw, 3)
            picked: Any = options[position] if position is not None and position < len(options) else raw
        elif question["kind"] == "multiple_choice":
            positions = [small_int(str(item), 3) for item in form.get(PICKED) or []]
            picked = [options[p] for p in positions if p is not None and p < len(options)]
        else:
            picked = raw
        if state.step == Step.ASKING and index == data["index"]:
            return self._answer(state, data, picked)
        parsed = parse_answer(question, picked)
        if not parsed.ok:
            return StepResult(self._keep(state), (self._problem(parsed),))
        answers = {**data["answers"], question["id"]: parsed.value}
        if state.step == Step.ASKING:
            data.update(answers=answers)
            return StepResult(
                state=replace(state, data=data),
                outbound=(self._question(data),),
                changes=self._saved(data, submitted=False),
            )
        missing = next((i for i, q in enumerate(questions) if q["id"] not in answers), None)
        data.update(answers=answers, editing=False, single=False)
        if missing is None:
            return self._complete(data)
        data.update(index=missing)
        progress = self._saved(data, submitted=False)
        return StepResult(replace(state, step=Step.ASKING, data=data), (self._question(data),), progress)

    def _pause(self, data: Mapping[str, Any]) -> StepResult:
        # the answers so far are saved already (except an edit's, which only count once complete);
        # ending the conversation lets the next messages reach other commands
        paused = {
            "week": data["week"],
            "answered": _answered(data["questions"], data["answers"]),
            "editing": bool(data.get("editing")),
            "closes_local": data["closes_local"],
        }
        return StepResult(None, (Outbound("checkin_paused", paused, prompt_choices(self.labels, data["week"])[:1]),))

    def _edit_pick(self, state: State, data: dict[str, Any]) -> StepResult:
        """A submitted check-in: its answers numbered, to change one of them, or go through all."""
        questions, answers = data["questions"], data["answers"]
        if len(questions) == 1:
            return self._begin_edit(state, data, 0)
        shown = [
            {"number": number, "question": self.text_of(q), "answer": display(q, answers.get(q["id"]))}
            for number, q in enumerate(questions, 1)
        ]
        week = data["week"]
        one_by_one = [
            Choice(self.labels("edit_one", number=number), f"checkin.edit:{week}:{number - 1}")
            for number in range(1, min(len(questions), MAX_BUTTONS) + 1)
        ]
        choices = (*one_by_one, Choice(self.labels("edit_all"), f"checkin.edit:{week}:{ALL}"))
        message = Outbound(
            "checkin_edit_pick", {"week": week, "answers": shown, "closes_local": data["closes_local"]}, choices
        )
        return StepResult(replace(state, step=Step.EDIT_PICK, data=data), (message,))

    def _edit_chosen(self, state: State, data: dict[str, Any], chosen: str, *, typed: bool = False) -> StepResult:
        if data["status"] != Status.SUBMITTED:
            return self._start(state, data)
        if chosen.strip().lower() in (ALL, "everything", "all of them"):
            return self._begin_edit(state, data, None)
        number = small_int(chosen, 3)
        index = number - 1 if typed and number is not None else number
        if index is None and typed and small_int(chosen, 9) is None:
            return StepResult(passed=True)  # "thanks", "hi": not an answer to "which one?", so not ours
        if index is None or not 0 <= index < len(data["questions"]):
            problem = Outbound("checkin_problem", {"code": "edit_pick", "count": len(data["questions"])})
            return StepResult(state if state.step == Step.EDIT_PICK else None, (problem,))
        return self._begin_edit(state, data, index)

    def _begin_edit(self, state: State, data: dict[str, Any], index: int | None) -> StepResult:
        """Change one answer (``index``), or all of them, keeping the submitted ones until it is done."""
        data.update(editing=True, single=index is not None, index=index or 0, original_answers=dict(data["answers"]))
        asking = replace(state, step=Step.ASKING, data=data)
        if index is not None:
            return StepResult(asking, (self._question(data),))
        count, minutes = checkin_length(question["kind"] for question in data["questions"])
        intro = Outbound(
            "checkin_intro",
            {
                "week": data["week"],
                "count": count,
                "minutes": minutes,
                "resuming": False,
                "editing": True,
                "after_skip": False,
            },
        )
        return StepResult(asking, (intro, self._question(data)))

    def _saved(self, data: Mapping[str, Any], *, submitted: bool) -> tuple[Change, ...]:
        if not submitted and data.get("editing"):
            return ()  # an edit only counts once it is complete; the submitted answers stay until then
        questions, answers = data["questions"], data["answers"]
        return (
            CheckinSaved(
                week=data["week"],
                template_id=data.get("template_id"),
                answers=dict(answers),
                submitted=submitted,
                mood=mood_of(questions, answers),
                blockers=blockers_of(questions, answers),
                key_results=tuple(key_result_updates(questions, self._changed(data))) if submitted else (),
            ),
        )

    @staticmethod
    def _changed(data: Mapping[str, Any]) -> dict[str, Any]:
        """The answers that differ from those already submitted: an edit re-records no key result
        it didn't change (a value set since with ``/goal update`` stays as it is)."""
        original = data.get("original_answers") or {}
        return {key: value for key, value in data["answers"].items() if key not in original or original[key] != value}

    def _complete(self, data: dict[str, Any]) -> StepResult:
        questions, answers = data["questions"], data["answers"]
        shown = [{"question": self.text_of(q), "answer": display(q, answers.get(q["id"]))} for q in questions]
        edited = bool(data.get("editing"))
        changes = self._what_changed(data) if edited else []
        if edited and not changes:
            return StepResult(None, (Outbound("checkin_unchanged", {"week": data["week"]}),))
        person, manager = data["person"], data.get("manager")
        mood, blockers = mood_of(questions, answers), blockers_of(questions, answers)
        hard_week = mood is not None and mood <= HARD_MOOD and blockers is not None
        messages = [
            Outbound(
                "checkin_done",
                {
                    "week": data["week"],
                    "answers": shown,
                    "edited": edited,
                    "closes_at": data["closes_local"],
                    "hard_week": hard_week,
                    "manager": manager or {},
                    "notify_manager": data.get("notify_manager") or "",
                    "upward": self._upward_promise(data),
                },
                (Choice(self.labels("edit_answers"), f"checkin.start:{data['week']}"),),
            )
        ]
        told = self._for_manager(data)
        told_answers = [item for question, item in zip(questions, shown, strict=True) if question in told]
        told_changes = self._what_changed(data, told) if edited else []
        if manager and data.get("notify_manager") == "immediately" and (told_changes or not edited):
            reference = f"{person['id']}:{data['week']}"
            messages.append(
                Outbound(
                    "checkin_for_manager",
                    {
                        "person": person,
                        "week": data["week"],
                        "answers": told_answers,
                        "edited": edited,
                        "changes": told_changes,
                        "hard_week": hard_week,
                    },
                    (
                        Choice(self.labels("reply"), f"checkin_feedback.reply:{reference}", "primary"),
                        Choice(self.labels("thanks"), f"checkin_feedback.thanks:{reference}"),
                        Choice(
                            self.labels("one_on_one_with", name=person["display_name"].split()[0]),
                            f"one_on_one.open:{person['id']}",
                        ),
                    ),
                    to_person_id=manager["id"],
                )
            )
        if data.get("team_channel") and not edited:  # a summary is posted once, not again on every edit
            public = [
                {"question": self.text_of(q), "answer": display(q, answers.get(q["id"]))}
                for q in questions
                if q["kind"] != "mood"
                and q["kind"] not in KEY_RESULT_KINDS
                and not is_upward(q)
                and not q.get("blocker")
                and answers.get(q["id"]) is not None
            ]
            messages.append(
                Outbound(
                    "checkin_team_summary",
                    {"person": person, "week": data["week"], "answers": public},
                    to_configured_channel=ConfiguredChannel.read(data["team_channel"]),
                )
            )
        return StepResult(None, tuple(messages), self._saved(data, submitted=True))

    def _what_changed(
        self, data: Mapping[str, Any], questions: Sequence[Mapping[str, Any]] | None = None
    ) -> list[dict[str, str]]:
        """The answers an edit changed, among ``questions`` (all of them when not given)."""
        original = data.get("original_answers") or {}
        return [
            {
                "question": self.text_of(q),
                # a key result's answer already reads "30 → 45": its new update is the change
                "before": "" if q["kind"] in KEY_RESULT_KINDS else display(q, original.get(q["id"])),
                "after": display(q, data["answers"].get(q["id"])),
            }
            for q in (data["questions"] if questions is None else questions)
            if original.get(q["id"]) != data["answers"].get(q["id"])
        ]

    @staticmethod
    def _upward_promise(data: Mapping[str, Any]) -> dict[str, Any]:
        """Who reads the answers to questions for the manager, as the person is told when they're in
        (nothing when there were none)."""
        if not any(is_upward(q) and data["answers"].get(q["id"]) is not None for q in data["questions"]):
            return {}
        return {"anonymous": bool(data.get("upward_anonymous")), "threshold": data.get("anonymity_threshold") or 0}

    @staticmethod
    def _for_manager(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """The questions whose answers the manager's message shows: all of them, except the upward
        ones when they are anonymous (a message naming its writer can't carry them)."""
        questions = data["questions"]
        return [q for q in questions if not is_upward(q)] if data.get("upward_anonymous") else list(questions)

    def _form_message(self, data: Mapping[str, Any]) -> Outbound:
        fields = tuple(
            field
            for question in data["questions"]
            for field in self._fields(question, data["answers"].get(question["id"]))
        )
        form = Form(
            id=f"checkin.answers:{data['week']}",
            title=self.labels("checkin_form_title", week=data["week"]),
            fields=fields,
        )
        return Outbound("checkin_form", {"week": data["week"]}, form=form)

    def _fields(self, question: Mapping[str, Any], current: Any) -> tuple[FormField, ...]:
        if question["kind"] != KR_UPDATE:
            return (self._field(question, current),)
        kr, current = question["kr"], current or {}
        confidence = current.get("confidence")
        value = current.get("value")
        return (
            key_result_value_field(
                f"{question['id']}.value", self.labels("kr_value", kr=kr), kr, kr["current"] if value is None else value
            ),
            FormField(
                f"{question['id']}.confidence",
                self.labels("kr_confidence", kr=kr),
                FieldKind.SINGLE_CHOICE,
                False,
                self._confidence_options(),
                str(confidence) if confidence else None,
            ),
            FormField(
                f"{question['id']}.comment",
                self.labels("kr_comment", kr=kr),
                FieldKind.TEXT,
                False,
                initial=current.get("comment") or None,
                max_length=MAX_NOTE,
            ),
        )

    def _confidence_options(self) -> tuple[Choice, ...]:
        return tuple(Choice(self.labels("confidence_option", value=n), str(n)) for n in range(1, 6))

    def _field(self, question: Mapping[str, Any], current: Any) -> FormField:
        kind, required = question["kind"], bool(question.get("required"))
        label = self.text_of(question)
        if kind == "mood":
            options = tuple(
                Choice(self.labels("mood_option", value=n, label=text), str(n))
                for n, text in enumerate(question["labels"], 1)
            )
            return FormField(
                question["id"], label, FieldKind.SINGLE_CHOICE, required, options, str(current) if current else None
            )
        if kind in ("single_choice", "multiple_choice"):
            options = tuple(Choice(option, option) for option in question["options"])
            field_kind = FieldKind.SINGLE_CHOICE if kind == "single_choice" else FieldKind.MULTIPLE_CHOICE
            return FormField(question["id"], label, field_kind, required, options, current)
        if kind in ("number", KR_VALUE):
            initial = question["kr"]["current"] if kind == KR_VALUE and current is None else current
            return FormField(question["id"], label, FieldKind.NUMBER, required, initial=initial)
        if kind == KR_CONFIDENCE:
            return FormField(
                question["id"],
                label,
                FieldKind.SINGLE_CHOICE,
                False,
                self._confidence_options(),
                str(current) if current else None,
            )
        return FormField(question["id"], label, FieldKind.LONG_TEXT, required, initial=current, max_length=3000)

    def _submit_form(self, state: State, data: dict[str, Any], values: Mapping[str, Any]) -> StepResult:
        answers: dict[str, Any] = {}
        problems: dict[str, dict[str, Any]] = {}
        for question in data["questions"]:
            if question["kind"] == KR_UPDATE:
                answer, problem = self._key_result_from_form(question, values)
                if problem is not None:
                    problems[f"{question['id']}.value"] = problem
                answers[question["id"]] = answer
                continue
            parsed = parse_answer(question, values.get(question["id"]))
            if parsed.ok:
                answers[question["id"]] = parsed.value
            else:
                assert parsed.problem is not None
                problems[question["id"]] = {"code": parsed.problem.code, **parsed.problem.values}
        if problems:
            return StepResult(self._keep(state), (form_errors(problems),))
        editing = data["status"] == Status.SUBMITTED
        data.update(
            answers=answers, editing=editing, single=False, original_answers=dict(data["answers"]) if editing else {}
        )
        return self._complete(data)

    @staticmethod
    def _key_result_from_form(
        question: Mapping[str, Any], values: Mapping[str, Any]
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """A key result's three form fields as one answer; (None, None) when nothing changed."""
        kr, base = question["kr"], question["id"]
        raw_value = str(values.get(f"{base}.value") or "").strip()
        value = None
        if raw_value:
            value = parse_measure(raw_value, kr.get("unit") or "", kr.get("metric", "number"))
            if value is None:
                return None, {"code": "not_a_number", "text": raw_value}
            value = int(value) if float(value).is_integer() else value
            if value == kr["current"]:
                value = None
        confidence = small_int(str(values.get(f"{base}.confidence") or ""), 1)
        confidence = confidence if confidence is not None and 1 <= confidence <= 5 else None
        comment = str(values.get(f"{base}.comment") or "").strip()[:MAX_NOTE]
        if value is None and confidence is None and not comment:
            return None, None
        return {"value": value, "confidence": confidence, "comment": comment}, None

    def _ask_skip_reason(self, state: State, data: dict[str, Any]) -> StepResult:
        return StepResult(replace(state, step=Step.SKIP_REASON), (self._skip_reason_message(data),))

    def _skip_reason_message(self, data: Mapping[str, Any]) -> Outbound:
        return Outbound(
            "checkin_skip_reason",
            {"week": data["week"], "manager": data.get("manager") or {}},
            (Choice(self.labels("no_reason"), f"checkin.skip_confirm:{data['week']}"),),
        )

    def _skip(self, data: Mapping[str, Any], reason: str | None) -> StepResult:
        reason = (reason or "")[:500] or None
        manager = data.get("manager")
        told = bool(manager) and data.get("notify_manager") == "immediately"
        messages = [
            Outbound(
                "checkin_skipped",
                {"week": data["week"], "reason": reason or "", "manager": manager or {}, "told_manager": told},
            )
        ]
        if told:
            messages.append(
                Outbound(
                    "checkin_skipped_for_manager",
                    {"person": data["person"], "week": data["week"], "reason": reason or ""},
                    to_person_id=manager["id"],
                )
            )
        return StepResult(None, tuple(messages), (CheckinSkipped(week=data["week"], reason=reason),))


class CheckinHistoryFlow:
    """``/checkin history``: the person's own last answers (the context loads them)."""

    stateless: ClassVar[bool] = True
    name: ClassVar[str] = "checkin_history"
    commands: ClassVar[tuple[str, ...]] = ("checkin history",)
    keywords: ClassVar[tuple[str, ...]] = ("checkin history", "my check-ins", "history")

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        weeks = list(state.data.get("weeks", [])) if state else []
        return reply("checkin_history", weeks=weeks)


@dataclass
class CheckinFeedbackFlow:
    """A manager's answer to a report's check-in: a written reply, or a thank-you.

    Values carry ``<person id>:<week>``; the context says who that is and whether the actor may see
    their check-in (their manager chain and admins only).
    """

    labels: Labels
    stateless: ClassVar[bool] = True
    name: ClassVar[str] = "checkin_feedback"
    commands: ClassVar[tuple[str, ...]] = ()
    keywords: ClassVar[tuple[str, ...]] = ()

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        subject = dict(state.data.get("subject") or {}) if state else {}
        if not subject.get("allowed"):
            return StepResult(outbound=(Outbound("checkin_feedback_refused", {}, private=True),))
        actor = inbound.actor
        assert actor is not None
        action = (inbound.choice or inbound.form_id or "").partition(":")[0]
        reference = f"{subject['id']}:{subject['week']}"
        person = {"id": subject["id"], "display_name": subject["name"]}
        sender = {"display_name": actor.display_name}
        if action == "checkin_feedback.reply":
            form = Form(
                id=f"checkin_feedback.send:{reference}",
                title=self.labels("reply_form_title"),
                fields=(
                    FormField(
                        "comment",
                        self.labels("reply_field", name=subject["name"]),
                        FieldKind.LONG_TEXT,
                        True,
                        max_length=3000,
                    ),
                ),
            )
            return StepResult(outbound=(Outbound("checkin_reply_form", {"person": person}, form=form),))
        if action == "checkin_feedback.send":
            comment = str((inbound.form or {}).get("comment") or "").strip()
            if not comment:
                return StepResult(outbound=(form_errors({"comment": {"code": "required"}}),))
            to_person = Outbound(
                "checkin_manager_reply",
                {"manager": sender, "week": subject["week"], "comment": comment},
                to_person_id=subject["id"],
                thread=subject.get("thread"),
            )
            return StepResult(
                outbound=(Outbound("checkin_feedback_sent", {"person": person, "kind": "reply"}), to_person)
            )
        thanks = Outbound(
            "checkin_thanks",
            {"manager": sender, "week": subject["week"]},
            to_person_id=subject["id"],
            thread=subject.get("thread"),
        )
        return StepResult(outbound=(Outbound("checkin_feedback_sent", {"person": person, "kind": "thanks"}), thanks))


@dataclass
class CheckinViewFlow:
    """The "open check-in" button of a digest: a report's answers, with Reply and Thanks."""

    labels: Labels
    name: ClassVar[str] = "checkin_view"
    commands: ClassVar[tuple[str, ...]] = ()
    keywords: ClassVar[tuple[str, ...]] = ()
    stateless: ClassVar[bool] = True

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        subject = dict(state.data.get("subject") or {}) if state else {}
        if not subject.get("allowed"):
            return StepResult(outbound=(Outbound("checkin_feedback_refused", {}, private=True),))
        reference = f"{subject['id']}:{subject['week']}"
        person = {"id": subject["id"], "display_name": subject["name"]}
        shown = {"person": person, "week": subject["week"], "answers": subject.get("answers", []), "edited": False}
        choices = (
            Choice(self.labels("reply"), f"checkin_feedback.reply:{reference}", "primary"),
            Choice(self.labels("thanks"), f"checkin_feedback.thanks:{reference}"),
        )
        return StepResult(outbound=(Outbound("checkin_for_manager", shown, choices),))

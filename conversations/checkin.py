"""The weekly check-in, as pure flows.

``checkin``: answer the week's questions one at a time in chat, or all at once in a form, or
skip the week. Answers are saved as they come, so an interrupted check-in resumes where it
stopped, and can be edited until the check-in closes. The storage context seeds the state with
everything the flow needs: the week, its closing time, the questions (key results expanded),
the answers so far, the manager and the team channel.

``checkin away``: record time off. ``checkin history``: my last answers.
``checkin_feedback``: a manager's "Reply" and "Thanks" on a report's check-in.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from conversations.checkin_answers import (
    KEEP_WORDS,
    KR_COMMENT,
    KR_CONFIDENCE,
    KR_VALUE,
    blockers_of,
    display,
    key_result_updates,
    mood_of,
    parse_answer,
)
from conversations.flow import Change, State, StepResult, reply
from conversations.messages import FORM_ERRORS, Choice, FieldKind, Form, FormField, Inbound, Outbound
from conversations.words import Labels

FLOW = "checkin"
PAUSE_WORDS = frozenset({"pause", "later", "stop", "cancel", "not now"})
MAX_TIME_OFF = timedelta(days=366)


class Step(enum.StrEnum):
    READY = "ready"
    ASKING = "asking"
    SKIP_REASON = "skip_reason"


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


@dataclass(frozen=True)
class TimeOffRecorded(Change):
    starts_on: date
    ends_on: date


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


@dataclass
class CheckinFlow:
    labels: Labels
    name: ClassVar[str] = FLOW
    commands: ClassVar[tuple[str, ...]] = ("checkin",)
    keywords: ClassVar[tuple[str, ...]] = ("checkin", "check in", "check-in", "start check-in")

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        assert state is not None, "the check-in context always seeds a state"
        data = dict(state.data)
        action = (inbound.choice or inbound.form_id or "").partition(":")[0]
        asked_week = _argument(inbound.choice or inbound.form_id)
        if asked_week and asked_week != data["week"]:
            return StepResult(self._keep(state), (Outbound("checkin_closed", {"week": asked_week}),))
        if now >= datetime.fromisoformat(data["closes_at"]):
            return StepResult(None, (Outbound("checkin_closed", {"week": data["week"]}),))
        if action == "checkin.form":
            return StepResult(self._keep(state), (self._form_message(data),))
        if action == "checkin.answers":
            return self._submit_form(state, data, inbound.form or {})
        if action == "checkin.skip" or (action == "checkin.skip_confirm" and state.step != Step.SKIP_REASON):
            message = Outbound(
                "checkin_skip_reason",
                {"week": data["week"]},
                (Choice(self.labels("no_reason"), f"checkin.skip_confirm:{data['week']}"),),
            )
            return StepResult(replace(state, step=Step.SKIP_REASON), (message,))
        if action == "checkin.skip_confirm":
            return self._skip(data, None)
        typed = inbound.text.strip() if inbound.text and not inbound.command and not inbound.choice else ""
        if state.step == Step.SKIP_REASON and typed:
            if typed.lower() in PAUSE_WORDS:
                return StepResult(None, (Outbound("checkin_skip_cancelled", {"week": data["week"]}),))
            return self._skip(data, typed)
        if state.step == Step.ASKING and typed:
            return self._answer(state, data, typed)
        return self._start(state, data)

    @staticmethod
    def _keep(state: State) -> State | None:
        """Leave the conversation as it was: a fresh, untouched one isn't worth remembering."""
        return None if state.step == Step.READY else state

    def _start(self, state: State, data: dict[str, Any]) -> StepResult:
        editing = data["status"] in (Status.SUBMITTED, Status.SKIPPED)
        if editing:
            index = 0
            data["original_answers"] = dict(data["answers"])
        elif state.step == Step.ASKING:
            index = data.get("index", 0)
        else:  # picking up answers saved before a pause: start at the first one missing
            index = next((i for i, q in enumerate(data["questions"]) if q["id"] not in data["answers"]), 0)
        data.update(index=index, editing=editing)
        intro = Outbound(
            "checkin_intro",
            {"week": data["week"], "count": len(data["questions"]), "resuming": index > 0, "editing": editing},
        )
        return StepResult(replace(state, step=Step.ASKING, data=data), (intro, self._question(data)))

    def text_of(self, question: Mapping[str, Any]) -> str:
        """A question's words: from the settings, or from the labels for a key result's questions."""
        if question["kind"] in (KR_VALUE, KR_CONFIDENCE, KR_COMMENT):
            return self.labels(question["kind"], kr=question["kr"])
        return question["text"]

    def _question(self, data: Mapping[str, Any]) -> Outbound:
        index = data["index"]
        question = {**data["questions"][index]}
        question["text"] = self.text_of(question)
        current = data["answers"].get(question["id"])
        return Outbound(
            "checkin_question",
            {
                "question": question,
                "number": index + 1,
                "count": len(data["questions"]),
                "current": display(question, current) if current is not None else None,
                "editing": data.get("editing", False),
            },
        )

    def _answer(self, state: State, data: dict[str, Any], text: str) -> StepResult:
        if text.strip().lower() in PAUSE_WORDS:
            # the answers so far are saved already (except an edit's, which only count once complete);
            # ending the conversation lets the next messages reach other commands
            paused = {"week": data["week"], "answered": data["index"], "editing": data.get("editing", False)}
            return StepResult(None, (Outbound("checkin_paused", paused),))
        question = data["questions"][data["index"]]
        answers = dict(data["answers"])
        if text.strip().lower() in KEEP_WORDS and question["id"] in answers:
            pass
        else:
            parsed = parse_answer(question, text)
            if not parsed.ok:
                assert parsed.problem is not None
                problem = Outbound("checkin_problem", {"code": parsed.problem.code, **parsed.problem.values})
                return StepResult(state, (problem, self._question(data)))
            answers[question["id"]] = parsed.value
        data.update(answers=answers, index=data["index"] + 1)
        if data["index"] < len(data["questions"]):
            progress = self._saved(data, submitted=False)
            return StepResult(replace(state, data=data), (self._question(data),), progress)
        return self._complete(data)

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

    def _complete(self, data: Mapping[str, Any]) -> StepResult:
        questions, answers = data["questions"], data["answers"]
        shown = [{"question": self.text_of(q), "answer": display(q, answers.get(q["id"]))} for q in questions]
        person = data["person"]
        messages = [
            Outbound(
                "checkin_done",
                {
                    "week": data["week"],
                    "answers": shown,
                    "edited": data.get("editing", False),
                    "closes_at": data["closes_local"],
                },
                (Choice(self.labels("edit_answers"), f"checkin.start:{data['week']}"),),
            )
        ]
        manager = data.get("manager")
        if manager and data.get("notify_manager") == "immediately":
            reference = f"{person['id']}:{data['week']}"
            messages.append(
                Outbound(
                    "checkin_for_manager",
                    {"person": person, "week": data["week"], "answers": shown, "edited": data.get("editing", False)},
                    (
                        Choice(self.labels("reply"), f"checkin_feedback.reply:{reference}", "primary"),
                        Choice(self.labels("thanks"), f"checkin_feedback.thanks:{reference}"),
                    ),
                    to_person_id=manager["id"],
                )
            )
        if data.get("team_channel"):
            public = [
                {"question": self.text_of(q), "answer": display(q, answers.get(q["id"]))}
                for q in questions
                if q["kind"] not in ("mood", KR_VALUE, KR_CONFIDENCE, KR_COMMENT)
                and not q.get("blocker")
                and answers.get(q["id"]) is not None
            ]
            messages.append(
                Outbound(
                    "checkin_team_summary",
                    {"person": person, "week": data["week"], "answers": public},
                    to_channel=data["team_channel"],
                )
            )
        return StepResult(None, tuple(messages), self._saved(data, submitted=True))

    def _form_message(self, data: Mapping[str, Any]) -> Outbound:
        fields = tuple(self._field(question, data["answers"].get(question["id"])) for question in data["questions"])
        form = Form(
            id=f"checkin.answers:{data['week']}",
            title=self.labels("checkin_form_title", week=data["week"]),
            fields=fields,
        )
        return Outbound("checkin_form", {"week": data["week"]}, form=form)

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
            options = tuple(Choice(self.labels("confidence_option", value=n), str(n)) for n in range(1, 6))
            return FormField(
                question["id"], label, FieldKind.SINGLE_CHOICE, False, options, str(current) if current else None
            )
        return FormField(question["id"], label, FieldKind.LONG_TEXT, required, initial=current, max_length=3000)

    def _submit_form(self, state: State, data: dict[str, Any], values: Mapping[str, Any]) -> StepResult:
        answers: dict[str, Any] = {}
        problems: dict[str, dict[str, Any]] = {}
        for question in data["questions"]:
            parsed = parse_answer(question, values.get(question["id"]))
            if parsed.ok:
                answers[question["id"]] = parsed.value
            else:
                assert parsed.problem is not None
                problems[question["id"]] = {"code": parsed.problem.code, **parsed.problem.values}
        if problems:
            return StepResult(self._keep(state), (form_errors(problems),))
        editing = data["status"] in (Status.SUBMITTED, Status.SKIPPED)
        data.update(answers=answers, editing=editing, original_answers=dict(data["answers"]) if editing else {})
        return self._complete(data)

    def _skip(self, data: Mapping[str, Any], reason: str | None) -> StepResult:
        reason = (reason or "")[:500] or None
        message = Outbound("checkin_skipped", {"week": data["week"], "reason": reason or ""})
        return StepResult(None, (message,), (CheckinSkipped(week=data["week"], reason=reason),))


def parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


@dataclass
class TimeOffFlow:
    """``/checkin away 2026-12-21 2027-01-04``: no prompts in that time, counted as away, not missing."""

    stateless: ClassVar[bool] = True
    name: ClassVar[str] = "checkin_away"
    commands: ClassVar[tuple[str, ...]] = ("checkin away",)
    keywords: ClassVar[tuple[str, ...]] = ()

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        actor = inbound.actor
        assert actor is not None
        today = now.astimezone(ZoneInfo(actor.timezone)).date()
        words = inbound.text.split()
        example = {
            "example_start": (today + timedelta(days=14)).isoformat(),
            "example_end": (today + timedelta(days=21)).isoformat(),
        }
        if len(words) not in (1, 2):
            return StepResult(outbound=(Outbound("time_off_problem", {"code": "usage", **example}, private=True),))
        start, end = parse_day(words[0]), parse_day(words[-1])
        if start is None or end is None:
            bad = words[0] if start is None else words[-1]
            return StepResult(
                outbound=(Outbound("time_off_problem", {"code": "not_a_date", "text": bad, **example}, private=True),)
            )
        if end < start:
            return StepResult(
                outbound=(
                    Outbound(
                        "time_off_problem",
                        {"code": "order", "start": start.isoformat(), "end": end.isoformat(), **example},
                        private=True,
                    ),
                )
            )
        if end < today:
            return StepResult(
                outbound=(
                    Outbound("time_off_problem", {"code": "past", "end": end.isoformat(), **example}, private=True),
                )
            )
        if end - start > MAX_TIME_OFF:
            return StepResult(outbound=(Outbound("time_off_problem", {"code": "too_long", **example}, private=True),))
        start = max(start, today)
        confirmation = Outbound("time_off_recorded", {"start": start.isoformat(), "end": end.isoformat()}, private=True)
        return StepResult(outbound=(confirmation,), changes=(TimeOffRecorded(start, end),))


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
        person = {"id": subject["id"], "display_name": subject["name"], "slack_user_id": subject.get("slack_user_id")}
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
                outbound=(to_person, Outbound("checkin_feedback_sent", {"person": person, "kind": "reply"}))
            )
        thanks = Outbound(
            "checkin_thanks",
            {"manager": sender, "week": subject["week"]},
            to_person_id=subject["id"],
            thread=subject.get("thread"),
        )
        return StepResult(outbound=(thanks, Outbound("checkin_feedback_sent", {"person": person, "kind": "thanks"})))


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
        person = {"id": subject["id"], "display_name": subject["name"], "slack_user_id": subject.get("slack_user_id")}
        shown = {"person": person, "week": subject["week"], "answers": subject.get("answers", []), "edited": False}
        choices = (
            Choice(self.labels("reply"), f"checkin_feedback.reply:{reference}", "primary"),
            Choice(self.labels("thanks"), f"checkin_feedback.thanks:{reference}"),
        )
        return StepResult(outbound=(Outbound("checkin_for_manager", shown, choices),))

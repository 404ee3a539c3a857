"""The check-in flows as pure steps: each test feeds a state and an inbound and reads what comes out."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from conversations.checkin import (
    CheckinFeedbackFlow,
    CheckinFlow,
    CheckinSaved,
    CheckinSkipped,
    Step,
    asked_kinds,
    checkin_length,
)
from conversations.checkin_answers import blockers_of, parse_answer
from conversations.flow import State
from conversations.messages import FORM_ERRORS, Actor, FieldKind, Inbound, Platform
from conversations.steering import steering_word
from conversations.time_off import TimeOffCancelled, TimeOffFlow, TimeOffRecorded
from conversations.words import Labels

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
ADA = Actor(1, 1, "Ada", "ada@acme.test", "Europe/Berlin", "member", "Platform", "Grace")
GRACE = Actor(2, 1, "Grace", "grace@acme.test", "Europe/Berlin", "manager")
LABELS = Labels()
MOOD = {
    "id": "mood",
    "kind": "mood",
    "text": "How was your week?",
    "required": True,
    "labels": ["Awful", "Bad", "Okay", "Good", "Great"],
}
DONE = {"id": "done", "kind": "text", "text": "What got done?", "required": True}
BLOCKERS = {"id": "blockers", "kind": "text", "text": "Anything blocking you?", "required": False, "blocker": True}
KR = {
    "id": 7,
    "ref": "KR-7",
    "title": "Beta users",
    "current": 30,
    "target": 100,
    "start": 0,
    "unit": "",
    "metric": "number",
}
KR_QUESTION = {"id": "goals.kr7", "kind": "kr_update", "text": "", "required": False, "kr": KR}
LEGACY_KR_CONFIDENCE = {"id": "goals.kr7.confidence", "kind": "kr_confidence", "text": "", "required": False, "kr": KR}


def seeded(questions=(MOOD, DONE, BLOCKERS), **overrides) -> State:
    data = {
        "week": "2026-W49",
        "closes_at": (NOW + timedelta(days=3)).isoformat(),
        "closes_local": "Mon 7 Dec 08:59",
        "template_id": 9,
        "questions": list(questions),
        "answers": {},
        "status": "pending",
        "index": 0,
        "person": {"id": 1, "display_name": "Ada"},
        "manager": {"id": 2, "display_name": "Grace"},
        "notify_manager": "immediately",
        "team_channel": "#platform",
        **overrides,
    }
    return State("checkin", Step.READY, data)


def said(text: str = "", actor: Actor = ADA, **fields) -> Inbound:
    return Inbound(Platform.SHELL, "acme", actor.email, "dm", text=text, actor=actor, **fields)


def converse(flow: CheckinFlow, state: State, *lines: str):
    """Each line as the engine hands it over: a steering word to ``steer``, anything else to ``step``."""
    results = []
    for line in lines:
        steer = steering_word(line) if not line.startswith("checkin.") else None
        if steer is not None and state is not None and state.step != Step.READY:
            result = flow.steer(state, steer, said(line), NOW)
        else:
            result = flow.step(state, said(line) if not line.startswith("checkin.") else said(choice=line), NOW)
        results.append(result)
        state = result.state
    return results


def kinds(result) -> list[str]:
    return [message.kind for message in result.outbound]


def test_questions_come_one_at_a_time_and_a_wrong_answer_is_explained_and_asked_again() -> None:
    flow = CheckinFlow(LABELS)
    start, wrong, mood = converse(flow, seeded(), "checkin.start:2026-W49", "7", "4")
    assert kinds(start) == ["checkin_intro", "checkin_question"]
    assert start.outbound[1].data["question"]["id"] == "mood"
    assert kinds(wrong) == ["checkin_problem", "checkin_question"]
    assert wrong.outbound[0].data["code"] == "mood_range" and wrong.state == start.state
    assert mood.outbound[0].data["question"]["id"] == "done"
    assert mood.state.data["answers"] == {"mood": 4}
    assert mood.changes == (CheckinSaved("2026-W49", 9, {"mood": 4}, submitted=False, mood=4),)


def test_finishing_saves_the_answers_and_tells_the_manager_and_the_team_channel_without_mood_or_blockers() -> None:
    flow = CheckinFlow(LABELS)
    *_, done = converse(flow, seeded(), "checkin.start:2026-W49", "Good", "Shipped the importer", "the flaky CI")
    assert done.state is None
    assert done.changes == (
        CheckinSaved(
            "2026-W49",
            9,
            {"mood": 4, "done": "Shipped the importer", "blockers": "the flaky CI"},
            True,
            4,
            "the flaky CI",
        ),
    )
    me, manager, channel = done.outbound
    assert me.kind == "checkin_done" and [choice.value for choice in me.choices] == ["checkin.start:2026-W49"]
    assert manager.to_person_id == 2 and manager.kind == "checkin_for_manager"
    assert [choice.value for choice in manager.choices] == [
        "checkin_feedback.reply:1:2026-W49",
        "checkin_feedback.thanks:1:2026-W49",
        "one_on_one.open:1",
    ]
    assert channel.to_channel is None and channel.to_configured_channel.on(Platform.SLACK) == "#platform"
    assert channel.data["answers"] == [{"question": "What got done?", "answer": "Shipped the importer"}]


def test_the_manager_hears_only_in_the_digest_when_the_setting_says_so() -> None:
    *_, done = converse(
        CheckinFlow(LABELS), seeded(notify_manager="digest", team_channel=None), "checkin.start", "4", "x", "skip"
    )
    assert kinds(done) == ["checkin_done"]


def test_an_interrupted_check_in_resumes_where_it_stopped() -> None:
    flow = CheckinFlow(LABELS)
    *_, answered, paused = converse(flow, seeded(), "checkin.start:2026-W49", "4", "pause")
    assert kinds(paused) == ["checkin_paused"] and paused.state is None
    assert answered.changes[0].answers == {"mood": 4}, "the answer was saved before the pause"
    # the next /checkin seeds the state again from the saved answers
    resumed = flow.step(seeded(status="in_progress", answers={"mood": 4}), said(command="checkin"), NOW)
    assert resumed.outbound[0].data["resuming"] is True
    assert resumed.outbound[1].data["question"]["id"] == "done"


def test_after_a_pause_typed_text_is_not_taken_as_an_answer() -> None:
    *_, paused = converse(CheckinFlow(LABELS), seeded(), "checkin.start:2026-W49", "4", "pause")
    assert paused.state is None, "no conversation left to swallow the next message"


def test_a_stale_no_reason_button_does_not_skip_and_cancel_keeps_the_week() -> None:
    flow = CheckinFlow(LABELS)
    stale = flow.step(seeded(), said(choice="checkin.skip_confirm:2026-W49"), NOW)
    assert stale.changes == () and stale.state.step == "skip_reason"
    _, cancelled = converse(flow, seeded(), "checkin.skip:2026-W49", "cancel")
    assert cancelled.changes == () and cancelled.outbound[0].kind == "checkin_skip_cancelled"


def test_an_edit_records_only_the_key_results_it_changed() -> None:
    flow = CheckinFlow(LABELS)
    answers = {"goals.kr7": {"value": 40, "confidence": 3, "comment": ""}}
    state = seeded((KR_QUESTION,), status="submitted", answers=answers)
    _, unchanged = converse(flow, state, "checkin.start:2026-W49", "keep")
    assert unchanged.changes == () and kinds(unchanged) == ["checkin_unchanged"]
    _, changed = converse(flow, state, "checkin.start:2026-W49", "40, confidence 4")
    assert changed.changes[0].key_results == ({"key_result_id": 7, "value": 40, "confidence": 4, "comment": ""},)


def test_a_submitted_check_in_can_be_edited_answer_by_answer_until_it_closes() -> None:
    flow = CheckinFlow(LABELS)
    state = seeded(status="submitted", answers={"mood": 3, "done": "old", "blockers": None})
    pick, everything, keep, new_done, blockers = converse(
        flow, state, "checkin.start:2026-W49", "all", "keep", "new things", "skip"
    )
    assert kinds(pick) == ["checkin_edit_pick"] and pick.state.step == Step.EDIT_PICK
    assert everything.outbound[0].data["editing"] is True
    assert everything.outbound[1].data["current"] == "3 · Okay"
    assert keep.changes == () and new_done.changes == (), "partial edits don't replace the submitted answers"
    assert blockers.changes[0].answers == {"mood": 3, "done": "new things", "blockers": None}
    assert blockers.outbound[0].data["edited"] is True and blockers.outbound[1].data["edited"] is True
    assert blockers.outbound[1].data["changes"] == [
        {"question": "What got done?", "before": "old", "after": "new things"}
    ]


def test_editing_can_jump_to_one_answer_and_the_manager_hears_what_changed() -> None:
    flow = CheckinFlow(LABELS)
    state = seeded(status="submitted", answers={"mood": 3, "done": "old", "blockers": None})
    pick, question, done = converse(flow, state, "checkin.start:2026-W49", "2", "shipped the importer")
    assert [choice.value for choice in pick.outbound[0].choices] == [
        "checkin.edit:2026-W49:0",
        "checkin.edit:2026-W49:1",
        "checkin.edit:2026-W49:2",
        "checkin.edit:2026-W49:all",
    ]
    assert kinds(question) == ["checkin_question"] and question.outbound[0].data["question"]["id"] == "done"
    assert done.state is None and done.changes[0].answers["done"] == "shipped the importer"
    to_manager = done.outbound[1]
    assert to_manager.data["changes"] == [
        {"question": "What got done?", "before": "old", "after": "shipped the importer"}
    ]
    [summary_kinds] = [[message.kind for message in done.outbound]]
    assert "checkin_team_summary" not in summary_kinds, "an edit is not posted to the team channel again"


def test_nothing_can_be_changed_after_the_check_in_closes() -> None:
    result = CheckinFlow(LABELS).step(seeded(), said(choice="checkin.start:2026-W49"), NOW + timedelta(days=4))
    assert kinds(result) == ["checkin_closed"] and result.state is None and result.changes == ()
    stale_button = CheckinFlow(LABELS).step(seeded(), said(choice="checkin.form:2026-W48"), NOW)
    assert stale_button.outbound[0].data["week"] == "2026-W48"


def test_the_form_has_every_question_and_refuses_bad_values_field_by_field() -> None:
    flow = CheckinFlow(LABELS)
    state = seeded((MOOD, DONE, BLOCKERS, KR_QUESTION), answers={"done": "draft"})
    [message] = flow.step(state, said(choice="checkin.form:2026-W49"), NOW).outbound
    fields = {field.id: field for field in message.form.fields}
    assert message.form.id == "checkin.answers:2026-W49"
    assert fields["mood"].kind is FieldKind.SINGLE_CHOICE and [o.value for o in fields["mood"].options] == [
        "1",
        "2",
        "3",
        "4",
        "5",
    ]
    assert fields["done"].initial == "draft" and fields["done"].required
    assert fields["goals.kr7.value"].kind is FieldKind.NUMBER and fields["goals.kr7.value"].initial == 30
    assert fields["goals.kr7.value"].label == "KR-7 Beta users: new value (now 30, target 100)"
    bad = flow.step(
        state, said(form_id="checkin.answers:2026-W49", form={"mood": None, "done": "", "goals.kr7.value": "lots"}), NOW
    )
    [errors] = bad.outbound
    assert errors.kind == FORM_ERRORS and bad.changes == ()
    assert {field: problem["code"] for field, problem in errors.data["errors"].items()} == {
        "mood": "required",
        "done": "required",
        "goals.kr7.value": "not_a_number",
    }
    good = flow.step(
        state,
        said(
            form_id="checkin.answers:2026-W49",
            form={"mood": "5", "done": "all", "goals.kr7.value": "45", "goals.kr7.confidence": "4"},
        ),
        NOW,
    )
    [saved] = good.changes
    assert saved.submitted and saved.mood == 5
    assert saved.key_results == ({"key_result_id": 7, "value": 45, "confidence": 4, "comment": ""},)


def test_skipping_takes_an_optional_reason() -> None:
    flow = CheckinFlow(LABELS)
    asked, reason = converse(flow, seeded(), "checkin.skip:2026-W49", "at a conference")
    assert asked.state.step == Step.SKIP_REASON
    assert reason.changes == (CheckinSkipped("2026-W49", "at a conference"),) and reason.state is None
    asked, no_reason = converse(flow, seeded(), "checkin.skip:2026-W49", "checkin.skip_confirm:2026-W49")
    assert no_reason.changes == (CheckinSkipped("2026-W49", None),)


@pytest.mark.parametrize(
    ("question", "raw", "value", "problem"),
    [
        (MOOD, "5", 5, None),
        (MOOD, "great", 5, None),
        (MOOD, "7", None, "mood_range"),
        (MOOD, "3.5", None, "mood_range"),
        (MOOD, "", None, "required"),
        (DONE, "skip", None, "required"),
        (BLOCKERS, "skip", None, None),
        ({"id": "n", "kind": "number", "text": "?", "minimum": 0, "maximum": 10}, "7,5", 7.5, None),
        ({"id": "n", "kind": "number", "text": "?", "minimum": 0, "maximum": 10}, "11", None, "out_of_range"),
        ({"id": "n", "kind": "number", "text": "?"}, "twelve", None, "not_a_number"),
        ({"id": "n", "kind": "number", "text": "?"}, "nan", None, "not_a_number"),
        ({"id": "c", "kind": "single_choice", "text": "?", "options": ["yes", "no"]}, "2", "no", None),
        ({"id": "c", "kind": "single_choice", "text": "?", "options": ["yes", "no"]}, "maybe", None, "unknown_option"),
        ({"id": "c", "kind": "multiple_choice", "text": "?", "options": ["a", "b", "c"]}, "1, c", ["a", "c"], None),
        ({"id": "c", "kind": "multiple_choice", "text": "?", "options": ["a", "b", "c"]}, ["a", "b"], ["a", "b"], None),
        (LEGACY_KR_CONFIDENCE, "6", None, "confidence_range"),
        (KR_QUESTION, "45", {"value": 45, "confidence": None, "comment": ""}, None),
        (KR_QUESTION, "45, confidence 4, shipped it", {"value": 45, "confidence": 4, "comment": "shipped it"}, None),
        (KR_QUESTION, "confidence 2", {"value": None, "confidence": 2, "comment": ""}, None),
        (KR_QUESTION, "keep", None, None),
        (KR_QUESTION, "shipped it", None, "kr_update"),
        (DONE, "x" * 3001, None, "too_long"),
    ],
)
def test_answers_are_read_or_explained(question, raw, value, problem) -> None:
    parsed = parse_answer(question, raw)
    assert (parsed.value, parsed.problem.code if parsed.problem else None) == (value, problem)


def test_saying_there_is_no_blocker_is_not_a_blocker() -> None:
    assert blockers_of([BLOCKERS], {"blockers": "None."}) is None
    assert blockers_of([BLOCKERS], {"blockers": "waiting on legal"}) == "waiting on legal"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "usage"),
        ("2026-12-21 2027-01-04 extra", "not_a_date"),
        ("next-week 2027-01-04", "not_a_date"),
        ("2027-01-04 2026-12-21", "order"),
        ("Jan 4 to Dec 21", "order"),
        ("2026-11-01 2026-11-20", "past"),
        ("2026-12-21 2028-01-04", "too_long"),
        ("cancel", "nothing_to_cancel"),
    ],
)
def test_time_off_is_refused_with_an_example_when_it_makes_no_sense(text: str, code: str) -> None:
    [message] = TimeOffFlow().step(None, said(text, command="checkin away"), NOW).outbound
    assert message.data["code"] == code and message.private
    assert message.data["example_start"] == "Fri 18 Dec"


@pytest.mark.parametrize(
    ("text", "first", "last", "shown"),
    [
        ("2026-12-01 2026-12-11", date(2026, 12, 4), date(2026, 12, 11), "Fri 4 Dec – Fri 11 Dec"),
        ("next week", date(2026, 12, 7), date(2026, 12, 13), "Mon 7 Dec – Sun 13 Dec"),
        ("tomorrow", date(2026, 12, 5), date(2026, 12, 5), "Sat 5 Dec"),
        ("Dec 21 to Jan 4", date(2026, 12, 21), date(2027, 1, 4), "Mon 21 Dec – Mon 4 Jan 2027"),
        ("21/12 - 4/1", date(2026, 12, 21), date(2027, 1, 4), "Mon 21 Dec – Mon 4 Jan 2027"),
        ("until friday", date(2026, 12, 4), date(2026, 12, 4), "Fri 4 Dec"),
        ("for 2 weeks", date(2026, 12, 4), date(2026, 12, 17), "Fri 4 Dec – Thu 17 Dec"),
    ],
)
def test_time_off_reads_dates_as_people_write_them_and_says_how_it_read_them(
    text: str, first: date, last: date, shown: str
) -> None:
    result = TimeOffFlow().step(None, said(text, command="checkin away"), NOW)
    assert result.changes == (TimeOffRecorded(first, last),)
    assert result.outbound[0].data["days"] == shown


def test_time_off_is_listed_and_cancelled_by_number_day_or_all() -> None:
    entries = [
        {"id": 7, "start": "2026-12-21", "end": "2027-01-04"},
        {"id": 9, "start": "2027-02-01", "end": "2027-02-05"},
    ]
    state = State("checkin_away", "show", {"time_off": entries})
    [listing] = TimeOffFlow().step(state, said("list", command="checkin away"), NOW).outbound
    assert [entry["days"] for entry in listing.data["time_off"]] == [
        "Mon 21 Dec – Mon 4 Jan 2027",
        "Mon 1 Feb 2027 – Fri 5 Feb 2027",
    ]
    [which] = TimeOffFlow().step(state, said("cancel", command="checkin away"), NOW).outbound
    assert which.data["code"] == "which"
    assert TimeOffFlow().step(state, said("cancel 2", command="checkin away"), NOW).changes == (TimeOffCancelled(9),)
    assert TimeOffFlow().step(state, said("cancel Dec 24", command="checkin away"), NOW).changes == (
        TimeOffCancelled(7),
    )
    assert TimeOffFlow().step(state, said("cancel all", command="checkin away"), NOW).changes == (
        TimeOffCancelled(7),
        TimeOffCancelled(9),
    )
    [none] = TimeOffFlow().step(state, said("cancel 5", command="checkin away"), NOW).outbound
    assert none.data["code"] == "no_such_time_off"


def subject_state(allowed: bool) -> State:
    subject = {"allowed": allowed, "id": 1, "name": "Ada", "week": "2026-W49", "thread": "checkin:prompt:1:2026-W49"}
    return State("checkin_feedback", "answer", {"subject": subject if allowed else {"allowed": False}})


def test_a_manager_replies_in_the_persons_thread_or_says_thanks() -> None:
    flow = CheckinFeedbackFlow(LABELS)
    [form_message] = flow.step(
        subject_state(True), said(choice="checkin_feedback.reply:1:2026-W49", actor=GRACE), NOW
    ).outbound
    assert form_message.form.id == "checkin_feedback.send:1:2026-W49"
    sent = flow.step(
        subject_state(True),
        said(form_id="checkin_feedback.send:1:2026-W49", form={"comment": "Nice!"}, actor=GRACE),
        NOW,
    )
    confirmation, to_ada = sent.outbound
    assert (to_ada.to_person_id, to_ada.thread, to_ada.data["comment"]) == (1, "checkin:prompt:1:2026-W49", "Nice!")
    assert confirmation.to_person_id is None
    thanks = flow.step(subject_state(True), said(choice="checkin_feedback.thanks:1:2026-W49", actor=GRACE), NOW)
    assert thanks.outbound[1].kind == "checkin_thanks" and thanks.outbound[1].to_person_id == 1
    empty = flow.step(
        subject_state(True), said(form_id="checkin_feedback.send:1:2026-W49", form={"comment": " "}, actor=GRACE), NOW
    )
    assert empty.outbound[0].kind == FORM_ERRORS


def test_someone_outside_the_manager_chain_can_not_answer_a_check_in() -> None:
    result = CheckinFeedbackFlow(LABELS).step(
        subject_state(False), said(choice="checkin_feedback.thanks:1:2026-W49", actor=GRACE), NOW
    )
    assert [message.kind for message in result.outbound] == ["checkin_feedback_refused"]


def test_help_back_and_skip_at_a_question_are_never_stored_as_answers() -> None:
    flow = CheckinFlow(LABELS)
    start, helped, _mood, back, mood_again, done_skip, done = converse(
        flow, seeded(), "checkin.start:2026-W49", "help", "2", "back", "4", "skip", "Shipped it"
    )
    assert kinds(helped) == ["checkin_help", "checkin_question"] and helped.state == start.state
    assert helped.outbound[0].data["kind"] == "mood"
    assert back.outbound[0].data["question"]["id"] == "mood" and back.outbound[0].data["current"] == "2 · Bad"
    assert mood_again.state.data["answers"] == {"mood": 4}
    assert kinds(done_skip) == ["checkin_problem", "checkin_question"], "a required question can't be skipped"
    assert done_skip.outbound[0].data["code"] == "required"
    assert done.state.data["answers"] == {"mood": 4, "done": "Shipped it"}
    assert all("help" not in str(value) for value in done.state.data["answers"].values())


def test_back_at_the_first_question_says_there_is_nothing_before_it() -> None:
    _, back = converse(CheckinFlow(LABELS), seeded(), "checkin.start:2026-W49", "back")
    assert kinds(back) == ["checkin_help", "checkin_question"] and back.outbound[0].data["where"] == "first"


def test_pause_keeps_the_answers_and_counts_them_right() -> None:
    flow = CheckinFlow(LABELS)
    *_, paused = converse(flow, seeded(), "checkin.start:2026-W49", "pause")
    assert paused.outbound[0].data["answered"] == 0
    *_, paused = converse(flow, seeded(), "checkin.start:2026-W49", "4", "Shipped", "stop")
    assert paused.outbound[0].data["answered"] == 2 and paused.state is None


def test_checking_in_after_a_skip_is_a_fresh_start_not_an_edit() -> None:
    flow = CheckinFlow(LABELS)
    state = seeded(status="skipped")
    [start] = converse(flow, state, "checkin.start:2026-W49")
    intro = start.outbound[0].data
    assert intro["after_skip"] is True and intro["editing"] is False
    *_, paused = converse(flow, state, "checkin.start:2026-W49", "pause")
    assert paused.outbound[0].data["editing"] is False, "nothing was submitted, so nothing 'stays as it was'"


def test_steering_while_skipping_and_while_picking_an_answer_to_change() -> None:
    flow = CheckinFlow(LABELS)
    _, helped, cancelled = converse(flow, seeded(), "checkin.skip:2026-W49", "help", "cancel")
    assert kinds(helped) == ["checkin_help", "checkin_skip_reason"] and helped.state.step == Step.SKIP_REASON
    assert kinds(cancelled) == ["checkin_skip_cancelled"] and cancelled.changes == ()
    _, skipped = converse(flow, seeded(), "checkin.skip:2026-W49", "skip")
    assert skipped.changes == (CheckinSkipped("2026-W49", None),)
    submitted = seeded(status="submitted", answers={"mood": 3, "done": "old", "blockers": None})
    _, helped, wrong, cancelled = converse(flow, submitted, "checkin.start:2026-W49", "help", "9", "cancel")
    assert kinds(helped) == ["checkin_help", "checkin_edit_pick"]
    assert wrong.outbound[0].data["code"] == "edit_pick"
    assert kinds(cancelled) == ["checkin_edit_cancelled"] and cancelled.changes == ()


def test_checkin_with_a_steering_word_or_an_unknown_word_as_a_slash_command() -> None:
    flow = CheckinFlow(LABELS)
    [helped] = flow.step(seeded(), said("help", command="checkin"), NOW).outbound
    assert helped.kind == "checkin_help" and helped.data["where"] == "ready"
    [nothing] = flow.step(seeded(), said("back", command="checkin"), NOW).outbound
    assert nothing.kind == "nothing_to_steer"
    [skip] = flow.step(seeded(), said("skip", command="checkin"), NOW).outbound
    assert [choice.value for choice in skip.choices] == ["checkin.skip:2026-W49"], "offers to skip the week instead"
    [usage] = flow.step(seeded(), said("dance", command="checkin"), NOW).outbound
    assert usage.kind == "checkin_usage" and usage.data["word"] == "dance"


def test_the_mood_and_single_choices_come_with_buttons_and_several_choices_with_a_checkbox_set() -> None:
    choice = {"id": "where", "kind": "single_choice", "text": "Where?", "options": ["home", "office"]}
    several = {"id": "tags", "kind": "multiple_choice", "text": "Tags?", "options": ["a", "b", "c"]}
    flow = CheckinFlow(LABELS)
    start, first, second = converse(flow, seeded((MOOD, choice, several)), "checkin.start:2026-W49", "3", "2")
    assert [c.label for c in start.outbound[1].choices] == ["1 · Awful", "2 · Bad", "3 · Okay", "4 · Good", "5 · Great"]
    assert start.outbound[1].choices[3].value == "checkin.answer:2026-W49:mood:4"
    assert [c.value for c in first.outbound[0].choices] == [
        "checkin.answer:2026-W49:where:0",
        "checkin.answer:2026-W49:where:1",
    ]
    picker = second.outbound[0].choice_set
    assert picker.id == "checkin.answer:2026-W49:tags" and [o.label for o in picker.options] == ["a", "b", "c"]
    ticked = flow.step(second.state, said(choice=picker.id, form={"picked": ["0", "2"]}), NOW)
    assert ticked.changes[0].answers == {"mood": 3, "where": "office", "tags": ["a", "c"]}


def test_an_earlier_questions_button_answers_that_question_and_never_the_current_one() -> None:
    flow = CheckinFlow(LABELS)
    *_, stale = converse(flow, seeded(), "checkin.start:2026-W49", "4", "checkin.answer:2026-W49:mood:2")
    assert stale.state.data["answers"] == {"mood": 2} and stale.state.data["index"] == 1
    assert kinds(stale) == ["checkin_question"] and stale.outbound[0].data["question"]["id"] == "done"
    paused_state = seeded(answers={"mood": 4})
    resumed = flow.step(paused_state, said(choice="checkin.answer:2026-W49:mood:5"), NOW)
    assert resumed.state.step == Step.ASKING and resumed.outbound[0].data["question"]["id"] == "done"
    submitted = seeded(status="submitted", answers={"mood": 3, "done": "x", "blockers": None})
    expired = flow.step(submitted, said(choice="checkin.answer:2026-W49:mood:1"), NOW)
    assert kinds(expired) == ["checkin_answer_expired"] and expired.changes == ()


def test_a_hard_week_gets_a_human_answer_and_the_manager_a_flag() -> None:
    *_, done = converse(CheckinFlow(LABELS), seeded(), "checkin.start:2026-W49", "2", "Not much", "the build is broken")
    mine, to_manager, _ = done.outbound
    assert mine.data["hard_week"] is True and mine.data["manager"]["display_name"] == "Grace"
    assert to_manager.data["hard_week"] is True
    *_, fine = converse(CheckinFlow(LABELS), seeded(), "checkin.start:2026-W49", "2", "Not much", "none")
    assert fine.outbound[0].data["hard_week"] is False, "a low mood without a blocker is not flagged as one"


def test_a_skip_reason_reaches_the_manager_at_once() -> None:
    _, skipped = converse(CheckinFlow(LABELS), seeded(), "checkin.skip:2026-W49", "Sick most of the week")
    mine, to_manager = skipped.outbound
    assert mine.data["told_manager"] is True
    assert (to_manager.kind, to_manager.to_person_id, to_manager.data["reason"]) == (
        "checkin_skipped_for_manager",
        2,
        "Sick most of the week",
    )
    _, quiet = converse(CheckinFlow(LABELS), seeded(notify_manager="digest"), "checkin.skip:2026-W49", "Sick")
    assert kinds(quiet) == ["checkin_skipped"], "with notify_manager: digest the digest says it"


def test_the_check_in_says_how_long_it_is_and_key_results_are_one_question_each() -> None:
    [start_intro, _] = converse(
        CheckinFlow(LABELS), seeded((MOOD, DONE, BLOCKERS, KR_QUESTION)), "checkin.start:2026-W49"
    )[0].outbound
    assert (start_intro.data["count"], start_intro.data["minutes"]) == (4, 2)
    assert checkin_length(asked_kinds(["mood", "text", "text", "text", "goal_progress"], 3)) == (7, 3)
    assert checkin_length(asked_kinds(["mood", "goal_progress"], 0)) == (1, 1)

"""Edges a review of the first-hour work found: each test is one input a person could type."""

from __future__ import annotations

from conversations.checkin import CheckinFlow, Step
from conversations.checkin_answers import blockers_of, key_result_updates, parse_key_result_update
from conversations.engine import Engine
from conversations.flow import State
from conversations.flows import all_flows
from conversations.goals import GoalCloseFlow, GoalReopenFlow, GoalStatusFlow, GoalUpdateFlow
from conversations.messages import FieldKind, Inbound, Platform
from conversations.numbers import parse_measure, split_measure
from conversations.time_off import TimeOffFlow
from conversations.words import Labels
from tests.conversations.fakes import FakeChanges, FakeChannel, FakeDirectory, FakeStates
from tests.conversations.test_checkin_flow import ADA, KR, KR_QUESTION, NOW, said, seeded

YES_NO = {**KR, "metric": "boolean", "current": 0, "target": 1, "unit": ""}


def test_a_yes_no_key_result_takes_yes_no_1_or_0_but_never_45() -> None:
    assert parse_measure("45", "", "boolean") is None and split_measure("45", "", "boolean")[0] is None
    assert parse_measure("1", "", "boolean") == 1.0 and parse_measure("no", "", "boolean") == 0.0
    assert parse_key_result_update(YES_NO, "45").problem is not None
    assert parse_key_result_update(YES_NO, "yes, confidence 5").value == {"value": 1, "confidence": 5, "comment": ""}


def test_a_yes_no_key_result_is_a_yes_or_no_choice_in_forms() -> None:
    flow = CheckinFlow(Labels())
    question = {**KR_QUESTION, "kr": YES_NO}
    [message] = flow.step(seeded((question,)), said(choice="checkin.form:2026-W49"), NOW).outbound
    value = next(field for field in message.form.fields if field.id.endswith(".value"))
    assert value.kind is FieldKind.SINGLE_CHOICE and [(o.label, o.value) for o in value.options] == [
        ("yes", "1"),
        ("no", "0"),
    ]
    context = {"mine": [{**YES_NO, "ref": "KR-7"}], "target": None}
    form = GoalUpdateFlow(Labels()).form(context)
    assert form.fields[0].kind is FieldKind.SINGLE_CHOICE


def test_a_number_written_with_a_dot_for_thousands_is_refused_not_guessed() -> None:
    assert split_measure("1.000,50")[0] is None
    assert parse_key_result_update(KR, "1.000,50").problem is not None


def test_a_note_on_its_own_reaches_the_goal_history() -> None:
    answers = {KR_QUESTION["id"]: {"value": None, "confidence": None, "comment": "waiting on infra"}}
    assert key_result_updates([KR_QUESTION], answers) == [
        {"key_result_id": 7, "value": None, "confidence": None, "comment": "waiting on infra"}
    ]


def test_skip_this_week_after_submitting_keeps_the_answers() -> None:
    submitted = seeded(status="submitted", answers={"mood": 4, "done": "x", "blockers": None})
    result = CheckinFlow(Labels()).step(submitted, said(choice="checkin.skip:2026-W49"), NOW)
    assert [message.kind for message in result.outbound] == ["checkin_already_in"] and result.changes == ()
    assert [choice.value for choice in result.outbound[0].choices] == ["checkin.start:2026-W49"]


def test_text_that_is_no_pick_lets_the_which_answer_question_go() -> None:
    flow = CheckinFlow(Labels())
    picking = State("checkin", Step.EDIT_PICK, dict(seeded(status="submitted", answers={"mood": 4}).data))
    assert flow.step(picking, said("thanks"), NOW).passed
    assert not flow.step(picking, said("7"), NOW).passed, "a number is an answer, even a wrong one"
    states = FakeStates()
    engine = Engine(all_flows(), FakeDirectory(ADA), states, FakeChanges(), channel := FakeChannel())
    states.save(ADA, said(), picking)
    engine.handle(Inbound(Platform.SHELL, "acme", ADA.email, "dm", text="hi"), NOW)
    assert [message.kind for message in channel.sent] == ["help"] and states.load(ADA, "checkin") is None


def test_an_earlier_answer_button_is_marked_as_an_answer() -> None:
    start = CheckinFlow(Labels()).step(seeded(), said(choice="checkin.start:2026-W49"), NOW)
    assert all(choice.answer for choice in start.outbound[1].choices)
    assert not any(choice.answer for choice in CheckinFlow(Labels()).step(seeded(), said("x"), NOW).outbound[0].choices)


def test_a_goal_nobody_may_see_is_no_goal_to_close_reopen_or_set() -> None:
    hidden = State(
        "goal", "command", {"visible": False, "target": {"id": 3, "ref": "G-3", "state": "achieved", "can_edit": False}}
    )
    for flow, text in ((GoalCloseFlow(), "G-3 done"), (GoalReopenFlow(), "G-3"), (GoalStatusFlow(), "G-3 at risk x")):
        [message] = flow.step(hidden, said(text), NOW).outbound
        assert message.data["code"] == "unknown_goal", type(flow).__name__


def test_time_off_more_than_a_year_ahead_is_refused_without_a_crash() -> None:
    for text in ("9999-12-31", "31/12/9999", "2099-12-31"):
        [message] = TimeOffFlow().step(None, said(text, command="checkin away"), NOW).outbound
        assert message.data["code"] == "too_far", text


def test_ways_of_saying_there_is_no_blocker() -> None:
    question = [{"id": "b", "kind": "text", "blocker": True}]
    for none in ("not really", "nothing blocking me", "none so far", "Nothing at the moment.", "no blockers this week"):
        assert blockers_of(question, {"b": none}) is None, none
    assert blockers_of(question, {"b": "No laptop"}) == "No laptop"


def test_an_edited_key_result_tells_the_manager_only_the_new_update() -> None:
    flow = CheckinFlow(Labels())
    answers = {KR_QUESTION["id"]: {"value": 40, "confidence": 3, "comment": ""}}
    state = seeded((KR_QUESTION,), status="submitted", answers=answers)
    start = flow.step(state, said(choice="checkin.start:2026-W49"), NOW)
    done = flow.step(start.state, said("45"), NOW)
    [change] = done.outbound[1].data["changes"]
    assert change["before"] == "" and change["after"] == "30 → 45", "not '30 → 40 → 30 → 45'"

"""Goal flows as pure steps: the new-goal form, quick updates, closing and status."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from conversations.flow import State
from conversations.goals import (
    GoalClosed,
    GoalCloseFlow,
    GoalCreated,
    GoalNewFlow,
    GoalStatusFlow,
    GoalStatusSet,
    GoalUpdateFlow,
    KeyResultUpdated,
    parse_ref,
)
from conversations.messages import FORM_ERRORS, Actor, FieldKind, Inbound, Platform
from conversations.numbers import parse_measure
from conversations.words import Labels

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
ADA = Actor(1, 1, "Ada", "ada@acme.test", "Europe/Berlin", "member", "Platform")
NEW_CONTEXT = {
    "levels": ["person", "team"],
    "parents": [
        {"id": 7, "ref": "G-7", "title": "Grow", "period": "2026-Q4"},
        {"id": 8, "ref": "G-8", "title": "Yearly", "period": "2026"},
    ],
    "period_default": "2026-Q4",
    "today": "2026-11-20",
    "team_id": 3,
    "next_goal_number": 12,
    "next_key_result_number": 34,
}
KR = {
    "id": 5,
    "ref": "KR-34",
    "title": "Beta users",
    "metric": "number",
    "start": 0,
    "target": 200,
    "current": 50,
    "unit": "",
    "progress": 25.0,
    "confidence": None,
    "bar": "",
}


def inbound(**fields) -> Inbound:
    return Inbound(Platform.SLACK, "T1", "U1", "D1", actor=ADA, **fields)


def submit_new(**values):
    form = {"title": "Self-serve onboarding", "level": "person", "period": "2026-Q4", "key_results": "", **values}
    return GoalNewFlow(Labels()).step(
        State("goal_new", "form", NEW_CONTEXT), inbound(form_id="goal_new.form", form=form), NOW
    )


def test_the_new_goal_form_offers_levels_parents_and_the_current_period() -> None:
    [message] = (
        GoalNewFlow(Labels()).step(State("goal_new", "form", NEW_CONTEXT), inbound(command="goal new"), NOW).outbound
    )
    fields = {field.id: field for field in message.form.fields}
    assert [choice.value for choice in fields["level"].options] == ["person", "team"]
    assert [choice.value for choice in fields["parent"].options] == ["7", "8"]
    assert fields["period"].initial == "2026-Q4" and fields["key_results"].kind is FieldKind.LONG_TEXT


def test_a_valid_new_goal_is_created_with_its_key_results_and_short_ids() -> None:
    result = submit_new(level="team", parent="7", key_results="Signups: 0 -> 500\nLaunched: yes/no (x2)")
    [change] = result.changes
    assert isinstance(change, GoalCreated)
    assert (change.number, change.level, change.parent_id, change.team_id, change.period) == (
        12,
        "team",
        7,
        3,
        "2026-Q4",
    )
    assert (change.starts_on, change.ends_on) == (date(2026, 10, 1), date(2026, 12, 31))
    assert [(kr["number"], kr["title"], kr["metric"], kr["weight"]) for kr in change.key_results] == [
        (34, "Signups", "number", 1.0),
        (35, "Launched", "boolean", 2.0),
    ]
    assert result.outbound[0].data["ref"] == "G-12"


@pytest.mark.parametrize(
    ("values", "field", "code"),
    [
        ({"title": ""}, "title", "title"),
        ({"level": "company"}, "level", "level"),
        ({"period": "next quarter"}, "period", "period"),
        ({"period": "2026-Q3"}, "period", "period_ended"),
        ({"parent": "8"}, "parent", "parent_period"),
        ({"parent": "99"}, "parent", "unknown_goal"),
        ({"key_results": "Signups: 100 -> 100"}, "key_results", "target_equals_start"),
        ({"key_results": "Signups 100"}, "key_results", "key_result_line"),
    ],
)
def test_a_bad_new_goal_is_refused_field_by_field_and_nothing_is_created(values, field, code) -> None:
    result = submit_new(**values)
    assert result.changes == ()
    [errors] = result.outbound
    assert errors.kind == FORM_ERRORS and errors.data["errors"][field]["code"] == code


def update(text: str, target=None, mine=(KR,)):
    context = {"mine": list(mine), "target": target}
    return GoalUpdateFlow(Labels()).step(
        State("goal_update", "update", context), inbound(command="goal update", text=text), NOW
    )


def test_a_quick_update_parses_the_key_result_value_and_quoted_comment() -> None:
    target = {**KR, "goal_ref": "G-12", "goal_state": "open", "can_edit": True}
    result = update('KR-34 120 "beta is out"', target)
    assert result.changes == (KeyResultUpdated(5, 120.0, None, "beta is out"),)
    assert result.outbound[0].data["updates"][0]["new"] == 120.0


@pytest.mark.parametrize(
    ("text", "target", "code"),
    [
        ("KR-34", None, "update_usage"),
        ("G-12 5", None, "update_usage"),
        ("KR-99 5", None, "unknown_key_result"),
        ("KR-34 lots", {**KR, "goal_ref": "G-12", "goal_state": "open", "can_edit": True}, "not_a_number"),
        ("KR-34 5", {**KR, "goal_ref": "G-12", "goal_state": "achieved", "can_edit": True}, "closed_goal"),
        ("KR-34 5", {**KR, "goal_ref": "G-12", "goal_state": "open", "can_edit": False}, "not_allowed"),
    ],
)
def test_a_bad_quick_update_is_explained(text, target, code) -> None:
    result = update(text, target)
    assert result.changes == () and result.outbound[0].data["code"] == code


def test_the_update_form_records_only_what_changed() -> None:
    flow = GoalUpdateFlow(Labels())
    state = State("goal_update", "update", {"mine": [KR, {**KR, "id": 6, "ref": "KR-35"}], "target": None})
    [form_message] = flow.step(state, inbound(command="goal update"), NOW).outbound
    assert [field.id for field in form_message.form.fields] == [
        "5.value",
        "5.confidence",
        "5.comment",
        "6.value",
        "6.confidence",
        "6.comment",
    ]
    submitted = flow.step(
        state, inbound(form_id="goal_update.form", form={"5.value": "80", "5.confidence": "4", "6.value": "50"}), NOW
    )
    assert submitted.changes == (KeyResultUpdated(5, 80.0, 4, ""),)
    bad = flow.step(state, inbound(form_id="goal_update.form", form={"5.value": "eighty"}), NOW)
    assert bad.changes == () and bad.outbound[0].data["errors"]["5.value"]["code"] == "not_a_number"


GOAL = {"id": 9, "ref": "G-12", "title": "Launch", "state": "open", "can_edit": True}


def test_closing_and_setting_a_status() -> None:
    state = State("goal", "command", {"target": GOAL, "visible": True})
    closed = GoalCloseFlow().step(state, inbound(command="goal close", text="G-12 achieved"), NOW)
    assert closed.changes == (GoalClosed(9, "achieved"),)
    assert (
        GoalCloseFlow().step(state, inbound(command="goal close", text="G-12 won"), NOW).outbound[0].data["code"]
        == "close_usage"
    )
    status = GoalStatusFlow().step(state, inbound(command="goal status", text="G-12 at-risk waiting on legal"), NOW)
    assert status.changes == (GoalStatusSet(9, "at_risk", "waiting on legal"),)
    assert GoalStatusFlow().step(state, inbound(command="goal status", text="G-12 auto"), NOW).changes == (
        GoalStatusSet(9, None, ""),
    )
    no_reason = GoalStatusFlow().step(state, inbound(command="goal status", text="G-12 off-track"), NOW)
    assert no_reason.changes == () and no_reason.outbound[0].data["code"] == "status_reason"
    closed_state = State("goal", "command", {"target": {**GOAL, "state": "missed"}, "visible": True})
    assert (
        GoalCloseFlow()
        .step(closed_state, inbound(command="goal close", text="G-12 achieved"), NOW)
        .outbound[0]
        .data["code"]
        == "closed_goal"
    )


def test_short_ids_and_values() -> None:
    assert parse_ref("g-12") == ("G", 12) and parse_ref("KR-34") == ("KR", 34) and parse_ref("G12") is None
    assert (
        parse_measure("yes", "", "boolean") == 1.0
        and parse_measure("45%", "%", "percent") == 45.0
        and parse_measure("x") is None
        and parse_measure("350ms", "ms") == 350.0
        and parse_measure("350 ms", "ms") == 350.0
        and parse_measure("€1,200", "€", "currency") == 1200.0
    )


SKILLS = [{"slug": "mentoring", "label": "Mentoring"}]


def test_a_new_goal_naming_a_skill_is_a_growth_goal_and_an_unlisted_skill_is_refused_under_its_field() -> None:
    context = {**NEW_CONTEXT, "skills": SKILLS}
    [message] = (
        GoalNewFlow(Labels()).step(State("goal_new", "form", context), inbound(command="goal new"), NOW).outbound
    )
    assert [choice.value for choice in {f.id: f for f in message.form.fields}["skill"].options] == ["mentoring"]
    form = {
        "title": "Mentor two juniors",
        "level": "person",
        "period": "2026-Q4",
        "key_results": "",
        "skill": "mentoring",
    }
    [change] = (
        GoalNewFlow(Labels())
        .step(State("goal_new", "form", context), inbound(form_id="goal_new.form", form=form), NOW)
        .changes
    )
    assert (change.kind, change.skill) == ("growth", "mentoring")
    wrong = GoalNewFlow(Labels()).step(
        State("goal_new", "form", context), inbound(form_id="goal_new.form", form={**form, "skill": "juggling"}), NOW
    )
    assert wrong.changes == () and wrong.outbound[0].kind == FORM_ERRORS
    assert wrong.outbound[0].data["errors"] == {
        "skill": {"code": "unknown_skill", "skill": "juggling", "listed": ["mentoring"]}
    }
    without = submit_new()
    assert (without.changes[0].kind, without.changes[0].skill) == ("business", None)

"""The 1:1 flow on plain data: what is read from what people type or press, which changes it asks
for, the note to the other side only once their agenda has gone out, and problems as one message."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from conversations.digest import digest_message
from conversations.flow import State
from conversations.messages import FORM_ERRORS, PICKED, Inbound, Platform
from conversations.one_on_ones import (
    MAX_TEXT,
    ActionItemAdded,
    Ask,
    CadenceSet,
    ItemsClosed,
    NoteAdded,
    OneOnOneFlow,
    PairKey,
    PairStarted,
    TalkingPointAdded,
    clean_text,
    read_cadence,
    read_request,
    split_handles,
)
from conversations.words import Labels
from tests.fixtures.sample_messages import SAMPLES

NOW = datetime(2027, 3, 16, 9, tzinfo=UTC)
SAM = {"id": 2, "display_name": "Sam Okafor"}
GRACE = {"id": 3, "display_name": "Grace Hopper"}
FLOW = OneOnOneFlow(Labels())
PAIR = PairKey(2, 3, date(2027, 3, 18))


def item(number: int, kind: str, text: str, item_id: int) -> dict[str, Any]:
    return {"id": item_id, "number": number, "kind": kind, "text": text, "author": GRACE, "owner": GRACE}


def state(*, pair_id: int | None = 7, other_agenda_sent: bool = False, problem: dict | None = None, **extra) -> State:
    """What the storage context gives Grace's manager Sam about their 1:1."""
    agenda = {
        "next": {"starts_at": "2027-03-18T14:00:00+00:00", "text": "Thu 18 Mar 15:00"},
        "rhythm": {"weeks_apart": 1, "weekday": "thursday", "time": "15:00"},
        "points": [item(1, "point", "career plan", 41)],
        "actions": [item(2, "action", "send the draft", 42)],
    }
    target = {
        "pair_id": pair_id,
        "manager_id": 2,
        "report_id": 3,
        "anchor": "2027-03-18",
        "other": GRACE,
        "handle": "@grace",
        "manager": SAM,
        "manager_zone": "Europe/Berlin",
        "reader_is_manager": True,
        "rhythm": agenda["rhythm"],
        "agenda": agenda,
        "other_agenda_sent": other_agenda_sent,
        "other_next": "Thu 18 Mar 10:00",
    }
    data = {"reader": {**SAM, "timezone": "Europe/Berlin"}, "example": "@grace", "mentioned": [GRACE], **extra}
    if problem is None:
        data["target"] = target
    else:
        data["problem"] = problem
    return State("one_on_one", "agenda", data)


def typed(command: str, text: str = "", mentions: tuple[str, ...] = ("U3",)) -> Inbound:
    return Inbound(Platform.SLACK, "T1", "U2", "D2", command=command, text=text, mentions=mentions)


def test_what_is_asked_is_read_from_the_command_the_button_or_the_form() -> None:
    assert read_request(typed("1on1", "", ())).ask is Ask.LIST
    assert read_request(typed("1on1", "@grace")).ask is Ask.VIEW
    assert read_request(typed("1on1 done", "@grace 1")).ask is Ask.DONE
    pressed = Inbound(Platform.SLACK, "T1", "U2", "D2", choice="one_on_one.done:3", form={PICKED: ["41"]})
    assert (read_request(pressed).ask, read_request(pressed).other_id) == (Ask.PICKED, 3)
    form = Inbound(Platform.SLACK, "T1", "U2", "D2", form_id="one_on_one.note:3", form={"text": "x"})
    assert (read_request(form).ask, read_request(form).other_id) == (Ask.NOTE_FORM, 3)


def test_leading_handles_quotes_and_cadences_are_read_as_people_type_them() -> None:
    assert split_handles("@grace @Sam send it") == (["@grace", "@sam"], "send it")
    assert split_handles("ada@acme.example  1 3") == (["ada@acme.example"], "1 3")
    assert split_handles("send @grace it") == ([], "send @grace it")
    assert clean_text(' "career   plan" ') == "career plan"
    assert clean_text("“career plan”") == "career plan"
    assert clean_text('"unbalanced') == '"unbalanced'
    assert read_cadence("week") == (1, None, None)
    assert read_cadence("2 weeks Thursday 15:00") == (2, "thursday", "15:00")
    assert read_cadence("every other week tue 9:30") == (2, "tuesday", "09:30")
    assert read_cadence("biweekly 25:00") is None
    assert read_cadence("monthly") is None


def test_a_talking_point_for_a_new_pair_starts_the_pair_and_tells_only_the_writer() -> None:
    result = FLOW.step(state(pair_id=None), typed("1on1 add", '@grace "career plan"'), NOW)
    assert result.changes == (PairStarted(PAIR), TalkingPointAdded(PAIR, "career plan"))
    assert [message.kind for message in result.outbound] == ["one_on_one_added"]


def test_the_other_side_hears_of_a_late_point_only_once_their_agenda_went_out() -> None:
    result = FLOW.step(state(other_agenda_sent=True), typed("1on1 add", "@grace the offsite"), NOW)
    assert result.changes == (TalkingPointAdded(PAIR, "the offsite"),)
    mine, theirs = result.outbound
    assert mine.kind == "one_on_one_added" and mine.to_person_id is None
    assert theirs.kind == "one_on_one_heads_up" and theirs.to_person_id == GRACE["id"]
    assert theirs.data["when"] == "Thu 18 Mar 10:00", "in Grace's own time"
    quiet = FLOW.step(state(other_agenda_sent=True), typed("1on1 note", "@grace agreed"), NOW)
    assert [message.kind for message in quiet.outbound] == ["one_on_one_added"], "notes tell nobody"


def test_an_action_item_belongs_to_the_writer_unless_another_side_is_named() -> None:
    mine = FLOW.step(state(), typed("1on1 action", "@grace book the room"), NOW)
    assert mine.changes == (ActionItemAdded(PAIR, "book the room", SAM["id"]),)
    hers = FLOW.step(state(), typed("1on1 action", "@grace @grace send the draft"), NOW)
    assert hers.changes == (ActionItemAdded(PAIR, "send the draft", GRACE["id"]),)
    outside = FLOW.step(
        state(mentioned=[GRACE, {"id": 9, "display_name": "Tom"}]), typed("1on1 action", "@grace @tom fix"), NOW
    )
    assert outside.changes == () and outside.outbound[0].data["code"] == "owner_outside"


def test_notes_go_on_the_upcoming_1on1_shared_or_private() -> None:
    start = datetime(2027, 3, 18, 14, tzinfo=UTC)
    shared = FLOW.step(state(), typed("1on1 note", "@grace agreed on May"), NOW)
    private = FLOW.step(state(), typed("1on1 private", "@grace wants to lead"), NOW)
    assert shared.changes == (NoteAdded(PAIR, "agreed on May", start, False),)
    assert private.changes == (NoteAdded(PAIR, "wants to lead", start, True),)


def test_done_closes_by_the_numbers_shown_and_the_checkbox_set_by_ids() -> None:
    typed_done = FLOW.step(state(), typed("1on1 done", "@grace 2, 1"), NOW)
    assert typed_done.changes == (ItemsClosed(PAIR, (42, 41)),)
    ticked = Inbound(Platform.SLACK, "T1", "U2", "D2", choice="one_on_one.done:3", form={PICKED: ["42"]})
    assert FLOW.step(state(), ticked, NOW).changes == (ItemsClosed(PAIR, (42,)),)
    stale = Inbound(Platform.SLACK, "T1", "U2", "D2", choice="one_on_one.done:3", form={PICKED: ["99"]})
    result = FLOW.step(state(), stale, NOW)
    assert result.changes == () and [message.kind for message in result.outbound] == [
        "one_on_one_problem",
        "one_on_one_agenda",
    ]


@pytest.mark.parametrize(
    ("command", "text", "code"),
    [
        ("1on1 done", "@grace 3", "unknown_number"),
        ("1on1 done", "@grace two", "unknown_number"),
        ("1on1 done", "@grace", "no_numbers"),
        ("1on1 add", "@grace", "empty_text"),
        ("1on1 add", "@grace " + "x" * (MAX_TEXT + 1), "too_long"),
        ("1on1 every", "@grace monthly", "bad_cadence"),
    ],
)
def test_bad_input_is_one_private_problem_and_no_change(command: str, text: str, code: str) -> None:
    result = FLOW.step(state(pair_id=None), typed(command, text), NOW)
    assert result.changes == ()
    [message] = result.outbound
    assert (message.kind, message.data["code"], message.private) == ("one_on_one_problem", code, True)
    assert message.data["example"].startswith(command)


def test_a_refusal_from_the_context_is_worded_with_an_example_of_the_same_command() -> None:
    refused = FLOW.step(state(problem={"code": "not_a_pair", "name": "Tom"}), typed("1on1 add", "@tom x"), NOW)
    [message] = refused.outbound
    assert refused.changes == ()
    assert message.data == {
        "code": "not_a_pair",
        "name": "Tom",
        "example": '1on1 add @grace "career plan"',
        "has_partners": True,
    }


def test_forms_open_from_the_buttons_and_their_problems_show_under_the_field() -> None:
    pressed = Inbound(Platform.SLACK, "T1", "U2", "D2", choice="one_on_one.note:3")
    [form_message] = FLOW.step(state(), pressed, NOW).outbound
    assert form_message.form is not None and [field.id for field in form_message.form.fields] == ["text", "visibility"]
    empty = Inbound(Platform.SLACK, "T1", "U2", "D2", form_id="one_on_one.point:3", form={"text": "  "})
    [errors] = FLOW.step(state(), empty, NOW).outbound
    assert errors.kind == FORM_ERRORS and errors.data["errors"]["text"]["code"] == "empty_text"
    private = Inbound(
        Platform.SLACK, "T1", "U2", "D2", form_id="one_on_one.note:3", form={"text": "x", "visibility": "private"}
    )
    assert FLOW.step(state(), private, NOW).changes[0].private is True


def test_every_sets_the_pairs_rhythm_from_its_next_such_day() -> None:
    result = FLOW.step(state(), typed("1on1 every", "@grace 2 weeks friday 10:00"), NOW)
    assert result.changes == (CadenceSet(PAIR, "biweekly", "friday", "10:00", date(2027, 3, 19)),)
    assert result.outbound[0].data["next"] == "Fri 19 Mar 10:00"


def test_the_agenda_offers_a_checkbox_per_open_item_and_the_two_forms() -> None:
    [agenda] = FLOW.step(state(), typed("1on1", "@grace"), NOW).outbound
    assert agenda.choice_set is not None and agenda.choice_set.id == "one_on_one.done:3"
    assert [(option.label, option.value) for option in agenda.choice_set.options] == [
        ("1. career plan", "41"),
        ("2. send the draft", "42"),
    ]
    assert [choice.value for choice in agenda.choices] == ["one_on_one.point:3", "one_on_one.note:3"]
    assert agenda.private, "an agenda holds private notes: never shown to a channel"


def test_the_digest_offers_a_1on1_with_the_reports_who_have_a_blocker_or_a_mood_drop() -> None:
    people = [{"id": number, "display_name": f"Person{number} Surname"} for number in range(1, 10)]
    team = {
        **SAMPLES["digest"]["team"],
        "answered": people[:2],
        "blockers_new": [{"person": people[2], "text": "x", "weeks": 1}],
        "blockers_open": [{"person": people[3], "text": "y", "weeks": 4}],
        "people": [
            {"person": people[4], "mood": 2, "baseline": 4, "change": -2, "dropped": True},
            {"person": people[5], "mood": 4, "baseline": 4, "change": 0, "dropped": False},
            *({"person": person, "mood": 1, "baseline": 4, "change": -3, "dropped": True} for person in people[6:]),
        ],
    }
    data = {**SAMPLES["digest"], "team": team}
    offered = [choice for choice in digest_message(data, labels=Labels()).choices if choice.value.startswith("one_")]
    assert [(choice.label, choice.value) for choice in offered] == [
        ("1:1 with Person4", "one_on_one.open:4"),  # the longest-standing blocker first
        ("1:1 with Person3", "one_on_one.open:3"),
        ("1:1 with Person5", "one_on_one.open:5"),
        ("1:1 with Person7", "one_on_one.open:7"),
        ("1:1 with Person8", "one_on_one.open:8"),
    ], "at most five, however big the team"
    assert not [choice for choice in digest_message(data).choices if choice.value.startswith("one_")]

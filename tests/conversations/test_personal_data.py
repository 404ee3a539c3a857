"""The export and forget steps: what each says and asks for, from the state their context seeds,
and every refusal worded as one sentence."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from conversations.flow import State
from conversations.messages import Actor, Inbound, Platform
from conversations.personal_data import (
    CANCEL,
    CONFIRM,
    EXPORT_REQUESTED,
    FORGET_CANCELLED,
    FORGET_CONFIRM,
    FORGET_DONE,
    NOT_ADMIN,
    PERSONAL_DATA_FILE,
    PERSONAL_DATA_PROBLEM,
    DataExported,
    ExportFlow,
    ForgetFlow,
    PersonForgotten,
    read_choice,
)
from conversations.settings_view import ADMINS_ONLY
from conversations.words import Labels, PlainDialect, Words

NOW = datetime(2026, 12, 4, 10, tzinfo=UTC)
ADA = Actor(
    person_id=1, workspace_id=1, display_name="Ada Lovelace", email="ada@acme.example", timezone="UTC", role="admin"
)
SAM = {"id": 2, "display_name": "Sam Okafor", "active": True, "is_bot": False, "email": "sam@acme.example"}


def inbound(text: str = "", choice: str | None = None) -> Inbound:
    return Inbound(Platform.SHELL, "acme", "ada@acme.example", "shell", text=text, choice=choice, actor=ADA)


def test_a_button_names_its_action_and_person_and_nothing_else_is_one() -> None:
    assert read_choice(f"{CONFIRM}:12") == (CONFIRM, 12)
    assert read_choice(f"{CANCEL}:12") == (CANCEL, 12)
    for other in ("forget.confirm", "forget.confirm:twelve", "forget.erase:12", "checkin.start:12"):
        assert read_choice(other) is None


def test_export_answers_and_sends_a_file_that_names_only_whose_data_it_is() -> None:
    state = State("export", "show", {"subject": SAM, "own": False})
    result = ExportFlow().step(state, inbound("@sam"), NOW)
    answer, file = result.outbound
    assert (answer.kind, answer.data, answer.private) == (EXPORT_REQUESTED, {"person": SAM, "own": False}, True)
    assert (file.kind, file.data) == (PERSONAL_DATA_FILE, {"person_id": 2})
    assert result.changes == (DataExported(2),)


def test_forget_asks_with_a_danger_button_then_erases_or_keeps() -> None:
    flow = ForgetFlow(Labels())
    data = {"subject": SAM, "counts": {"checkins": 3}, "anonymous_name": "Erased person 2"}
    asked = flow.step(State("forget", "ask", {**data, "step": "ask"}), inbound("@sam"), NOW)
    [question] = asked.outbound
    assert question.kind == FORGET_CONFIRM and asked.changes == ()
    assert [(choice.label, choice.value, choice.style) for choice in question.choices] == [
        ("Erase Sam Okafor", f"{CONFIRM}:2", "danger"),
        ("Keep everything", f"{CANCEL}:2", None),
    ]
    done = flow.step(State("forget", "confirmed", {**data, "step": "confirmed"}), inbound(choice=f"{CONFIRM}:2"), NOW)
    [answer] = done.outbound
    assert answer.kind == FORGET_DONE and done.changes == (PersonForgotten(2),)
    assert "Sam" not in repr(answer.data), "the answer outlives the erasure in the outbox: no name in it"
    kept = flow.step(State("forget", "cancelled", {**data, "step": "cancelled"}), inbound(choice=f"{CANCEL}:2"), NOW)
    assert [message.kind for message in kept.outbound] == [FORGET_CANCELLED] and kept.changes == ()


@pytest.mark.parametrize(
    ("code", "values", "expected"),
    [
        ("unknown_person", {"name": "zed", "example": "forget @sam"}, "I don't know zed in Cadence; name someone in your organisation, for example forget @sam."),
        ("export_usage", {}, "Name one person, or nobody for your own: export, or as an admin export @sam."),
        ("forget_usage", {}, "Name the one person to erase, for example forget @sam."),
        ("self", {"admins": ["Grace Hopper"]}, "You can't erase yourself here; ask Grace Hopper, or ask whoever runs Cadence to run cadence forget with your email."),
        ("gone", {}, "There is nobody left to erase: they were erased already, or are no longer in Cadence."),
    ],
)  # fmt: skip
def test_every_refusal_is_one_sentence_saying_what_to_do(code: str, values: dict, expected: str) -> None:
    result = ForgetFlow(Labels()).step(State("forget", "show", {"problem": {"code": code, **values}}), inbound(), NOW)
    [message] = result.outbound
    assert message.kind == PERSONAL_DATA_PROBLEM and message.private
    assert Words(PlainDialect()).render(message.kind, message.data).text == expected


@pytest.mark.parametrize(
    ("flow", "admins", "expected"),
    [
        (ExportFlow(), ["Ada Lovelace", "Grace Hopper"], "Exporting someone else's data is for admins; ask Ada Lovelace or Grace Hopper."),
        (ForgetFlow(Labels()), ["Ada Lovelace"], "Erasing someone's data is for admins; ask Ada Lovelace."),
        (ForgetFlow(Labels()), [], "Erasing someone's data is for admins; this organisation has none yet (the org file's role column makes someone one)."),
    ],
)  # fmt: skip
def test_anyone_but_an_admin_is_told_whom_to_ask_in_the_sentence_every_admin_command_uses(
    flow, admins: list[str], expected: str
) -> None:
    state = State(flow.name, "show", {"problem": {"code": NOT_ADMIN, "admins": admins}})
    [message] = flow.step(state, inbound("@sam"), NOW).outbound
    assert message.kind == ADMINS_ONLY and message.private
    assert Words(PlainDialect()).render(message.kind, message.data).text == expected

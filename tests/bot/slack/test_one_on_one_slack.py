"""1:1s in Slack over real HTTP: /1on1 answers with the agenda (valid Block Kit, with its checkboxes),
add, private and action change it, the checkbox set's Mark done closes what was ticked, the
talking-point button opens a modal, and the other side never reads a private note."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from conversations.messages import Platform
from storage import org_import
from storage.models import OneOnOneItem, OneOnOnePrivateNote
from storage.workspaces import find
from tests.bot.slack.block_kit import assert_valid_message, assert_valid_view
from tests.bot.slack.conftest import ORG, seed_org
from tests.bot.slack.harness import RunningCadence, wait_until
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_requests import block_action, options_state, text_input_state, view_submission

TUESDAY = datetime(2027, 3, 16, 9, tzinfo=UTC)  # Grace (the manager, New York) meets Ada on Thursdays at 15:00
ADA_DM = "DU0001"


@pytest.fixture
def cadence(tmp_path: Path, slack: FakeSlackApi):
    with RunningCadence(tmp_path, slack, clock=lambda: TUESDAY) as running:
        seed_org(running)
        yield running


def elements(message: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [
        element
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["type"] == kind
    ]


def items(cadence: RunningCadence) -> list[tuple[str, str, bool]]:
    with cadence.database.session_scope() as session:
        return [(row.kind.value, row.text, row.closed_at is not None) for row in session.exec(select(OneOnOneItem))]


def test_the_agenda_add_private_action_and_done_with_the_checkboxes(
    cadence: RunningCadence, slack: FakeSlackApi
) -> None:
    first = cadence.command("/1on1", "<@U0002|grace>", user_id="U0001")
    assert first["response_type"] == "ephemeral"
    assert_valid_message(first)
    assert (
        "1:1 with Grace Hopper" in first["text"]
        and "*Thu 18 Mar 19:00* your time (Thu 18 Mar 15:00 for Grace)" in first["text"]
    )

    added = cadence.command("/1on1", 'add <@U0002|grace> "career plan"', user_id="U0001")
    assert "Added to your 1:1 with Grace Hopper on Thu 18 Mar 19:00: “career plan”" in added["text"]
    private = cadence.command("/1on1", "private <@U0002|grace> ask about the team move", user_id="U0001")
    assert "Only you can read it." in private["text"]
    action = cadence.command("/1on1", "action <@U0002|grace> <@U0002|grace> book the offsite room", user_id="U0001")
    assert "Action item for Grace Hopper: “book the offsite room”" in action["text"]

    agenda = cadence.command("/1on1", "<@U0002|grace>", user_id="U0001")
    assert_valid_message(agenda)
    assert (
        "1. career plan · added by you" in agenda["text"]
        and "2. book the offsite room · Grace Hopper" in agenda["text"]
    )
    assert "*Your private notes* (only you read these)\n• ask about the team move" in agenda["text"]
    [checkboxes] = elements(agenda, "checkboxes")
    assert [option["text"]["text"] for option in checkboxes["options"]] == [
        "1. career plan",
        "2. book the offsite room",
    ]
    [send] = [button for button in elements(agenda, "button") if button["action_id"] == "choice_set.send"]
    assert send["text"]["text"] == "Mark done"

    ticked = [(option["value"], option["text"]["text"]) for option in checkboxes["options"][:1]]
    state = {"choice_set": {"choice_set.picks": options_state(ticked)}}
    message = {"type": "message", "ts": "1700000001.000100", "text": agenda["text"], "blocks": agenda["blocks"]}
    pressed = cadence.post(
        block_action(
            "choice_set.send", send["value"], user_id="U0001", channel_id=ADA_DM, message=message, state_values=state
        )
    )
    assert pressed.status_code == 200
    wait_until(lambda: ("talking_point", "career plan", True) in items(cadence), what="the point to be closed")
    assert items(cadence) == [("talking_point", "career plan", True), ("action_item", "book the offsite room", False)]
    wait_until(
        lambda: any(
            "Discussed: “career plan”" in call.args.get("text", "") for call in slack.calls("chat.postMessage")
        ),
        what="the confirmation",
    )

    graces = cadence.command("/1on1", "<@U0001|ada>", user_id="U0002")
    assert "2. book the offsite room · you" in graces["text"] and ". career plan" not in graces["text"]
    assert "team move" not in graces["text"], "Ada's private note is hers alone"
    with cadence.database.session_scope() as session:
        assert [note.text for note in session.exec(select(OneOnOnePrivateNote))] == ["ask about the team move"]


def test_the_talking_point_button_opens_a_modal_and_its_problems_show_under_the_field(
    cadence: RunningCadence, slack: FakeSlackApi
) -> None:
    agenda = cadence.command("/1on1", "<@U0002|grace>", user_id="U0001")
    [add] = [button for button in elements(agenda, "button") if button["text"]["text"] == "Add a talking point"]
    message = {"type": "message", "ts": "1700000002.000100", "text": agenda["text"], "blocks": agenda["blocks"]}
    cadence.post(block_action(add["action_id"], add["value"], user_id="U0001", channel_id=ADA_DM, message=message))
    modal = slack.wait_for_calls("views.open")[0].args["view"]
    modal = modal if isinstance(modal, dict) else json.loads(modal)
    assert_valid_view(modal)
    callback = modal["callback_id"]
    too_long = {"text": {"value": text_input_state("x" * 501)}}
    refused = cadence.post(view_submission(callback, too_long, modal["private_metadata"], user_id="U0001"))
    assert refused.json()["response_action"] == "errors"
    assert "That's 501 characters; keep it to 500" in refused.json()["errors"]["text"]
    assert items(cadence) == []
    good = {"text": {"value": text_input_state("Roadmap for Q1")}}
    assert cadence.post(view_submission(callback, good, modal["private_metadata"], user_id="U0001")).text == ""
    wait_until(lambda: items(cadence) == [("talking_point", "Roadmap for Q1", False)], what="the talking point")


def test_someone_who_is_neither_manager_nor_report_gets_one_sentence(cadence: RunningCadence) -> None:
    with cadence.database.session_scope() as session:
        workspace = find(session, Platform.SLACK, "T0001")
        linus = "linus@acme.example,Linus T,U0003,,Platform,Europe/Helsinki,member\n"
        assert org_import.import_org(session, workspace.id, ORG + linus).ok
    answer = cadence.command("/1on1", "<@U0002|grace>", user_id="U0003")
    assert answer["text"].startswith("You have 1:1s with your manager and your direct reports; Grace is neither.")
    assert items(cadence) == []

"""One-click answers in a Slack check-in, over HTTP: the mood's buttons, a multiple-choice question
ticked in checkboxes and sent with Done (each tick only acked), a single choice's buttons, an earlier question's button still
answering that question, and every message Slack gets valid Block Kit with a text fallback."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.checkin_tick import checkin_producer
from bot.tick import enqueue_due
from conversations.messages import Platform
from conversations.words import Labels
from conversations.workspace_settings import validate_settings
from storage import inbox, workspaces
from storage.models import CheckinResponse
from tests.bot.slack.block_kit import assert_valid_message
from tests.bot.slack.conftest import seed_org
from tests.bot.slack.harness import RunningCadence, wait_until
from tests.fakes.slack_api import Call, FakeSlackApi
from tests.fakes.slack_requests import block_action, event_callback, options_state

FRIDAY = datetime(2026, 12, 4, 10, 30, tzinfo=UTC)  # 10:30 in London, where Ada lives
ADA_DM = "DU0001"
QUESTIONS = [
    {"id": "mood", "kind": "mood", "text": "How was your week?", "required": True},
    {
        "id": "areas",
        "kind": "multiple_choice",
        "text": "Which areas did you work on?",
        "required": True,
        "options": ["Docs", "Tests", "Reviews"],
    },
    {"id": "focus", "kind": "single_choice", "text": "What was your focus?", "options": ["Build", "Fix", "Learn"]},
    {"id": "done", "text": "What did you get done?", "required": True},
    {"id": "blockers", "text": "Is anything blocking you?", "blocker": True},
]
MOOD_LABELS = ["1 · Awful", "2 · Bad", "3 · Okay", "4 · Good", "5 · Great"]


@pytest.fixture
def cadence(tmp_path: Path, slack: FakeSlackApi):
    settings, problems = validate_settings({"checkins": {"questions": QUESTIONS}})
    assert settings is not None, problems
    with RunningCadence(tmp_path, slack, clock=lambda: FRIDAY) as running:
        seed_org(running)
        with running.database.session_scope() as session:
            workspaces.apply_settings(session, workspaces.find(session, Platform.SLACK, "T0001"), settings)
        yield running


def messages_to_ada(slack: FakeSlackApi, count: int) -> list[Call]:
    """Ada's DM once it holds ``count`` messages from Cadence (the prompt first), oldest first."""

    def in_dm() -> list[Call]:
        return [call for call in slack.calls("chat.postMessage") if call.args["channel"] == ADA_DM]

    wait_until(lambda: len(in_dm()) >= count, what=f"{count} messages to Ada")
    return in_dm()


def buttons(call: Call) -> dict[str, dict[str, Any]]:
    """The buttons of a posted message, by the text on them."""
    elements = [element for block in call.args["blocks"] if block["type"] == "actions" for element in block["elements"]]
    return {element["text"]["text"]: element for element in elements if element["type"] == "button"}


def the_message(call: Call) -> dict[str, Any]:
    """The message as Slack shows it back in a ``block_actions`` payload (``message`` field)."""
    return {"type": "message", "ts": call.response["ts"], "text": call.args["text"], "blocks": call.args["blocks"]}


def press(cadence: RunningCadence, call: Call, label: str, **fields: Any) -> None:
    button = buttons(call)[label]
    response = cadence.post(
        block_action(
            button["action_id"],
            button["value"],
            user_id="U0001",
            channel_id=ADA_DM,
            message=the_message(call),
            **fields,
        )
    )
    assert response.status_code == 200


def picker(call: Call) -> tuple[str, dict[str, Any]]:
    """The block id and the element of a message's choice set (its checkboxes or menu)."""
    [(block_id, element)] = [
        (block["block_id"], element)
        for block in call.args["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["type"] in ("checkboxes", "multi_static_select")
    ]
    return block_id, element


def ticked_state(call: Call, labels: list[str]) -> tuple[str, str, dict[str, Any]]:
    """The block id and action id of a message's choice set, and its state with the options ``labels`` ticked."""
    block_id, element = picker(call)
    ticked = [
        (option["value"], option["text"]["text"]) for option in element["options"] if option["text"]["text"] in labels
    ]
    return block_id, element["action_id"], options_state(ticked, element["type"])


def tick(cadence: RunningCadence, call: Call, labels: list[str], trigger_id: str) -> None:
    """Tick boxes as Slack reports it: the element's action with every box ticked so far, and the same in the state."""
    block_id, action_id, state = ticked_state(call, labels)
    response = cadence.post(
        block_action(
            action_id,
            None,
            block_id=block_id,
            action_type=state["type"],
            action=state,
            state_values={block_id: {action_id: state}},
            user_id="U0001",
            channel_id=ADA_DM,
            message=the_message(call),
            trigger_id=trigger_id,
        )
    )
    assert response.status_code == 200 and response.content == b""


def send_ticks(cadence: RunningCadence, call: Call, labels: list[str]) -> None:
    """Press the choice set's Done with ``labels`` ticked: Slack sends the ticks in the payload's state."""
    block_id, action_id, state = ticked_state(call, labels)
    press(cadence, call, "Done", state_values={block_id: {action_id: state}})


def dm(cadence: RunningCadence, text: str) -> None:
    event = {"type": "message", "channel_type": "im", "user": "U0001", "text": text, "channel": ADA_DM, "ts": "1.1"}
    assert cadence.post(event_callback(event)).status_code == 200


def adas_response(cadence: RunningCadence) -> CheckinResponse:
    with cadence.database.session_scope() as session:
        [response] = session.exec(select(CheckinResponse)).all()
        session.expunge(response)
        return response


def start_checkin(cadence: RunningCadence, slack: FakeSlackApi) -> Call:
    """The prompt's Start check-in, pressed in Ada's DM; returns the first question's message."""
    enqueue_due(cadence.database, FRIDAY, [checkin_producer(Labels())])
    [prompt] = messages_to_ada(slack, 1)
    press(cadence, prompt, "Start check-in")
    _, intro, mood = messages_to_ada(slack, 3)
    assert "5 questions" in intro.args["text"] and "How was your week?" in mood.args["text"]
    return mood


def test_answers_by_mood_button_ticked_boxes_and_typing_are_saved_exactly(
    cadence: RunningCadence, slack: FakeSlackApi
) -> None:
    mood = start_checkin(cadence, slack)
    press(cadence, mood, "4 · Good")
    areas = messages_to_ada(slack, 4)[3]
    assert "Which areas did you work on?" in areas.args["text"]

    tick(cadence, areas, ["Docs"], trigger_id="tick-docs")
    tick(cadence, areas, ["Docs", "Reviews"], trigger_id="tick-reviews")
    with cadence.database.session_scope() as session:
        assert inbox.by_key(session, "slack:action:tick-docs") is None
        assert inbox.by_key(session, "slack:action:tick-reviews") is None
    assert adas_response(cadence).answers == {"mood": 4}

    send_ticks(cadence, areas, ["Docs", "Reviews"])
    focus = messages_to_ada(slack, 5)[4]
    assert "What was your focus?" in focus.args["text"] and list(buttons(focus)) == ["Build", "Fix", "Learn"]
    assert adas_response(cadence).answers == {"mood": 4, "areas": ["Docs", "Reviews"]}

    press(cadence, focus, "Fix")
    done = messages_to_ada(slack, 6)[5]
    assert "What did you get done?" in done.args["text"]
    dm(cadence, "Shipped the importer")
    blockers = messages_to_ada(slack, 7)[6]
    assert "Is anything blocking you?" in blockers.args["text"]
    dm(cadence, "Waiting on the API keys")
    thanks = messages_to_ada(slack, 8)[7]
    wait_until(lambda: adas_response(cadence).submitted_at is not None, what="the check-in to be submitted")

    response = adas_response(cadence)
    assert response.answers == {
        "mood": 4,
        "areas": ["Docs", "Reviews"],
        "focus": "Fix",
        "done": "Shipped the importer",
        "blockers": "Waiting on the API keys",
    }
    assert (response.mood, response.blockers) == (4, "Waiting on the API keys")
    assert "Docs, Reviews" in thanks.args["text"]
    to_grace = [call for call in slack.wait_for_calls("chat.postMessage", 9) if call.args["channel"] == "DU0002"]
    assert len(to_grace) == 1 and "Docs, Reviews" in to_grace[0].args["text"]
    assert len(messages_to_ada(slack, 8)) == 8, "the ticks got no answer of their own"
    for call in slack.calls("chat.postMessage"):
        assert_valid_message({"text": call.args["text"], "blocks": call.args["blocks"]})


def test_an_earlier_questions_mood_button_answers_that_question_and_the_current_one_is_asked_again(
    cadence: RunningCadence, slack: FakeSlackApi
) -> None:
    mood = start_checkin(cadence, slack)
    assert list(buttons(mood)) == MOOD_LABELS
    [row] = [block for block in mood.args["blocks"] if block["type"] == "actions"]
    assert [button["value"] for button in row["elements"]] == [f"checkin.answer:2026-W49:mood:{n}" for n in range(1, 6)]
    press(cadence, mood, "4 · Good")
    areas = messages_to_ada(slack, 4)[3]
    assert "Which areas did you work on?" in areas.args["text"]

    press(cadence, mood, "2 · Bad")
    asked_again = messages_to_ada(slack, 5)[4]
    assert "Which areas did you work on?" in asked_again.args["text"] and picker(asked_again)[1]["type"] == "checkboxes"
    wait_until(lambda: adas_response(cadence).answers == {"mood": 2}, what="the earlier answer to change")
    assert adas_response(cadence).mood == 2

    send_ticks(cadence, asked_again, ["Tests"])
    focus = messages_to_ada(slack, 6)[5]
    assert "What was your focus?" in focus.args["text"]
    assert adas_response(cadence).answers == {"mood": 2, "areas": ["Tests"]}
    for call in slack.calls("chat.postMessage"):
        assert_valid_message({"text": call.args["text"], "blocks": call.args["blocks"]})

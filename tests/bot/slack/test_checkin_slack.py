"""A weekly check-in in Slack, end to end: the prompt DM, answering in the DM or in a modal, the
manager's copy with Reply and Thanks, and the reply landing in the person's thread."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from bot.checkin_tick import checkin_producer
from bot.tick import enqueue_due
from conversations.words import Labels
from storage.models import CheckinResponse
from tests.bot.slack.block_kit import assert_valid_message, assert_valid_view
from tests.bot.slack.conftest import seed_org
from tests.bot.slack.harness import RunningCadence
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_requests import block_action, event_callback, text_input_state, view_submission

FRIDAY = datetime(2026, 12, 4, 10, 30, tzinfo=UTC)  # 10:30 in London, where Ada lives


@pytest.fixture
def cadence(tmp_path: Path, slack: FakeSlackApi):
    with RunningCadence(tmp_path, slack, clock=lambda: FRIDAY) as running:
        seed_org(running)
        yield running


def prompt(cadence: RunningCadence, slack: FakeSlackApi):
    enqueue_due(cadence.database, FRIDAY, [checkin_producer(Labels())])
    [call] = [call for call in slack.wait_for_calls("chat.postMessage") if call.args["channel"] == "DU0001"]
    return call


def dm(cadence: RunningCadence, text: str, user: str = "U0001") -> None:
    event = {"type": "message", "channel_type": "im", "user": user, "text": text, "channel": f"D{user}", "ts": "1.1"}
    assert cadence.post(event_callback(event)).status_code == 200


def view_of(call) -> dict:
    view = call.args["view"]
    return view if isinstance(view, dict) else json.loads(view)


def test_the_prompt_arrives_in_a_direct_message_with_three_buttons(
    cadence: RunningCadence, slack: FakeSlackApi
) -> None:
    call = prompt(cadence, slack)
    assert_valid_message({"text": call.args["text"], "blocks": call.args["blocks"]})
    buttons = call.args["blocks"][-1]["elements"]
    assert [button["value"] for button in buttons] == [
        "checkin.start:2026-W49",
        "checkin.form:2026-W49",
        "checkin.skip:2026-W49",
    ]
    assert "Time for your weekly check-in" in call.args["text"]


def test_answering_in_the_dm_reaches_the_manager_and_the_managers_reply_lands_in_the_thread(cadence, slack) -> None:
    prompt_call = prompt(cadence, slack)
    cadence.post(block_action("checkin.start:2026-W49", "checkin.start:2026-W49", user_id="U0001", channel_id="DU0001"))
    for answer, expected_calls in (("4", 4), ("Shipped the importer", 5), ("Roadmap", 6)):
        slack.wait_for_calls("chat.postMessage", expected_calls - 1)
        dm(cadence, answer)
    dm(cadence, "none")
    calls = slack.wait_for_calls("chat.postMessage", 8)
    to_grace = [call for call in calls if call.args["channel"] == "DU0002"]
    assert len(to_grace) == 1 and "Ada Lovelace shared their check-in" in to_grace[0].args["text"]
    assert_valid_message({"text": to_grace[0].args["text"], "blocks": to_grace[0].args["blocks"]})
    reply_button = to_grace[0].args["blocks"][-1]["elements"][0]
    cadence.post(block_action(reply_button["action_id"], reply_button["value"], user_id="U0002", channel_id="DU0002"))
    modal = view_of(slack.wait_for_calls("views.open")[0])
    assert_valid_view(modal)
    submission = view_submission(
        modal["callback_id"],
        {"comment": {"value": text_input_state("Lovely work!")}},
        modal["private_metadata"],
        user_id="U0002",
    )
    assert cadence.post(submission).status_code == 200
    calls = slack.wait_for_calls("chat.postMessage", 10)
    [reply] = [call for call in calls if "Lovely work!" in call.args["text"]]
    assert reply.args["channel"] == "DU0001" and reply.args["thread_ts"] == prompt_call.response["ts"]


def test_the_form_shows_problems_next_to_the_fields(cadence: RunningCadence, slack: FakeSlackApi) -> None:
    prompt(cadence, slack)
    cadence.post(block_action("checkin.form:2026-W49", "checkin.form:2026-W49", user_id="U0001", channel_id="DU0001"))
    modal = view_of(slack.wait_for_calls("views.open")[0])
    assert_valid_view(modal)
    assert [block["block_id"] for block in modal["blocks"]] == ["mood", "done", "priorities", "blockers"]
    values = {
        "mood": {"value": {"type": "radio_buttons", "selected_option": None}},
        "done": {"value": text_input_state("x")},
    }
    answer = cadence.post(view_submission(modal["callback_id"], values, modal["private_metadata"], user_id="U0001"))
    assert answer.json()["response_action"] == "errors"
    assert answer.json()["errors"] == {
        "mood": "This one needs an answer, so it can't be skipped.",
        "priorities": "This one needs an answer, so it can't be skipped.",
    }


def test_time_off_is_confirmed_privately_in_the_slash_command_answer(cadence: RunningCadence) -> None:
    answer = cadence.command("/checkin", "away 2026-12-21 2027-01-04", user_id="U0001")
    assert answer["response_type"] == "ephemeral" and "Enjoy your time off" in answer["text"]
    wrong = cadence.command("/checkin", "away 2027-01-04 2026-12-21", user_id="U0001")
    assert "put the first day first" in wrong["text"] and "`/checkin away" in wrong["text"]


def test_steering_words_in_the_dm_help_go_back_and_pause_without_being_answers(cadence, slack) -> None:
    prompt(cadence, slack)
    cadence.post(block_action("checkin.start:2026-W49", "checkin.start:2026-W49", user_id="U0001", channel_id="DU0001"))
    sent = 3  # the prompt, the intro and the first question
    for text, expected in (
        ("help", "You're on question 1 of 4"),
        ("4", "2/4"),
        ("back", "Current answer: 4 · Good"),
        ("keep", "2/4"),
        ("pause", "Paused. I've kept your 1 answer"),
    ):
        slack.wait_for_calls("chat.postMessage", sent)
        dm(cadence, text)
        sent += 2 if text == "help" else 1  # help says what the question takes, then asks it again
        calls = slack.wait_for_calls("chat.postMessage", sent)
        assert any(expected in call.args["text"] for call in calls[-2:]), (text, [c.args["text"] for c in calls[-2:]])
    with cadence.database.session_scope() as session:
        [response] = session.exec(select(CheckinResponse)).all()
        assert response.answers == {"mood": 4}, "no steering word was stored as an answer"

"""Feedback in Slack over real HTTP: /feedback give opens a modal, the submission reaches the
recipient with a Thanks button, the Thanks reaches the giver; /feedback request sends each peer a
message with Give feedback and Not this time, and an answer given in the modal reaches the requester."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from conversations.messages import Platform
from storage import org_import, workspaces
from storage.models import Feedback
from tests.bot.slack.block_kit import assert_valid_message, assert_valid_view
from tests.bot.slack.harness import RunningCadence, wait_until
from tests.fakes.slack_api import RESPONSE_URL, FakeSlackApi
from tests.fakes.slack_requests import (
    block_action,
    event_callback,
    slash_command,
    text_input_state,
    view_submission,
)

ORG = """email,name,slack_id,manager_email,timezone
grace@acme.example,Grace Hopper,U0002,,America/New_York
ada@acme.example,Ada Lovelace,U0001,grace@acme.example,Europe/London
linus@acme.example,Linus T,U0003,grace@acme.example,Europe/Helsinki
"""
FRIDAY = datetime(2027, 3, 26, 15, 0, tzinfo=UTC)


@pytest.fixture
def cadence(tmp_path: Path, slack: FakeSlackApi):
    with RunningCadence(tmp_path, slack, clock=lambda: FRIDAY) as running:
        with running.database.session_scope() as session:
            workspace = workspaces.find(session, Platform.SLACK, "T0001")
            assert org_import.import_org(session, workspace.id, ORG).ok
        yield running


def view_of(call) -> dict:
    view = call.args["view"]
    return view if isinstance(view, dict) else json.loads(view)


def messages_to(slack: FakeSlackApi, channel: str, count: int = 1) -> list:
    wait_until(
        lambda: len([c for c in slack.calls("chat.postMessage") if c.args["channel"] == channel]) >= count,
        what=f"{count} messages to {channel}",
    )
    found = [call for call in slack.calls("chat.postMessage") if call.args["channel"] == channel]
    for call in found:
        assert_valid_message({"text": call.args["text"], "blocks": call.args["blocks"]})
    return found


def buttons(call) -> list[dict]:
    return [element for block in call.args["blocks"] if block["type"] == "actions" for element in block["elements"]]


def press(cadence: RunningCadence, button: dict, user: str) -> None:
    pressed = block_action(button["action_id"], button["value"], user_id=user, channel_id=f"D{user}")
    assert cadence.post(pressed).status_code == 200


def said_to(slack: FakeSlackApi, fragment: str) -> list[str]:
    """Where the words containing ``fragment`` went: a DM's channel, or the response URL of a command or button."""
    wait_until(lambda: any(fragment in str(call.args.get("text", "")) for call in slack.calls()), what=repr(fragment))
    return [
        call.args.get("channel") or RESPONSE_URL for call in slack.calls() if fragment in str(call.args.get("text", ""))
    ]


def test_feedback_given_in_the_modal_reaches_the_recipient_whose_thanks_reaches_the_giver(
    cadence: RunningCadence, slack: FakeSlackApi
) -> None:
    ack = cadence.post(slash_command("/feedback", "give <@U0002|grace>", user_id="U0001", channel_id="DU0001"))
    assert ack.status_code == 200 and ack.content == b""
    modal = view_of(slack.wait_for_calls("views.open")[0])
    assert_valid_view(modal)
    assert modal["callback_id"].startswith("feedback.give:")
    assert [block["block_id"] for block in modal["blocks"]] == ["went_well", "could_be_better", "audience"]
    assert [block["element"].get("max_length") for block in modal["blocks"][:2]] == [2000, 2000]
    assert "For Grace Hopper." in modal["blocks"][0]["hint"]["text"]
    options = [option["text"]["text"] for option in modal["blocks"][2]["element"]["options"]]
    assert options == ["Grace Hopper only"], "Grace has no manager to share it with"
    values = {
        "went_well": {"value": text_input_state("You unblocked the release in an afternoon.")},
        "could_be_better": {"value": text_input_state("x" * 2001)},
        "audience": {"value": {"type": "radio_buttons", "selected_option": {"value": "recipient"}}},
    }
    too_long = cadence.post(view_submission(modal["callback_id"], values, modal["private_metadata"], user_id="U0001"))
    assert too_long.json() == {
        "response_action": "errors",
        "errors": {"could_be_better": "This is 2,001 characters; keep it to 2,000."},
    }
    values["could_be_better"] = {"value": text_input_state("Tell us earlier when plans change.")}
    good = cadence.post(view_submission(modal["callback_id"], values, modal["private_metadata"], user_id="U0001"))
    assert good.status_code == 200 and good.text == ""
    (received,) = messages_to(slack, "DU0002")
    assert (
        "Ada Lovelace gave you feedback" in received.args["text"] and "unblocked the release" in received.args["text"]
    )
    thanks, quote = buttons(received)
    assert (thanks["text"]["text"], quote["text"]["text"]) == ("Thanks 🙏", "Quote it in my snapshot")
    (sent,) = messages_to(slack, "DU0001")
    assert (
        sent.args["text"]
        == "Your feedback is on its way to Grace Hopper. Only Grace Hopper will see it, and you, who wrote it."
    )
    press(cadence, thanks, "U0002")
    _, thanked = messages_to(slack, "DU0001", 2)
    assert thanked.args["text"] == "🙏 Grace Hopper thanked you for your feedback."
    press(cadence, thanks, "U0002")
    assert said_to(slack, "You already thanked Ada Lovelace for this feedback.") == ["DU0002"]
    assert len(messages_to(slack, "DU0001")) == 2, "the giver is told once"
    with cadence.database.session_scope() as session:
        (row,) = session.exec(select(Feedback)).all()
        assert row.thanked_at == FRIDAY


def test_a_request_reaches_each_peer_and_an_answer_in_the_modal_reaches_the_requester_and_their_manager(
    cadence: RunningCadence, slack: FakeSlackApi
) -> None:
    answer = cadence.command(
        "/feedback", 'request <@U0003|linus> <@U0002|grace> about "Q4 launch" and my manager', user_id="U0001"
    )
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith(
        "I asked Linus T and Grace Hopper for feedback about Q4 launch. "
        "Their answers come to you and your manager, Grace Hopper; the request is open until Fri 9 Apr."
    )
    (asked,) = messages_to(slack, "DU0003")
    (asked_grace,) = messages_to(slack, "DU0002")
    assert asked.args["text"].startswith("Ada Lovelace asks for your feedback about Q4 launch.")
    assert buttons(asked_grace) and asked_grace.args["text"] == asked.args["text"]
    give, not_now = buttons(asked)
    assert (give["text"]["text"], not_now["text"]["text"]) == ("Give feedback", "Not this time")
    press(cadence, give, "U0003")
    modal = view_of(slack.wait_for_calls("views.open")[0])
    assert_valid_view(modal)
    assert [block["block_id"] for block in modal["blocks"]] == ["went_well", "could_be_better"]
    assert modal["blocks"][0]["hint"]["text"].startswith(
        "Ada Lovelace asked for your feedback about Q4 launch; Ada Lovelace and Grace Hopper will read it."
    )
    values = {"went_well": {"value": text_input_state("The launch plan was clear.")}}
    submitted = cadence.post(view_submission(modal["callback_id"], values, modal["private_metadata"], user_id="U0003"))
    assert submitted.status_code == 200 and submitted.text == ""
    (received,) = messages_to(slack, "DU0001")
    assert received.args["text"].startswith("💬 Linus T answered your request for feedback about Q4 launch:")
    assert [button["text"]["text"] for button in buttons(received)] == ["Thanks 🙏", "Quote it in my snapshot"]
    _, copy = messages_to(slack, "DU0002", 2)
    assert "Ada Lovelace shared the answers with you, their manager" in copy.args["text"] and buttons(copy) == []
    press(cadence, give, "U0003")
    said_to(slack, "You already answered Ada Lovelace's request about Q4 launch; thank you!")


def test_feedback_typed_in_the_dm_offers_the_button_slack_needs_and_it_opens_the_form_for_the_person_named(
    cadence: RunningCadence, slack: FakeSlackApi
) -> None:
    typed = {"type": "message", "channel_type": "im", "user": "U0001", "text": "feedback give <@U0003>"}
    assert cadence.post(event_callback({**typed, "channel": "DU0001", "ts": "1.1"})).status_code == 200
    (offer,) = messages_to(slack, "DU0001")
    (button,) = buttons(offer)
    assert button["text"]["text"] == "Give feedback"
    press(cadence, button, "U0001")
    modal = view_of(slack.wait_for_calls("views.open")[0])
    assert_valid_view(modal)
    assert modal["callback_id"].startswith("feedback.give:") and "For Linus T." in modal["blocks"][0]["hint"]["text"]
    options = [option["text"]["text"] for option in modal["blocks"][-1]["element"]["options"]]
    assert options == ["Linus T only", "Linus T and their manager"]

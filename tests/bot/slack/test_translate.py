from __future__ import annotations

import json
from dataclasses import replace

import pytest

from bot.slack import translate
from bot.slack.render import PICKS_ACTION, PICKS_BLOCK, SEND_PICKS_ACTION
from conversations.messages import PICKED, Platform
from tests.fakes.slack_requests import block_action_payload, options_state


def test_the_umbrella_command_names_the_flow_by_its_first_word() -> None:
    inbound = translate.from_command(
        {"command": "/cadence", "text": " WhoAmI  please", "user_id": "U1", "team_id": "T1", "channel_id": "C1"}
    )
    assert (inbound.platform, inbound.workspace, inbound.user, inbound.conversation) == (
        Platform.SLACK,
        "T1",
        "U1",
        "C1",
    )
    assert (inbound.command, inbound.text) == ("whoami", "please")
    assert (
        translate.from_command({"command": "/cadence", "text": "", "user_id": "U1", "team_id": "T1"}).command == "help"
    )
    kudos = translate.from_command({"command": "/kudos", "text": "<@U2> thanks", "team_id": "T1", "channel_id": "C1"})
    assert (kudos.text, kudos.mentions, kudos.in_channel) == ("@U2 thanks", ("U2",), True)


def test_only_messages_people_typed_reach_the_flows() -> None:
    assert translate.is_person_message({"type": "message", "user": "U1", "text": "hi"})
    assert not translate.is_person_message({"type": "message", "subtype": "message_changed", "user": "U1"})
    assert not translate.is_person_message({"type": "message", "bot_id": "B1", "user": "U1"})
    assert not translate.is_person_message({"type": "message", "subtype": "bot_message"})


def test_a_button_press_carries_its_value_and_conversation() -> None:
    body = {
        "type": "block_actions",
        "user": {"id": "U1", "team_id": "T1"},
        "team": {"id": "T1"},
        "container": {"channel_id": "D1"},
        "channel": {"id": "D1"},
        "actions": [{"action_id": "checkin.start", "value": "checkin.start:2026-W49", "type": "button"}],
    }
    inbound = translate.from_block_action(body)
    assert inbound is not None
    assert (inbound.choice, inbound.conversation, inbound.workspace) == ("checkin.start:2026-W49", "D1", "T1")
    body["actions"] = [{"action_id": "x", "type": "static_select", "selected_option": {"value": "x.2"}}]
    selected = translate.from_block_action(body)
    assert selected is not None and selected.choice == "x.2"


@pytest.mark.parametrize("element_type", ["checkboxes", "multi_static_select"])
def test_a_tick_is_not_an_inbound_and_the_button_sends_the_ticks_from_the_state(element_type: str) -> None:
    ticked = {PICKS_BLOCK: {PICKS_ACTION: options_state([("0", "Docs"), ("2", "Reviews")], element_type)}}
    tick = block_action_payload(
        PICKS_ACTION,
        None,
        block_id=PICKS_BLOCK,
        action_type=element_type,
        action=options_state([("0", "Docs"), ("2", "Reviews")], element_type),
        state_values=ticked,
    )
    assert translate.from_block_action(tick) is None
    send = block_action_payload(SEND_PICKS_ACTION, "checkin.answer:2026-W49:areas", state_values=ticked)
    inbound = translate.from_block_action(send)
    assert inbound is not None
    assert (inbound.choice, inbound.form, inbound.conversation) == (
        "checkin.answer:2026-W49:areas",
        {PICKED: ["0", "2"]},
        "DU0001",
    )


def test_sending_a_choice_set_with_nothing_ticked_sends_no_picks_and_other_buttons_carry_no_form() -> None:
    nothing = {PICKS_BLOCK: {PICKS_ACTION: options_state([])}}
    send = translate.from_block_action(block_action_payload(SEND_PICKS_ACTION, "x.set", state_values=nothing))
    assert send is not None and send.form == {PICKED: []}
    stateless = translate.from_block_action(block_action_payload(SEND_PICKS_ACTION, "x.set"))
    assert stateless is not None and stateless.form == {PICKED: []}
    button = translate.from_block_action(block_action_payload("x.go", "x.go", state_values=nothing))
    assert button is not None and (button.choice, button.form) == ("x.go", None)


def test_a_modal_submission_becomes_plain_values_by_field() -> None:
    view = {
        "callback_id": "checkin.answers",
        "private_metadata": json.dumps({"channel": "D9"}),
        "state": {
            "values": {
                "mood": {"value": {"type": "radio_buttons", "selected_option": {"value": "4"}}},
                "done": {"value": {"type": "plain_text_input", "value": "shipped"}},
                "tags": {"value": {"type": "checkboxes", "selected_options": [{"value": "a"}, {"value": "c"}]}},
                "from": {"value": {"type": "datepicker", "selected_date": "2026-12-21"}},
                "who": {"value": {"type": "multi_users_select", "selected_users": ["U2"]}},
                "skip": {"value": {"type": "static_select", "selected_option": None}},
            }
        },
    }
    inbound = translate.from_view_submission(
        {"type": "view_submission", "user": {"id": "U1", "team_id": "T1"}, "view": view}
    )
    assert inbound.form_id == "checkin.answers" and inbound.conversation == "D9"
    assert inbound.form == {
        "mood": "4",
        "done": "shipped",
        "tags": ["a", "c"],
        "from": "2026-12-21",
        "who": ["U2"],
        "skip": None,
    }


def test_a_form_opened_from_a_channel_is_answered_in_private_not_in_the_channel() -> None:
    from conversations.destinations import DirectMessage, address
    from conversations.messages import Actor, Outbound

    view = {"callback_id": "feedback.form", "private_metadata": json.dumps({"channel": "C0GENERAL"}), "state": {}}
    inbound = translate.from_view_submission(
        {"type": "view_submission", "user": {"id": "U1", "team_id": "T1"}, "view": view}
    )
    assert inbound.in_channel is True
    actor = Actor(person_id=7, workspace_id=1, display_name="Ada", email=None, timezone="UTC", role="member")
    confirmation = Outbound("feedback_sent", {}, private=True)
    assert address(confirmation, replace(inbound, actor=actor)) == DirectMessage(7)


def test_broken_private_metadata_is_treated_as_empty() -> None:
    assert translate.private_metadata({"private_metadata": "{not json"}) == {}
    assert translate.private_metadata({"private_metadata": "[1]"}) == {}

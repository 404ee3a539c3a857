"""Typed commands in a Slack DM do what the slash commands do; a form is offered as a button."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.bot.slack.block_kit import assert_valid_view
from tests.bot.slack.conftest import seed_org
from tests.bot.slack.harness import RunningCadence, wait_until
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_requests import block_action, message_im, slash_command

NOVEMBER = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.fixture
def cadence(tmp_path: Path, slack: FakeSlackApi):
    with RunningCadence(tmp_path, slack, clock=lambda: NOVEMBER) as running:
        seed_org(running)
        yield running


def posted_texts(slack: FakeSlackApi) -> list[str]:
    return [call.args.get("text", "") for call in slack.calls("chat.postMessage")]


def test_a_typed_command_in_a_dm_is_the_slash_command(cadence: RunningCadence, slack: FakeSlackApi) -> None:
    cadence.post(message_im("U0001", "checkin away list"))
    wait_until(lambda: any("no time off coming up" in text for text in posted_texts(slack)), what="the answer")
    cadence.post(message_im("U0001", "chekin"))
    wait_until(lambda: any("Did you mean `/checkin`?" in text for text in posted_texts(slack)), what="the guess")


def test_a_typed_command_that_needs_a_form_offers_a_button_that_opens_it(
    cadence: RunningCadence, slack: FakeSlackApi
) -> None:
    cadence.post(message_im("U0001", "goal new"))
    wait_until(lambda: any("opens as a form" in text for text in posted_texts(slack)), what="the offer")
    offer = next(call for call in slack.calls("chat.postMessage") if "opens as a form" in call.args["text"])
    blocks = offer.args["blocks"]
    blocks = blocks if isinstance(blocks, list) else json.loads(blocks)
    [button] = [element for block in blocks if block["type"] == "actions" for element in block["elements"]]
    assert button["value"] == "command:goal new"
    assert not slack.calls("views.open"), "no form can open without a click"
    cadence.post(block_action(button["action_id"], button["value"], user_id="U0001", channel_id="DU0001"))
    view = slack.wait_for_calls("views.open")[0].args["view"]
    view = view if isinstance(view, dict) else json.loads(view)
    assert_valid_view(view)
    assert view["callback_id"] == "goal_new.form"


def test_kudos_on_its_own_opens_the_give_kudos_form(cadence: RunningCadence, slack: FakeSlackApi) -> None:
    cadence.post(slash_command("/kudos", "", user_id="U0001"))
    view = slack.wait_for_calls("views.open")[0].args["view"]
    view = view if isinstance(view, dict) else json.loads(view)
    assert_valid_view(view)
    assert view["callback_id"] == "kudos.form"

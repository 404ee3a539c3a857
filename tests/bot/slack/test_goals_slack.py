"""Goals in Slack: /goal new opens a modal, the submission creates the goal, /goal lists it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.bot.slack.block_kit import assert_valid_message, assert_valid_view
from tests.bot.slack.conftest import seed_org
from tests.bot.slack.harness import RunningCadence, wait_until
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_requests import slash_command, text_input_state, view_submission

NOVEMBER = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.fixture
def cadence(tmp_path: Path, slack: FakeSlackApi):
    with RunningCadence(tmp_path, slack, clock=lambda: NOVEMBER) as running:
        seed_org(running)
        yield running


def test_a_goal_created_in_the_modal_shows_in_the_list_and_takes_quick_updates(
    cadence: RunningCadence, slack: FakeSlackApi
) -> None:
    ack = cadence.post(slash_command("/goal", "new", user_id="U0001"))
    assert ack.status_code == 200 and ack.content == b"", "the command is only recorded inside the ack"
    modal = slack.wait_for_calls("views.open")[0].args["view"]
    modal = modal if isinstance(modal, dict) else json.loads(modal)
    assert_valid_view(modal)
    values = {
        "title": {"value": text_input_state("Self-serve onboarding")},
        "level": {"value": {"type": "radio_buttons", "selected_option": {"value": "person"}}},
        "period": {"value": text_input_state("2026-Q4")},
        "key_results": {"value": {"type": "plain_text_input", "value": "Signups: 0 -> 200\nDocs: yes/no"}},
    }
    bad = cadence.post(
        view_submission(
            "goal_new.form",
            {**values, "period": {"value": text_input_state("2026-Q2")}},
            modal["private_metadata"],
            user_id="U0001",
        )
    )
    assert bad.json() == {
        "response_action": "errors",
        "errors": {"period": "2026-Q2 ended on 2026-06-30; pick a current or coming period, like the next quarter."},
    }
    good = cadence.post(view_submission("goal_new.form", values, modal["private_metadata"], user_id="U0001"))
    assert good.status_code == 200 and good.text == ""
    wait_until(
        lambda: any("Created" in call.args["text"] for call in slack.calls("chat.postMessage")), what="the confirmation"
    )
    listing = cadence.command("/goal", "", user_id="U0001")
    assert_valid_message(listing)
    assert "*G-1 Self-serve onboarding*" in listing["text"] and "KR-1 Signups: 0, target 200" in listing["text"]
    updated = cadence.command("/goal", 'update KR-1 50 "first cohort"', user_id="U0001")
    assert "KR-1 Signups: 0 → 50" in updated["text"]
    after = cadence.command("/goal", "", user_id="U0001")["text"]
    assert "▓░░░░░░░░░ 13% ·" in after and "KR-1 Signups: 50, target 200 (25%)" in after, "no stray decimals"
    assert "KR-2 Docs: no, target yes" in after, "a yes/no key result reads as yes or no"

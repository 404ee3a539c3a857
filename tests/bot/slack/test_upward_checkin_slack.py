"""An upward question in Slack, end to end over HTTP: Ada answers "How can your manager help you?"
in her check-in DM; Grace, her manager, reads it in the check-in she receives, with it said to
Ada who reads it; with upward answers anonymous, Grace's copy leaves it out."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.checkin_tick import checkin_producer
from bot.tick import enqueue_due
from conversations.messages import Platform
from conversations.words import Labels
from conversations.workspace_settings import validate_settings
from storage import workspaces
from tests.bot.slack.block_kit import assert_valid_message
from tests.bot.slack.conftest import seed_org
from tests.bot.slack.harness import RunningCadence
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_requests import block_action, event_callback

FRIDAY = datetime(2026, 12, 4, 10, 30, tzinfo=UTC)  # 10:30 in London, where Ada lives
QUESTIONS = [
    {"id": "mood", "kind": "mood", "text": "How was your week?", "required": True},
    {"id": "done", "kind": "text", "text": "What did you get done this week?", "required": True},
    {"id": "help", "kind": "upward", "text": "How can your manager help you?"},
]


@pytest.fixture(params=[False, True], ids=["named", "anonymous"])
def cadence(request, tmp_path: Path, slack: FakeSlackApi):
    settings, problems = validate_settings({"checkins": {"questions": QUESTIONS, "upward_anonymous": request.param}})
    assert problems == []
    with RunningCadence(tmp_path, slack, clock=lambda: FRIDAY) as served:
        seed_org(served)
        with served.database.session_scope() as session:
            workspaces.apply_settings(session, workspaces.find(session, Platform.SLACK, "T0001"), settings)
        served.anonymous = request.param
        yield served


def dm(cadence: RunningCadence, text: str) -> None:
    event = {"type": "message", "channel_type": "im", "user": "U0001", "text": text, "channel": "DU0001", "ts": "1.1"}
    assert cadence.post(event_callback(event)).status_code == 200


def test_an_upward_answer_reaches_the_direct_manager_in_slack_unless_it_is_anonymous(
    cadence: RunningCadence, slack: FakeSlackApi
) -> None:
    enqueue_due(cadence.database, FRIDAY, [checkin_producer(Labels())])
    slack.wait_for_calls("chat.postMessage")
    cadence.post(block_action("checkin.start:2026-W49", "checkin.start:2026-W49", user_id="U0001", channel_id="DU0001"))
    for answer, calls_before in (("4", 3), ("Shipped the importer", 4), ("Fewer meetings on Fridays, please", 5)):
        slack.wait_for_calls("chat.postMessage", calls_before)
        dm(cadence, answer)
    calls = slack.wait_for_calls("chat.postMessage", 7)
    done = [call for call in calls if call.args["channel"] == "DU0001"][-1]
    to_grace = [call for call in calls if call.args["channel"] == "DU0002"]
    assert len(to_grace) == 1
    assert_valid_message({"text": to_grace[0].args["text"], "blocks": to_grace[0].args["blocks"]})
    grace_reads = to_grace[0].args["text"] + str(to_grace[0].args["blocks"])
    if cadence.anonymous:
        assert "Fewer meetings on Fridays" not in grace_reads, "anonymous: only the digest, without her name"
    else:
        assert "Fewer meetings on Fridays, please" in grace_reads
    assert "Grace Hopper" in done.args["text"], "Ada is told who reads what she asked"

"""The digest in Slack: a DM with a button per person who answered, their check-in on a click, and
the chart uploaded with Slack's external upload flow."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.digest_tick import digest_producer
from bot.tick import enqueue_due
from conversations.messages import Platform
from storage import people, workspaces
from tests.bot.digest_week import MONDAY_NINE_IN_NEW_YORK, answered_week
from tests.bot.slack.block_kit import assert_valid_message
from tests.bot.slack.conftest import seed_org
from tests.bot.slack.harness import RunningCadence
from tests.fakes.slack_api import UPLOAD, FakeSlackApi
from tests.fakes.slack_requests import block_action


@pytest.fixture
def cadence(tmp_path: Path, slack: FakeSlackApi):
    with RunningCadence(tmp_path, slack, clock=lambda: MONDAY_NINE_IN_NEW_YORK) as running:
        seed_org(running)
        with running.database.session_scope() as session:
            workspace = workspaces.find(session, Platform.SLACK, "T0001")
            ada = people.by_platform_id(session, workspace.id, Platform.SLACK, "U0001")
            answered_week(session, ada, "Shipped <b>it</b>")
        yield running


def test_the_digest_arrives_with_buttons_and_the_chart(cadence: RunningCadence, slack: FakeSlackApi) -> None:
    enqueue_due(cadence.database, MONDAY_NINE_IN_NEW_YORK, [digest_producer()])
    [digest] = slack.wait_for_calls("chat.postMessage")
    assert digest.args["channel"] == "DU0002"
    assert_valid_message({"text": digest.args["text"], "blocks": digest.args["blocks"]})
    assert (
        "Your team · last week, 30 Nov – 6 Dec" in digest.args["text"]
        and "Shipped &lt;b&gt;it&lt;/b&gt;" in digest.args["text"]
    )
    [button] = digest.args["blocks"][-1]["elements"]
    assert button["value"] == "checkin_view.open:2:2026-W49"
    slack.wait_for_calls("files.completeUploadExternal")
    assert slack.last("files.getUploadURLExternal").args["filename"] == "cadence-2026-W49.png"
    [upload] = slack.calls(UPLOAD)
    assert upload.args["content"][:8] == b"\x89PNG\r\n\x1a\n"
    cadence.post(block_action(button["action_id"], button["value"], user_id="U0002", channel_id="DU0002"))
    calls = slack.wait_for_calls("chat.postMessage", 2)
    opened = calls[-1]
    assert "Ada Lovelace shared their check-in" in opened.args["text"] and "Shipped" in opened.args["text"]
    assert [element["value"] for element in opened.args["blocks"][-1]["elements"]] == [
        "checkin_feedback.reply:2:2026-W49",
        "checkin_feedback.thanks:2:2026-W49",
    ]

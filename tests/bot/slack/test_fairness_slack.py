"""``/cadence fairness`` in Slack over HTTP: a member's answer is one sentence, the admin's is the
view through the command's response_url with the chart uploaded to their direct messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from conversations.messages import Platform
from storage import workspaces
from tests.bot.slack.block_kit import assert_valid_message
from tests.bot.slack.harness import RunningCadence
from tests.fakes.slack_api import UPLOAD, FakeSlackApi
from tests.storage.fairness_quarter import NOW, seed_quarter


@pytest.fixture
def cadence(tmp_path: Path, slack: FakeSlackApi):
    with RunningCadence(tmp_path, slack, clock=lambda: NOW) as running:
        with running.database.session_scope() as session:
            seed_quarter(session, workspaces.find(session, Platform.SLACK, "T0001").id)
        yield running


def test_a_member_is_refused_and_the_admin_gets_the_view_and_the_chart(
    cadence: RunningCadence, slack: FakeSlackApi
) -> None:
    refused = cadence.command("/cadence", "fairness", user_id="U011")  # Platform Person 1
    assert refused["text"] == "The fairness view is for admins; ask Ada Lovelace."
    assert slack.calls("files.getUploadURLExternal") == []

    answer = cadence.command("/cadence", "fairness 2026-Q4", user_id="U0001")  # Ada, the admin
    assert_valid_message({"text": answer["text"], "blocks": answer["blocks"]})
    assert answer["response_type"] == "ephemeral"
    assert "Fairness · 2026-Q4 (1 Oct – 4 Dec so far)" in answer["text"]
    assert "• Kudos: 67% received none; spread (Gini) 0.76 over 5 kudos" in answer["text"]
    assert "Sam Okafor's reports" in answer["text"].split("Hidden")[-1], "hidden, not shown"
    [complete] = slack.wait_for_calls("files.completeUploadExternal")
    assert complete.args["channel_id"] == "DU0001"
    assert slack.last("files.getUploadURLExternal").args["filename"] == "cadence-fairness-2026-Q4.png"
    [upload] = slack.calls(UPLOAD)
    assert upload.args["content"][:8] == b"\x89PNG\r\n\x1a\n"

"""``/cadence snapshot`` in Slack over HTTP: Grace reads her report Ada's quarter through the
command's response_url with the chart uploaded to her direct messages; Ada may not read Grace's."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from conversations.messages import Platform
from storage import people, workspaces
from storage.models import Goal, GoalLevel, GoalState
from tests.bot.slack.block_kit import assert_valid_message
from tests.bot.slack.conftest import seed_org
from tests.bot.slack.harness import RunningCadence
from tests.fakes.slack_api import UPLOAD, FakeSlackApi

NOW = datetime(2026, 12, 4, 10, 30, tzinfo=UTC)


@pytest.fixture
def cadence(tmp_path: Path, slack: FakeSlackApi):
    with RunningCadence(tmp_path, slack, clock=lambda: NOW) as running:
        seed_org(running)
        with running.database.session_scope() as session:
            workspace = workspaces.find(session, Platform.SLACK, "T0001")
            ada = people.by_email(session, workspace.id, "ada@acme.example")
            session.add(
                Goal(
                    workspace_id=workspace.id,
                    number=1,
                    title="Ship the <!here> importer",
                    level=GoalLevel.PERSON,
                    period="2026-Q4",
                    starts_on=date(2026, 10, 1),
                    ends_on=date(2026, 12, 31),
                    owner_id=ada.id,
                    state=GoalState.OPEN,
                    progress=40.0,
                    created_at=datetime(2026, 10, 2, tzinfo=UTC),
                )
            )
        yield running


def test_a_manager_reads_a_reports_snapshot_with_its_chart_and_a_report_not_the_managers(
    cadence: RunningCadence, slack: FakeSlackApi
) -> None:
    refused = cadence.command("/cadence", "snapshot <@U0002|grace>", user_id="U0001")
    assert refused["text"].startswith("A snapshot is for the person it is about, their managers and admins")
    assert slack.calls("files.getUploadURLExternal") == []

    answer = cadence.command("/cadence", "snapshot <@U0001|ada> 2026-Q4", user_id="U0002")
    assert_valid_message({"text": answer["text"], "blocks": answer["blocks"]})
    assert answer["response_type"] == "ephemeral"
    assert "Ada Lovelace · 2026-Q4" in answer["text"]
    assert "G-1 Ship the &lt;!here&gt; importer: 40%, open" in answer["text"], "escaped, never a mention"
    [complete] = slack.wait_for_calls("files.completeUploadExternal")
    assert complete.args["channel_id"] == "DU0002"
    [upload] = slack.calls(UPLOAD)
    assert upload.args["content"][:8] == b"\x89PNG\r\n\x1a\n"

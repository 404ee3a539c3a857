"""Messages go only to platforms an organisation is connected to: the shell on a Slack organisation
writes nothing for Slack, and an organisation on no platform gets nothing until it is connected."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from bot.cli import default_producers
from bot.tick import enqueue_due
from conversations.messages import Platform
from storage import connections
from storage.database import Database
from storage.models import OutboxDelivery, Workspace
from tests.bot.cli_helpers import Cadence
from tests.bot.test_cli import ORG, write
from tests.bot.test_shell import transcript
from tests.fakes.slack_api import PROXY_ENV_VARS, FakeSlackApi

FRIDAY_TEN_BERLIN = "2026-12-04T09:00:00Z"  # Lee Lead's check-in time; Dee's and Oz's came earlier that day
PROMPTS_DUE = [(Platform.SLACK, "checkin_prompt")] * 3  # Cleo's Friday 10:00 in New York is still to come


def outbox_rows(cadence: Cadence) -> list[tuple[Platform, str]]:
    with Database(cadence.database_url).session_scope() as session:
        return [(row.platform, row.kind) for row in session.exec(select(OutboxDelivery).order_by(OutboxDelivery.id))]


def test_the_shell_on_a_slack_organisation_writes_nothing_for_slack(cadence: Cadence, tmp_path: Path) -> None:
    assert cadence("org", "import", write(tmp_path, "org.csv", ORG), "--workspace", "T0123ABCD").code == 0
    shell = cadence("shell", "--as", "dev@acme.test", stdin="/time 2030-01-04T10:00\nwhoami\n")
    assert shell.code == 0, shell.err
    transcript(
        shell.out,
        "Clock set to Fri 2030-01-04 10:00 Asia/Kolkata.",
        "(nothing was due)",
        "T0123ABCD isn't on the shell: its check-ins and digests go out on its own platform",
        "• Name: Dee Dev",
    )
    rows = outbox_rows(cadence)
    assert rows and {platform for platform, _ in rows} == {Platform.SHELL}, rows
    assert "checkin_prompt" not in {kind for _, kind in rows}, "no prompt waits for `cadence serve` to send"


@pytest.fixture
def no_slack_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*PROXY_ENV_VARS, "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("no_slack_in_the_environment")
def test_an_organisation_on_no_platform_gets_nothing_and_the_tick_says_what_to_run(
    cadence: Cadence, tmp_path: Path
) -> None:
    org = write(tmp_path, "org.csv", ORG)
    assert cadence("org", "import", org).code == 0
    tick = cadence("tick", "--at", FRIDAY_TEN_BERLIN)
    assert tick.code == 0, tick.err
    assert tick.out.splitlines() == [
        f"tick at {datetime(2026, 12, 4, 9, 0, tzinfo=UTC).isoformat()}: 0 new messages queued, 0 sent, "
        "0 to retry, 0 failed",
        "nothing went to Cadence: not connected to a platform Cadence serves here; connect it by running "
        "`cadence serve` with SLACK_BOT_TOKEN (or TEAMS_TENANT_ID) set, or `cadence org import people.csv "
        "--workspace T0123ABCD` with your Slack team id (`--teams-tenant TENANT_ID` for Teams)",
    ]
    assert outbox_rows(cadence) == [], "nothing printed, nothing marked sent: the prompts wait"

    connected = cadence("org", "import", org, "--workspace", "T0123ABCD")
    assert connected.out.splitlines()[-1] == "Cadence is connected to Slack (T0123ABCD)"
    database = Database(cadence.database_url)
    with database.session_scope() as session:
        assert len(session.exec(select(Workspace)).all()) == 1, "the imported organisation, not a second one"
    enqueue_due(database, datetime.fromisoformat(FRIDAY_TEN_BERLIN), default_producers(), {Platform.SLACK})
    assert outbox_rows(cadence) == PROMPTS_DUE, "the prompts, now that they can go"


@pytest.mark.usefixtures("no_slack_in_the_environment")
def test_a_tick_with_a_slack_token_connects_the_imported_organisation_and_prompts_in_slack(
    cadence: Cadence, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bug: the prompts were printed to the terminal and marked sent, so nobody got them in Slack."""
    assert cadence("org", "import", write(tmp_path, "org.csv", ORG)).code == 0
    with FakeSlackApi() as slack:
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
        monkeypatch.setenv("SLACK_SIGNING_SECRET", "test-signing-secret")
        monkeypatch.setenv("SLACK_API_URL", slack.base_url)
        tick = cadence("tick", "--at", FRIDAY_TEN_BERLIN)
        assert tick.code == 0, tick.err
        assert tick.out.splitlines() == [
            f"tick at {datetime(2026, 12, 4, 9, 0, tzinfo=UTC).isoformat()}: 3 new messages queued, 3 sent, "
            "0 to retry, 0 failed"
        ]
        posts = slack.calls("chat.postMessage")
    assert sorted(post.args["channel"] for post in posts) == ["DU2", "DU3", "DU4"], "a DM to Lee, Dee and Oz"
    assert outbox_rows(cadence) == PROMPTS_DUE
    with Database(cadence.database_url).session_scope() as session:
        workspaces = session.exec(select(Workspace)).all()
        assert len(workspaces) == 1, "the token's workspace adopted the imported organisation, not a new empty one"
        assert connections.platforms_of(session, workspaces[0].id) == {Platform.SLACK}

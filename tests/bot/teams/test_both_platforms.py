"""One organisation on Slack and Teams at once, over real HTTP against both fakes: each person is
prompted once, on their own platform, and kudos given in Teams reach a colleague on Slack."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.checkin_tick import checkin_producer
from bot.tick import enqueue_due
from conversations.messages import Platform
from conversations.words import Labels
from storage import connections, org_import
from tests.bot.teams.conftest import GRACE
from tests.bot.teams.harness import RunningTeams, card_of, card_text
from tests.fakes.slack_api import PROXY_ENV_VARS, FakeSlackApi
from tests.fakes.teams_services import CREATE_CONVERSATION, TENANT_ID, FakeMicrosoft

FRIDAY = datetime(2026, 12, 4, 15, 30, tzinfo=UTC)  # after 10:00 in London and in New York
ORG = f"""email,name,slack_id,teams_id,manager_email,team,timezone,role
grace@acme.example,Grace Hopper,,{GRACE.aad},,Platform,America/New_York,manager
ada@acme.example,Ada Lovelace,U0001,,grace@acme.example,Platform,Europe/London,member
"""
SIGNING_SECRET = "test-signing-secret"


@pytest.fixture
def both(tmp_path: Path, microsoft: FakeMicrosoft, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple]:
    for name in PROXY_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    with FakeSlackApi() as slack:
        settings = {
            "slack_bot_token": "xoxb-test-token",
            "slack_signing_secret": SIGNING_SECRET,
            "slack_api_url": slack.base_url,
        }
        with RunningTeams(tmp_path, microsoft, clock=lambda: FRIDAY, **settings) as running:
            with running.database.session_scope() as session:
                workspace = connections.workspace_for(session, Platform.SLACK, "T0001")
                assert workspace is not None
                assert connections.workspace_for(session, Platform.TEAMS, TENANT_ID).id == workspace.id, (
                    "the configured tenant joined the organisation the Slack token connected"
                )
                assert org_import.import_org(session, workspace.id, ORG).ok
            yield running, slack


def test_each_person_is_prompted_once_on_their_own_platform(both) -> None:
    teams, slack = both
    enqueue_due(teams.database, FRIDAY, [checkin_producer(Labels())])
    (to_ada,) = [call for call in slack.wait_for_calls("chat.postMessage") if call.args["channel"] == "DU0001"]
    assert "Time for your weekly check-in" in to_ada.args["text"]
    (created,) = teams.microsoft.wait_for_requests(CREATE_CONVERSATION)
    assert created.json["members"] == [{"id": GRACE.aad}]
    (to_grace,) = teams.sent(created.response["id"])
    assert "Time for your weekly check-in" in card_text(card_of(to_grace))
    enqueue_due(teams.database, FRIDAY, [checkin_producer(Labels())])
    assert len(slack.calls("chat.postMessage")) == 1 and teams.microsoft.count(CREATE_CONVERSATION) == 1


def test_kudos_given_in_teams_reach_a_colleague_on_slack(both) -> None:
    teams, slack = both
    assert teams.say(GRACE, "kudos @ada for the launch").status_code == 200
    (to_ada,) = [call for call in slack.wait_for_calls("chat.postMessage") if call.args["channel"] == "DU0001"]
    assert "Grace Hopper" in to_ada.args["text"] and "the launch" in to_ada.args["text"]
    assert "left today" in card_text(card_of(teams.sent(GRACE.conversation)[0]))

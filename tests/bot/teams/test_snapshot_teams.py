"""``snapshot`` typed in a Teams chat over HTTP: Grace reads her report Ada's quarter, its chart
inside the card (bots can't upload files to a chat); Ada is refused Grace's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from conversations.messages import Platform
from storage import connections, people
from storage.models import Goal, GoalLevel
from tests.bot.teams.conftest import ADA, GRACE, TENANT_ID, seed_org
from tests.bot.teams.harness import RunningTeams, card_of, card_text
from tests.bot.teams.test_cards import assert_valid
from tests.fakes.teams_services import FakeMicrosoft

NOW = datetime(2026, 12, 4, 10, 30, tzinfo=UTC)


@pytest.fixture
def teams(tmp_path: Path, microsoft: FakeMicrosoft) -> Iterator[RunningTeams]:
    with RunningTeams(tmp_path, microsoft, clock=lambda: NOW) as running:
        seed_org(running)
        with running.database.session_scope() as session:
            workspace = connections.workspace_for(session, Platform.TEAMS, TENANT_ID)
            ada = people.by_email(session, workspace.id, "ada@acme.example")
            session.add(Goal(workspace_id=workspace.id, number=1, title="Ship the importer", level=GoalLevel.PERSON,
                             period="2026-Q4", starts_on=date(2026, 10, 1), ends_on=date(2026, 12, 31),
                             owner_id=ada.id, progress=40.0, created_at=datetime(2026, 10, 2, tzinfo=UTC)))  # fmt: skip
        yield running


def test_a_manager_reads_a_reports_snapshot_in_teams_with_the_chart_in_the_card(teams: RunningTeams) -> None:
    teams.say(ADA, "snapshot @grace")
    (refusal,) = teams.sent(ADA.conversation)
    assert "A snapshot is for the person it is about, their managers and admins" in card_text(card_of(refusal))

    teams.say(GRACE, "snapshot @ada 2026-Q4")
    words, chart = teams.sent(GRACE.conversation, 2)
    card = card_of(words)
    assert_valid(card)
    assert "Ada Lovelace · 2026-Q4" in card_text(card) and "G-1 Ship the importer: 40%, open" in card_text(card)
    chart_card = card_of(chart)
    assert_valid(chart_card)
    images = [element for element in chart_card["body"] if element.get("type") == "Image"]
    assert len(images) == 1 and images[0]["url"].startswith("data:image/png;base64,")

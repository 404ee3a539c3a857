"""1:1s in Teams over HTTP: typed in the chat with Cadence, the agenda card with its checkbox set,
Mark done closing what was ticked, and the manager's card without the report's private note."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from storage.models import OneOnOneItem
from tests.bot.slack.harness import wait_until
from tests.bot.teams.conftest import ADA, GRACE, seed_org
from tests.bot.teams.harness import RunningTeams, card_of, card_text
from tests.fakes.teams_services import FakeMicrosoft

TUESDAY = datetime(2027, 3, 16, 9, tzinfo=UTC)


@pytest.fixture
def teams(tmp_path: Path, microsoft: FakeMicrosoft) -> Iterator[RunningTeams]:
    with RunningTeams(tmp_path, microsoft, clock=lambda: TUESDAY) as running:
        seed_org(running)
        yield running


def latest_card(teams: RunningTeams, conversation: str, count: int) -> tuple[str, dict[str, Any]]:
    """The id and card of the ``count``-th message Cadence sent to ``conversation``."""
    sent = teams.sent(conversation, count)[count - 1]
    return sent["id"], card_of(sent)


def closed(teams: RunningTeams) -> list[tuple[str, bool]]:
    with teams.database.session_scope() as session:
        return [(row.text, row.closed_at is not None) for row in session.exec(select(OneOnOneItem))]


def test_a_1on1_agenda_built_and_ticked_off_in_teams(teams: RunningTeams) -> None:
    assert teams.say(ADA, "1on1 @grace").status_code == 200
    _, first = latest_card(teams, ADA.conversation, 1)
    assert "1:1 with Grace Hopper" in card_text(first) and "Thu 18 Mar 19:00" in card_text(first)

    teams.say(ADA, '1on1 add @grace "career plan"')
    latest_card(teams, ADA.conversation, 2)
    teams.say(ADA, "1on1 private @grace ask about the team move")
    latest_card(teams, ADA.conversation, 3)
    teams.say(ADA, "1on1 action @grace book the room")
    latest_card(teams, ADA.conversation, 4)
    teams.say(ADA, "1on1 @grace")
    card_id, agenda = latest_card(teams, ADA.conversation, 5)
    text = card_text(agenda)
    assert "1. career plan · added by you" in text and "2. book the room · you" in text
    assert "ask about the team move" in text
    picks = next(element for element in agenda["body"] if element.get("type") == "Input.ChoiceSet")
    assert [choice["title"] for choice in picks["choices"]] == ["1. career plan", "2. book the room"]
    [mark_done] = [
        action
        for element in agenda["body"]
        if element.get("type") == "ActionSet"
        for action in element["actions"]
        if action["title"] == "Mark done"
    ]
    assert [action["title"] for action in agenda["actions"]] == ["Add a talking point", "Add a note"]

    career_plan = picks["choices"][0]["value"]
    pressed = teams.press(ADA, card_id, {**mark_done["data"], picks["id"]: career_plan})
    assert pressed.status_code == 200
    wait_until(lambda: closed(teams) == [("career plan", True), ("book the room", False)], what="the point closed")

    teams.say(GRACE, "1on1 @ada")
    _, graces = latest_card(teams, GRACE.conversation, 1)
    assert "2. book the room · Ada Lovelace" in card_text(graces)
    assert "team move" not in card_text(graces), "Ada's private note is hers alone"

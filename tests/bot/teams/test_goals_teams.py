"""Goals in Teams: ``goal new`` opens its form as a card in the chat, a period that ended is shown on
the card next to its field, and the goal then lists and takes quick updates, all typed in the chat."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage import audit
from storage.models import AuditAction
from tests.bot.teams.conftest import ADA, seed_org
from tests.bot.teams.harness import RunningTeams, card_of, card_text
from tests.bot.teams.test_cards import assert_valid
from tests.fakes.teams_services import FakeMicrosoft

NOVEMBER = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def teams(tmp_path: Path, microsoft: FakeMicrosoft) -> Iterator[RunningTeams]:
    with RunningTeams(tmp_path, microsoft, clock=lambda: NOVEMBER) as running:
        seed_org(running)
        yield running


def test_a_goal_made_in_the_card_form_lists_and_takes_quick_updates(teams: RunningTeams) -> None:
    teams.say(ADA, "goal new")
    (form,) = teams.sent(ADA.conversation)
    card = card_of(form)
    assert_valid(card)
    inputs = {element["id"] for element in card["body"] if element["type"].startswith("Input.")}
    assert {"title", "level", "period", "key_results"} <= inputs
    (send,) = card["actions"]
    values = {
        **send["data"],
        "title": "Self-serve onboarding",
        "level": "person",
        "period": "2026-Q4",
        "key_results": "Signups: 0 -> 200\nDocs: yes/no",
    }
    bad = teams.press(ADA, form["id"], {**values, "period": "2026-Q2"}).json()["value"]
    problems = [element["text"] for element in bad["body"] if element.get("color") == "Attention"]
    assert problems == ["2026-Q2 ended on 2026-06-30; pick a current or coming period, like the next quarter."]
    good = teams.press(ADA, form["id"], values).json()["value"]
    assert card_text(good).endswith("Sent ✓")
    assert "Created" in card_text(card_of(teams.sent(ADA.conversation, 2)[-1]))
    teams.say(ADA, "goal")
    listing = card_text(card_of(teams.sent(ADA.conversation, 3)[-1]))
    assert "**G-1 Self-serve onboarding**" in listing and "KR-1 Signups: 0, target 200" in listing
    teams.say(ADA, 'goal update KR-1 50 "first cohort"')
    assert "KR-1 Signups: 0 → 50" in card_text(card_of(teams.sent(ADA.conversation, 4)[-1]))


def test_a_status_override_typed_in_teams_is_in_the_audit_log(teams: RunningTeams) -> None:
    teams.say(ADA, "goal new")
    (form,) = teams.sent(ADA.conversation)
    values = {**card_of(form)["actions"][0]["data"], "title": "Docs", "level": "person", "period": "2026-Q4",
              "key_results": "Pages: 0 -> 10"}  # fmt: skip
    teams.press(ADA, form["id"], values)
    teams.say(ADA, "goal status G-1 off track the writer left")
    assert "G-1 is now" in card_text(card_of(teams.sent(ADA.conversation, 3)[-1]))
    with teams.database.session_scope() as session:
        [event] = audit.events(session)
    assert (event.action, event.actor, event.at) == (
        AuditAction.STATUS_OVERRIDDEN,
        "Ada Lovelace <ada@acme.example>",
        NOVEMBER,
    )
    assert event.details == {"goal": "G-1", "old": "auto", "new": "off_track"}

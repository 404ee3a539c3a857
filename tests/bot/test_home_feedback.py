"""The home page where there is no Home tab: ``home`` typed in the shell and in a Teams chat shows the
same Feedback part as Slack's Home tab, with a Give feedback button for the request waiting."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlmodel import Session, select

from bot.teams.translate import CHOICE
from conversations.feedback import Ref
from storage.database import Database
from storage.models import AskStatus, Feedback, FeedbackAsk, FeedbackRequest, Person
from tests.bot.cli_helpers import Cadence
from tests.bot.teams.conftest import ADA, microsoft, seed_org  # noqa: F401 - microsoft is a fixture
from tests.bot.teams.harness import RunningTeams, buttons, card_of, card_text
from tests.bot.teams.test_cards import assert_valid
from tests.bot.test_shell import transcript
from tests.fakes.teams_services import FakeMicrosoft

NOVEMBER = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def seed_feedback(session: Session, ada: Person, grace: Person) -> str:
    """Grace gave Ada feedback this quarter (and some last quarter), asked her for feedback on the
    offsite, and answered Ada's request about her first talk. Returns how buttons name the request
    waiting for Ada's answer."""
    for at, words in ((datetime(2026, 11, 18, 9, 0, tzinfo=UTC), "Your *release notes* were <!here> clear"),
                      (datetime(2026, 9, 29, 9, 0, tzinfo=UTC), "Last quarter's")):  # fmt: skip
        session.add(Feedback(workspace_id=ada.workspace_id, giver_id=grace.id, recipient_id=ada.id, went_well=words,
                             given_at=at))  # fmt: skip
    asked = FeedbackRequest(workspace_id=ada.workspace_id, requester_id=grace.id, topic="the offsite",
                            created_at=NOVEMBER - timedelta(days=2), closes_at=NOVEMBER + timedelta(days=12))  # fmt: skip
    mine = FeedbackRequest(workspace_id=ada.workspace_id, requester_id=ada.id, topic="my first talk",
                           created_at=NOVEMBER - timedelta(days=3), closes_at=NOVEMBER + timedelta(days=11))  # fmt: skip
    session.add_all([asked, mine])
    session.flush()
    waiting = FeedbackAsk(request_id=asked.id, peer_id=ada.id, remind_at=NOVEMBER + timedelta(days=1))
    answered = FeedbackAsk(request_id=mine.id, peer_id=grace.id, status=AskStatus.ANSWERED, remind_at=NOVEMBER,
                           answered_at=NOVEMBER - timedelta(days=1))  # fmt: skip
    session.add_all([waiting, answered])
    session.flush()
    return Ref(asked.requester_id, asked.created_at).value


def seed_by_email(session: Session) -> str:
    ada = session.exec(select(Person).where(Person.email == "ada@acme.example")).one()
    grace = session.exec(select(Person).where(Person.email == "grace@acme.example")).one()
    return seed_feedback(session, ada, grace)


@freeze_time(NOVEMBER)
def test_home_in_the_shell_shows_the_feedback_part_and_its_button(cadence: Cadence, tmp_path: Path) -> None:
    org = tmp_path / "org.csv"
    org.write_text(
        "email,name,manager_email,timezone\n"
        "grace@acme.example,Grace Hopper,,America/New_York\n"
        "ada@acme.example,Ada Lovelace,grace@acme.example,Europe/London\n"
    )
    assert cadence("org", "import", org).code == 0
    with Database(cadence.database_url).session_scope() as session:
        seed_by_email(session)
    result = cadence("shell", "--as", "ada@acme.example", stdin="home\n1\n")
    assert result.code == 0, result.err
    transcript(
        result.out,
        "Hi Ada Lovelace 👋",
        "Feedback\n1 piece of feedback received this quarter (2026-Q4), the latest:\n"
        "• Wed 18 Nov · Grace Hopper: Your *release notes* were <!here> clear",
        "Waiting for your answer:\n• Grace Hopper asked for your feedback on “the offsite”, until Wed 2 Dec",
        "Your open requests:\n• “my first talk”, asked Tue 17 Nov: answered so far by Grace Hopper",
        "[1] Give feedback to Grace Hopper",
        "Grace Hopper asked for your feedback about the offsite",  # the button opens the answer's form
    )
    assert "Last quarter" not in result.out


@pytest.fixture
def teams(tmp_path: Path, microsoft: FakeMicrosoft) -> Iterator[RunningTeams]:  # noqa: F811 - the fixture above
    with RunningTeams(tmp_path, microsoft, clock=lambda: NOVEMBER) as running:
        seed_org(running)
        yield running


def test_home_in_a_teams_chat_shows_the_feedback_part_and_its_button(teams: RunningTeams) -> None:
    with teams.database.session_scope() as session:
        request = seed_by_email(session)
    teams.say(ADA, "home")
    (page,) = teams.sent(ADA.conversation)
    card = card_of(page)
    assert_valid(card)
    text = card_text(card)
    assert "1 piece of feedback received this quarter (2026-Q4), the latest:" in text
    assert "Grace Hopper asked for your feedback on “the offsite”, until Wed 2 Dec" in text
    assert "answered so far by Grace Hopper" in text and "Last quarter" not in text
    assert buttons(card) == {"Give feedback to Grace Hopper": {CHOICE: f"feedback.answer:{request}"}}

"""A weekly check-in in Teams, end to end: the prompt in a chat Cadence creates for someone who never
wrote, its buttons answered with the card replaced, the questions answered in the chat, the
manager's copy in theirs, and the card form with its problems shown on the card."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from bot.checkin_tick import checkin_producer
from bot.teams.translate import CHOICE, FORM
from bot.tick import enqueue_due
from conversations.words import Labels
from storage.models import CheckinResponse
from tests.bot.slack.harness import wait_until
from tests.bot.teams.conftest import ADA, GRACE, seed_org
from tests.bot.teams.harness import Person, RunningTeams, buttons, card_of, card_text
from tests.fakes.teams_services import CREATE_CONVERSATION, FakeMicrosoft

FRIDAY = datetime(2026, 12, 4, 10, 30, tzinfo=UTC)  # 10:30 in London, where Ada lives


@pytest.fixture
def teams(tmp_path: Path, microsoft: FakeMicrosoft) -> Iterator[RunningTeams]:
    with RunningTeams(tmp_path, microsoft, clock=lambda: FRIDAY) as running:
        seed_org(running)
        yield running


def prompt(teams: RunningTeams) -> tuple[Person, dict]:
    """Ada's prompt, in the chat Cadence had to create for her."""
    enqueue_due(teams.database, FRIDAY, [checkin_producer(Labels())])
    created = teams.microsoft.wait_for_requests(CREATE_CONVERSATION)[0]
    assert created.json["members"] == [{"id": ADA.aad}] and created.json["isGroup"] is False
    conversation = created.response["id"]
    (sent,) = teams.sent(conversation)
    return Person(ADA.key, ADA.aad, ADA.name, conversation), sent


def submitted(teams: RunningTeams) -> bool:
    with teams.database.session_scope() as session:
        return any(response.submitted_at for response in session.exec(select(CheckinResponse)))


def test_the_prompt_goes_to_a_chat_created_once_with_three_buttons(teams: RunningTeams) -> None:
    ada, sent = prompt(teams)
    card = card_of(sent)
    assert "Time for your weekly check-in" in card_text(card)
    assert list(buttons(card)) == ["Start check-in", "Open form", "Skip this week"]
    assert buttons(card)["Start check-in"] == {CHOICE: "checkin.start:2026-W49"}
    teams.say(ada, "whoami")
    teams.sent(ada.conversation, 2)
    assert teams.microsoft.count(CREATE_CONVERSATION) == 1, "the chat is remembered, not created again"


def test_pressing_start_replaces_the_card_and_the_answers_reach_the_manager(teams: RunningTeams) -> None:
    ada, sent = prompt(teams)
    pressed = teams.press(ada, sent["id"], {CHOICE: "checkin.start:2026-W49"})
    assert pressed.status_code == 200
    answer = pressed.json()
    assert answer["statusCode"] == 200 and answer["type"] == "application/vnd.microsoft.card.adaptive"
    assert "actions" not in answer["value"], "a pressed card can't be pressed again"
    assert card_text(answer["value"]).endswith("✓ Start check-in")
    count = 2
    for text in ("4", "Shipped the importer", "Roadmap", "none"):
        messages = teams.sent(ada.conversation, count)
        count = len(messages) + 1
        teams.say(ada, text)
    wait_until(lambda: submitted(teams), what="the check-in to be submitted")
    grace_chat = next(
        request.response["id"]
        for request in teams.microsoft.wait_for_requests(CREATE_CONVERSATION, 2)
        if request.json["members"] == [{"id": GRACE.aad}]
    )
    (to_grace,) = teams.sent(grace_chat)
    assert "Ada Lovelace shared their check-in" in card_text(card_of(to_grace))


def test_the_form_opens_as_a_card_and_its_problems_show_on_it(teams: RunningTeams) -> None:
    ada, sent = prompt(teams)
    teams.press(ada, sent["id"], {CHOICE: "checkin.form:2026-W49"})
    messages = teams.sent(ada.conversation, 2)
    form_card = card_of(messages[-1])
    inputs = {element["id"]: element for element in form_card["body"] if element["type"].startswith("Input.")}
    assert {"mood", "done", "priorities"} <= set(inputs)
    (send,) = form_card["actions"]
    empty = teams.press(ada, messages[-1]["id"], dict(send["data"]))
    problem_card = empty.json()["value"]
    assert "actions" in problem_card, "the form stays, to be corrected"
    problems = [element["text"] for element in problem_card["body"] if element.get("color") == "Attention"]
    assert problems, problem_card
    assert not submitted(teams), "nothing half-stored"
    filled = {**send["data"], "mood": "4", "done": "Shipped", "priorities": "Roadmap", "blockers": ""}
    done = teams.press(ada, messages[-1]["id"], filled).json()["value"]
    assert "actions" not in done and card_text(done).endswith("Sent ✓")
    assert submitted(teams)
    assert FORM in send["data"]

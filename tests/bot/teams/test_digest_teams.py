"""The digest in Teams: a card with a button per person who answered and the chart inside a card,
their check-in on a click with Reply and Thanks, the reply form as a card, and both reaching them."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.digest_tick import digest_producer
from bot.teams.translate import CHOICE
from bot.tick import enqueue_due
from conversations.messages import Platform
from storage import connections, people
from tests.bot.digest_week import MONDAY_NINE_IN_NEW_YORK, answered_week
from tests.bot.teams.conftest import ADA, GRACE, seed_org
from tests.bot.teams.harness import Person, RunningTeams, buttons, card_of, card_text
from tests.bot.teams.test_cards import assert_valid
from tests.fakes.teams_services import CREATE_CONVERSATION, TENANT_ID, FakeMicrosoft


@pytest.fixture
def teams(tmp_path: Path, microsoft: FakeMicrosoft) -> Iterator[RunningTeams]:
    with RunningTeams(tmp_path, microsoft, clock=lambda: MONDAY_NINE_IN_NEW_YORK) as running:
        seed_org(running)
        with running.database.session_scope() as session:
            workspace = connections.workspace_for(session, Platform.TEAMS, TENANT_ID)
            ada = people.by_email(session, workspace.id, "ada@acme.example")
            answered_week(session, ada, "Shipped **it** <at>Everyone</at>")
        yield running


def chat_created_for(teams: RunningTeams, person: Person, count: int = 1) -> Person:
    for request in teams.microsoft.wait_for_requests(CREATE_CONVERSATION, count):
        if request.json["members"] == [{"id": person.aad}]:
            return Person(person.key, person.aad, person.name, request.response["id"])
    raise AssertionError(f"no chat was created for {person.name}")


def test_the_digest_arrives_with_a_button_per_answer_and_the_chart(teams: RunningTeams) -> None:
    enqueue_due(teams.database, MONDAY_NINE_IN_NEW_YORK, [digest_producer()])
    grace = chat_created_for(teams, GRACE)
    digest, chart = teams.sent(grace.conversation, 2)
    digest_card = card_of(digest)
    assert_valid(digest_card)
    text = card_text(digest_card)
    assert "Your team · last week, 30 Nov – 6 Dec" in text
    assert r"Shipped \*\*it\*\*" in text and "<at>Everyone" not in text, "answers stay text"
    assert buttons(digest_card) == {"Ada Lovelace": {CHOICE: "checkin_view.open:2:2026-W49"}}
    chart_card = card_of(chart)
    assert_valid(chart_card)
    (image,) = [element for element in chart_card["body"] if element["type"] == "Image"]
    assert image["url"].startswith("data:image/png;base64,")
    assert base64.b64decode(image["url"].split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"

    teams.press(grace, digest["id"], {CHOICE: "checkin_view.open:2:2026-W49"})
    opened = card_of(teams.sent(grace.conversation, 3)[-1])
    assert "Ada Lovelace shared their check-in" in card_text(opened)
    assert list(buttons(opened)) == ["Reply", "Thanks 🙏"]

    teams.press(grace, "unknown", buttons(opened)["Thanks 🙏"])
    ada = chat_created_for(teams, ADA, 2)
    (thanks,) = teams.sent(ada.conversation)
    assert "Grace Hopper" in card_text(card_of(thanks))


def test_a_reply_is_written_in_a_card_form_and_lands_with_the_person(teams: RunningTeams) -> None:
    enqueue_due(teams.database, MONDAY_NINE_IN_NEW_YORK, [digest_producer()])
    grace = chat_created_for(teams, GRACE)
    digest, _chart = teams.sent(grace.conversation, 2)
    teams.press(grace, digest["id"], {CHOICE: "checkin_view.open:2:2026-W49"})
    opened = teams.sent(grace.conversation, 3)[-1]
    teams.press(grace, opened["id"], buttons(card_of(opened))["Reply"])
    form = teams.sent(grace.conversation, 4)[-1]
    form_card = card_of(form)
    assert_valid(form_card)
    (send,) = form_card["actions"]
    field = next(element["id"] for element in form_card["body"] if element["type"] == "Input.Text")
    sent = teams.press(grace, form["id"], {**send["data"], field: "Lovely work!"}).json()["value"]
    assert card_text(sent).endswith("Sent ✓")
    ada = chat_created_for(teams, ADA, 2)
    (reply,) = teams.sent(ada.conversation)
    assert "Lovely work!" in card_text(card_of(reply))

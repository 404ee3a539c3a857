"""Feedback in Teams over HTTP: ``feedback give @grace`` typed in the chat opens the form as a card,
its problems show on the card, the recipient gets the feedback with a Thanks button, and the thanks
reaches the giver."""

from __future__ import annotations

from sqlmodel import select

from storage.models import Feedback
from tests.bot.teams.conftest import ADA, GRACE
from tests.bot.teams.harness import RunningTeams, buttons, card_of, card_text
from tests.bot.teams.test_cards import assert_valid
from tests.fakes.teams_services import CREATE_CONVERSATION


def conversation_with(teams: RunningTeams, person) -> str:
    return next(
        request.response["id"]
        for request in teams.microsoft.wait_for_requests(CREATE_CONVERSATION)
        if request.json["members"] == [{"id": person.aad}]
    )


def test_feedback_typed_in_the_chat_is_given_in_the_card_form_and_thanked(teams: RunningTeams) -> None:
    assert teams.say(ADA, "feedback give @grace").status_code == 200
    (form,) = teams.sent(ADA.conversation)
    card = card_of(form)
    assert_valid(card)
    inputs = {element["id"]: element for element in card["body"] if element["type"].startswith("Input.")}
    assert list(inputs) == ["went_well", "could_be_better", "audience"]
    assert [inputs[field]["maxLength"] for field in ("went_well", "could_be_better")] == [2000, 2000]
    assert [choice["title"] for choice in inputs["audience"]["choices"]] == ["Grace Hopper only"]
    (send,) = card["actions"]
    empty = teams.press(
        ADA, form["id"], {**send["data"], "went_well": "", "could_be_better": "", "audience": "recipient"}
    )
    problems = [element["text"] for element in empty.json()["value"]["body"] if element.get("color") == "Attention"]
    assert problems == [
        'Write what went well, what could be better, or both, for example "The demo was clear and calm under questions."'
    ]
    values = {
        **send["data"],
        "went_well": "The migration plan was clear.",
        "could_be_better": "",
        "audience": "recipient",
    }
    done = teams.press(ADA, form["id"], values).json()["value"]
    assert card_text(done).endswith("Sent ✓")
    to_grace = conversation_with(teams, GRACE)
    (received,) = teams.sent(to_grace)
    feedback_card = card_of(received)
    assert "Ada Lovelace gave you feedback" in card_text(feedback_card)
    assert "The migration plan was clear." in card_text(feedback_card)
    thanks = buttons(feedback_card)["Thanks 🙏"]
    confirmation = teams.sent(ADA.conversation, 2)[-1]
    assert "Only Grace Hopper will see it" in card_text(card_of(confirmation))
    teams.press(GRACE, received["id"], thanks)
    thanked = teams.sent(ADA.conversation, 3)[-1]
    assert card_text(card_of(thanked)) == "🙏 Grace Hopper thanked you for your feedback."
    with teams.database.session_scope() as session:
        (row,) = session.exec(select(Feedback)).all()
        assert row.thanked_at is not None and row.went_well == "The migration plan was clear."

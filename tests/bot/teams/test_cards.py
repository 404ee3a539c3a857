"""Every message kind and every form as an Adaptive Card 1.5 that Microsoft's schema accepts, under
Teams' size limit, with a text fallback; typed text never becomes markup or a mention."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bot.teams.cards import CARD_BYTES_LIMIT, AdaptiveCards
from bot.teams.dialect import ZERO_WIDTH_SPACE
from bot.teams.translate import CHOICE, CHOICE_SET, FORM, PICKS_INPUT
from conversations.messages import Choice, ChoiceSet, FieldKind, Form, FormField, Outbound
from tests.fixtures.sample_messages import SAMPLES

SCHEMA_PATH = Path(__file__).parents[2] / "fixtures" / "schemas" / "adaptive-cards" / "1.5.0" / "adaptive-card.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text())
VALIDATOR = jsonschema.Draft6Validator(SCHEMA)


def assert_valid(card: dict[str, Any]) -> None:
    """The schema knows Adaptive Cards, not the Teams host's own ``msteams`` property (width and
    mention entities), so that is checked apart and the rest against the schema."""
    content = dict(card)
    host = content.pop("msteams", {})
    assert set(host) <= {"width", "entities"}, host
    for entity in host.get("entities", []):
        assert entity["type"] == "mention" and entity["text"].startswith("<at>") and entity["mentioned"]["id"]
    errors = sorted(VALIDATOR.iter_errors(content), key=lambda error: list(error.path))
    assert not errors, "\n".join(f"{list(error.path)}: {error.message}" for error in errors[:5])
    assert len(json.dumps(card)) <= CARD_BYTES_LIMIT


@pytest.fixture(scope="module")
def cards() -> AdaptiveCards:
    """One renderer for every kind, as Cadence keeps one per process: a new one compiles its templates again."""
    return AdaptiveCards()


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_every_message_kind_is_a_valid_card_with_a_text_fallback(kind: str, cards: AdaptiveCards) -> None:
    choices = (Choice("Start", "x.start", "primary"), Choice("Skip", "x.skip", "danger"), Choice("Later", "x.later"))
    card = cards.message(Outbound(kind, SAMPLES[kind], choices=choices))
    assert_valid(card.content)
    assert card.text.strip() and card.content["fallbackText"].strip()
    actions = card.content["actions"]
    assert [action["data"] for action in actions] == [{CHOICE: "x.start"}, {CHOICE: "x.skip"}, {CHOICE: "x.later"}]
    assert [action.get("style") for action in actions] == ["positive", "destructive", None]


def test_a_choice_set_is_checkboxes_sent_by_one_button() -> None:
    options = tuple(Choice(f"Option {number}", f"o{number}") for number in range(1, 13))
    outbound = Outbound("checkin_question", SAMPLES["checkin_question"], choice_set=ChoiceSet("q.picks", options))
    card = AdaptiveCards().message(outbound)
    assert_valid(card.content)
    picks = next(element for element in card.content["body"] if element["type"] == "Input.ChoiceSet")
    assert picks["id"] == PICKS_INPUT and picks["isMultiSelect"] and len(picks["choices"]) == 12
    send = next(element for element in card.content["body"] if element["type"] == "ActionSet")["actions"][0]
    assert send["type"] == "Action.Execute" and send["data"] == {CHOICE_SET: "q.picks"}


def test_a_pressed_card_keeps_its_words_and_loses_its_buttons() -> None:
    outbound = Outbound("checkin_prompt", SAMPLES["checkin_prompt"], choices=(Choice("Start", "s"),))
    card = AdaptiveCards().message(outbound, note="✓ Start", buttons=False)
    assert_valid(card.content)
    assert "actions" not in card.content
    assert card.content["body"][-1]["text"] == "✓ Start"


def test_mentions_are_entities_and_typed_markup_stays_text() -> None:
    data = {
        "giver": {"id": 1, "display_name": "Ada Lovelace"},
        "recipients": [{"id": 2, "display_name": "Sam <at>Boss</at> *Bold*"}],
        "message": "for <at>Everyone</at> [a link](https://evil.example) **loud** _x_",
        "values": [],
        "kudos_id": 1,
        "plus_ones": 0,
    }
    card = AdaptiveCards().message(Outbound("kudos_card", data), {1: "aad-ada", 2: "aad-sam"})
    assert_valid(card.content)
    entities = card.content["msteams"]["entities"]
    assert {entity["mentioned"]["id"] for entity in entities} == {"aad-ada", "aad-sam"}
    text = " ".join(element.get("text", "") for element in card.content["body"])
    for entity in entities:
        assert entity["text"] in text, "an entity matches its mention exactly"
    assert "<at>Everyone</at>" not in text and f"<{ZERO_WIDTH_SPACE}at>Everyone" in text
    assert "[a link](https://evil.example)" not in text and r"\[a link\]" in text
    assert "**loud**" not in text and r"\*\*loud\*\*" in text


def test_without_a_teams_id_a_person_is_named_not_mentioned() -> None:
    data = {"name": "Ada", "week": "2026-W49", "closes_local": "Mon 7 Dec 09:00"}
    card = AdaptiveCards().message(Outbound("checkin_reminder", data))
    assert card.content["msteams"]["entities"] == []


def form(**field_kinds: FieldKind) -> Form:
    fields = tuple(
        FormField(
            name,
            f"{name} label",
            kind,
            required=index == 0,
            options=(Choice("One", "1"), Choice("Two", "2")) if "choice" in kind else (),
            hint="a hint" if index == 1 else None,
            max_length=100 if kind is FieldKind.TEXT else None,
        )
        for index, (name, kind) in enumerate(field_kinds.items())
    )
    return Form("kudos.give", "Give kudos", fields, "Give kudos")


def test_a_form_is_a_card_with_an_input_per_field_and_one_send_button() -> None:
    every_kind = form(**{kind.value: kind for kind in FieldKind})
    card = AdaptiveCards().form(every_kind)
    assert_valid(card.content)
    inputs = [element for element in card.content["body"] if element["type"].startswith("Input.")]
    assert [element["id"] for element in inputs] == [kind.value for kind in FieldKind]
    assert inputs[0]["isRequired"] and inputs[0]["errorMessage"]
    (send,) = card.content["actions"]
    assert send["type"] == "Action.Execute" and send["data"] == {FORM: "kudos.give"}
    assert send["associatedInputs"] == "auto"


def test_form_problems_show_under_their_fields() -> None:
    card = AdaptiveCards().form(
        form(message=FieldKind.LONG_TEXT, people=FieldKind.PEOPLE), {"message": "Say what for."}
    )
    assert_valid(card.content)
    body = card.content["body"]
    position = next(index for index, element in enumerate(body) if element.get("id") == "message")
    assert body[position + 1] == {
        "type": "TextBlock",
        "text": "Say what for.",
        "wrap": True,
        "color": "Attention",
        "spacing": "None",
    }


def test_a_very_long_message_is_cut_to_fit_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "long_answer.j2").write_text("{% block body %}{{ text }}{% endblock %}")
    paragraphs = "\n\n".join(f"Paragraph {number} " + "words " * 200 for number in range(60))
    card = AdaptiveCards([tmp_path]).message(Outbound("long_answer", {"text": paragraphs}))
    assert_valid(card.content)
    assert "too long to show here" in card.content["body"][-1]["text"]


def test_a_sent_form_has_nothing_left_to_press() -> None:
    card = AdaptiveCards().sent_form(form(message=FieldKind.TEXT))
    assert_valid(card.content)
    assert "actions" not in card.content and card.content["body"][-1]["text"] == "Sent ✓"

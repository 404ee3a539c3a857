"""What a person typed is shown as they typed it, in every message Cadence sends: every text in every
message kind's sample replaced by hostile text, then rendered for Slack, Teams and the terminal.

On Slack no ``<!channel>``, ``<@U…>``, ``<#C…>`` or ``<url|label>`` survives into mrkdwn (escaped,
never parsed); on Teams no ``<at>`` becomes a mention and no Markdown link or emphasis is live, and
the text can't add anything to the card's JSON; template syntax is never evaluated; emoji,
combining characters and right-to-left text come out as they went in."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from bot.shell.render import render_text
from bot.slack.render import BlockKit
from bot.teams.cards import AdaptiveCards
from bot.teams.dialect import ZERO_WIDTH_SPACE
from conversations.messages import Choice, Outbound
from conversations.words import PlainDialect, Words
from tests.fixtures.sample_messages import SAMPLES

SLACK_CONTROLS = ("<!channel>", "<!here>", "<!everyone>", "<@U0BOSS>", "<#C0ALL>", "<http://evil.example|click>")
TEAMS_MARKUP = ("<at>Everyone</at>", "[click](http://evil.example)", "**loud**", "<b>bold</b>")
TEMPLATE = "{{ 7*191 }} {% if true %}yes{% endif %} ${7*191} #{7*191}"
EVALUATED = "1337"
SQL = "'; DROP TABLE kudos; --"
CARD_JSON = '"}], "actions": [{"type": "Action.OpenUrl", "url": "http://evil.example"}], "x": [{"a": "'
WORLD = "🎉👩🏽‍💻 Zoë Zoe\u0308 مرحبا بالعالم \u202eexe.txt\u202c שלום"
HOSTILE = " ".join((*SLACK_CONTROLS, *TEAMS_MARKUP, TEMPLATE, SQL, CARD_JSON, WORLD))

KEPT = {"code", "direction"}
"""Fields that pick the words of a message (a problem's code, a trend's direction), not words anyone typed."""


def hostile(value: Any, key: str = "") -> Any:
    """``value`` with every text in it replaced by ``HOSTILE``, except the fields in ``KEPT``."""
    if isinstance(value, dict):
        return {name: hostile(item, name) for name, item in value.items()}
    if isinstance(value, list):
        return [hostile(item, key) for item in value]
    if isinstance(value, str) and key not in KEPT:
        return HOSTILE
    return value


def texts(value: Any, wanted: Any = lambda holder: True) -> Iterator[str]:
    """Every ``text`` string in a Block Kit or card structure whose holder ``wanted`` picks."""
    if isinstance(value, dict):
        if isinstance(value.get("text"), str) and wanted(value):
            yield value["text"]
        for item in value.values():
            yield from texts(item, wanted)
    elif isinstance(value, list):
        for item in value:
            yield from texts(item, wanted)


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
    elif isinstance(value, str):
        yield value


def outbound(kind: str) -> Outbound:
    choice = Choice("Start <!channel> <at>All</at>", "x.start", "primary")
    return Outbound(kind, hostile(SAMPLES[kind]), choices=(choice,))


KINDS = sorted(SAMPLES)


@pytest.fixture(scope="module")
def block_kit() -> BlockKit:
    """One renderer for every kind, as Cadence keeps one per process: a new one compiles its templates again."""
    return BlockKit()


@pytest.fixture(scope="module")
def cards() -> AdaptiveCards:
    """One renderer for every kind, as Cadence keeps one per process: a new one compiles its templates again."""
    return AdaptiveCards()


@pytest.fixture(scope="module")
def plain_words() -> Words:
    """One renderer for every kind, as Cadence keeps one per process: a new one compiles its templates again."""
    return Words(PlainDialect())


@pytest.mark.parametrize("kind", KINDS)
def test_on_slack_typed_text_never_pings_links_or_runs_as_a_template(kind: str, block_kit: BlockKit) -> None:
    message = block_kit.message(outbound(kind), {1: "U0ADA", 2: "U0GRACE"})
    mrkdwn = [message["text"], *texts(message["blocks"], lambda holder: holder.get("type") == "mrkdwn")]
    everything = "\n".join(strings(message))
    for control in SLACK_CONTROLS:
        assert all(control not in text for text in mrkdwn), (kind, control)
    assert all("<http" not in text and "<!" not in text for text in mrkdwn), kind
    assert EVALUATED not in everything, f"{kind}: a template ran what a person typed"
    if HOSTILE[:20].replace("<", "&lt;") in everything or "&lt;!channel&gt;" in everything:
        assert "{{ 7*191 }}" in everything and SQL in everything, kind
        assert "Zoe\u0308" in everything and "مرحبا بالعالم" in everything and "\u202e" in everything, kind


@pytest.mark.parametrize("kind", KINDS)
def test_on_teams_typed_text_never_mentions_links_marks_up_or_adds_to_the_card(kind: str, cards: AdaptiveCards) -> None:
    card = cards.message(outbound(kind), {1: "aad-ada", 2: "aad-grace"})
    content = card.content
    body_texts = list(texts(content.get("body", [])))
    entity_texts = {entity["text"] for entity in content["msteams"]["entities"]}
    for text in body_texts:
        for markup in ("<at>Everyone</at>", "[click](http://evil.example)", "**loud**"):
            assert markup not in text, (kind, markup, text[:120])
        for start in range(len(text)):
            if text.startswith("<at>", start):
                end = text.index("</at>", start) + len("</at>")
                assert text[start:end] in entity_texts, f"{kind}: {text[start:end]} mentions no one Cadence chose"
    assert all(action["type"] == "Action.Execute" for action in content.get("actions", [])), kind
    assert "Action.OpenUrl" not in {value for value in strings(content) if value.startswith("Action.")}, kind
    assert set(content) <= {"type", "version", "fallbackText", "body", "actions", "msteams", "$schema"}, kind
    everything = json.dumps(content, ensure_ascii=False)
    assert EVALUATED not in everything, f"{kind}: a template ran what a person typed"
    if f"<{ZERO_WIDTH_SPACE}at>Everyone" in everything:
        assert "مرحبا بالعالم" in everything and "Zoe\u0308" in everything and "🎉👩🏽‍💻" in everything, kind


@pytest.mark.parametrize("kind", KINDS)
def test_in_the_terminal_typed_text_is_shown_as_typed(kind: str, plain_words: Words) -> None:
    text = render_text(plain_words, outbound(kind))
    assert EVALUATED not in text, f"{kind}: a template ran what a person typed"
    if HOSTILE[:40] in text:
        assert HOSTILE in text or HOSTILE[:60] + "…" in text or "…" in text, kind


def test_the_hostile_text_reaches_the_messages_that_echo_what_people_typed(
    block_kit: BlockKit, cards: AdaptiveCards
) -> None:
    """The checks above only mean something where the text is shown: kudos, check-in answers in
    the manager's card and the digest, feedback, goals and 1:1 notes all show it."""
    echoing = (
        "kudos_card",
        "checkin_for_manager",
        "checkin_team_summary",
        "digest",
        "feedback_received",
        "feedback_list",
        "goal_tree",
        "goal_updated",
        "one_on_one_agenda",
        "one_on_one_added",
    )
    for kind in echoing:
        slack = json.dumps(block_kit.message(outbound(kind)), ensure_ascii=False)
        teams = "\n".join(texts(cards.message(outbound(kind)).content["body"]))
        assert "&lt;!channel&gt;" in slack and "{{ 7*191 }}" in slack and WORLD.split()[0] in slack, kind
        assert f"<{ZERO_WIDTH_SPACE}at>Everyone" in teams and r"\*\*loud\*\*" in teams, kind

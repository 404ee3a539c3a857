"""Kudos in Slack, end to end: the slash command, the recognition card, emoji reactions and +1s,
the Give kudos shortcut, and the Home tab."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import select

from conversations.messages import Platform
from conversations.workspace_settings import validate_settings
from storage import org_import, workspaces
from storage.models import Kudos, OutboxDelivery, Person
from tests.bot.slack.block_kit import assert_valid_message, assert_valid_view
from tests.bot.slack.harness import RunningCadence, wait_until
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_requests import (
    app_home_opened,
    event_callback,
    interaction_body,
    retry_headers,
    view_submission,
)

ORG = """email,name,slack_id,timezone
ada@acme.example,Ada Lovelace,U0001,Europe/London
grace@acme.example,Grace Hopper,U0002,America/New_York
linus@acme.example,Linus T,U0003,Europe/Helsinki
"""


@pytest.fixture
def cadence(tmp_path: Path, slack: FakeSlackApi):
    settings, _ = validate_settings(
        {"kudos": {"channel": "#kudos", "emojis": ["clap", "taco"], "values": ["ownership", "craft"]}}
    )
    with RunningCadence(tmp_path, slack) as running:
        with running.database.session_scope() as session:
            workspace = workspaces.find(session, Platform.SLACK, "T0001")
            assert org_import.import_org(session, workspace.id, ORG).ok
            workspaces.apply_settings(session, workspace, settings)
        yield running


def kudos_rows(cadence: RunningCadence) -> list[tuple[str, str, str, str | None]]:
    with cadence.database.session_scope() as session:
        names = {person.id: person.display_name for person in session.exec(select(Person))}
        return [
            (names[row.giver_id], names[row.recipient_id], row.source.value, row.source_ref)
            for row in session.exec(select(Kudos))
        ]


def reaction(kind: str, user: str, item_user: str, ts: str, channel: str = "C0GENERAL", emoji: str = "clap") -> dict:
    return {
        "type": kind,
        "user": user,
        "reaction": emoji,
        "item_user": item_user,
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": "1.0",
    }


def test_slash_kudos_posts_a_card_dms_the_recipients_and_tells_the_giver_what_is_left(cadence, slack) -> None:
    body = cadence.command(
        "/kudos",
        "<@U0002|grace> <@U0003|linus> for untangling the release #ownership",
        user_id="U0001",
        channel_id="C0GENERAL",
    )
    assert body["response_type"] == "ephemeral"
    assert "Kudos sent to Grace Hopper, Linus T. You have 3 kudos left today." in body["text"]
    calls = slack.wait_for_calls("chat.postMessage", 3)
    card = next(call for call in calls if call.args["channel"] == "#kudos")
    assert_valid_message({"text": card.args["text"], "blocks": card.args["blocks"]})
    assert "<@U0001> gave kudos to <@U0002>, <@U0003>" in card.args["text"] and "*#Ownership*" in card.args["text"]
    assert sorted(call.args["channel"] for call in calls if call is not card) == ["DU0002", "DU0003"]
    assert kudos_rows(cadence) == [
        ("Ada Lovelace", "Grace Hopper", "command", None),
        ("Ada Lovelace", "Linus T", "command", None),
    ]


@pytest.mark.parametrize(
    ("text", "explanation"),
    [
        ("for nothing", "Who is it for?"),
        ("<@U0001|ada> for me", "Kudos are for others"),
        ("<@U0999|zed> for the help", "in Cadence yet"),
        ("<@U0002|grace> for X #teamwork", "`#teamwork` isn't one of our values"),
        ("<@U0002|grace>", "Say what the kudos are for"),
    ],
)
def test_bad_kudos_get_an_ephemeral_explanation_and_nothing_is_stored_or_posted(
    cadence, slack, text, explanation
) -> None:
    body = cadence.command("/kudos", text, user_id="U0001")
    assert body["response_type"] == "ephemeral" and explanation in body["text"]
    assert kudos_rows(cadence) == []
    with cadence.database.session_scope() as session:
        [answer] = session.exec(select(OutboxDelivery)).all()
        assert answer.kind == "kudos_problem" and answer.payload["destination"]["type"] == "command_answer"


def test_a_clap_gives_kudos_once_even_when_slack_redelivers_and_removing_it_takes_it_back(cadence, slack) -> None:
    added = event_callback(reaction("reaction_added", "U0001", "U0002", "1700000500.000100"), event_id="Ev0CLAP")
    cadence.post(added)
    cadence.post(added, headers=retry_headers(1))
    wait_until(
        lambda: cadence.metric("cadence_events_total", platform="slack", outcome="duplicate") == 1,
        what="the redelivery",
    )
    wait_until(lambda: len(kudos_rows(cadence)) == 1, what="the kudos")
    assert kudos_rows(cadence) == [("Ada Lovelace", "Grace Hopper", "reaction", "C0GENERAL/1700000500.000100:clap")]
    [note] = slack.wait_for_calls("chat.postMessage")
    assert note.args["channel"] == "DU0002" and "Ada Lovelace gave you a :clap:" in note.args["text"]
    cadence.post(event_callback(reaction("reaction_removed", "U0001", "U0002", "1700000500.000100")))
    wait_until(lambda: kudos_rows(cadence) == [], what="the kudos to be taken back")
    cadence.post(event_callback(reaction("reaction_added", "U0001", "U0002", "1700000600.000100", emoji="thumbsup")))
    cadence.post(event_callback(reaction("reaction_added", "U0001", "U0001", "1700000700.000100")))
    wait_until(
        lambda: cadence.metric("cadence_events_total", platform="slack", outcome="processed") == 4, what="the reactions"
    )
    assert kudos_rows(cadence) == [], "other emojis and your own messages give nothing"


def test_a_reaction_on_a_recognition_card_is_a_plus_one_for_its_recipients(cadence, slack) -> None:
    cadence.command("/kudos", "<@U0002|grace> for the launch #craft", user_id="U0001")
    card = next(call for call in slack.wait_for_calls("chat.postMessage", 2) if call.args["channel"] == "#kudos")
    card_channel, card_ts = card.response["channel"], card.response["ts"]
    wait_until(lambda: _card_recorded(cadence), what="the card's ts")
    cadence.post(event_callback(reaction("reaction_added", "U0003", "U0001", card_ts, channel=card_channel)))
    wait_until(lambda: len(kudos_rows(cadence)) == 2, what="the +1")
    assert kudos_rows(cadence)[1] == ("Linus T", "Grace Hopper", "plus_one", f"{card_channel}/{card_ts}:clap")


def _card_recorded(cadence: RunningCadence) -> bool:
    with cadence.database.session_scope() as session:
        card = session.exec(select(OutboxDelivery).where(OutboxDelivery.kind == "kudos_card")).first()
        return bool(card and card.platform_message_id)


def test_the_give_kudos_shortcut_opens_a_form_and_gives_kudos(cadence, slack) -> None:
    shortcut = {
        "type": "shortcut",
        "callback_id": "kudos.give",
        "trigger_id": "1.2.3",
        "user": {"id": "U0001", "team_id": "T0001"},
        "team": {"id": "T0001"},
    }
    assert cadence.post(interaction_body(shortcut)).status_code == 200
    modal = slack.wait_for_calls("views.open")[0].args["view"]
    modal = modal if isinstance(modal, dict) else json.loads(modal)
    assert_valid_view(modal)
    assert [block["block_id"] for block in modal["blocks"]] == ["people", "values", "message"]
    values = {
        "people": {"value": {"type": "multi_users_select", "selected_users": ["U0003"]}},
        "values": {"value": {"type": "checkboxes", "selected_options": [{"value": "craft"}]}},
        "message": {"value": {"type": "plain_text_input", "value": "for the review"}},
    }
    response = cadence.post(view_submission("kudos.form", values, modal["private_metadata"], user_id="U0001"))
    assert response.status_code == 200 and response.text == ""
    wait_until(lambda: kudos_rows(cadence) == [("Ada Lovelace", "Linus T", "shortcut", None)], what="the kudos")


def test_stats_and_the_leaderboard(cadence, slack) -> None:
    cadence.command("/kudos", "<@U0002|grace> <@U0003|linus> for X #craft", user_id="U0001")
    cadence.command("/kudos", "<@U0002|grace> for Y", user_id="U0003")
    top = cadence.command("/kudos", "top week", user_id="U0001")["text"]
    assert "1. <@U0002>: 2 kudos" in top and "2. <@U0003>: 1 kudos" in top
    craft = cadence.command("/kudos", "top #craft", user_id="U0001")["text"]
    assert "1. <@U0002>: 1 kudos" in craft and "2. <@U0003>: 1 kudos" in craft
    stats = cadence.command("/kudos", "stats", user_id="U0002")["text"]
    assert "*This week*: 2 kudos received, no kudos given" in stats and "#Craft (1)" in stats
    assert 'I don\'t understand "yesterday"' in cadence.command("/kudos", "top yesterday", user_id="U0001")["text"]


def test_the_home_tab_shows_recent_kudos(cadence, slack) -> None:
    cadence.command("/kudos", "<@U0002|grace> for the great demo", user_id="U0001")
    cadence.post(app_home_opened("U0002"))
    view = slack.wait_for_calls("views.publish")[0].args["view"]
    text = json.dumps(view)
    assert "Kudos you received lately" in text and "Ada Lovelace: for the great demo" in text

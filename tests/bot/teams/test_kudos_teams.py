"""Kudos in Teams, end to end: typed in the chat with Cadence (``kudos @grace for …``), by mentioning
Cadence and a colleague in a channel, the recognition card in the configured channel, and a
reaction on that card adding a +1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from conversations.messages import Platform
from conversations.workspace_settings import validate_settings
from storage import connections, org_import, workspaces
from storage.models import Kudos, OutboxDelivery, Person
from tests.bot.slack.harness import wait_until
from tests.bot.teams.conftest import ADA, GRACE, seed_org
from tests.bot.teams.harness import Person as TeamsPerson
from tests.bot.teams.harness import RunningTeams, activity, card_of, card_text
from tests.fakes.teams_services import CREATE_CONVERSATION, TENANT_ID, FakeMicrosoft

KUDOS_CHANNEL = "19:kudos@thread.tacv2"


@pytest.fixture
def teams(tmp_path: Path, microsoft: FakeMicrosoft) -> Iterator[RunningTeams]:
    settings, _ = validate_settings(
        {"kudos": {"channel": {"slack": "#kudos", "teams": KUDOS_CHANNEL}, "values": ["ownership", "craft"]}}
    )
    with RunningTeams(tmp_path, microsoft) as running:
        seed_org(running)
        with running.database.session_scope() as session:
            workspace = connections.workspace_for(session, Platform.TEAMS, TENANT_ID)
            workspaces.apply_settings(session, workspace, settings)
        yield running


def kudos_rows(teams: RunningTeams) -> list[tuple[str, str, str]]:
    with teams.database.session_scope() as session:
        names = {person.id: person.display_name for person in session.exec(select(Person))}
        return [(names[row.giver_id], names[row.recipient_id], row.source.value) for row in session.exec(select(Kudos))]


def test_typed_kudos_in_the_chat_posts_the_card_in_the_channel_and_tells_both(teams: RunningTeams) -> None:
    assert teams.say(ADA, "kudos @grace for untangling the release #craft").status_code == 200
    (card,) = teams.sent(KUDOS_CHANNEL)
    content = card_of(card)
    text = card_text(content)
    assert "untangling the release" in text
    mentioned = {entity["mentioned"]["id"] for entity in content["msteams"]["entities"]}
    assert mentioned == {ADA.aad, GRACE.aad}, "giver and recipient are real mentions"
    assert kudos_rows(teams) == [("Ada Lovelace", "Grace Hopper", "command")]
    to_grace = next(
        request.response["id"]
        for request in teams.microsoft.wait_for_requests(CREATE_CONVERSATION)
        if request.json["members"] == [{"id": GRACE.aad}]
    )
    assert "Ada Lovelace" in card_text(card_of(teams.sent(to_grace)[0]))
    confirmation = teams.sent(ADA.conversation)[0]
    assert "left today" in card_text(card_of(confirmation))


def test_kudos_by_mentioning_cadence_and_a_colleague_in_a_channel(teams: RunningTeams) -> None:
    channel = TeamsPerson(ADA.key, ADA.aad, ADA.name, "19:general@thread.tacv2")
    body = activity(
        "message_channel_mention",
        **teams.fill(channel, text="kudos <at>Grace Hopper</at> for the launch #ownership"),
    )
    grace = {"mentioned": {"id": GRACE.key, "name": "Grace Hopper"}, "text": "<at>Grace Hopper</at>", "type": "mention"}
    body["entities"].append(grace)
    assert teams.post(body).status_code == 200
    teams.sent(KUDOS_CHANNEL)
    assert kudos_rows(teams) == [("Ada Lovelace", "Grace Hopper", "command")]


def test_a_reaction_on_the_recognition_card_is_a_plus_one(teams: RunningTeams) -> None:
    teams.say(ADA, "kudos @grace for the launch")
    (card,) = teams.sent(KUDOS_CHANNEL)
    teams.recorded(KUDOS_CHANNEL, card["id"])  # a reaction comes once the card has been shown
    linus = TeamsPerson("29:1linus", "linus-aad", "Linus T", KUDOS_CHANNEL)
    with teams.database.session_scope() as session:
        workspace = connections.workspace_for(session, Platform.TEAMS, TENANT_ID)
        assert org_import.import_org(
            session, workspace.id, "email,name,teams_id\nlinus@acme.example,Linus T,linus-aad\n"
        ).ok
    reaction = activity("message_reaction_added", **teams.fill(linus, reply_to_id=card["id"], reaction="heart"))
    assert teams.post(reaction).status_code == 200
    wait_until(lambda: len(kudos_rows(teams)) == 2, what="the +1")
    assert kudos_rows(teams)[1] == ("Linus T", "Grace Hopper", "plus_one")


def test_kudos_alone_opens_the_card_form_and_names_typed_in_it_are_people(teams: RunningTeams) -> None:
    teams.say(ADA, "kudos")
    (form,) = teams.sent(ADA.conversation)
    card = card_of(form)
    people_field = next(element for element in card["body"] if element.get("id") == "people")
    assert people_field["type"] == "Input.Text" and "@sam" in people_field["placeholder"]
    (send,) = card["actions"]
    empty = teams.press(ADA, form["id"], {**send["data"], "people": "", "message": ""}).json()["value"]
    assert [element for element in empty["body"] if element.get("color") == "Attention"], "problems on the card"
    assert kudos_rows(teams) == []
    done = teams.press(ADA, form["id"], {**send["data"], "people": "@grace", "message": "for the launch"})
    assert card_text(done.json()["value"]).endswith("Sent ✓")
    assert kudos_rows(teams) == [("Ada Lovelace", "Grace Hopper", "shortcut")], "as from Slack's form"
    teams.sent(KUDOS_CHANNEL)


def test_added_to_a_team_cadence_learns_its_channels_so_settings_can_name_them(
    tmp_path: Path, microsoft: FakeMicrosoft
) -> None:
    team = "19:team-platform@thread.tacv2"
    microsoft.channels[team] = [{"id": team}, {"id": "19:praise@thread.tacv2", "name": "Praise"}]
    settings, _ = validate_settings({"kudos": {"channel": {"teams": "#praise"}}})
    with RunningTeams(tmp_path, microsoft) as teams:
        seed_org(teams)
        with teams.database.session_scope() as session:
            workspace = connections.workspace_for(session, Platform.TEAMS, TENANT_ID)
            workspaces.apply_settings(session, workspace, settings)
        in_team = TeamsPerson(ADA.key, ADA.aad, ADA.name, team)
        added = activity("conversation_update_bot_added", **teams.fill(in_team))
        assert teams.post(added).status_code == 200
        wait_until(lambda: channels_known(teams) == {"General": team, "Praise": "19:praise@thread.tacv2"})
        teams.say(ADA, "kudos @grace for the launch")
        (card,) = teams.sent("19:praise@thread.tacv2")
        assert "the launch" in card_text(card_of(card))


def channels_known(teams: RunningTeams) -> dict[str, str]:
    with teams.database.session_scope() as session:
        connection = connections.connection_of(session, 1, Platform.TEAMS)
        return dict((connection.details or {}).get("channels") or {})


def test_a_channel_name_no_team_has_fails_the_card_with_what_cadence_knows(teams: RunningTeams) -> None:
    with teams.database.session_scope() as session:
        workspace = connections.workspace_for(session, Platform.TEAMS, TENANT_ID)
        workspaces.apply_settings(session, workspace, validate_settings({"kudos": {"channel": "#kudos"}})[0])
    teams.say(ADA, "kudos @grace for the launch")
    wait_until(lambda: failed_card(teams) is not None, what="the card to fail")
    assert "no channel '#kudos' in the teams Cadence was added to" in failed_card(teams)


def failed_card(teams: RunningTeams) -> str | None:
    with teams.database.session_scope() as session:
        card = session.exec(select(OutboxDelivery).where(OutboxDelivery.kind == "kudos_card")).first()
        return card.last_error if card is not None and card.status.value == "failed" else None

"""``export`` and ``forget`` typed in a Teams chat, over HTTP against the fakes of Microsoft.

Ada asks for her data: Cadence sends a file consent card (a bot may send files in a personal chat
only once the person accepts), she allows it, Cadence PUTs the JSON to the upload session Teams
opened in her OneDrive and shows the file's card. Grace, the admin, declines one, is told so, and
erases Quilla after the card that names her and what goes; a card answered by someone else, or
twice, uploads nothing more.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot.teams.cards import FILE_CONSENT_CONTENT_TYPE, FILE_INFO_CONTENT_TYPE
from bot.teams.translate import CHOICE
from conversations.messages import Platform
from storage import connections, org_import
from storage.models import InboxRequest, InboxStatus, OutboxDelivery, Person
from tests.bot.teams.conftest import ADA, GRACE
from tests.bot.teams.harness import Person as TeamsPerson
from tests.bot.teams.harness import RunningTeams, buttons, card_of, card_text, wait_until
from tests.bot.teams.test_cards import assert_valid
from tests.fakes.teams_services import FILE_UPLOAD, TENANT_ID, FakeMicrosoft

QUILLA = TeamsPerson("29:1quilla", str(uuid.uuid5(uuid.NAMESPACE_URL, "29:1quilla")), "Quilla Marchbanks")
ORG = f"""email,name,teams_id,manager_email,team,timezone,role
grace@acme.example,Grace Hopper,{GRACE.aad},,Platform,America/New_York,admin
ada@acme.example,Ada Lovelace,{ADA.aad},grace@acme.example,Platform,Europe/London,member
quilla@acme.example,Quilla Marchbanks,{QUILLA.aad},grace@acme.example,Platform,Europe/Paris,member
"""


@pytest.fixture
def teams(tmp_path: Path, microsoft: FakeMicrosoft) -> Iterator[RunningTeams]:
    with RunningTeams(tmp_path, microsoft) as running:
        with running.database.session_scope() as session:
            workspace = connections.workspace_for(session, Platform.TEAMS, TENANT_ID)
            assert org_import.import_org(session, workspace.id, ORG).ok
        yield running


def consent_of(sent: dict) -> dict:
    (attachment,) = sent["attachments"]
    assert attachment["contentType"] == FILE_CONSENT_CONTENT_TYPE
    return attachment


def consent_handled(teams: RunningTeams, count: int) -> None:
    def handled() -> bool:
        with teams.database.session_scope() as session:
            rows = session.exec(select(InboxRequest).where(InboxRequest.kind == "file_consent")).all()
            return len(rows) >= count and all(row.status is InboxStatus.DONE for row in rows)

    wait_until(handled, what=f"{count} consent answer(s) handled")


def test_a_member_accepts_her_data_into_her_onedrive_and_it_is_uploaded_once(
    teams: RunningTeams, microsoft: FakeMicrosoft
) -> None:
    teams.say(ADA, "export")
    words, offer = teams.sent(ADA.conversation, 2)
    assert "Everything Cadence holds about you is on its way" in card_text(card_of(words))
    consent = consent_of(offer)
    assert consent["name"].startswith("cadence-data-ada-") and consent["name"].endswith(".json")
    assert consent["content"]["sizeInBytes"] > 100
    assert consent["content"]["description"].startswith("Everything Cadence holds about you")
    assert "ada@acme.example" not in json.dumps(offer), "the card says what the file is, not what is in it"

    assert teams.answer_file(GRACE, offer).status_code == 200  # someone else's answer to Ada's card
    assert teams.answer_file(ADA, offer).status_code == 200
    *_, shown = teams.sent(ADA.conversation, 3)
    (attachment,) = shown["attachments"]
    assert attachment["contentType"] == FILE_INFO_CONTENT_TYPE and attachment["name"] == consent["name"]
    [put] = microsoft.requests(kind=FILE_UPLOAD)
    assert put.ok and "Authorization" not in put.headers, "an upload session is pre-authorised"
    document = json.loads(microsoft.uploaded(attachment["content"]["uniqueId"]))
    assert document["person"]["email"] == "ada@acme.example"
    assert document["audit_events"][0]["action"] == "exported"

    teams.answer_file(ADA, offer)  # answered twice
    consent_handled(teams, 3)
    assert len(microsoft.requests(kind=FILE_UPLOAD)) == 1 and len(teams.sent(ADA.conversation, 3)) == 3
    with teams.database.session_scope() as session:
        held = json.dumps([row.payload for row in session.exec(select(OutboxDelivery))])
    assert "ada@acme.example" not in held, "no copy of her data waits in the outbox"


def test_an_admin_declines_a_file_and_erases_someone_after_the_card_naming_them(teams: RunningTeams) -> None:
    teams.say(ADA, "forget @quilla")
    (refused,) = teams.sent(ADA.conversation)
    assert card_text(card_of(refused)) == "Erasing someone's data is for admins; ask Grace Hopper."

    teams.say(GRACE, "export @quilla")
    words, offer = teams.sent(GRACE.conversation, 2)
    assert "Everything Cadence holds about Quilla Marchbanks that you may read" in card_text(card_of(words))
    teams.answer_file(GRACE, offer, accept=False)
    *_, declined = teams.sent(GRACE.conversation, 3)
    assert card_text(card_of(declined)).startswith("No file sent, as you declined it.")

    teams.say(GRACE, "forget @quilla")
    *_, question = teams.sent(GRACE.conversation, 4)
    card = card_of(question)
    assert_valid(card)
    assert "Erase Quilla Marchbanks?" in card_text(card) and "It can't be undone." in card_text(card)
    erase = buttons(card)["Erase Quilla Marchbanks"]
    teams.press(GRACE, question["id"], {CHOICE: erase[CHOICE]})
    *_, done = teams.sent(GRACE.conversation, 5)
    assert card_text(card_of(done)).startswith("Erased their name, email, accounts")
    with teams.database.session_scope() as session:
        quilla = session.exec(select(Person).where(Person.erased_at.is_not(None))).one()
        assert quilla.display_name.startswith("Erased person ") and quilla.email is None

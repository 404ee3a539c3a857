"""Teams end to end: activities posted over HTTP to /api/messages as the Bot Connector posts them,
signed with tokens the SDK validates, and what Cadence sends arriving at the fake Bot Connector."""

from __future__ import annotations

import logging

import pytest
from sqlmodel import select

from bot.teams.side import chat_with
from storage import org_import, people
from storage.models import InboxRequest
from tests.bot.slack.harness import wait_until
from tests.bot.teams.conftest import ADA
from tests.bot.teams.harness import Person, RunningTeams, activity, card_of, card_text
from tests.fakes.teams_services import APP_ID, APP_SECRET


def inbox_rows(teams: RunningTeams) -> int:
    with teams.database.session_scope() as session:
        return len(session.exec(select(InboxRequest)).all())


def test_help_in_the_personal_chat_is_answered_there(teams: RunningTeams) -> None:
    response = teams.say(ADA, "help")
    assert response.status_code == 200, response.text
    (reply,) = teams.sent(ADA.conversation)
    text = card_text(card_of(reply))
    assert "kudos" in text and "checkin" in text
    assert reply["summary"]


def test_forged_expired_wrong_audience_and_unsigned_requests_get_401_and_nothing_is_recorded(
    teams: RunningTeams,
) -> None:
    body = activity("message_personal", **teams.fill(ADA, text="help"))
    service_url = body["serviceUrl"]
    microsoft = teams.microsoft
    for headers in (
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": f"Bearer {microsoft.mint(APP_ID, service_url, key='other')}"},
        {"Authorization": f"Bearer {microsoft.mint(APP_ID, service_url, expired=True)}"},
        {"Authorization": f"Bearer {microsoft.mint('someone-else', service_url)}"},
        {"Authorization": f"Bearer {microsoft.mint(APP_ID, 'https://elsewhere.example/')}"},
        {"Authorization": f"Bearer {microsoft.mint(APP_ID, service_url, issuer='https://impostor.example')}"},
    ):
        response = teams.post(body, headers=headers, signed=False)
        assert response.status_code == 401, (headers, response.text)
    assert inbox_rows(teams) == 0
    assert microsoft.sent(ADA.conversation) == []


def test_malformed_activities_get_400_without_a_traceback(teams: RunningTeams) -> None:
    for content in (b"{not json", b"[1, 2]", b'{"type": "message"}'):
        response = teams.http.post(
            "/api/messages",
            content=content,
            headers={"content-type": "application/json", **teams.microsoft.authorization(APP_ID, None)},
        )
        assert response.status_code == 400, content
        assert "Traceback" not in response.text and response.text.startswith("malformed request")
    assert inbox_rows(teams) == 0


def test_an_invoke_cadence_does_not_know_gets_an_invoke_response_not_a_500(teams: RunningTeams) -> None:
    body = activity("invoke_card_action", **teams.fill(ADA, reply_to_id="1"))
    body["name"] = "composeExtension/query"
    response = teams.post(body)
    assert response.status_code == 200
    assert response.json()["statusCode"] == 501
    unknown_data = activity("invoke_card_action", **teams.fill(ADA, reply_to_id="1"))
    assert teams.post(unknown_data).json()["statusCode"] == 501, "a card action without Cadence's data"


def test_an_activity_of_a_kind_cadence_ignores_is_acknowledged(teams: RunningTeams) -> None:
    body = activity("message_personal", **teams.fill(ADA, text="x"))
    body["type"] = "endOfConversation"
    assert teams.post(body).status_code == 200
    body["type"] = "typing"
    assert teams.post(body).status_code == 200
    assert inbox_rows(teams) == 0


def test_a_redelivered_message_is_answered_once(teams: RunningTeams) -> None:
    body = activity("message_personal", **teams.fill(ADA, text="whoami"))
    assert teams.post(body).status_code == 200
    assert teams.post(body).status_code == 200
    teams.say(ADA, "help")
    first, second = teams.sent(ADA.conversation, 2)
    assert "Ada Lovelace" in card_text(card_of(first)) and "kudos" in card_text(card_of(second))
    assert inbox_rows(teams) == 2
    assert len(teams.microsoft.sent(ADA.conversation)) == 2, "whoami once, help once"


def test_installing_cadence_stores_the_chat_and_says_what_it_will_ask_when_and_who_sees_it(
    teams: RunningTeams,
) -> None:
    assert teams.install(ADA).status_code == 200
    (welcome,) = teams.sent(ADA.conversation)
    text = card_text(card_of(welcome))
    assert "Hi Ada, I'm Cadence" in text
    assert "Every Friday at 10:00 your time (Europe/London)" in text
    assert "Grace Hopper and the managers above them" in text
    with teams.database.session_scope() as session:
        ada = people.by_email(session, 1, "ada@acme.example")
        assert chat_with(session, ada.id)["conversation"] == ADA.conversation


def test_uninstalling_closes_the_chat_and_nothing_more_is_sent_there(teams: RunningTeams) -> None:
    teams.install(ADA)
    teams.sent(ADA.conversation)
    assert teams.install(ADA, removed=True).status_code == 200
    wait_until(lambda: chat_is_gone(teams), what="the chat to be marked gone")


def chat_is_gone(teams: RunningTeams) -> bool:
    with teams.database.session_scope() as session:
        ada = people.by_email(session, 1, "ada@acme.example")
        return chat_with(session, ada.id) is None


def test_a_deployment_with_only_teams_serves_it_and_reports_it(teams: RunningTeams) -> None:
    health = teams.http.get("/healthz")
    lines = health.text.splitlines()
    assert health.status_code == 200 and lines[0] == "ok"
    assert any(line.startswith("teams: app ") for line in lines) and not any(line.startswith("slack") for line in lines)
    assert teams.http.post("/slack/events").status_code == 404, "no Slack routes without Slack"
    assert "Teams over HTTP at http://x/api/messages" in teams.runtime.serving("http://x")


def test_time_off_whoami_and_unknown_text_in_the_chat(teams: RunningTeams) -> None:
    teams.say(ADA, "checkin away 2026-12-21 to 2026-12-31")
    away = card_text(card_of(teams.sent(ADA.conversation, 1)[-1]))
    assert "21 Dec" in away or "2026-12-21" in away, away
    teams.say(ADA, "whoami")
    assert "Grace Hopper" in card_text(card_of(teams.sent(ADA.conversation, 2)[-1]))
    teams.say(ADA, "what is the meaning of life")
    confused = card_text(card_of(teams.sent(ADA.conversation, 3)[-1]))
    assert "**help**" in confused, "unknown text points at help, in the words Teams users type"


def test_someone_not_in_the_org_file_is_told_how_to_get_in(teams: RunningTeams) -> None:
    stranger = Person("29:1guest", "guest-aad", "Gus Guest", "a:chat-guest")
    teams.say(stranger, "help")
    assert "I don't know you yet" in card_text(card_of(teams.sent(stranger.conversation)[0]))


def person_zone(teams: RunningTeams, email: str) -> str:
    with teams.database.session_scope() as session:
        return people.by_email(session, 1, email).timezone


def test_the_time_zone_teams_reports_is_learnt_only_where_the_org_file_gave_none(teams: RunningTeams) -> None:
    with teams.database.session_scope() as session:
        assert org_import.import_org(session, 1, "email,name,teams_id\nlinus@acme.example,Linus T,linus-aad\n").ok
    linus = Person("29:1linus", "linus-aad", "Linus T", "a:chat-linus")
    teams.say(linus, "whoami")  # the sample's clientInfo says Europe/Berlin
    teams.sent(linus.conversation)
    wait_until(lambda: person_zone(teams, "linus@acme.example") == "Europe/Berlin", what="the zone to be learnt")
    teams.say(ADA, "whoami")
    teams.sent(ADA.conversation)
    assert person_zone(teams, "ada@acme.example") == "Europe/London", "the org file's zone stays"


def test_no_token_is_ever_logged(teams: RunningTeams, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    teams.say(ADA, "help")
    teams.sent(ADA.conversation)
    teams.post(activity("message_personal", **teams.fill(ADA, text="x")), headers={"Authorization": "Bearer forged"})
    secrets = [*teams.microsoft.issued_tokens, APP_SECRET]
    assert teams.microsoft.issued_tokens, "Cadence signed in to send"
    logged = "\n".join(f"{record.getMessage()} {record.args}" for record in caplog.records)
    assert not [secret for secret in secrets if secret in logged]

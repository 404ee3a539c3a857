"""Activities that pass authentication but are not what the Bot Connector sends: 400 with a few plain
words and nothing recorded; an invoke Cadence doesn't know gets a proper invoke response (501 inside);
a kind Cadence ignores gets 200. Never a 500 or a traceback."""

from __future__ import annotations

import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from storage.models import InboxRequest
from tests.bot.teams.conftest import ADA
from tests.bot.teams.harness import RunningTeams, activity
from tests.fakes.teams_services import APP_ID
from tests.security.mutations import mutated

DEEP = 10_000


def signed_post(teams: RunningTeams, content: bytes) -> httpx.Response:
    """Raw bytes with a valid token for the fake's service URL: only the body is wrong."""
    headers = {"content-type": "application/json", **teams.microsoft.authorization(APP_ID, teams.microsoft.base_url)}
    return teams.http.post("/api/messages", content=content, headers=headers)


def recorded(teams: RunningTeams) -> int:
    with teams.database.session_scope() as session:
        return len(session.exec(select(InboxRequest)).all())


def message(teams: RunningTeams, **changes: Any) -> bytes:
    body = activity("message_personal", **teams.fill(ADA, text="help"))
    body.update(changes)
    return json.dumps(body).encode()


def card_press(teams: RunningTeams, change: Any) -> bytes:
    body = activity("invoke_card_action", **teams.fill(ADA, reply_to_id="1"))
    change(body)
    return json.dumps(body).encode()


def malformed(teams: RunningTeams) -> dict[str, bytes]:
    return {
        "an empty body": b"",
        "not JSON": b"{not json",
        "invalid UTF-8": b'{"type": "message", "text": "\xff\xfe"}',
        "JSON that is a list": b"[1, 2]",
        "JSON that is null": b"null",
        f"a list nested {DEEP} deep": b"[" * DEEP + b"]" * DEEP,
        f"an object nested {DEEP} deep": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
        "an activity without a type": message(teams, type=None),
        "an activity whose type is a number": message(teams, type=7),
        "an activity from no one": message(teams, **{"from": None}),
        "an activity in no conversation": message(teams, conversation={"tenantId": "t"}),
        "an activity without a serviceUrl": message(teams, serviceUrl=None),
        "an activity whose serviceUrl is a list": message(teams, serviceUrl=["https://x.example"]),
        "a message whose text is a number": message(teams, text=5),
        "a message whose text is a list": message(teams, text=["help"]),
        "a message whose entities are text": message(teams, entities="clientInfo"),
        "a message whose channelData is text": message(teams, channelData="x"),
        "a message whose conversation id is a number": message(teams, conversation={"id": 5}),
        "a card press whose value is text": card_press(teams, lambda body: body.update(value="x")),
        "a card press whose action is text": card_press(teams, lambda body: body["value"].update(action="x")),
        "a card press whose data is a list": card_press(teams, lambda body: body["value"]["action"].update(data=[1])),
    }


def test_an_authenticated_but_malformed_activity_is_a_400_with_a_reason_and_nothing_is_recorded(
    teams: RunningTeams,
) -> None:
    answered = {name: signed_post(teams, content) for name, content in malformed(teams).items()}
    statuses = {name: (response.status_code, response.text[:80]) for name, response in answered.items()}
    assert {name: status for name, status in statuses.items() if status[0] != 400} == {}, statuses
    for name, response in answered.items():
        reason = response.text
        assert reason.startswith("malformed request: ") and "\n" not in reason and len(reason) < 200, (name, reason)
        assert "Traceback" not in reason and "pydantic" not in reason.lower(), name
    assert recorded(teams) == 0
    assert teams.microsoft.sent(ADA.conversation) == []


def test_the_reason_says_which_field_is_wrong(teams: RunningTeams) -> None:
    assert signed_post(teams, message(teams, text=5)).text.startswith("malformed request: text: ")
    assert (
        signed_post(teams, message(teams, serviceUrl=None)).text
        == "malformed request: an activity names its serviceUrl"
    )
    press = card_press(teams, lambda body: body["value"]["action"].update(data="x"))
    assert signed_post(teams, press).text.startswith("malformed request: value.action.data: ")


def test_unknown_invokes_get_an_invoke_response_and_unknown_kinds_a_200(teams: RunningTeams) -> None:
    for name in ("composeExtension/query", "no/such-invoke", ""):
        response = signed_post(teams, card_press(teams, lambda body, name=name: body.update(name=name)))
        assert response.status_code == 200 and response.json()["statusCode"] == 501, (name, response.text)
    for kind in ("typing", "endOfConversation", "somethingNew"):
        assert signed_post(teams, message(teams, type=kind)).status_code == 200, kind
    assert recorded(teams) == 0


def test_a_body_over_one_megabyte_is_refused_with_413_before_anyone_reads_it(teams: RunningTeams) -> None:
    oversized = message(teams, text="x" * (1024 * 1024))
    assert signed_post(teams, oversized).status_code == 413
    streamed = teams.http.post("/api/messages", content=iter([b"x" * 600_000, b"y" * 600_000]))
    assert streamed.status_code == 413
    assert recorded(teams) == 0


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_field_of_a_real_activity_replaced_by_any_json_is_never_a_500(teams: RunningTeams, data) -> None:
    kinds = ("message_personal", "invoke_card_action", "message_reaction_added", "installation_update_add")
    name = data.draw(st.sampled_from(kinds), label="activity")
    original = activity(name, **teams.fill(ADA, text="help", reply_to_id="1"))
    body = mutated(data, original, spared=lambda path: path[0] == "serviceUrl")  # the token vouches for it
    before = recorded(teams)
    response = signed_post(teams, json.dumps(body).encode())
    assert response.status_code in (200, 400), (response.status_code, response.text)
    if response.status_code == 400:
        assert response.text.startswith("malformed request: ") and recorded(teams) == before

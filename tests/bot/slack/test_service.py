"""The Slack service end to end: signed HTTP requests in, Web API calls to the fake out."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from sqlmodel import select

from bot.slack import translate
from conversations.messages import Platform, inbound_to_dict
from storage import inbox
from storage.database import Database
from storage.models import InboxRequest, InboxStatus, OutboxDelivery
from tests.bot.slack.block_kit import assert_valid_message, assert_valid_view
from tests.bot.slack.conftest import seed_org
from tests.bot.slack.harness import RunningCadence, wait_until
from tests.fakes.slack_api import RESPONSE_URL, FakeSlackApi
from tests.fakes.slack_requests import (
    app_home_opened,
    event_callback,
    retry_headers,
    signed_headers,
    slash_command,
    slash_command_payload,
)


def rows(cadence: RunningCadence, model) -> list:
    with cadence.database.session_scope() as session:
        return list(session.exec(select(model)))


def test_a_slash_command_is_recorded_in_the_ack_and_answered_privately_through_its_response_url(
    cadence: RunningCadence,
) -> None:
    answer = cadence.command("/cadence", "whoami", user_id="U0001")
    assert answer["response_type"] == "ephemeral"
    assert "Ada Lovelace" in answer["text"] and "Grace Hopper" in answer["text"]
    assert_valid_message(answer)
    [request] = rows(cadence, InboxRequest)
    assert request.kind == "inbound" and request.status is InboxStatus.DONE
    [delivery] = rows(cadence, OutboxDelivery)
    assert delivery.payload["destination"]["type"] == "command_answer", "answered through its response_url"


def test_startup_checks_the_token_once_and_requests_never_call_auth_test(
    cadence: RunningCadence, slack: FakeSlackApi
) -> None:
    for _ in range(3):
        assert "*Check-ins*" in cadence.command("/cadence", "help", user_id="U0001")["text"]
    assert slack.count("auth.test") == 1


def test_unsigned_wrongly_signed_and_stale_requests_are_refused_and_nothing_is_recorded(
    cadence: RunningCadence,
) -> None:
    body, content_type = event_callback(_event("whoami"))
    unsigned = cadence.http.post("/slack/events", content=body, headers={"content-type": content_type})
    wrong = cadence.http.post(
        "/slack/events", content=body, headers={**signed_headers("not-the-secret", body), "content-type": content_type}
    )
    stale = cadence.post((body, content_type), timestamp=int(time.time()) - 301)
    assert [unsigned.status_code, wrong.status_code, stale.status_code] == [401, 401, 401]
    assert rows(cadence, InboxRequest) == [] and rows(cadence, OutboxDelivery) == []


def test_a_malformed_body_is_a_400_without_a_traceback(cadence: RunningCadence) -> None:
    for body in ("{not json", "payload=%7Bbroken", "[1, 2]"):
        content_type = "application/json" if body[0] in "{[" else "application/x-www-form-urlencoded"
        response = cadence.post((body, content_type))
        assert response.status_code == 400, body
        assert "Traceback" not in response.text


def test_a_body_over_one_megabyte_is_refused_with_413(cadence: RunningCadence) -> None:
    body = "text=" + "x" * (1024 * 1024)
    response = cadence.post((body, "application/x-www-form-urlencoded"))
    assert response.status_code == 413
    streamed = cadence.http.post("/slack/events", content=iter([b"x" * 600_000, b"y" * 600_000]))
    assert streamed.status_code == 413


def test_an_unknown_command_gets_a_friendly_ephemeral_pointer_to_help(cadence: RunningCadence) -> None:
    response = cadence.post(slash_command("/nope", "", user_id="U0001"))
    assert response.status_code == 200, "a command we don't serve is answered at once, in the ack"
    assert response.json()["response_type"] == "ephemeral"
    assert "I don't know `/cadence nope`" in response.json()["text"]
    unknown_sub = cadence.command("/cadence", "dance", user_id="U0001")
    assert "I don't know `/cadence dance`" in unknown_sub["text"]
    typo = cadence.command("/cadence", "whoam", user_id="U0001")
    assert "Did you mean `/cadence whoami`?" in typo["text"]


def test_a_direct_message_is_answered_through_the_outbox(cadence: RunningCadence, slack: FakeSlackApi) -> None:
    response = cadence.post(event_callback(_event("whoami")))
    assert response.status_code == 200
    [call] = slack.wait_for_calls("chat.postMessage")
    assert call.args["channel"] == "D0001"
    assert "Ada Lovelace" in call.args["text"]
    assert_valid_message({"text": call.args["text"], "blocks": call.args["blocks"]})
    wait_until(
        lambda: all(row.status == "sent" for row in rows(cadence, OutboxDelivery)), what="the delivery to be recorded"
    )
    [delivery] = rows(cadence, OutboxDelivery)
    assert delivery.platform_message_id == f"D0001/{call.response['ts']}"


def _event(text: str, user: str = "U0001", channel: str = "D0001") -> dict:
    return {
        "type": "message",
        "channel_type": "im",
        "user": user,
        "text": text,
        "channel": channel,
        "ts": "1700000001.000100",
    }


def test_a_redelivered_event_is_acked_and_ignored(cadence: RunningCadence, slack: FakeSlackApi) -> None:
    event = event_callback(_event("help"), event_id="Ev0REDELIVER")
    assert cadence.post(event).status_code == 200
    slack.wait_for_calls("chat.postMessage")
    again = cadence.post(event, headers=retry_headers(1))
    assert again.status_code == 200
    wait_until(
        lambda: cadence.metric("cadence_events_total", platform="slack", outcome="duplicate") == 1, what="the duplicate"
    )
    assert slack.count("chat.postMessage") == 1
    assert len(rows(cadence, OutboxDelivery)) == 1


def test_the_home_tab_is_published_with_the_persons_name(cadence: RunningCadence, slack: FakeSlackApi) -> None:
    assert cadence.post(app_home_opened("U0001")).status_code == 200
    [call] = slack.wait_for_calls("views.publish")
    view = json.loads(call.args["view"]) if isinstance(call.args["view"], str) else call.args["view"]
    assert call.args["user_id"] == "U0001"
    assert_valid_view(view)
    assert view["blocks"][0]["text"]["text"].startswith("Hi Ada Lovelace")
    assert "Who sees what" in json.dumps(view)


def test_health_answers_when_the_database_does(cadence: RunningCadence, tmp_path) -> None:
    health = cadence.http.get("/healthz")
    assert health.status_code == 200
    assert health.text.splitlines()[:2] == ["ok", "slack: connected to Acme (T0001)"], "each adapter reports"
    cadence.runtime.service.database = Database(f"sqlite:///{tmp_path}")  # a directory: nothing answers
    assert cadence.http.get("/healthz").status_code == 503
    assert cadence.http.get("/nothing-here").status_code == 404


def test_metrics_count_requests_by_kind_and_show_the_outbox(cadence: RunningCadence, slack: FakeSlackApi) -> None:
    cadence.command("/cadence", "help", user_id="U0001")
    cadence.post(event_callback(_event("help")))
    slack.wait_for_calls("chat.postMessage")
    text = cadence.http.get("/metrics").text
    assert 'cadence_requests_total{kind="command",platform="slack",status="200"} 1.0' in text
    assert 'cadence_requests_total{kind="event",platform="slack",status="200"} 1.0' in text
    assert 'cadence_ack_seconds_count{kind="command",platform="slack"} 1.0' in text
    assert "cadence_inbox_depth 0.0" in text and "cadence_inbox_failed 0.0" in text
    assert "cadence_outbox_depth" in text and 'cadence_outbox_deliveries{status="sent"}' in text


def test_a_request_acked_by_a_process_that_then_died_is_answered_by_the_next_one(tmp_path, slack: FakeSlackApi) -> None:
    with RunningCadence(tmp_path, slack) as first:
        seed_org(first)
    inbound = translate.from_command(slash_command_payload("/cadence", "whoami", user_id="U0001"))
    with first.database.session_scope() as session:  # what the first process's listener recorded inside its ack
        inbox.record(
            session,
            platform=Platform.SLACK,
            request_key="slack:command:died",
            team="T0001",
            kind="inbound",
            payload={
                "inbound": inbound_to_dict(inbound),
                "response_url": slack.response_url("died"),
                "trigger_id": "t",
            },
            now=datetime.now(UTC) - 2 * inbox.DEFAULT_LEASE,
        )
        inbox.claim_due(session, datetime.now(UTC) - inbox.DEFAULT_LEASE)  # its worker had taken it, then died
    with RunningCadence(tmp_path, slack) as second:
        [answer] = slack.wait_for_calls(RESPONSE_URL)
        assert answer.path == "/response-url/died" and "Ada Lovelace" in answer.args["text"]
        wait_until(lambda: rows(second, InboxRequest)[0].status is InboxStatus.DONE, what="the request to be done")


def test_a_form_slack_no_longer_lets_us_open_is_explained_privately(
    cadence: RunningCadence, slack: FakeSlackApi
) -> None:
    slack.fail_next("views.open", error="expired_trigger_id")
    answer = cadence.command("/goal", "new", user_id="U0001")
    assert answer["response_type"] == "ephemeral" and "took too long to open" in answer["text"]
    assert_valid_message(answer)

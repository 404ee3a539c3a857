"""While the database is away (restarting, unreachable), Slack's requests get a fast answer instead
of hanging: a command's author reads why, events get 503 (which Slack retries), health says 503
within a second; and once it is back, everything is handled again without a restart."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from tests.bot.slack.harness import RunningCadence
from tests.fakes.slack_api import RESPONSE_URL
from tests.fakes.slack_requests import event_callback, slash_command


def database_away(*args, **kwargs):
    raise sa.exc.OperationalError("INSERT INTO inbox_requests", {}, ConnectionRefusedError("connection refused"))


@pytest.fixture
def away(cadence: RunningCadence, monkeypatch: pytest.MonkeyPatch):
    """The inbox can't be written: what every request's recording meets while the database is down."""
    monkeypatch.setattr(cadence.runtime.recorder, "write", database_away)
    return monkeypatch


def im_event(text: str) -> dict:
    return {"type": "message", "channel_type": "im", "channel": "D0001", "user": "U0001", "text": text,
            "ts": "1700000001.000100"}  # fmt: skip


def test_a_command_while_the_database_is_away_is_told_so_at_once(cadence: RunningCadence, away) -> None:
    started = time.monotonic()
    ack = cadence.post(slash_command("/kudos", "@Grace thanks", response_url=cadence.slack.response_url("x")))
    assert time.monotonic() - started < 5, "not left hanging"
    assert ack.status_code == 200
    assert "can't reach its database just now, so nothing was saved" in ack.json()["text"]
    assert ack.json()["response_type"] == "ephemeral"


def test_an_event_while_the_database_is_away_gets_503_for_slack_to_retry(cadence: RunningCadence, away) -> None:
    started = time.monotonic()
    answer = cadence.post(event_callback(im_event("help"), event_id="Ev0AWAY"))
    assert time.monotonic() - started < 5, "not left hanging"
    assert answer.status_code == 503


def test_the_same_event_retried_once_the_database_is_back_is_handled(cadence: RunningCadence, away) -> None:
    assert cadence.post(event_callback(im_event("whoami"), event_id="Ev0BACK")).status_code == 503
    away.undo()
    assert cadence.post(event_callback(im_event("whoami"), event_id="Ev0BACK")).status_code == 200
    cadence.slack.wait_for_calls("chat.postMessage", 1)
    assert cadence.slack.count(RESPONSE_URL) == 0


def test_health_answers_503_within_a_second_while_the_database_does_not_answer(
    cadence: RunningCadence, monkeypatch: pytest.MonkeyPatch
) -> None:
    released = threading.Event()

    def hangs() -> bool:
        released.wait(10)
        return False

    monkeypatch.setattr(cadence.database, "ping", hangs)
    try:
        started = time.monotonic()
        health = cadence.http.get("/healthz")
        assert time.monotonic() - started < 5, "answered while the ping still hangs (after PING_TIMEOUT_SECONDS)"
        assert health.status_code == 503 and health.text.startswith("database unavailable")
        metrics = cadence.http.get("/metrics")
        assert metrics.status_code == 200
    finally:
        released.set()
    monkeypatch.undo()
    assert cadence.http.get("/healthz").status_code == 200


def test_metrics_say_the_database_is_down_instead_of_failing(cadence: RunningCadence, monkeypatch) -> None:
    assert cadence.metric("cadence_database_up") == 1
    monkeypatch.setattr(cadence.database, "session_scope", database_away)
    assert cadence.http.get("/metrics").status_code == 200
    assert cadence.metric("cadence_database_up") == 0
    assert cadence.metric("cadence_scheduler_leader") == 1, "one process on SQLite: it leads"

"""No secret ever reaches a log line, an error message, a stored error or ``/metrics``.

Full Slack and Teams flows run over HTTP against the fakes with every logger at DEBUG (Bolt's,
slack_sdk's, the Teams SDK's, MSAL's, aiohttp's, uvicorn's and ours), including requests that fail:
a forged signature, an invalid token, a Web API that refuses the token, a Bot Connector that
answers 500. Then everything written is scanned for each secret: the bot token, the signing
secret, the Teams client secret, the access tokens MSAL fetched, the tokens Teams signed its
requests with, and the key Cadence encrypts with.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.bot.slack.conftest import seed_org as seed_slack_org
from tests.bot.slack.harness import BOT_TOKEN, SIGNING_SECRET, RunningCadence, wait_until
from tests.bot.teams.conftest import ADA
from tests.bot.teams.conftest import seed_org as seed_teams_org
from tests.bot.teams.harness import RunningTeams, activity
from tests.fakes.slack_api import PROXY_ENV_VARS, FakeSlackApi
from tests.fakes.slack_requests import sign, slash_command
from tests.fakes.teams_services import APP_SECRET, CA_ENV_VARS, FakeMicrosoft


class Everything(logging.Handler):
    """Every record, with its traceback, formatted as a log file would hold it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
        if record.exc_info:
            self.lines.append("".join(traceback.format_exception(*record.exc_info)))


@pytest.fixture
def every_log_line() -> Iterator[Everything]:
    handler = Everything()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    loud = [
        logging.getLogger(name) for name in ("slack_bolt", "slack_sdk", "msal", "microsoft_teams", "uvicorn", "bot")
    ]
    before = {logger.name: (logger.level, logger.propagate) for logger in loud}
    for logger in loud:
        logger.setLevel(logging.DEBUG)
        logger.propagate = True
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)
    for logger in loud:
        logger.setLevel(before[logger.name][0])
        logger.propagate = before[logger.name][1]


def stored_text(database_engine: sa.Engine) -> str:
    """Every error Cadence stored (inbox, outbox), as an operator's query shows them."""
    with database_engine.connect() as connection:
        rows = [
            *connection.execute(sa.text("SELECT error FROM inbox_requests")),
            *connection.execute(sa.text("SELECT last_error FROM outbox_deliveries")),
        ]
    return "\n".join(str(value) for (value,) in rows if value)


def assert_nowhere(secrets: Iterable[str], *places: str) -> None:
    written = "\n".join(places)
    for secret in secrets:
        assert secret and len(secret) >= 8, "a secret this short would match by chance"
        assert secret not in written, f"a secret ({secret[:6]}…) was written out"


def key_of(database_path: Path) -> str:
    return (database_path.parent / f"{database_path.name}.key").read_text().strip()


def test_slack_flows_at_debug_log_no_secret(
    tmp_path: Path, every_log_line: Everything, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (*PROXY_ENV_VARS, "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    with FakeSlackApi() as slack, RunningCadence(tmp_path, slack) as cadence:
        seed_slack_org(cadence)
        cadence.command("/cadence", "whoami", user_id="U0001")
        cadence.command("/kudos", "<@U0002|grace> for the release notes", user_id="U0001", channel_id="C0GENERAL")
        slack.wait_for_calls("chat.postMessage", 1)
        slack.fail_next("chat.postMessage", error="invalid_auth")  # Slack refusing the token
        cadence.command("/kudos", "<@U0002|grace> for the review", user_id="U0001", channel_id="C0GENERAL")
        wait_until(lambda: "invalid_auth" in stored_text(cadence.database.engine), what="the refused delivery")
        forged = cadence.http.post(
            "/slack/events",
            content=b"command=/kudos&text=x",
            headers={"X-Slack-Signature": "v0=" + "0" * 64, "X-Slack-Request-Timestamp": "1"},
        )
        assert forged.status_code == 401
        body, headers = sign("the-wrong-secret-entirely", slash_command("/cadence", "help"))
        assert cadence.http.post("/slack/events", content=body.encode(), headers=headers).status_code == 401
        metrics = cadence.http.get("/metrics").text
        health = cadence.http.get("/healthz").text
        errors = stored_text(cadence.database.engine)
        key = key_of(tmp_path / "service.db")
    out, err = capfd.readouterr()
    assert any("slack_sdk" in line for line in every_log_line.lines), "slack_sdk's debug lines were captured"
    assert_nowhere([BOT_TOKEN, SIGNING_SECRET, key], *every_log_line.lines, out, err, metrics, health, errors)


def test_teams_flows_at_debug_log_no_secret(
    tmp_path: Path, every_log_line: Everything, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (*PROXY_ENV_VARS, *CA_ENV_VARS, "CLIENT_ID", "CLIENT_SECRET", "TENANT_ID", "SERVICE_URL"):
        monkeypatch.delenv(name, raising=False)
    with FakeMicrosoft() as microsoft:
        for name, value in microsoft.ca_environment().items():
            monkeypatch.setenv(name, value)
        signed_with: list[str] = []
        authorization = microsoft.authorization

        def recording(*args, **kwargs) -> dict[str, str]:
            headers = authorization(*args, **kwargs)
            signed_with.append(headers["Authorization"].split(" ", 1)[1])
            return headers

        monkeypatch.setattr(microsoft, "authorization", recording)
        with RunningTeams(tmp_path, microsoft) as teams:
            seed_teams_org(teams)
            teams.install(ADA)
            teams.say(ADA, "whoami")
            teams.sent(ADA.conversation, 2)
            teams.say(ADA, "kudos @grace for the migration plan")
            teams.sent(ADA.conversation, 3)
            forged = activity("message_personal", **teams.fill(ADA, text="hi"))
            refused = teams.post(forged, headers={"Authorization": "Bearer not.a.token"})
            assert refused.status_code == 401
            metrics = teams.http.get("/metrics").text
            errors = stored_text(teams.database.engine)
            key = key_of(tmp_path / "teams.db")
            recorded = microsoft.requests()
    out, err = capfd.readouterr()
    outgoing = {request.bearer_token for request in recorded if request.bearer_token}
    assert outgoing, "Cadence called the Bot Connector with access tokens"
    assert signed_with, "Teams' requests to Cadence carried signed tokens"
    assert any("msal" in line for line in every_log_line.lines), "MSAL's debug lines were captured"
    assert_nowhere([APP_SECRET, key, *outgoing, *signed_with], *every_log_line.lines, out, err, metrics, errors)

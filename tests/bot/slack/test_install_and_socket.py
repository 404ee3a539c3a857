"""Multi-workspace install over OAuth, and the same listeners over Socket Mode."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from sqlmodel import select

from bot.slack.surface import BOT_SCOPES
from conversations.messages import Platform
from storage import connections, org_import, workspaces
from storage.models import SlackBot, SlackOAuthState, Workspace
from tests.bot.slack.harness import RunningCadence
from tests.fakes.slack_api import INSTALLED_BOT_TOKEN, RESPONSE_URL, SOCKET_MODE_ACK, FakeSlackApi
from tests.fakes.slack_requests import slash_command_payload


def test_installing_from_slack_stores_the_bot_and_serves_that_workspace(tmp_path: Path, slack: FakeSlackApi) -> None:
    settings = {"slack_bot_token": None, "slack_client_id": "111.222", "slack_client_secret": "shh"}
    with RunningCadence(tmp_path, slack, **settings) as cadence:
        install = cadence.http.get("/slack/install")
        assert install.status_code == 200
        authorize_url = re.search(r'href="(https://slack.com/oauth[^"]+)"', install.text).group(1).replace("&amp;", "&")
        state = parse_qs(urlparse(authorize_url).query)["state"][0]
        assert parse_qs(urlparse(authorize_url).query)["scope"][0].split(",") == [scope.name for scope in BOT_SCOPES]
        cookie = install.headers["set-cookie"].split(";")[0]
        forged = cadence.http.get(
            "/slack/oauth_redirect", params={"code": "c0de", "state": "forged"}, headers={"cookie": cookie}
        )
        assert forged.status_code in (400, 401)
        done = cadence.http.get(
            "/slack/oauth_redirect", params={"code": "c0de", "state": state}, headers={"cookie": cookie}
        )
        assert done.status_code == 200, done.text
        assert slack.last("oauth.v2.access").args["code"] == "c0de"
        with cadence.database.session_scope() as session:
            [bot] = session.exec(select(SlackBot)).all()
            assert bot.team_id == "T0001" and bot.data["bot_token"] == INSTALLED_BOT_TOKEN
            workspace = workspaces.find(session, Platform.SLACK, "T0001")
            assert connections.platforms_of(session, workspace.id) == {Platform.SLACK}
            assert session.exec(select(SlackOAuthState)).all() == [], "a state is used once"
            assert org_import.import_org(session, workspace.id, "email,name,slack_id\nada@acme.example,Ada,U0001\n").ok
        auth_tests = slack.count("auth.test")
        answer = cadence.command("/cadence", "whoami", user_id="U0001")
        assert "Ada" in answer["text"]
        assert slack.count("auth.test") == auth_tests, "requests are authorised from the database, not auth.test"


def test_an_install_never_takes_over_an_org_imported_for_another_team(tmp_path: Path, slack: FakeSlackApi) -> None:
    settings = {"slack_bot_token": None, "slack_client_id": "111.222", "slack_client_secret": "shh"}
    with RunningCadence(tmp_path, slack, **settings) as cadence:
        with cadence.database.session_scope() as session:
            imported = Workspace(name="Our org")
            session.add(imported)
            session.flush()
            imported_id = imported.id
        install = cadence.http.get("/slack/install")
        state = re.search(r"state=([^&\"]+)", install.text).group(1)
        cookie = install.headers["set-cookie"].split(";")[0]
        assert (
            cadence.http.get(
                "/slack/oauth_redirect", params={"code": "c", "state": state}, headers={"cookie": cookie}
            ).status_code
            == 200
        )
        with cadence.database.session_scope() as session:
            assert connections.platforms_of(session, imported_id) == set(), "the imported org is still unconnected"
            assert workspaces.find(session, Platform.SLACK, "T0001").id != imported_id


def test_socket_mode_runs_the_same_listeners(tmp_path: Path, slack: FakeSlackApi) -> None:
    settings = {"slack_signing_secret": None, "slack_app_token": "xapp-1-test"}
    with RunningCadence(tmp_path, slack, socket_mode=True, **settings) as cadence:
        with cadence.database.session_scope() as session:
            workspace = session.exec(select(Workspace)).one()
            assert org_import.import_org(session, workspace.id, "email,name,slack_id\nada@acme.example,Ada,U0001\n").ok
        envelope = slack.send_socket_envelope(
            "slash_commands",
            slash_command_payload("/cadence", "whoami", user_id="U0001", response_url=slack.response_url("socket")),
            accepts_response_payload=True,
        )
        [ack] = [call for call in slack.wait_for_calls(SOCKET_MODE_ACK) if call.args["envelope_id"] == envelope]
        assert not ack.args.get("payload"), "the command is only recorded inside the ack"
        [answer] = slack.wait_for_calls(RESPONSE_URL)
        assert answer.path == "/response-url/socket" and answer.args["response_type"] == "ephemeral"
        assert "Ada" in answer.args["text"]
        assert slack.last("apps.connections.open").token == "xapp-1-test"
        assert cadence.http.get("/healthz").status_code == 200

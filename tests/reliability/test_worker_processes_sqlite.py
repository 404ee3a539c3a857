"""``cadence serve`` with a worker process (``CADENCE_WORKER_PROCESSES=1``) on SQLite, as an operator
runs it: real processes against the fake Slack. The serving process acks and the worker answers;
the worker keeps the database file's lock, stops with its serving process (``kill -9`` included)
and is started again when it dies on its own. Unlike the other fault tests these need no PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conversations.messages import Platform
from storage import org_import
from storage.connections import new_organisation
from storage.database import Database
from storage.secrets import new_key
from tests.bot.teams.harness import activity
from tests.fakes.slack_api import SOCKET_MODE_ACK, SOCKET_MODE_CONNECT, TEAM_ID, FakeSlackApi
from tests.fakes.slack_requests import slash_command_payload
from tests.fakes.teams_services import APP_ID, APP_SECRET, BOT_ID, CA_ENV_VARS, TENANT_ID, FakeMicrosoft
from tests.reliability.replicas import (
    Replica,
    answers_by_path,
    build_command,
    cadence_environment,
    replica_environment,
    run_cadence,
    wait_until,
)

ORG = """email,name,slack_id,timezone
ada@acme.example,Ada Lovelace,U0000001,Etc/UTC
grace@acme.example,Grace Hopper,U0000002,Etc/UTC
"""
EXIT_WITHIN = 20.0
WORKER_PID = re.compile(r"worker processes: 1 of 1 running \(pid (\d+)\)")


@pytest.fixture
def environment(tmp_path: Path, slack: FakeSlackApi) -> dict[str, str]:
    """A SQLite file migrated by `cadence db upgrade`, Acme connected to Slack team T0001 in it, and what
    `cadence serve` runs with: one worker process."""
    url = f"sqlite:///{tmp_path / 'cadence.db'}"
    secret_key = new_key()
    run_cadence(["db", "upgrade"], cadence_environment(url, secret_key), tmp_path)
    database = Database(url, secret_keys=secret_key)
    with database.session_scope() as session:
        workspace = new_organisation(session, "Acme", Platform.SLACK, TEAM_ID)
        assert workspace.id is not None
        assert org_import.import_org(session, workspace.id, ORG).ok
    database.dispose()
    return replica_environment(url, slack, secret_key, CADENCE_WORKER_PROCESSES="1")


@pytest.fixture
def served(environment: dict[str, str], tmp_path: Path) -> Iterator[Replica]:
    """The serving process; killed after the test, whereupon its worker stops on its own (its wake pipe ends)."""
    replica = Replica("serving", environment, tmp_path).start().wait_until_serving()
    try:
        yield replica
    finally:
        replica.cleanup()


def worker_pid_in(replica: Replica) -> int | None:
    """The worker process's pid, as the serving process's /healthz tells it."""
    match = WORKER_PID.search(replica.healthz().text)
    return int(match.group(1)) if match else None


def worker_pid_of(replica: Replica) -> int:
    pid = worker_pid_in(replica)
    assert pid is not None, f"no worker process in /healthz:\n{replica.log_tail()}"
    return pid


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def answered(slack: FakeSlackApi, replica: Replica, name: str) -> None:
    command = build_command(slack, name, "/cadence", "help", user_id="U0000001")
    assert replica.post_slack(command.body).status_code == 200
    wait_until(lambda: command.response_path in answers_by_path(slack), 15, f"{name} to be answered")


def test_the_worker_process_answers_what_the_serving_process_acked_and_is_counted_there(
    served: Replica, slack: FakeSlackApi
) -> None:
    worker = worker_pid_of(served)
    assert worker != served.process.pid and alive(worker)
    answered(slack, served, "first")
    wait_until(
        lambda: served.metric("cadence_events_total", platform="slack", outcome="processed") == 1,
        5,
        "the serving process's /metrics to count what its worker handled",
    )
    assert served.metric("cadence_scheduler_leader") == 1
    assert served.metric("cadence_worker_processes_running") == 1
    assert os.getpriority(os.PRIO_PROCESS, worker) > os.getpriority(os.PRIO_PROCESS, served.process.pid)


def test_the_worker_keeps_the_database_file_s_lock_and_stops_when_its_serving_process_is_killed(
    served: Replica, environment: dict[str, str], tmp_path: Path
) -> None:
    worker = worker_pid_of(served)
    lock_file = str(tmp_path / "cadence.db.serving")
    held = {os.readlink(f"/proc/{worker}/fd/{fd}") for fd in os.listdir(f"/proc/{worker}/fd")}
    assert lock_file in held  # so a second `cadence serve` stays refused while the worker lives

    second = Replica("second", environment, tmp_path).start()
    assert second.wait_for_exit(60) == 1
    assert "is already served by" in second.logs()

    assert served.process is not None
    served.process.kill()  # the serving process alone: its worker reads the end of the wake pipe
    served.wait_for_exit(10)
    wait_until(lambda: not alive(worker), EXIT_WITHIN, "the worker process to stop after its serving process died")
    again = Replica("again", environment, tmp_path).start().wait_until_serving()
    try:
        assert again.healthz().status_code == 200
    finally:
        again.cleanup()


def test_sigterm_stops_the_serving_process_and_its_worker(served: Replica) -> None:
    worker = worker_pid_of(served)
    served.terminate()
    assert served.wait_for_exit(EXIT_WITHIN) in (0, -signal.SIGTERM), served.log_tail()
    assert not alive(worker)


def test_a_worker_process_that_dies_is_started_again_and_answers(served: Replica, slack: FakeSlackApi) -> None:
    first = worker_pid_of(served)
    os.kill(first, signal.SIGKILL)
    wait_until(
        lambda: worker_pid_in(served) not in (None, first),
        30,
        "a new worker process",
        every=0.2,
    )
    assert "worker process 1" in served.logs() and "starting it again" in served.logs()
    answered(slack, served, "after-restart")


def test_more_than_one_worker_process_on_sqlite_is_refused_in_one_sentence(
    environment: dict[str, str], tmp_path: Path
) -> None:
    replica = Replica("two", {**environment, "CADENCE_WORKER_PROCESSES": "2"}, tmp_path).start()
    assert replica.wait_for_exit(60) == 1
    assert "cadence: SQLite lets one writer in at a time, so it takes one worker process" in replica.logs()


def test_teams_is_answered_by_the_worker_process_too(
    environment: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker signs in to Microsoft itself and answers through the Bot Connector what the serving
    process validated and recorded."""
    for name in (*CA_ENV_VARS, "CLIENT_ID", "CLIENT_SECRET", "TENANT_ID", "SERVICE_URL"):
        monkeypatch.delenv(name, raising=False)
    with FakeMicrosoft() as microsoft:
        teams = {
            "TEAMS_APP_ID": APP_ID,
            "TEAMS_APP_PASSWORD": APP_SECRET,
            "TEAMS_TENANT_ID": TENANT_ID,
            "TEAMS_LOGIN_URL": microsoft.login_url,
            "TEAMS_OPENID_METADATA_URL": microsoft.openid_metadata_url,
            "TEAMS_TOKEN_ISSUER": microsoft.issuer,
            "TEAMS_SERVICE_URL": microsoft.base_url,
            **microsoft.ca_environment(),
        }
        replica = Replica("both", {**environment, **teams}, tmp_path).start().wait_until_serving()
        try:
            assert worker_pid_in(replica) is not None
            body = activity(
                "message_personal",
                text="help",
                activity_id="act-1",
                service_url=microsoft.base_url,
                user_key="29:1ada",
                user_name="Ada Lovelace",
                aad_object_id="00000000-0000-0000-0000-00000000ada1",
                tenant_id=TENANT_ID,
                conversation_id="a:chat-ada",
                bot_id=BOT_ID,
            )
            posted = httpx.post(
                replica.base_url + "/api/messages",
                json=body,
                headers=microsoft.authorization(APP_ID, microsoft.base_url),
                timeout=10,
            )
            assert posted.status_code in (200, 202), posted.text
            wait_until(lambda: microsoft.sent("a:chat-ada"), 20, "a reply in Ada's chat with Cadence")
        finally:
            replica.cleanup()


def test_both_processes_log_one_json_object_a_line_with_who_wrote_it(
    environment: dict[str, str], tmp_path: Path, slack: FakeSlackApi
) -> None:
    replica = Replica("json", {**environment, "LOG_FORMAT": "json", "LOG_LEVEL": "info"}, tmp_path).start()
    try:
        replica.wait_until_serving()
        worker = worker_pid_of(replica)
        answered(slack, replica, "logged")
        assert replica.process is not None
        serving = replica.process.pid
        records = [json.loads(line) for line in replica.stderr_path.read_text().splitlines() if line.startswith("{")]
        by_pid = {record["pid"] for record in records}
        assert {serving, worker} <= by_pid, replica.log_tail()
        assert all({"timestamp", "level", "logger", "message"} <= record.keys() for record in records)
        assert any(
            record["pid"] == worker
            and record["logger"] == "bot.slack.adapter"
            and "connected to Slack" in record["message"]
            for record in records
        ), replica.log_tail()
        assert any("POST /slack/events" in record["message"] for record in records if record["pid"] == serving)
        assert not any("color_message" in record for record in records)
    finally:
        replica.cleanup()


def test_socket_mode_acks_in_the_serving_process_and_its_worker_answers(
    environment: dict[str, str], tmp_path: Path, slack: FakeSlackApi
) -> None:
    """``cadence socket`` (how most self-hosted installs start): one websocket, opened by the serving
    process alone, and the command it acked answered by its worker process."""
    settings = {**environment, "SLACK_APP_TOKEN": "xapp-1-test"}
    settings.pop("SLACK_SIGNING_SECRET")
    replica = Replica("socket", settings, tmp_path, command=("socket",)).start()
    try:
        replica.wait_until_serving()
        worker = worker_pid_of(replica)
        payload = slash_command_payload("/cadence", "help", user_id="U0000001", response_url=slack.response_url("sock"))
        envelope = slack.send_socket_envelope("slash_commands", payload, accepts_response_payload=True)
        wait_until(lambda: "/response-url/sock" in answers_by_path(slack), 15, "the command to be answered")
        [ack] = [call for call in slack.calls(SOCKET_MODE_ACK) if call.args["envelope_id"] == envelope]
        assert not ack.args.get("payload"), "the serving process only records the command inside its ack"
        wait_until(
            lambda: replica.metric("cadence_events_total", platform="slack", outcome="processed") == 1,
            5,
            "the serving process's /metrics to count what its worker handled",
        )
        assert len(slack.calls(SOCKET_MODE_CONNECT)) == 1, "the worker process opened a websocket of its own"
        assert alive(worker)
    finally:
        replica.cleanup()

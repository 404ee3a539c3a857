"""Teams message throughput and ack latency: Cadence against a bare Teams SDK app, side by side.

Both run under uvicorn in their own processes on this machine, against the same fake Microsoft on
loopback (its login over TLS, the Bot Framework signing keys, the Bot Connector), which runs in this
process. 20 concurrent clients POST message activities to ``/api/messages``, each with its own bearer
token, signed by the fake before the clock starts and validated by the SDK's validator in both
servers (signing keys cached); before measuring, each server must refuse a token signed with the
wrong key. The messages are ``kudos @pN for the release #ownership``, typed in the giver's chat with
Cadence. Cadence validates, translates and records each one in its inbox inside the ack; its inbox
worker then checks the kudos, writes it and the deliveries it owes (the confirmation in the giver's
chat, the DM in the recipient's chat), and its outbox sender delivers them to the Bot Connector, all
in the same process while the load goes on. The bare app (``bench/bare_teams_app.py``) only routes
the activity to a no-op handler. Rounds alternate between the two (each Cadence round ends only when
every delivery of the round has reached the fake Bot Connector, so no backlog spills into the next
round); the figures are the medians of the rounds.

Target: Cadence reaches at least 0.8x the bare SDK app's throughput, p99 under 500 ms. "Delivered"
is the rate from the first request sent to the last delivery of the round at the Bot Connector.

Givers and recipients are random pairs of 1,000 people who all have a chat with Cadence already, and
no Teams kudos channel is configured: Cadence keeps to Teams' limits before each call (50 calls a
second per tenant; 7 a second and 60 in 30 seconds per conversation), so one recipient, one kudos
channel or chats still to be created would hold each round's deliveries to about two a second in
one conversation. The fake's per-app limit is off: the spacing measured is Cadence's own.

    .venv/bin/python bench/teams_ack.py [--requests 2000] [--rounds 3] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import IO

import aiohttp
from sqlmodel import select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.slack_ack import closed_checkin_window, drive, free_port, percentile  # noqa: E402
from conversations.messages import Platform  # noqa: E402
from conversations.workspace_settings import validate_settings  # noqa: E402
from storage import migrate, org_import, workspaces  # noqa: E402
from storage.connections import new_organisation  # noqa: E402
from storage.conversation_store import remember_reference  # noqa: E402
from storage.database import Database  # noqa: E402
from storage.models import Person  # noqa: E402
from tests.bot.teams.harness import activity  # noqa: E402
from tests.fakes.teams_services import (  # noqa: E402
    APP_ID,
    APP_SECRET,
    BOT_ID,
    CA_ENV_VARS,
    PROXY_ENV_VARS,
    REPLY,
    SEND,
    TENANT_ID,
    FakeMicrosoft,
)

PEOPLE = 1000
SDK_ENV_VARS = (
    "CLIENT_ID",
    "CLIENT_SECRET",
    "TENANT_ID",
    "MANAGED_IDENTITY_CLIENT_ID",
    "CLOUD",
    "SERVICE_URL",
    "OAUTH_URL",
    "DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS",
)
"""What the SDK's ``App`` would read from the environment; both servers get their settings explicitly."""
DELIVERIES_PER_KUDOS = 2  # the confirmation in the giver's chat, the DM in the recipient's


def aad(index: int) -> str:
    """Person ``index``'s Entra object id (the org file's teams_id)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-person-{index}"))


def chat(index: int) -> str:
    return f"a:chat-bench-{index}"


def seed(database_url: str, service_url: str) -> None:
    """1,000 people in an organisation connected to the fake tenant, each with a chat with Cadence."""
    database = Database(database_url)
    migrate.upgrade(database.engine)
    settings, errors = validate_settings(
        {"kudos": {"daily_allowance": 100, "values": ["ownership", "craft"]}, **closed_checkin_window()}
    )
    assert not errors, errors
    rows = ["email,name,teams_id,timezone"] + [
        f"p{i}@bench.example,Person {i},{aad(i)},Europe/Berlin" for i in range(PEOPLE)
    ]
    with database.session_scope() as session:
        workspace = new_organisation(session, "Bench", Platform.TEAMS, TENANT_ID)
        assert workspace.id is not None
        report = org_import.import_org(session, workspace.id, "\n".join(rows) + "\n")
        assert report.ok, report.errors
        workspaces.apply_settings(session, workspace, settings)
        for person in session.exec(select(Person).where(Person.workspace_id == workspace.id)):
            assert person.id is not None and person.email is not None
            index = int(person.email.removeprefix("p").split("@")[0])
            reference = {
                "conversation": chat(index),
                "service_url": service_url,
                "tenant": TENANT_ID,
                "user_key": f"29:bench-{index}",
            }
            remember_reference(session, workspace.id, person.id, Platform.TEAMS, reference)
    database.dispose()


def kudos_activity(giver: int, recipient: int, activity_id: str, service_url: str) -> bytes:
    """A message typed in the giver's chat with Cadence, as the Bot Connector posts it."""
    body = activity(
        "message_personal",
        text=f"kudos @p{recipient} for the release #ownership",
        activity_id=activity_id,
        service_url=service_url,
        user_key=f"29:bench-{giver}",
        user_name=f"Person {giver}",
        aad_object_id=aad(giver),
        tenant_id=TENANT_ID,
        conversation_id=chat(giver),
        bot_id=BOT_ID,
    )
    return json.dumps(body).encode()


def signed_messages(count: int, rng: random.Random, microsoft: FakeMicrosoft, label: str) -> list[tuple[bytes, dict]]:
    """Kudos from many givers (so no daily allowance runs out), each with a token of its own, signed
    before the clock starts."""
    requests = []
    for index in range(count):
        giver, recipient = rng.sample(range(PEOPLE), 2)
        body = kudos_activity(giver, recipient, f"bench-{label}-{index}-{rng.getrandbits(32):08x}", microsoft.base_url)
        headers = {**microsoft.authorization(APP_ID, microsoft.base_url), "content-type": "application/json"}
        requests.append((body, headers))
    return requests


async def status_with_a_forged_token(url: str, microsoft: FakeMicrosoft) -> int:
    """The status a server answers a kudos whose token is signed with a key Microsoft doesn't serve."""
    forged = microsoft.mint(APP_ID, microsoft.base_url, key="other")
    headers = {"Authorization": f"Bearer {forged}", "content-type": "application/json"}
    async with aiohttp.ClientSession() as client:
        body = kudos_activity(0, 1, f"bench-forged-{uuid.uuid4().hex}", microsoft.base_url)
        async with client.post(url, data=body, headers=headers) as response:
            return response.status


def delivered_at(microsoft: FakeMicrosoft) -> list[float]:
    """When each activity the Bot Connector accepted arrived (monotonic), oldest first."""
    return [request.at for request in microsoft.requests() if request.ok and request.kind in (SEND, REPLY)]


def wait_for_deliveries(microsoft: FakeMicrosoft, label: str, expected: int) -> float:
    """Wait until the fake Bot Connector has accepted ``expected`` activities in all; returns the
    monotonic time the last one arrived."""
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        times = delivered_at(microsoft)
        if len(times) >= expected:
            return times[expected - 1]
        time.sleep(0.05)
    sys.exit(f"round {label}: only {len(times)} of {expected} activities reached the Bot Connector")


def start(command: list[str], environment: dict, port: int, log: IO[str]) -> subprocess.Popen:
    """Start a server, its output to ``log`` (a pipe nobody reads would fill and stall it); returns once it accepts connections."""
    process = subprocess.Popen(command, env=environment, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            if process.poll() is not None:
                log.seek(0)
                sys.exit(f"{command[:4]} exited:\n{log.read()[-2000:]}")
            time.sleep(0.1)
    sys.exit(f"{command[:4]} did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(11)
    scrubbed = (*PROXY_ENV_VARS, *CA_ENV_VARS, *SDK_ENV_VARS)
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in scrubbed and not key.startswith(("SLACK_", "TEAMS_"))
    }
    with (
        tempfile.TemporaryDirectory() as folder,
        FakeMicrosoft(per_app_per_second=None) as microsoft,
        tempfile.TemporaryFile("w+") as cadence_log,
        tempfile.TemporaryFile("w+") as bare_log,
    ):
        database_url = f"sqlite:///{Path(folder) / 'ack.db'}"
        seed(database_url, microsoft.base_url)
        environment.update(
            microsoft.ca_environment(),  # MSAL signs in to the fake login over TLS
            TEAMS_APP_ID=APP_ID,
            TEAMS_APP_PASSWORD=APP_SECRET,
            TEAMS_TENANT_ID=TENANT_ID,
            TEAMS_LOGIN_URL=microsoft.login_url,
            TEAMS_OPENID_METADATA_URL=microsoft.openid_metadata_url,
            TEAMS_TOKEN_ISSUER=microsoft.issuer,
            TEAMS_SERVICE_URL=microsoft.base_url,
            PYTHON_DOTENV_DISABLED="1",
            LOG_LEVEL="WARNING",
        )
        cadence_port, bare_port = free_port(), free_port()
        servers = {
            "cadence": start(
                [sys.executable, "-m", "bot", "--database-url", database_url, "serve", "--port", str(cadence_port)],
                environment,
                cadence_port,
                cadence_log,
            ),
            "bare sdk": start(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "--app-dir",
                    "bench",
                    "bare_teams_app:app",
                    "--port",
                    str(bare_port),
                    "--log-level",
                    "warning",
                ],
                environment,
                bare_port,
                bare_log,
            ),
        }
        urls = {
            "cadence": f"http://127.0.0.1:{cadence_port}/api/messages",
            "bare sdk": f"http://127.0.0.1:{bare_port}/api/messages",
        }
        results: dict[str, list[tuple[float, float, float, int]]] = {name: [] for name in urls}
        delivered: list[float] = []
        expected = 0
        try:
            for name, url in urls.items():
                status = asyncio.run(status_with_a_forged_token(url, microsoft))
                if status != 401:
                    sys.exit(
                        f"{name} answered {status} to a forged token, not 401: it would be measured without validating"
                    )
            for name, url in urls.items():  # warm up: imports, the signing keys, SQLite caches
                asyncio.run(drive(url, signed_messages(200, rng, microsoft, "warm"), args.concurrency))
                if name == "cadence":
                    expected += DELIVERIES_PER_KUDOS * 200
                    wait_for_deliveries(microsoft, "warm", expected)
            for round_number in range(args.rounds):
                for name, url in urls.items():
                    label = f"r{round_number}"
                    started_at, seconds, latencies, failures = asyncio.run(
                        drive(url, signed_messages(args.requests, rng, microsoft, label), args.concurrency)
                    )
                    results[name].append(
                        (args.requests / seconds, percentile(latencies, 0.5), percentile(latencies, 0.99), failures)
                    )
                    print(f"  round {round_number + 1} {name:10s} {args.requests / seconds:7.1f} req/s", flush=True)
                    if name == "cadence":
                        expected += DELIVERIES_PER_KUDOS * args.requests
                        last = wait_for_deliveries(microsoft, label, expected)
                        delivered.append(args.requests / (last - started_at))
            surplus = len(delivered_at(microsoft)) - expected
        finally:
            for process in servers.values():
                process.terminate()
                process.wait(timeout=10)
    print(
        f"Teams message ack: {args.requests} signed kudos activities x {args.rounds} rounds, "
        f"{args.concurrency} concurrent, 2 cores"
    )
    summary = {}
    for name, rounds in results.items():
        throughput = statistics.median(r[0] for r in rounds)
        p50 = statistics.median(r[1] for r in rounds) * 1000
        p99 = statistics.median(r[2] for r in rounds) * 1000
        failures = sum(r[3] for r in rounds)
        summary[name] = throughput
        print(f"  {name:10s} {throughput:7.1f} req/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   non-200: {failures}")
    print(
        f"  ratio cadence / bare sdk: {summary['cadence'] / summary['bare sdk']:.2f}x   "
        "target at least 0.8x, p99 under 500 ms"
    )
    print(
        f"  cadence delivered {statistics.median(delivered):.1f} kudos/s end to end "
        f"(first request sent to the last confirmation or DM at the Bot Connector; {surplus} unexpected deliveries)"
    )


if __name__ == "__main__":
    main()

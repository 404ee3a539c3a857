"""Slash-command throughput and ack latency: Cadence against a bare Bolt app, side by side.

Both run under uvicorn in their own processes on this machine, against the same fake Slack Web
API on loopback. 20 concurrent clients send signed `/kudos` commands. Cadence records each one
in its inbox inside the ack; its inbox worker then checks the kudos, writes it and the
deliveries it owes (the answer to the command's response_url, the card, the recipient's DM),
and its outbox sender delivers them, all in the same process while the load goes on. The bare
app only acks. Rounds alternate between the two (each Cadence round ends only when every answer,
card and DM of the round has reached the fake Slack, so no backlog spills into the next round);
the figures are the medians of the rounds.

Target (issue 3): Cadence reaches at least 0.8x the bare Bolt throughput, p99 under 500 ms.
"Answered" is the rate at which the answers reached the command authors (first request sent to
last answer received), for the full picture.

    .venv/bin/python bench/slack_ack.py [--requests 2000] [--rounds 3] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from conversations.messages import Platform  # noqa: E402
from conversations.workspace_settings import validate_settings  # noqa: E402
from storage import migrate, org_import, workspaces  # noqa: E402
from storage.connections import new_organisation  # noqa: E402
from storage.database import Database  # noqa: E402
from tests.fakes.slack_api import PROXY_ENV_VARS, RESPONSE_URL, TEAM_ID, FakeSlackApi  # noqa: E402
from tests.fakes.slack_requests import signed_headers  # noqa: E402

SECRET = "bench-signing-secret"
PEOPLE = 1000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def seed(database_url: str) -> None:
    database = Database(database_url)
    migrate.upgrade(database.engine)
    settings, errors = validate_settings(
        {
            "kudos": {"channel": "#kudos", "daily_allowance": 100, "values": ["ownership", "craft"]},
            **closed_checkin_window(),
        }
    )
    assert not errors
    rows = ["email,name,slack_id,timezone"] + [
        f"p{i}@bench.example,Person {i},U{i:07d},Europe/Berlin" for i in range(PEOPLE)
    ]
    with database.session_scope() as session:
        workspace = new_organisation(session, "Bench", Platform.SLACK, TEAM_ID)
        assert org_import.import_org(session, workspace.id, "\n".join(rows) + "\n").ok
        workspaces.apply_settings(session, workspace, settings)
    database.dispose()


def closed_checkin_window() -> dict:
    """Check-in and digest days that keep every check-in window shut while the benchmark runs: an open
    window makes the first tick send 1,000 prompts through the same sender (what checkin_fanout.py
    measures), which would be measured here as noise."""
    today = datetime.now(UTC).date()
    day = (today + timedelta(days=2)).strftime("%A").lower()
    next_day = (today + timedelta(days=3)).strftime("%A").lower()
    return {"checkins": {"day": day, "time": "10:00"}, "digest": {"day": next_day, "time": "09:00"}}


def signed_commands(count: int, rng: random.Random, slack: FakeSlackApi, label: str) -> list[tuple[bytes, dict]]:
    """Signed /kudos requests from many givers (so no daily allowance runs out), signed before the clock starts;
    each names its own response URL on the fake (``label``-index), where Cadence's answer arrives."""
    requests = []
    for index in range(count):
        giver, recipient = rng.sample(range(PEOPLE), 2)
        body = urllib.parse.urlencode(
            {
                "command": "/kudos",
                "text": f"<@U{recipient:07d}|person{recipient}> for the benchmark #ownership",
                "user_id": f"U{giver:07d}",
                "team_id": TEAM_ID,
                "channel_id": "C0BENCH",
                "trigger_id": f"bench.{index}.{rng.random()}",
                "response_url": slack.response_url(f"{label}-{index}"),
            }
        )
        headers = {**signed_headers(SECRET, body), "content-type": "application/x-www-form-urlencoded"}
        requests.append((body.encode(), headers))
    return requests


async def drive(url: str, requests, concurrency: int) -> tuple[float, float, list[float], int]:
    """Send every request with ``concurrency`` in flight; returns (started, seconds, latencies, failures)."""
    latencies: list[float] = []
    failures = 0
    queue = iter(requests)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as client:

        async def worker() -> None:
            nonlocal failures
            for body, headers in queue:
                started = time.perf_counter()
                async with client.post(url, data=body, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        failures += 1
                latencies.append(time.perf_counter() - started)

        started_at, started = time.monotonic(), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return started_at, time.perf_counter() - started, latencies, failures


def wait_for_answers(slack: FakeSlackApi, label: str, count: int, posts_before: int) -> float:
    """Wait until every answer of round ``label`` and every card and DM it caused reached the fake;
    returns the monotonic time the last answer arrived."""
    prefix = f"/response-url/{label}-"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        answers = [call.at for call in slack.calls(RESPONSE_URL) if call.path.startswith(prefix)]
        if len(answers) >= count and slack.count("chat.postMessage") >= posts_before + 2 * count:
            return max(answers)
        time.sleep(0.05)
    sys.exit(f"round {label}: only {len(answers)} of {count} answers arrived")


def start(command: list[str], environment: dict, port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        command, env=environment, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            if process.poll() is not None:
                sys.exit(f"{command[:4]} exited:\n{process.stderr.read()[-2000:]}")
            time.sleep(0.1)
    sys.exit(f"{command[:4]} did not start")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(11)
    environment = {key: value for key, value in os.environ.items() if key not in PROXY_ENV_VARS}
    with tempfile.TemporaryDirectory() as folder, FakeSlackApi() as slack:
        database_url = f"sqlite:///{Path(folder) / 'ack.db'}"
        seed(database_url)
        environment.update(
            SLACK_BOT_TOKEN="xoxb-bench", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=slack.base_url, LOG_LEVEL="WARNING"
        )
        cadence_port, bare_port = free_port(), free_port()
        servers = {
            "cadence": start(
                [sys.executable, "-m", "bot", "--database-url", database_url, "serve", "--port", str(cadence_port)],
                environment,
                cadence_port,
            ),
            "bare bolt": start(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "--app-dir",
                    "bench",
                    "bare_bolt_app:app",
                    "--port",
                    str(bare_port),
                    "--log-level",
                    "warning",
                ],
                environment,
                bare_port,
            ),
        }
        urls = {
            "cadence": f"http://127.0.0.1:{cadence_port}/slack/events",
            "bare bolt": f"http://127.0.0.1:{bare_port}/slack/events",
        }
        results: dict[str, list[tuple[float, float, float, int]]] = {name: [] for name in urls}
        answered: list[float] = []
        try:
            for name, url in urls.items():  # warm up: imports, first auth.test, SQLite caches
                posts = slack.count("chat.postMessage")
                asyncio.run(drive(url, signed_commands(200, rng, slack, "warm"), args.concurrency))
                if name == "cadence":
                    wait_for_answers(slack, "warm", 200, posts)
            for round_number in range(args.rounds):
                for name, url in urls.items():
                    label = f"r{round_number}"
                    posts = slack.count("chat.postMessage")
                    started_at, seconds, latencies, failures = asyncio.run(
                        drive(url, signed_commands(args.requests, rng, slack, label), args.concurrency)
                    )
                    results[name].append(
                        (args.requests / seconds, percentile(latencies, 0.5), percentile(latencies, 0.99), failures)
                    )
                    print(f"  round {round_number + 1} {name:10s} {args.requests / seconds:7.1f} req/s", flush=True)
                    if name == "cadence":
                        last_answer = wait_for_answers(slack, label, args.requests, posts)
                        answered.append(args.requests / (last_answer - started_at))
        finally:
            for process in servers.values():
                process.terminate()
                process.wait(timeout=10)
    print(
        f"slash-command ack: {args.requests} signed /kudos x {args.rounds} rounds, {args.concurrency} concurrent, 2 cores"
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
        f"  ratio cadence / bare bolt: {summary['cadence'] / summary['bare bolt']:.2f}x   target at least 0.8x, p99 under 500 ms"
    )
    print(
        f"  cadence answered {statistics.median(answered):.1f} commands/s end to end "
        "(first request sent to last answer at its response_url, cards and DMs delivered too)"
    )


if __name__ == "__main__":
    main()

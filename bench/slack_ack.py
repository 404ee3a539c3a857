"""Slash-command throughput and ack latency: Cadence against a bare Bolt app, side by side.

Both run under uvicorn in their own processes on this machine, against the same fake Slack Web
API on loopback. 20 concurrent clients send signed `/kudos` commands. Cadence records each one
in its inbox inside the ack; its inbox worker then checks the kudos, writes it and the
deliveries it owes (the answer to the command's response_url, the card, the recipient's DM),
and its outbox sender delivers them, all in the same process while the load goes on. The bare
app only acks. Rounds alternate between the two (each Cadence round ends only when every answer,
card and DM of the round has reached the fake Slack, so no backlog spills into the next round);
the figures are the medians of the rounds.

``--database both`` (the default) serves a Cadence on a SQLite file and another on a fresh
PostgreSQL database (created for the run, dropped after it) side by side: every round gives each
of the three servers its turn, so the columns share the machine's state. ``--database sqlite``
is the measurement as it was before PostgreSQL joined.

Target (issue 3): Cadence reaches at least 0.8x the bare Bolt throughput, p99 under 500 ms.
"Answered" is the rate at which the answers reached the command authors (first request sent to
last answer received), for the full picture.

    .venv/bin/python bench/slack_ack.py [--requests 2000] [--rounds 3] [--concurrency 20] [--database postgres|sqlite|both]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.postgres import fresh_database  # noqa: E402
from conversations.messages import Platform  # noqa: E402
from conversations.workspace_settings import validate_settings  # noqa: E402
from storage import migrate, org_import, workspaces  # noqa: E402
from storage.connections import new_organisation  # noqa: E402
from storage.database import Database  # noqa: E402
from storage.secrets import new_key  # noqa: E402
from tests.fakes.slack_api import PROXY_ENV_VARS, RESPONSE_URL, TEAM_ID, Call, FakeSlackApi  # noqa: E402
from tests.fakes.slack_requests import signed_headers  # noqa: E402

SECRET = "bench-signing-secret"
ROUND_TIMEOUT = 600  # seconds a round's answers, cards and DMs may take before the benchmark gives up
BARE = "bare"
PEOPLE = 1000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def seed(database_url: str, secret_key: str) -> None:
    database = Database(database_url, secret_keys=secret_key)
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


class RoundWatch:
    """What one round (its label) brought to the fake Slack: the answers at its response URLs and every
    message posted since it began. Each look reads only the calls recorded since the last one: the fake
    serves Cadence from this process while the benchmark polls, and reading its whole record (tens of
    thousands of calls) every 50 ms would take the interpreter and the fake's lock from it."""

    def __init__(self, slack: FakeSlackApi, label: str) -> None:
        self.slack = slack
        self.prefix = f"/response-url/{label}-"
        self.seen = slack.recorded()
        self.answers: list[Call] = []
        self.posts: list[Call] = []

    def read_on(self) -> None:
        new = self.slack.calls_after(self.seen)
        self.seen += len(new)
        self.answers.extend(call for call in new if call.method == RESPONSE_URL and call.path.startswith(self.prefix))
        self.posts.extend(call for call in new if call.method == "chat.postMessage")

    def wait_for(self, answers: int, label: str, timeout: float = 900) -> None:
        """Until ``answers`` commands are answered, with the card and the DM each of them causes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.read_on()
            if len(self.answers) >= answers and len(self.posts) >= 2 * len(self.answers):
                return
            time.sleep(0.05)
        sys.exit(f"round {label}: only {len(self.answers)} of {answers} answers arrived")

    def last_answer(self) -> float:
        return max(call.at for call in self.answers)


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


DATABASES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def database_urls(choice: str, folder: str, stack: contextlib.ExitStack) -> dict[str, str]:
    """The databases to measure Cadence on: a SQLite file in ``folder``, a fresh PostgreSQL database, or both."""
    urls = {}
    if choice in ("sqlite", "both"):
        urls["sqlite"] = f"sqlite:///{Path(folder) / 'ack.db'}"
    if choice in ("postgres", "both"):
        urls["postgres"] = stack.enter_context(fresh_database())
    return urls


def start_servers(databases: dict[str, str], environment: dict, servers: dict[str, subprocess.Popen]) -> dict[str, str]:
    """A Cadence per database and the bare Bolt app, each under uvicorn in its own process (added to
    ``servers`` as they start, so the caller stops whatever started); returns their event URLs."""
    urls = {}
    for database, url in databases.items():
        port = free_port()
        command = [sys.executable, "-m", "bot", "--database-url", url, "serve", "--port", str(port)]
        servers[database] = start(command, environment, port)
        urls[database] = f"http://127.0.0.1:{port}/slack/events"
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "--app-dir", "bench", "bare_bolt_app:app", "--port", str(port)]
    servers[BARE] = start([*command, "--log-level", "warning"], environment, port)
    urls[BARE] = f"http://127.0.0.1:{port}/slack/events"
    return urls


@contextlib.contextmanager
def bench_servers(choice: str) -> Iterator[tuple[Path, FakeSlackApi, dict[str, str]]]:
    """A temporary folder, the fake Slack, the seeded databases ``choice`` names, and a Cadence on each
    beside the bare Bolt app; yields (folder, fake, event URL per server) and stops them all after."""
    environment = {key: value for key, value in os.environ.items() if key not in PROXY_ENV_VARS}
    secret_key = new_key()
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        slack = stack.enter_context(FakeSlackApi())
        databases = database_urls(choice, str(folder), stack)
        for url in databases.values():
            seed(url, secret_key)
        environment.update(
            SLACK_BOT_TOKEN="xoxb-bench",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=slack.base_url,
            CADENCE_SECRET_KEY=secret_key,
            LOG_LEVEL="WARNING",
        )
        servers: dict[str, subprocess.Popen] = {}
        try:
            yield folder, slack, start_servers(databases, environment, servers)
        finally:
            for process in servers.values():
                process.terminate()
                process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument(
        "--database",
        choices=("postgres", "sqlite", "both"),
        default="both",
        help="what Cadence stores in; with both, a Cadence on each takes its turn in every round",
    )
    args = parser.parse_args()
    rng = random.Random(11)
    with bench_servers(args.database) as (_, slack, urls):
        results, answered = measure(urls, slack, rng, args)
    report(results, answered, args)


def measure(
    urls: dict[str, str], slack: FakeSlackApi, rng: random.Random, args: argparse.Namespace
) -> tuple[dict[str, list[tuple[float, float, float, int]]], dict[str, list[float]]]:
    """Rounds that give each server its turn; a Cadence's turn ends once all its answers, cards and DMs arrived."""
    results: dict[str, list[tuple[float, float, float, int]]] = {name: [] for name in urls}
    answered: dict[str, list[float]] = {name: [] for name in urls if name != BARE}
    for name, url in urls.items():  # warm up: imports, first auth.test, database caches
        label = f"warm-{name}"
        watch = RoundWatch(slack, label)
        asyncio.run(drive(url, signed_commands(200, rng, slack, label), args.concurrency))
        if name != BARE:
            watch.wait_for(200, label, timeout=ROUND_TIMEOUT)
    for round_number in range(args.rounds):
        for name, url in urls.items():
            label = f"r{round_number}-{name}"
            watch = RoundWatch(slack, label)
            started_at, seconds, latencies, failures = asyncio.run(
                drive(url, signed_commands(args.requests, rng, slack, label), args.concurrency)
            )
            results[name].append(
                (args.requests / seconds, percentile(latencies, 0.5), percentile(latencies, 0.99), failures)
            )
            print(f"  round {round_number + 1} {label_of(name):20s} {args.requests / seconds:7.1f} req/s", flush=True)
            if name != BARE:
                watch.wait_for(args.requests, label, timeout=ROUND_TIMEOUT)
                answered[name].append(args.requests / (watch.last_answer() - started_at))
    return results, answered


def label_of(name: str) -> str:
    return "bare bolt" if name == BARE else f"cadence ({DATABASES[name]})"


def report(
    results: dict[str, list[tuple[float, float, float, int]]],
    answered: dict[str, list[float]],
    args: argparse.Namespace,
) -> None:
    print(
        f"slash-command ack: {args.requests} signed /kudos x {args.rounds} rounds, {args.concurrency} concurrent, 2 cores"
    )
    summary = {}
    for name, rounds in results.items():
        throughput = statistics.median(r[0] for r in rounds)
        p50 = statistics.median(r[1] for r in rounds) * 1000
        p99 = statistics.median(r[2] for r in rounds) * 1000
        failures = sum(r[3] for r in rounds)
        summary[name] = (throughput, p50, p99, failures)
        every = ", ".join(f"{r[0]:.1f}" for r in rounds)
        print(
            f"  {label_of(name):20s} {throughput:7.1f} req/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   "
            f"non-200: {failures}   (rounds: {every})"
        )
    bare = summary[BARE][0]
    cadences = [name for name in results if name != BARE]
    rows = {
        "requests/s (median)": [f"{summary[name][0]:.1f}" for name in cadences],
        "p50 ack": [f"{summary[name][1]:.1f} ms" for name in cadences],
        "p99 ack": [f"{summary[name][2]:.1f} ms" for name in cadences],
        "ratio to bare bolt": [f"{summary[name][0] / bare:.2f}x" for name in cadences],
        "answered end to end": [f"{statistics.median(answered[name]):.1f} commands/s" for name in cadences],
        "non-200 answers": [str(summary[name][3]) for name in cadences],
    }
    width = max(map(len, rows))
    print()
    print(" " * width + "".join(f" | cadence on {DATABASES[name]}".ljust(28) for name in cadences))
    for row, values in rows.items():
        print(row.ljust(width) + "".join(f" | {value}".ljust(28) for value in values))
    print(f"bare bolt: {bare:.1f} req/s; target at least 0.8x of it, p99 under 500 ms")
    print("answered end to end: first request sent to last answer at its response_url, cards and DMs delivered too")


if __name__ == "__main__":
    main()

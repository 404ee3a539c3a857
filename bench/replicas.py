"""Check-in prompts to 10,000 people from 1 and from 3 `cadence serve` replicas on one PostgreSQL.

The fan-out of ``checkin_fanout.py`` (10,000 people in 24 time zones, a fake Slack Web API that
allows 50 chat.postMessage per rolling second and answers 429 with Retry-After beyond it), served
by real ``cadence serve`` processes sharing a fresh PostgreSQL database (created for the run,
dropped after it). Only the replica holding the scheduler's advisory lock ticks; every replica
claims outbox rows (``FOR UPDATE SKIP LOCKED``) and sends them.

The fake listens on one port per replica, and each replica's ``SLACK_API_URL`` names its own
port, while all ports share the fake's one rate limiter and one call log: so the limit is the
workspace's, as on Slack, and each call says which replica made it (nothing in the database
does).

The replicas start with every check-in window shut; once all of them are up, the settings open
everyone's window (a check-in day two days ago, the digest two days ahead, in every zone), so
the leader's tick at the next minute's second 0 enqueues all 10,000 prompts at one instant.

Prints, per run: prompts lost and duplicated (both must be 0), the time from that tick to the
last prompt delivered against the lower bound the limit sets (10,000 / 50 per s = 200 s; target
at most 1.15x), each replica's share of the deliveries (target: within 20 % of an even share),
and each replica's 429s, which is where replicas fight over the limit.

    .venv/bin/python bench/replicas.py [--people 10000] [--limit 50] [--replicas 1 3]
"""

from __future__ import annotations

import argparse
import collections
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from aiohttp import web  # noqa: E402
from sqlmodel import select  # noqa: E402

from bench.checkin_fanout import ZONES, slack_org_file  # noqa: E402
from bench.postgres import ADMIN_URL, fresh_database  # noqa: E402
from conversations.messages import Platform  # noqa: E402
from conversations.schedule import DigestReader, current_window  # noqa: E402
from conversations.workspace_settings import WorkspaceSettings, validate_settings  # noqa: E402
from storage import migrate, org_import, workspaces  # noqa: E402
from storage.claims import counts_by_status  # noqa: E402
from storage.connections import new_organisation  # noqa: E402
from storage.database import Database  # noqa: E402
from storage.models import DeliveryStatus, OutboxDelivery, Workspace  # noqa: E402
from storage.secrets import new_key  # noqa: E402
from tests.fakes.slack_api import LISTEN_BACKLOG, PROXY_ENV_VARS, TEAM_ID, Call, FakeSlackApi  # noqa: E402

SIGNING_SECRET = "bench-signing-secret"
ENV_DROPPED = (*PROXY_ENV_VARS, "DATABASE_URL", "SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")
START_TIMEOUT = 60.0
MIN_LEAD_SECONDS = 5.0
"""The settings are applied at least this long before the minute they come due at, so no tick
is half-way through reading them."""
SETTLE_SECONDS = 5.0
"""After the last prompt arrives, how long to keep listening for a duplicate."""


class FakeSlackApiOnPorts(FakeSlackApi):
    """The fake Slack Web API listening on ``ports`` loopback ports: one server, so one rate limiter
    and one call log, reached at a different address by each replica."""

    def __init__(self, ports: int, **options) -> None:
        super().__init__(**options)
        self.wanted_ports = ports
        self.ports: list[int] = []

    async def _start_server(self) -> None:
        await super()._start_server()
        assert self._runner is not None
        self.ports = [self.port]
        while len(self.ports) < self.wanted_ports:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.bind(("127.0.0.1", 0))
            await web.SockSite(self._runner, listener, backlog=LISTEN_BACKLOG).start()
            self.ports.append(listener.getsockname()[1])

    def base_url_on(self, port: int) -> str:
        return f"http://127.0.0.1:{port}/api/"


def port_of(call: Call) -> int:
    """The fake's port a call was made to, from its Host header."""
    return int(call.headers["Host"].rsplit(":", 1)[1])


def shut_windows(today) -> dict:
    """Check-in and digest days that keep every window shut while the replicas start (slack_ack.py's)."""
    return {
        "checkins": {"day": (today + timedelta(days=2)).strftime("%A").lower(), "time": "10:00"},
        "digest": {"day": (today + timedelta(days=3)).strftime("%A").lower(), "time": "09:00"},
    }


def open_windows(today) -> dict:
    """A check-in day two days ago at 10:00 and the digest two days ahead: whatever the zone (UTC-11 to
    UTC+13), its 10:00 two days ago has passed and its digest has not come, so everyone is due at once,
    as at checkin_fanout.py's Saturday tick after every zone's Friday 10:00."""
    return {
        "checkins": {"day": (today - timedelta(days=2)).strftime("%A").lower(), "time": "10:00"},
        "digest": {"day": (today + timedelta(days=2)).strftime("%A").lower(), "time": "09:00"},
    }


def settings_from(raw: dict) -> WorkspaceSettings:
    settings, errors = validate_settings(raw)
    assert not errors, errors
    return settings


def check_everyone_due(settings: WorkspaceSettings, at: datetime) -> None:
    for zone in ZONES:
        window = current_window(settings, at, zone, DigestReader(zone, settings.digest))
        assert window.is_open(at), f"{zone}: the check-in window is not open at {at}"


def seed(database_url: str, secret_key: str, people: int, today) -> None:
    database = Database(database_url, secret_keys=secret_key)
    migrate.upgrade(database.engine)
    with database.session_scope() as session:
        workspace = new_organisation(session, "Bench", Platform.SLACK, TEAM_ID)
        report = org_import.import_org(session, workspace.id, slack_org_file(people))
        assert report.ok, report.errors[:3]
        workspaces.apply_settings(session, workspace, settings_from(shut_windows(today)))
    database.dispose()


def open_everyone(database_url: str, secret_key: str, settings: WorkspaceSettings) -> None:
    database = Database(database_url, secret_keys=secret_key)
    with database.session_scope() as session:
        for workspace in session.exec(select(Workspace)).all():
            workspaces.apply_settings(session, workspace, settings)
    database.dispose()


def outbox_counts(database_url: str, secret_key: str) -> dict[DeliveryStatus, int]:
    database = Database(database_url, secret_keys=secret_key)
    try:
        with database.session_scope() as session:
            return counts_by_status(session, OutboxDelivery, DeliveryStatus)
    finally:
        database.dispose()


def prompts_queued_at(database_url: str, secret_key: str) -> datetime:
    """When the tick queued the prompts, by the outbox: a replica that takes the scheduler over after
    the windows opened ticks at once, before the minute the bench expects."""
    database = Database(database_url, secret_keys=secret_key)
    try:
        with database.session_scope() as session:
            return session.exec(
                select(sa.func.min(OutboxDelivery.created_at)).where(OutboxDelivery.kind == "checkin_prompt")
            ).one()
    finally:
        database.dispose()


@dataclass
class Replica:
    """One `cadence serve` process, the fake's port it calls, and the line it announced."""

    number: int
    api_port: int
    process: subprocess.Popen
    errors: Path
    lines: queue.Queue = field(default_factory=queue.Queue)
    health_url: str = ""
    peak_kb: int = 0
    leading: bool = False
    exit_code: int | None = None

    def read_output(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_until_serving(self, deadline: float) -> None:
        marker = "health at "
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                break
            if line is None:
                break
            if marker in line:
                self.health_url = line.split(marker, 1)[1].strip()
                return
        self.process.kill()
        sys.exit(f"replica {self.number} did not start:\n{self.errors.read_text()[-3000:]}")

    def metrics(self) -> str:
        with urllib.request.urlopen(self.health_url.replace("/healthz", "/metrics"), timeout=5) as response:
            return response.read().decode()

    def note_state(self) -> None:
        """Whether it leads the scheduler (its /metrics) and its peak memory (the kernel's high-water mark)."""
        self.leading = any(
            line.startswith("cadence_scheduler_leader ") and float(line.split()[1]) == 1.0
            for line in self.metrics().splitlines()
        )
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        self.peak_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))


def start_replicas(
    count: int, database_url: str, secret_key: str, slack: FakeSlackApiOnPorts, folder: Path
) -> list[Replica]:
    base = {key: value for key, value in os.environ.items() if key not in ENV_DROPPED}
    base.update(
        PYTHONPATH=str(ROOT),
        SLACK_BOT_TOKEN="xoxb-bench",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        CADENCE_SECRET_KEY=secret_key,
        LOG_LEVEL="WARNING",
    )
    replicas = []
    for number, api_port in enumerate(slack.ports[:count], 1):
        errors = folder / f"replica-{number}.err"
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "--database-url", database_url, "serve", "--port", "0"],
            env={**base, "SLACK_API_URL": slack.base_url_on(api_port)},
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=errors.open("w"),
            text=True,
        )
        replica = Replica(number, api_port, process, errors)
        threading.Thread(target=replica.read_output, daemon=True).start()
        replicas.append(replica)
    deadline = time.monotonic() + START_TIMEOUT
    for replica in replicas:
        replica.wait_until_serving(deadline)
    return replicas


def stop_replicas(replicas: list[Replica]) -> None:
    for replica in replicas:
        if replica.process.poll() is None:
            replica.process.send_signal(signal.SIGTERM)
    for replica in replicas:
        try:
            replica.exit_code = replica.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            replica.process.kill()
            replica.exit_code = replica.process.wait()


def next_minute_after(moment: datetime, lead: float) -> datetime:
    boundary = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return boundary if (boundary - moment).total_seconds() >= lead else boundary + timedelta(minutes=1)


def wait_for_everyone(slack: FakeSlackApi, people: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delivered = {call.args["channel"] for call in slack.calls("chat.postMessage") if call.ok}
        if len(delivered) >= people:
            return
        time.sleep(0.5)
    print(f"  gave up waiting after {timeout:.0f} s: {len(delivered)} of {people} delivered", flush=True)


@dataclass(frozen=True)
class Measured:
    replicas: list[Replica]
    tick_at: float
    """monotonic time at which the tick queued the prompts (the outbox's first ``created_at``)"""
    posts: list[Call]
    outbox: dict[DeliveryStatus, int]


def measure(count: int, args: argparse.Namespace) -> Measured:
    today = datetime.now(UTC).date()
    open_settings = settings_from(open_windows(today))
    secret_key = new_key()
    with (
        tempfile.TemporaryDirectory() as folder,
        fresh_database(args.admin_url) as database_url,
        FakeSlackApiOnPorts(count, rate_limits={"chat.postMessage": args.limit}) as slack,
    ):
        seed(database_url, secret_key, args.people, today)
        replicas = start_replicas(count, database_url, secret_key, slack, Path(folder))
        try:
            now = datetime.now(UTC)
            due_at = next_minute_after(now, MIN_LEAD_SECONDS)
            check_everyone_due(open_settings, due_at)
            open_everyone(database_url, secret_key, open_settings)
            tick_at = time.monotonic() + (due_at - datetime.now(UTC)).total_seconds()
            print(f"  {count} replica(s) serving; the prompts come due at {due_at:%H:%M:%S} UTC", flush=True)
            wait_for_everyone(slack, args.people, timeout=60 + 5 * args.people / args.limit)
            time.sleep(SETTLE_SECONDS)
            for replica in replicas:
                replica.note_state()
            outbox = outbox_counts(database_url, secret_key)
            queued = prompts_queued_at(database_url, secret_key)
            tick_at = time.monotonic() - (datetime.now(UTC) - queued).total_seconds()
        finally:
            stop_replicas(replicas)
        return Measured(replicas, tick_at, slack.calls("chat.postMessage"), outbox)


def stopped(exit_code: int | None) -> str:
    """How a replica ended after SIGTERM. uvicorn (0.29 and later) shuts down gracefully and then
    raises the signal again, so a clean stop reads -15, not 0."""
    if exit_code == -signal.SIGTERM:
        return "stopped on SIGTERM"
    return f"exit code {exit_code} after SIGTERM"


def report(count: int, measured: Measured, args: argparse.Namespace) -> dict[str, str]:
    """Prints the run's figures; returns the ones for the summary table."""
    posts = measured.posts
    delivered = [call for call in posts if call.ok]
    per_channel = collections.Counter(call.args["channel"] for call in delivered)
    lost = args.people - len(per_channel)
    duplicated = sum(number - 1 for number in per_channel.values())
    by_port = {replica.api_port: replica for replica in measured.replicas}
    sent_by = collections.Counter(by_port[port_of(call)].number for call in delivered)
    limited_by = collections.Counter(by_port[port_of(call)].number for call in posts if call.status == 429)
    lower_bound = args.people / args.limit
    from_tick = delivered[-1].at - measured.tick_at
    first_to_last = delivered[-1].at - delivered[0].at
    even = len(delivered) / count
    spread = max(abs(sent_by[replica.number] - even) / even for replica in measured.replicas)
    seconds = max(first_to_last, 1e-9)
    print(f"{count} replica(s), {args.people} people in {len(ZONES)} zones, fake Slack limit {args.limit} msg/s")
    print(f"  tick to last prompt delivered:  {from_tick:7.1f} s   ({from_tick / lower_bound:.3f}x the lower bound)")
    print(f"  tick to first prompt delivered: {delivered[0].at - measured.tick_at:7.1f} s")
    print(f"  first to last prompt delivered: {first_to_last:7.1f} s   ({first_to_last / lower_bound:.3f}x)")
    print(f"  lower bound set by the limit:   {lower_bound:7.1f} s   target at most 1.15x")
    print(f"  admitted first to last:         {len(delivered) / seconds:7.1f} msg/s")
    print(f"  prompts lost: {lost}   duplicated: {duplicated}   429 answers: {len(posts) - len(delivered)}")
    print(f"  outbox at the end: {', '.join(f'{status.value} {n}' for status, n in measured.outbox.items())}")
    for replica in measured.replicas:
        print(
            f"  replica {replica.number}{' (leader)' if replica.leading else '         '}: "
            f"{sent_by[replica.number]:6d} sent ({sent_by[replica.number] / even - 1:+.1%} of an even share), "
            f"{limited_by[replica.number]:4d} x 429, peak memory {replica.peak_kb / 1024:6.1f} MB, "
            f"{stopped(replica.exit_code)}"
        )
    print(f"  largest deviation from an even share: {spread:.1%}   target within 20 %", flush=True)
    return {
        "tick to last delivered": f"{from_tick:.1f} s = {from_tick / lower_bound:.3f}x",
        "first to last delivered": f"{first_to_last:.1f} s = {first_to_last / lower_bound:.3f}x",
        "admitted rate": f"{len(delivered) / seconds:.1f} msg/s",
        "lost / duplicated": f"{lost} / {duplicated}",
        "sent per replica": " / ".join(str(sent_by[replica.number]) for replica in measured.replicas),
        "largest deviation from even": f"{spread:.1%}",
        "429s per replica": " / ".join(str(limited_by[replica.number]) for replica in measured.replicas),
        "peak memory per replica": " / ".join(f"{replica.peak_kb / 1024:.0f} MB" for replica in measured.replicas),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--limit", type=int, default=50, help="chat.postMessage per second the fake Slack allows")
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 3], help="replica counts, one run each")
    parser.add_argument("--admin-url", default=ADMIN_URL, help="a PostgreSQL database to CREATE DATABASE from")
    args = parser.parse_args()
    summaries = {}
    for count in args.replicas:
        summaries[count] = report(count, measure(count, args), args)
    if len(summaries) > 1:
        names = list(next(iter(summaries.values())))
        width = max(map(len, names))
        print("\n" + " " * width + "".join(f" | {count} replica(s)".ljust(32) for count in summaries))
        for name in names:
            print(name.ljust(width) + "".join(f" | {figures[name]}".ljust(32) for figures in summaries.values()))


if __name__ == "__main__":
    main()

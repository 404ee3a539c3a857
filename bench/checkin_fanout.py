"""Check-in prompts fanned out to 10,000 people across 24 time zones, against Slack's rate limit.

A fake Slack Web API on loopback allows 50 chat.postMessage per second (a rolling window) and
answers 429 with Retry-After beyond it. Everyone's Friday prompt is due at the same instant (the
first tick after all 24 zones reached Friday 10:00: the worst case for the limit), and
`cadence tick --wait` runs in its own process against it, so its peak memory is Cadence's alone.

Prints the time from the tick to the last prompt delivered against the lower bound the limit
sets (people / 50 per second; target at most 1.15x), Cadence's peak memory (target under 300 MB),
and prompts lost and duplicated (both must be 0).

    .venv/bin/python bench/checkin_fanout.py [--people 10000] [--limit 50]
"""

from __future__ import annotations

import argparse
import collections
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conversations.messages import Platform
from storage import migrate, org_import
from storage.connections import new_organisation
from storage.database import Database
from tests.fakes.slack_api import PROXY_ENV_VARS, TEAM_ID, FakeSlackApi

ZONES = [
    "Pacific/Midway", "Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Denver",
    "America/Chicago", "America/New_York", "America/Halifax", "America/Sao_Paulo", "Atlantic/South_Georgia",
    "Atlantic/Azores", "Europe/London", "Europe/Berlin", "Europe/Athens", "Europe/Moscow", "Asia/Dubai",
    "Asia/Karachi", "Asia/Kolkata", "Asia/Dhaka", "Asia/Bangkok", "Asia/Shanghai", "Asia/Tokyo",
    "Australia/Sydney", "Pacific/Auckland",
]  # fmt: skip
TICK_AT = "2026-12-05T12:00:00Z"  # Saturday: every zone's Friday 10:00 has passed, no check-in has closed


def seed(database_url: str, people: int) -> None:
    database = Database(database_url)
    migrate.upgrade(database.engine)
    rows = ["email,name,slack_id,timezone"] + [
        f"p{index}@bench.example,Person {index},U{index:07d},{ZONES[index % len(ZONES)]}" for index in range(people)
    ]
    with database.session_scope() as session:
        workspace = new_organisation(session, "Bench", Platform.SLACK, TEAM_ID)
        report = org_import.import_org(session, workspace.id, "\n".join(rows) + "\n")
        assert report.ok, report.errors[:3]
    database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--limit", type=int, default=50, help="chat.postMessage per second the fake allows")
    args = parser.parse_args()
    environment = {key: value for key, value in os.environ.items() if key not in PROXY_ENV_VARS}
    with tempfile.TemporaryDirectory() as folder, FakeSlackApi(rate_limits={"chat.postMessage": args.limit}) as slack:
        database_url = f"sqlite:///{Path(folder) / 'fanout.db'}"
        seed(database_url, args.people)
        environment.update(SLACK_BOT_TOKEN="xoxb-bench", SLACK_API_URL=slack.base_url, LOG_LEVEL="WARNING")
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "bot", "--database-url", database_url, "tick", "--at", TICK_AT, "--wait", "3600"],
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        finished = time.monotonic()
        if result.returncode != 0:
            sys.exit(f"cadence tick failed:\n{result.stderr[-2000:]}")
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        posts = slack.calls("chat.postMessage")
    delivered = [call for call in posts if call.ok]
    rejected = len(posts) - len(delivered)
    per_channel = collections.Counter(call.args["channel"] for call in delivered)
    lost = args.people - len(per_channel)
    duplicated = sum(count - 1 for count in per_channel.values())
    lower_bound = args.people / args.limit
    from_tick = delivered[-1].at - started
    first_to_last = delivered[-1].at - delivered[0].at
    print(f"check-in fan-out: {args.people} people in {len(ZONES)} time zones, fake Slack limit {args.limit} msg/s")
    print(f"  tick to last prompt delivered:  {from_tick:7.1f} s   ({from_tick / lower_bound:.3f}x the lower bound)")
    print(f"  first to last prompt delivered: {first_to_last:7.1f} s   ({first_to_last / lower_bound:.3f}x)")
    print(f"  lower bound set by the limit:   {lower_bound:7.1f} s   target at most 1.15x")
    print(f"  cadence process wall time:      {finished - started:7.1f} s")
    print(f"  peak memory of cadence:         {peak_kb / 1024:7.1f} MB  target under 300 MB")
    print(f"  prompts lost: {lost}   duplicated: {duplicated}   (429 answers absorbed: {rejected})")
    print(f"  tick output: {result.stdout.strip().splitlines()[-1]}")


if __name__ == "__main__":
    main()

"""Check-in prompts fanned out to 10,000 people across 24 time zones, against Slack's or Teams' rate limit.

Slack (the default): a fake Slack Web API on loopback allows 50 chat.postMessage per second (a
rolling window) and answers 429 with Retry-After beyond it.

Teams (``--platform teams``): a fake Bot Connector (with Microsoft's login over TLS) allows 50
requests per second for the app (a rolling window; 7 a second and 60 in 30 seconds per
conversation) and answers 429 with Retry-After beyond them. Half the people, picked at random,
have talked to Cadence before (their chat with it is stored); the other half have only a Teams id,
so Cadence first creates the chat (``POST /v3/conversations``, which counts against the limit too)
and then sends.

Everyone's Friday prompt is due at the same instant (the first tick after all 24 zones reached
Friday 10:00: the worst case for the limit), and `cadence tick --wait` runs in its own process
against the fake, so its peak memory is Cadence's alone.

Prints the time from the tick to the last prompt delivered against the lower bound the limit
sets (requests / limit per second: one per prompt, plus one per chat to create; target at most
1.15x), Cadence's peak memory (target under 300 MB), and prompts lost and duplicated (both must
be 0).

    .venv/bin/python bench/checkin_fanout.py [--people 10000] [--limit 50]
    .venv/bin/python bench/checkin_fanout.py --platform teams [--people 10000] [--limit 50] [--talked 0.5]
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import select

from conversations.messages import Platform
from storage import migrate, org_import
from storage.connections import new_organisation
from storage.conversation_store import remember_reference
from storage.database import Database
from storage.models import Person
from tests.fakes import teams_services
from tests.fakes.slack_api import PROXY_ENV_VARS, TEAM_ID, FakeSlackApi

ZONES = [
    "Pacific/Midway", "Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Denver",
    "America/Chicago", "America/New_York", "America/Halifax", "America/Sao_Paulo", "Atlantic/South_Georgia",
    "Atlantic/Azores", "Europe/London", "Europe/Berlin", "Europe/Athens", "Europe/Moscow", "Asia/Dubai",
    "Asia/Karachi", "Asia/Kolkata", "Asia/Dhaka", "Asia/Bangkok", "Asia/Shanghai", "Asia/Tokyo",
    "Australia/Sydney", "Pacific/Auckland",
]  # fmt: skip
TICK_AT = "2026-12-05T12:00:00Z"  # Saturday: every zone's Friday 10:00 has passed, no check-in has closed
TEAMS_ENV_DROPPED = (
    *teams_services.PROXY_ENV_VARS,
    *teams_services.CA_ENV_VARS,
    "CLIENT_ID",  # the SDK's own variables (bot/teams/sdk.py): nothing of the caller's may leak in
    "CLIENT_SECRET",
    "TENANT_ID",
    "SERVICE_URL",
    "SLACK_BOT_TOKEN",  # Teams only: no Slack adapter in the Cadence process
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
)


@dataclass(frozen=True)
class Run:
    """One `cadence tick --wait` in its own process: when it started and ended, and its peak memory."""

    started: float
    finished: float
    peak_kb: int
    last_line: str


def run_cadence(database_url: str, environment: dict[str, str]) -> Run:
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
    return Run(started, finished, peak_kb, result.stdout.strip().splitlines()[-1])


def seed(database_url: str, people: int) -> None:
    database = Database(database_url)
    migrate.upgrade(database.engine)
    with database.session_scope() as session:
        workspace = new_organisation(session, "Bench", Platform.SLACK, TEAM_ID)
        report = org_import.import_org(session, workspace.id, slack_org_file(people))
        assert report.ok, report.errors[:3]
    database.dispose()


def slack_org_file(people: int) -> str:
    """``people`` on Slack, spread over the 24 zones in turn: the org file every fan-out bench imports."""
    rows = ["email,name,slack_id,timezone"] + [
        f"p{index}@bench.example,Person {index},U{index:07d},{ZONES[index % len(ZONES)]}" for index in range(people)
    ]
    return "\n".join(rows) + "\n"


def run_slack(args: argparse.Namespace) -> None:
    environment = {key: value for key, value in os.environ.items() if key not in PROXY_ENV_VARS}
    with tempfile.TemporaryDirectory() as folder, FakeSlackApi(rate_limits={"chat.postMessage": args.limit}) as slack:
        database_url = f"sqlite:///{Path(folder) / 'fanout.db'}"
        seed(database_url, args.people)
        environment.update(SLACK_BOT_TOKEN="xoxb-bench", SLACK_API_URL=slack.base_url, LOG_LEVEL="WARNING")
        run = run_cadence(database_url, environment)
        posts = slack.calls("chat.postMessage")
    delivered = [call for call in posts if call.ok]
    rejected = len(posts) - len(delivered)
    per_channel = collections.Counter(call.args["channel"] for call in delivered)
    lost = args.people - len(per_channel)
    duplicated = sum(count - 1 for count in per_channel.values())
    lower_bound = args.people / args.limit
    from_tick = delivered[-1].at - run.started
    first_to_last = delivered[-1].at - delivered[0].at
    print(f"check-in fan-out: {args.people} people in {len(ZONES)} time zones, fake Slack limit {args.limit} msg/s")
    print(f"  tick to last prompt delivered:  {from_tick:7.1f} s   ({from_tick / lower_bound:.3f}x the lower bound)")
    print(f"  first to last prompt delivered: {first_to_last:7.1f} s   ({first_to_last / lower_bound:.3f}x)")
    print(f"  lower bound set by the limit:   {lower_bound:7.1f} s   target at most 1.15x")
    print(f"  cadence process wall time:      {run.finished - run.started:7.1f} s")
    print(f"  peak memory of cadence:         {run.peak_kb / 1024:7.1f} MB  target under 300 MB")
    print(f"  prompts lost: {lost}   duplicated: {duplicated}   (429 answers absorbed: {rejected})")
    print(f"  tick output: {run.last_line}")


def teams_user(index: int) -> str:
    """Person ``index``'s Teams id as the org file gives it (their Entra object id)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"cadence-bench-{index}"))


def stored_chat(index: int) -> str:
    return f"a:bench-chat-{index}"


def seed_teams(database_url: str, people: int, talked: set[int], service_url: str) -> None:
    """The org on Teams, everyone with a Teams id; those in ``talked`` with their chat with Cadence
    stored, as when they last wrote to it."""
    database = Database(database_url)
    migrate.upgrade(database.engine)
    rows = ["email,name,teams_id,timezone"] + [
        f"p{index}@bench.example,Person {index},{teams_user(index)},{ZONES[index % len(ZONES)]}"
        for index in range(people)
    ]
    with database.session_scope() as session:
        workspace = new_organisation(session, "Bench", Platform.TEAMS, teams_services.TENANT_ID)
        assert workspace.id is not None
        report = org_import.import_org(session, workspace.id, "\n".join(rows) + "\n")
        assert report.ok, report.errors[:3]
        query = select(Person.email, Person.id).where(Person.workspace_id == workspace.id)
        person_ids = {email: person_id for email, person_id in session.exec(query)}
        for index in sorted(talked):
            chat = {
                "conversation": stored_chat(index),
                "service_url": service_url,
                "tenant": teams_services.TENANT_ID,
                "user_key": "",
            }
            remember_reference(session, workspace.id, person_ids[f"p{index}@bench.example"], Platform.TEAMS, chat)
    database.dispose()


def teams_environment(fake: teams_services.FakeMicrosoft) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if key not in TEAMS_ENV_DROPPED}
    environment = {key: value for key, value in environment.items() if not key.startswith("TEAMS_")}
    environment.update(fake.ca_environment())
    environment.update(
        TEAMS_APP_ID=teams_services.APP_ID,
        TEAMS_APP_PASSWORD=teams_services.APP_SECRET,
        TEAMS_TENANT_ID=teams_services.TENANT_ID,
        TEAMS_LOGIN_URL=fake.login_url,
        TEAMS_OPENID_METADATA_URL=fake.openid_metadata_url,
        TEAMS_TOKEN_ISSUER=fake.issuer,
        TEAMS_SERVICE_URL=fake.base_url,
        LOG_LEVEL="WARNING",
    )
    return environment


@dataclass(frozen=True)
class TeamsRun:
    run: Run
    talked: set[int]
    connector: list[teams_services.RecordedRequest]
    """Every request the fake Bot Connector received, answered or refused, oldest first."""
    created: list[teams_services.CreatedConversation]


def measure_teams(args: argparse.Namespace) -> TeamsRun:
    talked = set(random.Random(0).sample(range(args.people), round(args.people * args.talked)))
    with (
        tempfile.TemporaryDirectory() as folder,
        teams_services.FakeMicrosoft(per_app_per_second=args.limit) as fake,
    ):
        database_url = f"sqlite:///{Path(folder) / 'fanout.db'}"
        seed_teams(database_url, args.people, talked, fake.base_url)
        run = run_cadence(database_url, teams_environment(fake))
        connector = [request for request in fake.requests() if request.kind in teams_services.CONNECTOR_KINDS]
        return TeamsRun(run, talked, connector, fake.conversations())


def run_teams(args: argparse.Namespace) -> None:
    report_teams(args, measure_teams(args))


def report_teams(args: argparse.Namespace, measured: TeamsRun) -> None:
    run, talked, connector, created = measured.run, measured.talked, measured.connector, measured.created
    sends = [request for request in connector if request.kind == teams_services.SEND]
    creations = [request for request in connector if request.kind == teams_services.CREATE_CONVERSATION]
    delivered = [request for request in sends if request.ok]
    created_ok = [request for request in creations if request.ok]
    rejected = collections.Counter(request.status for request in connector if not request.ok)

    person_of = {stored_chat(index): index for index in talked}
    by_user = {teams_user(index): index for index in range(args.people)}
    person_of.update({conversation.id: by_user[conversation.member_id] for conversation in created})
    per_person = collections.Counter(person_of.get(request.conversation_id or "") for request in delivered)
    stray = per_person.pop(None, 0)  # sent to a conversation that is nobody's chat: none expected
    lost = args.people - len(per_person)
    duplicated = sum(count - 1 for count in per_person.values()) + stray
    per_member = collections.Counter(str(request.json["members"][0]["id"]) for request in created_ok)
    created_twice = sum(count - 1 for count in per_member.values())
    created_for_talked = sum(1 for member in per_member if by_user.get(member) in talked)

    never_talked = args.people - len(talked)
    lower_bound = (args.people + never_talked) / args.limit
    from_tick = delivered[-1].at - run.started
    first_to_last = delivered[-1].at - delivered[0].at
    admitted = len(delivered) + len(created_ok)
    first_request = connector[0].at
    throttled = rejected.pop(429, 0)
    others = ", ".join(f"{count} x HTTP {status}" for status, count in sorted(rejected.items())) or "none"
    print(
        f"check-in fan-out: {args.people} people in {len(ZONES)} time zones on Teams, {never_talked} never talked "
        f"to Cadence; fake Bot Connector limit {args.limit} requests/s"
    )
    print(f"  tick to last prompt delivered:  {from_tick:7.1f} s   ({from_tick / lower_bound:.3f}x the lower bound)")
    print(f"  first to last prompt delivered: {first_to_last:7.1f} s   ({first_to_last / lower_bound:.3f}x)")
    print(
        f"  lower bound set by the limit:   {lower_bound:7.1f} s   "
        f"({args.people} sends + {never_talked} chats to create) target at most 1.15x"
    )
    print(f"  tick to first request:          {first_request - run.started:7.1f} s")
    print(
        f"  requests admitted:              {admitted:7d}     "
        f"{admitted / (delivered[-1].at - first_request):.1f}/s from the first to the last"
    )
    print(f"  cadence process wall time:      {run.finished - run.started:7.1f} s")
    print(f"  peak memory of cadence:         {run.peak_kb / 1024:7.1f} MB  target under 300 MB")
    print(f"  prompts lost: {lost}   duplicated: {duplicated}   (429 answers absorbed: {throttled})")
    print(
        f"  chats created: {len(created_ok)} for {len(per_member)} people (of {never_talked} who never talked; "
        f"{created_for_talked} for people with a stored chat), created twice: {created_twice}"
    )
    print(f"  other failed requests: {others}")
    print(f"  tick output: {run.last_line}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--platform", choices=("slack", "teams"), default="slack")
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument(
        "--limit",
        type=int,
        default=50,
        help="chat.postMessage per second the fake Slack allows (Slack), requests per second the fake Bot "
        "Connector allows the app (Teams; Cadence keeps to Teams' documented 50 whatever this is)",
    )
    parser.add_argument(
        "--talked", type=float, default=0.5, help="Teams: the share of people whose chat with Cadence is stored"
    )
    args = parser.parse_args()
    if args.platform == "teams":
        run_teams(args)
    else:
        run_slack(args)


if __name__ == "__main__":
    main()

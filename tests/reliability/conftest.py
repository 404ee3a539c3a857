"""Fixtures of the fault tests: a PostgreSQL database of the test's own, migrated by `cadence db
upgrade`; the fake Slack Web API; and the organisation the replicas serve (Slack team T0001)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.checkin_tick import checkin_producer
from bot.tick import enqueue_due
from conversations.messages import Platform
from conversations.schedule import WEEKDAYS
from conversations.words import Labels
from conversations.workspace_settings import validate_settings
from storage import org_import, workspaces
from storage.connections import new_organisation
from storage.database import Database
from storage.models import DeliveryStatus, InboxRequest, OutboxDelivery, Workspace
from storage.secrets import new_key
from tests.fakes.slack_api import PROXY_ENV_VARS, TEAM_ID, FakeSlackApi
from tests.reliability.replicas import PostgresDatabase, cadence_environment, replica_environment, run_cadence

SERVER_URL = os.environ.get("TEST_DATABASE_URL")


@dataclass
class Deployment:
    """One test's PostgreSQL database, the key its secrets are sealed under, and a connection to it
    from the test itself (to seed it before the replicas start and to look at the outbox)."""

    postgres: PostgresDatabase
    secret_key: str
    database: Database
    folder: Path
    workspace_id: int | None = None

    def environment(self, slack: FakeSlackApi, *, database_url: str | None = None, **overrides: str) -> dict[str, str]:
        url = database_url or self.postgres.url.render_as_string(hide_password=False)
        return replica_environment(url, slack, self.secret_key, **overrides)

    def seed(self, org_csv: str, settings: dict[str, Any] | None = None) -> int:
        """The organisation connected to Slack team T0001 with these people and ``settings`` (by
        default none but a check-in that isn't open: the default one, Friday 10:00, is open from
        Friday to Monday and would prompt everyone at the replicas' first tick); its id."""
        with self.database.session_scope() as session:
            workspace = new_organisation(session, "Acme", Platform.SLACK, TEAM_ID)
            assert workspace.id is not None
            report = org_import.import_org(session, workspace.id, org_csv)
            assert report.ok, report.errors[:3]
            self.workspace_id = workspace.id
        self.apply_settings(settings if settings is not None else checkin_opening_in(timedelta(days=3)))
        return workspace.id

    def apply_settings(self, settings: dict[str, Any]) -> None:
        """Store the organisation's settings, as `cadence config apply` does; replicas read them at their next tick."""
        parsed, errors = validate_settings(settings)
        assert errors == [], errors
        with self.database.session_scope() as session:
            workspace = session.get(Workspace, self.workspace_id)
            assert workspace is not None
            workspaces.apply_settings(session, workspace, parsed)

    def outbox(self) -> list[OutboxDelivery]:
        with self.database.session_scope() as session:
            rows = list(session.exec(select(OutboxDelivery).order_by(OutboxDelivery.id)))
            session.expunge_all()
            return rows

    def outbox_counts(self) -> dict[DeliveryStatus, int]:
        counts = dict.fromkeys(DeliveryStatus, 0)
        for row in self.outbox():
            counts[row.status] += 1
        return counts

    def inbox_by_actor(self) -> dict[str, dict[str, int]]:
        """How many requests each actor (platform, team, user) has in each status: what is stuck, and whose."""
        with self.database.session_scope() as session:
            rows = session.exec(select(InboxRequest.actor, InboxRequest.status)).all()
        found: dict[str, dict[str, int]] = {}
        for actor, status in rows:
            counts = found.setdefault(actor, {})
            counts[status.value] = counts.get(status.value, 0) + 1
        return found

    def workspace(self) -> Workspace:
        with self.database.session_scope() as session:
            workspace = session.get(Workspace, self.workspace_id)
            assert workspace is not None
            session.expunge(workspace)
            return workspace


FAULT_TESTS = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The fault tests run one after another on one pytest-xdist worker (the others share out the rest): each
    starts several replicas and times what they do, and two at once would oversubscribe the cores they time."""
    for item in items:
        if item.path.is_relative_to(FAULT_TESTS):
            item.add_marker(pytest.mark.xdist_group("fault-tests"))


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx (the test's client) and slack_sdk (the replicas') would send loopback calls to a proxy."""
    for name in PROXY_ENV_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def slack() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as fake:
        yield fake


@pytest.fixture(scope="session")
def databases_dropped() -> Iterator[list[threading.Thread]]:
    """Databases are dropped in the background: a DROP DATABASE waits for a checkpoint of the whole
    server (10 s on a busy one), which the next test needn't wait for. All are gone at the end."""
    drops: list[threading.Thread] = []
    yield drops
    for drop in drops:
        drop.join()


@pytest.fixture
def deployment(tmp_path: Path, databases_dropped: list[threading.Thread]) -> Iterator[Deployment]:
    """A fresh PostgreSQL database, migrated the way an operator does it, dropped after the test."""
    if SERVER_URL is None:
        pytest.skip("fault tests need PostgreSQL: TEST_DATABASE_URL is not set")
    postgres = PostgresDatabase(SERVER_URL).create()
    secret_key = new_key()
    database: Database | None = None
    try:
        url = postgres.url.render_as_string(hide_password=False)
        run_cadence(["db", "upgrade"], cadence_environment(url, secret_key), tmp_path)
        database = Database(url, secret_keys=secret_key)
        yield Deployment(postgres, secret_key, database, tmp_path)
    finally:
        if database is not None:
            database.dispose()
        drop = threading.Thread(target=postgres.drop, name=f"drop {postgres.name}")
        drop.start()
        databases_dropped.append(drop)


def people_csv(count: int, *, zone: str = "Etc/UTC", first_slack_number: int = 1) -> str:
    """``count`` people with Slack ids U0000001... (a manager-less org: each is their own digest reader)."""
    rows = ["email,name,slack_id,timezone"]
    for index in range(count):
        number = first_slack_number + index
        rows.append(f"p{number}@acme.example,Person {number},U{number:07d},{zone}")
    return "\n".join(rows) + "\n"


def checkin_opening_in(delay: timedelta, *, kudos: dict[str, Any] | None = None) -> dict[str, Any]:
    """Settings under which the weekly check-in opens ``delay`` from now in UTC (negative: it opened
    that long ago) and stays open two days, with no reminders."""
    opened = datetime.now(UTC) + delay
    closes = opened + timedelta(days=2)
    settings: dict[str, Any] = {
        "checkins": {
            "day": WEEKDAYS[opened.weekday()],
            "time": opened.strftime("%H:%M"),
            "reminders": [],
            "closes": f"{WEEKDAYS[closes.weekday()]} {closes.strftime('%H:%M')}",
        }
    }
    if kudos is not None:
        settings["kudos"] = kudos
    return settings


def checkin_open_now() -> dict[str, Any]:
    """A check-in that opened ten minutes ago: the next tick (or ``enqueue_checkin_prompts``) owes
    everyone in UTC their prompt."""
    return checkin_opening_in(-timedelta(minutes=10))


def enqueue_checkin_prompts(deployment: Deployment) -> int:
    """What the tick does at a check-in time, run now from the test: every prompt due, in the outbox."""
    enqueued = enqueue_due(deployment.database, datetime.now(UTC), [checkin_producer(Labels())], {Platform.SLACK})
    return sum(enqueued.values())

"""Teams' answers turned into sent, retry or failed: 429 with and without Retry-After, 412, 502 and
504 are retried (a 429 without using up an attempt), 403 and 404 (the app removed) fail with why;
Teams' per-conversation limit is kept to before Teams has to say so."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import AppConfig
from bot.outbox_sender import Failed, RetryLater, Sent, Throttled
from bot.teams.cards import Renderers
from bot.teams.sdk import build_sdk
from bot.teams.side import bind_tenant
from bot.teams.transport import TeamsLimits, TeamsTransport
from conversations.destinations import DirectMessage
from conversations.messages import Outbound, Platform
from storage import org_import, outbox, people
from storage.conversation_store import remember_reference
from storage.database import Database
from storage.models import OutboxDelivery
from tests.bot.teams.conftest import ADA, ORG
from tests.conftest import migrated_sqlite_file
from tests.fakes.teams_services import APP_ID, APP_SECRET, SEND, TENANT_ID, FakeMicrosoft

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{migrated_sqlite_file(tmp_path / 'delivery.db')}")
    yield database
    database.dispose()


def transport_for(database: Database, microsoft: FakeMicrosoft, limits: TeamsLimits | None = None) -> TeamsTransport:
    config = AppConfig(
        _env_file=None,
        teams_app_id=APP_ID,
        teams_app_password=APP_SECRET,
        teams_tenant_id=TENANT_ID,
        teams_login_url=microsoft.login_url,
        teams_openid_metadata_url=microsoft.openid_metadata_url,
        teams_token_issuer=microsoft.issuer,
        teams_service_url=microsoft.base_url,
    )
    return TeamsTransport(
        database, build_sdk(config), lambda: NOW, Renderers(), default_service_url=microsoft.base_url, limits=limits
    )


def row_for_ada(database: Database, microsoft: FakeMicrosoft, *, with_chat: bool = True) -> OutboxDelivery:
    with database.session_scope() as session:
        workspace = bind_tenant(session, TENANT_ID, TENANT_ID)
        assert org_import.import_org(session, workspace.id, ORG).ok
        ada = people.by_email(session, workspace.id, "ada@acme.example")
        if with_chat:
            reference = {"conversation": ADA.conversation, "service_url": microsoft.base_url, "tenant": TENANT_ID}
            remember_reference(session, workspace.id, ada.id, Platform.TEAMS, reference)
        outbox.enqueue_many(
            session,
            [
                outbox.message_row(
                    workspace_id=workspace.id,
                    platform=Platform.TEAMS,
                    message=Outbound("checkin_reminder", {"name": "Ada", "week": "2026-W49", "closes_local": "Mon"}),
                    destination=DirectMessage(ada.id),
                    dedupe_key="reminder:1",
                    not_before=NOW,
                )
            ],
        )
        return outbox.by_key(session, "reminder:1")


def deliver(transport: TeamsTransport, row: OutboxDelivery):
    return asyncio.run(transport.deliver(row))


@pytest.mark.parametrize(
    ("status", "retry_after", "throttled", "after"),
    [
        (429, 7, True, timedelta(seconds=7)),
        (429, None, True, None),
        (412, None, False, None),
        (502, None, False, None),
        (504, None, False, None),
    ],
)
def test_answers_worth_waiting_for_are_retried(
    database: Database, microsoft: FakeMicrosoft, status: int, retry_after: int | None, throttled: bool, after
) -> None:
    row = row_for_ada(database, microsoft)
    transport = transport_for(database, microsoft)
    microsoft.fail_next(SEND, status, retry_after=retry_after)
    outcome = deliver(transport, row)
    assert isinstance(outcome, RetryLater), outcome
    assert outcome.throttled is throttled and outcome.after == after
    assert isinstance(deliver(transport_for(database, microsoft), row), Sent), "the next try goes through"


@pytest.mark.parametrize(("status", "why"), [(403, "removed Cadence"), (404, "the chat is gone")])
def test_a_removed_app_fails_for_good_with_the_reason(
    database: Database, microsoft: FakeMicrosoft, status: int, why: str
) -> None:
    row = row_for_ada(database, microsoft)
    microsoft.fail_next(SEND, status)
    outcome = deliver(transport_for(database, microsoft), row)
    assert isinstance(outcome, Failed) and why in outcome.reason


def test_someone_without_a_teams_account_fails_with_what_to_do(database: Database, microsoft: FakeMicrosoft) -> None:
    with database.session_scope() as session:
        workspace = bind_tenant(session, TENANT_ID, TENANT_ID)
        assert org_import.import_org(session, workspace.id, "email,name\nzed@acme.example,Zed\n").ok
        outbox.enqueue_many(
            session,
            [
                outbox.message_row(
                    workspace_id=workspace.id,
                    platform=Platform.TEAMS,
                    message=Outbound("unknown_person"),
                    destination=DirectMessage(1),
                    dedupe_key="x:1",
                    not_before=NOW,
                )
            ],
        )
        row = outbox.by_key(session, "x:1")
    outcome = deliver(transport_for(database, microsoft), row)
    assert isinstance(outcome, Failed) and "teams_id" in outcome.reason


def test_the_per_conversation_limit_is_kept_to_before_teams_says_so() -> None:
    clock = [100.0]
    limits = TeamsLimits(lambda: NOW, monotonic=lambda: clock[0], max_inline_wait=timedelta(0))

    async def calls(count: int) -> int:
        made = 0
        for _ in range(count):
            try:
                await limits.before(TENANT_ID, "a:chat")
            except Throttled:
                break
            made += 1
        return made

    assert asyncio.run(calls(10)) == 7, "7 a second in one conversation"
    clock[0] += 1.01
    assert asyncio.run(calls(10)) == 7
    made = 14
    for _ in range(7):
        clock[0] += 1.01
        made += asyncio.run(calls(10))
    assert made == 60, "then no more than 60 in 30 seconds"
    clock[0] += 1.01
    assert asyncio.run(calls(10)) == 0, "until the oldest leave the 30-second window"
    assert asyncio.run(_tenant_limit()) == 50


async def _tenant_limit() -> int:
    limits = TeamsLimits(lambda: NOW, monotonic=lambda: 5.0, max_inline_wait=timedelta(0))
    made = 0
    for number in range(80):
        try:
            await limits.before(TENANT_ID, f"a:chat-{number}")
        except Throttled:
            break
        made += 1
    return made


def test_creating_chats_counts_against_the_tenant_only() -> None:
    """A chat being created is in no conversation yet: 50 a second, not one conversation's 7."""
    limits = TeamsLimits(lambda: NOW, monotonic=lambda: 5.0, max_inline_wait=timedelta(0))

    async def creations() -> int:
        made = 0
        for _ in range(60):
            try:
                await limits.before(TENANT_ID)
            except Throttled:
                break
            made += 1
        return made

    assert asyncio.run(creations()) == 50

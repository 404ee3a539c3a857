"""One scheduler leader per database: an advisory lock on PostgreSQL that another replica takes
over as soon as the leader's session ends; on SQLite one serving process per file."""

from __future__ import annotations

import os
import zlib
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.leadership import AdvisoryLockLeadership, AlreadyServing, OnlyProcessLeadership, leadership_for
from storage.database import Database
from tests.bot.cli_helpers import Cadence
from tests.bot.served import wait_until
from tests.conftest import another_replica


@pytest.fixture
def postgres(postgres_schema: str):
    from tests.conftest import postgres_database

    database = postgres_database(postgres_schema)
    yield database
    database.dispose()


@pytest.fixture
def contenders(postgres: Database, postgres_schema: str):
    """Two replicas' leaderships, each on its own engine, contending for one lock. Advisory locks are per
    database and every test's schema is in the same one, so the key is the test's own: a test running at the
    same time (another pytest-xdist worker, another checkout's suite) holds another."""
    other = another_replica(postgres)
    key = zlib.crc32(postgres_schema.encode())
    first, second = AdvisoryLockLeadership(postgres, key=key), AdvisoryLockLeadership(other, key=key)
    yield first, second
    first.release()
    second.release()
    other.dispose()


@pytest.mark.postgres
def test_one_replica_leads_and_another_takes_over_when_its_session_ends(postgres: Database, contenders) -> None:
    first, second = contenders
    assert first.lead() is True
    assert second.lead() is False, "the lock is held"
    assert first.lead() is True, "still held: the leader checks its own connection"
    assert (first.leading, second.leading) == (True, False)
    # the leader's process dies: the database ends its session, and the lock goes with it
    with postgres.engine.connect() as admin:
        admin.execute(
            sa.text("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = :key"),
            {"key": first.key},
        )
    wait_until(second.lead, timeout=5, what="the follower to take the lock over")  # termination is asynchronous
    assert first.lead() is False, "a leader whose session ended knows it no longer leads"
    assert first.leading is False


@pytest.mark.postgres
def test_a_leader_stepping_down_hands_over_at_once(contenders) -> None:
    first, second = contenders
    assert first.lead()
    first.release()
    assert second.lead()
    assert not first.lead()


def test_a_second_process_on_one_sqlite_file_is_refused_with_what_to_do(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'cadence.db'}")
    first, second = OnlyProcessLeadership(database), OnlyProcessLeadership(database)
    first.claim_database()
    with pytest.raises(AlreadyServing) as refused:
        second.claim_database()
    message = str(refused.value)
    assert "cadence.db is already served by process" in message
    assert "one `cadence serve` per database file" in message and "PostgreSQL" in message
    first.release()
    second.claim_database()  # once the first is gone, the file is free
    second.release()


def test_cadence_serve_on_a_served_sqlite_file_refuses_in_one_line(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "test-signing-secret")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")
    url = f"sqlite:///{tmp_path / 'cadence.db'}"
    cadence = Cadence(url)
    assert cadence("db", "upgrade").code == 0
    holder = OnlyProcessLeadership(Database(url))
    holder.claim_database()
    try:
        result = cadence("serve", "--port", "0")
    finally:
        holder.release()
    assert result.code == 1
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "is already served by process" in lines[0], result.err


def test_an_in_memory_database_has_no_file_to_lock() -> None:
    leadership = leadership_for(Database("sqlite://"))
    leadership.claim_database()
    assert leadership.lead() and leadership.leading


def runtimes_on(database: Database, producer) -> tuple:
    from datetime import UTC, datetime

    from bot.config import AppConfig
    from bot.runtime import Runtime

    other = another_replica(database)
    config = AppConfig(_env_file=None)
    clock = lambda: datetime(2026, 12, 4, 9, 0, tzinfo=UTC)  # noqa: E731
    return (
        Runtime(config, database, clock, [], [producer], adapters=[]),
        Runtime(config, other, clock, [], [producer], adapters=[]),
        other,
    )


@pytest.mark.postgres
def test_of_two_replicas_only_the_leader_ticks_and_the_other_takes_over_when_it_steps_down(
    postgres, monkeypatch
) -> None:
    import asyncio

    from bot.runtime import check_leadership_job, run_tick_job
    from storage.models import Workspace

    ticks: list[int] = []

    def producer(session, workspace, now, reach) -> int:
        ticks.append(id(session.get_bind()))
        return 0

    with postgres.session_scope() as session:
        session.add(Workspace(name="Acme"))
    first, second, other = runtimes_on(postgres, producer)

    async def scenario() -> None:
        await run_tick_job(first)
        await run_tick_job(second)
        assert (first.leadership.leading, second.leadership.leading) == (True, False)
        await asyncio.to_thread(first.leadership.release)
        await check_leadership_job(second)  # the follower's 5-second check: takes over and ticks at once
        assert second.leadership.leading

    import bot.tick
    from conversations.messages import Platform
    from storage.reach import Reach

    monkeypatch.setattr(
        bot.tick, "reach_for", lambda session, workspace_id, platforms: Reach(platforms=(Platform.SLACK,))
    )
    try:
        asyncio.run(scenario())
    finally:
        second.leadership.release()
        other.dispose()
    assert len(ticks) == 2, "the leader's tick, then the new leader's: never the follower's"
    assert ticks[0] != ticks[1]


@pytest.mark.postgres
def test_the_leaders_connection_is_never_left_inside_a_transaction(postgres: Database, contenders) -> None:
    """A session idle in a transaction holds back vacuum on every table: the claims' rows piled up dead
    versions, and a claim took 100-200 ms instead of 3 (found under bench/slack_burst.py)."""
    leader, _ = contenders
    assert leader.lead() is True
    assert leader.lead() is True  # the check before each tick
    with postgres.engine.connect() as admin:  # the session holding the lock (one bigint key: objid is its low half)
        state = admin.execute(
            sa.text(
                "SELECT activity.state FROM pg_locks JOIN pg_stat_activity activity USING (pid)"
                " WHERE pg_locks.locktype = 'advisory' AND pg_locks.objid = :key AND pg_locks.objsubid = 1"
            ),
            {"key": leader.key},
        ).scalar()
    assert state == "idle"


@pytest.mark.postgres
def test_the_scheduler_lock_and_the_wakeup_take_the_session_url_past_a_pooler(postgres: Database) -> None:
    """PgBouncer in transaction mode would hand the lock's session to another client: DATABASE_SESSION_URL
    routes the two connections that keep session state past it."""
    from datetime import UTC, datetime

    from bot.config import AppConfig
    from bot.runtime import Runtime
    from tests.conftest import POSTGRES_URL

    assert POSTGRES_URL is not None
    name = f"cadence_session_{os.getpid()}"
    session_url = sa.make_url(POSTGRES_URL).update_query_dict({"application_name": name}).render_as_string(False)
    config = AppConfig(_env_file=None, database_session_url=session_url)
    runtime = Runtime(config, postgres, lambda: datetime(2026, 12, 4, 9, 0, tzinfo=UTC), [], [], adapters=[])
    runtime.leadership.key = zlib.crc32(name.encode())
    assert runtime.session_database is not postgres
    try:
        assert runtime.leadership.lead()
        with postgres.engine.connect() as connection:
            holder = connection.execute(
                sa.text(
                    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE l.locktype = 'advisory' AND l.objid = :key"
                ),
                {"key": runtime.leadership.key},
            ).scalar_one()
        assert holder == name
        assert runtime.channel.conninfo().endswith(f"application_name={name}")
    finally:
        runtime.leadership.release()
        runtime.session_database.dispose()


def test_a_session_url_beside_sqlite_is_refused_with_what_to_do(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from bot.config import AppConfig, ConfigError
    from bot.runtime import Runtime

    config = AppConfig(_env_file=None, database_session_url="postgresql+psycopg://cadence@db/cadence")
    with pytest.raises(ConfigError, match="DATABASE_SESSION_URL is for PostgreSQL behind a pooler"):
        Runtime(config, Database(f"sqlite:///{tmp_path}/c.db"), lambda: datetime.now(UTC), [], [], adapters=[])

"""The tick's wake-up reaches every replica's sender through PostgreSQL, not only the leader's, so a
large fan-out starts on all replicas at once (bench/replicas.py measured the leader keeping about
twice an even share when the others waited for their next poll)."""

from __future__ import annotations

import asyncio
import zlib

import pytest
import sqlalchemy as sa

from bot.replica_channel import NoOtherReplicas, PostgresChannel, news_from, news_payload, replica_channel_for
from bot.shared_pace import PaceNews
from storage.database import Database
from tests.conftest import another_replica


@pytest.fixture
def postgres(postgres_schema: str):
    from tests.conftest import postgres_database

    database = postgres_database(postgres_schema)
    yield database
    database.dispose()


def channel_of(schema: str) -> str:
    """A channel per test: notifications are per database, and every test's schema is in the same one."""
    return f"cadence_test_{zlib.crc32(schema.encode())}"


async def woken(wakes: list[int], count: int, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while len(wakes) < count:
            await asyncio.sleep(0.01)


@pytest.mark.postgres
def test_an_announcement_on_one_replica_wakes_another_and_the_listener_stops_when_asked(
    postgres: Database, postgres_schema: str
) -> None:
    other = another_replica(postgres)
    speaker = PostgresChannel(postgres, channel=channel_of(postgres_schema))
    listener = PostgresChannel(other, channel=channel_of(postgres_schema))
    wakes: list[int] = []
    heard: list[PaceNews] = []

    async def scenario() -> None:
        stop = asyncio.Event()
        listening = asyncio.create_task(listener.listen(lambda: wakes.append(1), heard.append, stop))
        await woken(wakes, 1)  # once on listening: what was announced before it listened is looked for
        await asyncio.to_thread(speaker.announce)
        await woken(wakes, 2)
        await asyncio.to_thread(speaker.announce)
        await woken(wakes, 3)
        stop.set()
        async with asyncio.timeout(2):
            await listening

    try:
        asyncio.run(scenario())
    finally:
        other.dispose()
    assert len(wakes) == 3 and heard == []


@pytest.mark.postgres
def test_a_listener_whose_session_ends_listens_again(postgres: Database, postgres_schema: str) -> None:
    channel = channel_of(postgres_schema)
    speaker, listener = PostgresChannel(postgres, channel=channel), PostgresChannel(postgres, channel=channel)
    wakes: list[int] = []
    heard: list[PaceNews] = []

    def listening_sessions() -> list[int]:
        with postgres.engine.connect() as connection:
            return list(
                connection.execute(
                    sa.text("SELECT pid FROM pg_stat_activity WHERE query = :listen"), {"listen": f'LISTEN "{channel}"'}
                ).scalars()
            )

    async def scenario() -> None:
        stop = asyncio.Event()
        listening = asyncio.create_task(listener.listen(lambda: wakes.append(1), heard.append, stop))
        await woken(wakes, 1)
        (pid,) = await asyncio.to_thread(listening_sessions)
        with postgres.engine.connect() as connection:  # the database restarts, or a proxy cuts the session
            connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await woken(wakes, 2)  # listening again, on a new session
        await asyncio.to_thread(speaker.announce)
        await woken(wakes, 3)
        stop.set()
        await listening

    asyncio.run(scenario())
    assert len(wakes) == 3


@pytest.mark.postgres
def test_the_leaders_tick_wakes_the_other_replicas_sender(postgres: Database, postgres_schema: str) -> None:
    from bot.leadership import AdvisoryLockLeadership
    from bot.runtime import run_tick_job
    from tests.bot.test_leadership import runtimes_on

    leader, follower, other = runtimes_on(postgres, lambda session, workspace, now, reach: 0)
    leader.leadership = AdvisoryLockLeadership(postgres, key=zlib.crc32(postgres_schema.encode()))
    leader.channel = PostgresChannel(postgres, channel=channel_of(postgres_schema))
    follower.channel = PostgresChannel(other, channel=channel_of(postgres_schema))
    wakes: list[int] = []
    heard: list[PaceNews] = []

    async def scenario() -> None:
        stop = asyncio.Event()
        listening = asyncio.create_task(follower.channel.listen(lambda: wakes.append(1), heard.append, stop))
        await woken(wakes, 1)
        await run_tick_job(leader)
        await woken(wakes, 2)
        stop.set()
        await listening

    try:
        asyncio.run(scenario())
    finally:
        leader.leadership.release()
        other.dispose()
    assert leader.leadership.leading is False and len(wakes) == 2


def test_sqlite_has_no_other_replica_to_wake(tmp_path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'cadence.db'}")
    channel = replica_channel_for(database)
    assert isinstance(channel, NoOtherReplicas)
    channel.announce()
    channel.tell(PaceNews("slack:T1:chat.postMessage", 16.0, "a"))
    asyncio.run(channel.listen(lambda: pytest.fail("nothing to hear on SQLite"), pytest.fail, asyncio.Event()))


@pytest.mark.postgres
def test_a_replicas_pace_reaches_the_others_and_a_wake_up_stays_a_wake_up(
    postgres: Database, postgres_schema: str
) -> None:
    other = another_replica(postgres)
    speaker = PostgresChannel(postgres, channel=channel_of(postgres_schema))
    listener = PostgresChannel(other, channel=channel_of(postgres_schema))
    wakes: list[int] = []
    heard: list[PaceNews] = []
    news = PaceNews("slack:T0001:chat.postMessage", 15.8, "host:42:abc123")

    async def scenario() -> None:
        stop = asyncio.Event()
        listening = asyncio.create_task(listener.listen(lambda: wakes.append(1), heard.append, stop))
        await woken(wakes, 1)
        await asyncio.to_thread(speaker.tell, news)
        async with asyncio.timeout(5):
            while not heard:
                await asyncio.sleep(0.01)
        stop.set()
        await listening

    try:
        asyncio.run(scenario())
    finally:
        other.dispose()
    assert heard == [news] and len(wakes) == 1, "pace news is not a wake-up"


def test_news_a_replica_can_not_read_is_a_plain_wake_up() -> None:
    news = PaceNews("slack:T1:chat.postMessage", 12.5, "h:1:x")
    assert news_from(news_payload(news)) == news
    assert news_from("") is None
    assert news_from('{"pace": {"limit": "x"}}') is None  # a newer release's news, say
    assert news_from("not json") is None

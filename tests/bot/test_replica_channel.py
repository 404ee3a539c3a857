"""The tick's wake-up reaches every replica's sender through PostgreSQL, not only the leader's, so a
large fan-out starts on all replicas at once (bench/replicas.py measured the leader keeping about
twice an even share when the others waited for their next poll)."""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import AsyncIterator

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


@pytest.fixture
def speaker_and_listener(postgres: Database, postgres_schema: str):
    """Two replicas' channels, each on its own engine: one tells, the other listens."""
    other = another_replica(postgres)
    yield (
        PostgresChannel(postgres, channel=channel_of(postgres_schema)),
        PostgresChannel(other, channel=channel_of(postgres_schema)),
    )
    other.dispose()


def channel_of(schema: str) -> str:
    """A channel per test: notifications are per database, and every test's schema is in the same one."""
    return f"cadence_test_{zlib.crc32(schema.encode())}"


async def woken(wakes: list[int], count: int, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while len(wakes) < count:
            await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def listening(listener: PostgresChannel) -> AsyncIterator[tuple[list[int], list[PaceNews]]]:
    """The listener running, woken once on listening (what was announced before it listened is looked
    for), and what it heard: wake-ups and pace news. It stops, within 2 s, on leaving."""
    wakes: list[int] = []
    heard: list[PaceNews] = []
    stop = asyncio.Event()
    task = asyncio.create_task(listener.listen(lambda: wakes.append(1), heard.append, stop))
    await woken(wakes, 1)
    try:
        yield wakes, heard
    finally:
        stop.set()
        async with asyncio.timeout(2):
            await task


@pytest.mark.postgres
def test_an_announcement_on_one_replica_wakes_another_and_the_listener_stops_when_asked(speaker_and_listener) -> None:
    speaker, listener = speaker_and_listener

    async def scenario() -> tuple[list[int], list[PaceNews]]:
        async with listening(listener) as (wakes, heard):
            await asyncio.to_thread(speaker.announce)
            await woken(wakes, 2)
            await asyncio.to_thread(speaker.announce)
            await woken(wakes, 3)
        return wakes, heard

    wakes, heard = asyncio.run(scenario())
    assert len(wakes) == 3 and heard == []


@pytest.mark.postgres
def test_a_listener_whose_session_ends_listens_again(postgres: Database, postgres_schema: str) -> None:
    channel = channel_of(postgres_schema)
    speaker, listener = PostgresChannel(postgres, channel=channel), PostgresChannel(postgres, channel=channel)

    def listening_sessions() -> list[int]:
        with postgres.engine.connect() as connection:
            return list(
                connection.execute(
                    sa.text("SELECT pid FROM pg_stat_activity WHERE query = :listen"), {"listen": f'LISTEN "{channel}"'}
                ).scalars()
            )

    async def scenario() -> list[int]:
        async with listening(listener) as (wakes, _):
            (pid,) = await asyncio.to_thread(listening_sessions)
            with postgres.engine.connect() as connection:  # the database restarts, or a proxy cuts the session
                connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            await woken(wakes, 2)  # listening again, on a new session
            await asyncio.to_thread(speaker.announce)
            await woken(wakes, 3)
        return wakes

    assert len(asyncio.run(scenario())) == 3


@pytest.mark.postgres
def test_the_leaders_tick_wakes_the_other_replicas_sender(postgres: Database, postgres_schema: str) -> None:
    from bot.leadership import AdvisoryLockLeadership
    from bot.runtime import run_tick_job
    from tests.bot.test_leadership import runtimes_on

    leader, follower, other = runtimes_on(postgres, lambda session, workspace, now, reach: 0)
    leader.leadership = AdvisoryLockLeadership(postgres, key=zlib.crc32(postgres_schema.encode()))
    leader.channel = PostgresChannel(postgres, channel=channel_of(postgres_schema))
    follower.channel = PostgresChannel(other, channel=channel_of(postgres_schema))

    async def scenario() -> list[int]:
        async with listening(follower.channel) as (wakes, _):
            await run_tick_job(leader)
            await woken(wakes, 2)
        return wakes

    try:
        wakes = asyncio.run(scenario())
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
def test_a_replicas_pace_reaches_the_others_and_a_wake_up_stays_a_wake_up(speaker_and_listener) -> None:
    speaker, listener = speaker_and_listener
    news = PaceNews("slack:T0001:chat.postMessage", 15.8, "host:42:abc123")

    async def scenario() -> tuple[list[int], list[PaceNews]]:
        async with listening(listener) as (wakes, heard):
            await asyncio.to_thread(speaker.tell, news)
            async with asyncio.timeout(5):
                while not heard:
                    await asyncio.sleep(0.01)
        return wakes, heard

    wakes, heard = asyncio.run(scenario())
    assert heard == [news] and len(wakes) == 1, "pace news is not a wake-up"


def test_news_a_replica_can_not_read_is_a_plain_wake_up() -> None:
    news = PaceNews("slack:T1:chat.postMessage", 12.5, "h:1:x")
    assert news_from(news_payload(news)) == news
    assert news_from("") is None
    assert news_from('{"pace": {"limit": "x"}}') is None  # a newer release's news, say
    assert news_from("not json") is None

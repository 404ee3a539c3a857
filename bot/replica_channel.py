"""What the replicas tell each other through PostgreSQL (``LISTEN``/``NOTIFY``): that the tick queued
work, and the pace each keeps to under a platform's rate limit.

The leader's tick woke its own sender in-process; the other replicas found the rows at their next
poll, up to a second later, and by then the leader had the rate limit to itself and kept about
twice an even share of a large fan-out (bench/replicas.py). And each sender learns a limit's pace
from its own 429s, so replicas that started unevenly stayed uneven (``bot/shared_pace.py``).
PostgreSQL carries both, so the replicas need nothing but the database they already share. A missed
notification costs little: the senders still poll, and a pace is learned again from the next 429.

SQLite serves one process, whose sender the tick wakes directly: nobody to tell there.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Protocol

import sqlalchemy as sa

from bot.shared_pace import PaceNews
from storage.database import POSTGRES_CONNECT_OPTIONS, UNAVAILABLE, Database

log = logging.getLogger(__name__)

CHANNEL = "cadence_outbox"
"""Per database, like the scheduler's lock: two installations on two databases never hear each other."""
RECONNECT_SECONDS = (0.5, 10.0)  # first and longest wait between tries while the database is away


def news_payload(news: PaceNews) -> str:
    return json.dumps({"pace": {"limit": news.limit, "rate": news.rate, "replica": news.replica}})


def news_from(payload: str) -> PaceNews | None:
    """The pace news in a notification, or None for a plain wake-up (or anything this release can't read:
    a newer replica may say more during a rolling upgrade)."""
    if not payload:
        return None
    try:
        said = json.loads(payload)["pace"]
        return PaceNews(str(said["limit"]), float(said["rate"]), str(said["replica"]))
    except (ValueError, KeyError, TypeError):
        return None


class ReplicaChannel(Protocol):
    def announce(self) -> None:
        """Tell every replica (this one included) that deliveries were queued (blocking: call it in a thread)."""

    def tell(self, news: PaceNews) -> None:
        """Tell every replica the pace this one keeps to (blocking; a database that is away loses the news)."""

    async def listen(self, wake: Callable[[], None], heard: Callable[[PaceNews], None], stop: asyncio.Event) -> None:
        """Call ``wake`` when a replica announces work, ``heard`` with its pace news, until ``stop`` is set."""


class PostgresChannel:
    """``NOTIFY`` to tell, ``LISTEN`` on a connection of each replica's own (outside the pool: a listening
    session must stay the same session)."""

    def __init__(self, database: Database, channel: str = CHANNEL) -> None:
        self.database = database
        self.channel = channel

    def announce(self) -> None:
        self._notify("")

    def tell(self, news: PaceNews) -> None:
        with contextlib.suppress(*UNAVAILABLE):  # the pace is learned again from the next 429 all the same
            self._notify(news_payload(news))

    def _notify(self, payload: str) -> None:
        with self.database.engine.connect() as connection:
            connection.execute(
                sa.text("SELECT pg_notify(:channel, :payload)"), {"channel": self.channel, "payload": payload}
            )
            connection.commit()

    def conninfo(self) -> str:
        return self.database.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    async def listen(self, wake: Callable[[], None], heard: Callable[[PaceNews], None], stop: asyncio.Event) -> None:
        import psycopg  # installed with the postgres extra, which a database URL of PostgreSQL needs anyway

        delay = RECONNECT_SECONDS[0]
        while not stop.is_set():
            try:
                await self._listen_once(wake, heard, stop)
                return
            except psycopg.OperationalError as error:
                log.warning("the replicas' channel lost the database (%s); listening again in %.1f s", error, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            delay = min(delay * 2, RECONNECT_SECONDS[1])

    async def _listen_once(
        self, wake: Callable[[], None], heard: Callable[[PaceNews], None], stop: asyncio.Event
    ) -> None:
        import psycopg
        from psycopg import sql

        connection = await psycopg.AsyncConnection.connect(self.conninfo(), autocommit=True, **POSTGRES_CONNECT_OPTIONS)
        async with connection:
            await connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
            wake()  # whatever was announced while this replica wasn't listening

            async def hear() -> None:
                async for notification in connection.notifies():
                    news = news_from(notification.payload)
                    if news is None:
                        wake()
                    else:
                        heard(news)

            hearing, stopping = asyncio.create_task(hear()), asyncio.create_task(stop.wait())
            try:
                await asyncio.wait({hearing, stopping}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopping.cancel()
                hearing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await hearing  # raises what ended the hearing, if not the stop


class NoOtherReplicas:
    """SQLite: one serving process, whose sender the tick wakes itself."""

    def announce(self) -> None:
        return None

    def tell(self, news: PaceNews) -> None:
        return None

    async def listen(self, wake: Callable[[], None], heard: Callable[[PaceNews], None], stop: asyncio.Event) -> None:
        return None


def replica_channel_for(database: Database) -> ReplicaChannel:
    return PostgresChannel(database) if database.dialect == "postgresql" else NoOtherReplicas()

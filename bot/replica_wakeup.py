"""Waking every replica's sender when the tick has queued work, not only the leader's.

The leader's tick wakes its own sender in-process; the other replicas found the rows at their next
poll, up to a second later, and by then the leader had the rate limit to itself: its sender learns
the pace Slack allows from its own successes, so it kept about twice an even share of a large
fan-out (bench/replicas.py). PostgreSQL carries the wake-up itself (``LISTEN``/``NOTIFY``), so the
replicas need nothing but the database they already share. A missed notification costs only the
poll interval: the senders still poll, so this is a shortcut, never the only way work is found.

SQLite serves one process, whose sender the tick wakes directly: nothing to announce there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Protocol

import sqlalchemy as sa

from storage.database import POSTGRES_CONNECT_OPTIONS, Database

log = logging.getLogger(__name__)

CHANNEL = "cadence_outbox"
"""Per database, like the scheduler's lock: two installations on two databases never hear each other."""
RECONNECT_SECONDS = (0.5, 10.0)  # first and longest wait between tries while the database is away


class ReplicaWakeup(Protocol):
    def announce(self) -> None:
        """Tell every replica (this one included) that deliveries were queued (blocking: call it in a thread)."""

    async def listen(self, wake: Callable[[], None], stop: asyncio.Event) -> None:
        """Call ``wake`` whenever a replica announces, until ``stop`` is set."""


class PostgresWakeup:
    """``NOTIFY`` after the tick, ``LISTEN`` on a connection of each replica's own (outside the pool: a
    listening session must stay the same session)."""

    def __init__(self, database: Database, channel: str = CHANNEL) -> None:
        self.database = database
        self.channel = channel

    def announce(self) -> None:
        with self.database.engine.connect() as connection:
            connection.execute(sa.text("SELECT pg_notify(:channel, '')"), {"channel": self.channel})
            connection.commit()

    def conninfo(self) -> str:
        return self.database.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    async def listen(self, wake: Callable[[], None], stop: asyncio.Event) -> None:
        import psycopg  # installed with the postgres extra, which a database URL of PostgreSQL needs anyway

        delay = RECONNECT_SECONDS[0]
        while not stop.is_set():
            try:
                await self._listen_once(wake, stop)
                return
            except psycopg.OperationalError as error:
                log.warning("the replica wake-up lost the database (%s); listening again in %.1f s", error, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            delay = min(delay * 2, RECONNECT_SECONDS[1])

    async def _listen_once(self, wake: Callable[[], None], stop: asyncio.Event) -> None:
        import psycopg
        from psycopg import sql

        connection = await psycopg.AsyncConnection.connect(self.conninfo(), autocommit=True, **POSTGRES_CONNECT_OPTIONS)
        async with connection:
            await connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
            wake()  # whatever was announced while this replica wasn't listening

            async def hear() -> None:
                async for _ in connection.notifies():
                    wake()

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

    async def listen(self, wake: Callable[[], None], stop: asyncio.Event) -> None:
        return None


def replica_wakeup_for(database: Database) -> ReplicaWakeup:
    return PostgresWakeup(database) if database.dialect == "postgresql" else NoOtherReplicas()

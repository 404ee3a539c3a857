"""Which replica runs the scheduler: exactly one at a time, and another soon after it dies.

Every replica records requests, works the inbox and drains the outbox; only the tick (what is due
this minute) is run by one of them, the leader. On PostgreSQL leadership is a session advisory
lock held on a connection of its own: the database lets one session hold it, and frees it the
moment that session ends (a process killed, a connection cut, a network gone quiet for the TCP
keepalives), so a follower that asks every few seconds takes over within seconds. The leader
checks its connection before each tick, so a leader cut off from the database stops leading.

SQLite admits one serving process per database file (a second one would fight the first for the
write lock and run every tick twice), so there the lock is a file lock beside the database, taken
at start-up: a second ``cadence serve`` on the same file is refused in one sentence.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import IO, Protocol

import sqlalchemy as sa

from storage.database import Database

log = logging.getLogger(__name__)

SCHEDULER_LOCK_KEY = 0x43616465_6E636531  # "Cadence1": one advisory lock per database, the scheduler's
"""A fixed 64-bit key; the lock is per database, so two installations on two databases never meet."""


class Leadership(Protocol):
    def claim_database(self) -> None:
        """At start-up, before serving: refuse (``AlreadyServing``) where only one process may serve."""

    def lead(self) -> bool:
        """Whether this process leads now: take the lock if it is free, check it is still held if ours."""

    @property
    def leading(self) -> bool:
        """What the last ``lead`` found, without asking the database (for /metrics)."""

    def release(self) -> None:
        """Stop leading (shutdown), so another replica takes over at once rather than after a timeout."""

    def handed_down(self) -> tuple[int, ...]:
        """Descriptors this process's worker processes keep open, so its claim lasts as long as the last of them."""


class AlreadyServing(RuntimeError):
    """Another ``cadence serve`` has this SQLite file; the message says what to do instead."""


class AdvisoryLockLeadership:
    """PostgreSQL: ``pg_try_advisory_lock`` on a dedicated connection, kept open while leading."""

    def __init__(self, database: Database, key: int = SCHEDULER_LOCK_KEY) -> None:
        self.database = database
        self.key = key
        self.connection: sa.Connection | None = None

    @property
    def leading(self) -> bool:
        return self.connection is not None

    def claim_database(self) -> None:
        """Any number of replicas may serve one PostgreSQL database."""

    def handed_down(self) -> tuple[int, ...]:
        return ()

    def lead(self) -> bool:
        if self.connection is not None:
            try:
                self.connection.exec_driver_sql("SELECT 1")
                self.connection.commit()  # never left idle in a transaction: that would hold back vacuum everywhere
            except sa.exc.DBAPIError:
                log.warning("this replica lost its connection to the database and no longer runs the scheduler")
                self._drop()
                return False
            return True
        try:
            connection = self.database.engine.connect()
        except sa.exc.DBAPIError:
            return False
        try:
            won = bool(connection.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar())
            connection.commit()  # the lock belongs to the session, not to this transaction
        except sa.exc.DBAPIError:
            connection.close()
            return False
        if not won:
            connection.close()
            return False
        self.connection = connection
        log.info("this replica now runs the scheduler (PostgreSQL advisory lock %s)", self.key)
        return True

    def release(self) -> None:
        if self.connection is None:
            return
        try:
            self.connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            self.connection.commit()
        except sa.exc.DBAPIError:
            pass  # the connection is gone, and the lock with it
        self._drop()

    def _drop(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                connection.invalidate()  # never back into the pool: the session may still hold the lock
                connection.close()
            except sa.exc.DBAPIError:
                pass


class OnlyProcessLeadership:
    """SQLite: this process is the only one serving the file, and so the leader, for as long as it runs."""

    def __init__(self, database: Database) -> None:
        self.lock_file: IO[str] | None = None
        database_file = database.engine.url.database
        self.path = None if not database_file or database_file == ":memory:" else Path(database_file + ".serving")

    @property
    def leading(self) -> bool:
        return True

    def claim_database(self) -> None:
        """Take the file lock for as long as this process lives, or refuse to serve."""
        if self.path is None:
            return
        lock_file = self.path.open("a+")
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.seek(0)
            holder = lock_file.read().strip() or "another process"
            lock_file.close()
            database = self.path.with_suffix("")
            raise AlreadyServing(
                f"{database} is already served by {holder}; SQLite allows one `cadence serve` per database file, "
                "so stop that one first, or move to PostgreSQL (DATABASE_URL=postgresql+psycopg://user@host/cadence) "
                "to run several replicas"
            ) from None
        lock_file.seek(0)
        lock_file.truncate()
        lock_file.write(f"process {os.getpid()}\n")
        lock_file.flush()
        self.lock_file = lock_file

    def lead(self) -> bool:
        return True

    def handed_down(self) -> tuple[int, ...]:
        """The lock file: a second ``cadence serve`` stays refused while a worker process of this one lives."""
        return () if self.lock_file is None else (self.lock_file.fileno(),)

    def release(self) -> None:
        lock_file, self.lock_file = self.lock_file, None
        if lock_file is not None:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
            lock_file.close()


def leadership_for(database: Database) -> AdvisoryLockLeadership | OnlyProcessLeadership:
    if database.dialect == "postgresql":
        return AdvisoryLockLeadership(database)
    return OnlyProcessLeadership(database)

"""Engine and unit-of-work: the one place where Cadence commits.

Repositories take a ``Session`` and never commit; callers group their writes in one
``Database.session_scope()`` so a failure anywhere rolls the whole unit back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import Session

from storage import secrets

DEFAULT_DATABASE_URL = "sqlite:///./cadence.db"
SQLITE_BUSY_TIMEOUT_MS = 5000
POOL_SIZE = 20
"""Connections a process keeps open: one for each thread that works with the database at once (the
request handlers, the inbox worker's threads, the sender's, the scheduler's lock and the wake-up), so
none is opened per unit of work. With SQLAlchemy's default of 5, the rest overflowed, and each unit of
work past the fifth opened a connection and closed it after: on SQLite that is the schema read and
parsed again (a third of a worker's time under a burst), on PostgreSQL a new backend."""


class NotAnswering(Exception):
    """The database took longer than a platform waits for an answer (a hung server: connections open,
    nothing coming back); raised to the caller while the statement itself goes on in its thread."""


UNAVAILABLE = (sa.exc.OperationalError, sa.exc.InterfaceError, NotAnswering)
"""What a statement raises when the database can't be reached or is restarting (or, on SQLite, stayed
locked past the busy timeout): worth trying again soon, not a bug in the statement."""

PING_TIMEOUT_SECONDS = 0.7  # with the answer on its way, well within the second a health check is owed
POSTGRES_CONNECT_OPTIONS = {
    "connect_timeout": 3,  # libpq's minimum is 2 s: an unreachable host fails fast instead of hanging
    "keepalives": 1,  # a peer gone quiet (a cut network) is noticed in about 25 s, and its locks freed
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
}


class DatabaseUrlError(ValueError):
    """The configured DATABASE_URL can't be used; the message says how to fix it."""


def normalise_url(url: str) -> sa.URL:
    """Accept the URL forms operators paste and pick the driver Cadence supports."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError as error:
        raise DatabaseUrlError(
            f"DATABASE_URL {url!r} is not a database URL; "
            "use e.g. sqlite:///./cadence.db or postgresql+psycopg://user@host/db"
        ) from error
    backend = parsed.get_backend_name()
    if backend == "postgresql" and parsed.drivername != "postgresql+psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend not in ("sqlite", "postgresql"):
        raise DatabaseUrlError(
            f"DATABASE_URL uses {backend!r}; Cadence supports sqlite:/// and postgresql+psycopg:// URLs"
        )
    return parsed


def _apply_sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_engine(url: str = DEFAULT_DATABASE_URL, **engine_options) -> sa.Engine:
    """``hide_parameters``: a failed statement's error and log line never show its values, which
    may be a token or someone's words."""
    parsed = normalise_url(url)
    engine_options.setdefault("hide_parameters", True)
    engine_options.setdefault("pool_size", POOL_SIZE)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine_options.setdefault("connect_args", {"check_same_thread": False})
        engine = sa.create_engine(parsed, **engine_options)
        sa.event.listen(engine, "connect", _apply_sqlite_pragmas)
        return engine
    engine_options.setdefault("pool_pre_ping", True)
    engine_options.setdefault("pool_timeout", 5)  # a request waits 5 s for a pooled connection, not 30
    engine_options["connect_args"] = {**POSTGRES_CONNECT_OPTIONS, **engine_options.get("connect_args", {})}
    return sa.create_engine(parsed, **engine_options)


class RowHoldingSession(Session):
    """A session that keeps every row it loads or adds until it closes. A session's identity map holds
    rows only weakly, so the person one step of a request read (who spoke, whom they named) was gone by
    the next step, and read again: three more statements in a kudos. Only for a request's unit of
    work: a bulk job would keep all it ever read. (Listening on the class, not on each session: adding
    listeners to a session cost a twentieth of handling a command.)"""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.held_rows: list[object] = []


def _hold(session: Session, row: object) -> None:
    if isinstance(session, RowHoldingSession):
        session.held_rows.append(row)


sa.event.listen(RowHoldingSession, "loaded_as_persistent", _hold)
sa.event.listen(RowHoldingSession, "pending_to_persistent", _hold)


class Database:
    """An engine plus the unit-of-work around it; built once per process and passed down.

    ``secret_keys`` is ``CADENCE_SECRET_KEY``'s value: the keys that tokens and private notes are
    encrypted under (see :mod:`storage.secrets` for where they come from without it)."""

    def __init__(self, url: str = DEFAULT_DATABASE_URL, *, secret_keys: str | None = None, **engine_options) -> None:
        self.url = url
        self.engine = create_engine(url, **engine_options)
        self.secrets = secrets.box_for(self.engine.url, secret_keys)
        setattr(self.engine.dialect, secrets.DIALECT_ATTRIBUTE, self.secrets)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session_scope(self, *, hold_rows: bool = False) -> Iterator[Session]:
        """One unit of work, committed at the end; ``hold_rows`` for a short one that reads the same rows
        in several steps (``RowHoldingSession``)."""
        session = (RowHoldingSession if hold_rows else Session)(self.engine, expire_on_commit=False)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def ping(self) -> bool:
        """True when the database answers a trivial query; used by health checks."""
        try:
            with self.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError:
            return False
        return True

    def dispose(self) -> None:
        self.engine.dispose()

"""Shared test fixtures: an offline guard, a fresh migrated database per test, and helpers.

The storage suite runs against SQLite always and against PostgreSQL when ``TEST_DATABASE_URL``
is set; each PostgreSQL test gets a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from storage import migrate
from storage.database import Database
from storage.secrets import new_key

LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost", "0.0.0.0"}
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")


class NetworkAccessInTests(RuntimeError):
    """A test tried to leave the machine; tests must use fakes on loopback."""


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check_address(sock: socket.socket, address) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        if host not in LOOPBACK_HOSTS and not str(host).startswith("127."):
            raise NetworkAccessInTests(f"test tried to connect to {address!r}; use a fake on 127.0.0.1")


def _guarded_connect(sock: socket.socket, address) -> None:
    _check_address(sock, address)
    return _real_connect(sock, address)


def _guarded_connect_ex(sock: socket.socket, address) -> int:
    _check_address(sock, address)
    return _real_connect_ex(sock, address)


def pytest_configure(config: pytest.Config) -> None:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if POSTGRES_URL is None:
        terminalreporter.write_line(
            "PostgreSQL suite SKIPPED: TEST_DATABASE_URL is not set, so only SQLite was tested "
            "(.ci/run sets it to the local PostgreSQL).",
            yellow=True,
            bold=True,
        )


def sqlite_database(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'cadence-test.db'}")
    migrate.upgrade(database.engine)
    return database


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    """A fresh, migrated SQLite database."""
    database = sqlite_database(tmp_path)
    yield database
    database.dispose()


@pytest.fixture
def postgres_schema() -> Iterator[str]:
    if POSTGRES_URL is None:
        pytest.skip("PostgreSQL suite: TEST_DATABASE_URL is not set")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


POSTGRES_SECRET_KEY = new_key()
"""The key PostgreSQL tests encrypt under: PostgreSQL has no key file, as production sets CADENCE_SECRET_KEY."""


def postgres_database(schema: str, *, migrated: bool = True) -> Database:
    assert POSTGRES_URL is not None
    database = Database(
        POSTGRES_URL, secret_keys=POSTGRES_SECRET_KEY, connect_args={"options": f"-csearch_path={schema}"}
    )
    if migrated:
        migrate.upgrade(database.engine)
    return database


def another_replica(database: Database) -> Database:
    """A second engine on the database ``database`` is on, with the same keys: what another
    ``cadence serve`` process on it would have (the caller disposes of it)."""
    if database.dialect != "postgresql":
        return Database(database.url)
    with database.engine.connect() as connection:
        search_path = connection.exec_driver_sql("SHOW search_path").scalar()
    return postgres_like(database.url, search_path)


def postgres_like(url: str, search_path: str) -> Database:
    return Database(url, secret_keys=POSTGRES_SECRET_KEY, connect_args={"options": f"-csearch_path={search_path}"})


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """The same test on SQLite and, when configured, PostgreSQL."""
    if request.param == "sqlite":
        database = sqlite_database(tmp_path)
    else:
        database = postgres_database(request.getfixturevalue("postgres_schema"))
    yield database
    database.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_database_at_previous_head(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty database at the revision before the newest migration, on SQLite and PostgreSQL."""
    from tests.storage.test_platform_migration import PREVIOUS_HEAD

    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'cadence-previous.db'}")
    else:
        database = postgres_database(request.getfixturevalue("postgres_schema"), migrated=False)
    migrate.upgrade(database.engine, PREVIOUS_HEAD)
    yield database
    database.dispose()

"""Shared test fixtures: an offline guard, a fresh migrated database per test, and helpers.

The storage suite runs against SQLite always and against PostgreSQL when ``TEST_DATABASE_URL``
is set; each PostgreSQL test gets a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import socket
import stat
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import freezegun
import pytest
import sqlalchemy as sa

from storage import migrate
from storage.database import Database
from storage.secrets import new_key

# pytest times each test with _pytest.timing; under a test's frozen clock `--durations` would report the years since
# 1970 for it. freezegun hands the real clock to the modules it ignores.
freezegun.configure(extend_ignore_list=["_pytest.timing"])

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


COMPILED_MODULES = Path(tempfile.gettempdir()) / f"cadence-tests-pycache-{os.getuid()}"


def _cache_compiled_modules() -> None:
    """With PYTHONDONTWRITEBYTECODE set (as this machine's environment has it) Python caches no compiled module,
    so each process the suite starts (each xdist worker, each ``python -m bot`` a test runs, each replica of the
    fault tests) compiles the virtualenv and this checkout again: about 5 CPU seconds apiece, and a slower start
    for the tests that time one. They share a cache under the temporary directory instead (PYTHONPYCACHEPREFIX),
    which keeps the source tree as free of ``__pycache__`` as the setting asked. Python writes each entry
    atomically and checks it against its source, so runs at once and checkouts side by side can share it.
    Only a folder of this user's that no one else may write to is used: what is in it runs."""
    if not os.environ.get("PYTHONDONTWRITEBYTECODE") or os.environ.get("PYTHONPYCACHEPREFIX"):
        return
    COMPILED_MODULES.mkdir(mode=0o700, exist_ok=True)
    found = COMPILED_MODULES.lstat()
    if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.getuid() or found.st_mode & 0o022:
        return
    del os.environ["PYTHONDONTWRITEBYTECODE"]
    os.environ["PYTHONPYCACHEPREFIX"] = str(COMPILED_MODULES)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Before any worker or subprocess starts: see ``_cache_compiled_modules``.

    The suite runs on every core (pytest-xdist's ``-n auto``; ``--dist loadgroup``, so that tests marked
    ``xdist_group`` share one worker) unless told otherwise: ``-n 0`` (or ``-n N``) decides, ``-p no:xdist`` runs
    it in this process, and so do ``--pdb`` and ``--trace``.

    Here rather than ``addopts``: an ``-n`` there would be an unknown option under ``-p no:xdist``. This conftest
    registers after xdist, so this runs before xdist's own hook, which then reads what is set here."""
    _cache_compiled_modules()
    if not config.pluginmanager.hasplugin("xdist") or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    if config.option.numprocesses is not None or config.option.tx:
        return  # the command line chose
    if config.getoption("usepdb") or config.getoption("trace"):
        return
    config.option.numprocesses = "auto"
    if config.option.dist == "no":  # a --dist of the command line's own stays
        config.option.dist = "loadgroup"


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if POSTGRES_URL is None:
        terminalreporter.write_line(
            "PostgreSQL suite SKIPPED: TEST_DATABASE_URL is not set, so only SQLite was tested "
            "(.ci/run sets it to the local PostgreSQL).",
            yellow=True,
            bold=True,
        )


WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
"""This process's name under pytest-xdist (gw0, gw1, ...), or main when the suite runs in one process."""


# ---- migrated databases --------------------------------------------------------------------------------------
# Migrating a database costs a quarter of a second of Alembic per test, most of the suite's set-up. Each process
# migrates once, with the real `migrate.upgrade`, and every test gets a copy of the result: SQLite the migrated
# file, PostgreSQL the very statements the migration sent, replayed into the test's own new schema.
# tests/storage/test_migrations.py checks both copies against a database migrated for the test.


@functools.cache
def _migrated_sqlite_template() -> Path:
    directory = Path(tempfile.mkdtemp(prefix=f"cadence-migrated-{WORKER}-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    path = directory / "migrated.db"
    template = Database(f"sqlite:///{path}")
    migrate.upgrade(template.engine)
    template.dispose()  # the last connection's close folds the write-ahead log back into the file
    assert not path.with_name(f"{path.name}-wal").exists(), "the template must be one self-contained file"
    return path


def migrated_sqlite_file(path: Path) -> Path:
    """Puts a freshly migrated SQLite database at ``path`` (which must not exist yet), as `migrate.upgrade`
    would leave it. Its key file is made by the first ``Database`` that opens it, as for any new file."""
    if path.exists():
        raise FileExistsError(f"{path} exists; a migrated copy would replace what a test put there")
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_migrated_sqlite_template(), path)
    return path


def sqlite_database(tmp_path: Path) -> Database:
    return Database(f"sqlite:///{migrated_sqlite_file(tmp_path / 'cadence-test.db')}")


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    """A fresh, migrated SQLite database."""
    database = sqlite_database(tmp_path)
    yield database
    database.dispose()


@functools.cache
def _postgres_admin() -> sa.Engine:
    """One engine per process for creating and dropping the tests' schemas; its pool keeps the connection."""
    assert POSTGRES_URL is not None
    return sa.create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))


def _new_postgres_schema() -> str:
    """The worker's name in it too, so two processes can't pick the same one even by chance."""
    schema = f"test_{WORKER}_{uuid.uuid4().hex[:12]}"
    with _postgres_admin().begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    return schema


def _drop_postgres_schema(schema: str) -> None:
    with _postgres_admin().begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


@dataclass(frozen=True)
class _Statement:
    """One call the migration made on its DB-API cursor, kept to be made again in the same way."""

    many: bool
    sql: str
    parameters: Any  # None: executed without parameters, so psycopg reads no placeholders in it


@functools.cache
def _postgres_migration() -> tuple[_Statement, ...]:
    """What `migrate.upgrade` sends to an empty schema, recorded once per process as it migrates one.

    The connection's search_path names the schema; no statement does (checked), so the same statements build
    the same tables in any other schema."""
    recorded: list[_Statement] = []
    with temporary_postgres_schema() as schema:
        database = postgres_database(schema, migrated=False)
        try:
            with database.engine.connect():
                pass  # SQLAlchemy's first-connection queries, before recording starts
            engine = database.engine
            sa.event.listen(
                engine, "do_execute", lambda _c, sql, params, _x: recorded.append(_Statement(False, sql, params))
            )
            sa.event.listen(
                engine, "do_executemany", lambda _c, sql, params, _x: recorded.append(_Statement(True, sql, params))
            )
            sa.event.listen(
                engine, "do_execute_no_params", lambda _c, sql, _x: recorded.append(_Statement(False, sql, None))
            )
            migrate.upgrade(engine)
        finally:
            database.dispose()
    naming = [statement.sql for statement in recorded if schema in statement.sql + repr(statement.parameters)]
    assert not naming, f"the migration names its schema, so it can't be replayed into another: {naming[:3]}"
    assert recorded, "the migration sent nothing"
    return tuple(recorded)


def _replay_postgres_migration(database: Database) -> None:
    """The recorded migration, statement by statement, in one transaction, on ``database``'s schema."""
    with database.engine.begin() as connection:
        cursor = connection.connection.cursor()
        try:
            for statement in _postgres_migration():
                if statement.many:
                    cursor.executemany(statement.sql, statement.parameters)
                elif statement.parameters is None:
                    cursor.execute(statement.sql)
                else:
                    cursor.execute(statement.sql, statement.parameters)
        finally:
            cursor.close()


@contextmanager
def temporary_postgres_schema() -> Iterator[str]:
    """A new empty schema, dropped with everything in it on the way out."""
    schema = _new_postgres_schema()
    try:
        yield schema
    finally:
        _drop_postgres_schema(schema)


@pytest.fixture
def postgres_schema() -> Iterator[str]:
    if POSTGRES_URL is None:
        pytest.skip("PostgreSQL suite: TEST_DATABASE_URL is not set")
    with temporary_postgres_schema() as schema:
        yield schema


POSTGRES_SECRET_KEY = new_key()
"""The key PostgreSQL tests encrypt under: PostgreSQL has no key file, as production sets CADENCE_SECRET_KEY."""


def postgres_database(schema: str, *, migrated: bool = True) -> Database:
    """``migrated``: at head, built by the statements this process's `migrate.upgrade` sent (see above)."""
    assert POSTGRES_URL is not None
    database = Database(
        POSTGRES_URL, secret_keys=POSTGRES_SECRET_KEY, connect_args={"options": f"-csearch_path={schema}"}
    )
    if migrated:
        _replay_postgres_migration(database)
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

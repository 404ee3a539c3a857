"""A PostgreSQL database of its own for one benchmark run: created empty, dropped afterwards.

The machine's PostgreSQL is shared (other people's tests use its ``test`` database), so a run
never writes there: it creates ``bench_<random>`` next to it, hands out its URL, and drops it
(``WITH (FORCE)``, so a replica that did not exit cannot keep it alive) however the run ends.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
"""Any database on the server will do for CREATE and DROP DATABASE; ``test`` is the one the tests use."""


@contextmanager
def fresh_database(admin_url: str = ADMIN_URL) -> Iterator[str]:
    """Yields the URL of a new, empty database on ``admin_url``'s server; drops it on the way out."""
    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()

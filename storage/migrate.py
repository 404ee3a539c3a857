"""Schema migrations, driven from code so ``cadence db upgrade`` needs no alembic.ini."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str, connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Bring the database to ``revision``; safe to run on every start.

    On SQLite, foreign keys are off while migrations run: changing a column there rebuilds its
    table, and dropping the old table with foreign keys on would delete every row that points at
    it (``ON DELETE CASCADE``). They are checked once the migrations are done, and switched back on.
    """
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # before any transaction, or it is ignored
            connection.commit()
        try:
            with connection.begin():
                command.upgrade(alembic_config(engine.url.render_as_string(False), connection), revision)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration left rows pointing nowhere: {broken[:5]}")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def is_newer_than_this_code(revision: str | None) -> bool:
    """A revision this code's migrations don't include: a newer Cadence migrated the database (a
    rolling upgrade under way, or this replica left behind)."""
    if revision is None:
        return False
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return revision not in {script.revision for script in scripts.walk_revisions()}


def make_revision(engine: sa.Engine, message: str) -> None:
    """Autogenerate a migration from the difference between the models and ``engine``'s schema."""
    command.revision(alembic_config(engine.url.render_as_string(False)), message=message, autogenerate=True)

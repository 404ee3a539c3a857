from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import storage.models  # noqa: F401
from storage import migrate
from storage.database import Database
from tests.conftest import postgres_database, temporary_postgres_schema

RESERVED_BY_POSTGRES = {"user", "order", "group", "table", "select", "check", "column", "default"}


def pending_changes(database: Database) -> list:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def test_database_migrated_to_head_matches_the_models(any_database: Database) -> None:
    assert migrate.current_revision(any_database.engine) == migrate.head_revision()
    assert pending_changes(any_database) == []


def described(index: dict) -> str:
    """An index as text, a partial index's condition included (reflection gives it as a clause object)."""
    options = {name: str(value) for name, value in index.get("dialect_options", {}).items()}
    return repr({**index, "dialect_options": options})


def schema_of(engine: sa.Engine) -> dict:
    """Everything reflection reads of a database's tables, and the revision Alembic recorded."""
    inspector = sa.inspect(engine)
    tables = {
        table: {
            "columns": [
                (column["name"], str(column["type"]), column["nullable"], column.get("default"))
                for column in inspector.get_columns(table)
            ],
            "primary key": inspector.get_pk_constraint(table),
            "foreign keys": sorted(map(repr, inspector.get_foreign_keys(table))),
            "indexes": sorted(map(described, inspector.get_indexes(table))),
            "unique": sorted(map(repr, inspector.get_unique_constraints(table))),
            "checks": sorted(map(repr, inspector.get_check_constraints(table))),
        }
        for table in inspector.get_table_names()
    }
    with engine.connect() as connection:
        revisions = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
    return {"tables": tables, "revisions": revisions}


@contextmanager
def migrated_here(like: Database, tmp_path: Path) -> Iterator[Database]:
    """An empty database of ``like``'s kind that `migrate.upgrade` itself brings to head."""
    if like.dialect == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'migrated-here.db'}")
        migrate.upgrade(database.engine)
        yield database
        database.dispose()
        return
    with temporary_postgres_schema() as schema:
        database = postgres_database(schema, migrated=False)
        migrate.upgrade(database.engine)
        yield database
        database.dispose()


def test_the_suites_migrated_databases_are_what_migrating_gives(any_database: Database, tmp_path: Path) -> None:
    """tests/conftest.py hands out copies of one migration (a file, or its replayed statements) to save
    Alembic's time; they must be indistinguishable from a database migrated on the spot."""
    with migrated_here(any_database, tmp_path) as reference:
        expected = schema_of(reference.engine)
    assert len(expected["tables"]) > 20 and expected["revisions"] == [migrate.head_revision()]
    assert schema_of(any_database.engine) == expected


def test_upgrading_twice_changes_nothing(any_database: Database) -> None:
    migrate.upgrade(any_database.engine)
    assert migrate.current_revision(any_database.engine) == migrate.head_revision()
    assert pending_changes(any_database) == []


def test_a_model_change_without_migration_is_detected(any_database: Database) -> None:
    import sqlalchemy as sa

    table = SQLModel.metadata.tables["people"]
    extra = sa.Column("nickname", sa.String(40), nullable=True)
    table.append_column(extra)
    try:
        assert pending_changes(any_database), "a column missing from the migrations must show as a diff"
    finally:
        table._columns.remove(extra)


def test_no_table_uses_a_name_postgresql_reserves() -> None:
    assert not set(SQLModel.metadata.tables) & RESERVED_BY_POSTGRES


def test_every_constraint_and_index_has_a_stable_name() -> None:
    for table in SQLModel.metadata.tables.values():
        for constraint in table.constraints:
            assert constraint.name, f"unnamed constraint on {table.name}"
        for index in table.indexes:
            assert index.name and index.name.startswith("ix_"), index


def test_the_feedback_and_one_on_one_tables_come_and_go_with_their_migration(any_database: Database) -> None:
    import sqlalchemy as sa
    from alembic import command

    new_tables = {
        "feedback",
        "feedback_requests",
        "feedback_asks",
        "one_on_one_pairs",
        "one_on_one_meetings",
        "one_on_one_items",
        "one_on_one_private_notes",
    }
    engine = any_database.engine
    assert new_tables <= set(sa.inspect(engine).get_table_names())
    with engine.begin() as connection:
        command.downgrade(migrate.alembic_config(engine.url.render_as_string(False), connection), "0007")
    assert not new_tables & set(sa.inspect(engine).get_table_names())
    assert migrate.current_revision(engine) == "0007"
    migrate.upgrade(engine)
    assert new_tables <= set(sa.inspect(engine).get_table_names())
    assert pending_changes(any_database) == []

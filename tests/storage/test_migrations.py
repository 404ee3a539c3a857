from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import storage.models  # noqa: F401
from storage import migrate
from storage.database import Database

RESERVED_BY_POSTGRES = {"user", "order", "group", "table", "select", "check", "column", "default"}


def pending_changes(database: Database) -> list:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def test_database_migrated_to_head_matches_the_models(any_database: Database) -> None:
    assert migrate.current_revision(any_database.engine) == migrate.head_revision()
    assert pending_changes(any_database) == []


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

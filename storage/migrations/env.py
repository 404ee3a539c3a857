"""Alembic environment: migrations are generated from and checked against ``SQLModel.metadata``."""

import sqlalchemy as sa
from alembic import context
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import storage.models  # noqa: F401  (registers every table on the metadata)
from storage.database import create_engine
from storage.models import UTCDateTime

target_metadata = SQLModel.metadata


def render_portable_type(type_, obj, autogen_context):
    """Write our column types as plain SQLAlchemy types so migrations never import the models."""
    if isinstance(type_, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if isinstance(type_, AutoString):
        return f"sa.String(length={type_.length})" if type_.length else "sa.String()"
    return False


def render_item(type_, obj, autogen_context):
    if type_ == "type" and isinstance(obj, sa.types.TypeEngine):
        return render_portable_type(obj, None, autogen_context)
    return False


def run_migrations(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    given_connection = context.config.attributes.get("connection")
    if given_connection is not None:
        run_migrations(given_connection)
        return
    engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
    try:
        with engine.connect() as connection:
            run_migrations(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    context.configure(url=context.config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()

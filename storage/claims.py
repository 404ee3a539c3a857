"""Queues in tables: adding rows idempotently, and claiming due rows so two workers never take the same one.

The outbox (messages Cadence owes) and the inbox (requests it received) are both such queues:
rows with a unique key, a status, ``next_attempt_at``, ``claimed_at`` and ``attempts``. Claiming
is one conditional UPDATE (with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL); a row left claimed by
a worker that vanished is taken again once its ``lease`` has run out.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, col, select

from conversations.messages import Platform

Row = TypeVar("Row", bound=SQLModel)


def insert_ignoring_duplicates(session: Session, table: sa.Table, key_column: str) -> Any:
    """A Core INSERT into ``table`` that skips rows whose ``key_column`` exists (cheaper than the ORM)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing(index_elements=[key_column])


def claim_due(
    session: Session,
    model: type[Row],
    now: datetime,
    *,
    waiting: Any,
    working: Any,
    lease: timedelta,
    limit: int,
    platforms: Collection[Platform] | None = None,
) -> list[Row]:
    """Take up to ``limit`` rows that are ``waiting`` and due, or ``working`` for longer than ``lease``,
    and mark them ``working``, claimed now; oldest due first."""
    table: Any = model
    due = sa.or_(
        sa.and_(table.status == waiting, table.next_attempt_at <= now),
        sa.and_(table.status == working, table.claimed_at <= now - lease),
    )
    candidates = select(table.id).where(due)
    if platforms is not None:
        candidates = candidates.where(col(table.platform).in_(list(platforms)))
    candidates = candidates.order_by(table.next_attempt_at, table.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    statement = (
        sa.update(model)
        .where(col(table.id).in_(candidates.scalar_subquery()), due)
        .values(status=working, claimed_at=now, attempts=table.attempts + 1)
        .returning(model)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    claimed = list(session.scalars(statement))
    return sorted(claimed, key=lambda row: (row.next_attempt_at, row.id or 0))


def counts_by_status(session: Session, model: type[SQLModel], statuses: type[Any]) -> dict[Any, int]:
    table: Any = model
    rows = session.exec(select(table.status, sa.func.count()).group_by(table.status)).all()
    counts = dict.fromkeys(statuses, 0)
    counts.update({statuses(status): count for status, count in rows})
    return counts


def next_due_at(
    session: Session, model: type[SQLModel], waiting: Any, platforms: Collection[Platform] | None = None
) -> datetime | None:
    """When the earliest waiting row (of these platforms) comes due."""
    table: Any = model
    query = select(sa.func.min(table.next_attempt_at)).where(table.status == waiting)
    if platforms is not None:
        query = query.where(col(table.platform).in_(list(platforms)))
    return session.exec(query).one()

"""Remembering platform events already handled, so a redelivered event is ignored.

``begin`` and ``finish`` run inside the unit of work that handles the event: the event is
recorded as done in the same commit as its effects, so a crash part-way leaves no record and the
redelivery is processed. A failure is recorded by ``record_failure`` in a unit of its own, for
operators to see; a failed event is processed again when it is redelivered.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from conversations.messages import Platform
from storage.database import Database
from storage.models import EventStatus, ProcessedEvent

MAX_ERROR_LENGTH = 500


def begin(session: Session, event_key: str, platform: Platform, now: datetime) -> bool:
    """True when this event should be processed now: never seen, or seen and failed."""
    row = session.exec(select(ProcessedEvent).where(ProcessedEvent.event_key == event_key)).first()
    if row is None:
        try:
            with session.begin_nested():
                session.add(ProcessedEvent(event_key=event_key, platform=platform, received_at=now))
        except sa.exc.IntegrityError:
            return False  # another worker recorded it between our read and our insert
        return True
    if row.status is EventStatus.FAILED:
        # only one replica may take a failed event back: the one whose conditional update wins
        taken = session.execute(
            sa.update(ProcessedEvent)
            .where(ProcessedEvent.id == row.id, ProcessedEvent.status == EventStatus.FAILED)
            .values(status=EventStatus.PROCESSING, error=None)
            .execution_options(synchronize_session=False)
        )
        session.expire(row)
        return taken.rowcount == 1
    return False


def finish(session: Session, event_key: str, now: datetime) -> None:
    row = session.exec(select(ProcessedEvent).where(ProcessedEvent.event_key == event_key)).one()
    row.status = EventStatus.DONE
    row.finished_at = now
    session.add(row)
    session.flush()


def record_failure(database: Database, event_key: str, platform: Platform, now: datetime, error: str) -> None:
    with database.session_scope() as session:
        row = session.exec(select(ProcessedEvent).where(ProcessedEvent.event_key == event_key)).first()
        if row is None:
            row = ProcessedEvent(event_key=event_key, platform=platform, received_at=now)
        row.status = EventStatus.FAILED
        row.finished_at = now
        row.error = error[:MAX_ERROR_LENGTH]
        session.add(row)


def status_of(session: Session, event_key: str) -> EventStatus | None:
    row = session.exec(select(ProcessedEvent).where(ProcessedEvent.event_key == event_key)).first()
    return row.status if row else None

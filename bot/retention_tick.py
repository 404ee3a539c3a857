"""The tick's housekeeping: each organisation's retention rules (``retention:`` in its settings),
applied a few small batches at a time.

Each batch is one statement over at most ``batch_size`` rows, committed on its own, so no table is
locked for longer than that and the senders, the inbox worker and people's requests go on between
batches. Each rule gets at most ``batches`` batches per organisation per tick, so one tick never runs
long however large the backlog (a period shortened from forever to a year, say); the next tick goes
on where this one stopped. What each rule removes is in ``storage/retention.py``.

Every run that removed something leaves one entry per organisation in the audit log, with the
count of each kind; the entry is kept up to date in each batch's own transaction, so it never
claims more, or less, than was committed.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from conversations.numbers import counted
from conversations.workspace_settings import RetentionKind
from storage import audit, retention
from storage.database import Database
from storage.models import AuditAction, AuditEvent

BATCH_SIZE = 500
BATCHES_PER_RULE = 4
RUN_EVERY = timedelta(hours=1)
RETENTION_ACTOR = "cadence (retention settings)"
"""Who the audit log says removed old records: no person did; the organisation's settings did."""

NOUNS = {
    RetentionKind.CHECKIN_ANSWERS: "check-in answer",
    RetentionKind.FEEDBACK: "piece of feedback",
    RetentionKind.ONE_ON_ONE_NOTES: "1:1 note",
    RetentionKind.HANDLED_REQUESTS: "handled request",
    RetentionKind.SENT_MESSAGES: "sent message",
}
PLURALS = {RetentionKind.FEEDBACK: "pieces of feedback"}


@dataclass
class RetentionReport:
    removed: Counter[RetentionKind] = field(default_factory=Counter)
    unfinished: bool = False
    """Some rule used all its batches: more may be due, and the next tick goes on."""

    def summary(self) -> str | None:
        if not any(self.removed.values()):
            return None
        parts = [
            counted(count, NOUNS[kind], PLURALS.get(kind)) for kind in RetentionKind if (count := self.removed[kind])
        ]
        more = "; more next tick" if self.unfinished else ""
        return f"retention: removed {', '.join(parts)}{more}"


@dataclass
class _AuditEntry:
    """The one audit entry of a scope's run, written with its first batch and updated by the others."""

    scope: retention.Scope
    at: datetime
    removed: Counter[RetentionKind] = field(default_factory=Counter)
    event_id: int | None = None

    def add(self, session: Session, kind: RetentionKind, count: int) -> None:
        self.removed[kind] += count
        details = {
            kind.value: {"removed": self.removed[kind], "older_than_days": self.scope.retention.days(kind)}
            for kind in RetentionKind
            if self.removed[kind]
        }
        event = session.get(AuditEvent, self.event_id) if self.event_id is not None else None
        if event is None:
            event = audit.record(
                session,
                AuditAction.RETENTION_APPLIED,
                workspace_id=self.scope.workspace_id,
                actor=RETENTION_ACTOR,
                details=details,
                at=self.at,
            )
            session.flush()
            self.event_id = event.id
        else:
            event.details = details
            session.add(event)


def apply_retention(
    database: Database,
    now: datetime,
    *,
    batch_size: int = BATCH_SIZE,
    batches: int = BATCHES_PER_RULE,
    rest: Callable[[float], None] = time.sleep,
) -> RetentionReport:
    """Apply every organisation's rules at ``now``. One organisation's failure neither rolls back nor
    holds up the others; the failures are raised together at the end, as the tick's producers' are.

    Between two full batches the run rests as long as the batch took: SQLite lets one writer in at a
    time and a waiting writer (a request being recorded, a message being sent) only polls for its
    turn, so batches back to back would keep it out for the whole run instead of one batch."""
    with database.session_scope() as session:
        scope_ids = retention.scope_ids(session)
    report = RetentionReport()
    failures: list[Exception] = []
    for scope_id in scope_ids:
        try:
            with database.session_scope() as session:
                scope = retention.scope_of(session, scope_id)
            if scope is None:
                continue
            entry = _AuditEntry(scope, now)
            for kind, sweep in retention.SWEEPS:
                cutoff = scope.cutoff(kind, now)
                if cutoff is None:
                    continue
                for batch in range(batches):
                    began = time.monotonic()
                    with database.session_scope() as session:
                        removed = sweep(session, scope, cutoff, batch_size)
                        if removed:
                            entry.add(session, kind, removed)
                    report.removed[kind] += removed
                    if removed < batch_size:
                        break
                    if batch + 1 < batches:
                        rest(time.monotonic() - began)
                else:
                    report.unfinished = True
        except Exception as error:  # noqa: BLE001 - re-raised below, after the other organisations ran
            error.add_note(f"while applying the retention settings of workspace {scope_id}")
            failures.append(error)
    if failures:
        raise ExceptionGroup("some retention rules failed", failures)
    return report


@dataclass
class RetentionSchedule:
    """When a serving process applies retention: once an hour, and at every tick while a backlog is
    left. Periods are whole days, so a minute's precision buys nothing, and even a run with nothing
    to remove reads every old check-in to see that it has no words left."""

    last_run: datetime | None = None
    backlog: bool = False

    def is_due(self, now: datetime) -> bool:
        return self.last_run is None or self.backlog or now - self.last_run >= RUN_EVERY

    def run_if_due(self, database: Database, now: datetime) -> RetentionReport | None:
        if not self.is_due(now):
            return None
        report = apply_retention(database, now)
        self.last_run, self.backlog = now, report.unfinished
        return report

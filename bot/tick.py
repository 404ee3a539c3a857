"""The scheduler's one job: every minute, work out from the tables what is due and send it.

Producers look at stored data (who is due a prompt, a reminder, a digest) and enqueue outbox
rows with unique keys, so running a tick twice at the same instant, or on two replicas at once,
enqueues nothing new the second time; after downtime the next tick catches up on whatever is
still open. No job per person is ever stored in the scheduler.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from bot.outbox_sender import DrainReport, OutboxSender
from storage.database import Database
from storage.models import Workspace

Producer = Callable[[Session, Workspace, datetime], int]
"""Enqueues what is due in one workspace at an instant; returns how many outbox rows it added."""


@dataclass
class TickReport:
    at: datetime
    enqueued: dict[str, int] = field(default_factory=dict)
    delivery: DrainReport = field(default_factory=DrainReport)

    def summary(self) -> str:
        produced = sum(self.enqueued.values())
        return (
            f"tick at {self.at.isoformat()}: {produced} new {'message' if produced == 1 else 'messages'} queued, "
            f"{self.delivery.sent} sent, {self.delivery.retried} to retry, {self.delivery.failed} failed"
        )


def enqueue_due(database: Database, now: datetime, producers: Sequence[Producer]) -> dict[str, int]:
    """Run each producer for each workspace in its own unit of work, so one failing workspace neither
    rolls back nor holds up the others; the failures are raised together at the end."""
    with database.session_scope() as session:
        workspace_ids = list(session.exec(select(Workspace.id).order_by(Workspace.id)))
    enqueued: dict[str, int] = {}
    failures: list[Exception] = []
    for producer in producers:
        name = getattr(producer, "__name__", repr(producer))
        enqueued[name] = 0
        for workspace_id in workspace_ids:
            try:
                with database.session_scope() as session:
                    workspace = session.get(Workspace, workspace_id)
                    if workspace is not None:
                        enqueued[name] += producer(session, workspace, now)
            except Exception as error:  # noqa: BLE001 - re-raised below, after the other workspaces ran
                error.add_note(f"while running {name} for workspace {workspace_id}")
                failures.append(error)
    if failures:
        raise ExceptionGroup("some scheduled work failed", failures)
    return enqueued


async def run_tick(
    database: Database, sender: OutboxSender, now: datetime, producers: Sequence[Producer]
) -> TickReport:
    report = TickReport(at=now, enqueued=enqueue_due(database, now, producers))
    report.delivery = await sender.drain()
    return report

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

from sqlmodel import Session

from bot.outbox_sender import DrainReport, OutboxSender
from storage.database import Database

Producer = Callable[[Session, datetime], int]


@dataclass
class TickReport:
    at: datetime
    enqueued: dict[str, int] = field(default_factory=dict)
    delivery: DrainReport = field(default_factory=DrainReport)

    def summary(self) -> str:
        produced = sum(self.enqueued.values())
        return (
            f"tick at {self.at.isoformat()}: {produced} new message(s) queued, "
            f"{self.delivery.sent} sent, {self.delivery.retried} to retry, {self.delivery.failed} failed"
        )


def enqueue_due(database: Database, now: datetime, producers: Sequence[Producer]) -> dict[str, int]:
    """Run each producer in its own unit of work, so one failing workspace can't roll back the others."""
    enqueued = {}
    for producer in producers:
        with database.session_scope() as session:
            enqueued[getattr(producer, "__name__", repr(producer))] = producer(session, now)
    return enqueued


async def run_tick(
    database: Database, sender: OutboxSender, now: datetime, producers: Sequence[Producer]
) -> TickReport:
    report = TickReport(at=now, enqueued=enqueue_due(database, now, producers))
    report.delivery = await sender.drain()
    return report

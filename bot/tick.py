"""The scheduler's one job: every minute, work out from the tables what is due and send it.

Producers look at stored data (who is due a prompt, a reminder, a digest) and enqueue outbox
rows with unique keys, so running a tick twice at the same instant, or on two replicas at once,
enqueues nothing new the second time; after downtime the next tick catches up on whatever is
still open. No job per person is ever stored in the scheduler.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from bot.outbox_sender import DrainReport, OutboxSender
from bot.retention_tick import RetentionReport, apply_retention
from conversations.messages import Platform
from storage import connections
from storage.database import Database
from storage.models import Workspace
from storage.reach import EVERY_PLATFORM, Reach, reach_for

Producer = Callable[[Session, Workspace, datetime, Reach], int]
"""Enqueues what is due in one workspace at an instant, each person on the platform ``Reach`` names
for them; returns how many outbox rows it added."""


@dataclass
class TickReport:
    at: datetime
    enqueued: dict[str, int] = field(default_factory=dict)
    delivery: DrainReport = field(default_factory=DrainReport)
    unserved: list[str] = field(default_factory=list)  # organisations on no platform this process serves
    retention: RetentionReport = field(default_factory=RetentionReport)

    def summary(self) -> str:
        produced = sum(self.enqueued.values())
        lines = [
            f"tick at {self.at.isoformat()}: {produced} new {'message' if produced == 1 else 'messages'} queued, "
            f"{self.delivery.sent} sent, {self.delivery.retried} to retry, {self.delivery.failed} failed"
        ]
        if self.unserved:
            names = ", ".join(self.unserved)
            lines.append(
                f"nothing went to {names}: not connected to a platform Cadence serves here; connect it by "
                "running `cadence serve` with SLACK_BOT_TOKEN (or TEAMS_TENANT_ID) set, or `cadence org import "
                "people.csv --workspace T0123ABCD` with your Slack team id (`--teams-tenant TENANT_ID` for Teams)"
            )
        if removed := self.retention.summary():
            lines.append(removed)
        return "\n".join(lines)


def enqueue_due(
    database: Database, now: datetime, producers: Sequence[Producer], platforms: Collection[Platform] = EVERY_PLATFORM
) -> dict[str, int]:
    """Run each producer for each workspace in its own unit of work, so one failing workspace neither
    rolls back nor holds up the others; the failures are raised together at the end. ``platforms``
    are those this process serves: an organisation on none of them is left alone (its messages are
    produced once it is connected, as a tick after downtime catches up)."""
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
                    reach = reach_for(session, workspace_id, platforms) if workspace is not None else None
                    if workspace is not None and reach is not None and reach.platforms:
                        enqueued[name] += producer(session, workspace, now, reach)
            except Exception as error:  # noqa: BLE001 - re-raised below, after the other workspaces ran
                error.add_note(f"while running {name} for workspace {workspace_id}")
                failures.append(error)
    if failures:
        raise ExceptionGroup("some scheduled work failed", failures)
    return enqueued


def unserved(database: Database, platforms: Collection[Platform]) -> list[str]:
    """The organisations on none of ``platforms``: what a tick says it left alone, and why."""
    with database.session_scope() as session:
        return [
            workspace.name
            for workspace in session.exec(select(Workspace).order_by(Workspace.id))
            if workspace.id is not None and not connections.platforms_of(session, workspace.id) & set(platforms)
        ]


async def run_tick(
    database: Database,
    sender: OutboxSender,
    now: datetime,
    producers: Sequence[Producer],
    *,
    retention_at: datetime | None = None,
) -> TickReport:
    """One tick for the platforms ``sender`` has transports for: what it sent, and what the retention
    settings removed (after sending, so a failing rule never holds up a message). Records' ages are
    measured at ``retention_at`` (default ``now``): a tick run for an instant to come (``cadence tick
    --at``) must not make this month's records look old."""
    platforms = set(sender.transports)
    report = TickReport(at=now, enqueued=enqueue_due(database, now, producers, platforms))
    report.unserved = unserved(database, platforms)
    report.delivery = await sender.drain()
    report.retention = await asyncio.to_thread(apply_retention, database, retention_at or now)
    return report

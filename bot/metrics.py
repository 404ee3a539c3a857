"""Prometheus metrics for ``GET /metrics``: request counts and ack latency by kind, inbox and outbox figures.

Each service builds its own registry (no process-global default registry), and queue figures are
read from the database at scrape time, so every replica reports the shared queue as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlmodel import Session, SQLModel, select

from storage import inbox, outbox
from storage.database import UNAVAILABLE, Database
from storage.models import DeliveryStatus, InboxRequest, InboxStatus, OutboxDelivery, utcnow

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)


class QueueCollector(Collector):
    """How full the inbox (requests recorded, not yet handled) and the outbox (messages owed) are, and
    how long the longest-waiting of them has been due: a depth says how much is queued, the age says
    whether anyone is working it off (no sender running, or a platform refusing everything)."""

    def __init__(self, database: Database, clock: Callable[[], datetime] = utcnow) -> None:
        self.database = database
        self.clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("cadence_database_up", "1 when the database answered this scrape's queries, else 0")
        now = self.clock()
        try:
            with self.database.session_scope() as session:
                counts = outbox.counts_by_status(session)
                requests = inbox.counts_by_status(session)
                outbox_age = self.oldest_due_seconds(session, OutboxDelivery, DeliveryStatus.PENDING, now)
                inbox_age = self.oldest_due_seconds(session, InboxRequest, InboxStatus.QUEUED, now)
        except UNAVAILABLE:  # the scrape still answers: the queues can't be counted, and that is the news
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        waiting = GaugeMetricFamily("cadence_inbox_depth", "Requests recorded and waiting to be handled")
        waiting.add_metric([], requests[InboxStatus.QUEUED] + requests[InboxStatus.PROCESSING])
        yield waiting
        failed = GaugeMetricFamily("cadence_inbox_failed", "Requests whose handling failed for good (see the log)")
        failed.add_metric([], requests[InboxStatus.FAILED])
        yield failed
        depth = GaugeMetricFamily("cadence_outbox_depth", "Deliveries waiting to be sent (pending or sending)")
        depth.add_metric([], counts[DeliveryStatus.PENDING] + counts[DeliveryStatus.SENDING])
        yield depth
        by_status = GaugeMetricFamily("cadence_outbox_deliveries", "Outbox deliveries by status", labels=["status"])
        for status, count in counts.items():
            by_status.add_metric([status.value], count)
        yield by_status
        outbox_oldest = GaugeMetricFamily(
            "cadence_outbox_oldest_pending_seconds",
            "Seconds since the longest-waiting pending delivery came due (0 when none is due)",
        )
        outbox_oldest.add_metric([], outbox_age)
        yield outbox_oldest
        inbox_oldest = GaugeMetricFamily(
            "cadence_inbox_oldest_queued_seconds",
            "Seconds since the longest-waiting queued request came due (0 when none is due)",
        )
        inbox_oldest.add_metric([], inbox_age)
        yield inbox_oldest

    @staticmethod
    def oldest_due_seconds(session: Session, model: type[SQLModel], waiting: Any, now: datetime) -> float:
        """How long the earliest-due row still ``waiting`` has been due. Counted from ``next_attempt_at``,
        not from when the row was written: a message scheduled for later, or a retry backing off, is not
        late until its time comes (an earliest row still in the future is 0), so it raises no alarm before then."""
        table: Any = model
        earliest = session.exec(select(sa.func.min(table.next_attempt_at)).where(table.status == waiting)).one()
        return max((now - earliest).total_seconds(), 0.0) if earliest is not None else 0.0


class Metrics:
    def __init__(self, database: Database, *, leading: Callable[[], bool] = lambda: False) -> None:
        """``leading``: whether this replica runs the scheduler now (see :mod:`bot.leadership`)."""
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "cadence_requests", "Platform requests received", ["platform", "kind", "status"], registry=self.registry
        )
        self.ack_seconds = Histogram(
            "cadence_ack_seconds",
            "Time from receiving a platform request to answering it",
            ["platform", "kind"],
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )
        self.events = Counter(
            "cadence_events",
            "Recorded platform requests by outcome: processed, duplicate (a redelivery, dropped), retried or failed",
            ["platform", "outcome"],
            registry=self.registry,
        )
        self.relay: Callable[[str, str], None] | None = None
        self.registry.register(QueueCollector(database))
        leader = Gauge(
            "cadence_scheduler_leader",
            "1 on the replica that runs the scheduler's tick, 0 on the others: their sum should be 1",
            registry=self.registry,
        )
        leader.set_function(lambda: 1.0 if leading() else 0.0)

    def event(self, platform: str, outcome: str) -> None:
        if self.relay is not None:
            self.relay(platform, outcome)
        else:
            self.events.labels(platform, outcome).inc()

    def relay_events_to(self, relay: Callable[[str, str], None]) -> None:
        """A worker process counts for the serving process that started it, whose ``/metrics`` is scraped."""
        self.relay = relay

    def count_processes(self, wanted: int, running: Callable[[], int]) -> None:
        """A serving process with worker processes says how many it asks for and how many are running:
        fewer running than wanted means what it acks is answered late, or (none running) not at all."""
        Gauge(
            "cadence_worker_processes_wanted",
            "Worker processes (inbox, outbox, scheduler) this serving process starts: CADENCE_WORKER_PROCESSES",
            registry=self.registry,
        ).set(wanted)
        Gauge(
            "cadence_worker_processes_running",
            "Worker processes of this serving process that are running and ready",
            registry=self.registry,
        ).set_function(lambda: float(running()))

    def observe(self, platform: str, kind: str, status: int, seconds: float) -> None:
        self.requests.labels(platform, kind, str(status)).inc()
        self.ack_seconds.labels(platform, kind).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)

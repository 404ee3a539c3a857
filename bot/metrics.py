"""Prometheus metrics for ``GET /metrics``: request counts and ack latency by kind, inbox and outbox figures.

Each service builds its own registry (no process-global default registry), and queue figures are
read from the database at scrape time, so every replica reports the shared queue as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from storage import inbox, outbox
from storage.database import UNAVAILABLE, Database
from storage.models import DeliveryStatus, InboxStatus

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)


class QueueCollector(Collector):
    """How full the inbox (requests recorded, not yet handled) and the outbox (messages owed) are."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("cadence_database_up", "1 when the database answered this scrape's queries, else 0")
        try:
            with self.database.session_scope() as session:
                counts = outbox.counts_by_status(session)
                requests = inbox.counts_by_status(session)
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
        self.registry.register(QueueCollector(database))
        leader = Gauge(
            "cadence_scheduler_leader",
            "1 on the replica that runs the scheduler's tick, 0 on the others: their sum should be 1",
            registry=self.registry,
        )
        leader.set_function(lambda: 1.0 if leading() else 0.0)

    def event(self, platform: str, outcome: str) -> None:
        self.events.labels(platform, outcome).inc()

    def observe(self, platform: str, kind: str, status: int, seconds: float) -> None:
        self.requests.labels(platform, kind, str(status)).inc()
        self.ack_seconds.labels(platform, kind).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)

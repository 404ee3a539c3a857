"""Apply retention to a large backlog, on SQLite (default) or PostgreSQL, and measure what a tick pays.

Seeds one organisation with 100,000 sent messages older than its 30 days (and 20,000 pending ones,
which must stay), 50,000 handled requests older than a week, and 50,000 check-in answers in weeks
older than its 365 days; then runs the tick's retention step until nothing is left, timing each
batch, while another thread keeps queueing messages and times how long each waits for the table.

Targets (the production issue): no batch, and so no lock, longer than a fraction of a second; a
tick's retention bounded however large the backlog; an idle run (nothing left to remove) cheap
enough to do every minute.

    .venv/bin/python bench/retention.py [--database-url postgresql+psycopg://...] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot import retention_tick  # noqa: E402
from conversations.messages import Platform  # noqa: E402
from storage import migrate, outbox, retention  # noqa: E402
from storage.connections import new_organisation  # noqa: E402
from storage.database import Database  # noqa: E402
from storage.models import (  # noqa: E402
    CheckinCycle,
    CheckinResponse,
    DeliveryStatus,
    InboxRequest,
    InboxStatus,
    OutboxDelivery,
    Person,
    ResponseStatus,
)

NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)


def seed(database: Database, scale: float) -> int:
    sent, pending, requests, answers = (int(count * scale) for count in (100_000, 20_000, 50_000, 50_000))
    with database.session_scope() as session:
        workspace = new_organisation(session, "Acme", Platform.SLACK, "T0ACME")
        workspace.settings = {"retention": {"checkin_answers": 365, "sent_messages": 30, "handled_requests": 7}}
        session.add(workspace)
        people = [Person(workspace_id=workspace.id, email=f"p{index}@acme.test", display_name=f"P {index}") for index in range(500)]  # fmt: skip
        session.add_all(people)
        session.flush()
        old = NOW - timedelta(days=40)
        connection = session.connection()
        connection.execute(
            sa.insert(OutboxDelivery.__table__),
            [
                {
                    "workspace_id": workspace.id,
                    "platform": "slack",
                    "kind": "x",
                    "recipient": "person:1",
                    "dedupe_key": f"sent:{index}",
                    "payload": {"text": "words" * 20},
                    "status": "sent",
                    "attempts": 1,
                    "next_attempt_at": old,
                    "sent_at": old,
                    "created_at": old,
                }
                for index in range(sent)
            ]
            + [
                {
                    "workspace_id": workspace.id,
                    "platform": "slack",
                    "kind": "x",
                    "recipient": "person:1",
                    "dedupe_key": f"pending:{index}",
                    "payload": {},
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": old,
                    "sent_at": None,
                    "created_at": old,
                }
                for index in range(pending)
            ],
        )
        connection.execute(
            sa.insert(InboxRequest.__table__),
            [
                {
                    "platform": "slack",
                    "request_key": f"Ev{index}",
                    "team": "T0ACME",
                    "kind": "event",
                    "payload": {"text": "words" * 20},
                    "status": "done",
                    "attempts": 1,
                    "received_at": old,
                    "next_attempt_at": old,
                    "finished_at": old,
                }
                for index in range(requests)
            ],
        )
        weeks = answers // len(people)
        for week in range(weeks):
            cycle = CheckinCycle(workspace_id=workspace.id, week=f"{2000 + week // 52}-W{week % 52 + 1:02d}",
                                 opened_at=NOW - timedelta(days=400 + 7 * week))  # fmt: skip
            session.add(cycle)
            session.flush()
            connection.execute(
                sa.insert(CheckinResponse.__table__),
                [
                    {
                        "cycle_id": cycle.id,
                        "person_id": person.id,
                        "status": ResponseStatus.SUBMITTED.value,
                        "answers": {"done": "Shipped it", "mood": 4},
                        "mood": 4,
                        "reminders_sent": 0,
                        "updated_at": cycle.opened_at,
                    }
                    for person in people
                ],
            )
        return workspace.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    database = Database(args.database_url or f"sqlite:///{folder}/retention.db")
    migrate.upgrade(database.engine)
    started = time.perf_counter()
    workspace_id = seed(database, args.scale)
    print(f"{database.dialect}: seeded in {time.perf_counter() - started:.1f} s")

    batch_times: list[float] = []
    real_sweeps = retention.SWEEPS

    def timed(sweep):
        def run(session, scope, cutoff, limit):
            began = time.perf_counter()
            removed = sweep(session, scope, cutoff, limit)
            session.commit()  # the batch's own commit, inside the timing: what holds the lock
            batch_times.append(time.perf_counter() - began)
            return removed

        return run

    retention.SWEEPS = tuple((kind, timed(sweep)) for kind, sweep in real_sweeps)

    waits: list[float] = []
    stop = threading.Event()

    def keep_queueing() -> None:
        index = 0
        while not stop.is_set():
            began = time.perf_counter()
            with database.session_scope() as session:
                outbox.enqueue(session, workspace_id=workspace_id, platform=Platform.SLACK, kind="x",
                               recipient="person:2", dedupe_key=f"new:{index}", payload={}, not_before=NOW)  # fmt: skip
            waits.append(time.perf_counter() - began)
            index += 1
            time.sleep(0.005)

    writer = threading.Thread(target=keep_queueing)
    writer.start()
    ticks, tick_times, removed = 0, [], 0
    try:
        while True:
            began = time.perf_counter()
            report = retention_tick.apply_retention(database, NOW)
            tick_times.append(time.perf_counter() - began)
            ticks += 1
            removed += report.removed.total()
            if not report.unfinished:
                break
    finally:
        stop.set()
        writer.join()
    retention.SWEEPS = real_sweeps
    idle = []
    for _ in range(10):
        began = time.perf_counter()
        assert retention_tick.apply_retention(database, NOW).removed.total() == 0
        idle.append(time.perf_counter() - began)
    with database.session_scope() as session:
        left = session.execute(sa.select(sa.func.count()).select_from(OutboxDelivery)
                               .where(OutboxDelivery.status == DeliveryStatus.PENDING)).scalar_one()  # fmt: skip
        requests_left = session.execute(sa.select(sa.func.count()).select_from(InboxRequest)
                                        .where(InboxRequest.status == InboxStatus.DONE)).scalar_one()  # fmt: skip
    limit = retention_tick.BATCH_SIZE * retention_tick.BATCHES_PER_RULE
    print(f"removed {removed:,} records in {ticks} ticks (at most {limit:,} per rule per tick)")
    print(
        f"a tick's retention: median {statistics.median(tick_times) * 1000:.0f} ms, max {max(tick_times) * 1000:.0f} ms"
    )
    print(f"a batch ({retention_tick.BATCH_SIZE} rows, with its commit): median "
          f"{statistics.median(batch_times) * 1000:.1f} ms, max {max(batch_times) * 1000:.1f} ms")  # fmt: skip
    print(f"a message queued meanwhile ({len(waits)}): median {statistics.median(waits) * 1000:.1f} ms, "
          f"max {max(waits) * 1000:.1f} ms")  # fmt: skip
    print(f"an idle run (nothing left): median {statistics.median(idle) * 1000:.1f} ms")
    print(f"pending messages kept: {left:,}; handled requests left: {requests_left:,}")


if __name__ == "__main__":
    main()

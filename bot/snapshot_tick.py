"""The tick's quarterly snapshots: when a quarter is over, each manager gets each report's snapshot,
and each person their own, on the first working day after it at the digest's time in the reader's
own time zone.

Each snapshot is an outbox row keyed by period, subject and reader, so it goes out once however many
ticks or replicas ask. The period's keys already in the outbox are read once per tick, and only the
missing snapshots are built, in batches of a fixed few statements each (``storage/snapshots.py``).
A person whose quarter left nothing behind is sent nothing: no empty snapshot.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.checkin_tick import delivery
from bot.tick import Producer
from conversations.digest import DIGEST_CHART
from conversations.messages import Outbound
from conversations.snapshot import SNAPSHOT, chart, snapshot_due
from conversations.workspace_settings import load_settings
from storage import outbox, snapshots
from storage.models import OutboxDelivery, Person, Workspace
from storage.reach import Reach

BATCH = 500


def snapshot_producer() -> Producer:
    return enqueue_due_snapshots


def snapshot_key(period: str, subject_id: int, reader_id: int) -> str:
    return f"snapshot:{period}:{subject_id}:{reader_id}"


def enqueue_due_snapshots(session: Session, workspace: Workspace, now: datetime, reach: Reach) -> int:
    assert workspace.id is not None
    settings = load_settings(workspace.settings)
    everyone = session.exec(
        select(Person).where(Person.workspace_id == workspace.id, Person.active, col(Person.is_bot).is_(False))
    ).all()
    by_id = {person.id: person for person in everyone}
    wanted: dict[str, tuple[str, Person, Person]] = {}  # key: (period, subject, reader)
    for subject in everyone:
        readers = [subject]
        manager = by_id.get(subject.manager_id) if subject.manager_id else None
        if manager is not None:
            readers.append(manager)
        for reader in readers:
            if reach.of(reader.id) is None:
                continue
            period = snapshot_due(now, reader.timezone, settings.digest.time, settings.holidays)
            if period is not None:
                wanted[snapshot_key(period, subject.id, reader.id)] = (period, subject, reader)
    if not wanted:
        return 0
    periods = {period for period, _, _ in wanted.values()}
    sent_before = sa.or_(*(col(OutboxDelivery.dedupe_key).like(f"snapshot:{period}:%") for period in periods))
    done = set(
        session.exec(
            select(OutboxDelivery.dedupe_key).where(OutboxDelivery.workspace_id == workspace.id, sent_before)
        ).all()
    )
    missing: dict[str, dict[int, list[tuple[str, Person]]]] = defaultdict(lambda: defaultdict(list))
    for key, (period, subject, reader) in wanted.items():
        if key not in done:
            missing[period][subject.id].append((key, reader))
    rows: list[dict] = []
    for period, by_subject in missing.items():
        subject_ids = list(by_subject)
        for start in range(0, len(subject_ids), BATCH):
            batch = subject_ids[start : start + BATCH]
            today = now.astimezone(ZoneInfo(by_id[batch[0]].timezone)).date()
            built = snapshots.build_snapshots(session, workspace.id, period, batch, today)
            for subject_id, snapshot in built.items():
                if not snapshot["has_data"]:
                    continue
                for key, reader in by_subject[subject_id]:
                    rows.extend(_rows(workspace, key, reader, snapshot, now, reach))
    outbox.enqueue_many(session, rows)
    return len(rows)


def _rows(workspace: Workspace, key: str, reader: Person, snapshot: dict, now: datetime, reach: Reach) -> list[dict]:
    """The snapshot and its chart, to the reader on the one platform they are reached on."""
    own = reader.id == snapshot["person"]["id"]
    message = Outbound(SNAPSHOT, {**snapshot, "quarter_over": True, "own": own})
    return [
        delivery(workspace, reader, key, message, now, reach),
        delivery(workspace, reader, f"{key}:chart", Outbound(DIGEST_CHART, chart(snapshot)), now, reach),
    ]

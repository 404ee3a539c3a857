"""The outbox: every message Cadence owes someone, written in the same transaction as the change
that caused it, and sent later by whichever process claims it first.

The unique ``dedupe_key`` makes enqueueing idempotent, so a retried event, a repeated tick or a
second replica can ask for the same message any number of times and it exists once. Claiming
is a single conditional UPDATE (with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL) so two senders
never take the same row. A row left in ``sending`` by a crashed sender is taken again after
``lease``: delivery is at-least-once across crashes, exactly-once otherwise.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from conversations.destinations import Destination, destination_to_dict, ordering_key
from conversations.messages import Outbound, Platform, outbound_to_dict
from storage import claims
from storage.models import DeliveryStatus, OutboxDelivery

DEFAULT_LEASE = timedelta(minutes=1)
MAX_ERROR_LENGTH = 500


def delivery_row(
    *,
    workspace_id: int,
    platform: Platform,
    kind: str,
    recipient: str,
    dedupe_key: str,
    payload: Mapping[str, Any],
    not_before: datetime,
) -> dict[str, Any]:
    return {
        "workspace_id": workspace_id,
        "platform": platform,
        "kind": kind,
        "recipient": recipient,
        "dedupe_key": dedupe_key,
        "payload": dict(payload),
        "status": DeliveryStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": not_before,
        "created_at": not_before,
    }


def message_row(
    *,
    workspace_id: int,
    platform: Platform,
    message: Outbound,
    destination: Destination,
    dedupe_key: str,
    not_before: datetime,
) -> dict[str, Any]:
    """The row for one message to one destination on one platform: what every producer writes."""
    return delivery_row(
        workspace_id=workspace_id,
        platform=platform,
        kind=message.kind,
        recipient=ordering_key(destination),
        dedupe_key=dedupe_key,
        payload={"outbound": outbound_to_dict(message), "destination": destination_to_dict(destination)},
        not_before=not_before,
    )


OUTBOX = OutboxDelivery.__table__


def enqueue(session: Session, **delivery: Any) -> bool:
    """Add a delivery unless one with the same key exists; True when this call added it."""
    statement = (
        claims.insert_ignoring_duplicates(session, OUTBOX, "dedupe_key")
        .values(**delivery_row(**delivery))
        .returning(OUTBOX.c.id)
    )
    return session.connection().execute(statement).scalar() is not None


def enqueue_many(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Add many deliveries (from ``delivery_row``) in one statement, skipping keys that exist."""
    if rows:
        session.connection().execute(
            claims.insert_ignoring_duplicates(session, OUTBOX, "dedupe_key"), [dict(row) for row in rows]
        )


def claim_due(
    session: Session,
    now: datetime,
    *,
    limit: int = 50,
    lease: timedelta = DEFAULT_LEASE,
    platforms: Collection[Platform] | None = None,
) -> list[OutboxDelivery]:
    """Take up to ``limit`` rows that are due (or whose sender vanished) and mark them as sending."""
    return claims.claim_due(
        session,
        OutboxDelivery,
        now,
        waiting=DeliveryStatus.PENDING,
        working=DeliveryStatus.SENDING,
        lease=lease,
        limit=limit,
        platforms=platforms,
        in_order_of="recipient",
    )


def claim_by_keys(
    session: Session, now: datetime, keys: Collection[str], *, platforms: Collection[Platform] | None = None
) -> list[OutboxDelivery]:
    """Take the deliveries with these dedupe keys, if they are due and their recipient's turn has come."""
    return claims.claim_by_keys(
        session,
        OutboxDelivery,
        now,
        keys=keys,
        key_column="dedupe_key",
        waiting=DeliveryStatus.PENDING,
        working=DeliveryStatus.SENDING,
        platforms=platforms,
        in_order_of="recipient",
    )


def release(session: Session, deliveries: Collection[OutboxDelivery]) -> int:
    """Give claimed deliveries that were never tried back to the other senders (a stopping process)."""
    return claims.release(
        session, OutboxDelivery, deliveries, working=DeliveryStatus.SENDING, waiting=DeliveryStatus.PENDING
    )


def mark_sent(session: Session, delivery: OutboxDelivery, now: datetime, platform_message_id: str | None) -> None:
    delivery.status = DeliveryStatus.SENT
    delivery.sent_at = now
    delivery.platform_message_id = platform_message_id
    delivery.last_error = None
    session.add(delivery)


def mark_retry(
    session: Session, delivery: OutboxDelivery, retry_at: datetime, error: str, *, count_attempt: bool = True
) -> None:
    """Back to pending until ``retry_at``; a throttled try (``count_attempt`` False) doesn't use up an attempt."""
    if not count_attempt:
        delivery.attempts = max(delivery.attempts - 1, 0)
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = retry_at
    delivery.claimed_at = None
    delivery.last_error = error[:MAX_ERROR_LENGTH]
    session.add(delivery)


def mark_failed(session: Session, delivery: OutboxDelivery, reason: str) -> None:
    delivery.status = DeliveryStatus.FAILED
    delivery.claimed_at = None
    delivery.last_error = reason[:MAX_ERROR_LENGTH]
    session.add(delivery)


def by_key(session: Session, dedupe_key: str) -> OutboxDelivery | None:
    return session.exec(select(OutboxDelivery).where(OutboxDelivery.dedupe_key == dedupe_key)).first()


def by_message(
    session: Session, workspace_id: int, platform_message_id: str, kind: str | None = None
) -> OutboxDelivery | None:
    """The delivery of ``workspace_id`` that became a platform's message (a card someone pressed or
    reacted to). A message id is not one organisation's: a channel shared between two Slack
    workspaces or two tenants shows every organisation the same message under the same id, so it is
    looked for only among the messages of the organisation of whoever pressed or reacted."""
    query = select(OutboxDelivery).where(
        OutboxDelivery.workspace_id == workspace_id, OutboxDelivery.platform_message_id == platform_message_id
    )
    if kind is not None:
        query = query.where(OutboxDelivery.kind == kind)
    return session.exec(query.order_by(col(OutboxDelivery.id).desc())).first()


def counts_by_status(session: Session) -> dict[DeliveryStatus, int]:
    return claims.counts_by_status(session, OutboxDelivery, DeliveryStatus)


def next_due_at(session: Session, platforms: Collection[Platform] | None = None) -> datetime | None:
    """When the earliest pending delivery (of these platforms) may go."""
    return claims.next_due_at(session, OutboxDelivery, DeliveryStatus.PENDING, platforms)

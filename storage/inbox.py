"""The inbox: platform requests recorded inside their ack, worked on afterwards, each exactly once.

Recording is one INSERT that skips a key already there, so a platform's redelivery of an event
(Slack retries one it thinks we missed) is recognised and dropped on arrival. A worker claims
due rows (see :mod:`storage.claims`), acts on each in a unit of work that ends with
:func:`mark_done`, and that conditional UPDATE is fenced by the claim: if the worker's lease ran
out and another worker took the row, the late one's whole unit of work rolls back.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from conversations.messages import Platform
from storage import claims
from storage.models import InboxRequest, InboxStatus

DEFAULT_LEASE = timedelta(minutes=1)
MAX_ERROR_LENGTH = 500
INBOX = InboxRequest.__table__


class LostClaim(Exception):
    """Another worker took this request while we worked on it; our changes must not be kept."""


@dataclass(frozen=True)
class NewRequest:
    """A request to queue: ``actor`` is whose request it is (see ``InboxRequest.actor``); without one
    the request waits for no other."""

    platform: Platform
    request_key: str
    team: str
    kind: str
    payload: Mapping[str, Any]
    actor: str | None = None

    @classmethod
    def from_user(
        cls,
        platform: Platform,
        request_key: str,
        team: str,
        kind: str,
        payload: Mapping[str, Any],
        user: str | None = None,
    ) -> NewRequest:
        """A request from (or about) a platform ``user``: theirs are handled one at a time, in order."""
        return cls(
            platform, request_key, team, kind, payload, None if user is None else f"{platform.value}:{team}:{user}"
        )


def record(
    session: Session,
    *,
    platform: Platform,
    request_key: str,
    team: str,
    kind: str,
    payload: Mapping[str, Any],
    now: datetime,
    actor: str | None = None,
) -> bool:
    """Queue a request unless one with the same key was recorded before; True when this call added it."""
    return record_many(session, [NewRequest(platform, request_key, team, kind, payload, actor)], now) == [True]


def record_many(session: Session, requests: Sequence[NewRequest], now: datetime) -> list[bool]:
    """Queue many requests in one statement (a burst of acks costs one round trip, not one each); for
    each, True when this call added it (False: its key was recorded before, or earlier in ``requests``).

    Rows are inserted in key order, so two replicas' batches take their locks in the same order and
    can't deadlock."""
    first: dict[str, NewRequest] = {}
    for request in requests:
        first.setdefault(request.request_key, request)
    if not first:
        return []
    rows = [
        {
            "platform": request.platform,
            "request_key": key,
            "team": request.team,
            "actor": request.actor or key,
            "kind": request.kind,
            "payload": dict(request.payload),
            "status": InboxStatus.QUEUED,
            "attempts": 0,
            "received_at": now,
            "next_attempt_at": now,
        }
        for key, request in sorted(first.items())
    ]
    # one statement compiled once, its rows sent as batches of VALUES (SQLAlchemy's "insertmanyvalues"):
    # a statement with the rows inlined compiled anew for every size of batch, a third of an ack's CPU
    statement = claims.insert_ignoring_duplicates(session, INBOX, "request_key").returning(INBOX.c.request_key)
    added = set(session.connection().execute(statement, rows).scalars())
    answers = []
    for request in requests:
        answers.append(request.request_key in added and first[request.request_key] is request)
    return answers


def claim_due(
    session: Session,
    now: datetime,
    *,
    limit: int = 20,
    lease: timedelta = DEFAULT_LEASE,
    platforms: Collection[Platform] | None = None,
) -> list[InboxRequest]:
    return claims.claim_due(
        session,
        InboxRequest,
        now,
        waiting=InboxStatus.QUEUED,
        working=InboxStatus.PROCESSING,
        lease=lease,
        limit=limit,
        platforms=platforms,
        in_order_of="actor",
    )


def release(session: Session, requests: Collection[InboxRequest]) -> int:
    """Give claimed requests that were never started back to the other workers (a stopping process)."""
    return claims.release(session, InboxRequest, requests, working=InboxStatus.PROCESSING, waiting=InboxStatus.QUEUED)


def _finish(session: Session, request: InboxRequest, **values: Any) -> None:
    """Set ``values`` on the row if it is still ours (same claim); raise LostClaim otherwise."""
    parameters = {f"new_{column}": value for column, value in values.items()}
    parameters.update(request_id=request.id, claimed_then=request.claimed_at)
    changed = session.execute(_finishing(tuple(sorted(values))), parameters)
    if changed.rowcount != 1:
        raise LostClaim(f"inbox request {request.request_key} was claimed again by another worker")


@functools.cache
def _finishing(columns: tuple[str, ...]) -> Any:
    """Built once per set of columns (every request ends with one): building it cost more than running it."""
    return (
        sa.update(InboxRequest)
        .where(
            InboxRequest.id == sa.bindparam("request_id"),
            InboxRequest.status == InboxStatus.PROCESSING,
            InboxRequest.claimed_at == sa.bindparam("claimed_then"),
        )
        .values({column: sa.bindparam(f"new_{column}") for column in columns})
        .execution_options(synchronize_session=False)
    )


def mark_done(session: Session, request: InboxRequest, now: datetime) -> None:
    """Part of the request's own unit of work: its effects and this commit together, or neither."""
    _finish(session, request, status=InboxStatus.DONE, finished_at=now, claimed_at=None, error=None)


def mark_retry(session: Session, request: InboxRequest, retry_at: datetime, error: str) -> None:
    _finish(
        session,
        request,
        status=InboxStatus.QUEUED,
        next_attempt_at=retry_at,
        claimed_at=None,
        error=error[:MAX_ERROR_LENGTH],
    )


def mark_failed(session: Session, request: InboxRequest, now: datetime, error: str) -> None:
    _finish(
        session, request, status=InboxStatus.FAILED, finished_at=now, claimed_at=None, error=error[:MAX_ERROR_LENGTH]
    )


def by_key(session: Session, request_key: str) -> InboxRequest | None:
    return session.exec(select(InboxRequest).where(InboxRequest.request_key == request_key)).first()


def counts_by_status(session: Session) -> dict[InboxStatus, int]:
    return claims.counts_by_status(session, InboxRequest, InboxStatus)


def next_due_at(session: Session, platforms: Collection[Platform] | None = None) -> datetime | None:
    return claims.next_due_at(session, InboxRequest, InboxStatus.QUEUED, platforms)

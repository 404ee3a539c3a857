"""Retention: what an organisation's ``retention:`` settings remove once it is older than they allow.

What each kind removes, and why it stops there:

- ``checkin_answers``: what someone answered in the check-in of a week that began longer ago than
  the period (the answers, the mood, the blockers, the reason for skipping). The response row stays,
  with its status and times, so participation (answered, skipped, away, missed) still adds up in
  digests, snapshots and the fairness view; those weeks just have no words and no mood any more.
- ``feedback``: the words of feedback given longer ago (what went well, what could be better) and
  the topic of requests that closed longer ago. The rows stay (who gave feedback to whom, naming
  which value or skill), so feedback counts hold.
- ``one_on_one_notes``: shared and private 1:1 notes written longer ago are deleted. Talking points
  and action items closed longer ago lose their text but keep their row, because an open item is
  known by its place among all of the pair's items (``/1on1 done @sam 4``) and that must never
  shift. Open points and actions are never touched, however old: they still carry over.
- ``handled_requests``: requests from Slack or Teams finished (done or failed) longer ago are
  deleted; queued or in-progress ones never are. Requests are recorded before Cadence knows whose
  they are, by platform account, so each is judged by the settings of the organisation connected to
  that account, and a request from an account no organisation is connected to by the default period.
- ``sent_messages``: messages sent (or given up on) longer ago are deleted; pending and sending ones
  never are.

Nothing here removes a person: ``cadence forget`` erases one person's data whatever its age.

Every function here changes at most ``limit`` rows in one statement (``UPDATE``/``DELETE`` whose ids
come from a limited subquery) and never commits: the tick (``bot/retention_tick.py``) commits each
batch on its own, so a table is never locked for longer than one small statement.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from conversations.messages import Platform
from conversations.workspace_settings import RetentionKind, RetentionSettings, load_settings
from storage.models import (
    CheckinCycle,
    CheckinResponse,
    DeliveryStatus,
    Feedback,
    FeedbackRequest,
    InboxRequest,
    InboxStatus,
    OneOnOneItem,
    OneOnOneItemKind,
    OneOnOnePair,
    OneOnOnePrivateNote,
    OutboxDelivery,
    PlatformConnection,
    Workspace,
)

DEFAULTS = RetentionSettings()


@dataclass(frozen=True)
class Scope:
    """What one run of the rules covers: an organisation with its settings and platform accounts,
    or (``workspace_id`` None) the requests from platform accounts no organisation is connected to."""

    workspace_id: int | None
    retention: RetentionSettings
    accounts: tuple[tuple[Platform, str], ...] = ()

    def cutoff(self, kind: RetentionKind, now: datetime) -> datetime | None:
        """Records of ``kind`` older than this go; None when they are kept forever (or don't apply)."""
        if self.workspace_id is None and kind is not RetentionKind.HANDLED_REQUESTS:
            return None
        days = self.retention.days(kind)
        return None if days is None else now - timedelta(days=days)


def scope_ids(session: Session) -> list[int | None]:
    """Every organisation, oldest first, then None: the requests of accounts nobody is connected to."""
    return [*session.exec(select(Workspace.id).order_by(Workspace.id)), None]


def scope_of(session: Session, workspace_id: int | None) -> Scope | None:
    """What the rules cover for one organisation (None: for accounts nobody is connected to); None
    when the organisation is gone."""
    if workspace_id is None:
        return Scope(None, DEFAULTS)
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        return None
    accounts = session.exec(
        select(PlatformConnection.platform, PlatformConnection.external_id)
        .where(PlatformConnection.workspace_id == workspace_id)
        .order_by(PlatformConnection.id)
    ).all()
    return Scope(workspace_id, load_settings(workspace.settings).retention, tuple(tuple(row) for row in accounts))


Sweep = Callable[[Session, Scope, datetime, int], int]
"""Removes at most ``limit`` rows' worth of one kind in one scope older than the cutoff; returns how many."""


def _some(model: Any, *conditions: Any, limit: int) -> Any:
    """At most ``limit`` ids of ``model``'s rows meeting ``conditions``, as a subquery (in no order:
    sorting a large backlog for every batch would cost more than the batch)."""
    return select(model.id).where(*conditions).limit(limit).scalar_subquery()


def _changed(session: Session, statement: Any) -> int:
    return session.execute(statement.execution_options(synchronize_session=False)).rowcount


def _cycles_before(workspace_id: int, cutoff: datetime) -> Any:
    return select(CheckinCycle.id).where(CheckinCycle.workspace_id == workspace_id, CheckinCycle.opened_at < cutoff)


def _has_words(response: type[CheckinResponse]) -> Any:
    return sa.or_(
        col(response.mood).is_not(None),
        col(response.blockers).is_not(None),
        col(response.skip_reason).is_not(None),
        sa.cast(response.answers, sa.Text) != "{}",
    )


def forget_checkin_answers(session: Session, scope: Scope, cutoff: datetime, limit: int) -> int:
    assert scope.workspace_id is not None
    picked = _some(
        CheckinResponse,
        col(CheckinResponse.cycle_id).in_(_cycles_before(scope.workspace_id, cutoff)),
        _has_words(CheckinResponse),
        limit=limit,
    )
    return _changed(
        session,
        sa.update(CheckinResponse)
        .where(col(CheckinResponse.id).in_(picked))
        .values(answers={}, mood=None, blockers=None, skip_reason=None),
    )


def forget_feedback_words(session: Session, scope: Scope, cutoff: datetime, limit: int) -> int:
    picked = _some(
        Feedback,
        Feedback.workspace_id == scope.workspace_id,
        Feedback.given_at < cutoff,
        sa.or_(Feedback.went_well != "", Feedback.could_be_better != ""),
        limit=limit,
    )
    return _changed(
        session, sa.update(Feedback).where(col(Feedback.id).in_(picked)).values(went_well="", could_be_better="")
    )


def forget_request_topics(session: Session, scope: Scope, cutoff: datetime, limit: int) -> int:
    picked = _some(
        FeedbackRequest,
        FeedbackRequest.workspace_id == scope.workspace_id,
        FeedbackRequest.closes_at < cutoff,
        FeedbackRequest.topic != "",
        limit=limit,
    )
    return _changed(session, sa.update(FeedbackRequest).where(col(FeedbackRequest.id).in_(picked)).values(topic=""))


def _pairs_of(workspace_id: int | None) -> Any:
    return select(OneOnOnePair.id).where(OneOnOnePair.workspace_id == workspace_id)


def delete_shared_notes(session: Session, scope: Scope, cutoff: datetime, limit: int) -> int:
    picked = _some(
        OneOnOneItem,
        col(OneOnOneItem.pair_id).in_(_pairs_of(scope.workspace_id)),
        OneOnOneItem.kind == OneOnOneItemKind.SHARED_NOTE,
        OneOnOneItem.created_at < cutoff,
        limit=limit,
    )
    return _changed(session, sa.delete(OneOnOneItem).where(col(OneOnOneItem.id).in_(picked)))


def delete_private_notes(session: Session, scope: Scope, cutoff: datetime, limit: int) -> int:
    picked = _some(
        OneOnOnePrivateNote,
        col(OneOnOnePrivateNote.pair_id).in_(_pairs_of(scope.workspace_id)),
        OneOnOnePrivateNote.created_at < cutoff,
        limit=limit,
    )
    return _changed(session, sa.delete(OneOnOnePrivateNote).where(col(OneOnOnePrivateNote.id).in_(picked)))


def forget_closed_items(session: Session, scope: Scope, cutoff: datetime, limit: int) -> int:
    picked = _some(
        OneOnOneItem,
        col(OneOnOneItem.pair_id).in_(_pairs_of(scope.workspace_id)),
        OneOnOneItem.kind != OneOnOneItemKind.SHARED_NOTE,
        col(OneOnOneItem.closed_at) < cutoff,
        OneOnOneItem.text != "",
        limit=limit,
    )
    return _changed(session, sa.update(OneOnOneItem).where(col(OneOnOneItem.id).in_(picked)).values(text=""))


def delete_sent_messages(session: Session, scope: Scope, cutoff: datetime, limit: int) -> int:
    """Sent rows by when they were sent, given-up rows by their last try. ``next_attempt_at`` is never
    after either, so also asking for it older than the cutoff changes nothing but lets the database
    read the status index's range instead of every finished row."""
    picked = _some(
        OutboxDelivery,
        OutboxDelivery.workspace_id == scope.workspace_id,
        col(OutboxDelivery.status).in_((DeliveryStatus.SENT, DeliveryStatus.FAILED)),
        OutboxDelivery.next_attempt_at < cutoff,
        sa.or_(OutboxDelivery.status == DeliveryStatus.FAILED, col(OutboxDelivery.sent_at) < cutoff),
        limit=limit,
    )
    return _changed(session, sa.delete(OutboxDelivery).where(col(OutboxDelivery.id).in_(picked)))


def _from_accounts(accounts: Sequence[tuple[Platform, str]]) -> Any:
    return sa.or_(
        sa.false(),
        *(
            sa.and_(InboxRequest.platform == platform, InboxRequest.team == external_id)
            for platform, external_id in accounts
        ),
    )


def _from_nobody_connected() -> Any:
    return ~sa.exists(
        select(PlatformConnection.id).where(
            PlatformConnection.platform == InboxRequest.platform, PlatformConnection.external_id == InboxRequest.team
        )
    )


def delete_handled_requests(session: Session, scope: Scope, cutoff: datetime, limit: int) -> int:
    """Finished requests by when they finished (``next_attempt_at`` is never after it: see
    :func:`delete_sent_messages`)."""
    picked = _some(
        InboxRequest,
        col(InboxRequest.status).in_((InboxStatus.DONE, InboxStatus.FAILED)),
        InboxRequest.next_attempt_at < cutoff,
        col(InboxRequest.finished_at) < cutoff,
        _from_nobody_connected() if scope.workspace_id is None else _from_accounts(scope.accounts),
        limit=limit,
    )
    return _changed(session, sa.delete(InboxRequest).where(col(InboxRequest.id).in_(picked)))


SWEEPS: tuple[tuple[RetentionKind, Sweep], ...] = (
    (RetentionKind.CHECKIN_ANSWERS, forget_checkin_answers),
    (RetentionKind.FEEDBACK, forget_feedback_words),
    (RetentionKind.FEEDBACK, forget_request_topics),
    (RetentionKind.ONE_ON_ONE_NOTES, delete_shared_notes),
    (RetentionKind.ONE_ON_ONE_NOTES, delete_private_notes),
    (RetentionKind.ONE_ON_ONE_NOTES, forget_closed_items),
    (RetentionKind.HANDLED_REQUESTS, delete_handled_requests),
    (RetentionKind.SENT_MESSAGES, delete_sent_messages),
)
"""Each rule and the kind whose period it keeps to, in the order a run applies them."""

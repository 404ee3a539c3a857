"""The tick's feedback work: remind each peer who hasn't answered a request once, close requests
whose time is up, and tell each requester once who answered.

Everything due is read from the tables on each tick. A reminder is an outbox row with a unique key
per ask, and the ask records it in the same transaction; a closing notice is an outbox row with a
unique key per request, and that row is what marks the request as told. So repeated ticks, a
restart or two replicas at once never send anything twice, and a tick after downtime catches up.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.checkin_tick import delivery
from bot.tick import Producer
from conversations.feedback import Ref, answer_choices, local_day_text
from conversations.messages import Outbound
from conversations.words import Labels
from storage import feedback, outbox
from storage.kudos import person_ref
from storage.models import Workspace
from storage.reach import Reach


def feedback_producer(labels: Labels) -> Producer:
    def feedback_due(session: Session, workspace: Workspace, now: datetime, reach: Reach) -> int:
        return enqueue_feedback_due(session, workspace, now, labels, reach)

    return feedback_due


def enqueue_feedback_due(session: Session, workspace: Workspace, now: datetime, labels: Labels, reach: Reach) -> int:
    """Reminders due now and notices of requests that closed, each to the one platform its person is
    reached on; someone reachable on none is left until they are (while the request is open, for a
    reminder)."""
    assert workspace.id is not None
    rows: list[dict] = []
    for ask, request, peer, requester in feedback.asks_to_remind(session, workspace.id, now):
        if reach.of(peer.id) is None or ask.id is None:
            continue
        reminder = Outbound(
            "feedback_reminder",
            {
                "requester": person_ref(requester),
                "topic": request.topic,
                "closes_on": local_day_text(request.closes_at, peer.timezone, now),
            },
            answer_choices(labels, Ref(request.requester_id, request.created_at)),
        )
        rows.append(delivery(workspace, peer, feedback.reminder_key(ask.id), reminder, now, reach))
        ask.reminded_at = now
        session.add(ask)
    feedback.close_expired_asks(session, workspace.id, now)
    closed = feedback.requests_closed_untold(session, workspace.id, now)
    answered = feedback.answered_by(session, [request.id for request, _ in closed if request.id is not None])
    asked = feedback.asked_counts(session, list(answered))
    for request, requester in closed:
        if reach.of(requester.id) is None or request.id is None:
            continue
        notice = Outbound(
            "feedback_request_closed",
            {"topic": request.topic, "asked": asked.get(request.id, 0), "answered": answered[request.id]},
        )
        rows.append(delivery(workspace, requester, feedback.closed_notice_key(request.id), notice, now, reach))
    outbox.enqueue_many(session, rows)
    session.flush()
    return len(rows)

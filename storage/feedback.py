"""Feedback in the database: the feedback flows' contexts and changes, what the tick reminds and
closes, and the queries the list and the Home view read.

Who reads a piece of feedback is never decided here: ``storage.privacy.feedback_readers`` says, and
the giver is told exactly those names. Buttons name feedback and requests by a
:class:`~conversations.feedback.Ref` (who wrote it, and when), looked up here only among the rows the
person pressing it is party to, so a forwarded button finds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select, update

from conversations.commands import typed_handles
from conversations.feedback import (
    Action,
    AskDeclined,
    AskState,
    FeedbackGiven,
    FeedbackQuoted,
    FeedbackRequested,
    FeedbackThanked,
    Ref,
    local_day_text,
    read_action,
    shares_with_manager,
)
from conversations.flow import State
from conversations.goal_progress import quarter_began_at, quarter_name
from conversations.messages import Actor, Inbound
from conversations.workspace_settings import WorkspaceSettings, load_settings
from storage import company_values, workspaces
from storage.kudos import person_ref, resolve
from storage.models import (
    AskStatus,
    CompanyValue,
    Feedback,
    FeedbackAsk,
    FeedbackAudience,
    FeedbackRequest,
    OutboxDelivery,
    Person,
    Workspace,
    utcnow,
)
from storage.privacy import can_see_who_answered, feedback_readers, manager_chain

CLOSED_NOTICE = "feedback:closed:"
NOTICE_CATCH_UP = timedelta(days=7)
"""How long after a request closed its requester may still be told (they were away, say). The
notice's outbox row is what marks the request as told, so this must stay shorter than the
shortest time a sent message is kept (``KEEP_MESSAGES_DAYS``): else a pruned notice goes again."""
REMINDER = "feedback:reminder:"


def closed_notice_key(request_id: int) -> str:
    """The outbox key of the one message telling a requester their request closed; its row is also
    the mark that the request was closed (the table has no column of its own for it)."""
    return f"{CLOSED_NOTICE}{request_id}"


def reminder_key(ask_id: int) -> str:
    return f"{REMINDER}{ask_id}"


def audience(with_manager: bool) -> FeedbackAudience:
    return FeedbackAudience.RECIPIENT_AND_MANAGER if with_manager else FeedbackAudience.RECIPIENT


def person_with_manager(session: Session, person: Person) -> dict[str, Any]:
    """A person ref with their time zone and their manager (the first of their chain), if any."""
    chain = manager_chain(session, person)
    manager = {"id": chain[0].id, "display_name": chain[0].display_name} if chain else None
    return {**person_ref(person), "timezone": person.timezone, "manager": manager}


def themes(session: Session, workspace_id: int, settings: WorkspaceSettings) -> list[dict[str, str]]:
    """What feedback can be about: the active company values, then the skills of the settings."""
    values = [
        {"kind": "value", "slug": value.slug, "label": value.label}
        for value in company_values.active(session, workspace_id)
    ]
    skills = [{"kind": "skill", "slug": skill.slug, "label": skill.shown_label} for skill in settings.skills]
    return values + skills


def readers_of(session: Session, giver_id: int, recipient: Person, with_manager: bool) -> list[dict[str, Any]]:
    """Who would read feedback from ``giver_id`` to ``recipient`` (besides its giver), as privacy says."""
    planned = Feedback(
        workspace_id=recipient.workspace_id,
        giver_id=giver_id,
        recipient_id=recipient.id,
        audience=audience(with_manager),
    )
    return [person_ref(reader) for reader in feedback_readers(session, planned)]


def named_in(inbound: Inbound) -> tuple[str, ...]:
    """Who a command or form names: the people picked in the form, the mentions, or else the handles
    typed in the text. The last is a command run again from a button (Slack opens a form only from a
    click): the button keeps the words, ``@grace``, not the mention."""
    if inbound.form_id is not None:
        return tuple((inbound.form or {}).get("people") or ())
    return inbound.mentions or tuple(typed_handles(inbound.text))


def request_by_ref(session: Session, workspace_id: int, ref: Ref) -> FeedbackRequest | None:
    return session.exec(
        select(FeedbackRequest).where(
            FeedbackRequest.workspace_id == workspace_id,
            FeedbackRequest.requester_id == ref.person_id,
            FeedbackRequest.created_at == ref.at,
        )
    ).first()


def ask_of(session: Session, request: FeedbackRequest, peer_id: int) -> FeedbackAsk | None:
    return session.exec(
        select(FeedbackAsk).where(FeedbackAsk.request_id == request.id, FeedbackAsk.peer_id == peer_id)
    ).first()


def ask_state(ask: FeedbackAsk, request: FeedbackRequest, now: datetime) -> AskState:
    if ask.status is AskStatus.ANSWERED:
        return AskState.ANSWERED
    if ask.status is AskStatus.CLOSED or request.closes_at <= now:
        return AskState.CLOSED
    return AskState.DECLINED if ask.status is AskStatus.DECLINED else AskState.OPEN


def request_view(
    session: Session, peer: Person, ref: Ref | None, now: datetime
) -> tuple[dict[str, Any], Person] | None:
    """The request ``ref`` names as ``peer`` was asked it, and its requester; None when ``peer`` wasn't."""
    request = request_by_ref(session, peer.workspace_id, ref) if ref else None
    ask = ask_of(session, request, peer.id) if request and peer.id else None
    requester = session.get(Person, request.requester_id) if request else None
    if request is None or ask is None or requester is None or ref is None:
        return None
    view = {
        "ref": ref.value,
        "requester": person_with_manager(session, requester),
        "topic": request.topic,
        "with_manager": request.audience is FeedbackAudience.RECIPIENT_AND_MANAGER,
        "closes_on": local_day_text(request.closes_at, peer.timezone, now),
        "status": ask_state(ask, request, now),
    }
    return view, requester


def feedback_by_ref(session: Session, recipient_id: int, ref: Ref) -> Feedback | None:
    """Feedback ``recipient_id`` received from ``ref``'s giver at ``ref``'s instant (the giver may
    since have been removed, which leaves the row without one)."""
    return session.exec(
        select(Feedback).where(
            Feedback.recipient_id == recipient_id,
            Feedback.given_at == ref.at,
            sa.or_(col(Feedback.giver_id) == ref.person_id, col(Feedback.giver_id).is_(None)),
        )
    ).first()


def thanks_view(session: Session, recipient_id: int, ref: Ref | None) -> dict[str, Any] | None:
    feedback = feedback_by_ref(session, recipient_id, ref) if ref else None
    if feedback is None or ref is None:
        return None
    giver = session.get(Person, feedback.giver_id) if feedback.giver_id else None
    request = session.get(FeedbackRequest, feedback.request_id) if feedback.request_id else None
    return {
        "ref": ref.value,
        "giver": person_ref(giver) if giver else None,
        "thanked": feedback.thanked_at is not None,
        "quoted": feedback.quoted_in_snapshot,
        "topic": request.topic if request else "",
    }


def recipients_named(
    session: Session, me: Person, inbound: Inbound, argument: str
) -> tuple[list[Person], list[dict[str, Any]]]:
    """The people feedback is for, and the names nobody here has: the one person a form was opened
    for (its id after the ``:``), or whoever the command or form names."""
    if argument.isdigit():
        person = session.get(Person, int(argument))
        return ([person] if person is not None and person.workspace_id == me.workspace_id else []), []
    found, unknown = resolve(session, me.workspace_id, inbound.platform, named_in(inbound))
    return [person for ref in found if (person := session.get(Person, ref["id"])) is not None], unknown


def prepare_feedback(session: Session, actor: Actor, inbound: Inbound, state: State | None, now: datetime) -> State:
    """Who the feedback is for (named, picked in the form, or the requester of the request being
    answered), who would read it, the request or feedback a button names, and the values and skills."""
    me = session.get(Person, actor.person_id)
    workspace = session.get(Workspace, actor.workspace_id)
    assert me is not None and me.id is not None and workspace is not None
    settings = load_settings(workspace.settings)
    action, argument = read_action(inbound)
    form = inbound.form or {}
    data: dict[str, Any] = {
        "actor": person_ref(me),
        "themes": themes(session, actor.workspace_id, settings),
        "recipients": [],
        "unknown": [],
        "readers": [],
    }
    if action in (Action.THANK, Action.QUOTE):
        data["feedback"] = thanks_view(session, me.id, Ref.read(argument))
    elif action in (Action.ANSWER, Action.DECLINE):
        found = request_view(session, me, Ref.read(argument), now)
        data["request"] = found[0] if found else None
        if found is not None:
            data["readers"] = readers_of(session, me.id, found[1], found[0]["with_manager"])
    elif action is not Action.GIVE or inbound.form_id is not None:
        wanted, data["unknown"] = recipients_named(session, me, inbound, argument)
        data["recipients"] = [person_with_manager(session, person) for person in wanted]
        if len(wanted) == 1 and inbound.form_id is not None:
            data["readers"] = readers_of(session, me.id, wanted[0], shares_with_manager(form))
    return State(flow="feedback", step="give", data=data)


def prepare_request(session: Session, actor: Actor, inbound: Inbound, state: State | None, now: datetime) -> State:
    """The requester (with their manager), the peers named, and the reminder and closing settings."""
    me = session.get(Person, actor.person_id)
    workspace = session.get(Workspace, actor.workspace_id)
    assert me is not None and workspace is not None
    settings = load_settings(workspace.settings)
    found, unknown = resolve(session, actor.workspace_id, inbound.platform, named_in(inbound))
    peers = [person_with_manager(session, person) for ref in found if (person := session.get(Person, ref["id"]))]
    data = {
        "requester": person_with_manager(session, me),
        "peers": peers,
        "unknown": unknown,
        "settings": {
            "reminder_workdays": settings.feedback.reminder_workdays,
            "closes_after_days": settings.feedback.closes_after_days,
            "holidays": [day.isoformat() for day in settings.holidays],
        },
    }
    return State(flow="feedback_request", step="ask", data=data)


def prepare_list(session: Session, actor: Actor, inbound: Inbound, state: State | None, now: datetime) -> State:
    me = session.get(Person, actor.person_id)
    assert me is not None and me.id is not None
    data = {
        "waiting": asks_waiting_for(session, me.id, now=now),
        "mine": open_requests_of(session, me.id, now=now),
        "received": len(received_since(session, me.id, quarter_began_at(now, me.timezone))),
        "quarter": quarter_name(now, me.timezone),
    }
    return State(flow="feedback_list", step="show", data=data)


def apply_given(session: Session, actor: Actor, change: FeedbackGiven, now: datetime) -> None:
    """The feedback row; an answer also marks its ask answered, pointing at it."""
    ask = None
    request = request_by_ref(session, actor.workspace_id, change.request) if change.request else None
    if change.request is not None:
        assert request is not None, "the context found the request in this same unit of work"
        ask = ask_of(session, request, actor.person_id)
    feedback = Feedback(
        workspace_id=actor.workspace_id,
        giver_id=actor.person_id,
        recipient_id=change.recipient_id,
        request_id=request.id if request else None,
        went_well=change.went_well,
        could_be_better=change.could_be_better,
        value_slug=change.value_slug,
        skill=change.skill,
        audience=audience(change.with_manager),
        given_at=now,
    )
    session.add(feedback)
    session.flush()
    if ask is not None:
        ask.status, ask.answered_at, ask.feedback_id = AskStatus.ANSWERED, now, feedback.id
        session.add(ask)


def apply_thanked(session: Session, actor: Actor, change: FeedbackThanked, now: datetime) -> None:
    """``thanked_at`` is set once: a second press (or a redelivered one) leaves the first."""
    feedback = feedback_by_ref(session, actor.person_id, change.feedback)
    if feedback is not None:
        session.exec(
            update(Feedback)
            .where(col(Feedback.id) == feedback.id, col(Feedback.thanked_at).is_(None))
            .values(thanked_at=now)
        )


def apply_quoted(session: Session, actor: Actor, change: FeedbackQuoted, now: datetime) -> None:
    """Only the recipient's own feedback (``feedback_by_ref`` looks among what they received)."""
    feedback = feedback_by_ref(session, actor.person_id, change.feedback)
    if feedback is not None:
        feedback.quoted_in_snapshot = True
        session.add(feedback)


def apply_requested(session: Session, actor: Actor, change: FeedbackRequested, now: datetime) -> None:
    request = FeedbackRequest(
        workspace_id=actor.workspace_id,
        requester_id=actor.person_id,
        topic=change.topic,
        audience=audience(change.with_manager),
        created_at=now,
        closes_at=change.closes_at,
    )
    session.add(request)
    session.flush()
    assert request.id is not None
    session.add_all(
        FeedbackAsk(request_id=request.id, peer_id=ask.peer_id, remind_at=ask.remind_at) for ask in change.asks
    )


def apply_declined(session: Session, actor: Actor, change: AskDeclined, now: datetime) -> None:
    request = request_by_ref(session, actor.workspace_id, change.request)
    ask = ask_of(session, request, actor.person_id) if request else None
    if ask is not None and ask.status is AskStatus.OPEN:
        ask.status = AskStatus.DECLINED
        session.add(ask)


def received_since(
    session: Session, person_id: int, since: datetime, *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """The feedback a person received since ``since``, newest first, as plain data (for their list
    and their Home view): who gave it, what they wrote, its value or skill, the request it answered."""
    person = session.get(Person, person_id)
    if person is None:
        return []
    settings = workspaces.settings_of(session, person.workspace_id)
    values = {
        value.slug: value.label
        for value in session.exec(select(CompanyValue).where(CompanyValue.workspace_id == person.workspace_id))
    }
    skills = {skill.slug: skill.shown_label for skill in settings.skills}
    rows = session.exec(
        select(Feedback, Person, FeedbackRequest)
        .join(Person, col(Person.id) == Feedback.giver_id, isouter=True)
        .join(FeedbackRequest, col(FeedbackRequest.id) == Feedback.request_id, isouter=True)
        .where(Feedback.recipient_id == person_id, Feedback.given_at >= since)
        .order_by(col(Feedback.given_at).desc(), col(Feedback.id).desc())
    ).all()
    return [
        {
            "giver": person_ref(giver) if giver else None,
            "went_well": feedback.went_well,
            "could_be_better": feedback.could_be_better,
            "theme": values.get(feedback.value_slug or "") or skills.get(feedback.skill or "") or "",
            "topic": request.topic if request else "",
            "day": local_day_text(feedback.given_at, person.timezone, now or utcnow()),
            "thanked": feedback.thanked_at is not None,
        }
        for feedback, giver, request in rows
    ]


def asks_waiting_for(session: Session, person_id: int, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Requests a person was asked and hasn't answered yet (nor declined), oldest first, while they
    are open: who asked, about what, until when (in the person's own days), and the request's ``ref``
    for a "Give feedback" button (``conversations.feedback.answer_choices``)."""
    now = now or utcnow()
    person = session.get(Person, person_id)
    if person is None:
        return []
    rows = session.exec(
        select(FeedbackRequest, Person)
        .join(FeedbackAsk, col(FeedbackAsk.request_id) == FeedbackRequest.id)
        .join(Person, col(Person.id) == FeedbackRequest.requester_id)
        .where(FeedbackAsk.peer_id == person_id, FeedbackAsk.status == AskStatus.OPEN, FeedbackRequest.closes_at > now)
        .order_by(FeedbackRequest.created_at, FeedbackRequest.id)
    ).all()
    return [
        {
            "ref": Ref(request.requester_id, request.created_at).value,
            "requester": person_ref(requester),
            "topic": request.topic,
            "asked_on": local_day_text(request.created_at, person.timezone, now),
            "closes_on": local_day_text(request.closes_at, person.timezone, now),
        }
        for request, requester in rows
    ]


def answered_by(session: Session, request_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Who answered each request, in the order they answered; never who declined or didn't."""
    found: dict[int, list[dict[str, Any]]] = {request_id: [] for request_id in request_ids}
    if request_ids:
        rows = session.exec(
            select(FeedbackAsk.request_id, Person)
            .join(Person, col(Person.id) == FeedbackAsk.peer_id)
            .where(col(FeedbackAsk.request_id).in_(list(request_ids)), FeedbackAsk.status == AskStatus.ANSWERED)
            .order_by(FeedbackAsk.answered_at, FeedbackAsk.id)
        ).all()
        for request_id, peer in rows:
            found[request_id].append(person_ref(peer))
    return found


def asked_counts(session: Session, request_ids: Sequence[int]) -> dict[int, int]:
    if not request_ids:
        return {}
    rows = session.exec(
        select(FeedbackAsk.request_id, sa.func.count())
        .where(col(FeedbackAsk.request_id).in_(list(request_ids)))
        .group_by(FeedbackAsk.request_id)
    ).all()
    return dict(rows)


def open_requests_of(session: Session, person_id: int, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """A person's requests that haven't closed, oldest first: the topic, how many were asked, who
    answered so far (by name; who declined is never said), and the days it was made and closes."""
    now = now or utcnow()
    person = session.get(Person, person_id)
    if person is None:
        return []
    requests = session.exec(
        select(FeedbackRequest)
        .where(FeedbackRequest.requester_id == person_id, FeedbackRequest.closes_at > now)
        .order_by(FeedbackRequest.created_at, FeedbackRequest.id)
    ).all()
    ids = [request.id for request in requests if request.id is not None]
    answered = answered_by(session, ids) if can_see_who_answered(session, person, person) else {}
    counts = asked_counts(session, ids)
    return [
        {
            "ref": Ref(person_id, request.created_at).value,
            "topic": request.topic,
            "asked": counts.get(request.id, 0),
            "answered": answered.get(request.id, []),
            "created_on": local_day_text(request.created_at, person.timezone, now),
            "closes_on": local_day_text(request.closes_at, person.timezone, now),
        }
        for request in requests
        if request.id is not None
    ]


def asks_to_remind(
    session: Session, workspace_id: int, now: datetime
) -> list[tuple[FeedbackAsk, FeedbackRequest, Person, Person]]:
    """Open asks whose reminder is due and wasn't sent, of requests still open: (ask, request, peer, requester)."""
    requester = sa.orm.aliased(Person)
    rows = session.exec(
        select(FeedbackAsk, FeedbackRequest, Person, requester)
        .join(FeedbackRequest, col(FeedbackRequest.id) == FeedbackAsk.request_id)
        .join(Person, col(Person.id) == FeedbackAsk.peer_id)
        .join(requester, requester.id == FeedbackRequest.requester_id)
        .where(
            FeedbackAsk.status == AskStatus.OPEN,
            FeedbackAsk.remind_at <= now,
            col(FeedbackAsk.reminded_at).is_(None),
            FeedbackRequest.workspace_id == workspace_id,
            FeedbackRequest.closes_at > now,
        )
        .order_by(FeedbackAsk.remind_at, FeedbackAsk.id)
    ).all()
    return [tuple(row) for row in rows]


def close_expired_asks(session: Session, workspace_id: int, now: datetime) -> None:
    """Every ask still open in a request past its closing: closed, in one statement."""
    expired = select(FeedbackRequest.id).where(
        FeedbackRequest.workspace_id == workspace_id, FeedbackRequest.closes_at <= now
    )
    session.exec(
        update(FeedbackAsk)
        .where(col(FeedbackAsk.status) == AskStatus.OPEN, col(FeedbackAsk.request_id).in_(expired))
        .values(status=AskStatus.CLOSED)
    )


def requests_closed_untold(session: Session, workspace_id: int, now: datetime) -> list[tuple[FeedbackRequest, Person]]:
    """Requests closed within the catch-up whose requester (still here) hasn't been sent the closing notice."""
    told = select(OutboxDelivery.id).where(
        OutboxDelivery.dedupe_key == sa.literal(CLOSED_NOTICE, sa.String) + sa.cast(FeedbackRequest.id, sa.String)
    )
    return [
        tuple(row)
        for row in session.exec(
            select(FeedbackRequest, Person)
            .join(Person, col(Person.id) == FeedbackRequest.requester_id)
            .where(
                FeedbackRequest.workspace_id == workspace_id,
                FeedbackRequest.closes_at <= now,
                FeedbackRequest.closes_at > now - NOTICE_CATCH_UP,
                Person.active,
                ~sa.exists(told),
            )
            .order_by(FeedbackRequest.closes_at, FeedbackRequest.id)
        ).all()
    ]


APPLIERS = {
    FeedbackGiven: apply_given,
    FeedbackThanked: apply_thanked,
    FeedbackQuoted: apply_quoted,
    FeedbackRequested: apply_requested,
    AskDeclined: apply_declined,
}
CONTEXTS = {"feedback": prepare_feedback, "feedback_request": prepare_request, "feedback_list": prepare_list}

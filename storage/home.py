"""A person's home page (Slack's Home tab, the ``home`` command everywhere), built from the tables the
same way for every platform: what Cadence does for them, their goals, the kudos they received lately,
and their feedback: received this quarter, waiting for their answer, and their own open requests.

The three feedback queries (``received_since``, ``asks_waiting_for``, ``open_requests_of``) are small
on purpose: the feedback module offers the same ones, and these can then defer to it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from conversations.flow import State
from conversations.home import (
    LATEST_FEEDBACK,
    FeedbackPart,
    HomeFacts,
    OpenRequest,
    ReceivedFeedback,
    WaitingAsk,
    home_page,
    local_day,
    opening_words,
    quarter_began_at,
    quarter_name,
)
from conversations.messages import Actor, Inbound, Outbound
from conversations.words import Labels
from storage import goals, kudos, people
from storage.kudos import person_ref
from storage.models import AskStatus, Feedback, FeedbackAsk, FeedbackRequest, Person
from storage.privacy import can_read_feedback, can_see_who_answered


def received_since(session: Session, person_id: int, since: datetime) -> list[Feedback]:
    """The feedback a person received since ``since``, newest first."""
    return list(
        session.exec(
            select(Feedback)
            .where(Feedback.recipient_id == person_id, Feedback.given_at >= since)
            .order_by(col(Feedback.given_at).desc(), col(Feedback.id).desc())
        )
    )


def asks_waiting_for(session: Session, person_id: int) -> list[FeedbackAsk]:
    """The requests for feedback a person was asked and hasn't answered or declined, closing soonest first."""
    return list(
        session.exec(
            select(FeedbackAsk)
            .join(FeedbackRequest, col(FeedbackRequest.id) == FeedbackAsk.request_id)
            .where(FeedbackAsk.peer_id == person_id, FeedbackAsk.status == AskStatus.OPEN)
            .order_by(FeedbackRequest.closes_at, FeedbackAsk.id)
        )
    )


def open_requests_of(session: Session, person_id: int, now: datetime) -> list[FeedbackRequest]:
    """A person's requests for feedback that haven't closed yet, newest first. Open until they close,
    whoever answered or declined meanwhile: a request that ended early would say someone declined."""
    return list(
        session.exec(
            select(FeedbackRequest)
            .where(FeedbackRequest.requester_id == person_id, FeedbackRequest.closes_at > now)
            .order_by(col(FeedbackRequest.created_at).desc(), col(FeedbackRequest.id).desc())
        )
    )


def answerers_of(session: Session, request_ids: Sequence[int]) -> dict[int, list[Person]]:
    """Who answered each request, in the order they answered; those who declined are not among them."""
    found: dict[int, list[Person]] = defaultdict(list)
    if not request_ids:
        return found
    for request_id, person in session.exec(
        select(FeedbackAsk.request_id, Person)
        .join(Person, col(Person.id) == FeedbackAsk.peer_id)
        .where(col(FeedbackAsk.request_id).in_(list(request_ids)), FeedbackAsk.status == AskStatus.ANSWERED)
        .order_by(FeedbackAsk.answered_at, FeedbackAsk.id)
    ):
        found[request_id].append(person)
    return found


def feedback_part(session: Session, person: Person, now: datetime) -> FeedbackPart:
    assert person.id is not None
    zone = person.timezone
    received = received_since(session, person.id, quarter_began_at(now, zone))
    latest = []
    for feedback in received:
        if len(latest) == LATEST_FEEDBACK:
            break
        if can_read_feedback(session, person, feedback):
            giver = session.get(Person, feedback.giver_id) if feedback.giver_id is not None else None
            latest.append(
                ReceivedFeedback(
                    giver=person_ref(giver) if giver else None,
                    day=local_day(feedback.given_at, zone),
                    opening=opening_words(feedback.went_well, feedback.could_be_better),
                )
            )
    waiting = []
    for ask in asks_waiting_for(session, person.id):
        request = session.get(FeedbackRequest, ask.request_id)
        requester = session.get(Person, request.requester_id) if request else None
        if request is not None and requester is not None and ask.id is not None:
            waiting.append(WaitingAsk(ask.id, person_ref(requester), request.topic, local_day(request.closes_at, zone)))
    mine = open_requests_of(session, person.id, now) if can_see_who_answered(session, person, person) else []
    answered = answerers_of(session, [request.id for request in mine if request.id is not None])
    requests = tuple(
        OpenRequest(
            request.topic,
            local_day(request.created_at, zone),
            tuple(person_ref(peer) for peer in answered.get(request.id or 0, [])),
        )
        for request in mine
    )
    return FeedbackPart(quarter_name(now, zone), len(received), tuple(latest), tuple(waiting), requests)


def home_facts(session: Session, person: Person, now: datetime) -> HomeFacts:
    assert person.id is not None
    return HomeFacts(
        recent_kudos=tuple(kudos.recent_received(session, person.id)),
        goals=tuple(goals.home_goals(session, person, goals.now_local(person, now))),
        feedback=feedback_part(session, person, now),
        next_one_on_one=None,  # the 1:1 work fills it
    )


def home_view(session: Session, person: Person, now: datetime, labels: Labels | None = None) -> Outbound:
    """The Home tab's page."""
    return home_page(people.actor_for(session, person), home_facts(session, person, now), labels)


def prepare_home(session: Session, actor: Actor, inbound: Inbound, state: State | None, now: datetime) -> State:
    """The ``home`` command's facts, the Home tab's."""
    person = session.get(Person, actor.person_id)
    assert person is not None
    return State(flow="home", step="show", data=home_facts(session, person, now).to_data())


CONTEXTS = {"home": prepare_home}

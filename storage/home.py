"""A person's home page (Slack's Home tab, the ``home`` command everywhere), built from the tables the
same way for every platform: what Cadence does for them, their goals, the kudos they received lately,
and their feedback: received this quarter, waiting for their answer, and their own open requests.

The feedback and the next 1:1 are read by their own modules' queries (``storage/feedback.py``,
``storage/one_on_ones.py``), which apply the permission matrix; this module only puts them together.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from conversations.flow import State
from conversations.goal_progress import quarter_began_at, quarter_name
from conversations.home import (
    LATEST_FEEDBACK,
    FeedbackPart,
    HomeFacts,
    OpenRequest,
    ReceivedFeedback,
    WaitingAsk,
    home_page,
    opening_words,
)
from conversations.messages import Actor, Inbound, Outbound
from conversations.words import Labels
from conversations.workspace_settings import WorkspaceSettings, load_settings
from storage import feedback, goals, kudos, one_on_ones, people
from storage.models import Person, Workspace


def settings_of(session: Session, person: Person) -> WorkspaceSettings:
    workspace = session.get(Workspace, person.workspace_id)
    return load_settings(workspace.settings if workspace else {})


def feedback_part(session: Session, person: Person, now: datetime) -> FeedbackPart:
    """The page's feedback, from the feedback module's own queries: what the person received this
    quarter where they live, the requests waiting for their answer, and their own open requests
    with who answered (never who declined)."""
    assert person.id is not None
    received = feedback.received_since(session, person.id, quarter_began_at(now, person.timezone), now=now)
    latest = tuple(
        ReceivedFeedback(item["giver"], item["day"], opening_words(item["went_well"], item["could_be_better"]))
        for item in received[:LATEST_FEEDBACK]
    )
    waiting = tuple(
        WaitingAsk(item["ref"], item["requester"], item["topic"], item["closes_on"])
        for item in feedback.asks_waiting_for(session, person.id, now=now)
    )
    requests = tuple(
        OpenRequest(item["topic"], item["created_on"], tuple(item["answered"]))
        for item in feedback.open_requests_of(session, person.id, now=now)
    )
    return FeedbackPart(quarter_name(now, person.timezone), len(received), latest, waiting, requests)


def home_facts(session: Session, person: Person, now: datetime) -> HomeFacts:
    assert person.id is not None
    return HomeFacts(
        recent_kudos=tuple(kudos.recent_received(session, person.id)),
        goals=tuple(goals.home_goals(session, person, goals.now_local(person, now))),
        feedback=feedback_part(session, person, now),
        next_one_on_one=one_on_ones.next_for(session, person, settings_of(session, person), now),
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

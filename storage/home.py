"""A person's home page (Slack's Home tab, later Teams' personal tab), built from the tables the same
way for every platform: what Cadence does for them, their goals, the kudos they received lately."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from conversations.home import home_page
from conversations.messages import Outbound
from storage import goals, kudos, people
from storage.models import Person


def home_view(session: Session, person: Person, now: datetime) -> Outbound:
    assert person.id is not None
    return home_page(
        people.actor_for(session, person),
        kudos.recent_received(session, person.id),
        goals.home_goals(session, person, goals.now_local(person, now)),
    )

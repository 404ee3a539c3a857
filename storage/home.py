"""A person's home page (Slack's Home tab, the ``home`` command everywhere), built from the tables the
same way for every platform: what Cadence does for them, their goals, the kudos they received lately,
and their feedback: received this quarter, waiting for their answer, and their own open requests.

The feedback and the next 1:1 are read by their own modules' queries (``storage/feedback.py``,
``storage/one_on_ones.py``), which apply the permission matrix; this module only puts them together.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from conversations.flow import State
from conversations.goal_progress import quarter_began_at, quarter_name, quarter_of
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
from conversations.workspace_settings import WorkspaceSettings
from storage import feedback, goals, kudos, one_on_ones, people, workspaces
from storage.models import Feedback, Goal, GoalKind, GoalState, Kudos, KudosSkill, Person


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


def growth_part(session: Session, person: Person, settings: WorkspaceSettings, now: datetime) -> dict[str, Any]:
    """ "My growth": the skills the person was recognised for in kudos and feedback over this quarter
    and the one before (where they live), and their open growth goals with their progress."""
    assert person.id is not None
    today = now.astimezone(ZoneInfo(person.timezone)).date()
    _, this_quarter, _ = quarter_of(today)
    since, first_day, _ = quarter_of(this_quarter - timedelta(days=1))
    labels = {skill.slug: skill.shown_label for skill in settings.skills}
    in_kudos = session.exec(
        select(KudosSkill.skill, sa.func.count())
        .join(Kudos, col(Kudos.id) == KudosSkill.kudos_id)
        .where(Kudos.recipient_id == person.id, Kudos.giver_local_date >= first_day)
        .group_by(KudosSkill.skill)
    ).all()
    in_feedback = session.exec(
        select(Feedback.skill, sa.func.count())
        .where(Feedback.recipient_id == person.id, col(Feedback.skill).is_not(None))
        .where(Feedback.given_at >= datetime.combine(first_day, time(), ZoneInfo(person.timezone)))
        .group_by(Feedback.skill)
    ).all()
    counts: dict[str, dict[str, int]] = {}
    for source, rows in (("kudos", in_kudos), ("feedback", in_feedback)):
        for skill, count in rows:
            counts.setdefault(skill, {"kudos": 0, "feedback": 0})[source] = count
    skills = sorted(
        ({"label": labels.get(skill, skill), **seen} for skill, seen in counts.items()),
        key=lambda item: (-(item["kudos"] + item["feedback"]), item["label"]),
    )
    growing = session.exec(
        select(Goal)
        .where(Goal.owner_id == person.id, Goal.kind == GoalKind.GROWTH, Goal.state == GoalState.OPEN)
        .order_by(Goal.number)
    ).all()
    shown_goals = [
        {**view, "skill": labels.get(goal.skill or "", goal.skill or "")}
        for view, goal in zip(goals.views(session, growing, today), growing, strict=True)
    ]
    return {"since": since, "skills": skills, "goals": shown_goals}


def home_facts(session: Session, person: Person, now: datetime) -> HomeFacts:
    assert person.id is not None
    settings = workspaces.settings_of(session, person.workspace_id)
    return HomeFacts(
        recent_kudos=tuple(kudos.recent_received(session, person.id)),
        goals=tuple(goals.home_goals(session, person, goals.now_local(person, now))),
        feedback=feedback_part(session, person, now),
        next_one_on_one=one_on_ones.next_for(session, person, settings, now),
        growth=growth_part(session, person, settings, now),
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

"""The fairness view's figures from the database: who is in which group, and what each person did
and received over a period, in a fixed number of statements whatever the organisation's size.

People counted are the organisation's active people who aren't bots. A period's days are read in
the time zone of whoever asks (an admin), and its weeks are the ISO weeks whose Thursday falls in it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from conversations.checkin import Status
from conversations.fairness import Group, GroupKind, Tally, fairness_view
from conversations.fairness_view import AskedPeriod, PeriodProblem, asked_period, chart_data
from conversations.flow import State
from conversations.goal_progress import current_period
from conversations.messages import Actor, Inbound
from conversations.schedule import day_and_month, local_instant, period_weeks
from conversations.workspace_settings import load_settings
from storage import privacy
from storage.models import (
    CheckinCycle,
    CheckinResponse,
    Feedback,
    Goal,
    GoalLevel,
    GoalUpdate,
    Kudos,
    Person,
    Team,
    Workspace,
)


def members_of(session: Session, workspace_id: int) -> list[Person]:
    return list(
        session.exec(
            select(Person)
            .where(Person.workspace_id == workspace_id, Person.active, col(Person.is_bot).is_(False))
            .order_by(Person.id)
        )
    )


def groups_of(session: Session, workspace: Workspace, members: Sequence[Person]) -> list[Group]:
    """Everyone, then each team, then each manager's direct reports (by name); empty groups left out."""
    assert workspace.id is not None
    teams = {team.id: team.name for team in session.exec(select(Team).where(Team.workspace_id == workspace.id))}
    names = {person.id: person.display_name for person in members}
    by_team: dict[int, set[int]] = defaultdict(set)
    by_manager: dict[int, set[int]] = defaultdict(set)
    for person in members:
        assert person.id is not None
        if person.team_id in teams:
            by_team[person.team_id].add(person.id)  # type: ignore[index]
        if person.manager_id in names:
            by_manager[person.manager_id].add(person.id)  # type: ignore[index]
    groups = [Group(GroupKind.ORGANISATION, 0, workspace.name, frozenset(names))]  # type: ignore[arg-type]
    groups += sorted(
        (Group(GroupKind.TEAM, team_id, teams[team_id], frozenset(ids)) for team_id, ids in by_team.items()),
        key=lambda group: (group.name.lower(), group.ident),
    )
    groups += sorted(
        (Group(GroupKind.MANAGER, manager, names[manager], frozenset(ids)) for manager, ids in by_manager.items()),
        key=lambda group: (group.name.lower(), group.ident),
    )
    return groups


def _counts(session: Session, statement: Any) -> dict[int, int]:
    return {person_id: count for person_id, count in session.exec(statement) if person_id is not None}


def tallies(
    session: Session,
    workspace_id: int,
    people: Iterable[int],
    period: AskedPeriod,
    weeks: Sequence[str],
    zone: ZoneInfo,
) -> dict[int, Tally]:
    """Each person's raw counts over ``period`` (up to its ``through`` day), seven statements in all."""
    people = list(people)
    starts = local_instant(period.first, time(0), zone)
    ends = local_instant(period.through + timedelta(days=1), time(0), zone)
    count = sa.func.count()
    kudos = _counts(
        session,
        select(Kudos.recipient_id, count)
        .where(
            Kudos.workspace_id == workspace_id,
            col(Kudos.giver_local_date) >= period.first,
            col(Kudos.giver_local_date) <= period.through,
        )
        .group_by(Kudos.recipient_id),
    )
    checkins: dict[int, dict[Status, int]] = defaultdict(dict)
    for person_id, status, number in session.exec(
        select(CheckinResponse.person_id, CheckinResponse.status, count)
        .join(CheckinCycle, col(CheckinCycle.id) == CheckinResponse.cycle_id)
        .where(CheckinCycle.workspace_id == workspace_id, col(CheckinCycle.week).in_(list(weeks)))
        .group_by(CheckinResponse.person_id, CheckinResponse.status)
    ):
        checkins[person_id][status] = number
    of_the_period = (
        Goal.workspace_id == workspace_id,
        Goal.level == GoalLevel.PERSON,
        col(Goal.starts_on) <= period.last,
        col(Goal.ends_on) >= period.first,
    )
    goals = _counts(session, select(Goal.owner_id, count).where(*of_the_period).group_by(Goal.owner_id))
    updates = _counts(
        session,
        select(Goal.owner_id, count)
        .join(GoalUpdate, col(GoalUpdate.goal_id) == Goal.id)
        .where(*of_the_period, col(GoalUpdate.created_at) >= starts, col(GoalUpdate.created_at) < ends)
        .group_by(Goal.owner_id),
    )
    feedback_window = (
        Feedback.workspace_id == workspace_id,
        col(Feedback.given_at) >= starts,
        col(Feedback.given_at) < ends,
    )
    given = _counts(session, select(Feedback.giver_id, count).where(*feedback_window).group_by(Feedback.giver_id))
    received = _counts(
        session, select(Feedback.recipient_id, count).where(*feedback_window).group_by(Feedback.recipient_id)
    )
    found = {}
    for person_id in people:
        statuses = checkins.get(person_id, {})
        found[person_id] = Tally(
            kudos_received=kudos.get(person_id, 0),
            checkins_submitted=statuses.get(Status.SUBMITTED, 0),
            checkins_expected=sum(number for status, number in statuses.items() if status is not Status.AWAY),
            goals=goals.get(person_id, 0),
            goal_updates=updates.get(person_id, 0),
            feedback_given=given.get(person_id, 0),
            feedback_received=received.get(person_id, 0),
        )
    return found


def fairness_report(session: Session, workspace: Workspace, period: AskedPeriod, zone: ZoneInfo) -> dict[str, Any]:
    """The fairness view of ``workspace`` over ``period``: the figures of every group that may be
    shown under the anonymity threshold, the others named as hidden, and the chart's data."""
    assert workspace.id is not None
    threshold = load_settings(workspace.settings).anonymity_threshold
    members = members_of(session, workspace.id)
    weeks = period_weeks(period.first, period.last, period.through)
    counted = tallies(session, workspace.id, (person.id for person in members), period, weeks, zone)  # type: ignore[misc]
    view = fairness_view(groups_of(session, workspace, members), counted, threshold, len(weeks))
    return {
        "organisation": workspace.name,
        "period": period.name,
        "first": period.first.isoformat(),
        "last": period.last.isoformat(),
        "through": period.through.isoformat(),
        "span": f"{day_and_month(period.first)} – {day_and_month(period.through)}"
        + (" so far" if period.through < period.last else ""),
        "weeks": len(weeks),
        "threshold": threshold,
        "has_data": any(tally.has_data() for tally in counted.values()),
        **view,
        "chart": chart_data(period.name, threshold, view),
    }


def prepare_fairness(session: Session, actor: Actor, inbound: Inbound, state: State | None, now: datetime) -> State:
    """The fairness flow's context: for an admin, the report of the period asked for (in their
    time zone); for anyone else, only who the admins are."""
    viewer = session.get(Person, actor.person_id)
    workspace = session.get(Workspace, actor.workspace_id)
    assert viewer is not None and workspace is not None
    if not privacy.can_see_fairness(viewer):
        admins = [person.display_name for person in privacy.admins_of(session, actor.workspace_id)]
        return State(flow="fairness", step="show", data={"allowed": False, "admins": admins})
    zone = ZoneInfo(viewer.timezone)
    today = now.astimezone(zone).date()
    period = asked_period(inbound.text, today)
    if isinstance(period, PeriodProblem):
        data = {"allowed": True, "problem": period.value, "example": current_period(today)}
        return State(flow="fairness", step="show", data=data)
    report = fairness_report(session, workspace, period, zone)
    return State(flow="fairness", step="show", data={"allowed": True, "report": report})


CONTEXTS = {"fairness": prepare_fairness}

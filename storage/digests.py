"""Building a manager's weekly digest, a team's channel summary and the company roll-up.

A digest is read from a fixed handful of SQL statements, whatever the size of the team or the
length of its history (the direct reports from one query, the org below them from one recursive
query; the reports' weeks of check-ins with the rest of the org's this week, the team's goals,
their history and kudos from one query each), then assembled in Python with the rules in
``conversations/digest.py``.
"""

from __future__ import annotations

import functools
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Session, col, select

from conversations.checkin import HARD_MOOD
from conversations.checkin_answers import UPWARD, display, is_highlight, is_upward
from conversations.digest import (
    BASELINE_WEEKS,
    CHART_WEEKS,
    UpwardAnswer,
    blocker_age,
    group_mood,
    mood_change,
    response_rate,
    upward_section,
    weeks_back,
)
from conversations.fairness import uneven_recognition
from conversations.goal_progress import health, key_result_progress, weighted_progress
from conversations.schedule import week_days, week_ends_at, week_label
from conversations.workspace_settings import WorkspaceSettings, load_settings
from storage import goals as goal_store
from storage.models import (
    CheckinCycle,
    CheckinResponse,
    CheckinTemplate,
    CompanyValue,
    Goal,
    GoalLevel,
    GoalState,
    GoalUpdate,
    Kudos,
    KudosValue,
    Person,
    ResponseStatus,
    Team,
    Workspace,
)
from storage.privacy import can_read_upward_answers

HISTORY_WEEKS = CHART_WEEKS + BASELINE_WEEKS
MAX_DEPTH = 30


def first_name(person: Person) -> str:
    """What a sentence calls someone: "Sam" for Sam Okafor."""
    return (person.display_name.split() or [person.email or "someone"])[0]


def ref(person: Person | Member) -> dict[str, Any]:
    return {"id": person.id, "display_name": person.display_name}


@dataclass(frozen=True, slots=True)
class Member:
    """Someone in the org below a manager, with only what the digest says of everyone: the digest of a
    company's head covers all of it (100,000 people), and a whole ``Person`` of each, with weeks of
    history, held a gigabyte."""

    id: int
    manager_id: int  # everyone below a manager has one
    display_name: str
    depth: int  # 1 for a direct report


def direct_reports(session: Session, manager_id: int) -> list[Person]:
    """The manager's direct reports (active people, not bots), by name: the digest says the most of them."""
    return list(
        session.exec(
            select(Person)
            .where(Person.manager_id == manager_id, col(Person.active), col(Person.is_bot).is_(False))
            .order_by(Person.display_name)
        )
    )


def org_below(session: Session, manager_id: int) -> list[Member]:
    """Everyone below a manager (active people, not bots), with their depth, by name.

    The recursive query carries the columns it returns, so nothing joins its result back to
    ``people``: PostgreSQL can't tell how few rows a recursive query returns, and guessed thousands,
    so it read the whole table to join them (13 ms a digest at 10,000 people, ten times that at
    100,000, for a manager of ten)."""
    people = Person.__table__

    def carried(table: sa.FromClause) -> tuple[sa.ColumnElement[Any], ...]:
        return table.c.id, table.c.manager_id, table.c.display_name

    org = (
        select(*carried(people), sa.literal(1).label("depth"))
        .where(people.c.manager_id == manager_id, people.c.active, people.c.is_bot.is_(False))
        .cte("org", recursive=True)
    )
    below = people.alias("below")
    org = org.union_all(
        select(*carried(below), org.c.depth + 1).where(
            below.c.manager_id == org.c.id, below.c.active, below.c.is_bot.is_(False), org.c.depth < MAX_DEPTH
        )
    )
    rows = session.exec(select(*org.c).order_by(org.c.display_name))
    return [Member(*row) for row in rows]


def among(session: Session, column: Any, ids: Any, name: str = "ids") -> sa.ColumnElement[bool]:
    """``column IN ids``; on PostgreSQL a list of ids is one array parameter (``= ANY``, named ``name``), since
    a statement takes at most 65,535 parameters and the digest of a company's head lists all of it."""
    if isinstance(ids, list | tuple) and session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(name, list(ids), type_=postgresql.ARRAY(sa.Integer)))
    return column.in_(ids)


def response_history(
    session: Session,
    workspace_id: int,
    person_ids_query,
    weeks: Sequence[str],
    *,
    all_weeks_of: Sequence[int] | None = None,
) -> dict[int, dict[str, Any]]:
    """For each person: week -> (status, mood, blockers), over ``weeks``; with ``all_weeks_of``, only those
    people over every week and the others over the last one alone (what a digest says of the org below
    a manager's reports: weeks of everyone's held 756 MB for the head of 100,000 people, against 90)."""
    person = col(CheckinResponse.person_id)
    wanted = sa.and_(col(CheckinCycle.week).in_(list(weeks)), among(session, person, person_ids_query))
    if all_weeks_of is not None:
        wanted = sa.and_(wanted, sa.or_(CheckinCycle.week == weeks[-1], among(session, person, all_weeks_of, "all")))
    rows = session.exec(
        select(
            CheckinResponse.person_id,
            CheckinCycle.week,
            CheckinResponse.status,
            CheckinResponse.mood,
            CheckinResponse.blockers,
            CheckinResponse.skip_reason,
        )
        .join(CheckinCycle, col(CheckinCycle.id) == CheckinResponse.cycle_id)
        .where(CheckinCycle.workspace_id == workspace_id, wanted)
    ).all()
    history: dict[int, dict[str, Any]] = defaultdict(dict)
    for person_id, week, status, mood, blockers, skip_reason in rows:
        submitted = status is ResponseStatus.SUBMITTED  # an unfinished or skipped check-in says nothing
        history[person_id][week] = {
            "status": status,
            "mood": mood if submitted else None,
            "blockers": blockers if submitted else None,
            "skip_reason": skip_reason if status is ResponseStatus.SKIPPED else None,
        }
    return history


WeekAnswers = dict[int, tuple[dict[str, Any], list[dict[str, Any]]]]
"""Each person's submitted answers of one week, with the questions they were asked."""


def week_answers(session: Session, workspace_id: int, person_ids: Sequence[int], week: str) -> WeekAnswers:
    """What each person answered in their submitted check-in of ``week``, in one statement."""
    rows = session.exec(
        select(CheckinResponse.person_id, CheckinResponse.answers, CheckinTemplate.questions)
        .join(CheckinCycle, col(CheckinCycle.id) == CheckinResponse.cycle_id)
        .join(CheckinTemplate, col(CheckinTemplate.id) == CheckinResponse.template_id)
        .where(CheckinCycle.workspace_id == workspace_id, CheckinCycle.week == week)
        .where(col(CheckinResponse.person_id).in_(list(person_ids)), CheckinResponse.status == ResponseStatus.SUBMITTED)
    ).all()
    return {person_id: (answers, questions) for person_id, answers, questions in rows}


def highlights(
    session: Session, workspace_id: int, person_ids: Sequence[int], week: str
) -> dict[int, list[dict[str, str]]]:
    """What each person said under the highlight questions (what got done) this week."""
    return highlights_in(week_answers(session, workspace_id, person_ids, week))


def highlights_in(answered: WeekAnswers) -> dict[int, list[dict[str, str]]]:
    """The highlights among a week's answers; a question for the manager never is one, whatever its flags."""
    return {
        person_id: [
            {"question": q["text"], "answer": display(q, answers[q["id"]])}
            for q in questions
            if is_highlight(q) and answers.get(q["id"]) not in (None, "")
        ]
        for person_id, (answers, questions) in answered.items()
    }


def upward_answers_in(answered: WeekAnswers, people: Sequence[dict[str, Any]]) -> list[UpwardAnswer]:
    """The answers ``people`` (person refs, in the order to show them) gave to the questions for their manager."""
    found = []
    for person in people:
        answers, questions = answered.get(person["id"], ({}, []))
        found.extend(
            UpwardAnswer(person, q["text"], display(q, answers[q["id"]]))
            for q in questions
            if is_upward(q) and str(answers.get(q["id"]) or "").strip()
        )
    return found


def upward_digest(
    session: Session,
    workspace: Workspace,
    settings: WorkspaceSettings,
    direct: Sequence[Person],
    answers: Sequence[UpwardAnswer],
) -> dict[str, Any] | None:
    """The digest's "What your team asks of you" (``settings`` the manager's), or None when nobody in
    the team is asked anything of the kind. Anonymous when the manager's settings or those of any of
    their reports' teams say so: a team half named and half not would name the rest by elimination."""
    team_ids = {person.team_id for person in direct if person.team_id is not None}
    names = dict(session.exec(select(Team.id, Team.name).where(col(Team.id).in_(team_ids))).all()) if team_ids else {}
    everyone = load_settings(workspace.settings)
    applying = [settings, *(everyone.for_team(name) for name in {names.get(person.team_id) for person in direct})]
    if not answers and not any(q.kind == UPWARD for each in applying for q in each.checkins.questions):
        return None
    anonymous = any(each.checkins.upward_anonymous for each in applying)
    return upward_section(answers, anonymous=anonymous, threshold=settings.anonymity_threshold)


def statuses(
    people: Sequence[Person] | Sequence[Member], history: dict[int, dict[str, Any]], week: str
) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {"answered": [], "away": [], "missing": [], "skipped": []}
    for person in people:
        entry = history.get(person.id, {}).get(week) or {}
        status = entry.get("status")
        if status is ResponseStatus.SUBMITTED:
            groups["answered"].append(ref(person))
        elif status is ResponseStatus.AWAY:
            groups["away"].append(ref(person))
        elif status is ResponseStatus.SKIPPED:
            groups["skipped"].append({**ref(person), "skip_reason": entry.get("skip_reason") or ""})
        else:
            groups["missing"].append(ref(person))
    return groups


def team_goals(
    session: Session,
    owner_ids: Sequence[int],
    team_ids: Sequence[int],
    now: datetime,
    today: date,
    settings: WorkspaceSettings,
    moments: Sequence[datetime],
) -> dict[str, Any]:
    """The team's open goals with progress and status, key results at risk, goals gone quiet, and the
    average progress of those goals at each of ``moments`` (the ends of the chart's weeks). ``today``
    is the reader's local date, against which progress is judged.

    A goal's progress counts its child goals (``storage.goals.recompute``), wherever they sit in the
    org, so the goals below the team's are read too: in the same one statement, a recursive query
    down the goal tree, so the count of statements stays the same however deep the tree."""
    rows = session.exec(goal_tree_statement(), params={"owner_ids": list(owner_ids), "team_ids": list(team_ids)}).all()
    tree_goals = {goal.id: goal for goal, _ in rows}
    shown_ids = {goal.id for goal, depth in rows if depth == 0}
    goals = [goal for goal in tree_goals.values() if goal.id in shown_ids]
    goal_ids = [goal.id for goal in goals]
    key_results = goal_store.key_results_by_goal(session, list(tree_goals))
    first_update, last_update = {}, {}
    for goal_id, first, last in session.exec(
        select(GoalUpdate.goal_id, sa.func.min(GoalUpdate.created_at), sa.func.max(GoalUpdate.created_at))
        .where(col(GoalUpdate.goal_id).in_(list(tree_goals)))
        .group_by(GoalUpdate.goal_id)
    ).all():
        first_update[goal_id] = first if first.tzinfo else first.replace(tzinfo=UTC)
        last_update[goal_id] = last
    updates = session.exec(
        select(GoalUpdate.key_result_id, GoalUpdate.created_at, GoalUpdate.old_value)
        .where(
            col(GoalUpdate.goal_id).in_(list(tree_goals)),
            col(GoalUpdate.key_result_id).is_not(None),
            GoalUpdate.created_at >= min(moments),
        )
        .order_by(GoalUpdate.created_at)
    ).all()
    stale_after = timedelta(weeks=settings.digest.stale_goal_weeks)
    views, at_risk, stale = [], [], []
    for goal in goals:
        krs = key_results[goal.id]
        started = goal.progress > 0 or goal.id in last_update
        view = goal_store.goal_view(goal, krs, today, started=started)
        latest = last_update.get(goal.id) or goal.created_at
        latest = latest if latest.tzinfo else latest.replace(tzinfo=UTC)
        view["quiet_days"] = (now - latest).days
        views.append(view)
        if now - latest >= stale_after:
            stale.append(view)
        for kr in krs if started else ():  # a goal not started yet reads "not started", not "off track"
            kr_health = health(kr.progress, goal.starts_on, goal.ends_on, today, kr.confidence)
            if kr_health != "on_track":
                at_risk.append({**goal_store.key_result_view(kr), "goal_ref": view["ref"], "health": kr_health})
    return {
        "goals": views,
        "key_results_at_risk": at_risk,
        "stale": stale,
        "progress_by_week": ProgressReplay(tree_goals, key_results, updates, moments, first_update).averages(goal_ids),
    }


@functools.cache
def goal_tree_statement() -> sa.Select:
    """The team's open goals (depth 0: the manager's and their reports' own, and the team's) and,
    below them, every goal that counts towards their progress (not dropped), with its depth.
    Built once: putting a recursive query together costs more than running it."""
    shown = (
        select(Goal.id, sa.literal(0).label("depth"))
        .where(Goal.state == GoalState.OPEN)
        .where(
            sa.or_(
                col(Goal.owner_id).in_(sa.bindparam("owner_ids", expanding=True)),
                sa.and_(Goal.level == GoalLevel.TEAM, col(Goal.team_id).in_(sa.bindparam("team_ids", expanding=True))),
            )
        )
        .cte("goal_tree", recursive=True)
    )
    below = sa.orm.aliased(Goal)
    tree = shown.union_all(
        select(below.id, shown.c.depth + 1).where(
            below.parent_id == shown.c.id, col(below.state) != GoalState.DROPPED, shown.c.depth < MAX_DEPTH
        )
    )
    return select(Goal, tree.c.depth).join(tree, tree.c.id == Goal.id).order_by(Goal.number)


class ProgressReplay:
    """Goal progress as it was at earlier moments, replayed from the key results' update history
    by the rule ``storage.goals.recompute`` applies: the weighted mean of the goal's key results
    (their weight) and its child goals that weren't dropped and had started (weight 1 each), all
    the way down. A goal had started at a moment when it was past zero or had been updated by then.

    A key result's value at a moment is the value its first later update started from, or its
    current value when nothing changed since; so at the present moment the replay gives exactly
    the progress the goals show today. Each goal's whole series is worked out once per digest."""

    def __init__(
        self,
        goals: dict[int, Goal],
        key_results: dict[int, list],
        updates: Sequence,
        moments: Sequence[datetime],
        first_update: dict[int, datetime],
    ) -> None:
        self.goals = goals
        self.key_results = key_results
        self.moments = list(moments)
        self.first_update = first_update
        self.children: dict[int, list[int]] = defaultdict(list)
        for goal in goals.values():
            if goal.parent_id in goals and goal.state is not GoalState.DROPPED:
                self.children[goal.parent_id].append(goal.id)
        self.history: dict[int, list[tuple[datetime, float | None]]] = defaultdict(list)
        for kr_id, at, old in updates:  # oldest first
            self.history[kr_id].append((at if at.tzinfo else at.replace(tzinfo=UTC), old))
        self.series: dict[int, list[float]] = {}

    def averages(self, goal_ids: Sequence[int]) -> list[float | None]:
        """The mean progress of those of ``goal_ids`` that existed and had started, at each moment, in
        percent to one decimal: None while none had (a gap in the chart), and without goals. A goal not
        started yet counts for nothing here either, as in its parent's progress."""
        if not goal_ids:
            return [None] * len(self.moments)
        averages: list[float | None] = []
        for at in range(len(self.moments)):
            started = [self.goal_series(goal_id, frozenset())[at] for goal_id in goal_ids if self.started(goal_id, at)]
            averages.append(round(sum(started) / len(started), 1) if started else None)
        return averages

    def started(self, goal_id: int, at: int) -> bool:
        """The goal existed at the moment and had started by then."""
        created = self.goals[goal_id].created_at
        created = created if created.tzinfo else created.replace(tzinfo=UTC)
        if created > self.moments[at]:
            return False  # a goal set up since counts for nothing in the weeks before it
        first = self.first_update.get(goal_id)
        return self.goal_series(goal_id, frozenset())[at] > 0 or (first is not None and first <= self.moments[at])

    def goal_series(self, goal_id: int, path: frozenset[int]) -> list[float]:
        if goal_id in self.series:
            return self.series[goal_id]
        goal = self.goals[goal_id]
        path = path | {goal_id}  # a goal under itself (goals as code refuses that) counts once
        key_results = [(self.key_result_series(kr), kr.weight) for kr in self.key_results.get(goal_id, [])]
        children = [(child, self.goal_series(child, path)) for child in self.children[goal_id] if child not in path]
        if not key_results and not children:
            series = [goal.progress] * len(self.moments)
        else:
            series = []
            for at in range(len(self.moments)):
                weighed = [(values[at], weight) for values, weight in key_results]
                weighed += [(values[at], 1.0) for child, values in children if self.started(child, at)]
                series.append(weighted_progress(weighed))
        self.series[goal_id] = series
        return series

    def key_result_series(self, kr) -> list[float]:
        history = self.history.get(kr.id, [])
        changed_at = [at for at, _ in history]
        progress: dict[float, float] = {}
        series = []
        for moment in self.moments:
            later = bisect_right(changed_at, moment)  # the first update after the moment
            value = history[later][1] if later < len(history) and history[later][1] is not None else kr.current_value
            if value not in progress:
                progress[value] = key_result_progress(kr.metric.value, kr.start_value, kr.target_value, value)
            series.append(progress[value])
        return series


def kudos_figures(
    session: Session,
    person_ids_query,
    week: str,
    now: datetime,
    gap_days: int,
    people: Sequence[Person],
    threshold: int | None = None,
) -> dict[str, Any]:
    """The week's kudos, who received none in ``gap_days``, and (given the anonymity ``threshold``)
    whether those days' kudos were spread so unevenly over ``people`` that a word to the manager helps."""
    first, last = week_days(week)  # kudos count in the week of the day they were given, where given
    received = sa.and_(
        col(Kudos.recipient_id).in_(person_ids_query), Kudos.giver_local_date >= first, Kudos.giver_local_date <= last
    )
    count = session.exec(select(sa.func.count()).select_from(Kudos).where(received)).one()
    top_values = session.exec(
        select(CompanyValue.label, sa.func.count())
        .join(KudosValue, col(KudosValue.value_id) == CompanyValue.id)
        .join(Kudos, col(Kudos.id) == KudosValue.kudos_id)
        .where(received)
        .group_by(CompanyValue.label)
        .order_by(sa.func.count().desc(), CompanyValue.label)
        .limit(3)
    ).all()
    lately = dict(
        session.exec(
            select(Kudos.recipient_id, sa.func.count())
            .where(col(Kudos.recipient_id).in_(person_ids_query), Kudos.given_at >= now - timedelta(days=gap_days))
            .group_by(Kudos.recipient_id)
        ).all()
    )
    counts = [lately.get(person.id, 0) for person in people]
    return {
        "count": count,
        "top_values": [{"label": label, "count": total} for label, total in top_values],
        "none_lately": [ref(person) for person in people if person.id not in lately],
        "days": gap_days,
        "uneven": threshold is not None and uneven_recognition(counts, threshold),
    }


@dataclass(frozen=True)
class TeamWeek:
    """What a manager's team has on record for one week: enough to say why there is nothing to
    digest, instead of a digest listing everyone as missing from a week nobody was asked about."""

    reports: int  # direct reports today
    checked_in: int  # of them, those with a check-in that week (asked, answered, away or skipped)
    first_joined: datetime | None  # when the earliest of them was added to Cadence
    latest_week: str | None = None  # the latest week any of them had a check-in, up to ``latest`` in ``team_week``


def team_week(session: Session, manager: Person, week: str, latest: str | None = None) -> TeamWeek:
    assert manager.id is not None
    direct = direct_reports(session, manager.id)
    checked_in = session.exec(
        select(sa.func.count(sa.distinct(CheckinResponse.person_id)))
        .join(CheckinCycle, col(CheckinCycle.id) == CheckinResponse.cycle_id)
        .where(CheckinCycle.workspace_id == manager.workspace_id, CheckinCycle.week == week)
        .where(col(CheckinResponse.person_id).in_([person.id for person in direct]))
    ).one()
    joined = [
        person.created_at if person.created_at.tzinfo else person.created_at.replace(tzinfo=UTC) for person in direct
    ]
    latest_week = session.exec(
        select(sa.func.max(CheckinCycle.week))
        .join(CheckinResponse, col(CheckinResponse.cycle_id) == CheckinCycle.id)
        .where(CheckinCycle.workspace_id == manager.workspace_id, CheckinCycle.week <= (latest or week))
        .where(col(CheckinResponse.person_id).in_([person.id for person in direct]))
    ).one()
    return TeamWeek(len(direct), checked_in, min(joined, default=None), latest_week)


def build_digest(session: Session, manager: Person, week: str, now: datetime) -> dict[str, Any] | None:
    """The manager's digest for ``week``, or None when they have no one reporting to them."""
    workspace = session.get(Workspace, manager.workspace_id)
    assert workspace is not None and manager.id is not None
    team = session.get(Team, manager.team_id) if manager.team_id else None
    settings = load_settings(workspace.settings).for_team(team.name if team else None)
    direct = direct_reports(session, manager.id)
    if not direct:
        return None
    org = org_below(session, manager.id)
    weeks = weeks_back(week, HISTORY_WEEKS)
    direct_ids = [person.id for person in direct]
    org_ids = [member.id for member in org]
    history = response_history(session, workspace.id, org_ids, weeks, all_weeks_of=direct_ids)
    groups = statuses(direct, history, week)
    answered = week_answers(session, workspace.id, [p["id"] for p in groups["answered"]], week)
    said = highlights_in(answered)
    threshold = settings.anonymity_threshold
    people_moods, this_week_moods, new_blockers, open_blockers = [], [], [], []
    for person in direct:
        moods = {w: (entry or {}).get("mood") for w, entry in history.get(person.id, {}).items()}
        change = mood_change(moods, week)
        if change is not None:
            this_week_moods.append(change["mood"])
            dropped = change["change"] is not None and change["change"] <= -settings.digest.mood_drop
            blocked = bool((history.get(person.id, {}).get(week) or {}).get("blockers"))
            hard_week = change["mood"] <= HARD_MOOD and blocked
            people_moods.append({"person": ref(person), **change, "dropped": dropped, "hard_week": hard_week})
        blockers = {w: (entry or {}).get("blockers") for w, entry in history.get(person.id, {}).items()}
        age = blocker_age(blockers, week)
        if age:
            item = {"person": ref(person), "text": blockers[week], "weeks": age}
            (new_blockers if age == 1 else open_blockers).append(item)
    expected = len(direct) - len(groups["away"])
    team_ids = [team.id] if team and team.id else []
    today = now.astimezone(ZoneInfo(manager.timezone)).date()
    chart_weeks = weeks[-CHART_WEEKS:]
    week_ends = [min(now, week_ends_at(chart_week, manager.timezone)) for chart_week in chart_weeks]
    goals = team_goals(
        session, [manager.id, *[person.id for person in direct]], team_ids, now, today, settings, week_ends
    )
    by_id = {person.id: person for person in direct}
    upward_writers = [p for p in groups["answered"] if can_read_upward_answers(session, manager, by_id[p["id"]])]
    return {
        "manager": ref(manager),
        "week": week,
        "week_label": week_label(week, today),
        "team": {
            "size": len(direct),
            **groups,
            "rate": response_rate(len(groups["answered"]), expected),
            "mood": {
                "average": group_mood(this_week_moods, threshold),
                "count": len(this_week_moods),
                "threshold": threshold,
            },
            "people": people_moods,
            "blockers_new": new_blockers,
            "blockers_open": open_blockers,
            "highlights": [
                {"person": p, "items": said.get(p["id"], [])} for p in groups["answered"] if said.get(p["id"])
            ],
            **goals,
            "average_progress": goals["progress_by_week"][-1],  # the chart's last point: the same number
            "kudos": kudos_figures(session, direct_ids, week, now, settings.digest.no_kudos_days, direct, threshold),
        },
        "upward": upward_digest(session, workspace, settings, direct, upward_answers_in(answered, upward_writers)),
        "skip_level": skip_level(org, history, week, threshold),
        "chart": {
            "team": team.name if team else f"{first_name(manager)}'s team",
            "weeks": chart_weeks,
            "mood": [weekly_mood(direct, history, chart_week, threshold) for chart_week in chart_weeks],
            "threshold": threshold,
            "goal_progress": goals["progress_by_week"],
        },
    }


def weekly_mood(people: Sequence[Person], history: dict, week: str, threshold: int) -> float | None:
    moods = [entry["mood"] for person in people if (entry := history.get(person.id, {}).get(week)) and entry["mood"]]
    return group_mood(moods, threshold)


def skip_level(org: Sequence[Member], history: dict, week: str, threshold: int) -> list[dict[str, Any]]:
    """For each direct report who manages people: their whole part of the org, in figures only."""
    by_id = {member.id: member for member in org}
    heads = {member.id for member in org if member.depth == 1}
    sections: dict[int, list[Member]] = defaultdict(list)
    for member in org:
        if member.depth < 2:
            continue
        current = member
        while current.manager_id not in heads and current.manager_id in by_id:
            current = by_id[current.manager_id]
        sections[current.manager_id].append(member)
    rows = []
    for head_id, members in sorted(sections.items(), key=lambda item: by_id[item[0]].display_name):
        groups = statuses(members, history, week)
        moods = [entry["mood"] for p in members if (entry := history.get(p.id, {}).get(week)) and entry["mood"]]
        blockers = sum(1 for p in members if (history.get(p.id, {}).get(week) or {}).get("blockers"))
        rows.append(
            {
                "head": ref(by_id[head_id]),
                "size": len(members),
                "answered": len(groups["answered"]),
                "away": len(groups["away"]),
                "rate": response_rate(len(groups["answered"]), len(members) - len(groups["away"])),
                "mood": group_mood(moods, threshold),
                "blockers": blockers,
            }
        )
    return rows


def managers(session: Session, workspace_id: int) -> list[Person]:
    """Everyone with at least one active person reporting to them."""
    report = sa.orm.aliased(Person)
    has_reports = select(report.id).where(report.manager_id == Person.id, report.active).exists()
    return list(
        session.exec(
            select(Person).where(Person.workspace_id == workspace_id, Person.active, has_reports).order_by(Person.id)
        )
    )


def company_rollup(
    session: Session, workspace_id: int, week: str, now: datetime, today: date | None = None
) -> dict[str, Any]:
    """For admins: company goals, participation by team, kudos by value. ``today`` is the reader's
    local date (UTC's when not given), against which the week is named and goals judged."""
    today = today or now.date()
    goals = session.exec(
        select(Goal)
        .where(Goal.workspace_id == workspace_id, Goal.level == GoalLevel.COMPANY, Goal.state == GoalState.OPEN)
        .order_by(Goal.number)
    ).all()
    participation = session.exec(
        select(Team.name, CheckinResponse.status, sa.func.count())
        .join(Person, col(Person.team_id) == Team.id)
        .join(CheckinResponse, col(CheckinResponse.person_id) == Person.id)
        .join(CheckinCycle, col(CheckinCycle.id) == CheckinResponse.cycle_id)
        .where(Team.workspace_id == workspace_id, CheckinCycle.week == week)
        .group_by(Team.name, CheckinResponse.status)
    ).all()
    teams: dict[str, dict[str, int]] = defaultdict(lambda: {"answered": 0, "away": 0, "total": 0})
    for name, status, total in participation:
        teams[name]["total"] += total
        teams[name]["answered"] += total if status is ResponseStatus.SUBMITTED else 0
        teams[name]["away"] += total if status is ResponseStatus.AWAY else 0
    first, last = week_days(week)
    by_value = session.exec(
        select(CompanyValue.label, sa.func.count())
        .join(KudosValue, col(KudosValue.value_id) == CompanyValue.id)
        .join(Kudos, col(Kudos.id) == KudosValue.kudos_id)
        .where(Kudos.workspace_id == workspace_id, Kudos.giver_local_date >= first, Kudos.giver_local_date <= last)
        .group_by(CompanyValue.label)
        .order_by(sa.func.count().desc(), CompanyValue.label)
    ).all()
    return {
        "week": week,
        "week_label": week_label(week, today),
        "goals": goal_store.views(session, goals, today),
        "teams": [
            {"name": name, **figures, "rate": response_rate(figures["answered"], figures["total"] - figures["away"])}
            for name, figures in sorted(teams.items())
        ],
        "kudos_by_value": [{"label": label, "count": total} for label, total in by_value],
    }


def team_summary(
    session: Session, team: Team, week: str, now: datetime, settings: WorkspaceSettings, today: date | None = None
) -> dict[str, Any]:
    """What a team's channel sees: response rate, highlights, kudos. Never mood or blockers.
    ``today`` is the team's local date (UTC's when not given), against which the week is named."""
    members = list(
        session.exec(
            select(Person)
            .where(Person.team_id == team.id, Person.active, col(Person.is_bot).is_(False))
            .order_by(Person.display_name)
        )
    )
    ids = [person.id for person in members]
    history = response_history(session, team.workspace_id, ids, [week])
    groups = statuses(members, history, week)
    said = highlights(session, team.workspace_id, [p["id"] for p in groups["answered"]], week)
    return {
        "team": team.name,
        "week": week,
        "week_label": week_label(week, today or now.date()),
        "size": len(members),
        "answered": len(groups["answered"]),
        "rate": response_rate(len(groups["answered"]), len(members) - len(groups["away"])),
        "highlights": [{"person": p, "items": said[p["id"]]} for p in groups["answered"] if said.get(p["id"])],
        "kudos": kudos_figures(session, ids, week, now, settings.digest.no_kudos_days, []),
    }

"""Goals and key results: updates with their history, and progress rolled up the goal tree."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from conversations.flow import State
from conversations.goal_progress import (
    NOT_STARTED,
    current_period,
    health,
    key_result_progress,
    progress_bar,
    weighted_progress,
)
from conversations.goals import GoalClosed, GoalCreated, GoalReopened, GoalStatusSet, KeyResultUpdated, parse_ref
from conversations.messages import Actor, Inbound
from conversations.workspace_settings import load_settings
from storage import audit, locks, workspaces
from storage.models import (
    AuditAction,
    Goal,
    GoalHealth,
    GoalKind,
    GoalLevel,
    GoalState,
    GoalUpdate,
    KeyResult,
    MetricKind,
    Person,
    Role,
    Workspace,
)
from storage.privacy import can_edit_goal, can_see_goal

AUTO = "auto"
"""No override: the status computed from progress and time, as ``/goal status G-12 auto`` names it."""


def recompute(session: Session, goal_id: int | None, now: datetime) -> None:
    """Recompute a goal's progress from its key results and child goals, then its parents', up to the top."""
    seen: set[int] = set()
    while goal_id is not None and goal_id not in seen:
        seen.add(goal_id)
        goal = session.get(Goal, goal_id)
        if goal is None:
            return
        key_results = session.exec(select(KeyResult).where(KeyResult.goal_id == goal_id)).all()
        children = session.exec(
            select(Goal).where(Goal.parent_id == goal_id, col(Goal.state) != GoalState.DROPPED)
        ).all()
        started = started_goal_ids(session, children)
        goal.progress = weighted_progress(
            [(kr.progress, kr.weight) for kr in key_results]
            + [(child.progress, 1.0) for child in children if child.id in started]
        )
        goal.updated_at = now
        session.add(goal)
        session.flush()
        goal_id = goal.parent_id


def started_goal_ids(session: Session, goals: Sequence[Goal]) -> set[int]:
    """The goals that have started: moved from zero, or updated at least once. A goal that hasn't
    reads *not started*, and doesn't count in its parent's progress (so it can't pull it down)."""
    ids = [goal.id for goal in goals if goal.id is not None]
    moved = {goal.id for goal in goals if goal.progress > 0 and goal.id is not None}
    if len(moved) == len(ids):
        return moved
    updated = session.exec(
        select(GoalUpdate.goal_id).where(col(GoalUpdate.goal_id).in_([i for i in ids if i not in moved])).distinct()
    ).all()
    return moved | set(updated)


def record_key_result_update(
    session: Session,
    key_result_id: int,
    *,
    author_id: int | None,
    value: float | None,
    confidence: int | None,
    comment: str,
    source: str,
    now: datetime,
) -> GoalUpdate | None:
    """Keep the update in the history, move the key result, and roll progress up the tree."""
    key_result = session.get(KeyResult, key_result_id)
    if key_result is None:
        return None
    update = GoalUpdate(
        goal_id=key_result.goal_id,
        key_result_id=key_result.id,
        author_id=author_id,
        created_at=now,
        old_value=key_result.current_value,
        new_value=value if value is not None else key_result.current_value,
        confidence=confidence,
        comment=comment or "",
        source=source,
    )
    session.add(update)
    if value is not None:
        key_result.current_value = float(value)
        key_result.progress = key_result_progress(
            key_result.metric.value, key_result.start_value, key_result.target_value, key_result.current_value
        )
    if confidence is not None:
        key_result.confidence = confidence
    key_result.updated_at = now
    session.add(key_result)
    session.flush()
    recompute(session, key_result.goal_id, now)
    return update


def open_key_results_of(session: Session, person_id: int) -> list[KeyResult]:
    """Key results of the open goals a person owns, in the order people read them."""
    return list(
        session.exec(
            select(KeyResult)
            .join(Goal, col(Goal.id) == KeyResult.goal_id)
            .where(Goal.owner_id == person_id, Goal.state == GoalState.OPEN)
            .order_by(KeyResult.number)
        )
    )


def open_key_result_counts(session: Session, workspace_id: int) -> dict[int, int]:
    """How many open key results each person owns: the goal-progress questions of their check-in."""
    rows = session.exec(
        select(Goal.owner_id, sa.func.count(col(KeyResult.id)))
        .join(KeyResult, col(KeyResult.goal_id) == Goal.id)
        .where(Goal.workspace_id == workspace_id, Goal.state == GoalState.OPEN, col(Goal.owner_id).is_not(None))
        .group_by(Goal.owner_id)
    ).all()
    return {owner_id: count for owner_id, count in rows}


def goal_health(goal: Goal, key_results: Sequence[KeyResult], today: date) -> str:
    """The override when one is set, otherwise the rule in ``conversations.goal_progress.health``."""
    if goal.health_override is not None:
        return goal.health_override.value
    confidences = [kr.confidence for kr in key_results if kr.confidence is not None]
    return health(goal.progress, goal.starts_on, goal.ends_on, today, min(confidences) if confidences else None)


def key_result_view(kr: KeyResult) -> dict[str, Any]:
    return {
        "id": kr.id,
        "ref": f"KR-{kr.number}",
        "title": kr.title,
        "metric": kr.metric.value,
        "start": _number(kr.start_value),
        "target": _number(kr.target_value),
        "current": _number(kr.current_value),
        "unit": "%" if kr.metric is MetricKind.PERCENT else kr.unit,
        "progress": round(kr.progress, 1),
        "confidence": kr.confidence,
        "bar": progress_bar(kr.progress),
    }


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def goal_view(
    goal: Goal, key_results: Sequence[KeyResult], today: date, owner_name: str = "", *, started: bool = True
) -> dict[str, Any]:
    health_now = goal_health(goal, key_results, today)
    if not started and goal.health_override is None:
        health_now = NOT_STARTED
    return {
        "id": goal.id,
        "ref": f"G-{goal.number}",
        "title": goal.title,
        "level": goal.level.value,
        "period": goal.period,
        "state": goal.state.value,
        "progress": round(goal.progress, 1),
        "bar": progress_bar(goal.progress),
        "health": health_now,
        "health_reason": goal.health_reason or "",
        "owner": owner_name,
        "key_results": [key_result_view(kr) for kr in key_results],
    }


def key_results_by_goal(session: Session, goal_ids: Sequence[int]) -> dict[int, list[KeyResult]]:
    found: dict[int, list[KeyResult]] = {goal_id: [] for goal_id in goal_ids}
    if goal_ids:
        for kr in session.exec(
            select(KeyResult).where(col(KeyResult.goal_id).in_(list(goal_ids))).order_by(KeyResult.number)
        ):
            found[kr.goal_id].append(kr)
    return found


def views(session: Session, goals: Sequence[Goal], today: date) -> list[dict[str, Any]]:
    krs = key_results_by_goal(session, [goal.id for goal in goals if goal.id is not None])
    owners = {
        person.id: person.display_name
        for person in session.exec(select(Person).where(col(Person.id).in_([g.owner_id for g in goals if g.owner_id])))
    }
    started = started_goal_ids(session, goals)
    return [
        goal_view(goal, krs.get(goal.id or 0, []), today, owners.get(goal.owner_id, ""), started=goal.id in started)
        for goal in goals
    ]


def now_local(person: Person, now: datetime) -> date:
    return now.astimezone(ZoneInfo(person.timezone)).date()


def prepare_list(session: Session, actor: Actor, inbound: Inbound, state: State | None, now: datetime) -> State:
    person = session.get(Person, actor.person_id)
    assert person is not None
    today = now_local(person, now)
    mine = session.exec(
        select(Goal).where(Goal.owner_id == person.id, Goal.state == GoalState.OPEN).order_by(Goal.number)
    ).all()
    team = []
    if person.team_id is not None:
        team = session.exec(
            select(Goal)
            .where(Goal.team_id == person.team_id, Goal.level == GoalLevel.TEAM, Goal.state == GoalState.OPEN)
            .order_by(Goal.number)
        ).all()
    data = {"mine": views(session, mine, today), "team": views(session, team, today), "team_name": actor.team or ""}
    return State(flow="goal_list", step="show", data=data)


def next_numbers(session: Session, workspace_id: int) -> tuple[int, int]:
    """The next goal and key result short ids; a second replica creating a goal in this organisation
    waits for this unit of work's commit, then counts again (the unique number is the last guard)."""
    locks.hold_organisation(session, workspace_id)
    goal = session.exec(select(sa.func.max(Goal.number)).where(Goal.workspace_id == workspace_id)).one() or 0
    kr = session.exec(select(sa.func.max(KeyResult.number)).where(KeyResult.workspace_id == workspace_id)).one() or 0
    return goal + 1, kr + 1


def _viewer(session: Session, actor: Actor, now: datetime) -> tuple[Person, date, bool]:
    """Who is asking, their local date, and whether personal goals are public in their workspace."""
    person = session.get(Person, actor.person_id)
    workspace = session.get(Workspace, actor.workspace_id)
    assert person is not None and workspace is not None
    return person, now_local(person, now), load_settings(workspace.settings).goals.personal_goals_public


def prepare_new(session: Session, actor: Actor, inbound: Inbound, state: State | None, now: datetime) -> State:
    person, today, public = _viewer(session, actor, now)
    levels = ["person"]
    if person.team_id is not None and (actor.report_count > 0 or person.role is not Role.MEMBER):
        levels.append("team")
    if person.role is Role.ADMIN:
        levels.append("company")
    candidates = session.exec(
        select(Goal)
        .where(Goal.workspace_id == actor.workspace_id, Goal.state == GoalState.OPEN, Goal.ends_on >= today)
        .order_by(Goal.number)
    ).all()
    parents = [
        {"id": goal.id, "ref": f"G-{goal.number}", "title": goal.title, "period": goal.period}
        for goal in candidates
        if can_see_goal(session, person, goal, public)
    ]
    next_goal, next_kr = next_numbers(session, actor.workspace_id)
    data = {
        "levels": levels,
        "parents": parents,
        "period_default": current_period(today),
        "today": today.isoformat(),
        "team_id": person.team_id,
        "next_goal_number": next_goal,
        "next_key_result_number": next_kr,
        "skills": [
            {"slug": skill.slug, "label": skill.shown_label}
            for skill in workspaces.settings_of(session, actor.workspace_id).skills
        ],
    }
    return State(flow="goal_new", step="form", data=data)


def _target_goal(session: Session, actor: Actor, text: str) -> Goal | None:
    words = text.split()
    if not words:
        return None
    ref = parse_ref(words[0])
    if ref is None or ref[0] != "G":
        return None
    return session.exec(select(Goal).where(Goal.workspace_id == actor.workspace_id, Goal.number == ref[1])).first()


def prepare_goal_command(session: Session, actor: Actor, inbound: Inbound, state: State | None, now: datetime) -> State:
    """For show, close and status: the goal named first in the text, with what the actor may do with it."""
    person, today, public = _viewer(session, actor, now)
    goal = _target_goal(session, actor, inbound.text)
    data: dict[str, Any] = {"target": None, "visible": True}
    if goal is not None:
        data["visible"] = can_see_goal(session, person, goal, public)
        data["target"] = {
            **tree(session, goal, today, person, public),
            "can_edit": can_edit_goal(session, person, goal),
        }
    return State(flow="goal", step="command", data=data)


def tree(session: Session, goal: Goal, today: date, viewer: Person, public: bool, depth: int = 0) -> dict[str, Any]:
    """A goal with its key results and, recursively, the child goals the viewer may see."""
    [view] = views(session, [goal], today)
    children = (
        session.exec(select(Goal).where(Goal.parent_id == goal.id).order_by(Goal.number)).all() if depth < 6 else []
    )
    view["children"] = [
        tree(session, child, today, viewer, public, depth + 1)
        for child in children
        if can_see_goal(session, viewer, child, public)
    ]
    return view


def prepare_update(session: Session, actor: Actor, inbound: Inbound, state: State | None, now: datetime) -> State:
    person = session.get(Person, actor.person_id)
    assert person is not None
    mine = [key_result_view(kr) for kr in open_key_results_of(session, person.id)]
    target = None
    words = inbound.text.split()
    if words:
        ref = parse_ref(words[0])
        kr = (
            session.exec(
                select(KeyResult).where(KeyResult.workspace_id == actor.workspace_id, KeyResult.number == ref[1])
            ).first()
            if ref and ref[0] == "KR"
            else None
        )
        if kr is not None:
            goal = session.get(Goal, kr.goal_id)
            assert goal is not None
            target = {
                **key_result_view(kr),
                "goal_ref": f"G-{goal.number}",
                "goal_state": goal.state.value,
                "can_edit": can_edit_goal(session, person, goal),
            }
    return State(flow="goal_update", step="update", data={"mine": mine, "target": target})


def apply_created(session: Session, actor: Actor, change: GoalCreated, now: datetime) -> None:
    goal = Goal(
        workspace_id=actor.workspace_id,
        number=change.number,
        title=change.title,
        description=change.description,
        level=GoalLevel(change.level),
        kind=GoalKind(change.kind) if change.kind in GoalKind._value2member_map_ else GoalKind.BUSINESS,
        skill=change.skill,
        period=change.period,
        starts_on=change.starts_on,
        ends_on=change.ends_on,
        owner_id=actor.person_id,
        team_id=change.team_id,
        parent_id=change.parent_id,
        created_at=now,
        updated_at=now,
    )
    session.add(goal)
    session.flush()
    for kr in change.key_results:
        add_key_result(session, goal, kr, now)
    recompute(session, goal.id, now)


def add_key_result(session: Session, goal: Goal, fields: Mapping[str, Any], now: datetime) -> KeyResult:
    metric = MetricKind(fields.get("metric", "number"))
    start, target = float(fields.get("start", 0)), float(fields["target"])
    current = float(fields.get("current", start))
    kr = KeyResult(
        workspace_id=goal.workspace_id,
        goal_id=goal.id,
        number=int(fields["number"]),
        title=str(fields["title"]),
        metric=metric,
        start_value=start,
        target_value=target,
        current_value=current,
        unit=str(fields.get("unit") or ""),
        weight=float(fields.get("weight", 1)),
        progress=key_result_progress(metric.value, start, target, current),
        updated_at=now,
    )
    session.add(kr)
    session.flush()
    return kr


def apply_key_result_updated(session: Session, actor: Actor, change: KeyResultUpdated, now: datetime) -> None:
    record_key_result_update(
        session,
        change.key_result_id,
        author_id=actor.person_id,
        value=change.value,
        confidence=change.confidence,
        comment=change.comment,
        source="command",
        now=now,
    )


def apply_closed(session: Session, actor: Actor, change: GoalClosed, now: datetime) -> None:
    goal = session.get(Goal, change.goal_id)
    assert goal is not None
    goal.state = GoalState(change.state)
    goal.closed_at = now
    goal.updated_at = now
    session.add(goal)
    session.add(
        GoalUpdate(
            goal_id=goal.id,
            author_id=actor.person_id,
            created_at=now,
            comment=f"closed as {change.state}",
            source="command",
        )
    )
    session.flush()
    recompute(session, goal.parent_id, now)


def apply_reopened(session: Session, actor: Actor, change: GoalReopened, now: datetime) -> None:
    goal = session.get(Goal, change.goal_id)
    assert goal is not None
    was = goal.state.value
    goal.state = GoalState.OPEN
    goal.closed_at = None
    goal.updated_at = now
    session.add(goal)
    session.add(
        GoalUpdate(
            goal_id=goal.id,
            author_id=actor.person_id,
            created_at=now,
            comment=f"reopened (was {was})",
            source="command",
        )
    )
    session.flush()
    recompute(session, goal.parent_id, now)


def apply_status_set(session: Session, actor: Actor, change: GoalStatusSet, now: datetime) -> None:
    """The override, its history entry and its audit entry, in the request's unit of work (the
    reason is the person's words: the audit entry keeps only the goal and the statuses)."""
    goal = session.get(Goal, change.goal_id)
    person = session.get(Person, actor.person_id)
    assert goal is not None and person is not None
    was = goal.health_override
    audit.record(
        session,
        AuditAction.STATUS_OVERRIDDEN,
        workspace_id=goal.workspace_id,
        actor=person,
        subject=session.get(Person, goal.owner_id) if goal.owner_id else None,
        details={"goal": f"G-{goal.number}", "old": was.value if was else AUTO, "new": change.health or AUTO},
        at=now,
    )
    goal.health_override = GoalHealth(change.health) if change.health else None
    goal.health_reason = change.reason[:500] or None
    goal.updated_at = now
    session.add(goal)
    session.add(
        GoalUpdate(
            goal_id=goal.id,
            author_id=actor.person_id,
            created_at=now,
            comment=change.reason,
            source="command",
            health_override=goal.health_override,
        )
    )


APPLIERS = {
    GoalCreated: apply_created,
    KeyResultUpdated: apply_key_result_updated,
    GoalClosed: apply_closed,
    GoalReopened: apply_reopened,
    GoalStatusSet: apply_status_set,
}
CONTEXTS = {
    "goal_list": prepare_list,
    "goal_new": prepare_new,
    "goal_update": prepare_update,
    "goal_show": prepare_goal_command,
    "goal_close": prepare_goal_command,
    "goal_reopen": prepare_goal_command,
    "goal_status": prepare_goal_command,
}


def home_goals(session: Session, person: Person, today: date) -> list[dict[str, Any]]:
    """A person's open goals with progress, each with the goals above it, up to the company's."""
    mine = session.exec(
        select(Goal).where(Goal.owner_id == person.id, Goal.state == GoalState.OPEN).order_by(Goal.number)
    ).all()
    shown = views(session, mine, today)
    for view, goal in zip(shown, mine, strict=True):
        ladder, seen, parent_id = [], {goal.id}, goal.parent_id
        while parent_id is not None and parent_id not in seen:
            parent = session.get(Goal, parent_id)
            if parent is None:
                break
            ladder.append(
                {
                    "ref": f"G-{parent.number}",
                    "title": parent.title,
                    "level": parent.level.value,
                    "progress": round(parent.progress, 1),
                }
            )
            seen.add(parent_id)
            parent_id = parent.parent_id
        view["ladder"] = ladder
    return shown

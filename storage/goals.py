"""Goals and key results: updates with their history, and progress rolled up the goal tree."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from conversations.goal_progress import key_result_progress, weighted_progress
from storage.models import Goal, GoalState, GoalUpdate, KeyResult


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
        goal.progress = weighted_progress(
            [(kr.progress, kr.weight) for kr in key_results] + [(child.progress, 1.0) for child in children]
        )
        goal.updated_at = now
        session.add(goal)
        session.flush()
        goal_id = goal.parent_id


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

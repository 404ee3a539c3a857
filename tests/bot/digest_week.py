"""A week for a manager's digest, the same on every platform: one report answered the week's
check-in (with a highlighted answer) and owns a goal with a key result half way."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Session

from storage import checkins, goals
from storage.models import Goal, GoalLevel, Person, ResponseStatus

MONDAY_NINE_IN_NEW_YORK = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
DONE = {"id": "done", "kind": "text", "text": "What got done?", "required": True, "highlight": True}


def answered_week(session: Session, person: Person, done: str) -> None:
    """``person`` answered 2026-W49 with mood 4 and ``done``, and owns goal G-1 (KR-1 at 5 of 10)."""
    workspace_id, now = person.workspace_id, MONDAY_NINE_IN_NEW_YORK
    template = checkins.template_for(session, workspace_id, [DONE])
    cycle = checkins.cycle_for(session, workspace_id, "2026-W49", now)
    response = checkins.response_for(session, cycle.id, person.id, now)
    response.status, response.mood, response.template_id, response.answers = (
        ResponseStatus.SUBMITTED,
        4,
        template.id,
        {"done": done},
    )
    session.add(response)
    goal = Goal(workspace_id=workspace_id, number=1, title="Beta", level=GoalLevel.PERSON, period="2026-Q4",
                starts_on=date(2026, 10, 1), ends_on=date(2026, 12, 31), owner_id=person.id)  # fmt: skip
    session.add(goal)
    session.flush()
    goals.add_key_result(session, goal, {"number": 1, "title": "Users", "start": 0, "target": 10, "current": 5}, now)
    goals.recompute(session, goal.id, now)

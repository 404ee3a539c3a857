"""Who may see and change what, in one readable place.

A check-in response is visible to the person, everyone above them in the manager chain, and
admins: nobody else, not even their peers. The rules are code here, not configuration, so anyone
can read exactly what Cadence allows.
"""

from __future__ import annotations

from sqlmodel import Session

from storage.models import Goal, GoalLevel, Person, Role


def manager_chain(session: Session, person: Person) -> list[Person]:
    """The person's manager, their manager, and so on up (stopping at a loop)."""
    chain: list[Person] = []
    seen = {person.id}
    current = person
    while current.manager_id is not None and current.manager_id not in seen:
        manager = session.get(Person, current.manager_id)
        if manager is None:
            break
        chain.append(manager)
        seen.add(manager.id)
        current = manager
    return chain


def can_see_checkins_of(session: Session, viewer: Person, subject: Person) -> bool:
    if viewer.id == subject.id or viewer.role is Role.ADMIN:
        return viewer.workspace_id == subject.workspace_id
    return any(manager.id == viewer.id for manager in manager_chain(session, subject))


def can_edit_goal(session: Session, viewer: Person, goal: Goal) -> bool:
    """Admins edit any goal; company goals are theirs alone. Other goals: the owner and the owner's
    manager chain (a manager edits their reports' goals)."""
    if viewer.workspace_id != goal.workspace_id:
        return False
    if viewer.role is Role.ADMIN:
        return True
    if goal.level is GoalLevel.COMPANY or goal.owner_id is None:
        return False
    if goal.owner_id == viewer.id:
        return True
    owner = session.get(Person, goal.owner_id)
    return owner is not None and any(manager.id == viewer.id for manager in manager_chain(session, owner))


def can_see_goal(session: Session, viewer: Person, goal: Goal, personal_goals_public: bool) -> bool:
    """Company and team goals are everyone's; a personal goal is its owner's, their manager chain's and
    admins' (or everyone's, when the workspace makes personal goals public)."""
    if viewer.workspace_id != goal.workspace_id:
        return False
    if goal.level is not GoalLevel.PERSON or personal_goals_public or viewer.role is Role.ADMIN:
        return True
    owner = session.get(Person, goal.owner_id) if goal.owner_id else None
    return owner is not None and can_see_checkins_of(session, viewer, owner)

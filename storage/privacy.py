"""Who may see what, in one readable place.

A check-in response is visible to the person, everyone above them in the manager chain, and
admins: nobody else, not even their peers. The rules are code here, not configuration, so anyone
can read exactly what Cadence allows.
"""

from __future__ import annotations

from sqlmodel import Session

from storage.models import Person, Role


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

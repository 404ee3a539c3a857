"""Queries about people and the org chart. Repositories flush but never commit."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func
from sqlmodel import Session, select

from conversations.messages import Actor, Platform
from storage.models import Person, Team


def by_email(session: Session, workspace_id: int, email: str) -> Person | None:
    return session.exec(
        select(Person).where(Person.workspace_id == workspace_id, func.lower(Person.email) == email.lower())
    ).first()


def by_platform_id(session: Session, workspace_id: int, platform: Platform, user_id: str) -> Person | None:
    """The person behind a platform user id; the shell identifies people by email."""
    if platform is Platform.SHELL:
        return by_email(session, workspace_id, user_id)
    column = Person.slack_user_id if platform is Platform.SLACK else Person.teams_user_id
    return session.exec(select(Person).where(Person.workspace_id == workspace_id, column == user_id)).first()


def all_in(session: Session, workspace_id: int) -> list[Person]:
    return list(session.exec(select(Person).where(Person.workspace_id == workspace_id).order_by(Person.id)))


def teams_by_name(session: Session, workspace_id: int) -> dict[str, Team]:
    return {team.name: team for team in session.exec(select(Team).where(Team.workspace_id == workspace_id))}


def ensure_teams(session: Session, workspace_id: int, names: Iterable[str]) -> dict[str, Team]:
    """Every named team, created where missing."""
    existing = teams_by_name(session, workspace_id)
    for name in sorted(set(names) - set(existing)):
        existing[name] = Team(workspace_id=workspace_id, name=name)
        session.add(existing[name])
    session.flush()
    return existing


def report_count(session: Session, person_id: int) -> int:
    return session.exec(
        select(func.count()).select_from(Person).where(Person.manager_id == person_id, Person.active)
    ).one()


def actor_for(session: Session, person: Person) -> Actor:
    assert person.id is not None
    manager = session.get(Person, person.manager_id) if person.manager_id else None
    team = session.get(Team, person.team_id) if person.team_id else None
    return Actor(
        person_id=person.id,
        workspace_id=person.workspace_id,
        display_name=person.display_name,
        email=person.email,
        timezone=person.timezone,
        role=person.role.value,
        team=team.name if team else None,
        manager_name=manager.display_name if manager else None,
        report_count=report_count(session, person.id),
    )

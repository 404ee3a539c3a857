"""Which platform each person is reached on: one, so nobody with accounts on two platforms is ever
prompted, reminded or sent a digest twice.

A person can be reached on the platforms their organisation is connected to (and this process
serves) where Cadence knows who they are; in the shell, everyone with an email. Of those: the one
they asked for (``preferred_platform``), else the one they last used, else the first in a fixed
order. Someone reachable on none of them gets nothing until that changes (a ``cadence org sync``,
a first message from them): their check-in is then caught up like any other.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Row
from sqlmodel import Session, col, select

from conversations.messages import Platform
from storage import connections
from storage.models import Person, PersonIdentity

ORDER = (Platform.SLACK, Platform.TEAMS, Platform.SHELL)  # when nothing else decides
EVERY_PLATFORM: frozenset[Platform] = frozenset(Platform)


@dataclass(frozen=True)
class Reach:
    """An organisation's platforms in play, and the one platform each of its people is reached on."""

    platforms: tuple[Platform, ...]
    by_person: Mapping[int, Platform] = field(default_factory=dict)

    def of(self, person_id: int | None) -> Platform | None:
        return self.by_person.get(person_id) if person_id is not None else None


def choose(person: Person | Row, available: Collection[Platform]) -> Platform | None:
    """The platform to reach ``person`` on among ``available`` (those they can be reached on)."""
    if person.preferred_platform in available:
        return person.preferred_platform
    if person.last_platform in available:
        return person.last_platform
    return next((platform for platform in ORDER if platform in available), None)


def reach_for(session: Session, workspace_id: int, serving: Collection[Platform] = EVERY_PLATFORM) -> Reach:
    """Everyone's platform in one organisation, among the platforms it is connected to and ``serving``
    (the platforms the running process has adapters for)."""
    platforms = tuple(
        platform
        for platform in ORDER
        if platform in serving and platform in connections.platforms_of(session, workspace_id)
    )
    if not platforms:
        return Reach(())
    known: dict[int, set[Platform]] = {}
    for person_id, platform in session.exec(
        select(PersonIdentity.person_id, PersonIdentity.platform).where(
            PersonIdentity.workspace_id == workspace_id, col(PersonIdentity.platform).in_(list(platforms))
        )
    ):
        known.setdefault(person_id, set()).add(platform)
    by_person = {}
    everyone = select(Person.id, Person.email, Person.preferred_platform, Person.last_platform).where(
        Person.workspace_id == workspace_id, Person.active
    )  # columns, not loaded people: a tick asks this of every organisation, whatever its size
    for person in session.exec(everyone):
        available = set(known.get(person.id, set()))
        if Platform.SHELL in platforms and person.email:
            available.add(Platform.SHELL)  # the shell knows everyone by email
        chosen = choose(person, available)
        if chosen is not None and person.id is not None:
            by_person[person.id] = chosen
    return Reach(platforms, by_person)


@functools.cache
def _platforms_known() -> Any:
    """Built once (a message to someone else asks where they are): building it cost more than running it."""
    return select(PersonIdentity.platform).where(
        PersonIdentity.person_id == sa.bindparam("person_id"),
        col(PersonIdentity.platform).in_(sa.bindparam("platforms", expanding=True)),
    )


def platform_of(
    session: Session, person: Person, serving: Collection[Platform] = EVERY_PLATFORM, *, connected: bool = False
) -> Platform | None:
    """One person's platform (as ``reach_for`` would choose it), for a message a request owes them;
    ``connected`` when ``serving`` holds only platforms the organisation is connected to (read already)."""
    assert person.id is not None
    platforms = set(serving) if connected else connections.platforms_of(session, person.workspace_id) & set(serving)
    available = set(session.exec(_platforms_known(), params={"person_id": person.id, "platforms": list(platforms)}))
    if Platform.SHELL in platforms and person.email:
        available.add(Platform.SHELL)
    return choose(person, available)

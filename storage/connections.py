"""Which platforms an organisation is on: its connections (a Slack workspace, a Teams tenant, the shell).

An organisation is Cadence's own: people, settings, goals. Connecting it to a platform account
links the two, and one organisation can be on several platforms at once. A platform account
belongs to one organisation only (unique on platform and account id).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from conversations.messages import Platform
from storage.models import PlatformConnection, Workspace


class AlreadyConnected(ValueError):
    """The platform account, or the platform, is connected to another organisation already."""


def workspace_for(session: Session, platform: Platform, external_id: str) -> Workspace | None:
    """The organisation a platform account belongs to."""
    return session.exec(
        select(Workspace)
        .join(PlatformConnection, col(PlatformConnection.workspace_id) == Workspace.id)
        .where(PlatformConnection.platform == platform, PlatformConnection.external_id == external_id)
    ).first()


def connection_of(session: Session, workspace_id: int, platform: Platform) -> PlatformConnection | None:
    return session.exec(
        select(PlatformConnection).where(
            PlatformConnection.workspace_id == workspace_id, PlatformConnection.platform == platform
        )
    ).first()


def platforms_of(session: Session, workspace_id: int) -> set[Platform]:
    return set(session.exec(_platforms_of(), params={"workspace_id": workspace_id}).all())


@functools.cache
def _platforms_of() -> Any:
    """Built once (every request asks where its organisation is): building it cost more than running it."""
    return select(PlatformConnection.platform).where(PlatformConnection.workspace_id == sa.bindparam("workspace_id"))


def connect(
    session: Session, workspace: Workspace, platform: Platform, external_id: str, name: str = ""
) -> PlatformConnection:
    """Connect ``workspace`` to a platform account; doing it twice changes nothing."""
    assert workspace.id is not None
    existing = connection_of(session, workspace.id, platform)
    if existing is not None:
        if existing.external_id != external_id:
            raise AlreadyConnected(
                f"{workspace.name} is connected to {platform.value} {existing.external_id} already, not {external_id}"
            )
        return existing
    owner = workspace_for(session, platform, external_id)
    if owner is not None:
        raise AlreadyConnected(f"{platform.value} {external_id} belongs to {owner.name} already")
    connection = PlatformConnection(workspace_id=workspace.id, platform=platform, external_id=external_id, name=name)
    session.add(connection)
    session.flush()
    return connection


def new_organisation(
    session: Session, name: str, platform: Platform | None = None, external_id: str | None = None
) -> Workspace:
    """A new organisation, connected to a platform account when one is given."""
    workspace = Workspace(name=name)
    session.add(workspace)
    session.flush()
    if platform is not None and external_id is not None:
        connect(session, workspace, platform, external_id, name)
    return workspace


def unconnected(session: Session) -> list[Workspace]:
    """Organisations on no platform at all (imported, not yet connected)."""
    connected = select(PlatformConnection.workspace_id)
    return list(session.exec(select(Workspace).where(col(Workspace.id).not_in(connected)).order_by(Workspace.id)))


def external_id_of(session: Session, workspace_id: int, platform: Platform) -> str | None:
    connection = connection_of(session, workspace_id, platform)
    return connection.external_id if connection else None


def not_on(session: Session, platform: Platform) -> list[Workspace]:
    """Organisations not connected to ``platform`` (an org on Slack, about to be on Teams too)."""
    on_it = select(PlatformConnection.workspace_id).where(PlatformConnection.platform == platform)
    return list(session.exec(select(Workspace).where(col(Workspace.id).not_in(on_it)).order_by(Workspace.id)))


def bind(
    session: Session, platform: Platform, external_id: str, name: str, adoptable: Sequence[Workspace] = ()
) -> Workspace:
    """The organisation a platform account belongs to: the one connected to it, else the one
    organisation in ``adoptable`` (what the operator's own settings allow to be taken over: an
    imported org, by a single-workspace token), else a new one; connected to the account. With
    several to adopt, none is guessed at: a new organisation it is."""
    workspace = workspace_for(session, platform, external_id)
    if workspace is not None:
        return workspace
    workspace = adoptable[0] if len(adoptable) == 1 else None
    if workspace is None:
        workspace = Workspace(name=name)
        session.add(workspace)
        session.flush()
    elif workspace.name in ("", "Cadence"):
        workspace.name = name
        session.add(workspace)
    connect(session, workspace, platform, external_id, name)
    return workspace

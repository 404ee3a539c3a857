"""Teams' side of running a request: which organisation a tenant is, and what a later proactive
message to someone needs (their chat with Cadence: conversation id, service URL, tenant). Everything
else is the neutral runner's (``bot/request_runner.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, select

from bot.teams.translate import Where
from conversations.messages import Actor, Inbound, Platform
from storage import connections
from storage.conversation_store import reference_for, remember_reference
from storage.models import ConversationReference, Workspace

GONE = "gone"
"""Marks a reference whose chat was closed (Cadence uninstalled there): nothing more is sent to it."""


def bind_tenant(session: Session, tenant: str, own_tenant: str | None) -> Workspace:
    """The organisation a Teams tenant belongs to: the one connected to it, else, for the tenant the
    operator configured (``TEAMS_TENANT_ID``), the one organisation not on Teams yet (an org already
    on Slack, or imported), else a new one. A tenant nobody configured never takes over an org."""
    adoptable = connections.not_on(session, Platform.TEAMS) if own_tenant and tenant == own_tenant else []
    return connections.bind(session, Platform.TEAMS, tenant, f"Teams {tenant[:8]}", adoptable)


class TeamsSide:
    platform = Platform.TEAMS

    def __init__(self, own_tenant: str | None = None) -> None:
        self.own_tenant = own_tenant
        self.workspace_ids: dict[str, int] = {}  # a tenant's organisation never changes: looked up once
        self.chats: dict[str, Where] = {}  # conversation id → where it is, from the requests seen

    def learn(self, where: Where) -> None:
        """Where a request's conversation is (it travels with the request through the inbox)."""
        self.chats[where.conversation] = where

    def organisation(self, session: Session, inbound: Inbound) -> Workspace:
        return self.workspace(session, inbound.workspace)

    def workspace(self, session: Session, tenant: str) -> Workspace:
        known = self.workspace_ids.get(tenant)
        workspace = session.get(Workspace, known) if known is not None else None
        if workspace is None:
            workspace = bind_tenant(session, tenant, self.own_tenant)
            assert workspace.id is not None
            self.workspace_ids[tenant] = workspace.id
        return workspace

    def remember(self, session: Session, workspace_id: int, actor: Actor, inbound: Inbound) -> None:
        """A message in someone's chat with Cadence: that chat is where direct messages to them go."""
        where = self.chats.get(inbound.conversation)
        if where is not None and where.personal and where.service_url and not inbound.in_channel:
            remember_reference(session, workspace_id, actor.person_id, Platform.TEAMS, where.reference())


def chat_with(session: Session, person_id: int) -> dict[str, Any] | None:
    """The person's chat with Cadence, unless it was closed."""
    return open_chat(reference_for(session, person_id, Platform.TEAMS))


def open_chat(reference: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The chat a person's stored conversation reference names, unless it was closed."""
    return None if reference is None or reference.get(GONE) else dict(reference)


def mark_gone(session: Session, workspace_id: int, person_id: int) -> None:
    reference = reference_for(session, person_id, Platform.TEAMS)
    if reference is not None and not reference.get(GONE):
        remember_reference(session, workspace_id, person_id, Platform.TEAMS, {**reference, GONE: True})


def remember_tenant(session: Session, workspace_id: int, where: Where, channels: Mapping[str, str] | None) -> None:
    """The tenant's Bot Connector address, and a team's channels by name (``kudos.channel.teams:
    Kudos``), from an install: what later messages to people and channels there need."""
    connection = connections.connection_of(session, workspace_id, Platform.TEAMS)
    if connection is None:
        return
    details = dict(connection.details or {})
    if where.service_url:
        details["service_url"] = where.service_url
    if channels:
        details["channels"] = {**dict(details.get("channels") or {}), **channels}
    if details != connection.details:
        connection.details = details
        session.add(connection)


def channel_named(session: Session, workspace_id: int, name: str) -> str | None:
    """The id of the channel a setting names (``Kudos``, ``#kudos``), among the teams Cadence is in."""
    connection = connections.connection_of(session, workspace_id, Platform.TEAMS)
    channels = dict((connection.details or {}).get("channels") or {}) if connection else {}
    wanted = name.strip().lstrip("#").casefold()
    return next((channel for known, channel in channels.items() if known.casefold() == wanted), None)


def channel_names(session: Session, workspace_id: int) -> list[str]:
    connection = connections.connection_of(session, workspace_id, Platform.TEAMS)
    return sorted(dict((connection.details or {}).get("channels") or {})) if connection else []


def service_url_of(session: Session, workspace_id: int) -> str | None:
    """Where the tenant's Bot Connector is, from the install (or a chat Cadence has there): what
    creating a chat with someone who never wrote, or posting in a channel, needs."""
    connection = connections.connection_of(session, workspace_id, Platform.TEAMS)
    url = (connection.details or {}).get("service_url") if connection else None
    if url:
        return str(url)
    for row in session.exec(
        select(ConversationReference)
        .where(ConversationReference.workspace_id == workspace_id, ConversationReference.platform == Platform.TEAMS)
        .limit(20)
    ):
        if row.reference.get("service_url"):
            return str(row.reference["service_url"])
    return None

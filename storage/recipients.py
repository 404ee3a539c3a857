"""What a batch of deliveries needs to know about where each one goes, read for the whole batch.

A delivery needs its organisation (its connection to the platform, the templates its settings
name), its reader (their row, who they are on the platform, the conversation Cadence has with them
there) and who on the platform everyone it mentions is. Read for each delivery, in a session of its
own, that was six statements, and under a burst a fifth of all the sender did; read for a claimed
batch, it is five statements for all of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from conversations.destinations import Destination, reader_of
from conversations.messages import Platform
from conversations.words import mentioned_person_ids
from conversations.workspace_settings import load_settings
from storage import people
from storage.models import ConversationReference, OutboxDelivery, Person, PlatformConnection, Workspace


@dataclass(frozen=True)
class Recipients:
    """One platform's view of a batch's organisations and people (those that still exist)."""

    workspaces: Mapping[int, Workspace]
    connections: Mapping[int, PlatformConnection]  # by organisation
    people: Mapping[int, Person]
    identities: Mapping[int, str]  # person id -> their id on the platform
    references: Mapping[int, Mapping[str, Any]]  # person id -> the conversation with them on the platform

    def external_id(self, workspace_id: int) -> str | None:
        """The organisation's team or tenant on the platform, if it is connected to it."""
        connection = self.connections.get(workspace_id)
        return connection.external_id if connection else None

    def templates_dir(self, workspace_id: int) -> str | None:
        workspace = self.workspaces.get(workspace_id)
        return load_settings(workspace.settings).templates_dir if workspace else None

    def reader(self, destination: Destination) -> Person | None:
        person_id = reader_of(destination)
        return self.people.get(person_id) if person_id is not None else None

    def mentioned(self, delivery: OutboxDelivery) -> dict[int, str]:
        """Who on the platform each person the delivery's message mentions is (those who have an account)."""
        return {
            person_id: self.identities[person_id]
            for person_id in mentioned_of(delivery)
            if person_id in self.identities
        }


def mentioned_of(delivery: OutboxDelivery) -> set[int]:
    return mentioned_person_ids((delivery.payload.get("outbound") or {}).get("data"))


def read_recipients(
    session: Session, platform: Platform, deliveries: Sequence[tuple[OutboxDelivery, Destination]]
) -> Recipients:
    workspace_ids = {delivery.workspace_id for delivery, _ in deliveries}
    reader_ids = {person_id for _, destination in deliveries if (person_id := reader_of(destination)) is not None}
    everyone = reader_ids.union(*(mentioned_of(delivery) for delivery, _ in deliveries))
    return Recipients(
        workspaces=_by_id(session, Workspace, workspace_ids),
        connections={
            connection.workspace_id: connection
            for connection in session.exec(
                select(PlatformConnection).where(
                    PlatformConnection.platform == platform, col(PlatformConnection.workspace_id).in_(workspace_ids)
                )
            )
        },
        people=_by_id(session, Person, reader_ids),
        identities=people.identities(session, everyone, platform) if everyone else {},
        references={
            row.person_id: dict(row.reference)
            for row in session.exec(
                select(ConversationReference).where(
                    ConversationReference.platform == platform, col(ConversationReference.person_id).in_(reader_ids)
                )
            )
        }
        if reader_ids
        else {},
    )


def _by_id(session: Session, model: Any, ids: Iterable[int]) -> dict[int, Any]:
    ids = list(ids)
    if not ids:
        return {}
    return {row.id: row for row in session.exec(select(model).where(col(model.id).in_(ids)))}

"""The engine's ports backed by the database: who is speaking, and where they are in each flow."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from conversations.flow import State
from conversations.messages import Actor, Inbound, Platform
from storage import locks, people
from storage.models import ConversationReference, ConversationState, Workspace, utcnow


class SqlDirectory:
    """Resolves an inbound message to an active person of the workspace it came from."""

    def __init__(self, session: Session, workspace: Workspace) -> None:
        self.session = session
        self.workspace = workspace

    def resolve(self, inbound: Inbound) -> Actor | None:
        assert self.workspace.id is not None
        person = people.by_platform_id(self.session, self.workspace.id, inbound.platform, inbound.user)
        if person is None or not person.active:
            return None
        assert person.id is not None
        # the rest of this unit of work reads and writes this person's state, allowance and records:
        # their requests from another platform or replica wait for its commit
        locks.hold_person(self.session, person.id)
        return people.actor_for(self.session, person)


class SqlStateStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _row(self, actor: Actor, flow: str) -> ConversationState | None:
        return self.session.exec(
            select(ConversationState).where(
                ConversationState.person_id == actor.person_id, ConversationState.flow == flow
            )
        ).first()

    @staticmethod
    def _state(row: ConversationState) -> State:
        return State(flow=row.flow, step=row.step, data=dict(row.data), expires_at=row.expires_at)

    def load(self, actor: Actor, flow: str) -> State | None:
        row = self._row(actor, flow)
        return self._state(row) if row else None

    def latest(self, actor: Actor) -> State | None:
        row = self.session.exec(
            select(ConversationState)
            .where(ConversationState.person_id == actor.person_id)
            .order_by(ConversationState.updated_at.desc(), ConversationState.id.desc())
        ).first()
        return self._state(row) if row else None

    def save(self, actor: Actor, inbound: Inbound, state: State) -> None:
        row = self._row(actor, state.flow) or ConversationState(
            workspace_id=actor.workspace_id, person_id=actor.person_id, platform=inbound.platform, flow=state.flow
        )
        row.platform = inbound.platform
        row.step = state.step
        row.data = dict(state.data)
        row.expires_at = state.expires_at
        row.updated_at = utcnow()
        self.session.add(row)
        self.session.flush()

    def clear(self, actor: Actor, flow: str) -> None:
        row = self._row(actor, flow)
        if row is not None:
            self.session.delete(row)
            self.session.flush()


def reference_for(session: Session, person_id: int, platform: Platform) -> dict[str, Any] | None:
    row = _reference_row(session, person_id, platform)
    return dict(row.reference) if row else None


def remember_reference(
    session: Session, workspace_id: int, person_id: int, platform: Platform, reference: dict[str, Any]
) -> None:
    """Keep what a later proactive message to this person needs on this platform."""
    row = _reference_row(session, person_id, platform) or ConversationReference(
        workspace_id=workspace_id, person_id=person_id, platform=platform
    )
    if row.reference != reference:
        row.reference = dict(reference)
        row.updated_at = utcnow()
        session.add(row)
        session.flush()


def _reference_row(session: Session, person_id: int, platform: Platform) -> ConversationReference | None:
    return session.exec(
        select(ConversationReference).where(
            ConversationReference.person_id == person_id, ConversationReference.platform == platform
        )
    ).first()

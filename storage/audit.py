"""The audit log: what admins and operators did (settings applied, exports, erasures, status
overrides, role changes), by whom and when, for a security review to read with ``cadence audit``.

Each entry is written in the same unit of work as the action, so an action that fails leaves no
entry and an entry never describes something that did not happen.
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from storage.models import AuditAction, AuditEvent, Person


def command_line_actor() -> str:
    """How the log names an operator at the command line: the account that ran ``cadence``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container's numeric user)
        user = "unknown user"
    return f"cli ({user})"


def person_actor(person: Person) -> str:
    return f"{person.display_name} <{person.email}>" if person.email else person.display_name


def record(
    session: Session,
    action: AuditAction,
    *,
    workspace_id: int | None,
    actor: Person | str,
    subject: Person | None = None,
    details: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Add one entry; ``actor`` is the person who acted in chat, or the command line's name for the
    operator (:func:`command_line_actor`)."""
    event = AuditEvent(
        workspace_id=workspace_id,
        actor_id=actor.id if isinstance(actor, Person) else None,
        actor=person_actor(actor) if isinstance(actor, Person) else actor,
        action=action,
        subject_id=subject.id if subject is not None else None,
        details=dict(details or {}),
    )
    if at is not None:
        event.at = at
    session.add(event)
    return event


def events(session: Session, *, workspace_id: int | None = None, since: datetime | None = None) -> list[AuditEvent]:
    """Entries oldest first, of one organisation (with the installation-wide ones) when given."""
    query = select(AuditEvent).order_by(AuditEvent.at, AuditEvent.id)
    if workspace_id is not None:
        query = query.where((AuditEvent.workspace_id == workspace_id) | (AuditEvent.workspace_id.is_(None)))
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    return list(session.exec(query))


def latest(session: Session, workspace_id: int, action: AuditAction) -> AuditEvent | None:
    """The organisation's most recent entry of one kind (who applied the settings last), in one
    query however long the log has grown."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.workspace_id == workspace_id, AuditEvent.action == action)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(1)
    )
    return session.exec(query).first()

"""``cadence audit``: the audit log as a security review reads it, oldest first: when (UTC), who,
what, to whom, and the details that say what changed.

A person ``cadence forget`` erased is never named, whether they acted or were acted on: the entry
stays (that something happened, and when) but says "an erased person".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, col, select

from bot.retention_tick import NOUNS, PLURALS
from conversations.numbers import counted
from conversations.workspace_settings import RetentionKind
from storage import audit
from storage.audit import person_actor
from storage.models import AuditAction, Person, Workspace

ERASED = "an erased person"
_AGE = re.compile(r"^(\d{1,5})\s*(d|h)$")
SINCE_FORMS = "write a date such as 2026-11-01, a date and time such as 2026-11-01T09:00Z, or an age such as 7d or 12h"


def since_from(text: str, now: datetime) -> datetime:
    """The instant ``--since`` names: a date (its start, UTC), an ISO date and time, or an age
    back from ``now`` (``7d``, ``12h``). Raises ValueError with the sentence to show."""
    written = text.strip()
    age = _AGE.match(written.lower())
    if age:
        amount, unit = int(age.group(1)), age.group(2)
        return now - (timedelta(days=amount) if unit == "d" else timedelta(hours=amount))
    try:
        if len(written) == 10:
            return datetime.combine(date.fromisoformat(written), time(), tzinfo=UTC)
        instant = datetime.fromisoformat(written)
    except ValueError:
        raise ValueError(f"--since {text!r} is not a date or an age; {SINCE_FORMS}") from None
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Entry:
    """One line of the log, with names resolved (and erased people left unnamed)."""

    at: datetime
    workspace: str | None
    who: str
    what: AuditAction
    whom: Person | None
    whom_erased: bool
    details: Mapping[str, Any]

    @property
    def when(self) -> str:
        return self.at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")

    @property
    def whom_text(self) -> str | None:
        if self.whom_erased:
            return ERASED
        return person_actor(self.whom) if self.whom is not None else None

    def as_json(self) -> dict[str, Any]:
        whom = None
        if self.whom_erased:
            whom = {"erased": True}
        elif self.whom is not None:
            whom = {"name": self.whom.display_name, "email": self.whom.email}
        return {
            "at": self.when,
            "workspace": self.workspace,
            "who": self.who,
            "what": self.what.value,
            "whom": whom,
            "details": dict(self.details),
        }

    def as_text(self, with_workspace: bool) -> str:
        parts = [self.when]
        if with_workspace:
            parts.append(f"[{self.workspace or 'installation'}]")
        parts += [self.who, self.what.value.replace("_", " ")]
        if self.whom_text:
            parts.append(self.whom_text)
        described = describe(self.what, self.details)
        return "  ".join(parts) + (f": {described}" if described else "")


def entries(session: Session, *, workspace_id: int | None, since: datetime | None) -> list[Entry]:
    events = audit.events(session, workspace_id=workspace_id, since=since)
    mentioned = {event.actor_id for event in events} | {event.subject_id for event in events}
    found = session.exec(select(Person).where(col(Person.id).in_([id for id in mentioned if id is not None])))
    persons = {person.id: person for person in found}
    names = {workspace.id: workspace.name for workspace in session.exec(select(Workspace))}
    shown = []
    for event in events:
        actor = persons.get(event.actor_id)
        subject = persons.get(event.subject_id)
        shown.append(
            Entry(
                at=event.at,
                workspace=names.get(event.workspace_id),
                who=ERASED if actor is not None and actor.erased_at is not None else event.actor,
                what=event.action,
                whom=subject if subject is not None and subject.erased_at is None else None,
                whom_erased=subject is not None and subject.erased_at is not None,
                details=event.details,
            )
        )
    return shown


def as_text(shown: Sequence[Entry]) -> str:
    with_workspace = len({entry.workspace for entry in shown}) > 1
    return "\n".join(entry.as_text(with_workspace) for entry in shown)


def as_json(shown: Sequence[Entry]) -> str:
    return json.dumps([entry.as_json() for entry in shown], indent=2, ensure_ascii=False)


# -- the details of each action, in a few words ----------------------------------------------------


def _settings(details: Mapping[str, Any]) -> str:
    changed = details.get("changed") or []
    said = f"changed {', '.join(changed)}" if changed else "nothing changed"
    return f"{said} (from {details['file']})" if details.get("file") else said


def _goals(details: Mapping[str, Any]) -> str:
    return (
        f"{counted(details.get('created', 0), 'goal')} created, {details.get('updated', 0)} updated; "
        f"{counted(details.get('key_results_created', 0), 'key result')} created, "
        f"{details.get('key_results_updated', 0)} updated"
    )


def _org(details: Mapping[str, Any]) -> str:
    return (
        f"{counted(details.get('created', 0), 'person', 'people')} created, {details.get('updated', 0)} updated, "
        f"{details.get('unchanged', 0)} unchanged"
    )


def _role(details: Mapping[str, Any]) -> str:
    old, new = details.get("old"), details.get("new")
    return f"new as {new}" if old is None else f"{old} → {new}"


def _status(details: Mapping[str, Any]) -> str:
    def shown(status: Any) -> str:
        return str(status).replace("_", " ")

    return f"{details.get('goal')}: {shown(details.get('old'))} → {shown(details.get('new'))}"


def _retention(details: Mapping[str, Any]) -> str:
    removed = [
        f"{counted(counts.get('removed', 0), NOUNS[kind], PLURALS.get(kind))} "
        f"(older than {counted(counts.get('older_than_days', 0), 'day')})"
        for kind in RetentionKind
        if isinstance(counts := details.get(kind.value), Mapping)
    ]
    return f"removed {', '.join(removed)}" if removed else ""


def _plain(details: Mapping[str, Any]) -> str:
    """Any other action's details (another part of Cadence records them): each key and its value."""
    return ", ".join(
        f"{key}: {json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value}"
        for key, value in details.items()
    )


DESCRIBERS: dict[AuditAction, Callable[[Mapping[str, Any]], str]] = {
    AuditAction.SETTINGS_APPLIED: _settings,
    AuditAction.GOALS_IMPORTED: _goals,
    AuditAction.ORG_IMPORTED: _org,
    AuditAction.ROLE_CHANGED: _role,
    AuditAction.STATUS_OVERRIDDEN: _status,
    AuditAction.RETENTION_APPLIED: _retention,
}


def describe(action: AuditAction, details: Mapping[str, Any]) -> str:
    return DESCRIBERS.get(action, _plain)(details) if details else ""

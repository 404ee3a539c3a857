"""Importing the org chart from a CSV file: validate everything first, then write everything.

An import is all or nothing: if any line is wrong, every problem is reported with its line
number and nothing is written, so a half-imported org chart never exists. People are matched
by email (case-insensitive), which makes a repeated import of the same file a no-op.
"""

from __future__ import annotations

import csv
import io
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

import sqlalchemy as sa
from sqlmodel import Session, col, select

from conversations.messages import Platform
from storage import people
from storage.models import Person, PersonIdentity, Role, utcnow

COLUMNS = ("email", "name", "slack_id", "teams_id", "manager_email", "team", "timezone", "role", "level")
REQUIRED_COLUMNS = ("email", "name")
EXAMPLE_HEADER = ",".join(COLUMNS)
ID_COLUMNS = {"slack_id": Platform.SLACK, "teams_id": Platform.TEAMS}
"""The org file's columns that say who a person is on a platform."""
LIMITS = {"email": 320, "name": 200, "slack_id": 32, "teams_id": 128, "team": 120, "timezone": 64, "level": 64}
_LEVEL = re.compile(r"^[a-z][a-z0-9-]*/[a-z0-9][a-z0-9-]*$")
"""A track and a level, ``engineer/senior``: what the expectations in the settings are kept by."""
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


@cache
def known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@dataclass(frozen=True)
class OrgRow:
    line: int
    email: str
    name: str
    slack_id: str | None
    teams_id: str | None
    manager_email: str | None
    team: str | None
    timezone: str | None
    role: Role | None
    level: str | None = None


@dataclass(frozen=True)
class RoleChange:
    """Someone the file gave another role (or, new, a role above member): what an audit wants to see."""

    person: Person
    old: Role | None  # None: new to Cadence
    new: Role


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[str] = field(default_factory=list)
    role_changes: list[RoleChange] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if not self.ok:
            rows = "1 row was" if self.rejected == 1 else f"{self.rejected} rows were"
            return f"nothing imported: {rows} rejected; fix the lines above and import again"
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, 0 rejected"


def _cell(record: dict[str, str | None], column: str) -> str | None:
    value = (record.get(column) or "").strip()
    return value or None


UNREADABLE = (
    "a cell here runs on for more than {limit} characters, so the file can't be read past it; "
    'most often a quoted cell is missing its closing quote, as in "Lovelace, Ada'
)


def _records(text: str) -> tuple[list[str], list[tuple[int, dict[str, str | None]]], int | None]:
    """The header, each record with its line, and the line the reading stopped at, if it did (the
    csv module refuses a cell longer than its field limit, which an unclosed quote makes)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header: list[str] = []
    records: list[tuple[int, dict[str, str | None]]] = []
    try:
        header = [name.strip().lower() for name in reader.fieldnames or []]
        reader.fieldnames = header
        for record in reader:
            records.append((reader.line_num, record))
    except csv.Error:  # the record that runs on starts on the line after the last one read
        return header, records, (records[-1][0] + 1 if records else 2) if header else 1
    return header, records, None


def parse(text: str) -> tuple[list[OrgRow], list[str], set[int]]:
    """Rows, problems (each naming its line) and the lines that had problems."""
    header, records, stopped_at = _records(text)
    unreadable = [f"line {stopped_at}: " + UNREADABLE.format(limit=csv.field_size_limit())] if stopped_at else []
    if not header:
        if unreadable:
            return [], unreadable, {1}
        return [], [f"line 1: the file is empty; the first line must be the header {EXAMPLE_HEADER}"], {1}
    unknown = [name for name in header if name not in COLUMNS]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if unknown or missing:
        problem = f"unknown column {unknown[0]!r}" if unknown else f"missing column {missing[0]!r}"
        return [], [f"line 1: {problem}; the header must use these columns: {EXAMPLE_HEADER}"], {1}
    rows: list[OrgRow] = []
    errors: list[str] = unreadable
    bad_lines: set[int] = {stopped_at} if stopped_at else set()
    first_line_of: dict[str, int] = {}
    for line, record in records:
        if None in record:
            errors.append(f"line {line}: more cells than the header has columns; quote cells that contain commas")
            bad_lines.add(line)
            continue
        if not any((value or "").strip() for value in record.values()):
            continue
        problems = []
        email = (_cell(record, "email") or "").lower()
        name = _cell(record, "name")
        if not _EMAIL.match(email):
            problems.append(f"{email or 'an empty cell'!r} is not an email address, e.g. ada@example.com")
        elif email in first_line_of:
            problems.append(f"{email} is already on line {first_line_of[email]}; list each person once")
        else:
            first_line_of[email] = line
        if not name:
            problems.append("the name is empty; give the person's display name, e.g. Ada Lovelace")
        for column, limit in LIMITS.items():
            value = _cell(record, column) or ""
            if len(value) > limit:
                problems.append(f"the {column} is {len(value)} characters long; keep it to {limit}")
        timezone = _cell(record, "timezone")
        if timezone and timezone not in known_timezones():
            problems.append(f"unknown time zone {timezone!r}; use an IANA name such as Europe/Berlin")
        role_text = (_cell(record, "role") or "").lower()
        if role_text and role_text not in {role.value for role in Role}:
            problems.append(f"unknown role {role_text!r}; use member, manager or admin")
        level = (_cell(record, "level") or "").lower() or None
        if level is not None and not _LEVEL.match(level):
            problems.append(f"{level!r} is not a level; write the track and the level, e.g. engineer/senior")
        manager_email = (_cell(record, "manager_email") or "").lower() or None
        if manager_email is not None and manager_email == email:
            problems.append(f"{email} can't be their own manager; leave manager_email empty for the top of the tree")
        if problems:
            errors.extend(f"line {line}: {problem}" for problem in problems)
            bad_lines.add(line)
            continue
        rows.append(
            OrgRow(
                line=line,
                email=email,
                name=name or email,
                slack_id=_cell(record, "slack_id"),
                teams_id=_cell(record, "teams_id"),
                manager_email=manager_email,
                team=_cell(record, "team"),
                timezone=timezone,
                role=Role(role_text) if role_text else None,
                level=level,
            )
        )
    return rows, errors, bad_lines


def _check_against_org(
    rows: list[OrgRow], existing: dict[str, Person], owners: dict[tuple[Platform, str], str]
) -> list[tuple[int, str]]:
    """Problems that need the whole org: unknown managers, loops in the chain, ids taken by others."""
    problems: list[tuple[int, str]] = []
    by_email = {row.email: row for row in rows}
    manager_of: dict[str, str | None] = {}
    by_id = {person.id: person for person in existing.values()}
    for email, person in existing.items():
        manager = by_id.get(person.manager_id)
        manager_of[email] = manager.email.lower() if manager and manager.email else None
    for row in rows:
        manager_of[row.email] = row.manager_email
        if row.manager_email and row.manager_email not in by_email and row.manager_email not in existing:
            problems.append(
                (
                    row.line,
                    f"manager {row.manager_email} is not in this file or in Cadence; add them or leave manager_email empty",
                )
            )
    reported: set[str] = set()
    for row in rows:
        chain = [row.email]
        current = manager_of.get(row.email)
        while current is not None and current not in chain:
            chain.append(current)
            current = manager_of.get(current)
        if current is not None and row.email not in reported:
            loop = [*chain[chain.index(current) :], current]
            if row.email in loop:
                reported.update(loop)
                problems.append(
                    (row.line, f"the manager chain loops: {' -> '.join(loop)}; one of them needs another manager")
                )
    for column, platform in ID_COLUMNS.items():
        owner_by_id = {external_id: email for (kind, external_id), email in owners.items() if kind is platform}
        seen: dict[str, OrgRow] = {}
        for row in rows:
            value = getattr(row, column)
            if value is None:
                continue
            if value in seen:
                problems.append(
                    (row.line, f"{column} {value} is already used on line {seen[value].line}; ids must be unique")
                )
            owner = owner_by_id.get(value)
            owner_keeps_it = (owner in by_email and getattr(by_email[owner], column) is None) or owner not in by_email
            if owner is not None and owner != row.email and owner_keeps_it:
                problems.append((row.line, f"{column} {value} already belongs to {owner}; ids must be unique"))
            seen[value] = row
    return problems


def import_org(session: Session, workspace_id: int, text: str) -> ImportReport:
    """Validate ``text`` as a whole and, only if it is all valid, upsert every row."""
    rows, errors, bad_lines = parse(text)
    existing = {
        person.email.lower(): person
        for person in session.exec(select(Person).where(Person.workspace_id == workspace_id))
        if person.email
    }
    email_of = {person.id: email for email, person in existing.items()}
    owners = {
        key: email_of[person_id]
        for key, person_id in people.workspace_identities(session, workspace_id).items()
        if person_id in email_of
    }
    for line, problem in _check_against_org(rows, existing, owners):
        errors.append(f"line {line}: {problem}")
        bad_lines.add(line)
    if errors:
        errors.sort(key=lambda message: int(message.split(":", 1)[0].removeprefix("line ")))
        return ImportReport(rejected=len(bad_lines), errors=errors)
    return _write(session, workspace_id, rows, existing)


def _write_identities(session: Session, workspace_id: int, wanted: list[tuple[Person, Platform, str]]) -> set[int]:
    """Give each person the platform id the file names, in two statements however large the file:
    every identity row that must change is deleted, then the new ones inserted, so ids moving
    between people in one import never collide on the way. Whoever held a named id before gives it
    up (the file was checked first so that nobody keeps one twice). Returns the ids of the people
    whose identities changed (as ``people.set_identity`` one at a time, which cost three
    statements a person: 65 s of a 10,000-person import on PostgreSQL)."""
    current = session.exec(select(PersonIdentity).where(PersonIdentity.workspace_id == workspace_id)).all()
    by_person = {(identity.person_id, identity.platform): identity for identity in current}
    by_id = {(identity.platform, identity.external_id): identity for identity in current}
    stale: dict[int, PersonIdentity] = {}
    fresh: list[dict] = []
    changed: set[int] = set()
    for person, platform, external_id in wanted:
        assert person.id is not None
        own = by_person.get((person.id, platform))
        if own is not None and own.external_id == external_id and own.id not in stale:
            continue
        holder = by_id.get((platform, external_id))
        for gone in (holder, own):
            if gone is not None and gone.id is not None:
                stale[gone.id] = gone
        fresh.append(
            {"workspace_id": workspace_id, "person_id": person.id, "platform": platform, "external_id": external_id}
        )
        changed.add(person.id)
    if stale:
        session.execute(sa.delete(PersonIdentity).where(col(PersonIdentity.id).in_(list(stale))))
        for identity in stale.values():
            session.expunge(identity)
    if fresh:
        session.execute(sa.insert(PersonIdentity), fresh)
    return changed


def _write(session: Session, workspace_id: int, rows: Iterable[OrgRow], existing: dict[str, Person]) -> ImportReport:
    rows = list(rows)
    report = ImportReport()
    teams = people.ensure_teams(session, workspace_id, {row.team for row in rows if row.team})
    now = utcnow()
    touched: dict[str, tuple[Person, bool, bool]] = {}
    for row in rows:
        person = existing.get(row.email)
        is_new = person is None
        if person is None:
            person = Person(workspace_id=workspace_id, email=row.email, display_name=row.name, created_at=now)
            existing[row.email] = person
        wanted = {
            "display_name": row.name,
            "team_id": teams[row.team].id if row.team else None,
            "timezone": row.timezone or person.timezone or "UTC",
            "timezone_from_org_file": bool(row.timezone) or bool(person.timezone_from_org_file),
            "role": row.role or person.role or Role.MEMBER,
            "level": row.level or person.level,  # an empty cell keeps the level Cadence has
        }
        changed = is_new or any(getattr(person, key) != value for key, value in wanted.items())
        old_role = None if is_new else person.role
        if old_role != wanted["role"] and (old_role is not None or wanted["role"] is not Role.MEMBER):
            report.role_changes.append(RoleChange(person, old_role, wanted["role"]))
        for key, value in wanted.items():
            setattr(person, key, value)
        session.add(person)
        touched[row.email] = (person, is_new, changed)
    session.flush()
    identities_changed = _write_identities(
        session,
        workspace_id,
        [
            (touched[row.email][0], platform, external_id)
            for row in rows
            for column, platform in ID_COLUMNS.items()
            if (external_id := getattr(row, column))  # an empty cell keeps what Cadence knows (the Slack sync's)
        ],
    )
    for row in rows:
        person, is_new, changed = touched[row.email]
        changed = person.id in identities_changed or changed
        manager_id = existing[row.manager_email].id if row.manager_email else None
        if person.manager_id != manager_id:
            person.manager_id = manager_id
            changed = True
        if changed:
            person.updated_at = now
            session.add(person)
        if is_new:
            report.created += 1
        elif changed:
            report.updated += 1
        else:
            report.unchanged += 1
    session.flush()
    return report

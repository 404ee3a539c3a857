"""Goals as code: a goal tree in YAML, kept in git, loaded with ``cadence goals import``.

A goal with an ``id`` (``G-12``) updates that goal; one without is created. Children listed
under a goal are aligned to it and share its period unless they name their own (it must be the
same). A goal at the top of the file keeps the parent it has, or names one with ``parent: G-3``. Key results work the same way with ``KR-`` ids. The whole file is checked first, with
the key path of every problem, and then written in one unit of work, or not at all.
Key results missing from the file are kept: history is never deleted by an import.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlmodel import Session, col, select

from conversations.goal_progress import parse_period
from conversations.goals import parse_ref
from conversations.workspace_settings import SettingError
from storage import goals as goal_store
from storage.models import Goal, GoalKind, GoalLevel, GoalState, KeyResult, MetricKind, Person, Team


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KeyResultSpec(Strict):
    id: str | None = None
    title: Annotated[str, Field(min_length=1, max_length=300)]
    metric: Literal["number", "percent", "currency", "boolean"] = "number"
    start: float = 0.0
    target: float = 1.0
    current: float | None = None
    unit: Annotated[str, Field(max_length=24)] = ""
    weight: Annotated[float, Field(gt=0)] = 1.0

    @model_validator(mode="after")
    def _moves(self) -> KeyResultSpec:
        if self.metric != "boolean" and self.target == self.start:
            raise ValueError(f"target equals start ({self.start}), so it can't show progress; set a different target")
        return self


class GoalSpec(Strict):
    id: str | None = None
    title: Annotated[str, Field(min_length=1, max_length=300)]
    level: Literal["company", "team", "person"] = "person"
    owner: str | None = None
    team: str | None = None
    kind: Literal["business", "growth"] = "business"
    period: str | None = None
    description: str = ""
    state: Literal["open", "achieved", "missed", "dropped"] = "open"
    parent: str | None = None
    key_results: list[KeyResultSpec] = Field(default_factory=list)
    goals: list[GoalSpec] = Field(default_factory=list)


class GoalFile(Strict):
    period: str | None = None
    goals: list[GoalSpec] = Field(default_factory=list)


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    key_results_created: int = 0
    key_results_updated: int = 0
    errors: list[SettingError] = field(default_factory=list)


@dataclass
class Planned:
    spec: GoalSpec
    path: tuple[str | int, ...]
    period: tuple[str, date, date]
    parent: Planned | None
    existing: Goal | None = None
    owner: Person | None = None
    team: Team | None = None
    outside_parent: Goal | None = None  # a top-level goal's parent that is not in the file

    def parent_id(self) -> int | None:
        """The parent's id, when known before writing (not for new goals created by this file)."""
        if self.parent is not None:
            return self.parent.existing.id if self.parent.existing else None
        if self.outside_parent is not None:
            return self.outside_parent.id
        return self.existing.parent_id if self.existing else None


def _walk(
    specs: list[GoalSpec], path: tuple, period: str | None, parent: Planned | None
) -> Iterator[tuple[GoalSpec, tuple, str | None, Planned | None]]:
    for index, spec in enumerate(specs):
        yield spec, (*path, index), spec.period or period, parent


def plan(session: Session, workspace_id: int, data: Any, today: date) -> tuple[list[Planned], list[SettingError]]:
    """Every goal of the file checked against the database; nothing is written here."""
    try:
        document = GoalFile.model_validate(data or {})
    except ValidationError as error:
        return [], [
            SettingError(tuple(detail["loc"]), str(detail["msg"]).removeprefix("Value error, "))
            for detail in error.errors()
        ]
    errors: list[SettingError] = []
    people = {
        person.email.lower(): person
        for person in session.exec(select(Person).where(Person.workspace_id == workspace_id))
        if person.email
    }
    teams = {team.name: team for team in session.exec(select(Team).where(Team.workspace_id == workspace_id))}
    goals = {goal.number: goal for goal in session.exec(select(Goal).where(Goal.workspace_id == workspace_id))}
    key_results = {
        kr.number: kr for kr in session.exec(select(KeyResult).where(KeyResult.workspace_id == workspace_id))
    }
    planned: list[Planned] = []
    seen_goals: dict[int, tuple] = {}
    seen_key_results: dict[int, tuple] = {}
    pending = list(_walk(document.goals, ("goals",), document.period, None))
    while pending:
        spec, path, period_text, parent = pending.pop(0)
        period = parse_period(period_text or "") if period_text else None
        if period is None:
            errors.append(
                SettingError(
                    (*path, "period"), f'"{period_text or ""}" is not a period; write it like 2026-Q4, 2026-H1 or 2026'
                )
            )
            continue
        item = Planned(spec, path, period, parent)
        if spec.id is not None:
            ref = parse_ref(spec.id)
            if ref is None or ref[0] != "G" or ref[1] not in goals:
                errors.append(
                    SettingError((*path, "id"), f"there is no goal {spec.id}; leave the id out to create a new goal")
                )
                continue
            if ref[1] in seen_goals:
                errors.append(SettingError((*path, "id"), f"{spec.id} is listed twice; list each goal once"))
                continue
            seen_goals[ref[1]] = path
            item.existing = goals[ref[1]]
        elif period[2] < today:
            errors.append(
                SettingError((*path, "period"), f"{period[0]} has ended; new goals need a current or coming period")
            )
        if spec.parent is not None:
            ref = parse_ref(spec.parent)
            if parent is not None:
                errors.append(
                    SettingError((*path, "parent"), "a goal listed under another is aligned to it; remove parent here")
                )
            elif ref is None or ref[0] != "G" or ref[1] not in goals:
                errors.append(SettingError((*path, "parent"), f"there is no goal {spec.parent} to align to"))
            else:
                item.outside_parent = goals[ref[1]]
        parent_period = (
            parent.period[0] if parent is not None else item.outside_parent.period if item.outside_parent else None
        )
        if parent_period is not None and parent_period != period[0]:
            message = f"{period[0]} differs from its parent's {parent_period}; aligned goals share a period"
            errors.append(SettingError((*path, "period"), message))
        if spec.owner is not None:
            item.owner = people.get(spec.owner.lower())
            if item.owner is None:
                errors.append(
                    SettingError(
                        (*path, "owner"), f"nobody has the email {spec.owner}; import the org first or fix the address"
                    )
                )
        elif spec.level == "person":
            errors.append(
                SettingError((*path, "owner"), "a person's goal needs an owner, for example owner: ada@example.com")
            )
        if spec.team is not None:
            item.team = teams.get(spec.team)
            if item.team is None:
                errors.append(
                    SettingError((*path, "team"), f"there is no team {spec.team!r}; teams come from the org file")
                )
        elif spec.level == "team":
            errors.append(SettingError((*path, "team"), "a team goal names its team, for example team: Platform"))
        for index, kr in enumerate(spec.key_results):
            if kr.id is None:
                continue
            ref = parse_ref(kr.id)
            if ref is None or ref[0] != "KR" or ref[1] not in key_results:
                errors.append(
                    SettingError(
                        (*path, "key_results", index, "id"),
                        f"there is no key result {kr.id}; leave the id out to add one",
                    )
                )
            elif ref[1] in seen_key_results:
                errors.append(SettingError((*path, "key_results", index, "id"), f"{kr.id} is listed twice"))
            elif item.existing is not None and key_results[ref[1]].goal_id != item.existing.id:
                errors.append(SettingError((*path, "key_results", index, "id"), f"{kr.id} belongs to another goal"))
            else:
                seen_key_results[ref[1]] = path
        planned.append(item)
        pending.extend(_walk(spec.goals, (*path, "goals"), period[0], item))
    errors.extend(_cycles(planned, goals))
    return planned, errors


def _cycles(planned: list[Planned], goals: dict[int, Goal]) -> list[SettingError]:
    """A goal may not end up under itself, through the file or through goals already stored."""
    parent_of = {goal.id: goal.parent_id for goal in goals.values()}
    for item in planned:
        if item.existing is not None:
            parent_of[item.existing.id] = item.parent_id()
    errors = []
    for item in planned:
        if item.existing is None:
            continue
        seen, current = {item.existing.id}, parent_of.get(item.existing.id)
        while current is not None:
            if current in seen:
                errors.append(
                    SettingError((*item.path, "id"), f"{item.spec.id} would end up under itself; move one of them")
                )
                break
            seen.add(current)
            current = parent_of.get(current)
    return errors


def import_goals(session: Session, workspace_id: int, data: Any, now: datetime, today: date) -> ImportReport:
    planned, errors = plan(session, workspace_id, data, today)
    if errors:
        return ImportReport(errors=errors)
    report = ImportReport()
    next_goal, next_kr = goal_store.next_numbers(session, workspace_id)
    written: dict[int, Goal] = {}
    for item in planned:  # parents come before their children
        goal = item.existing
        if goal is None:
            goal = Goal(workspace_id=workspace_id, number=next_goal, title=item.spec.title, level=GoalLevel(item.spec.level),
                        period=item.period[0], starts_on=item.period[1], ends_on=item.period[2], created_at=now)  # fmt: skip
            next_goal += 1
            report.created += 1
        else:
            report.updated += 1
        goal.title = item.spec.title
        goal.level = GoalLevel(item.spec.level)
        goal.kind = GoalKind(item.spec.kind)
        goal.description = item.spec.description
        goal.period, goal.starts_on, goal.ends_on = item.period
        goal.owner_id = item.owner.id if item.owner else goal.owner_id
        goal.team_id = item.team.id if item.team else (goal.team_id if item.spec.level == "team" else None)
        goal.parent_id = written[id(item.parent)].id if item.parent is not None else item.parent_id()
        goal.state = GoalState(item.spec.state)
        goal.updated_at = now
        session.add(goal)
        session.flush()
        written[id(item)] = goal
        for kr_spec in item.spec.key_results:
            kr = (
                session.exec(
                    select(KeyResult).where(
                        KeyResult.workspace_id == workspace_id, KeyResult.number == parse_ref(kr_spec.id)[1]
                    )
                ).one()
                if kr_spec.id
                else None
            )
            fields = kr_spec.model_dump(exclude={"id"})
            fields["current"] = (
                kr_spec.current if kr_spec.current is not None else (kr.current_value if kr else kr_spec.start)
            )
            if kr is None:
                goal_store.add_key_result(session, goal, {**fields, "number": next_kr}, now)
                next_kr += 1
                report.key_results_created += 1
            else:
                kr.title, kr.metric, kr.unit, kr.weight = (
                    kr_spec.title,
                    MetricKind(kr_spec.metric),
                    kr_spec.unit,
                    kr_spec.weight,
                )
                kr.start_value, kr.target_value, kr.current_value = kr_spec.start, kr_spec.target, fields["current"]
                kr.progress = goal_store.key_result_progress(
                    kr.metric.value, kr.start_value, kr.target_value, kr.current_value
                )
                kr.updated_at = now
                session.add(kr)
                report.key_results_updated += 1
        session.flush()
    for goal in reversed(list(written.values())):  # children first, so parents see fresh progress
        goal_store.recompute(session, goal.id, now)
    return report


def export_goals(session: Session, workspace_id: int, period: str | None = None) -> dict[str, Any]:
    """The goal tree as the import reads it, with ids, so an edited export can be imported back."""
    query = select(Goal).where(Goal.workspace_id == workspace_id).order_by(Goal.number)
    if period is not None:
        query = query.where(Goal.period == period)
    goals = session.exec(query).all()
    ids = {goal.id for goal in goals}
    owners = {
        person.id: person.email
        for person in session.exec(select(Person).where(col(Person.id).in_([g.owner_id for g in goals if g.owner_id])))
    }
    teams = {team.id: team.name for team in session.exec(select(Team).where(Team.workspace_id == workspace_id))}
    krs = goal_store.key_results_by_goal(session, [goal.id for goal in goals])
    children: dict[int | None, list[Goal]] = {}
    for goal in goals:
        children.setdefault(goal.parent_id if goal.parent_id in ids else None, []).append(goal)

    numbers = {goal.id: goal.number for goal in session.exec(select(Goal).where(Goal.workspace_id == workspace_id))}

    def spec(goal: Goal) -> dict[str, Any]:
        entry: dict[str, Any] = {"id": f"G-{goal.number}", "title": goal.title, "level": goal.level.value}
        if goal.parent_id is not None and goal.parent_id not in ids:
            entry["parent"] = f"G-{numbers[goal.parent_id]}"
        if goal.owner_id in owners:
            entry["owner"] = owners[goal.owner_id]
        if goal.team_id in teams:
            entry["team"] = teams[goal.team_id]
        entry |= {"kind": goal.kind.value, "period": goal.period}
        if goal.description:
            entry["description"] = goal.description
        if goal.state is not GoalState.OPEN:
            entry["state"] = goal.state.value
        entry["key_results"] = [
            {
                "id": f"KR-{kr.number}",
                "title": kr.title,
                "metric": kr.metric.value,
                "start": kr.start_value,
                "target": kr.target_value,
                "current": kr.current_value,
                "unit": kr.unit,
                "weight": kr.weight,
            }
            for kr in krs[goal.id]
        ]
        if children.get(goal.id):
            entry["goals"] = [spec(child) for child in children[goal.id]]
        return entry

    return {"goals": [spec(goal) for goal in children.get(None, [])]}

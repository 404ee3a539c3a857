"""Goals as code: a goal tree in YAML, kept in git, loaded with ``cadence goals import``.

A goal with an ``id`` (``G-12``) updates that goal. One without is matched to a stored goal with
the same title (ignoring case and spacing), owner and period, so importing a file twice never
makes twins; only when none matches is it created. Key results work the same way: a ``KR-`` id,
or else, under a goal that already exists, the same title. Children listed under a goal are
aligned to it and share its period unless they name their own (it must be the same). A goal at
the top of the file keeps the parent it has, or names one with ``parent: G-3``.

The whole file is checked first and every problem reported in one run, with its key path: a
field the file got wrong is reported and left out of the checks that need it, while the rest of
that goal (and the goals under it) is still checked. Then everything is written in one unit of
work, or nothing. Key results missing from the file are kept: history is never deleted by an import.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session, col, select

from conversations.commands import suggestion
from conversations.goal_progress import parse_period
from conversations.goals import parse_ref
from conversations.numbers import counted
from conversations.validation_words import KeyPath, SettingError, describe_errors, unknown_team
from conversations.workspace_settings import Figure, load_settings
from storage import goals as goal_store
from storage.models import Goal, GoalKind, GoalLevel, GoalState, KeyResult, MetricKind, Person, Team, Workspace


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KeyResultSpec(Strict):
    """One key result as written; the rule that it must move (target ≠ start) is checked in ``plan``."""

    id: str | None = None
    title: Annotated[str, Field(min_length=1, max_length=300)]
    metric: Literal["number", "percent", "currency", "boolean"] = "number"
    start: Figure = 0.0
    target: Figure = 1.0
    current: Figure | None = None
    unit: Annotated[str, Field(max_length=24)] = ""
    weight: Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)] = 1.0


class GoalSpec(Strict):
    id: str | None = None
    title: Annotated[str, Field(min_length=1, max_length=300)]
    level: Literal["company", "team", "person"] = "person"
    owner: str | None = None
    team: str | None = None
    kind: Literal["business", "growth"] = "business"
    skill: str | None = None
    """The skill a growth goal grows, from the settings' ``skills``."""
    period: str | None = None
    description: str = ""
    state: Literal["open", "achieved", "missed", "dropped"] = "open"
    parent: str | None = None
    key_results: list[KeyResultSpec] = Field(default_factory=list)
    goals: list[GoalSpec] = Field(default_factory=list)


class GoalFile(Strict):
    period: str | None = None
    goals: list[GoalSpec] = Field(default_factory=list)


GOAL_EXAMPLES = {
    "period": "period: 2026-Q4",
    "goals": "goals: [{title: Grow revenue, owner: ada@example.com}]",
    "goals[]": "{title: Grow revenue, owner: ada@example.com}",
    "id": "id: G-12",
    "title": "title: Grow revenue",
    "owner": "owner: ada@example.com",
    "team": "team: Platform",
    "parent": "parent: G-3",
    "description": 'description: "Why this goal matters"',
    "key_results": "key_results: [{title: Signups, start: 0, target: 200}]",
    "key_results[]": "{title: Signups, start: 0, target: 200}",
    "key_results[].title": "title: Signups",
    "key_results[].id": "id: KR-34",
    "start": "start: 0",
    "target": "target: 200",
    "current": "current: 50",
    "unit": "unit: EUR",
    "weight": "weight: 1",
    "skill": "skill: mentoring",
    "kind": "kind: growth",
}
"""A snippet to copy for each key (``key[]``: one item of that list), used in error messages."""

NOT_A_MAPPING = (
    "a goals file is a mapping with a period and a list of goals, for example period: 2026-Q4 "
    "and goals: [{title: Grow revenue, owner: ada@example.com}]"
)
UNREADABLE_TITLE = "(unreadable title)"  # stands in for a title already reported; never written

Spec = TypeVar("Spec", bound=BaseModel)


@dataclass
class ReadKeyResult:
    spec: KeyResultSpec
    path: KeyPath
    unreadable: frozenset[str]  # fields the file got wrong: reported, and left out of the other checks

    def readable(self, *names: str) -> bool:
        return not self.unreadable.intersection(names)


@dataclass
class ReadGoal:
    spec: GoalSpec  # its own fields; key results and children are read one by one, below
    path: KeyPath
    unreadable: frozenset[str]
    key_results: list[ReadKeyResult]
    children: list[ReadGoal]

    def readable(self, *names: str) -> bool:
        return not self.unreadable.intersection(names)


def _read_fields(
    model: type[Spec], raw: Any, path: KeyPath, name: str
) -> tuple[Spec | None, frozenset[str], list[SettingError]]:
    """One mapping of the file read as ``model``: the fields it got wrong are reported and take their defaults.

    None when ``raw`` is not a mapping at all. ``name`` is what the file calls it (``goals[]``).
    """
    try:
        return model.model_validate(raw), frozenset(), []
    except ValidationError as error:
        details = error.errors()
    problems = describe_errors(details, model, prefix=path, examples=GOAL_EXAMPLES, key_noun="key", root_name=name)
    if not isinstance(raw, dict):
        return None, frozenset(), problems
    unreadable = frozenset(str(detail["loc"][0]) for detail in details if detail["loc"])
    kept = {key: value for key, value in raw.items() if key in model.model_fields and key not in unreadable}
    if "title" in unreadable:
        kept["title"] = UNREADABLE_TITLE
    return model.model_validate(kept), unreadable, problems


def _listed(raw: Any, key: str) -> list[Any]:
    value = raw.get(key) if isinstance(raw, dict) else None
    return value if isinstance(value, list) else []


def _without_lists(raw: Any, *keys: str) -> Any:
    """``raw`` with the lists under ``keys`` emptied, to read them item by item (anything else stays, to be refused)."""
    if not isinstance(raw, dict):
        return raw
    return {key: [] if key in keys and isinstance(value, list) else value for key, value in raw.items()}


def _read_goal(raw: Any, path: KeyPath) -> tuple[ReadGoal | None, list[SettingError]]:
    spec, unreadable, problems = _read_fields(GoalSpec, _without_lists(raw, "goals", "key_results"), path, "goals[]")
    if spec is None:
        return None, problems
    key_results = []
    for index, item in enumerate(_listed(raw, "key_results")):
        kr_path = (*path, "key_results", index)
        kr_spec, kr_unreadable, kr_problems = _read_fields(KeyResultSpec, item, kr_path, "key_results[]")
        problems += kr_problems
        if kr_spec is not None:
            key_results.append(ReadKeyResult(kr_spec, kr_path, kr_unreadable))
    children = []
    for index, item in enumerate(_listed(raw, "goals")):
        child, child_problems = _read_goal(item, (*path, "goals", index))
        problems += child_problems
        if child is not None:
            children.append(child)
    return ReadGoal(spec, path, unreadable, key_results, children), problems


class _Unknown:
    """A period that can't be known because the file got it wrong (already reported)."""


UNKNOWN_PERIOD = _Unknown()


def read_goal_file(data: Any) -> tuple[str | _Unknown | None, list[ReadGoal], list[SettingError]]:
    """The file's period and goal tree, read as far as it can be, and every problem of its shape."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, [], [SettingError((), NOT_A_MAPPING)]
    document, unreadable, problems = _read_fields(GoalFile, _without_lists(data, "goals"), (), "")
    assert document is not None
    goals = []
    for index, item in enumerate(_listed(data, "goals")):
        goal, goal_problems = _read_goal(item, ("goals", index))
        problems += goal_problems
        if goal is not None:
            goals.append(goal)
    return (UNKNOWN_PERIOD if "period" in unreadable else document.period), goals, problems


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    matched: int = 0  # of the updated goals, those found by title, owner and period rather than by id
    key_results_created: int = 0
    key_results_updated: int = 0
    key_results_matched: int = 0  # of the updated key results, those found by title
    errors: list[SettingError] = field(default_factory=list)

    def summary(self) -> str:
        goals = f"{counted(self.created, 'goal')} created, {self.updated} updated"
        if self.matched:
            goals += f" ({self.matched} matched by title, owner and period)"
        key_results = f"{counted(self.key_results_created, 'key result')} created, {self.key_results_updated} updated"
        if self.key_results_matched:
            key_results += f" ({self.key_results_matched} matched by title)"
        return f"{goals}; {key_results}"


@dataclass
class PlannedKeyResult:
    spec: KeyResultSpec
    existing: KeyResult | None = None
    matched_by_title: bool = False


@dataclass
class Planned:
    spec: GoalSpec
    path: KeyPath
    period: tuple[str, date, date] | None  # None only when the file got it wrong (then nothing is written)
    parent: Planned | None
    existing: Goal | None = None
    matched_by_title: bool = False
    owner: Person | None = None
    team: Team | None = None
    outside_parent: Goal | None = None  # a top-level goal's parent that is not in the file
    key_results: list[PlannedKeyResult] = field(default_factory=list)

    def parent_id(self) -> int | None:
        """The parent's id, when known before writing (not for new goals created by this file)."""
        if self.parent is not None:
            return self.parent.existing.id if self.parent.existing else None
        if self.outside_parent is not None:
            return self.outside_parent.id
        return self.existing.parent_id if self.existing else None


def same_title(title: str) -> str:
    """Titles as matching compares them: case and spacing don't make a different goal."""
    return " ".join(title.split()).casefold()


@dataclass
class _Stored:
    """What the workspace already has, looked up once for the whole file."""

    people: dict[str, Person]  # by lowercase email
    teams: dict[str, Team]
    goals: dict[int, Goal]  # by number
    key_results: dict[int, KeyResult]  # by number
    skills: tuple[str, ...] = ()  # the settings' skill slugs

    @classmethod
    def load(cls, session: Session, workspace_id: int) -> _Stored:
        workspace = session.get(Workspace, workspace_id)
        return cls(
            skills=tuple(skill.slug for skill in load_settings(workspace.settings).skills) if workspace else (),
            people={
                person.email.lower(): person
                for person in session.exec(select(Person).where(Person.workspace_id == workspace_id))
                if person.email
            },
            teams={team.name: team for team in session.exec(select(Team).where(Team.workspace_id == workspace_id))},
            goals={goal.number: goal for goal in session.exec(select(Goal).where(Goal.workspace_id == workspace_id))},
            key_results={
                kr.number: kr for kr in session.exec(select(KeyResult).where(KeyResult.workspace_id == workspace_id))
            },
        )

    def goal_like(self, title: str, owner_id: int | None, period: str, taken: set[int]) -> Goal | None:
        """The stored goal an id-less goal of the file stands for (the oldest, if earlier imports made twins)."""
        return next(
            (
                goal
                for number, goal in sorted(self.goals.items())
                if number not in taken
                and same_title(goal.title) == title
                and goal.owner_id == owner_id
                and goal.period == period
            ),
            None,
        )

    def key_result_like(self, goal: Goal, title: str, taken: set[int]) -> KeyResult | None:
        return next(
            (
                kr
                for number, kr in sorted(self.key_results.items())
                if number not in taken and kr.goal_id == goal.id and same_title(kr.title) == title
            ),
            None,
        )


def _ref_number(text: str | None, letter: str) -> int | None:
    ref = parse_ref(text) if text else None
    return ref[1] if ref is not None and ref[0] == letter else None


def _all_goals(goals: list[ReadGoal]) -> Iterator[ReadGoal]:
    for goal in goals:
        yield goal
        yield from _all_goals(goal.children)


def plan(session: Session, workspace_id: int, data: Any, today: date) -> tuple[list[Planned], list[SettingError]]:
    """Every goal of the file checked against the database; nothing is written here."""
    file_period, tree, errors = read_goal_file(data)
    stored = _Stored.load(session, workspace_id)
    # Goals and key results the file names by id are theirs: no id-less entry may match them by title.
    taken_goals = {
        number
        for goal in _all_goals(tree)
        if goal.readable("id") and (number := _ref_number(goal.spec.id, "G")) is not None
    }
    taken_key_results = {
        number
        for goal in _all_goals(tree)
        for kr in goal.key_results
        if kr.readable("id") and (number := _ref_number(kr.spec.id, "KR")) is not None
    }
    planned: list[Planned] = []
    seen_goals: set[int] = set()
    seen_key_results: set[int] = set()
    titles_in_file: set[tuple[str, int | None, str]] = set()
    pending: list[tuple[ReadGoal, str | _Unknown | None, Planned | None]] = [(goal, file_period, None) for goal in tree]
    while pending:
        goal, inherited_period, parent = pending.pop(0)
        item = _plan_goal(goal, inherited_period, parent, stored, errors, seen_goals)
        if item.existing is None and goal.readable("id", "title", "owner") and goal.spec.id is None:
            _match_by_title(item, goal, stored, taken_goals, titles_in_file, errors)
        new = item.existing is None and goal.readable("id") and goal.spec.id is None
        if new and item.period is not None and item.period[2] < today:
            message = f"{item.period[0]} has ended; new goals need a current or coming period"
            errors.append(SettingError((*goal.path, "period"), message))
        _plan_key_results(item, goal, stored, taken_key_results, seen_key_results, errors)
        planned.append(item)
        child_period = item.period[0] if item.period else UNKNOWN_PERIOD
        pending.extend((child, child_period, item) for child in goal.children)
    errors.extend(_cycles(planned, stored.goals))
    return planned, errors


def _plan_goal(
    goal: ReadGoal,
    inherited_period: str | _Unknown | None,
    parent: Planned | None,
    stored: _Stored,
    errors: list[SettingError],
    seen_goals: set[int],
) -> Planned:
    """One goal checked field by field; a field the file got wrong is skipped (it is reported already)."""
    spec, path = goal.spec, goal.path
    period_text = UNKNOWN_PERIOD if not goal.readable("period") else spec.period or inherited_period
    period = None
    if period_text is None:
        message = "a goal needs a period; give the file one, for example period: 2026-Q4, or set it on the goal"
        errors.append(SettingError((*path, "period"), message))
    elif isinstance(period_text, str):
        period = parse_period(period_text)
        if period is None:
            message = f'"{period_text}" is not a period; write it like 2026-Q4, 2026-H1 or 2026'
            errors.append(SettingError((*path, "period"), message))
    item = Planned(spec, path, period, parent)
    if goal.readable("id") and spec.id is not None:
        number = _ref_number(spec.id, "G")
        if number is None or number not in stored.goals:
            errors.append(
                SettingError((*path, "id"), f"there is no goal {spec.id}; leave the id out to create a new goal")
            )
        elif number in seen_goals:
            errors.append(SettingError((*path, "id"), f"{spec.id} is listed twice; list each goal once"))
        else:
            seen_goals.add(number)
            item.existing = stored.goals[number]
    if goal.readable("parent") and spec.parent is not None:
        number = _ref_number(spec.parent, "G")
        if parent is not None:
            errors.append(
                SettingError((*path, "parent"), "a goal listed under another is aligned to it; remove parent here")
            )
        elif number is None or number not in stored.goals:
            errors.append(SettingError((*path, "parent"), f"there is no goal {spec.parent} to align to"))
        else:
            item.outside_parent = stored.goals[number]
    parent_period = (
        (parent.period[0] if parent.period else None)
        if parent is not None
        else item.outside_parent.period
        if item.outside_parent
        else None
    )
    if period is not None and parent_period is not None and parent_period != period[0]:
        message = f"{period[0]} differs from its parent's {parent_period}; aligned goals share a period"
        errors.append(SettingError((*path, "period"), message))
    if goal.readable("owner") and spec.owner is not None:
        item.owner = stored.people.get(spec.owner.lower())
        if item.owner is None:
            message = f"nobody has the email {spec.owner}; import the org first or fix the address"
            errors.append(SettingError((*path, "owner"), message))
    elif goal.readable("owner", "level") and spec.level == "person":
        message = "a person's goal needs an owner, for example owner: ada@example.com"
        errors.append(SettingError((*path, "owner"), message))
    if goal.readable("team") and spec.team is not None:
        item.team = stored.teams.get(spec.team)
        if item.team is None:
            errors.append(SettingError((*path, "team"), unknown_team(spec.team, stored.teams)))
    elif goal.readable("team", "level") and spec.level == "team":
        errors.append(SettingError((*path, "team"), "a team goal names its team, for example team: Platform"))
    if goal.readable("skill", "kind"):
        skill_problem = _skill_problem(spec.kind, spec.skill, stored.skills)
        if skill_problem:
            errors.append(SettingError((*path, "skill"), skill_problem))
    return item


def _skill_problem(kind: str, skill: str | None, listed: Sequence[str]) -> str | None:
    """What is wrong with a goal's skill: a growth goal names one of the listed skills; others name none."""
    if kind != "growth":
        return "only a growth goal names a skill; add kind: growth, or leave the skill out" if skill else None
    if not skill:
        example = listed[0] if listed else "mentoring"
        return f"a growth goal names the skill it grows, for example skill: {example}"
    slug = skill.strip().lstrip("~").lower()
    if slug in listed:
        return None
    close = suggestion(slug, listed)
    known = ", ".join(listed) or "none yet; list them under skills in the settings"
    return f'"{skill}" is not one of the skills ({known})' + (f'; did you mean "{close}"?' if close else "")


def _match_by_title(
    item: Planned,
    goal: ReadGoal,
    stored: _Stored,
    taken: set[int],
    titles_in_file: set[tuple[str, int | None, str]],
    errors: list[SettingError],
) -> None:
    """An id-less goal updates the stored goal with its title, owner and period, if there is one."""
    if item.period is None or (goal.spec.owner is not None and item.owner is None):
        return  # its period or owner is wrong, and reported: nothing to match on
    key = (same_title(goal.spec.title), item.owner.id if item.owner else None, item.period[0])
    if key in titles_in_file:
        message = (
            f'another goal of this file has the title "{goal.spec.title}", the same owner and period {item.period[0]}; '
            "list each goal once"
        )
        errors.append(SettingError((*goal.path, "title"), message))
        return
    titles_in_file.add(key)
    match = stored.goal_like(*key, taken)
    if match is not None:
        taken.add(match.number)
        item.existing, item.matched_by_title = match, True


def _plan_key_results(
    item: Planned,
    goal: ReadGoal,
    stored: _Stored,
    taken: set[int],
    seen: set[int],
    errors: list[SettingError],
) -> None:
    titles: set[str] = set()
    for kr in goal.key_results:
        spec, path = kr.spec, kr.path
        planned = PlannedKeyResult(spec)
        if kr.readable("metric", "start", "target") and spec.metric != "boolean" and spec.target == spec.start:
            message = f"target equals start ({spec.start:g}), so it can't show progress; set a different target"
            errors.append(SettingError(path, message))
        if kr.readable("id") and spec.id is not None:
            number = _ref_number(spec.id, "KR")
            if number is None or number not in stored.key_results:
                message = f"there is no key result {spec.id}; leave the id out to add one"
                errors.append(SettingError((*path, "id"), message))
            elif number in seen:
                errors.append(SettingError((*path, "id"), f"{spec.id} is listed twice; list each key result once"))
            elif item.existing is None or stored.key_results[number].goal_id != item.existing.id:
                errors.append(SettingError((*path, "id"), f"{spec.id} belongs to another goal"))
            else:
                seen.add(number)
                planned.existing = stored.key_results[number]
        elif kr.readable("id", "title"):
            title = same_title(spec.title)
            if title in titles:
                message = f'another key result of this goal has the title "{spec.title}"; list each key result once'
                errors.append(SettingError((*path, "title"), message))
            titles.add(title)
            match = stored.key_result_like(item.existing, title, taken) if item.existing is not None else None
            if match is not None:
                taken.add(match.number)
                planned.existing, planned.matched_by_title = match, True
        item.key_results.append(planned)


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
                message = f"G-{item.existing.number} would end up under itself; move one of them"
                errors.append(SettingError((*item.path, "id"), message))
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
        assert item.period is not None, "a goal without a period is reported, and then nothing is written"
        goal = item.existing
        if goal is None:
            goal = Goal(workspace_id=workspace_id, number=next_goal, title=item.spec.title, level=GoalLevel(item.spec.level),
                        period=item.period[0], starts_on=item.period[1], ends_on=item.period[2], created_at=now)  # fmt: skip
            next_goal += 1
            report.created += 1
        else:
            report.updated += 1
            report.matched += item.matched_by_title
        goal.title = item.spec.title
        goal.level = GoalLevel(item.spec.level)
        goal.kind = GoalKind(item.spec.kind)
        goal.skill = item.spec.skill.strip().lstrip("~").lower() if item.spec.skill else None
        goal.description = item.spec.description
        goal.period, goal.starts_on, goal.ends_on = item.period
        goal.owner_id = item.owner.id if item.owner else goal.owner_id
        goal.team_id = item.team.id if item.team else (goal.team_id if item.spec.level == "team" else None)
        goal.parent_id = written[id(item.parent)].id if item.parent is not None else item.parent_id()
        if item.existing is None or "state" in item.spec.model_fields_set:
            goal.state = GoalState(item.spec.state)  # a re-import doesn't reopen a goal closed in chat
        goal.updated_at = now
        session.add(goal)
        session.flush()
        written[id(item)] = goal
        for planned_kr in item.key_results:
            kr_spec, kr = planned_kr.spec, planned_kr.existing
            current = kr_spec.current if kr_spec.current is not None else kr_spec.start
            if kr is None:
                fields = {**kr_spec.model_dump(exclude={"id"}), "current": current, "number": next_kr}
                goal_store.add_key_result(session, goal, fields, now)
                next_kr += 1
                report.key_results_created += 1
            else:
                kr.title, kr.metric, kr.unit, kr.weight = (
                    kr_spec.title,
                    MetricKind(kr_spec.metric),
                    kr_spec.unit,
                    kr_spec.weight,
                )
                kr.start_value, kr.target_value = kr_spec.start, kr_spec.target
                kr.progress = goal_store.key_result_progress(
                    kr.metric.value, kr.start_value, kr.target_value, kr.current_value
                )
                kr.updated_at = now
                session.add(kr)
                session.flush()
                if kr_spec.id is not None and kr_spec.current is not None and kr_spec.current != kr.current_value:
                    # a value the file names its key result for: kept in the history like any update.
                    # Without an id (a key result matched by title) the file's current is where it
                    # started, and what people have reported since stands.
                    goal_store.record_key_result_update(
                        session, kr.id, author_id=None, value=kr_spec.current, confidence=None,
                        comment="set by goals import", source="import", now=now,
                    )  # fmt: skip
                report.key_results_updated += 1
                report.key_results_matched += planned_kr.matched_by_title
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
        if goal.skill:
            entry["skill"] = goal.skill
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

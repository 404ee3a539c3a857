"""Workspace settings as code: what ``cadence config apply`` accepts and what everything else reads.

Every setting has a default, so an empty file is a working configuration. Teams may override
any part of ``checkins`` and ``digest``; the effective settings for a team are the workspace
settings with the team's overrides merged in, validated as a whole.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, time
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
QuestionKind = Literal["text", "mood", "single_choice", "multiple_choice", "number", "goal_progress"]

_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_OFFSET = re.compile(r"^\+(\d+)\s*(m|h|d)$")
_NEXT_WORKDAY = re.compile(r"^next-workday\s+(\S+)$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def parse_clock(value: str) -> time:
    match = _CLOCK.match(str(value).strip())
    if match is None:
        raise ValueError(f'"{value}" is not a time of day; write it as HH:MM, for example "10:00"')
    return time(int(match.group(1)), int(match.group(2)))


def _clock(value: str) -> str:
    parsed = parse_clock(value)
    return f"{parsed.hour:02d}:{parsed.minute:02d}"


def _reminder(value: str) -> str:
    text = " ".join(str(value).split())
    if _OFFSET.match(text):
        return text
    next_workday = _NEXT_WORKDAY.match(text)
    if next_workday:
        return f"next-workday {_clock(next_workday.group(1))}"
    raise ValueError(f'"{value}" is not a reminder; use an offset such as "+4h" or "next-workday 09:00"')


def _closing(value: str) -> str:
    text = " ".join(str(value).lower().split())
    if text == "before-digest":
        return text
    day, _, clock = text.partition(" ")
    if day in WEEKDAYS and clock:
        return f"{day} {_clock(clock)}"
    raise ValueError(f'"{value}" is not a closing time; use "before-digest" or a day and time such as "monday 08:00"')


def _slug(value: str) -> str:
    text = str(value).strip().lstrip("#").lower()
    if not _SLUG.match(text):
        raise ValueError(
            f'"{value}" is not a usable name; use lowercase letters, digits and dashes, like "customer-first"'
        )
    return text


ClockTime = Annotated[str, AfterValidator(_clock)]
Reminder = Annotated[str, AfterValidator(_reminder)]
Slug = Annotated[str, AfterValidator(_slug)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


DEFAULT_MOOD_LABELS = ("Awful", "Bad", "Okay", "Good", "Great")


class Question(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
    kind: QuestionKind = "text"
    text: Annotated[str, Field(min_length=1, max_length=300)]
    required: bool = False
    options: tuple[Annotated[str, Field(min_length=1, max_length=75)], ...] = ()
    labels: tuple[str, str, str, str, str] = DEFAULT_MOOD_LABELS
    minimum: float | None = None
    maximum: float | None = None
    blocker: bool = False  # answers are blockers: the digest lists them and tracks how long they stay
    highlight: bool = False  # answers are highlights: what got done, in the digest and team summary

    @model_validator(mode="after")
    def _options_fit_kind(self) -> Question:
        if self.kind in ("single_choice", "multiple_choice") and len(self.options) < 2:
            raise ValueError(f"a {self.kind} question needs at least two options, for example options: [yes, no]")
        if self.kind not in ("single_choice", "multiple_choice") and self.options:
            raise ValueError(f"options only apply to choice questions, not to a {self.kind} question")
        if self.minimum is not None and self.maximum is not None and self.minimum >= self.maximum:
            raise ValueError("minimum must be below maximum, for example minimum: 0 and maximum: 10")
        return self


DEFAULT_QUESTIONS = (
    Question(id="mood", kind="mood", text="How was your week?", required=True),
    Question(id="done", kind="text", text="What did you get done this week?", required=True, highlight=True),
    Question(id="priorities", kind="text", text="What are your priorities for next week?", required=True),
    Question(id="blockers", kind="text", text="Is anything blocking you?", blocker=True),
    Question(id="goals", kind="goal_progress", text="How are your key results moving?"),
)


class CheckinSettings(Strict):
    day: Weekday = "friday"
    time: ClockTime = "10:00"
    reminders: tuple[Reminder, ...] = ("+4h", "next-workday 08:00")
    closes: Annotated[str, AfterValidator(_closing)] = "before-digest"
    questions: tuple[Question, ...] = DEFAULT_QUESTIONS
    notify_manager: Literal["immediately", "digest"] = "immediately"
    team_summary: bool = False
    team_channel: str | None = None

    @field_validator("questions")
    @classmethod
    def _unique_ids(cls, questions: tuple[Question, ...]) -> tuple[Question, ...]:
        if not questions:
            raise ValueError("a check-in needs at least one question")
        seen: set[str] = set()
        for question in questions:
            if question.id in seen:
                raise ValueError(f'two questions have the id "{question.id}"; give each question its own id')
            seen.add(question.id)
        return questions

    @model_validator(mode="after")
    def _summary_needs_channel(self) -> CheckinSettings:
        if self.team_summary and not self.team_channel:
            raise ValueError('team_summary needs a team_channel to post to, for example team_channel: "#platform"')
        return self


class DigestSettings(Strict):
    day: Weekday = "monday"
    time: ClockTime = "09:00"
    mood_drop: Annotated[float, Field(gt=0, le=4)] = 1.0
    no_kudos_days: Annotated[int, Field(ge=1, le=365)] = 30
    stale_goal_weeks: Annotated[int, Field(ge=1, le=52)] = 2


class CompanyValueSetting(Strict):
    slug: Slug
    label: str = ""
    description: Annotated[str, Field(max_length=500)] = ""


def _value_from_text(value: Any) -> Any:
    return {"slug": value} if isinstance(value, str) else value


class KudosSettings(Strict):
    channel: str | None = None
    post_in_origin_channel: bool = False
    emojis: tuple[Annotated[str, AfterValidator(lambda name: str(name).strip(":").lower())], ...] = ("clap",)
    daily_allowance: Annotated[int, Field(ge=1, le=100)] = 5
    values: tuple[Annotated[CompanyValueSetting, Field()], ...] = ()
    require_value: bool = False
    leaderboard: bool = True

    @field_validator("values", mode="before")
    @classmethod
    def _values_may_be_plain_names(cls, values: Any) -> Any:
        return [_value_from_text(value) for value in values] if isinstance(values, list | tuple) else values

    @model_validator(mode="after")
    def _values_for_requirement(self) -> KudosSettings:
        if self.require_value and not self.values:
            raise ValueError("require_value needs company values, for example values: [ownership, customer-first]")
        return self


class GoalSettings(Strict):
    personal_goals_public: bool = False


class TeamOverride(Strict):
    checkins: dict[str, Any] = Field(default_factory=dict)
    digest: dict[str, Any] = Field(default_factory=dict)


class WorkspaceSettings(Strict):
    checkins: CheckinSettings = CheckinSettings()
    digest: DigestSettings = DigestSettings()
    kudos: KudosSettings = KudosSettings()
    goals: GoalSettings = GoalSettings()
    anonymity_threshold: Annotated[int, Field(ge=2, le=100)] = 5
    holidays: tuple[date, ...] = ()
    templates_dir: str | None = None
    teams: dict[str, TeamOverride] = Field(default_factory=dict)

    def for_team(self, team: str | None) -> WorkspaceSettings:
        """The settings a member of ``team`` lives by: the workspace's, with the team's overrides."""
        override = self.teams.get(team or "")
        return self if override is None else WorkspaceSettings.model_validate(self.merged_with(override))

    def merged_with(self, override: TeamOverride) -> dict[str, Any]:
        merged = self.model_dump(mode="json")
        for section in ("checkins", "digest"):
            merged[section] = {**merged[section], **getattr(override, section)}
        return merged


@dataclass(frozen=True)
class SettingError:
    """One problem in a settings file: where (a path of keys and list positions) and what to change."""

    path: tuple[str | int, ...]
    message: str

    @property
    def where(self) -> str:
        return ".".join(str(part) for part in self.path) or "(top level)"


def _known_keys(path: tuple[str | int, ...]) -> list[str]:
    model: Any = WorkspaceSettings
    for part in path[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        annotation = field.annotation if field else None
        model = _model_in(annotation)
    return sorted(model.model_fields) if model is not None and hasattr(model, "model_fields") else []


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in getattr(annotation, "__args__", ()):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


def _errors(error: ValidationError, prefix: tuple[str | int, ...] = ()) -> list[SettingError]:
    found = []
    for detail in error.errors():
        path = prefix + tuple(part for part in detail["loc"] if not str(part).startswith("function-"))
        if detail["type"] == "extra_forbidden":
            known = ", ".join(_known_keys(path[len(prefix) :]))
            message = f"unknown setting; the settings allowed here are: {known}"
        else:
            message = str(detail["msg"]).removeprefix("Value error, ")
        found.append(SettingError(path, message))
    return found


def validate_settings(data: Any) -> tuple[WorkspaceSettings | None, list[SettingError]]:
    """Validate a whole settings document, team overrides included; errors carry their key path."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, [
            SettingError((), "the settings file must be a mapping of keys, for example checkins: {day: friday}")
        ]
    problems: list[SettingError] = []
    settings = None
    try:
        settings = WorkspaceSettings.model_validate(data)
    except ValidationError as error:
        problems.extend(_errors(error))
    teams = data.get("teams")
    for name, override in teams.items() if isinstance(teams, dict) else ():
        problems.extend(_team_errors(data, str(name), override))
    return (None, problems) if problems else (settings, [])


def _team_errors(data: dict[str, Any], name: str, override: Any) -> list[SettingError]:
    """Problems in one team's overrides, judged merged over the workspace settings, blamed on the team."""
    if not isinstance(override, dict):
        return []
    merged = {key: value for key, value in data.items() if key != "teams"}
    overridden: set[tuple[str, str]] = set()
    for section in ("checkins", "digest"):
        section_override = override.get(section)
        if isinstance(section_override, dict):
            base = merged.get(section) if isinstance(merged.get(section), dict) else {}
            merged[section] = {**base, **section_override}
            overridden.update((section, str(key)) for key in section_override)
    try:
        WorkspaceSettings.model_validate(merged)
    except ValidationError as error:
        return [
            problem
            for problem in _errors(error, ("teams", name))
            if tuple(str(part) for part in problem.path[2:4]) in overridden
        ]
    return []


def load_settings(stored: dict[str, Any] | None) -> WorkspaceSettings:
    """Settings as stored on the workspace (validated when applied); anything missing takes its default.

    Settings are read on every request and change rarely, and the model is immutable, so each
    distinct stored document is parsed once.
    """
    return _parsed(json.dumps(stored or {}, sort_keys=True))


@lru_cache(maxsize=256)
def _parsed(document: str) -> WorkspaceSettings:
    return WorkspaceSettings.model_validate(json.loads(document))

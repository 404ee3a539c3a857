"""Workspace settings as code: what ``cadence config apply`` accepts and what everything else reads.

Every setting has a default, so ``{}`` is a working configuration (an empty file is refused:
applying it by mistake would reset everything). Teams may override any part of ``checkins`` and
``digest``; the effective settings for a team are the workspace settings with the team's
overrides merged in, validated as a whole.

A file is checked whole: every problem is reported in one run, in our own words
(``conversations/validation_words.py``). pydantic runs a model's own validators only once all
its fields are valid, so the rules between fields and list items are also checked in a pass over
the raw document, where a bad ``kind`` can't hide a duplicate question id.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Collection, Mapping, Sequence
from datetime import date, time
from functools import lru_cache
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from conversations.commands import suggestion
from conversations.messages import Platform
from conversations.numbers import MAX_ABS, counted
from conversations.validation_words import RULE_ERROR, KeyPath, SettingError, describe_errors, repeats, unknown_team

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
QuestionKind = Literal["text", "mood", "single_choice", "multiple_choice", "number", "goal_progress", "upward"]
"""``upward``: what a report tells their manager ("How can your manager help you?"); only the manager reads it."""

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


_LEVEL = re.compile(r"^[a-z][a-z0-9-]*/[a-z0-9][a-z0-9-]*$")


def _level(value: str) -> str:
    text = str(value).strip().lower()
    if not _LEVEL.match(text):
        raise ValueError(f'"{value}" is not a level; write the track and the level, like "engineer/senior"')
    return text


ClockTime = Annotated[str, AfterValidator(_clock)]
Level = Annotated[str, AfterValidator(_level)]
"""A track and a level, as the org file's ``level`` column writes it: ``engineer/senior``."""
Statement = Annotated[str, Field(min_length=1, max_length=300)]
Reminder = Annotated[str, AfterValidator(_reminder)]
Slug = Annotated[str, AfterValidator(_slug)]


Figure = Annotated[float, Field(allow_inf_nan=False, ge=-MAX_ABS, le=MAX_ABS)]
"""A number a person can mean: finite, and no larger than any real figure."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


ChannelName = Annotated[str, Field(min_length=1, max_length=200)]
_CHANNEL_FORMS = 'name one, such as "#kudos", or one per platform, such as {slack: "#kudos", teams: "Kudos"}'


def _shown_value(value: Any) -> str:
    return json.dumps(value) if isinstance(value, int | float | bool | list) else "this"


class PlatformChannels(Strict):
    """A channel on each platform. A plain name in the file (``"#kudos"``) means a channel of that name
    on every platform; a mapping (``{slack: "#kudos", teams: "Kudos"}``) names one per platform, and a
    platform left out gets no post. The shell, a preview, shows what Slack (else Teams) would get."""

    slack: ChannelName | None = None
    teams: ChannelName | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_name_everywhere(cls, value: Any) -> Any:
        if isinstance(value, str):
            if not value.strip():
                raise ValueError(f"the channel name is empty; {_CHANNEL_FORMS}")
            return {"slack": value, "teams": value}
        if not isinstance(value, Mapping):
            raise ValueError(f"{_shown_value(value)} is not a channel; {_CHANNEL_FORMS}")
        return value

    @model_serializer(mode="wrap")
    def _as_written(self, handler: SerializerFunctionWrapHandler) -> Any:
        return self.slack if self.slack is not None and self.slack == self.teams else handler(self)

    def on(self, platform: Platform) -> str | None:
        if platform == Platform.SHELL:
            return self.slack or self.teams
        return self.slack if platform == Platform.SLACK else self.teams

    def by_platform(self) -> dict[str, str]:
        """The channel on each platform that has one, as flows and the outbox carry it."""
        return {platform.value: name for platform in Platform if (name := self.on(platform)) is not None}

    def __bool__(self) -> bool:
        return bool(self.slack or self.teams)


ReactionName = Annotated[str, AfterValidator(lambda name: str(name).strip(":").strip().lower())]
"""A reaction as the platform names it: a Slack emoji (``clap``, written with or without colons) or
one of Teams' reactions (``like``, ``heart``)."""


class PlatformReactions(Strict):
    """Which reactions give kudos on each platform; Slack's default to ``kudos.emojis``."""

    slack: tuple[ReactionName, ...] | None = None
    teams: tuple[ReactionName, ...] = ("heart",)

    @model_serializer(mode="wrap")
    def _without_unset_slack(self, handler: SerializerFunctionWrapHandler) -> Any:
        """``config show`` prints what applies: Slack's reactions are ``emojis`` unless set here."""
        shown = handler(self)
        if isinstance(shown, dict) and shown.get("slack") is None:
            shown.pop("slack", None)
        return shown


# Rules between fields and between list items. Each reads a mapping leniently (the raw file, or a
# model's own fields, ``vars(self)``), skipping values that are unreadable (those are reported on
# their own), and returns (path inside the mapping, message) pairs. The models enforce the rules they always had;
# the duplicate checks are for files only, so settings stored by an older version still load.

_CHOICE_KINDS = ("single_choice", "multiple_choice")


def _readable(kind: TypeAdapter[Any], value: Any) -> Any:
    """``value`` as the models would read it, or None when it is unreadable (or not there)."""
    if value is None:
        return None
    try:
        return kind.validate_python(value)
    except ValidationError:
        return None


_BOOLEAN = TypeAdapter(bool)
_NUMBER = TypeAdapter(float)
_CHANNELS = TypeAdapter(PlatformChannels)


def _listed(mapping: Mapping[str, Any], key: str, default: Sequence[Any] = ()) -> Sequence[Any] | None:
    """The list under ``key`` (its default when absent), or None when something else is written there."""
    value = mapping.get(key, default)
    return value if isinstance(value, list | tuple) else None


def _text_field(item: Any, name: str) -> str | None:
    """A text field of a list item, whether the item is still raw (a mapping) or already a model."""
    value = item.get(name) if isinstance(item, Mapping) else getattr(item, name, None)
    return value if isinstance(value, str) else None


def _question_rules(question: Mapping[str, Any]) -> list[tuple[KeyPath, str]]:
    found: list[tuple[KeyPath, str]] = []
    kind = question.get("kind", "text")
    kind = kind if kind in get_args(QuestionKind) else None
    options = _listed(question, "options")
    if kind is not None and options is not None:
        if kind in _CHOICE_KINDS and len(options) < 2:
            found.append(
                (("options",), f"a {kind} question needs at least two options, for example options: [yes, no]")
            )
        if kind not in _CHOICE_KINDS and options:
            found.append((("options",), f"options only apply to choice questions, not to a {kind} question"))
    minimum, maximum = _readable(_NUMBER, question.get("minimum")), _readable(_NUMBER, question.get("maximum"))
    if minimum is not None and maximum is not None and minimum >= maximum:
        found.append((("minimum",), "minimum must be below maximum, for example minimum: 0 and maximum: 10"))
    return found


def _checkin_rules(checkins: Mapping[str, Any]) -> list[tuple[KeyPath, str]]:
    found: list[tuple[KeyPath, str]] = []
    questions = _listed(checkins, "questions")
    if "questions" in checkins and questions is not None and not questions:
        example = '[{id: done, text: "What did you get done this week?"}]'
        found.append((("questions",), f"a check-in needs at least one question, for example questions: {example}"))
    ids = [_text_field(question, "id") for question in questions or ()]
    for index in repeats(ids):
        found.append(
            (("questions", index, "id"), f'two questions have the id "{ids[index]}"; give each question its own id')
        )
    if _readable(_BOOLEAN, checkins.get("team_summary", False)) and not _names_a_channel(checkins.get("team_channel")):
        example = 'team_channel: "#platform"'
        found.append((("team_summary",), f"team_summary needs a team_channel to post to, for example {example}"))
    return found


def _expectation_rules(document: Mapping[str, Any]) -> list[tuple[KeyPath, str]]:
    """Expectations are kept by levels written as the org file writes them, and name skills the
    settings list, so a misspelt level or skill can't quietly hold nobody to anything."""
    expectations = document.get("expectations")
    if not isinstance(expectations, Mapping):
        return []
    listed = sorted({_slug_of(skill) for skill in _listed(document, "skills") or ()} - {None})
    found: list[tuple[KeyPath, str]] = []
    for level, by_skill in expectations.items():
        if _readable(_LEVEL_NAME, level) is None:
            found.append(
                (
                    ("expectations", level),
                    f'"{level}" is not a level; write the track and the level, like "engineer/senior"',
                )
            )
        for skill in by_skill if isinstance(by_skill, Mapping) else ():
            slug = _readable(_SLUG_NAME, skill)
            if slug is None or slug in listed:
                continue
            close = suggestion(slug, listed)
            fix = f'did you mean "{close}"?' if close else f"add it to skills, for example skills: [{slug}]"
            found.append(
                (
                    ("expectations", level, skill),
                    f'"{slug}" is not one of the skills ({", ".join(listed) or "none yet"}); {fix}',
                )
            )
    return found


def _names_a_channel(value: Any) -> bool:
    channels = value if isinstance(value, PlatformChannels) else _readable(_CHANNELS, value)
    return bool(channels)


def _kudos_rules(kudos: Mapping[str, Any]) -> list[tuple[KeyPath, str]]:
    found: list[tuple[KeyPath, str]] = []
    if _readable(_BOOLEAN, kudos.get("require_value", False)) and not kudos.get("values"):
        example = "values: [ownership, customer-first]"
        found.append((("require_value",), f"require_value needs company values, for example {example}"))
    reactions = kudos.get("reactions")
    if "emojis" in kudos and isinstance(reactions, Mapping) and "slack" in reactions:
        found.append(
            (
                ("reactions", "slack"),
                "Slack's kudos emojis are listed twice, as emojis and as reactions.slack; keep one, "
                "for example reactions: {slack: [clap, taco], teams: [heart]}",
            )
        )
    return found


def _refuse(problems: list[tuple[KeyPath, str]]) -> None:
    """Raise the first broken rule as a model error that ``validate_settings`` knows is checked again."""
    if problems:
        raise PydanticCustomError(RULE_ERROR, "{message}", {"message": problems[0][1]})


DEFAULT_MOOD_LABELS = ("Awful", "Bad", "Okay", "Good", "Great")


class Question(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
    kind: QuestionKind = "text"
    text: Annotated[str, Field(min_length=1, max_length=300)]
    required: bool = False
    options: tuple[Annotated[str, Field(min_length=1, max_length=75)], ...] = ()
    labels: tuple[str, str, str, str, str] = DEFAULT_MOOD_LABELS
    minimum: Figure | None = None
    maximum: Figure | None = None
    blocker: bool = False  # answers are blockers: the digest lists them and tracks how long they stay
    highlight: bool = False  # answers are highlights: what got done, in the digest and team summary

    @model_validator(mode="after")
    def _fields_agree(self) -> Question:
        _refuse(_question_rules(vars(self)))
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
    team_channel: PlatformChannels | None = None
    upward_anonymous: bool = False
    """Upward answers reach the manager without names, and only once enough reports answered
    (``anonymity_threshold``): a manager of two can't tell who wrote what."""

    @model_validator(mode="after")
    def _fields_agree(self) -> CheckinSettings:
        _refuse(_checkin_rules(vars(self)))
        return self


class DigestSettings(Strict):
    day: Weekday = "monday"
    time: ClockTime = "09:00"
    mood_drop: Annotated[float, Field(gt=0, le=4)] = 1.0
    no_kudos_days: Annotated[int, Field(ge=1, le=365)] = 30
    stale_goal_weeks: Annotated[int, Field(ge=1, le=52)] = 2


class CompanyValueSetting(Strict):
    """A company value, or a skill: its slug as people tag it (``#customer-first``, ``~mentoring``)
    and the label people read."""

    slug: Slug
    label: str = ""
    description: Annotated[str, Field(max_length=500)] = ""

    @property
    def shown_label(self) -> str:
        """The label, or the slug written as words (``customer-first`` → ``Customer first``)."""
        return self.label or self.slug.replace("-", " ").replace("_", " ").capitalize()


def _value_from_text(value: Any) -> Any:
    return {"slug": value} if isinstance(value, str) else value


class KudosSettings(Strict):
    channel: PlatformChannels | None = None
    post_in_origin_channel: bool = False
    emojis: tuple[ReactionName, ...] = ("clap",)  # Slack's; kept from before reactions were per platform
    reactions: PlatformReactions = PlatformReactions()
    daily_allowance: Annotated[int, Field(ge=1, le=100)] = 5
    values: tuple[Annotated[CompanyValueSetting, Field()], ...] = ()
    require_value: bool = False
    leaderboard: bool = True

    @field_validator("values", mode="before")
    @classmethod
    def _values_may_be_plain_names(cls, values: Any) -> Any:
        return [_value_from_text(value) for value in values] if isinstance(values, list | tuple) else values

    @model_validator(mode="after")
    def _fields_agree(self) -> KudosSettings:
        _refuse(_kudos_rules(vars(self)))
        return self

    def reactions_on(self, platform: Platform) -> tuple[str, ...]:
        """The reactions that give kudos on ``platform`` (the shell has none of its own: Slack's)."""
        if platform == Platform.TEAMS:
            return self.reactions.teams
        return self.reactions.slack if self.reactions.slack is not None else self.emojis


class GoalSettings(Strict):
    personal_goals_public: bool = False


class FeedbackSettings(Strict):
    reminder_workdays: Annotated[int, Field(ge=1, le=20)] = 3
    """A peer who hasn't answered a request is reminded once, this many working days after it, in their time zone."""
    closes_after_days: Annotated[int, Field(ge=1, le=90)] = 14


class OneOnOneSettings(Strict):
    """When a manager and each report meet (in the manager's time zone) unless the pair set their
    own, and when the agenda reaches each of them: ``agenda_workdays_before`` working days before
    the meeting's day (0: that day), at ``agenda_time`` in each person's own time zone."""

    cadence: Literal["weekly", "biweekly"] = "weekly"
    day: Weekday = "thursday"
    time: ClockTime = "15:00"
    agenda_workdays_before: Annotated[int, Field(ge=0, le=5)] = 1
    agenda_time: ClockTime = "09:00"


FOREVER = "forever"
MAX_RETENTION_DAYS = 3650


def _kept_for(minimum: int, what: str, example: int) -> Any:
    """A retention period: whole days of at least ``minimum`` (so a typo can't delete this quarter's
    data), or ``forever``."""

    def read(value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() == FOREVER:
            return FOREVER
        if value is None:
            raise ValueError(f"this is empty; write a whole number of days, for example {example}, or forever")
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(
                f"{_shown_period(value)} is not a retention period; write a whole number of days, "
                f"for example {example}, or forever"
            )
        if value < minimum:
            raise ValueError(
                f"{counted(value, 'day')} is too short: Cadence keeps {what} at least {counted(minimum, 'day')}; "
                f"write a longer period, for example {example}, or forever"
            )
        if value > MAX_RETENTION_DAYS:
            raise ValueError(
                f"{value} days is longer than Cadence counts ({MAX_RETENTION_DAYS}); to keep {what} "
                "for good, write forever"
            )
        return value

    return BeforeValidator(read)


def _shown_period(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else _shown_value(value)


KEEP_WORDS_DAYS = 90
"""The shortest a company may keep what people wrote: a quarter, so every snapshot and digest
chart Cadence shows still has what it shows."""
KEEP_MESSAGES_DAYS = 14
"""The shortest a sent message is kept: its row's unique key is what stops a tick that catches up
(a snapshot's week, an agenda due days before its 1:1) from sending it twice."""
KEEP_REQUESTS_DAYS = 1
"""The shortest a handled request is kept: its unique key is what drops a platform's redelivery,
which comes within minutes."""

RetentionPeriod = int | Literal["forever"]


class RetentionKind(enum.StrEnum):
    """The kinds of record a retention period applies to (the keys of ``retention:``)."""

    CHECKIN_ANSWERS = "checkin_answers"
    FEEDBACK = "feedback"
    ONE_ON_ONE_NOTES = "one_on_one_notes"
    HANDLED_REQUESTS = "handled_requests"
    SENT_MESSAGES = "sent_messages"


class RetentionSettings(Strict):
    """How long each kind of record is kept, in days (or ``forever``); the tick removes what is
    older, in small batches (see ``storage/retention.py`` for what each kind removes)."""

    checkin_answers: Annotated[RetentionPeriod, _kept_for(KEEP_WORDS_DAYS, "check-in answers", 365)] = FOREVER
    feedback: Annotated[RetentionPeriod, _kept_for(KEEP_WORDS_DAYS, "feedback", 730)] = FOREVER
    one_on_one_notes: Annotated[RetentionPeriod, _kept_for(KEEP_WORDS_DAYS, "1:1 notes", 365)] = FOREVER
    handled_requests: Annotated[RetentionPeriod, _kept_for(KEEP_REQUESTS_DAYS, "handled requests", 7)] = 7
    sent_messages: Annotated[RetentionPeriod, _kept_for(KEEP_MESSAGES_DAYS, "sent messages", 30)] = 30

    def days(self, kind: RetentionKind) -> int | None:
        """How many days ``kind`` is kept; None for forever."""
        period = getattr(self, kind.value)
        return None if period == FOREVER else int(period)


class TeamOverride(Strict):
    checkins: dict[str, Any] = Field(default_factory=dict)
    digest: dict[str, Any] = Field(default_factory=dict)


class WorkspaceSettings(Strict):
    checkins: CheckinSettings = CheckinSettings()
    digest: DigestSettings = DigestSettings()
    kudos: KudosSettings = KudosSettings()
    goals: GoalSettings = GoalSettings()
    feedback: FeedbackSettings = FeedbackSettings()
    one_on_ones: OneOnOneSettings = OneOnOneSettings()
    retention: RetentionSettings = RetentionSettings()
    skills: tuple[Annotated[CompanyValueSetting, Field()], ...] = ()
    """Skills people grow in, named in feedback (and kudos): the same shape as company values."""
    expectations: dict[str, dict[Slug, Annotated[tuple[Statement, ...], Field(min_length=1, max_length=10)]]] = Field(
        default_factory=dict
    )
    """What good looks like, per track and level and per skill, in a few short statements: shown
    beside every quarterly snapshot, so everyone at a level is judged against the same written bar."""
    anonymity_threshold: Annotated[int, Field(ge=2, le=100)] = 5
    holidays: tuple[date, ...] = ()
    templates_dir: str | None = None
    teams: dict[str, TeamOverride] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _expectations_agree(self) -> WorkspaceSettings:
        _refuse(_expectation_rules(self.model_dump(mode="json", include={"skills", "expectations"})))
        return self

    @field_validator("skills", mode="before")
    @classmethod
    def _skills_may_be_plain_names(cls, skills: Any) -> Any:
        return [_value_from_text(skill) for skill in skills] if isinstance(skills, list | tuple) else skills

    def for_team(self, team: str | None) -> WorkspaceSettings:
        """The settings a member of ``team`` lives by: the workspace's, with the team's overrides."""
        override = self.teams.get(team or "")
        return self if override is None else WorkspaceSettings.model_validate(self.merged_with(override))

    def merged_with(self, override: TeamOverride) -> dict[str, Any]:
        merged = self.model_dump(mode="json")
        for section in ("checkins", "digest"):
            merged[section] = {**merged[section], **getattr(override, section)}
        return merged


SETTING_EXAMPLES = {
    "checkins": 'checkins: {day: friday, time: "10:00"}',
    "day": "day: friday",
    "time": 'time: "10:00"',
    "reminders": 'reminders: ["+4h", "next-workday 08:00"]',
    "reminders[]": '"+4h"',
    "closes": "closes: before-digest",
    "questions": 'questions: [{id: done, text: "What did you get done this week?"}]',
    "questions[]": '{id: done, text: "What did you get done this week?"}',
    "id": "id: done",
    "text": 'text: "What did you get done this week?"',
    "options": "options: [yes, no]",
    "options[]": "yes",
    "labels": "labels: [Awful, Bad, Okay, Good, Great]",
    "labels[]": "Okay",
    "minimum": "minimum: 0",
    "maximum": "maximum: 10",
    "team_channel": 'team_channel: "#platform"',
    "digest": 'digest: {day: monday, time: "09:00"}',
    "mood_drop": "mood_drop: 1.0",
    "no_kudos_days": "no_kudos_days: 30",
    "stale_goal_weeks": "stale_goal_weeks: 2",
    "kudos": 'kudos: {channel: "#kudos"}',
    "channel": 'channel: "#kudos"',
    "emojis": "emojis: [clap, taco]",
    "emojis[]": '"clap"',
    "reactions": "reactions: {slack: [clap, taco], teams: [heart, like]}",
    "channel.slack": 'slack: "#kudos"',
    "channel.teams": 'teams: "Kudos"',
    "team_channel.slack": 'slack: "#platform"',
    "team_channel.teams": 'teams: "Platform"',
    "reactions.slack": "slack: [clap, taco]",
    "reactions.teams": "teams: [heart, like]",
    "slack.slack[]": '"clap"',
    "teams.teams[]": '"heart"',
    "daily_allowance": "daily_allowance: 5",
    "values": "values: [ownership, customer-first]",
    "values[]": 'ownership, or {slug: customer-first, label: "Customer first"}',
    "slug": "slug: customer-first",
    "label": 'label: "Customer first"',
    "description": 'description: "We start from what the customer needs."',
    "goals": "goals: {personal_goals_public: true}",
    "upward_anonymous": "upward_anonymous: true",
    "feedback": "feedback: {reminder_workdays: 3, closes_after_days: 14}",
    "reminder_workdays": "reminder_workdays: 3",
    "closes_after_days": "closes_after_days: 14",
    "one_on_ones": 'one_on_ones: {cadence: weekly, day: thursday, time: "15:00"}',
    "cadence": "cadence: biweekly",
    "agenda_workdays_before": "agenda_workdays_before: 1",
    "agenda_time": 'agenda_time: "09:00"',
    "retention": "retention: {checkin_answers: 365, sent_messages: 30}",
    "checkin_answers": "checkin_answers: 365",
    "retention.feedback": "feedback: 730",
    "one_on_one_notes": "one_on_one_notes: 365",
    "handled_requests": "handled_requests: 7",
    "sent_messages": "sent_messages: 30",
    "skills": "skills: [mentoring, system-design]",
    "expectations": 'expectations: {engineer/senior: {system-design: ["Designs services others can run"]}}',
    "skills[]": 'mentoring, or {slug: system-design, label: "System design"}',
    "anonymity_threshold": "anonymity_threshold: 5",
    "holidays": 'holidays: ["2026-12-25", "2027-01-01"]',
    "holidays[]": "2026-12-25",
    "templates_dir": "templates_dir: ./cadence-templates",
    "teams": "teams: {Platform: {checkins: {day: thursday}}}",
    "teams[]": "Platform: {checkins: {day: thursday}}",
}
"""A snippet to copy for each key (``key[]``: one item of that list), used in error messages."""

EMPTY_FILE = (
    "the file has no settings (it is empty or only comments); write the settings you want, as in "
    "config.example.yaml, or, to go back to every default and retire every company value, apply a file containing {}"
)

_REMINDER = TypeAdapter(Reminder)
_SLUG_NAME = TypeAdapter(Slug)
_LEVEL_NAME = TypeAdapter(Level)
_REACTION = TypeAdapter(ReactionName)
_DATE = TypeAdapter(date)


def _reaction_name(value: Any) -> str | None:
    return _readable(_REACTION, value) if isinstance(value, str) else None


def _normalised_text(value: Any) -> str | None:
    return " ".join(value.split()).lower() if isinstance(value, str) else None


def _slug_of(value: Any) -> str | None:
    value = _value_from_text(value)
    return _readable(_SLUG_NAME, value.get("slug")) if isinstance(value, Mapping) else None


def _repeated(items: Sequence[Any] | None, read: Any, path: KeyPath, say: Any) -> list[SettingError]:
    """A problem for each item that repeats an earlier one, once both are read the way the models read them."""
    readings = [read(item) for item in items or ()]
    return [SettingError((*path, index), say(readings[index])) for index in repeats(readings)]


def _duplicates(document: Mapping[str, Any]) -> list[SettingError]:
    """Lists where an item repeats: the second one is the problem, so its line is the one named."""
    found: list[SettingError] = []
    checkins = document.get("checkins")
    if isinstance(checkins, Mapping):
        found += _repeated(
            _listed(checkins, "reminders"),
            lambda item: _readable(_REMINDER, item),
            ("checkins", "reminders"),
            lambda reminder: f'the reminder "{reminder}" is listed twice; list each reminder once',
        )
        for index, question in enumerate(_listed(checkins, "questions") or ()):
            if isinstance(question, Mapping):
                found += _repeated(
                    _listed(question, "options"),
                    _normalised_text,
                    ("checkins", "questions", index, "options"),
                    lambda option: f'the option "{option}" is listed twice; list each option once',
                )
    found += _repeated(
        _listed(document, "skills"),
        _slug_of,
        ("skills",),
        lambda slug: f'two skills are called "{slug}"; list each skill once',
    )
    kudos = document.get("kudos")
    if isinstance(kudos, Mapping):
        found += _repeated(
            _listed(kudos, "values"),
            _slug_of,
            ("kudos", "values"),
            lambda slug: f'two company values are called "{slug}"; list each value once',
        )
        found += _repeated(
            _listed(kudos, "emojis"),
            _reaction_name,
            ("kudos", "emojis"),
            lambda emoji: f'the emoji "{emoji}" is listed twice; list each emoji once',
        )
        reactions = kudos.get("reactions")
        for platform in ("slack", "teams") if isinstance(reactions, Mapping) else ():
            found += _repeated(
                _listed(reactions, platform),
                _reaction_name,
                ("kudos", "reactions", platform),
                lambda name: f'the reaction "{name}" is listed twice; list each reaction once',
            )
    found += _repeated(
        _listed(document, "holidays"),
        lambda item: _readable(_DATE, item),
        ("holidays",),
        lambda day: f"{day.isoformat()} is listed twice; list each holiday once",
    )
    return found


def _rule_problems(document: Mapping[str, Any]) -> list[SettingError]:
    """Every rule between fields or list items, checked on the raw document whatever else is wrong in it."""
    found: list[SettingError] = []
    checkins = document.get("checkins")
    if isinstance(checkins, Mapping):
        found += [SettingError(("checkins", *path), message) for path, message in _checkin_rules(checkins)]
        for index, question in enumerate(_listed(checkins, "questions") or ()):
            if isinstance(question, Mapping):
                found += [
                    SettingError(("checkins", "questions", index, *path), message)
                    for path, message in _question_rules(question)
                ]
    kudos = document.get("kudos")
    if isinstance(kudos, Mapping):
        found += [SettingError(("kudos", *path), message) for path, message in _kudos_rules(kudos)]
    found += [SettingError(path, message) for path, message in _expectation_rules(document)]
    found += _duplicates(document)
    return [SettingError(_written_part(document, problem.path), problem.message) for problem in found]


def _written_part(document: Any, path: KeyPath) -> KeyPath:
    """The part of ``path`` the file actually has (a rule about missing options names the question)."""
    for depth, part in enumerate(path):
        in_mapping = isinstance(document, Mapping) and part in document
        in_list = isinstance(document, list | tuple) and isinstance(part, int) and part < len(document)
        if not (in_mapping or in_list):
            return path[:depth]
        document = document[part]
    return path


def _document_problems(document: Mapping[str, Any]) -> tuple[WorkspaceSettings | None, list[SettingError]]:
    """The document validated, and all its problems: the models' and the rules' (each said once)."""
    rules = _rule_problems(document)
    try:
        return WorkspaceSettings.model_validate(document), rules
    except ValidationError as error:
        details = [detail for detail in error.errors() if not _checked_again(detail, rules)]
    return None, [*describe_errors(details, WorkspaceSettings, examples=SETTING_EXAMPLES), *rules]


def _checked_again(detail: Any, rules: list[SettingError]) -> bool:
    """A rule a model refused that the raw pass reports too, closer to where it is written."""
    if detail["type"] != RULE_ERROR:
        return False
    loc, message = tuple(detail["loc"]), detail["ctx"]["message"]
    return any(rule.message == message and rule.path[: len(loc)] == loc for rule in rules)


def validate_settings(
    data: Any, known_teams: Collection[str] | None = None
) -> tuple[WorkspaceSettings | None, list[SettingError]]:
    """Validate a whole settings document, team overrides included; every problem at once, with its key path.

    ``known_teams`` are the teams of the org the settings are for, so an override for a misspelt
    team is refused rather than silently never applying; ``None`` skips that check.
    """
    if data is None:
        return None, [SettingError((), EMPTY_FILE)]
    if not isinstance(data, dict):
        return None, [
            SettingError((), "the settings file must be a mapping of keys, for example checkins: {day: friday}")
        ]
    settings, problems = _document_problems(data)
    workspace_problems = [problem for problem in problems if problem.path[:1] != ("teams",)]
    teams = data.get("teams")
    for name, override in teams.items() if isinstance(teams, dict) else ():
        if known_teams is not None and str(name) not in known_teams:
            problems.append(SettingError(("teams", name), unknown_team(name, known_teams)))
        problems.extend(_team_problems(data, workspace_problems, name, override))
    return (None, problems) if problems else (settings, [])


def _team_problems(
    data: dict[str, Any], workspace_problems: list[SettingError], name: Any, override: Any
) -> list[SettingError]:
    """Problems the team's overrides cause, judged merged over the workspace settings, blamed on the team.

    Whatever is wrong in the workspace settings themselves is reported once, not again per team.
    """
    if not isinstance(override, dict):
        return []
    merged = {key: value for key, value in data.items() if key != "teams"}
    for section in ("checkins", "digest"):
        section_override = override.get(section)
        if isinstance(section_override, dict):
            base = merged.get(section) if isinstance(merged.get(section), dict) else {}
            merged[section] = {**base, **section_override}
    _, problems = _document_problems(merged)
    return [
        SettingError(("teams", name, *problem.path), problem.message)
        for problem in problems
        if problem not in workspace_problems
    ]


def load_settings(stored: dict[str, Any] | None) -> WorkspaceSettings:
    """Settings as stored on the workspace (validated when applied); anything missing takes its default.

    Settings are read on every request and change rarely, and the model is immutable, so each
    distinct stored document is parsed once.
    """
    return _parsed(json.dumps(stored or {}, sort_keys=True))


@lru_cache(maxsize=256)
def _parsed(document: str) -> WorkspaceSettings:
    return WorkspaceSettings.model_validate(json.loads(document))

"""Every table Cadence stores, in one module so Alembic and readers see the whole schema at once.

Conventions that keep the schema portable between SQLite and PostgreSQL:

- enums are stored as short strings (``native_enum=False``), so adding a member never needs a
  PostgreSQL ``ALTER TYPE`` and persisted values stay readable;
- datetimes go through :class:`UTCDateTime`, which refuses naive values and always hands back
  aware UTC datetimes, even from SQLite, which keeps no offset;
- every constraint gets a stable name from the metadata naming convention, so migrations can
  drop or alter it by name on both databases;
- no table is called ``user`` (reserved by PostgreSQL): people live in ``people``.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from conversations.checkin import Status as ResponseStatus
from conversations.messages import Platform
from storage.secrets import EncryptedJSON, EncryptedText

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp that is UTC on the way in and aware UTC on the way out, on every database."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def enum_type(enum_class: type[enum.Enum]) -> sa.Enum:
    return sa.Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=24,
        values_callable=lambda members: [member.value for member in members],
    )


def optional_timestamp() -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=True)


def created_timestamp() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def json_field(default_factory: Any = dict) -> Any:
    return Field(default_factory=default_factory, sa_type=sa.JSON, nullable=False)


def unfinished_index(name: str, *columns: str, unfinished: tuple[enum.StrEnum, ...]) -> sa.Index:
    """An index over a queue's unfinished rows only (both databases take the same condition): what a
    claim asks of every candidate stays small however many finished rows the table keeps."""
    condition = sa.text(f"status IN ({', '.join(repr(status.value) for status in unfinished)})")
    return sa.Index(name, *columns, postgresql_where=condition, sqlite_where=condition)


def encrypted_json_field() -> Any:
    """A JSON document kept encrypted at rest (:mod:`storage.secrets`): tokens, and people's words in transit."""
    return Field(default_factory=dict, sa_type=EncryptedJSON, nullable=False)


class Role(enum.StrEnum):
    MEMBER = "member"
    MANAGER = "manager"
    ADMIN = "admin"


class Workspace(SQLModel, table=True):
    """One organisation as Cadence knows it: its people, settings and goals, on no platform in
    particular. The platforms it is on are its :class:`PlatformConnection` rows."""

    __tablename__ = "workspaces"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    settings: dict[str, Any] = json_field()
    created_at: datetime = created_timestamp()


class PlatformConnection(SQLModel, table=True):
    """An organisation's account on one platform: its Slack workspace (team id), its Teams tenant,
    the shell's demo. One per platform per organisation; one organisation per platform account."""

    __tablename__ = "platform_connections"
    __table_args__ = (sa.UniqueConstraint("platform", "external_id"), sa.UniqueConstraint("workspace_id", "platform"))

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspaces.id", ondelete="CASCADE", index=True)
    platform: Platform = Field(sa_type=enum_type(Platform), nullable=False)
    external_id: str = Field(max_length=128)
    name: str = Field(default="", max_length=200)
    details: dict[str, Any] = json_field()
    """What the platform told about the account that later messages need (Teams: the tenant's Bot
    Connector address, and the channels of the teams Cadence was added to, by name)."""
    created_at: datetime = created_timestamp()


class Team(SQLModel, table=True):
    __tablename__ = "teams"
    __table_args__ = (sa.UniqueConstraint("workspace_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspaces.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=120)
    channel_id: str | None = Field(default=None, max_length=64)


class Person(SQLModel, table=True):
    """Someone in an organisation. Who they are on each platform is a :class:`PersonIdentity`; they
    are reached on one platform at a time: ``preferred_platform`` when set, else the one they last used."""

    __tablename__ = "people"
    __table_args__ = (sa.UniqueConstraint("workspace_id", "email"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspaces.id", ondelete="CASCADE", index=True)
    email: str | None = Field(default=None, max_length=320)
    display_name: str = Field(max_length=200)
    preferred_platform: Platform | None = Field(default=None, sa_type=enum_type(Platform), nullable=True)
    last_platform: Platform | None = Field(default=None, sa_type=enum_type(Platform), nullable=True)
    timezone: str = Field(default="UTC", max_length=64)
    timezone_from_org_file: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    """The org file named the time zone: a platform's guess (Teams' client) never overrides it."""
    manager_id: int | None = Field(default=None, foreign_key="people.id", ondelete="SET NULL", index=True)
    team_id: int | None = Field(default=None, foreign_key="teams.id", ondelete="SET NULL", index=True)
    role: Role = Field(default=Role.MEMBER, sa_type=enum_type(Role), nullable=False)
    level: str | None = Field(default=None, max_length=64)
    """Their track and level (``engineer/senior``), from the org file: which written expectations they are held to."""
    active: bool = Field(default=True)
    is_bot: bool = Field(default=False)
    away_until: date | None = Field(default=None)
    erased_at: datetime | None = optional_timestamp()
    """``cadence forget`` erased them: their name, email and identities are gone, and what they
    wrote; the row stays so counts others' figures rest on (kudos given, check-ins answered) hold."""
    created_at: datetime = created_timestamp()
    updated_at: datetime = created_timestamp()


class PersonIdentity(SQLModel, table=True):
    """Who a person is on one platform: their Slack user id, their Entra object id. The one way from a
    platform's user to a person (``storage.people.by_platform_id``), whatever the platform."""

    __tablename__ = "person_identities"
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "platform", "external_id"),
        sa.UniqueConstraint("person_id", "platform"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspaces.id", ondelete="CASCADE", index=True)
    person_id: int = Field(foreign_key="people.id", ondelete="CASCADE", index=True)
    platform: Platform = Field(sa_type=enum_type(Platform), nullable=False)
    external_id: str = Field(max_length=128)


class CompanyValue(SQLModel, table=True):
    __tablename__ = "company_values"
    __table_args__ = (sa.UniqueConstraint("workspace_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspaces.id", ondelete="CASCADE", index=True)
    slug: str = Field(max_length=64)
    label: str = Field(max_length=120)
    description: str = Field(default="", max_length=500)
    active: bool = Field(default=True)


class GoalLevel(enum.StrEnum):
    COMPANY = "company"
    TEAM = "team"
    PERSON = "person"


class GoalKind(enum.StrEnum):
    BUSINESS = "business"
    GROWTH = "growth"


class GoalState(enum.StrEnum):
    OPEN = "open"
    ACHIEVED = "achieved"
    MISSED = "missed"
    DROPPED = "dropped"


class GoalHealth(enum.StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"


class MetricKind(enum.StrEnum):
    NUMBER = "number"
    PERCENT = "percent"
    CURRENCY = "currency"
    BOOLEAN = "boolean"


class Goal(SQLModel, table=True):
    """A company, team or personal objective; ``number`` is the short id people type (``G-12``)."""

    __tablename__ = "goals"
    __table_args__ = (sa.UniqueConstraint("workspace_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspaces.id", ondelete="CASCADE", index=True)
    number: int
    title: str = Field(max_length=300)
    description: str = Field(default="", sa_type=sa.Text)
    level: GoalLevel = Field(sa_type=enum_type(GoalLevel), nullable=False)
    kind: GoalKind = Field(default=GoalKind.BUSINESS, sa_type=enum_type(GoalKind), nullable=False)
    skill: str | None = Field(default=None, max_length=64)
    """The skill a growth goal grows (a slug of the settings' ``skills``)."""
    period: str = Field(max_length=16)
    starts_on: date
    ends_on: date
    owner_id: int | None = Field(default=None, foreign_key="people.id", ondelete="SET NULL", index=True)
    team_id: int | None = Field(default=None, foreign_key="teams.id", ondelete="SET NULL", index=True)
    parent_id: int | None = Field(default=None, foreign_key="goals.id", ondelete="SET NULL", index=True)
    state: GoalState = Field(default=GoalState.OPEN, sa_type=enum_type(GoalState), nullable=False)
    progress: float = Field(default=0.0)
    health_override: GoalHealth | None = Field(default=None, sa_type=enum_type(GoalHealth))
    health_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = created_timestamp()
    updated_at: datetime = created_timestamp()
    closed_at: datetime | None = optional_timestamp()


class KeyResult(SQLModel, table=True):
    __tablename__ = "key_results"
    __table_args__ = (sa.UniqueConstraint("workspace_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspaces.id", ondelete="CASCADE", index=True)
    goal_id: int = Field(foreign_key="goals.id", ondelete="CASCADE", index=True)
    number: int
    title: str = Field(max_length=300)
    metric: MetricKind = Field(default=MetricKind.NUMBER, sa_type=enum_type(MetricKind), nullable=False)
    start_value: float = Field(default=0.0)
    target_value: float
    current_value: float = Field(default=0.0)
    unit: str = Field(default="", max_length=24)
    weight: float = Field(default=1.0)
    confidence: int | None = Field(default=None)
    progress: float = Field(default=0.0)
    updated_at: datetime = created_timestamp()


class GoalUpdate(SQLModel, table=True):
    """One change to a goal or key result, kept forever so progress has a history."""

    __tablename__ = "goal_updates"

    id: int | None = Field(default=None, primary_key=True)
    goal_id: int = Field(foreign_key="goals.id", ondelete="CASCADE", index=True)
    key_result_id: int | None = Field(default=None, foreign_key="key_results.id", ondelete="CASCADE", index=True)
    author_id: int | None = Field(default=None, foreign_key="people.id", ondelete="SET NULL", index=True)
    created_at: datetime = created_timestamp()
    old_value: float | None = Field(default=None)
    new_value: float | None = Field(default=None)
    confidence: int | None = Field(default=None)
    comment: str = Field(default="", sa_type=sa.Text)
    health_override: GoalHealth | None = Field(default=None, sa_type=enum_type(GoalHealth))
    source: str = Field(default="command", max_length=24)


class CheckinTemplate(SQLModel, table=True):
    """An immutable set of check-in questions; answers keep pointing at the questions they answered."""

    __tablename__ = "checkin_templates"
    __table_args__ = (sa.UniqueConstraint("workspace_id", "fingerprint"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspaces.id", ondelete="CASCADE", index=True)
    fingerprint: str = Field(max_length=64)
    questions: list[dict[str, Any]] = json_field(list)
    created_at: datetime = created_timestamp()


class CheckinCycle(SQLModel, table=True):
    __tablename__ = "checkin_cycles"
    __table_args__ = (sa.UniqueConstraint("workspace_id", "week"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspaces.id", ondelete="CASCADE", index=True)
    week: str = Field(max_length=8)
    opened_at: datetime = created_timestamp()
    closed_at: datetime | None = optional_timestamp()


class CheckinResponse(SQLModel, table=True):
    """A person's answers for one cycle; mood and blockers are copied out for fast digests."""

    __tablename__ = "checkin_responses"
    __table_args__ = (sa.UniqueConstraint("cycle_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="checkin_cycles.id", ondelete="CASCADE", index=True)
    person_id: int = Field(foreign_key="people.id", ondelete="CASCADE", index=True)
    template_id: int | None = Field(default=None, foreign_key="checkin_templates.id", ondelete="SET NULL")
    status: ResponseStatus = Field(default=ResponseStatus.PENDING, sa_type=enum_type(ResponseStatus), nullable=False)
    answers: dict[str, Any] = json_field()
    mood: int | None = Field(default=None)
    blockers: str | None = Field(default=None, sa_type=sa.Text)
    skip_reason: str | None = Field(default=None, max_length=500)
    prompted_at: datetime | None = optional_timestamp()
    reminders_sent: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    started_at: datetime | None = optional_timestamp()
    submitted_at: datetime | None = optional_timestamp()
    updated_at: datetime = created_timestamp()


class TimeOff(SQLModel, table=True):
    """Days a person is away (``/checkin away``): no prompts, counted as away rather than missing."""

    __tablename__ = "time_off"
    __table_args__ = (sa.CheckConstraint("ends_on >= starts_on", name="ends_after_start"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", ondelete="CASCADE", index=True)
    starts_on: date
    ends_on: date
    created_at: datetime = created_timestamp()


class KudosSource(enum.StrEnum):
    COMMAND = "command"
    SHORTCUT = "shortcut"
    REACTION = "reaction"
    PLUS_ONE = "plus_one"


class Kudos(SQLModel, table=True):
    """One recognition from one giver to one recipient; a ``/kudos`` to three people is three rows."""

    __tablename__ = "kudos"
    __table_args__ = (
        sa.CheckConstraint("giver_id <> recipient_id", name="not_to_self"),
        sa.UniqueConstraint("giver_id", "recipient_id", "source_ref"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspaces.id", ondelete="CASCADE", index=True)
    giver_id: int = Field(foreign_key="people.id", ondelete="CASCADE", index=True)
    recipient_id: int = Field(foreign_key="people.id", ondelete="CASCADE", index=True)
    message: str = Field(sa_type=sa.Text)
    source: KudosSource = Field(default=KudosSource.COMMAND, sa_type=enum_type(KudosSource), nullable=False)
    source_ref: str | None = Field(default=None, max_length=200)
    parent_id: int | None = Field(default=None, foreign_key="kudos.id", ondelete="CASCADE", index=True)
    given_at: datetime = created_timestamp()
    giver_local_date: date


class KudosValue(SQLModel, table=True):
    __tablename__ = "kudos_values"

    kudos_id: int = Field(foreign_key="kudos.id", ondelete="CASCADE", primary_key=True)
    value_id: int = Field(foreign_key="company_values.id", ondelete="CASCADE", primary_key=True)


class KudosSkill(SQLModel, table=True):
    """A skill a kudos names (``~mentoring``): skills live in the settings, so the slug is kept as written."""

    __tablename__ = "kudos_skills"

    kudos_id: int = Field(foreign_key="kudos.id", ondelete="CASCADE", primary_key=True)
    skill: str = Field(max_length=64, primary_key=True)


class ConversationState(SQLModel, table=True):
    """Where a person is in a multi-turn flow; steps are strings so saved state survives refactors."""

    __tablename__ = "conversation_states"
    __table_args__ = (sa.UniqueConstraint("person_id", "flow"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspaces.id", ondelete="CASCADE", index=True)
    person_id: int = Field(foreign_key="people.id", ondelete="CASCADE", index=True)
    platform: Platform = Field(sa_type=enum_type(Platform), nullable=False)
    flow: str = Field(max_length=32)
    step: str = Field(max_length=48)
    data: dict[str, Any] = encrypted_json_field()
    expires_at: datetime | None = optional_timestamp()
    updated_at: datetime = created_timestamp()


class ConversationReference(SQLModel, table=True):
    """What a proactive message to this person needs on one platform (Slack DM id, Teams reference)."""

    __tablename__ = "conversation_references"
    __table_args__ = (sa.UniqueConstraint("person_id", "platform"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspaces.id", ondelete="CASCADE", index=True)
    person_id: int = Field(foreign_key="people.id", ondelete="CASCADE", index=True)
    platform: Platform = Field(sa_type=enum_type(Platform), nullable=False)
    reference: dict[str, Any] = json_field()
    updated_at: datetime = created_timestamp()


class InboxStatus(enum.StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


class InboxRequest(SQLModel, table=True):
    """A platform request, recorded inside its ack and worked on afterwards by whichever process claims it.

    The unique ``request_key`` (Slack's event id, a command's trigger id) makes a redelivery a
    no-op, and the row is marked done in the same commit as the request's effects, so a request
    is acted on once even across crashes and replicas. ``team`` is the platform's workspace id
    (the workspace row may not exist yet); ``payload`` is what the platform adapter needs to act.
    """

    __tablename__ = "inbox_requests"
    __table_args__ = (
        sa.Index("ix_inbox_requests_status_next_attempt_at", "status", "next_attempt_at"),
        unfinished_index(  # one person's unfinished requests, in order
            "ix_inbox_requests_unfinished_actor",
            "actor",
            "platform",
            "id",
            unfinished=(InboxStatus.QUEUED, InboxStatus.PROCESSING),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: Platform = Field(sa_type=enum_type(Platform), nullable=False)
    request_key: str = Field(max_length=200, unique=True)
    team: str = Field(max_length=64)
    actor: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    """Whose request it is (platform, team, user): a request is taken only once the same actor's
    earlier ones are finished, so one person's two quick messages are handled in order, even by two
    replicas. A request of no one in particular holds its own key here."""
    kind: str = Field(max_length=48)
    payload: dict[str, Any] = encrypted_json_field()
    status: InboxStatus = Field(default=InboxStatus.QUEUED, sa_type=enum_type(InboxStatus), nullable=False)
    attempts: int = Field(default=0)
    received_at: datetime = created_timestamp()
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    claimed_at: datetime | None = optional_timestamp()
    finished_at: datetime | None = optional_timestamp()
    error: str | None = Field(default=None, max_length=500)


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxDelivery(SQLModel, table=True):
    """A message Cadence owes someone; the unique ``dedupe_key`` makes every send happen once."""

    __tablename__ = "outbox_deliveries"
    __table_args__ = (
        sa.Index("ix_outbox_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        sa.Index("ix_outbox_deliveries_platform_message_id", "platform_message_id"),  # a pressed card, a reaction
        unfinished_index(  # one recipient's unfinished messages, in order
            "ix_outbox_deliveries_unfinished_recipient",
            "recipient",
            "platform",
            "workspace_id",
            "id",
            unfinished=(DeliveryStatus.PENDING, DeliveryStatus.SENDING),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspaces.id", ondelete="CASCADE", index=True)
    platform: Platform = Field(sa_type=enum_type(Platform), nullable=False)
    kind: str = Field(max_length=48)
    recipient: str = Field(max_length=200)
    dedupe_key: str = Field(max_length=200, unique=True)
    payload: dict[str, Any] = encrypted_json_field()
    status: DeliveryStatus = Field(default=DeliveryStatus.PENDING, sa_type=enum_type(DeliveryStatus), nullable=False)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    claimed_at: datetime | None = optional_timestamp()
    sent_at: datetime | None = optional_timestamp()
    platform_message_id: str | None = Field(default=None, max_length=200)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = created_timestamp()


class SlackInstallation(SQLModel, table=True):
    """A Slack OAuth installation as slack_sdk describes it; ``data`` holds the full record."""

    __tablename__ = "slack_installations"
    __table_args__ = (sa.Index("ix_slack_installations_lookup", "client_id", "enterprise_id", "team_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(max_length=64)
    enterprise_id: str | None = Field(default=None, max_length=32)
    team_id: str | None = Field(default=None, max_length=32)
    user_id: str = Field(max_length=32)
    is_enterprise_install: bool = Field(default=False)
    installed_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    data: dict[str, Any] = encrypted_json_field()


class SlackBot(SQLModel, table=True):
    """The bot token of an installation, what every request and delivery for that team needs."""

    __tablename__ = "slack_bots"
    __table_args__ = (sa.Index("ix_slack_bots_lookup", "client_id", "enterprise_id", "team_id"),)

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(max_length=64)
    enterprise_id: str | None = Field(default=None, max_length=32)
    team_id: str | None = Field(default=None, max_length=32)
    is_enterprise_install: bool = Field(default=False)
    installed_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    data: dict[str, Any] = encrypted_json_field()


class SlackOAuthState(SQLModel, table=True):
    """A one-time OAuth ``state`` value, so an install callback can't be forged or replayed."""

    __tablename__ = "slack_oauth_states"

    id: int | None = Field(default=None, primary_key=True)
    state: str = Field(max_length=128, unique=True)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class FeedbackAudience(enum.StrEnum):
    """Who reads a piece of feedback besides the person who wrote it."""

    RECIPIENT = "recipient"
    RECIPIENT_AND_MANAGER = "recipient_and_manager"


class Feedback(SQLModel, table=True):
    """Feedback one person wrote for another, given unasked or as the answer to a request."""

    __tablename__ = "feedback"
    __table_args__ = (sa.CheckConstraint("giver_id <> recipient_id", name="not_to_self"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspaces.id", ondelete="CASCADE", index=True)
    giver_id: int | None = Field(default=None, foreign_key="people.id", ondelete="SET NULL", index=True)
    recipient_id: int = Field(foreign_key="people.id", ondelete="CASCADE", index=True)
    request_id: int | None = Field(default=None, foreign_key="feedback_requests.id", ondelete="SET NULL", index=True)
    went_well: str = Field(default="", sa_type=sa.Text)
    could_be_better: str = Field(default="", sa_type=sa.Text)
    value_slug: str | None = Field(default=None, max_length=64)
    skill: str | None = Field(default=None, max_length=64)
    audience: FeedbackAudience = Field(
        default=FeedbackAudience.RECIPIENT, sa_type=enum_type(FeedbackAudience), nullable=False
    )
    given_at: datetime = created_timestamp()
    thanked_at: datetime | None = optional_timestamp()
    quoted_in_snapshot: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    """The recipient chose to let its words be quoted in their quarterly snapshot; otherwise only counted."""


class FeedbackRequest(SQLModel, table=True):
    """Someone asking peers for feedback about a topic; each peer asked is a :class:`FeedbackAsk`."""

    __tablename__ = "feedback_requests"

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspaces.id", ondelete="CASCADE", index=True)
    requester_id: int = Field(foreign_key="people.id", ondelete="CASCADE", index=True)
    topic: str = Field(default="", max_length=200)
    audience: FeedbackAudience = Field(
        default=FeedbackAudience.RECIPIENT, sa_type=enum_type(FeedbackAudience), nullable=False
    )
    created_at: datetime = created_timestamp()
    closes_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class AskStatus(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    DECLINED = "declined"
    CLOSED = "closed"  # nobody answered before the request closed


class FeedbackAsk(SQLModel, table=True):
    """One peer asked in a request: reminded once, answered, declined, or closed unanswered."""

    __tablename__ = "feedback_asks"
    __table_args__ = (
        sa.UniqueConstraint("request_id", "peer_id"),
        sa.Index("ix_feedback_asks_status_remind_at", "status", "remind_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="feedback_requests.id", ondelete="CASCADE", index=True)
    peer_id: int = Field(foreign_key="people.id", ondelete="CASCADE", index=True)
    status: AskStatus = Field(default=AskStatus.OPEN, sa_type=enum_type(AskStatus), nullable=False)
    remind_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    reminded_at: datetime | None = optional_timestamp()
    answered_at: datetime | None = optional_timestamp()
    feedback_id: int | None = Field(default=None, foreign_key="feedback.id", ondelete="SET NULL")


class OneOnOneCadence(enum.StrEnum):
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"


class OneOnOnePair(SQLModel, table=True):
    """A manager and one report who meet; ``cadence``, ``weekday`` and ``local_time`` (in the
    manager's time zone) override the settings' when set; ``anchor`` fixes which weeks a biweekly
    pair meets in."""

    __tablename__ = "one_on_one_pairs"
    __table_args__ = (sa.UniqueConstraint("manager_id", "report_id"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspaces.id", ondelete="CASCADE", index=True)
    manager_id: int = Field(foreign_key="people.id", ondelete="CASCADE", index=True)
    report_id: int = Field(foreign_key="people.id", ondelete="CASCADE", index=True)
    cadence: OneOnOneCadence | None = Field(default=None, sa_type=enum_type(OneOnOneCadence), nullable=True)
    weekday: str | None = Field(default=None, max_length=10)
    local_time: str | None = Field(default=None, max_length=5)
    anchor: date
    created_at: datetime = created_timestamp()


class OneOnOneMeeting(SQLModel, table=True):
    """One 1:1 of a pair at its time; ``seed`` is what the report's latest check-in said when its
    agenda was built (blockers, mood against their baseline, key results at risk)."""

    __tablename__ = "one_on_one_meetings"
    __table_args__ = (sa.UniqueConstraint("pair_id", "starts_at"),)

    id: int | None = Field(default=None, primary_key=True)
    pair_id: int = Field(foreign_key="one_on_one_pairs.id", ondelete="CASCADE", index=True)
    starts_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    seed: dict[str, Any] = json_field()
    created_at: datetime = created_timestamp()


class OneOnOneItemKind(enum.StrEnum):
    TALKING_POINT = "talking_point"
    SHARED_NOTE = "shared_note"
    ACTION_ITEM = "action_item"


class OneOnOneItem(SQLModel, table=True):
    """What both sides of a pair read: a talking point (until discussed), a shared note (of one
    meeting), an action item with its owner (until done). Open points and actions carry over."""

    __tablename__ = "one_on_one_items"

    id: int | None = Field(default=None, primary_key=True)
    pair_id: int = Field(foreign_key="one_on_one_pairs.id", ondelete="CASCADE", index=True)
    meeting_id: int | None = Field(default=None, foreign_key="one_on_one_meetings.id", ondelete="SET NULL")
    kind: OneOnOneItemKind = Field(sa_type=enum_type(OneOnOneItemKind), nullable=False)
    author_id: int | None = Field(default=None, foreign_key="people.id", ondelete="SET NULL")
    owner_id: int | None = Field(default=None, foreign_key="people.id", ondelete="SET NULL")
    text: str = Field(sa_type=sa.Text)
    created_at: datetime = created_timestamp()
    closed_at: datetime | None = optional_timestamp()
    """A talking point discussed, an action item done; None while it is still open."""


class OneOnOnePrivateNote(SQLModel, table=True):
    """A note one side of a pair keeps for themselves: nobody else reads it, admins included."""

    __tablename__ = "one_on_one_private_notes"

    id: int | None = Field(default=None, primary_key=True)
    pair_id: int = Field(foreign_key="one_on_one_pairs.id", ondelete="CASCADE", index=True)
    meeting_id: int | None = Field(default=None, foreign_key="one_on_one_meetings.id", ondelete="SET NULL")
    author_id: int = Field(foreign_key="people.id", ondelete="CASCADE", index=True)
    text: str = Field(sa_type=EncryptedText)
    created_at: datetime = created_timestamp()


class AuditAction(enum.StrEnum):
    """What an admin (or an operator at the command line) did that a security review wants to see."""

    SETTINGS_APPLIED = "settings_applied"
    GOALS_IMPORTED = "goals_imported"
    ORG_IMPORTED = "org_imported"
    ROLE_CHANGED = "role_changed"
    STATUS_OVERRIDDEN = "status_overridden"
    EXPORTED = "exported"
    ERASED = "erased"
    SECRETS_ROTATED = "secrets_rotated"
    RETENTION_APPLIED = "retention_applied"


class AuditEvent(SQLModel, table=True):
    """One admin action: who did what, to whom, when. ``details`` never holds what it is about
    (an erasure records counts of what went, not the words), so the log itself keeps nothing
    an erasure or a retention rule means to remove."""

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_workspace_id_at", "workspace_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int | None = Field(default=None, foreign_key="workspaces.id", ondelete="CASCADE")
    at: datetime = created_timestamp()
    actor_id: int | None = Field(default=None, foreign_key="people.id", ondelete="SET NULL")
    actor: str = Field(max_length=200)
    """Who did it, as a reader of the log wants it: a person's name and email, or ``cli (os user)``."""
    action: AuditAction = Field(sa_type=enum_type(AuditAction), nullable=False)
    subject_id: int | None = Field(default=None, foreign_key="people.id", ondelete="SET NULL")
    details: dict[str, Any] = json_field()

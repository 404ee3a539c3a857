"""Erasing a person (``cadence forget``, ``/cadence forget @sam``): everything Cadence holds about
them goes, except the counts other people's figures rest on. :data:`storage.personal_data.TABLES`
says, table by table, what this does.

What erasure keeps, and why:

- **the person's row**, renamed ``Erased person 42``, without email, time zone, level, team or
  manager, and inactive: kudos, feedback and 1:1 rows point at it, so that Ada's count of kudos
  received this quarter, or how many people answered a feedback request, stays what it was. The
  row says nothing about who it was;
- **the fact of a check-in** (answered, skipped, away, missed, and when), so a week's participation
  stays counted; the answers, the blockers and the reason for a skip go;
- **the mood goes too.** A mood is how someone felt: data about them, not a count. What
  others read from moods are a team's weekly average (in a digest, already delivered) and a
  person's own trend; digests and the fairness view count active people only, so no figure anyone
  reads later needs an erased person's moods. A past week's team mood worked out again may come
  out hidden, if it falls under the anonymity threshold without theirs: that is the rule doing
  its job, not a figure lost;
- **kudos, feedback, feedback requests and asks** stay as rows (counts by person, value and skill;
  who answered a request), with every word erased: the message a kudos carried, what went well
  and what could be better, a request's topic. That goes for what the person received as much as
  for what they gave: words about them are theirs to have erased;
- **goals**: a personal goal keeps its numbers (progress rolls up into its parent's) and loses its
  title, description and the titles of its key results; a team or company goal they owned loses its
  owner and keeps its words, which are the organisation's. Their comments on goal updates go, the
  updates (the progress history) stay;
- **1:1s**: the pair and its meetings stay for the other side, whose own items and private notes
  are theirs; the items the person wrote lose their text, their private notes go, and an agenda's
  seed (what their check-in said) is emptied;
- **their time off** goes: when someone was away is theirs, and nobody's figure counts it once
  they are inactive;
- **everything copied elsewhere goes**: their identities on Slack and Teams, conversation state and
  references, the raw platform requests they sent or that name them, and the outbox messages
  addressed to them or quoting them (pending ones are not sent). Rows stay where other code relies
  on their keys (an outbox key marks a feedback request as closed), with their content gone;
- **the audit log** keeps every entry, with the person's name replaced where they acted; the
  erasure's own entry records counts of what went, never the words.

What erasure can't reach: messages already delivered to Slack or Teams (in people's chats, in a
``#kudos`` channel) stay there, as a platform's own records do. Someone still in the Slack
workspace or the org file who writes to Cadence again, or is imported again, starts afresh as a
new person.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, delete, select, update

from conversations.messages import Platform
from storage import audit
from storage.models import (
    AuditAction,
    AuditEvent,
    CheckinResponse,
    ConversationReference,
    ConversationState,
    DeliveryStatus,
    Feedback,
    FeedbackRequest,
    Goal,
    GoalLevel,
    GoalUpdate,
    InboxRequest,
    InboxStatus,
    KeyResult,
    Kudos,
    OneOnOneItem,
    OneOnOneMeeting,
    OneOnOnePair,
    OneOnOnePrivateNote,
    OutboxDelivery,
    Person,
    PersonIdentity,
    PlatformConnection,
    Role,
    SlackInstallation,
    TimeOff,
)

ERASED_TEXT = "(erased)"
"""What stands where a person's words were, in text others still see the row of (a kudos, a 1:1 item)."""
ERASED_KIND = "erased"
"""The ``kind`` an outbox row takes once its message is erased: no reader (a +1 on a kudos card, a
pressed Teams card) takes it for the message it was."""
MIN_QUOTED_LENGTH = 12
"""A text the person wrote is looked for in copies (platform requests, outbox messages) only from
this long: "yes" or "4" would match everyone's messages, while a copy of a short answer names them anyway."""
SCAN_BATCH = 1000
WORD = "[0-9A-Za-z_]"
"""What may not touch a trace for it to count (``Ann`` is not in ``Anna``): ASCII letters and digits
only, as scripts written without spaces (``王小明が``) have no word boundaries to look for."""
PERSONAL_REFERENCE_KEYS = ("channel", "conversation", "user_key")
"""What of a conversation reference is the person's own: their Slack DM channel, their Teams chat
and Bot Framework id (not the tenant or the Bot Connector's address, which are the organisation's)."""


def erased_name(person_id: int) -> str:
    return f"Erased person {person_id}"


# ---- who they are, wherever it is written ---------------------------------------------------------------------------


def identity_of(session: Session, person: Person, platform: Platform) -> str | None:
    return session.exec(
        select(PersonIdentity.external_id).where(
            PersonIdentity.person_id == person.id, PersonIdentity.platform == platform
        )
    ).first()


def identity_strings(session: Session, person: Person) -> list[str]:
    """How platforms name them: their user ids, and their email (the shell's id)."""
    ids = list(session.exec(select(PersonIdentity.external_id).where(PersonIdentity.person_id == person.id)))
    return [*ids, *([person.email] if person.email else [])]


def strings_in(value: Any) -> Iterator[str]:
    """Every string in a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield str(key)
            yield from strings_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)


def holding(
    session: Session, model: Any, condition: Any, columns: Sequence[Any], wanted: Callable[[Sequence[Any]], bool]
) -> Iterator[Any]:
    """The rows of ``model`` meeting ``condition`` whose ``columns`` are ``wanted``, read a batch at a
    time. Tables that grow with every message (the inbox, the outbox) keep their contents encrypted
    (:mod:`storage.secrets`), so the database can't search them: each batch is read through the
    column types (decrypted), and only the rows wanted are loaded as objects, to change."""
    last = 0
    while True:
        batch = session.execute(
            sa.select(model.id, *columns).where(condition, model.id > last).order_by(model.id).limit(SCAN_BATCH)
        ).all()
        ids = [row[0] for row in batch if wanted(row[1:])]
        if ids:
            yield from session.exec(select(model).where(col(model.id).in_(ids)).order_by(model.id))
        if len(batch) < SCAN_BATCH:
            return
        last = batch[-1][0]


def inbox_rows(session: Session, workspace_id: int, traces: Traces) -> Iterator[InboxRequest]:
    """The organisation's platform requests that hold a trace."""
    teams = select(PlatformConnection.external_id).where(PlatformConnection.workspace_id == workspace_id)
    columns = (InboxRequest.payload, InboxRequest.error, InboxRequest.request_key)
    return holding(session, InboxRequest, col(InboxRequest.team).in_(teams), columns, traces.found_in)


class Traces:
    """What identifies a person in text: their name (also run together, as Teams writes a mention),
    email, platform ids and the ids of their chats with Cadence, and the words they wrote (and that
    were written to them), each as a whole word (see :data:`WORD`), case aside."""

    def __init__(self, identities: Iterable[str], words: Iterable[str]) -> None:
        identities = {value.strip() for value in identities if value and value.strip()}
        words = {value.strip() for value in words if value and len(value.strip()) >= MIN_QUOTED_LENGTH}
        self.values = sorted({*identities, *words}, key=len, reverse=True)
        self.escaped = [json.dumps(value.casefold(), ensure_ascii=False)[1:-1] for value in self.values]
        self.pattern = (
            re.compile("|".join(rf"(?<!{WORD}){re.escape(value)}(?!{WORD})" for value in self.values), re.IGNORECASE)
            if self.values
            else None
        )

    def found_in(self, value: Any) -> bool:
        """Whether a trace is anywhere in ``value`` (text or JSON, keys included). Most rows hold none,
        so a plain search of the value as JSON comes first (one C call; a trace is looked for as JSON
        writes it, case folded), and only then the whole-word pattern, string by string."""
        if self.pattern is None:
            return False
        written = json.dumps(value, ensure_ascii=False, default=str).casefold()
        if not any(trace in written for trace in self.escaped):
            return False
        return any(self.pattern.search(text) for text in strings_in(value))

    def redacted(self, value: Any) -> Any:
        """``value`` with every trace in its strings replaced by :data:`ERASED_TEXT`."""
        if self.pattern is None:
            return value
        if isinstance(value, str):
            return self.pattern.sub(ERASED_TEXT, value)
        if isinstance(value, Mapping):
            return {self.redacted(key): self.redacted(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.redacted(item) for item in value]
        return value


def traces_of(session: Session, person: Person) -> Traces:
    assert person.id is not None
    name = person.display_name
    identities = [name, re.sub(r"\s+", "", name), *identity_strings(session, person)]
    for reference in session.exec(
        select(ConversationReference.reference).where(ConversationReference.person_id == person.id)
    ):
        identities += [str(reference[key]) for key in PERSONAL_REFERENCE_KEYS if reference.get(key)]
    return Traces(identities, written_by_or_to(session, person))


def written_by_or_to(session: Session, person: Person) -> list[str]:
    """Every text the person wrote, or that was written to or about them, as Cadence stores it."""
    person_id = person.id
    texts: list[str] = []
    for answers, blockers, reason in session.exec(
        select(CheckinResponse.answers, CheckinResponse.blockers, CheckinResponse.skip_reason).where(
            CheckinResponse.person_id == person_id
        )
    ):
        texts += [*strings_in(list(answers.values())), blockers or "", reason or ""]
    texts += session.exec(
        select(Kudos.message).where((Kudos.giver_id == person_id) | (Kudos.recipient_id == person_id))
    ).all()
    for went_well, could_be_better in session.exec(
        select(Feedback.went_well, Feedback.could_be_better).where(
            (Feedback.giver_id == person_id) | (Feedback.recipient_id == person_id)
        )
    ):
        texts += [went_well, could_be_better]
    texts += session.exec(select(FeedbackRequest.topic).where(FeedbackRequest.requester_id == person_id)).all()
    texts += session.exec(select(OneOnOneItem.text).where(OneOnOneItem.author_id == person_id)).all()
    texts += session.exec(select(OneOnOnePrivateNote.text).where(OneOnOnePrivateNote.author_id == person_id)).all()
    texts += session.exec(select(GoalUpdate.comment).where(GoalUpdate.author_id == person_id)).all()
    for goal in session.exec(select(Goal).where(Goal.owner_id == person_id, Goal.level == GoalLevel.PERSON)):
        texts += [goal.title, goal.description, goal.health_reason or ""]
        texts += session.exec(select(KeyResult.title).where(KeyResult.goal_id == goal.id)).all()
    return texts


# ---- erasure -------------------------------------------------------------------------------------------------------


WHAT_GOES = (
    "checkins",
    "time_off",
    "kudos_given",
    "kudos_received",
    "feedback_given",
    "feedback_received",
    "feedback_requests",
    "goals",
    "goal_comments",
    "one_on_one_items",
    "private_notes",
)
"""The kinds of record :func:`summary` counts, in the order people are told about them."""


def _about(person_id: int) -> Mapping[str, tuple[type, Any]]:
    """Each kind of :data:`WHAT_GOES`: its table, and which of its rows hold the person's words."""
    return {
        "checkins": (CheckinResponse, CheckinResponse.person_id == person_id),
        "time_off": (TimeOff, TimeOff.person_id == person_id),
        "kudos_given": (Kudos, Kudos.giver_id == person_id),
        "kudos_received": (Kudos, Kudos.recipient_id == person_id),
        "feedback_given": (Feedback, Feedback.giver_id == person_id),
        "feedback_received": (Feedback, Feedback.recipient_id == person_id),
        "feedback_requests": (FeedbackRequest, FeedbackRequest.requester_id == person_id),
        "goals": (Goal, sa.and_(Goal.owner_id == person_id, Goal.level == GoalLevel.PERSON)),
        "goal_comments": (GoalUpdate, sa.and_(GoalUpdate.author_id == person_id, GoalUpdate.comment != "")),
        "one_on_one_items": (OneOnOneItem, OneOnOneItem.author_id == person_id),
        "private_notes": (OneOnOnePrivateNote, OneOnOnePrivateNote.author_id == person_id),
    }


def summary(session: Session, person: Person) -> dict[str, int]:
    """How many records of each kind erasing ``person`` erases the words of (or deletes), for the
    question that asks whether to go ahead; kinds with none are left out."""
    assert person.id is not None
    counts = {
        kind: session.exec(select(sa.func.count()).select_from(table).where(condition)).one()
        for kind, (table, condition) in _about(person.id).items()
    }
    return {kind: counts[kind] for kind in WHAT_GOES if counts[kind]}


@dataclass(frozen=True)
class Erasure:
    """What :func:`forget` did: the name the person's row now has, and how many rows of each kind lost
    their content (the kinds of :data:`WHAT_GOES`, then the copies: ``identities``, ``conversations``,
    ``requests``, ``messages``, ...). The audit log records exactly this."""

    person_id: int
    anonymous_name: str
    counts: Mapping[str, int]

    def details(self) -> dict[str, Any]:
        return {"anonymised_as": self.anonymous_name, "erased": dict(self.counts)}


def forget(session: Session, person: Person, now: datetime, *, actor: Person | str) -> Erasure:
    """Erase what Cadence holds about ``person`` (see the module's docstring for what stays, and why),
    and record it in the audit log, all in the caller's unit of work."""
    assert person.id is not None
    person_id = person.id
    traces = traces_of(session, person)  # before their words and ids go: copies are found by them
    counts = dict(summary(session, person))
    _erase_words(session, person_id)
    anonymous = erased_name(person_id)
    counts["identities"] = _delete(session, PersonIdentity, PersonIdentity.person_id == person_id)
    counts["conversation_references"] = _delete(
        session, ConversationReference, ConversationReference.person_id == person_id
    )
    counts["conversations"] = _forget_conversations(session, person, traces)
    counts["agenda_seeds"] = _empty_seeds(session, person_id)
    counts["requests"] = _forget_requests(session, person, traces)
    counts["messages"] = _forget_messages(session, person, traces)
    counts["installations"] = _forget_installations(session, person, traces)
    counts["audit_entries"] = _anonymise_audit(session, person_id, anonymous, traces)
    _anonymise_profile(person, anonymous, now)
    session.add(person)
    session.flush()
    erasure = Erasure(person_id, anonymous, {kind: count for kind, count in counts.items() if count})
    audit.record(
        session,
        AuditAction.ERASED,
        workspace_id=person.workspace_id,
        actor=actor,
        subject=person,
        details=erasure.details(),
        at=now,
    )
    session.flush()
    return erasure


def _delete(session: Session, table: type, condition: Any) -> int:
    return session.exec(delete(table).where(condition)).rowcount or 0  # type: ignore[call-overload]


def _erase_words(session: Session, person_id: int) -> None:
    """The person's words gone from every row that stays for others' counts; their own rows deleted."""
    session.exec(
        update(CheckinResponse)
        .where(CheckinResponse.person_id == person_id)
        .values(answers={}, mood=None, blockers=None, skip_reason=None)
    )
    _delete(session, TimeOff, TimeOff.person_id == person_id)
    session.exec(
        update(Kudos)
        .where((Kudos.giver_id == person_id) | (Kudos.recipient_id == person_id))
        .values(message=ERASED_TEXT)
    )
    about = (Feedback.giver_id == person_id) | (Feedback.recipient_id == person_id)
    for column in (Feedback.went_well, Feedback.could_be_better):
        session.exec(update(Feedback).where(about, column != "").values({column: ERASED_TEXT}))
    session.exec(update(Feedback).where(about).values(quoted_in_snapshot=False))
    session.exec(update(FeedbackRequest).where(FeedbackRequest.requester_id == person_id).values(topic=""))
    personal = select(Goal.id).where(Goal.owner_id == person_id, Goal.level == GoalLevel.PERSON)
    session.exec(update(KeyResult).where(col(KeyResult.goal_id).in_(personal)).values(title=ERASED_TEXT))
    session.exec(
        update(Goal)
        .where(Goal.owner_id == person_id, Goal.level == GoalLevel.PERSON)
        .values(title=ERASED_TEXT, description="", health_reason=None)
    )
    session.exec(update(Goal).where(Goal.owner_id == person_id, Goal.level != GoalLevel.PERSON).values(owner_id=None))
    session.exec(update(GoalUpdate).where(GoalUpdate.author_id == person_id).values(comment=""))
    session.exec(update(OneOnOneItem).where(OneOnOneItem.author_id == person_id).values(text=ERASED_TEXT))
    _delete(session, OneOnOnePrivateNote, OneOnOnePrivateNote.author_id == person_id)


def _forget_conversations(session: Session, person: Person, traces: Traces) -> int:
    """Their conversations, and anyone else's that quotes them (a kudos to them half written)."""
    rows = session.exec(select(ConversationState).where(ConversationState.workspace_id == person.workspace_id))
    gone = [row for row in rows if row.person_id == person.id or traces.found_in(row.data)]
    for row in gone:
        session.delete(row)
    return len(gone)


def _empty_seeds(session: Session, person_id: int) -> int:
    """An agenda's seed is what the report's check-in said: emptied where they are the report."""
    theirs = select(OneOnOnePair.id).where(OneOnOnePair.report_id == person_id)
    meetings = list(session.exec(select(OneOnOneMeeting).where(col(OneOnOneMeeting.pair_id).in_(theirs))))
    for meeting in meetings:
        meeting.seed = {}
        session.add(meeting)
    return sum(1 for _ in meetings)


def _forget_requests(session: Session, person: Person, traces: Traces) -> int:
    """Platform requests they sent or that name them keep their key (a redelivery is still known)
    without their content; one still waiting is not worked on."""
    erased = 0
    for row in inbox_rows(session, person.workspace_id, traces):
        if not traces.found_in([row.payload, row.error or "", row.request_key]):
            continue
        row.payload = {"erased": True}
        row.request_key = traces.redacted(row.request_key)
        row.error = "its person was erased" if row.status in (InboxStatus.QUEUED, InboxStatus.PROCESSING) else None
        if row.status in (InboxStatus.QUEUED, InboxStatus.PROCESSING):
            row.status = InboxStatus.FAILED
        session.add(row)
        erased += 1
    return erased


def _forget_messages(session: Session, person: Person, traces: Traces) -> int:
    """Messages to them, or quoting them, keep their row and key (some keys mark what was done, a
    feedback request closed) without their content; one not sent yet never is."""
    own = f"person:{person.id}"
    columns = (
        OutboxDelivery.payload,
        OutboxDelivery.recipient,
        OutboxDelivery.dedupe_key,
        OutboxDelivery.last_error,
        OutboxDelivery.platform_message_id,
    )

    def wanted(values: Sequence[Any]) -> bool:
        payload, recipient = values[0], values[1]
        return (
            recipient == own
            or (payload.get("destination") or {}).get("person_id") == person.id
            or (traces.found_in(values))
        )

    rows = holding(session, OutboxDelivery, OutboxDelivery.workspace_id == person.workspace_id, columns, wanted)
    erased = 0
    for row in rows:
        looked_at = [row.payload, row.recipient, row.dedupe_key, row.last_error or "", row.platform_message_id or ""]
        to_them = row.recipient == own or (row.payload.get("destination") or {}).get("person_id") == person.id
        if not to_them and not traces.found_in(looked_at):
            continue
        destination = row.payload.get("destination") or {}
        row.payload = {
            "outbound": {"kind": ERASED_KIND, "data": {}},
            "destination": {"type": "direct_message", "person_id": person.id} if to_them else destination,
        }
        row.kind = ERASED_KIND
        row.recipient = own if to_them else traces.redacted(row.recipient)
        row.dedupe_key = traces.redacted(row.dedupe_key)
        if to_them or traces.found_in(row.platform_message_id or ""):
            row.platform_message_id = None
        row.last_error = None
        if row.status in (DeliveryStatus.PENDING, DeliveryStatus.SENDING):
            row.status = DeliveryStatus.FAILED
            row.last_error = "not sent: its person was erased"
        session.add(row)
        erased += 1
    return erased


def _forget_installations(session: Session, person: Person, traces: Traces) -> int:
    """A Slack installation names who installed it: that id goes, the installation (and its token) stays."""
    teams = select(PlatformConnection.external_id).where(
        PlatformConnection.workspace_id == person.workspace_id, PlatformConnection.platform == Platform.SLACK
    )
    erased = 0
    for row in session.exec(select(SlackInstallation).where(col(SlackInstallation.team_id).in_(teams))):
        if traces.found_in([row.user_id, row.data]):
            row.user_id = traces.redacted(row.user_id)
            row.data = traces.redacted(row.data)
            session.add(row)
            erased += 1
    return erased


def _anonymise_audit(session: Session, person_id: int, anonymous: str, traces: Traces) -> int:
    """Entries stay (a review needs to see what happened); who acted reads as the anonymous name."""
    changed = 0
    for row in session.exec(
        select(AuditEvent).where((AuditEvent.actor_id == person_id) | (AuditEvent.subject_id == person_id))
    ):
        details = traces.redacted(dict(row.details))
        renamed = row.actor_id == person_id and row.actor != anonymous
        if not renamed and details == row.details:
            continue
        if renamed:
            row.actor = anonymous
        row.details = details
        session.add(row)
        changed += 1
    return changed


def _anonymise_profile(person: Person, anonymous: str, now: datetime) -> None:
    person.display_name = anonymous
    person.email = None
    person.timezone = "UTC"
    person.timezone_from_org_file = False
    person.level = None
    person.team_id = None
    person.manager_id = None
    person.role = Role.MEMBER
    person.preferred_platform = None
    person.last_platform = None
    person.away_until = None
    person.active = False
    person.erased_at = now
    person.updated_at = now

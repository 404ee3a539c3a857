"""What Cadence holds about one person: all of it as one JSON document (:func:`export`), or all of
it erased (:func:`forget`) except the counts other people's figures rest on.

Every table is in :data:`TABLES`, with where its rows about a person appear in the export and what
erasure does to them; a test checks the list names every table there is, so a new table can't be
left out of either without someone deciding how it is treated.

What erasure keeps, and why:

- **the person's row**, renamed ``Erased person 42``, without email, time zone, level, team or
  manager, and inactive: kudos, feedback and 1:1 rows point at it, so that Ada's count of kudos
  received this quarter, or how many people answered a feedback request, stays what it was. The
  row says nothing about who it was;
- **the fact of a check-in** (answered, skipped, away, missed, and when), so a week's participation
  stays counted; the answers, the blockers and the reason for a skip go;
- **the mood goes too.** A mood is how someone felt, the most personal thing Cadence holds. What
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

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, delete, select, update

from conversations.checkin_answers import display, is_upward
from conversations.messages import Platform
from storage import audit, privacy
from storage.checkins import question_text
from storage.models import (
    AuditAction,
    AuditEvent,
    CheckinCycle,
    CheckinResponse,
    CheckinTemplate,
    CompanyValue,
    ConversationReference,
    ConversationState,
    DeliveryStatus,
    Feedback,
    FeedbackAsk,
    FeedbackRequest,
    Goal,
    GoalLevel,
    GoalUpdate,
    InboxRequest,
    InboxStatus,
    KeyResult,
    Kudos,
    KudosSkill,
    KudosValue,
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
    Team,
    TimeOff,
    Workspace,
)

FORMAT = "cadence-personal-data"
VERSION = 1
"""The export's version: a reader checks it before reading further; it changes when a field does."""
ERASED_TEXT = "(erased)"
"""What stands where a person's words were, in text others still see the row of (a kudos, a 1:1 item)."""
ERASED_KIND = "erased"
"""The ``kind`` an outbox row takes once its message is erased: no reader (a +1 on a kudos card, a
pressed Teams card) takes it for the message it was."""
MIN_QUOTED_LENGTH = 12
"""A text the person wrote is looked for in copies (platform requests, outbox messages) only from
this long: "yes" or "4" would match everyone's messages, while a copy of a short answer names them anyway."""
BATCH = 500


def erased_name(person_id: int) -> str:
    return f"Erased person {person_id}"


@dataclass(frozen=True)
class Treatment:
    """How one table's rows about a person are handled: the export sections they appear in
    (none for tables that hold nothing about anyone), and what erasure does to them."""

    exported_in: tuple[str, ...]
    erasure: str


TABLES: Mapping[str, Treatment] = {
    "workspaces": Treatment(("organisation",), "kept: the organisation's name and settings"),
    "platform_connections": Treatment((), "kept: the organisation's accounts on each platform"),
    "teams": Treatment(("person",), "kept; the person leaves their team"),
    "people": Treatment(("person",), "renamed Erased person N, without email, zone, level, team or manager; inactive"),
    "person_identities": Treatment(("identities",), "deleted"),
    "company_values": Treatment(("kudos_given", "kudos_received"), "kept: the organisation's values"),
    "goals": Treatment(("goals",), "a personal goal loses its words; a team or company goal its owner"),
    "key_results": Treatment(("goals",), "a personal goal's key results lose their titles"),
    "goal_updates": Treatment(("goals", "goal_updates_written"), "comments erased; the history of values stays"),
    "checkin_templates": Treatment(("checkins",), "kept: the questions asked"),
    "checkin_cycles": Treatment(("checkins",), "kept: the weeks"),
    "checkin_responses": Treatment(("checkins",), "answers, mood, blockers and skip reason erased; status stays"),
    "time_off": Treatment(("time_off",), "deleted"),
    "kudos": Treatment(("kudos_given", "kudos_received"), "message erased; giver, recipient and day stay"),
    "kudos_values": Treatment(("kudos_given", "kudos_received"), "kept: counts by value"),
    "kudos_skills": Treatment(("kudos_given", "kudos_received"), "kept: counts by skill"),
    "conversation_states": Treatment(("conversations",), "deleted, theirs and others' that quote them"),
    "conversation_references": Treatment(("conversation_references",), "deleted"),
    "inbox_requests": Treatment(("requests",), "content erased of requests they sent or that name them"),
    "outbox_deliveries": Treatment(("messages",), "content erased of messages to them or quoting them; not sent"),
    "slack_installations": Treatment(("installations",), "their Slack id erased where they installed the app"),
    "slack_bots": Treatment((), "kept: the bot's token"),
    "slack_oauth_states": Treatment((), "kept: one-time install states"),
    "feedback": Treatment(("feedback_given", "feedback_received"), "words erased, given and received; rows stay"),
    "feedback_requests": Treatment(("feedback_requests", "feedback_asked"), "topic erased; the request stays"),
    "feedback_asks": Treatment(("feedback_requests", "feedback_asked"), "kept: who was asked and answered"),
    "one_on_one_pairs": Treatment(("one_on_ones",), "kept for the other side"),
    "one_on_one_meetings": Treatment(("one_on_ones",), "kept; the seed of their agendas emptied"),
    "one_on_one_items": Treatment(("one_on_ones",), "text erased of the items they wrote"),
    "one_on_one_private_notes": Treatment(("one_on_ones",), "theirs deleted; the other side's are the other's"),
    "audit_events": Treatment(("audit_events",), "kept; their name erased where they acted"),
}


def iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


# ---- export --------------------------------------------------------------------------------------------------------


@dataclass
class Reading:
    """Who the export is for: ``reader`` None for the whole record (the operator at the command line),
    else a person in chat, who gets what the privacy rules let them read (everything, for the person
    themselves), with a count of what was left out and why."""

    session: Session
    person: Person
    reader: Person | None
    names: Mapping[int, str]
    withheld: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def whole(self) -> bool:
        return self.reader is None or self.reader.id == self.person.id

    def may(self, allowed: bool, record: privacy.Record | str) -> bool:
        if self.reader is None or allowed:
            return True
        self.withheld[record.value if isinstance(record, privacy.Record) else record] += 1
        return False

    def name(self, person_id: int | None) -> str | None:
        return self.names.get(person_id) if person_id is not None else None


COPIES = "raw copies of what they said to Cadence (conversations in progress, platform requests)"


def export(session: Session, person: Person, now: datetime, *, reader: Person | None = None) -> dict[str, Any]:
    """Everything Cadence holds about ``person`` as a JSON-ready document (:data:`FORMAT`, :data:`VERSION`).

    Never the other side's private 1:1 notes, nor an agenda's seed about someone else: those are
    theirs. For ``reader`` (someone asking in chat), only what the privacy rules let them read."""
    assert person.id is not None
    workspace = session.get(Workspace, person.workspace_id)
    assert workspace is not None and workspace.id is not None
    names = dict(session.exec(select(Person.id, Person.display_name).where(Person.workspace_id == workspace.id)).all())
    reading = Reading(session, person, reader, names)
    document: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": iso(now),
        "organisation": {"id": workspace.id, "name": workspace.name},
        "person": profile(session, person, reading),
        "identities": [
            {"platform": row.platform.value, "id": row.external_id}
            for row in session.exec(select(PersonIdentity).where(PersonIdentity.person_id == person.id))
        ],
        "conversation_references": [
            {"platform": row.platform.value, "reference": dict(row.reference), "updated_at": iso(row.updated_at)}
            for row in session.exec(select(ConversationReference).where(ConversationReference.person_id == person.id))
        ],
        "checkins": checkins(reading),
        "time_off": [
            {"from": iso(row.starts_on), "to": iso(row.ends_on), "recorded_at": iso(row.created_at)}
            for row in session.exec(select(TimeOff).where(TimeOff.person_id == person.id).order_by(TimeOff.starts_on))
        ],
        **goals(reading),
        **kudos(reading),
        **feedback(reading),
        "one_on_ones": one_on_ones(reading),
        "conversations": conversations(reading),
        "requests": requests(reading),
        "messages": messages(reading),
        "installations": installations(reading),
        "audit_events": audit_events(reading),
    }
    document["withheld"] = [{"what": what, "count": count} for what, count in sorted(reading.withheld.items())]
    return document


def profile(session: Session, person: Person, reading: Reading) -> dict[str, Any]:
    team = session.get(Team, person.team_id) if person.team_id else None
    return {
        "id": person.id,
        "display_name": person.display_name,
        "email": person.email,
        "role": person.role.value,
        "level": person.level,
        "team": team.name if team else None,
        "manager": reading.name(person.manager_id),
        "timezone": person.timezone,
        "preferred_platform": person.preferred_platform.value if person.preferred_platform else None,
        "last_platform": person.last_platform.value if person.last_platform else None,
        "away_until": iso(person.away_until),
        "active": person.active,
        "is_bot": person.is_bot,
        "created_at": iso(person.created_at),
        "updated_at": iso(person.updated_at),
        "erased_at": iso(person.erased_at),
    }


def checkins(reading: Reading) -> list[dict[str, Any]]:
    """Each week's check-in with the questions' words beside the answers; the answers for the
    manager alone are left out for a reader who isn't the person or that manager."""
    session, person = reading.session, reading.person
    upward_readable = reading.reader is None or privacy.can_read_upward_answers(session, reading.reader, person)
    rows = session.exec(
        select(CheckinResponse, CheckinCycle, CheckinTemplate)
        .join(CheckinCycle, col(CheckinCycle.id) == CheckinResponse.cycle_id)
        .join(CheckinTemplate, col(CheckinTemplate.id) == CheckinResponse.template_id, isouter=True)
        .where(CheckinResponse.person_id == person.id)
        .order_by(CheckinCycle.week)
    ).all()
    weeks = []
    for response, cycle, template in rows:
        questions = {question["id"]: question for question in (template.questions if template else [])}
        answers = []
        for question_id, value in response.answers.items():
            question = questions.get(question_id)
            if (
                question is not None
                and is_upward(question)
                and not reading.may(upward_readable, privacy.Record.UPWARD_ANSWER)
            ):
                continue
            answers.append(
                {
                    "question": question_text(question) if question else question_id,
                    "answer": display(question, value) if question else value,
                }
            )
        weeks.append(
            {
                "week": cycle.week,
                "status": response.status.value,
                "mood": response.mood,
                "blockers": response.blockers,
                "skip_reason": response.skip_reason,
                "answers": answers,
                "prompted_at": iso(response.prompted_at),
                "reminders_sent": response.reminders_sent,
                "started_at": iso(response.started_at),
                "submitted_at": iso(response.submitted_at),
            }
        )
    return weeks


def goals(reading: Reading) -> dict[str, Any]:
    """Goals they own, each with its key results and history; and the updates they wrote on others' goals."""
    session, person = reading.session, reading.person
    owned = list(session.exec(select(Goal).where(Goal.owner_id == person.id).order_by(Goal.number)))
    owned_ids = [goal.id for goal in owned]
    key_results: dict[int, list[KeyResult]] = defaultdict(list)
    for kr in session.exec(select(KeyResult).where(col(KeyResult.goal_id).in_(owned_ids)).order_by(KeyResult.number)):
        key_results[kr.goal_id].append(kr)
    kr_refs = {kr.id: f"KR-{kr.number}" for krs in key_results.values() for kr in krs}
    history: dict[int, list[GoalUpdate]] = defaultdict(list)
    for goal_update in session.exec(
        select(GoalUpdate).where(col(GoalUpdate.goal_id).in_(owned_ids)).order_by(GoalUpdate.created_at)
    ):
        history[goal_update.goal_id].append(goal_update)

    def shown_update(goal_update: GoalUpdate, refs: Mapping[int, str]) -> dict[str, Any]:
        return {
            "at": iso(goal_update.created_at),
            "key_result": refs.get(goal_update.key_result_id) if goal_update.key_result_id else None,
            "old_value": goal_update.old_value,
            "new_value": goal_update.new_value,
            "confidence": goal_update.confidence,
            "comment": goal_update.comment,
            "by": reading.name(goal_update.author_id),
            "source": goal_update.source,
        }

    shown = [
        {
            "ref": f"G-{goal.number}",
            "title": goal.title,
            "description": goal.description,
            "level": goal.level.value,
            "kind": goal.kind.value,
            "skill": goal.skill,
            "period": goal.period,
            "starts_on": iso(goal.starts_on),
            "ends_on": iso(goal.ends_on),
            "state": goal.state.value,
            "progress": goal.progress,
            "health_override": goal.health_override.value if goal.health_override else None,
            "health_reason": goal.health_reason,
            "created_at": iso(goal.created_at),
            "closed_at": iso(goal.closed_at),
            "key_results": [
                {
                    "ref": f"KR-{kr.number}",
                    "title": kr.title,
                    "metric": kr.metric.value,
                    "start": kr.start_value,
                    "target": kr.target_value,
                    "current": kr.current_value,
                    "unit": kr.unit,
                    "confidence": kr.confidence,
                    "progress": kr.progress,
                }
                for kr in key_results[goal.id]
            ],
            "updates": [shown_update(goal_update, kr_refs) for goal_update in history[goal.id]],
        }
        for goal in owned
    ]
    written = session.exec(
        select(GoalUpdate, Goal, KeyResult)
        .join(Goal, col(Goal.id) == GoalUpdate.goal_id)
        .join(KeyResult, col(KeyResult.id) == GoalUpdate.key_result_id, isouter=True)
        .where(GoalUpdate.author_id == person.id, col(GoalUpdate.goal_id).not_in(owned_ids))
        .order_by(GoalUpdate.created_at)
    ).all()
    elsewhere = [
        {"goal": f"G-{goal.number}", **shown_update(goal_update, {kr.id: f"KR-{kr.number}"} if kr else {})}
        for goal_update, goal, kr in written
    ]
    return {"goals": shown, "goal_updates_written": elsewhere}


def kudos(reading: Reading) -> dict[str, Any]:
    session, person = reading.session, reading.person
    rows = list(
        session.exec(
            select(Kudos)
            .where((Kudos.giver_id == person.id) | (Kudos.recipient_id == person.id))
            .order_by(Kudos.given_at, Kudos.id)
        )
    )
    ids = [row.id for row in rows]
    values: dict[int, list[str]] = defaultdict(list)
    for kudos_id, label in session.exec(
        select(KudosValue.kudos_id, CompanyValue.label)
        .join(CompanyValue, col(CompanyValue.id) == KudosValue.value_id)
        .where(col(KudosValue.kudos_id).in_(ids))
    ):
        values[kudos_id].append(label)
    skills: dict[int, list[str]] = defaultdict(list)
    for kudos_id, skill in session.exec(
        select(KudosSkill.kudos_id, KudosSkill.skill).where(col(KudosSkill.kudos_id).in_(ids))
    ):
        skills[kudos_id].append(skill)

    def shown(row: Kudos, other: str, other_id: int) -> dict[str, Any]:
        return {
            "given_at": iso(row.given_at),
            "day": iso(row.giver_local_date),
            other: reading.name(other_id),
            "message": row.message,
            "values": sorted(values[row.id]),
            "skills": sorted(skills[row.id]),
            "source": row.source.value,
        }

    return {
        "kudos_given": [shown(row, "to", row.recipient_id) for row in rows if row.giver_id == person.id],
        "kudos_received": [shown(row, "from", row.giver_id) for row in rows if row.recipient_id == person.id],
    }


def feedback(reading: Reading) -> dict[str, Any]:
    """Feedback given and received, their requests with who was asked, and the requests they were asked in."""
    session, person = reading.session, reading.person
    topics = {
        request.id: request.topic
        for request in session.exec(select(FeedbackRequest).where(FeedbackRequest.workspace_id == person.workspace_id))
    }
    given, received = [], []
    for row in session.exec(
        select(Feedback)
        .where((Feedback.giver_id == person.id) | (Feedback.recipient_id == person.id))
        .order_by(Feedback.given_at, Feedback.id)
    ):
        readable = reading.reader is None or privacy.can_read_feedback(session, reading.reader, row)
        if not reading.may(readable, privacy.feedback_record(row)):
            continue
        entry = {
            "given_at": iso(row.given_at),
            "went_well": row.went_well,
            "could_be_better": row.could_be_better,
            "value": row.value_slug,
            "skill": row.skill,
            "shared_with": row.audience.value,
            "request_topic": topics.get(row.request_id) if row.request_id else None,
            "thanked_at": iso(row.thanked_at),
            "quoted_in_snapshot": row.quoted_in_snapshot,
        }
        if row.giver_id == person.id:
            given.append({"to": reading.name(row.recipient_id), **entry})
        else:
            received.append({"from": reading.name(row.giver_id), **entry})
    answerers_readable = reading.reader is None or privacy.can_see_who_answered(session, reading.reader, person)
    requests_made = []
    for request in session.exec(
        select(FeedbackRequest).where(FeedbackRequest.requester_id == person.id).order_by(FeedbackRequest.created_at)
    ):
        asks = list(session.exec(select(FeedbackAsk).where(FeedbackAsk.request_id == request.id)))
        entry = {
            "created_at": iso(request.created_at),
            "closes_at": iso(request.closes_at),
            "topic": request.topic,
            "shared_with": request.audience.value,
            "asked": len(asks),
        }
        if reading.may(answerers_readable, privacy.Record.REQUEST_ANSWERERS):
            entry["asks"] = [
                {"peer": reading.name(ask.peer_id), "status": ask.status.value, "answered_at": iso(ask.answered_at)}
                for ask in asks
            ]
        requests_made.append(entry)
    asked = []
    for ask, request in session.exec(
        select(FeedbackAsk, FeedbackRequest)
        .join(FeedbackRequest, col(FeedbackRequest.id) == FeedbackAsk.request_id)
        .where(FeedbackAsk.peer_id == person.id)
        .order_by(FeedbackRequest.created_at)
    ).all():
        entry = {"by": reading.name(request.requester_id), "topic": request.topic, "asked_at": iso(request.created_at)}
        if reading.may(reading.whole, "whether they answered a feedback request"):  # nobody is told who declined
            entry.update(status=ask.status.value, reminded_at=iso(ask.reminded_at), answered_at=iso(ask.answered_at))
        asked.append(entry)
    return {
        "feedback_given": given,
        "feedback_received": received,
        "feedback_requests": requests_made,
        "feedback_asked": asked,
    }


def one_on_ones(reading: Reading) -> list[dict[str, Any]]:
    """Their 1:1s: the pair, its meetings, the items both sides read, and their own private notes.
    An agenda's seed is what the report's check-in said: it is theirs only when they are the report."""
    session, person = reading.session, reading.person
    shown = []
    pairs = session.exec(
        select(OneOnOnePair)
        .where((OneOnOnePair.manager_id == person.id) | (OneOnOnePair.report_id == person.id))
        .order_by(OneOnOnePair.created_at)
    )
    for pair in pairs:
        readable = reading.reader is None or privacy.can_read_one_on_one(session, reading.reader, pair)
        if not reading.may(readable, privacy.Record.ONE_ON_ONE):
            continue
        is_report = pair.report_id == person.id
        meetings = list(
            session.exec(
                select(OneOnOneMeeting).where(OneOnOneMeeting.pair_id == pair.id).order_by(OneOnOneMeeting.starts_at)
            )
        )
        items = session.exec(
            select(OneOnOneItem).where(OneOnOneItem.pair_id == pair.id).order_by(OneOnOneItem.created_at)
        )
        notes = []
        for note in session.exec(
            select(OneOnOnePrivateNote)
            .where(OneOnOnePrivateNote.pair_id == pair.id, OneOnOnePrivateNote.author_id == person.id)
            .order_by(OneOnOnePrivateNote.created_at)
        ):
            readable_note = reading.reader is None or privacy.can_read_private_note(reading.reader, note)
            if reading.may(readable_note, privacy.Record.PRIVATE_NOTE):
                notes.append({"created_at": iso(note.created_at), "text": note.text})
        shown.append(
            {
                "with": reading.name(pair.manager_id if is_report else pair.report_id),
                "they_are": "report" if is_report else "manager",
                "cadence": pair.cadence.value if pair.cadence else None,
                "weekday": pair.weekday,
                "local_time": pair.local_time,
                "since": iso(pair.created_at),
                "meetings": [
                    {"starts_at": iso(meeting.starts_at), **({"seed": dict(meeting.seed)} if is_report else {})}
                    for meeting in meetings
                ],
                "items": [
                    {
                        "kind": item.kind.value,
                        "text": item.text,
                        "by": reading.name(item.author_id),
                        "owner": reading.name(item.owner_id),
                        "created_at": iso(item.created_at),
                        "closed_at": iso(item.closed_at),
                    }
                    for item in items
                ],
                "private_notes": notes,
            }
        )
    return shown


def conversations(reading: Reading) -> list[dict[str, Any]]:
    rows = list(reading.session.exec(select(ConversationState).where(ConversationState.person_id == reading.person.id)))
    if not reading.may(reading.whole or not rows, COPIES):
        return []
    return [
        {
            "flow": row.flow,
            "step": row.step,
            "platform": row.platform.value,
            "data": dict(row.data),
            "updated_at": iso(row.updated_at),
            "expires_at": iso(row.expires_at),
        }
        for row in rows
    ]


def requests(reading: Reading) -> list[dict[str, Any]]:
    """The platform requests they sent, as Cadence read them: what they typed, pressed or submitted."""
    ids = set(identity_strings(reading.session, reading.person))
    shown = []
    for row in inbox_rows(reading.session, reading.person.workspace_id):
        inbound = row.payload.get("inbound") or {}
        sender = (
            inbound.get("user")
            or (row.payload.get("where") or {}).get("user")
            or (row.payload.get("user") or {}).get("id")
        )
        if sender not in ids:
            continue
        if not reading.may(reading.whole, COPIES):
            continue
        shown.append(
            {
                "received_at": iso(row.received_at),
                "platform": row.platform.value,
                "kind": row.kind,
                "status": row.status.value,
                "said": {key: inbound.get(key) for key in ("command", "text", "choice", "form") if inbound.get(key)},
            }
        )
    return shown


def messages(reading: Reading) -> list[dict[str, Any]]:
    """The messages Cadence sent them, by kind and when (their words are elsewhere in the export)."""
    rows = reading.session.exec(
        select(OutboxDelivery)
        .where(
            OutboxDelivery.workspace_id == reading.person.workspace_id,
            OutboxDelivery.recipient == f"person:{reading.person.id}",
        )
        .order_by(OutboxDelivery.created_at, OutboxDelivery.id)
    )
    return [
        {
            "created_at": iso(row.created_at),
            "kind": row.kind,
            "platform": row.platform.value,
            "status": row.status.value,
            "sent_at": iso(row.sent_at),
        }
        for row in rows
    ]


def installations(reading: Reading) -> list[dict[str, Any]]:
    slack_id = identity_of(reading.session, reading.person, Platform.SLACK)
    if slack_id is None:
        return []
    rows = reading.session.exec(
        select(SlackInstallation)
        .where(SlackInstallation.user_id == slack_id, col(SlackInstallation.team_id).in_(slack_teams(reading)))
        .order_by(SlackInstallation.installed_at)
    )
    return [{"platform": "slack", "team": row.team_id, "installed_at": iso(row.installed_at)} for row in rows]


def slack_teams(reading: Reading) -> list[str]:
    return list(
        reading.session.exec(
            select(PlatformConnection.external_id).where(
                PlatformConnection.workspace_id == reading.person.workspace_id,
                PlatformConnection.platform == Platform.SLACK,
            )
        )
    )


def audit_events(reading: Reading) -> list[dict[str, Any]]:
    person_id = reading.person.id
    rows = reading.session.exec(
        select(AuditEvent)
        .where((AuditEvent.actor_id == person_id) | (AuditEvent.subject_id == person_id))
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return [
        {
            "at": iso(row.at),
            "action": row.action.value,
            "by": row.actor,
            "about": reading.name(row.subject_id),
            "details": dict(row.details),
        }
        for row in rows
    ]


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


def inbox_rows(session: Session, workspace_id: int) -> Iterator[InboxRequest]:
    """The organisation's platform requests, a batch at a time (the table grows with every message)."""
    teams = list(
        session.exec(select(PlatformConnection.external_id).where(PlatformConnection.workspace_id == workspace_id))
    )
    last = 0
    while True:
        batch = list(
            session.exec(
                select(InboxRequest)
                .where(col(InboxRequest.team).in_(teams), InboxRequest.id > last)
                .order_by(InboxRequest.id)
                .limit(BATCH)
            )
        )
        yield from batch
        if len(batch) < BATCH:
            return
        last = batch[-1].id or last


class Traces:
    """What identifies a person in text: their name (also run together, as Teams writes a mention),
    email, platform ids and the ids of their chats with Cadence, and the words they wrote (and that
    were written to them), each as a whole word, case aside."""

    def __init__(self, identities: Iterable[str], words: Iterable[str]) -> None:
        wanted = {value.strip() for value in identities if value and value.strip()}
        wanted |= {value.strip() for value in words if value and len(value.strip()) >= MIN_QUOTED_LENGTH}
        self.values = sorted(wanted, key=len, reverse=True)
        self.pattern = (
            re.compile("|".join(rf"(?<!\w){re.escape(value)}(?!\w)" for value in self.values), re.IGNORECASE)
            if self.values
            else None
        )

    def found_in(self, value: Any) -> bool:
        return self.pattern is not None and any(self.pattern.search(text) for text in strings_in(value))

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
        identities += [text for key, text in reference.items() if key != "service_url" and isinstance(text, str)]
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
    for row in list(inbox_rows(session, person.workspace_id)):
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
    erased = 0
    last = 0
    while True:
        batch = list(
            session.exec(
                select(OutboxDelivery)
                .where(OutboxDelivery.workspace_id == person.workspace_id, OutboxDelivery.id > last)
                .order_by(OutboxDelivery.id)
                .limit(BATCH)
            )
        )
        for row in batch:
            looked_at = [
                row.payload,
                row.recipient,
                row.dedupe_key,
                row.last_error or "",
                row.platform_message_id or "",
            ]
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
        if len(batch) < BATCH:
            return erased
        last = batch[-1].id or last


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


def describe(counts: Mapping[str, int]) -> list[dict[str, Any]]:
    """Counts as the words' templates take them: ``[{"kind": "checkins", "count": 12}, ...]``."""
    return [{"kind": kind, "count": count} for kind, count in counts.items()]


def by_id(session: Session, workspace_id: int, person_id: int) -> Person | None:
    person = session.get(Person, person_id)
    return person if person is not None and person.workspace_id == workspace_id else None

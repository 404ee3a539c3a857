"""What Cadence holds about one person, as one JSON document (``cadence export``, ``/cadence
export``), and the chat side of exporting and erasing (who may, what goes).

Every table is in :data:`TABLES`, with where its rows about a person appear in the export and what
erasure (:mod:`storage.erasure`) does to them; a test checks the list names every table there is,
so a new table can't be left out of either without someone deciding how it is treated.

The export holds everything: profile, identities, check-ins with the questions' words, goals and
their history, kudos and feedback both ways, feedback requests, 1:1s and the person's own private
notes, time off, conversations, the platform requests they sent, the messages Cadence sent them,
and the audit entries about them. Never the other side's private notes, nor an agenda's seed about
someone else: those are the other person's. Read in chat by an admin, it holds what the privacy
rules (:mod:`storage.privacy`) let that admin read, and says what was left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from conversations.checkin_answers import display, is_upward
from conversations.flow import State
from conversations.messages import Actor, Inbound, Platform
from conversations.personal_data import CONFIRM, NOT_ADMIN, DataExported, PersonForgotten, read_choice
from storage import audit, erasure, privacy
from storage.checkins import question_text
from storage.erasure import Traces, identity_of, identity_strings, inbox_rows
from storage.kudos import labels_of, person_ref, resolve
from storage.models import (
    AuditAction,
    AuditEvent,
    CheckinCycle,
    CheckinResponse,
    CheckinTemplate,
    ConversationReference,
    ConversationState,
    Feedback,
    FeedbackAsk,
    FeedbackRequest,
    Goal,
    GoalUpdate,
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
    SlackInstallation,
    Team,
    TimeOff,
    Workspace,
)

FORMAT = "cadence-personal-data"
VERSION = 1
"""The export's version: a reader checks it before reading further; it changes when a field does."""


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
    values, skills = labels_of(session, [row.id for row in rows])

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
    for row in inbox_rows(reading.session, reading.person.workspace_id, Traces(ids, ())):
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


# ---- in chat -------------------------------------------------------------------------------------------------------


def _refused(flow: str, code: str, **values: Any) -> State:
    return State(flow=flow, step="show", data={"problem": {"code": code, **values}})


def _admin_names(session: Session, workspace_id: int) -> list[str]:
    return [admin.display_name for admin in privacy.admins_of(session, workspace_id)]


def _named(session: Session, actor: Actor, inbound: Inbound, flow: str) -> Person | State | None:
    """The one person the command names (a mention), None for nobody, or the refusal to word: a name
    Cadence doesn't know, more than one person, or words that aren't a person."""
    stray = [word for word in inbound.text.split() if not word.startswith("@")]
    found, unknown = resolve(session, actor.workspace_id, inbound.platform, inbound.mentions)
    if unknown:
        return _refused(flow, "unknown_person", name=unknown[0]["display_name"], example=f"{flow} @sam")
    if len(found) > 1 or (stray and not found):
        return _refused(flow, f"{flow}_usage")
    return session.get(Person, found[0]["id"]) if found else None


def may_erase(viewer: Person) -> bool:
    return privacy.admin_may(viewer, privacy.Record.ERASURE, privacy.Access.CHANGE)


def prepare_export(session: Session, actor: Actor, inbound: Inbound, state: State | None, now: datetime) -> State:
    """Whose export the person asked for (their own unless they name someone), and whether they may
    (``privacy.Record.EXPORT``: their own always, anyone's as an admin)."""
    viewer = session.get(Person, actor.person_id)
    assert viewer is not None
    named = _named(session, actor, inbound, "export")
    if isinstance(named, State):
        return named
    subject = named or viewer
    if not privacy.allowed(session, privacy.Record.EXPORT, viewer, subject):
        return _refused("export", NOT_ADMIN, admins=_admin_names(session, actor.workspace_id))
    return State(flow="export", step="show", data={"subject": person_ref(subject), "own": subject.id == viewer.id})


def prepare_forget(session: Session, actor: Actor, inbound: Inbound, state: State | None, now: datetime) -> State:
    """For an admin: whom to erase and what of theirs would go, asked about first (``forget @sam``),
    then confirmed or called off by a button naming them by id."""
    viewer = session.get(Person, actor.person_id)
    assert viewer is not None
    if not may_erase(viewer):
        return _refused("forget", NOT_ADMIN, admins=_admin_names(session, actor.workspace_id))
    pressed = read_choice(inbound.choice) if inbound.choice else None
    if pressed is not None:
        action, person_id = pressed
        subject = session.get(Person, person_id)
        if subject is None or subject.workspace_id != actor.workspace_id or subject.erased_at is not None:
            return _refused("forget", "gone")
        step = "confirmed" if action == CONFIRM else "cancelled"
    else:
        named = _named(session, actor, inbound, "forget")
        if isinstance(named, State):
            return named
        if named is None:
            return _refused("forget", "forget_usage")
        subject, step = named, "ask"
    if subject.id == viewer.id:
        others = [name for name in _admin_names(session, actor.workspace_id) if name != viewer.display_name]
        return _refused("forget", "self", admins=others)
    assert subject.id is not None
    data = {
        "step": step,
        "subject": {**person_ref(subject), "email": subject.email},
        "counts": erasure.summary(session, subject),
        "anonymous_name": erasure.erased_name(subject.id),
    }
    return State(flow="forget", step=step, data=data)


def apply_exported(session: Session, actor: Actor, change: DataExported, now: datetime) -> None:
    viewer = session.get(Person, actor.person_id)
    subject = session.get(Person, change.subject_id)
    assert viewer is not None and subject is not None
    audit.record(
        session,
        AuditAction.EXPORTED,
        workspace_id=actor.workspace_id,
        actor=viewer,
        subject=subject,
        details={"delivery": "chat"},
        at=now,
    )


def apply_forgotten(session: Session, actor: Actor, change: PersonForgotten, now: datetime) -> None:
    viewer = session.get(Person, actor.person_id)
    subject = session.get(Person, change.subject_id)
    assert viewer is not None and may_erase(viewer), "the forget context lets admins alone confirm"
    assert subject is not None and subject.workspace_id == actor.workspace_id
    erasure.forget(session, subject, now, actor=viewer)


CONTEXTS = {"export": prepare_export, "forget": prepare_forget}
APPLIERS = {DataExported: apply_exported, PersonForgotten: apply_forgotten}

"""Check-ins in the database: cycles, responses and time off; the check-in flows' context and changes.

The context gives the pure flows everything they need in their state (see
``conversations/checkin.py``); the appliers write what the flows decided, in the same unit of
work as the conversation state and the messages it owes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from conversations.checkin import CheckinSaved, CheckinSkipped, Status, Step
from conversations.checkin_answers import KR_UPDATE, display, is_upward
from conversations.flow import State
from conversations.messages import Actor, Inbound
from conversations.numbers import small_int
from conversations.schedule import CheckinWindow, DigestReader, current_window, is_away
from conversations.time_off import TimeOffCancelled, TimeOffRecorded
from conversations.workspace_settings import WorkspaceSettings, load_settings
from storage import goals
from storage.models import (
    CheckinCycle,
    CheckinResponse,
    CheckinTemplate,
    Person,
    ResponseStatus,
    Team,
    TimeOff,
    Workspace,
    utcnow,
)
from storage.privacy import can_read_upward_answers, can_see_checkins_of

HISTORY_WEEKS = 5


@cache
def _zone(name: str) -> ZoneInfo:
    """``ZoneInfo`` keeps only the last eight zones for sure: with people in more zones than that,
    a tick read each zone's file again for most people (a third of a large tick's time)."""
    return ZoneInfo(name)


def local_text(instant: datetime, zone: str) -> str:
    """A moment as the person reads it: ``Mon 7 Dec 08:59``."""
    local = instant.astimezone(_zone(zone))
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def settings_for(session: Session, person: Person) -> WorkspaceSettings:
    workspace = session.get(Workspace, person.workspace_id)
    team = session.get(Team, person.team_id) if person.team_id else None
    return load_settings(workspace.settings if workspace else None).for_team(team.name if team else None)


def digest_reader(session: Session, person: Person) -> DigestReader:
    """Answers close before the digest that reports them: the (active) manager's, at their time."""
    manager = session.get(Person, person.manager_id) if person.manager_id else None
    reader = manager if manager is not None and manager.active else person
    return DigestReader(reader.timezone, settings_for(session, reader).digest)


def window_for(session: Session, person: Person, now: datetime) -> CheckinWindow:
    return current_window(settings_for(session, person), now, person.timezone, digest_reader(session, person))


def expand_questions(session: Session, person: Person, settings: WorkspaceSettings) -> list[dict[str, Any]]:
    """The week's questions as the person sees them: goal progress becomes one question per open
    key result (its value, a confidence and a note, answered in one message)."""
    questions: list[dict[str, Any]] = []
    for question in settings.checkins.questions:
        if question.kind != "goal_progress":
            questions.append(question.model_dump(mode="json"))
            continue
        assert person.id is not None
        for key_result in goals.open_key_results_of(session, person.id):
            kr = {
                "id": key_result.id,
                "ref": f"KR-{key_result.number}",
                "title": key_result.title,
                "current": _plain_number(key_result.current_value),
                "target": _plain_number(key_result.target_value),
                "start": _plain_number(key_result.start_value),
                "unit": "%" if key_result.metric.value == "percent" else key_result.unit,
                "metric": key_result.metric.value,
            }
            # no "text": the flow words key result questions from its labels
            questions.append(
                {"id": f"{question.id}.kr{key_result.id}", "kind": KR_UPDATE, "text": "", "required": False, "kr": kr}
            )
    return questions


def _plain_number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def template_for(session: Session, workspace_id: int, questions: Sequence[Mapping[str, Any]]) -> CheckinTemplate:
    """The immutable question set, shared by everyone who was asked exactly these questions."""
    canonical = json.dumps(list(questions), sort_keys=True, separators=(",", ":"))
    fingerprint = hashlib.sha256(canonical.encode()).hexdigest()
    _insert_ignoring_duplicates(
        session,
        CheckinTemplate,
        workspace_id=workspace_id,
        fingerprint=fingerprint,
        questions=list(questions),
        created_at=utcnow(),
    )
    return session.exec(
        select(CheckinTemplate).where(
            CheckinTemplate.workspace_id == workspace_id, CheckinTemplate.fingerprint == fingerprint
        )
    ).one()


def cycle_for(session: Session, workspace_id: int, week: str, now: datetime) -> CheckinCycle:
    _insert_ignoring_duplicates(session, CheckinCycle, workspace_id=workspace_id, week=week, opened_at=now)
    return session.exec(
        select(CheckinCycle).where(CheckinCycle.workspace_id == workspace_id, CheckinCycle.week == week)
    ).one()


def response_for(session: Session, cycle_id: int, person_id: int, now: datetime) -> CheckinResponse:
    _insert_ignoring_duplicates(
        session,
        CheckinResponse,
        cycle_id=cycle_id,
        person_id=person_id,
        status=ResponseStatus.PENDING,
        answers={},
        updated_at=now,
    )
    return session.exec(
        select(CheckinResponse).where(CheckinResponse.cycle_id == cycle_id, CheckinResponse.person_id == person_id)
    ).one()


def ensure_responses(session: Session, pairs: Sequence[tuple[int, int]], now: datetime) -> None:
    """A pending response for each (cycle, person) that has none yet, in a few statements."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    rows = [
        {
            "cycle_id": cycle_id,
            "person_id": person_id,
            "status": ResponseStatus.PENDING,
            "answers": {},
            "updated_at": now,
            "reminders_sent": 0,
        }
        for cycle_id, person_id in pairs
    ]
    if rows:
        session.execute(insert(CheckinResponse).on_conflict_do_nothing(), rows)


def _insert_ignoring_duplicates(session: Session, model: type, **values: Any) -> None:
    """Insert unless a row with the same unique key exists: safe when two ticks or replicas race."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(model).values(**values).on_conflict_do_nothing())


def existing_response(session: Session, workspace_id: int, week: str, person_id: int) -> CheckinResponse | None:
    return session.exec(
        select(CheckinResponse)
        .join(CheckinCycle, col(CheckinCycle.id) == CheckinResponse.cycle_id)
        .where(
            CheckinCycle.workspace_id == workspace_id, CheckinCycle.week == week, CheckinResponse.person_id == person_id
        )
    ).first()


def person_ref(person: Person) -> dict[str, Any]:
    return {"id": person.id, "display_name": person.display_name}


def prepare_checkin(session: Session, actor: Actor, inbound: Inbound, state: State | None, now: datetime) -> State:
    """The check-in the person is in now, resumed from ``state`` when it is this week's."""
    person = session.get(Person, actor.person_id)
    assert person is not None
    window = window_for(session, person, now)
    settings = settings_for(session, person)
    privacy = {
        "upward_anonymous": settings.checkins.upward_anonymous,
        "anonymity_threshold": settings.anonymity_threshold,
    }
    if state is not None and state.data.get("week") == window.week:
        return replace(state, data={**state.data, **privacy})  # as the settings say now, not when it began
    questions = expand_questions(session, person, settings)
    template = template_for(session, person.workspace_id, questions)
    response = existing_response(session, person.workspace_id, window.week, actor.person_id)
    manager = session.get(Person, person.manager_id) if person.manager_id else None
    data = {
        "week": window.week,
        "closes_at": window.closes_at.isoformat(),
        "closes_local": local_text(window.closes_at, person.timezone),
        "template_id": template.id,
        "questions": questions,
        "answers": dict(response.answers) if response else {},
        "status": (response.status.value if response else Status.PENDING.value),
        "index": 0,
        "person": person_ref(person),
        "manager": person_ref(manager) if manager and manager.active else None,
        "notify_manager": settings.checkins.notify_manager,
        "team_channel": (
            settings.checkins.team_channel.by_platform()
            if settings.checkins.team_summary and settings.checkins.team_channel
            else None
        ),
        **privacy,
    }
    return State(flow="checkin", step=Step.READY, data=data, expires_at=window.closes_at)


def question_text(question: Mapping[str, Any]) -> str:
    """A stored question's words: its text, or the key result it asked about."""
    kr = question.get("kr")
    return question["text"] or (f"{kr['ref']} {kr['title']}" if kr else "")


def prepare_history(session: Session, actor: Actor, inbound: Inbound, state: State | None, now: datetime) -> State:
    """The person's own last answered weeks, with the questions they answered."""
    rows = session.exec(
        select(CheckinResponse, CheckinCycle, CheckinTemplate)
        .join(CheckinCycle, col(CheckinCycle.id) == CheckinResponse.cycle_id)
        .join(CheckinTemplate, col(CheckinTemplate.id) == CheckinResponse.template_id, isouter=True)
        .where(
            CheckinResponse.person_id == actor.person_id,
            col(CheckinResponse.status).in_([ResponseStatus.SUBMITTED, ResponseStatus.SKIPPED, ResponseStatus.AWAY]),
        )
        .order_by(col(CheckinCycle.week).desc())
        .limit(HISTORY_WEEKS)
    ).all()
    weeks = []
    for response, cycle, template in rows:
        questions = template.questions if template else []
        answers = [
            {"question": question_text(q), "answer": display(q, response.answers[q["id"]])}
            for q in questions
            if response.answers.get(q["id"]) is not None
        ]
        weeks.append(
            {
                "week": cycle.week,
                "status": response.status.value,
                "reason": response.skip_reason or "",
                "answers": answers,
            }
        )
    return State(flow="checkin_history", step="show", data={"weeks": weeks})


def prepare_feedback(session: Session, actor: Actor, inbound: Inbound, state: State | None, now: datetime) -> State:
    """Who a manager's reply or thanks is for, and whether the manager may see their check-in."""
    reference = (inbound.choice or inbound.form_id or "").partition(":")[2]
    person_part, _, week = reference.partition(":")
    person_id = small_int(person_part)
    subject = session.get(Person, person_id) if person_id is not None else None
    viewer = session.get(Person, actor.person_id)
    allowed = bool(
        subject and viewer and week and can_see_checkins_of(session, viewer, subject) and viewer.id != subject.id
    )
    data: dict[str, Any] = {"subject": {"allowed": allowed}}
    if allowed and subject is not None:
        data["subject"] = {
            "allowed": True,
            "id": subject.id,
            "name": subject.display_name,
            "week": week,
            "thread": prompt_key(subject.id, week),
        }
    return State(flow="checkin_feedback", step="answer", data=data)


def prepare_view(session: Session, actor: Actor, inbound: Inbound, state: State | None, now: datetime) -> State:
    """A report's answers for a week, when the actor may see them (their manager chain, admins); the
    answers to questions for the manager only when the actor is that manager and they carry a name."""
    feedback = prepare_feedback(session, actor, inbound, state, now)
    subject = dict(feedback.data["subject"])
    if subject.get("allowed"):
        person = session.get(Person, subject["id"])
        response = existing_response(session, actor.workspace_id, subject["week"], subject["id"]) if person else None
        template = session.get(CheckinTemplate, response.template_id) if response and response.template_id else None
        questions = template.questions if template else []
        if person is not None and not reads_upward_answers_of(session, actor, person):
            questions = [q for q in questions if not is_upward(q)]
        subject["answers"] = [
            {"question": question_text(q), "answer": display(q, response.answers[q["id"]])}
            for q in questions
            if response and response.answers.get(q["id"]) is not None
        ]
    return State(flow="checkin_view", step="show", data={"subject": subject})


def reads_upward_answers_of(session: Session, actor: Actor, subject: Person) -> bool:
    """The upward answers of ``subject`` are shown to ``actor`` with their name on them: the subject
    themselves, and their direct manager unless those answers are anonymous."""
    viewer = session.get(Person, actor.person_id)
    if viewer is None or not can_read_upward_answers(session, viewer, subject):
        return False
    return viewer.id == subject.id or not settings_for(session, subject).checkins.upward_anonymous


def prompt_key(person_id: int | None, week: str) -> str:
    return f"checkin:prompt:{person_id}:{week}"


def reminder_key(person_id: int | None, week: str, number: int) -> str:
    return f"checkin:reminder:{number}:{person_id}:{week}"


def apply_saved(session: Session, actor: Actor, change: CheckinSaved, now: datetime) -> None:
    cycle = cycle_for(session, actor.workspace_id, change.week, now)
    assert cycle.id is not None
    response = response_for(session, cycle.id, actor.person_id, now)
    response.answers = dict(change.answers)
    response.mood = change.mood
    response.blockers = change.blockers
    response.template_id = change.template_id
    response.started_at = response.started_at or now
    response.updated_at = now
    if change.submitted:
        response.status = ResponseStatus.SUBMITTED
        response.submitted_at = response.submitted_at or now
        response.skip_reason = None
    elif response.status not in (ResponseStatus.SUBMITTED,):
        response.status = ResponseStatus.IN_PROGRESS
    session.add(response)
    session.flush()
    for update in change.key_results:
        goals.record_key_result_update(
            session,
            int(update["key_result_id"]),
            author_id=actor.person_id,
            value=update.get("value"),
            confidence=update.get("confidence"),
            comment=str(update.get("comment") or ""),
            source="checkin",
            now=now,
        )


def apply_skipped(session: Session, actor: Actor, change: CheckinSkipped, now: datetime) -> None:
    cycle = cycle_for(session, actor.workspace_id, change.week, now)
    assert cycle.id is not None
    response = response_for(session, cycle.id, actor.person_id, now)
    response.status = ResponseStatus.SKIPPED
    response.skip_reason = change.reason
    response.mood = response.blockers = None
    response.updated_at = now
    session.add(response)


def apply_time_off(session: Session, actor: Actor, change: TimeOffRecorded, now: datetime) -> None:
    """Record the days, merged with any time off they overlap or touch, so the list stays short."""
    touching = session.exec(
        select(TimeOff).where(
            TimeOff.person_id == actor.person_id,
            TimeOff.starts_on <= change.ends_on + timedelta(days=1),
            TimeOff.ends_on >= change.starts_on - timedelta(days=1),
        )
    ).all()
    starts_on = min([change.starts_on, *(row.starts_on for row in touching)])
    ends_on = max([change.ends_on, *(row.ends_on for row in touching)])
    for row in touching:
        session.delete(row)
    session.add(TimeOff(person_id=actor.person_id, starts_on=starts_on, ends_on=ends_on, created_at=now))
    person = session.get(Person, actor.person_id)
    assert person is not None
    window = window_for(session, person, now)
    if starts_on <= window.local_day <= ends_on:
        response = _response_in(session, actor, window, now)
        if response.status in (ResponseStatus.PENDING, ResponseStatus.IN_PROGRESS):
            response.status = ResponseStatus.AWAY
            response.updated_at = now
            session.add(response)
    session.flush()


def apply_time_off_cancelled(session: Session, actor: Actor, change: TimeOffCancelled, now: datetime) -> None:
    """Forget the time off; a check-in it had marked away is due again (the next tick prompts it)."""
    row = session.get(TimeOff, change.time_off_id)
    if row is None or row.person_id != actor.person_id:
        return
    session.delete(row)
    session.flush()
    person = session.get(Person, actor.person_id)
    assert person is not None
    window = window_for(session, person, now)
    response = existing_response(session, actor.workspace_id, window.week, actor.person_id)
    if response is not None and response.status is ResponseStatus.AWAY:
        local_day = window.local_day
        remaining = time_off_of(session, [actor.person_id], local_day).get(actor.person_id, [])
        if not is_away(local_day, person.away_until, remaining, settings_for(session, person).holidays):
            response.status = ResponseStatus.PENDING
            response.updated_at = now
            session.add(response)
    session.flush()


def _response_in(session: Session, actor: Actor, window: CheckinWindow, now: datetime) -> CheckinResponse:
    cycle = cycle_for(session, actor.workspace_id, window.week, now)
    assert cycle.id is not None
    return response_for(session, cycle.id, actor.person_id, now)


def prepare_time_off(session: Session, actor: Actor, inbound: Inbound, state: State | None, now: datetime) -> State:
    """The person's time off from today on, in order: what ``checkin away list`` shows."""
    today = now.astimezone(ZoneInfo(actor.timezone)).date()
    rows = session.exec(
        select(TimeOff)
        .where(TimeOff.person_id == actor.person_id, TimeOff.ends_on >= today)
        .order_by(TimeOff.starts_on, TimeOff.id)
    ).all()
    entries = [{"id": row.id, "start": row.starts_on.isoformat(), "end": row.ends_on.isoformat()} for row in rows]
    return State(flow="checkin_away", step="show", data={"time_off": entries})


def time_off_of(session: Session, person_ids: Sequence[int], since) -> dict[int, list[tuple]]:
    found: dict[int, list[tuple]] = {}
    for row in session.exec(
        select(TimeOff).where(col(TimeOff.person_id).in_(list(person_ids)), TimeOff.ends_on >= since)
    ):
        found.setdefault(row.person_id, []).append((row.starts_on, row.ends_on))
    return found


def away_on(person: Person, window: CheckinWindow, time_off: Sequence[tuple], settings: WorkspaceSettings) -> bool:
    return is_away(window.local_day, person.away_until, time_off, settings.holidays)


APPLIERS = {
    CheckinSaved: apply_saved,
    CheckinSkipped: apply_skipped,
    TimeOffRecorded: apply_time_off,
    TimeOffCancelled: apply_time_off_cancelled,
}
CONTEXTS = {
    "checkin_away": prepare_time_off,
    "checkin": prepare_checkin,
    "checkin_history": prepare_history,
    "checkin_feedback": prepare_feedback,
    "checkin_view": prepare_view,
}

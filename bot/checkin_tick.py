"""The tick's check-in work: prompt whoever's local check-in time has come, remind who hasn't answered.

Who is due is worked out from the tables on every tick (no job per person): each active person's
window for the week, in their own time zone, their response row and the reminders already sent.
Each prompt and reminder is an outbox row with a unique key (person, kind, week), and the
response row records it, so repeated ticks, a restart or two ticks at once never send twice; a
tick after downtime sends whatever is still open (one reminder, not a burst of them).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

from sqlmodel import Session, col, select

from bot.tick import Producer
from conversations.checkin import asked_kinds, checkin_length, prompt_choices
from conversations.destinations import DirectMessage
from conversations.messages import Outbound
from conversations.schedule import CheckinWindow, DigestReader, current_window
from conversations.words import Labels
from conversations.workspace_settings import WorkspaceSettings, load_settings
from storage import checkins, goals, outbox
from storage.models import CheckinResponse, Person, ResponseStatus, Team, Workspace
from storage.reach import Reach

WAITING = (ResponseStatus.PENDING, ResponseStatus.IN_PROGRESS)


def checkin_producer(labels: Labels) -> Producer:
    def checkins_due(session: Session, workspace: Workspace, now: datetime, reach: Reach) -> int:
        return enqueue_due_checkins(session, workspace, now, labels, reach)

    return checkins_due


def enqueue_due_checkins(session: Session, workspace: Workspace, now: datetime, labels: Labels, reach: Reach) -> int:
    """Prompts and reminders due now, each on the one platform its person is reached on; someone
    reachable on none is left until they are (their prompt then comes as a catch-up)."""
    assert workspace.id is not None
    settings = load_settings(workspace.settings)
    team_names = {team.id: team.name for team in session.exec(select(Team).where(Team.workspace_id == workspace.id))}
    people = session.exec(
        select(Person).where(Person.workspace_id == workspace.id, Person.active, col(Person.is_bot).is_(False))
    ).all()
    by_id = {person.id: person for person in people}

    @cache
    def team_settings(team_id: int | None) -> WorkspaceSettings:
        return settings.for_team(team_names.get(team_id))

    @cache
    def window(team_id: int | None, zone: str, closing: str) -> CheckinWindow:
        return current_window(team_settings(team_id), now, zone, closing)

    due: list[tuple[Person, CheckinWindow]] = []
    for person in people:
        if reach.of(person.id) is None:
            continue
        manager = by_id.get(person.manager_id) if person.manager_id else None
        reader = manager or person  # as storage.checkins.digest_reader: an active manager, or the person
        current = window(
            person.team_id, person.timezone, DigestReader(reader.timezone, team_settings(reader.team_id).digest)
        )
        if current.is_open(now):
            due.append((person, current))
    if not due:
        return 0
    weeks = {current.week for _, current in due}
    cycles = {week: checkins.cycle_for(session, workspace.id, week, now) for week in weeks}

    def load_responses() -> dict[tuple[int, int], CheckinResponse]:
        query = select(CheckinResponse).where(
            col(CheckinResponse.cycle_id).in_([cycle.id for cycle in cycles.values()])
        )
        return {(response.cycle_id, response.person_id): response for response in session.exec(query)}

    responses = load_responses()
    missing = [
        (cycles[current.week].id, person.id)
        for person, current in due
        if (cycles[current.week].id, person.id) not in responses
    ]
    if missing:
        checkins.ensure_responses(session, missing, now)
        responses = load_responses()
    time_off = checkins.time_off_of(session, [person.id for person, _ in due], now.date() - timedelta(days=14))
    key_results = goals.open_key_result_counts(session, workspace.id)
    deliveries: list[dict] = []
    for person, current in due:
        response = responses[(cycles[current.week].id, person.id)]
        away = checkins.away_on(person, current, time_off.get(person.id, []), team_settings(person.team_id))
        if away and response.status is ResponseStatus.PENDING:
            response.status = ResponseStatus.AWAY
            response.updated_at = now
            session.add(response)
        if response.status is ResponseStatus.AWAY:
            continue
        length = checkin_length(
            asked_kinds(
                (question.kind for question in team_settings(person.team_id).checkins.questions),
                key_results.get(person.id, 0),
            )
        )
        rows = prompt_and_remind(workspace, person, current, response, now, labels, length, reach)
        if rows:
            deliveries.extend(rows)
            session.add(response)
    outbox.enqueue_many(session, deliveries)
    session.flush()
    return len(deliveries)


def prompt_and_remind(
    workspace: Workspace,
    person: Person,
    window: CheckinWindow,
    response: CheckinResponse,
    now: datetime,
    labels: Labels,
    length: tuple[int, int],
    reach: Reach,
) -> list[dict]:
    """The outbox rows due for one person now (their prompt, or the latest reminder), noted on the
    response; ``length`` is how many questions the person will be asked and about how many minutes."""
    assert workspace.id is not None and person.id is not None
    closes_local = checkins.local_text(window.closes_at, person.timezone)
    choices = prompt_choices(labels, window.week)
    rows: list[dict] = []
    if response.prompted_at is None and response.status not in WAITING:
        response.prompted_at = now  # answered (or skipped) before the prompt: nothing to ask
    if response.prompted_at is None:
        prompt = Outbound(
            "checkin_prompt",
            {
                "name": person.display_name,
                "week": window.week,
                "count": length[0],
                "minutes": length[1],
                "closes_local": closes_local,
            },
            choices,
        )
        rows.append(delivery(workspace, person, checkins.prompt_key(person.id, window.week), prompt, now, reach))
        response.prompted_at = now
    reminders_due = sum(1 for at in window.reminders if at <= now)
    if response.status in WAITING and reminders_due > response.reminders_sent:
        if not rows:  # a late prompt already is the nudge; don't follow it with a reminder at once
            reminder = Outbound(
                "checkin_reminder",
                {"name": person.display_name, "week": window.week, "closes_local": closes_local},
                choices,
            )
            rows.append(
                delivery(
                    workspace,
                    person,
                    checkins.reminder_key(person.id, window.week, reminders_due),
                    reminder,
                    now,
                    reach,
                )
            )
        response.reminders_sent = reminders_due
    return rows


def delivery(workspace: Workspace, person: Person, key: str, message: Outbound, now: datetime, reach: Reach) -> dict:
    assert workspace.id is not None and person.id is not None
    platform = reach.of(person.id)
    assert platform is not None, "only people Cadence can reach are due anything"
    return outbox.message_row(
        workspace_id=workspace.id,
        platform=platform,
        message=message,
        destination=DirectMessage(person.id),
        dedupe_key=key,
        not_before=now,
    )

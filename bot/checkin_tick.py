"""The tick's check-in work: prompt whoever's local check-in time has come, remind who hasn't answered.

Who is due is worked out from the tables on every tick (no job per person): each active person's
window for the week, in their own time zone, their response row and the reminders already sent.
Each prompt and reminder is an outbox row with a unique key (person, kind, week), and the
response row records it, so repeated ticks, a restart or two ticks at once never send twice; a
tick after downtime sends whatever is still open (one reminder, not a burst of them).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import cache
from typing import NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.tick import Producer
from conversations.checkin import asked_kinds, checkin_length, prompt_choices
from conversations.destinations import DirectMessage
from conversations.messages import Choice, Outbound
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


CHUNK = 5_000
"""People whose prompts are worked out and queued together, in a few statements: the tick's memory
stays that of one chunk (and a small row per person) however large the organisation."""


class Recipient(NamedTuple):
    """The few columns of a person the tick needs: a row, not a loaded ``Person`` (which costs about
    ten times the memory, 100,000 times over in a large organisation)."""

    id: int
    display_name: str
    timezone: str
    team_id: int | None
    manager_id: int | None
    away_until: date | None


@dataclass
class ResponseMarks:
    """What the tick reads and writes of a check-in response: read and written as columns, in one
    statement a chunk, rather than as loaded rows flushed one by one."""

    id: int
    status: ResponseStatus
    prompted_at: datetime | None
    reminders_sent: int
    updated_at: datetime


RESPONSES = CheckinResponse.__table__
MARK = (
    sa.update(RESPONSES)
    .where(RESPONSES.c.id == sa.bindparam("response_id"))
    .values(
        status=sa.bindparam("new_status"),
        prompted_at=sa.bindparam("new_prompted_at"),
        reminders_sent=sa.bindparam("new_reminders_sent"),
        updated_at=sa.bindparam("new_updated_at"),
    )
)


def mark_responses(changed: list[ResponseMarks], session: Session) -> None:
    """Write what the tick noted on these responses (prompted, reminded, away), in one statement."""
    if changed:
        session.connection().execute(
            MARK,
            [
                {
                    "response_id": marks.id,
                    "new_status": marks.status,
                    "new_prompted_at": marks.prompted_at,
                    "new_reminders_sent": marks.reminders_sent,
                    "new_updated_at": marks.updated_at,
                }
                for marks in changed
            ],
        )


def enqueue_due_checkins(session: Session, workspace: Workspace, now: datetime, labels: Labels, reach: Reach) -> int:
    """Prompts and reminders due now, each on the one platform its person is reached on; someone
    reachable on none is left until they are (their prompt then comes as a catch-up)."""
    assert workspace.id is not None
    settings = load_settings(workspace.settings)
    team_names = {team.id: team.name for team in session.exec(select(Team).where(Team.workspace_id == workspace.id))}
    people = [
        Recipient(*row)
        for row in session.exec(
            select(
                Person.id, Person.display_name, Person.timezone, Person.team_id, Person.manager_id, Person.away_until
            )
            .where(Person.workspace_id == workspace.id, Person.active, col(Person.is_bot).is_(False))
            .order_by(Person.id)
        )
    ]
    by_id = {person.id: person for person in people}
    distinct: list[WorkspaceSettings] = []

    @cache
    def variant(team_id: int | None) -> int:
        """Which of the distinct team settings a team lives by: teams without their own share one."""
        wanted = settings.for_team(team_names.get(team_id))
        for index, known in enumerate(distinct):
            if known == wanted:
                return index
        distinct.append(wanted)
        return len(distinct) - 1

    def team_settings(team_id: int | None) -> WorkspaceSettings:
        return distinct[variant(team_id)]

    @cache
    def window(settings_index: int, zone: str, reader_zone: str, reader_index: int) -> CheckinWindow:
        closing = DigestReader(reader_zone, distinct[reader_index].digest)
        return current_window(distinct[settings_index], now, zone, closing)

    due: list[tuple[Recipient, CheckinWindow]] = []
    for person in people:
        if reach.of(person.id) is None:
            continue
        manager = by_id.get(person.manager_id) if person.manager_id else None
        reader = manager or person  # as storage.checkins.digest_reader: an active manager, or the person
        current = window(variant(person.team_id), person.timezone, reader.timezone, variant(reader.team_id))
        if current.is_open(now):
            due.append((person, current))
    if not due:
        return 0
    weeks = {current.week for _, current in due}
    cycles = {week: checkins.cycle_for(session, workspace.id, week, now) for week in weeks}
    key_results = goals.open_key_result_counts(session, workspace.id)

    @cache
    def length(settings_index: int, open_key_results: int) -> tuple[int, int]:
        kinds = (question.kind for question in distinct[settings_index].checkins.questions)
        return checkin_length(asked_kinds(kinds, open_key_results))

    choices = cache(lambda week: prompt_choices(labels, week))
    closes_text = cache(checkins.local_text)
    queued = 0
    for start in range(0, len(due), CHUNK):
        chunk = due[start : start + CHUNK]
        pairs = [(cycles[current.week].id, person.id) for person, current in chunk]

        def load_responses(pairs=pairs) -> dict[tuple[int, int], ResponseMarks]:
            query = select(
                CheckinResponse.id,
                CheckinResponse.cycle_id,
                CheckinResponse.person_id,
                CheckinResponse.status,
                CheckinResponse.prompted_at,
                CheckinResponse.reminders_sent,
                CheckinResponse.updated_at,
            ).where(
                col(CheckinResponse.cycle_id).in_({cycle_id for cycle_id, _ in pairs}),
                col(CheckinResponse.person_id).in_([person_id for _, person_id in pairs]),
            )
            return {
                (cycle_id, person_id): ResponseMarks(response_id, *marks)
                for response_id, cycle_id, person_id, *marks in session.exec(query)
            }

        responses = load_responses()
        missing = [pair for pair in pairs if pair not in responses]
        if missing:
            checkins.ensure_responses(session, missing, now)
            responses = load_responses()
        before = {pair: replace(marks) for pair, marks in responses.items()}
        time_off = checkins.time_off_of(session, [person.id for person, _ in chunk], now.date() - timedelta(days=14))
        deliveries: list[dict] = []
        for (person, current), pair in zip(chunk, pairs, strict=True):
            response = responses[pair]
            away = checkins.away_on(person, current, time_off.get(person.id, []), team_settings(person.team_id))
            if away and response.status is ResponseStatus.PENDING:
                response.status = ResponseStatus.AWAY
                response.updated_at = now
            if response.status is ResponseStatus.AWAY:
                continue
            deliveries.extend(
                prompt_and_remind(
                    workspace,
                    person,
                    current,
                    response,
                    now,
                    labels,
                    length(variant(person.team_id), key_results.get(person.id, 0)),
                    reach,
                    choices=choices(current.week),
                    closes_local=closes_text(current.closes_at, person.timezone),
                )
            )
        mark_responses([marks for pair, marks in responses.items() if marks != before[pair]], session)
        outbox.enqueue_many(session, deliveries)
        session.flush()
        queued += len(deliveries)
    return queued


def prompt_and_remind(
    workspace: Workspace,
    person: Person | Recipient,
    window: CheckinWindow,
    response: CheckinResponse | ResponseMarks,
    now: datetime,
    labels: Labels,
    length: tuple[int, int],
    reach: Reach,
    *,
    choices: tuple[Choice, ...] | None = None,
    closes_local: str | None = None,
) -> list[dict]:
    """The outbox rows due for one person now (their prompt, or the latest reminder), noted on the
    response; ``length`` is how many questions the person will be asked and about how many minutes.
    ``choices`` and ``closes_local`` are the week's buttons and the closing time where the person
    lives, when the caller has them already (the same for thousands of people in a tick)."""
    assert workspace.id is not None and person.id is not None
    if closes_local is None:
        closes_local = checkins.local_text(window.closes_at, person.timezone)
    if choices is None:
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


def delivery(
    workspace: Workspace, person: Person | Recipient, key: str, message: Outbound, now: datetime, reach: Reach
) -> dict:
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

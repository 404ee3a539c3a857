"""The tick's 1:1 work: each side's agenda of the pair's next 1:1, when it is due in their own zone.

Who is due is worked out from the tables on every tick: each pair that still meets, its next 1:1 (by
its rhythm, in the manager's zone) and each side's agenda time before it. The meeting's row is made
the first time one of its agendas is due (unique per pair and start, with the seed from the report's
latest check-in), and each agenda is an outbox row keyed by pair, meeting and person, so a second
tick, a restart or a second replica sends nothing twice. Only the next 1:1 is ever looked at, so a
tick after downtime sends that one's agenda (if it hasn't started) and none of the 1:1s missed.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from bot.checkin_tick import delivery
from bot.tick import Producer
from conversations.one_on_one_schedule import Rhythm, agenda_due, agenda_time, next_meeting
from conversations.one_on_ones import OneOnOneFlow
from conversations.words import Labels
from conversations.workspace_settings import load_settings
from storage import one_on_ones, outbox
from storage.models import OneOnOneMeeting, OneOnOnePair, OutboxDelivery, Person, Workspace
from storage.reach import Reach


def one_on_one_producer(labels: Labels) -> Producer:
    flow = OneOnOneFlow(labels)

    def one_on_one_agendas(session: Session, workspace: Workspace, now: datetime, reach: Reach) -> int:
        return enqueue_due_agendas(session, workspace, now, flow, reach)

    return one_on_one_agendas


def enqueue_due_agendas(session: Session, workspace: Workspace, now: datetime, flow: OneOnOneFlow, reach: Reach) -> int:
    """The agendas due now, each to its person on the one platform they are reached on; an agenda is
    built only when its key isn't in the outbox yet (building is the expensive part)."""
    assert workspace.id is not None
    settings = load_settings(workspace.settings)
    due: list[tuple[OneOnOnePair, Person, Person, Rhythm, datetime, Person]] = []
    for pair, manager, report in one_on_ones.pairs_meeting(session, workspace.id):
        rhythm = one_on_ones.rhythm_of(pair, settings, manager)
        start = next_meeting(rhythm, now)
        for person in (manager, report):
            send_at = agenda_time(start, person.timezone, settings.one_on_ones, settings.holidays)
            if reach.of(person.id) is not None and agenda_due(now, start, send_at):
                due.append((pair, manager, report, rhythm, start, person))
    if not due:
        return 0
    meetings = _meetings(session, {(pair.id, start) for pair, *_, start, _ in due})
    for pair, *_, start, _ in due:
        if (pair.id, start) not in meetings:
            meetings[(pair.id, start)] = one_on_ones.ensure_meeting(session, pair, start, now)
    keys = {
        one_on_ones.agenda_key(pair.id, meetings[(pair.id, start)].id, person.id) for pair, *_, start, person in due
    }
    sent = set(session.exec(select(OutboxDelivery.dedupe_key).where(col(OutboxDelivery.dedupe_key).in_(keys))).all())
    rows = []
    for pair, manager, report, rhythm, start, person in due:
        meeting = meetings[(pair.id, start)]
        key = one_on_ones.agenda_key(pair.id, meeting.id, person.id)
        if key in sent:
            continue
        if not meeting.seed:  # the first agenda of this 1:1: what the report's latest check-in says now
            meeting.seed = one_on_ones.seed_for(session, report, settings, now)
            session.add(meeting)
        other = report if person.id == manager.id else manager
        sides = one_on_ones.Sides(person, other, manager, report)
        target = {
            "agenda": one_on_ones.agenda(session, pair, sides, rhythm, settings, now, seed=meeting.seed),
            "other": one_on_ones.ref(other),
            "handle": one_on_ones.handle_of(other),
        }
        rows.append(delivery(workspace, person, key, flow.agenda_message(target, reminder=True), now, reach))
    outbox.enqueue_many(session, rows)
    session.flush()
    return len(rows)


def _meetings(
    session: Session, wanted: set[tuple[int | None, datetime]]
) -> dict[tuple[int | None, datetime], OneOnOneMeeting]:
    """The meeting rows that exist among ``wanted`` (pair id, start), in one query."""
    pair_ids = {pair_id for pair_id, _ in wanted}
    starts = {start for _, start in wanted}
    rows = session.exec(
        select(OneOnOneMeeting).where(
            col(OneOnOneMeeting.pair_id).in_(pair_ids), col(OneOnOneMeeting.starts_at).in_(starts)
        )
    ).all()
    return {(row.pair_id, row.starts_at): row for row in rows if (row.pair_id, row.starts_at) in wanted}

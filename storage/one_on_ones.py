"""1:1s in the database: pairs, meetings, agenda items and private notes; the 1:1 flow's context
and changes, and the agendas the tick sends.

Every read of a pair goes through ``storage.privacy``: a pair is read only by its two sides
(``can_read_one_on_one``) and a private note only by its author (``can_read_private_note``), so a
skip-level manager, an admin or anyone else reads nothing of it, whatever button they press.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from conversations.digest import blocker_age, mood_change, weeks_back
from conversations.flow import State
from conversations.messages import Actor, Inbound
from conversations.one_on_one_schedule import (
    Rhythm,
    first_meeting_day,
    moment_text,
    next_meeting,
    previous_meeting,
    rhythm_for,
)
from conversations.one_on_ones import (
    FLOW,
    ActionItemAdded,
    Ask,
    CadenceSet,
    ItemsClosed,
    NoteAdded,
    PairKey,
    PairStarted,
    TalkingPointAdded,
    read_request,
    split_handles,
)
from conversations.schedule import week_dates, week_key
from conversations.workspace_settings import WorkspaceSettings, load_settings, parse_clock
from storage import digests, outbox
from storage.kudos import resolve
from storage.models import (
    OneOnOneCadence,
    OneOnOneItem,
    OneOnOneItemKind,
    OneOnOneMeeting,
    OneOnOnePair,
    OneOnOnePrivateNote,
    Person,
    ResponseStatus,
    Workspace,
)
from storage.privacy import can_read_one_on_one, can_read_private_note

BASELINE_WEEKS = 8  # a report's usual mood: the mean of their moods over the eight weeks before
LATEST_WITHIN_WEEKS = 8  # an older check-in than this says nothing about the next 1:1
MAX_MENTIONS = 3  # the other side, an action item's owner, and one more named in the text
OPEN_KINDS = (OneOnOneItemKind.TALKING_POINT, OneOnOneItemKind.ACTION_ITEM)
ref = digests.ref


def agenda_key(pair_id: int, meeting_id: int, person_id: int) -> str:
    """The outbox key of one side's agenda of one 1:1: it goes out once, whoever asks."""
    return f"one_on_one_agenda:{pair_id}:{meeting_id}:{person_id}"


def handle_of(person: Person) -> str:
    """How people type someone here: ``@grace`` from grace@acme.example (``storage.people.by_handle``
    reads it back), or their first name."""
    local_part = (person.email or "").split("@")[0]
    return "@" + (local_part or person.display_name.split()[0]).lower()


def sides(reader: Person, other: Person) -> tuple[Person, Person] | None:
    """(manager, report) when one of the two is the other's direct manager: the only people who have 1:1s."""
    if other.manager_id is not None and other.manager_id == reader.id:
        return reader, other
    if reader.manager_id is not None and reader.manager_id == other.id:
        return other, reader
    return None


def partners(session: Session, person: Person) -> list[Person]:
    """Everyone ``person`` has 1:1s with: their manager, then their direct reports (active people)."""
    manager = session.get(Person, person.manager_id) if person.manager_id else None
    reports = session.exec(
        select(Person)
        .where(Person.manager_id == person.id, Person.active, col(Person.is_bot).is_(False))
        .order_by(Person.display_name)
    ).all()
    return [*([manager] if manager is not None and manager.active else []), *reports]


def find_pair(session: Session, manager_id: int, report_id: int) -> OneOnOnePair | None:
    return session.exec(
        select(OneOnOnePair).where(OneOnOnePair.manager_id == manager_id, OneOnOnePair.report_id == report_id)
    ).first()


def pairs_of(session: Session, person: Person) -> dict[tuple[int | None, int | None], OneOnOnePair]:
    """Every pair ``person`` is in, on either side, by (manager, report): in one statement, so a
    manager's Home costs the same with 1,000 reports as with 3 (a query per report took it to 1.2 s)."""
    query = select(OneOnOnePair).where(
        OneOnOnePair.workspace_id == person.workspace_id,
        sa.or_(OneOnOnePair.manager_id == person.id, OneOnOnePair.report_id == person.id),
    )
    return {(pair.manager_id, pair.report_id): pair for pair in session.exec(query)}


def _insert_if_missing(session: Session, model: type, **values: Any) -> None:
    """Insert unless a row with the same unique key exists: both sides may start a pair, or a tick
    and a note may create a meeting, at the same moment."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(model).values(**values).on_conflict_do_nothing())


def ensure_pair(session: Session, workspace_id: int, key: PairKey, now: datetime) -> OneOnOnePair:
    _insert_if_missing(
        session,
        OneOnOnePair,
        workspace_id=workspace_id,
        manager_id=key.manager_id,
        report_id=key.report_id,
        anchor=key.anchor,
        created_at=now,
    )
    pair = find_pair(session, key.manager_id, key.report_id)
    assert pair is not None
    return pair


def ensure_meeting(session: Session, pair: OneOnOnePair, starts_at: datetime, now: datetime) -> OneOnOneMeeting:
    """The meeting row of one 1:1; its seed stays empty until its first agenda is built."""
    _insert_if_missing(session, OneOnOneMeeting, pair_id=pair.id, starts_at=starts_at, seed={}, created_at=now)
    meeting = meeting_at(session, pair, starts_at)
    assert meeting is not None
    return meeting


def meeting_at(session: Session, pair: OneOnOnePair, starts_at: datetime) -> OneOnOneMeeting | None:
    return session.exec(
        select(OneOnOneMeeting).where(OneOnOneMeeting.pair_id == pair.id, OneOnOneMeeting.starts_at == starts_at)
    ).first()


def rhythm_of(pair: OneOnOnePair, settings: WorkspaceSettings, manager: Person) -> Rhythm:
    return rhythm_for(
        settings.one_on_ones,
        anchor=pair.anchor,
        zone=manager.timezone,
        cadence=pair.cadence.value if pair.cadence else None,
        weekday=pair.weekday,
        local_time=pair.local_time,
    )


def new_rhythm(settings: WorkspaceSettings, manager: Person, now: datetime) -> Rhythm:
    """The rhythm a pair starting now would have: the settings', from its soonest 1:1."""
    one_on_ones = settings.one_on_ones
    anchor = first_meeting_day(one_on_ones.day, parse_clock(one_on_ones.time), manager.timezone, now)
    return rhythm_for(one_on_ones, anchor=anchor, zone=manager.timezone)


# -- what the report's latest check-in says -------------------------------------------------------


def seed_for(session: Session, report: Person, settings: WorkspaceSettings, now: datetime) -> dict[str, Any]:
    """What the report's latest check-in brings to the agenda: its blocker (and how many weeks in a
    row it has been there), the mood against their own usual over the eight weeks before, and their
    key results at risk or off track (judged as the digest judges them)."""
    today = now.astimezone(ZoneInfo(report.timezone)).date()
    weeks = weeks_back(week_key(today), LATEST_WITHIN_WEEKS + BASELINE_WEEKS)
    history = digests.response_history(session, report.workspace_id, [report.id], weeks).get(report.id, {})
    recent = weeks[-LATEST_WITHIN_WEEKS:]
    answered = [week for week in recent if (history.get(week) or {}).get("status") is ResponseStatus.SUBMITTED]
    assert report.id is not None
    at_risk = digests.team_goals(session, [report.id], [], now, today, settings, [now])["key_results_at_risk"]
    key_results = [
        {
            "ref": kr["ref"],
            "title": kr["title"],
            "goal_ref": kr["goal_ref"],
            "health": kr["health"],
            "progress": kr["progress"],
        }
        for kr in at_risk
    ]
    if not answered:
        return {"week": None, "key_results": key_results}
    latest = answered[-1]
    moods = {week: (entry or {}).get("mood") for week, entry in history.items()}
    blockers = {week: (entry or {}).get("blockers") for week, entry in history.items()}
    age = blocker_age(blockers, latest)
    return {
        "week": latest,
        "week_text": week_dates(latest),
        "mood": mood_change(moods, latest, BASELINE_WEEKS),
        "blocker": {"text": blockers[latest], "weeks": age} if age else None,
        "key_results": key_results,
    }


# -- the agenda one side reads --------------------------------------------------------------------


@dataclass(frozen=True)
class Sides:
    """The two people of a pair as one reader meets them."""

    reader: Person
    other: Person
    manager: Person
    report: Person


def agenda(
    session: Session,
    pair: OneOnOnePair | None,
    people: Sides,
    rhythm: Rhythm,
    settings: WorkspaceSettings,
    now: datetime,
    seed: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The next 1:1 as ``people.reader`` may read it: when (in their zone), the seed, the open talking
    points and action items (numbered as ``/1on1 done`` takes them), the shared notes of this and the
    last 1:1, and the reader's own private notes. An empty agenda before the pair exists."""
    reader = people.reader
    if pair is not None and not can_read_one_on_one(session, reader, pair):
        raise PermissionError("only the two sides of a 1:1 read its agenda")
    start = next_meeting(rhythm, now)
    previous = previous_meeting(rhythm, now)
    shown = {
        "next": {"starts_at": start.isoformat(), "text": moment_text(start, reader.timezone, now)},
        "rhythm": {"weeks_apart": rhythm.weeks_apart, "weekday": rhythm.weekday, "time": f"{rhythm.clock:%H:%M}"},
        "manager": ref(people.manager),
        "report": ref(people.report),
        "reader_id": reader.id,
        "reader_is_manager": reader.id == people.manager.id,
        "manager_time": moment_text(start, rhythm.zone, now),
        "seed": dict(seed) if seed else seed_for(session, people.report, settings, now),
        "points": [],
        "actions": [],
        "notes": [],
        "last_notes": [],
        "private_notes": [],
    }
    if pair is None:
        return shown
    names = {person.id: ref(person) for person in (people.manager, people.report)}
    for item, number in numbered_open_items(session, pair):
        entry = {
            "id": item.id,
            "number": number,
            "kind": "point" if item.kind is OneOnOneItemKind.TALKING_POINT else "action",
            "text": item.text,
            "author": names.get(item.author_id, {}),
            "owner": names.get(item.owner_id, {}),
            "carried": previous is not None and item.created_at < previous,
        }
        shown["points" if entry["kind"] == "point" else "actions"].append(entry)
    meetings = _noted_meetings(session, pair, now)
    if meetings:
        for note in session.exec(
            select(OneOnOneItem)
            .where(OneOnOneItem.pair_id == pair.id, OneOnOneItem.kind == OneOnOneItemKind.SHARED_NOTE)
            .where(col(OneOnOneItem.meeting_id).in_(list(meetings)))
            .order_by(OneOnOneItem.created_at, OneOnOneItem.id)
        ):
            upcoming = meetings[note.meeting_id] > now
            shown["notes" if upcoming else "last_notes"].append(
                {"text": note.text, "author": names.get(note.author_id, {})}
            )
        private = session.exec(
            select(OneOnOnePrivateNote)
            .where(OneOnOnePrivateNote.pair_id == pair.id, col(OneOnOnePrivateNote.meeting_id).in_(list(meetings)))
            .order_by(OneOnOnePrivateNote.created_at, OneOnOnePrivateNote.id)
        ).all()
        shown["private_notes"] = [{"text": note.text} for note in private if can_read_private_note(reader, note)]
    return shown


def _noted_meetings(session: Session, pair: OneOnOnePair, now: datetime) -> dict[int, datetime]:
    """The meetings whose notes an agenda shows, by id: those to come (the next one, and one planned
    before the pair changed its rhythm) and the latest one that has started."""
    to_come = select(OneOnOneMeeting).where(OneOnOneMeeting.pair_id == pair.id, OneOnOneMeeting.starts_at > now)
    latest = (
        select(OneOnOneMeeting)
        .where(OneOnOneMeeting.pair_id == pair.id, OneOnOneMeeting.starts_at <= now)
        .order_by(col(OneOnOneMeeting.starts_at).desc())
        .limit(1)
    )
    return {meeting.id: meeting.starts_at for query in (to_come, latest) for meeting in session.exec(query)}


# -- the flow's context ---------------------------------------------------------------------------


def _problem_with(reader: Person, other: Person) -> dict[str, Any] | None:
    if other.id == reader.id:
        return {"code": "self"}
    if not other.active:
        return {"code": "inactive", "name": other.display_name}
    if other.is_bot or sides(reader, other) is None:
        return {"code": "not_a_pair", "name": other.display_name.split()[0]}
    return None


def _other(session: Session, actor: Actor, inbound: Inbound, reader: Person) -> tuple[Person | None, dict, list]:
    """Who the 1:1 is with (from the button or form, or the first person mentioned), what is wrong
    with them if anything, and everyone the text mentions (for an action item's owner)."""
    request = read_request(inbound)
    if request.other_id is not None:
        other = session.get(Person, request.other_id)
        if other is None or other.workspace_id != reader.workspace_id:
            return None, {"code": "not_a_pair", "name": "that person"}, []
        return other, {}, []
    typed = [handle.lstrip("@") for handle in split_handles(inbound.text)[0]]  # @grace where nothing became a mention
    mentioned = []
    for user_id in list(dict.fromkeys(inbound.mentions or typed))[:MAX_MENTIONS]:
        found, unknown = resolve(session, actor.workspace_id, inbound.platform, [user_id])
        mentioned.append(found[0] if found else {"unknown": unknown[0]})
    if not mentioned:
        return None, {"code": "nobody"}, []
    first = mentioned[0]
    if "unknown" in first:
        return None, {"code": "unknown_person", "person": first["unknown"]}, mentioned
    return session.get(Person, first["id"]), {}, mentioned


def prepare_one_on_one(session: Session, actor: Actor, inbound: Inbound, state: State | None, now: datetime) -> State:
    reader = session.get(Person, actor.person_id)
    workspace = session.get(Workspace, actor.workspace_id)
    assert reader is not None and workspace is not None
    settings = load_settings(workspace.settings)
    known = partners(session, reader)
    data: dict[str, Any] = {
        "reader": {**ref(reader), "timezone": reader.timezone},
        "example": handle_of(known[0]) if known else "",
    }
    if read_request(inbound).ask is Ask.LIST:
        data["pairs"] = [_listed(session, reader, partner, settings, now) for partner in known]
        return State(flow=FLOW, step="list", data=data)
    other, wrong, mentioned = _other(session, actor, inbound, reader)
    data["mentioned"] = mentioned
    wrong = wrong or (_problem_with(reader, other) if other is not None else {"code": "nobody"})
    if wrong:
        data["problem"] = wrong
        return State(flow=FLOW, step="refused", data=data)
    assert other is not None
    manager, report = sides(reader, other) or (reader, other)
    pair = find_pair(session, manager.id, report.id)
    if pair is not None and not can_read_one_on_one(session, reader, pair):
        data["problem"] = {"code": "not_a_pair", "name": other.display_name.split()[0]}
        return State(flow=FLOW, step="refused", data=data)
    data["target"] = _target(session, pair, Sides(reader, other, manager, report), settings, now)
    return State(flow=FLOW, step="agenda", data=data)


def _target(
    session: Session, pair: OneOnOnePair | None, people: Sides, settings: WorkspaceSettings, now: datetime
) -> dict:
    rhythm = rhythm_of(pair, settings, people.manager) if pair else new_rhythm(settings, people.manager, now)
    start = next_meeting(rhythm, now)
    meeting = meeting_at(session, pair, start) if pair else None
    shown = agenda(session, pair, people, rhythm, settings, now, seed=meeting.seed if meeting else None)
    other_agenda_sent = bool(
        pair and meeting and outbox.by_key(session, agenda_key(pair.id, meeting.id, people.other.id)) is not None
    )
    return {
        "pair_id": pair.id if pair else None,
        "manager_id": people.manager.id,
        "report_id": people.report.id,
        "anchor": rhythm.anchor.isoformat(),
        "other": ref(people.other),
        "handle": handle_of(people.other),
        "manager": ref(people.manager),
        "manager_zone": people.manager.timezone,
        "reader_is_manager": people.reader.id == people.manager.id,
        "rhythm": shown["rhythm"],
        "agenda": shown,
        "other_agenda_sent": other_agenda_sent,
        "other_next": moment_text(start, people.other.timezone, now),
    }


def _listed(session: Session, reader: Person, partner: Person, settings: WorkspaceSettings, now: datetime) -> dict:
    manager, report = sides(reader, partner) or (partner, reader)
    pair = find_pair(session, manager.id, report.id)
    entry = {"person": ref(partner), "handle": handle_of(partner), "is_manager": partner.id == manager.id}
    if pair is None or not can_read_one_on_one(session, reader, pair):
        return {**entry, "started": False}
    start = next_meeting(rhythm_of(pair, settings, manager), now)
    open_items = session.exec(
        select(sa.func.count())
        .select_from(OneOnOneItem)
        .where(OneOnOneItem.pair_id == pair.id, col(OneOnOneItem.closed_at).is_(None))
        .where(col(OneOnOneItem.kind).in_(OPEN_KINDS))
    ).one()
    return {**entry, "started": True, "next": moment_text(start, reader.timezone, now), "open": open_items}


# -- the flow's changes ---------------------------------------------------------------------------


def apply_started(session: Session, actor: Actor, change: PairStarted, now: datetime) -> None:
    ensure_pair(session, actor.workspace_id, change.pair, now)


def _add_item(
    session: Session, actor: Actor, key: PairKey, kind: OneOnOneItemKind, text: str, now: datetime, **fields: Any
) -> None:
    """One item both sides read, written by the actor, in the pair (started if need be)."""
    pair = ensure_pair(session, actor.workspace_id, key, now)
    session.add(
        OneOnOneItem(pair_id=pair.id, kind=kind, author_id=actor.person_id, text=text, created_at=now, **fields)
    )


def apply_point(session: Session, actor: Actor, change: TalkingPointAdded, now: datetime) -> None:
    _add_item(session, actor, change.pair, OneOnOneItemKind.TALKING_POINT, change.text, now)


def apply_action(session: Session, actor: Actor, change: ActionItemAdded, now: datetime) -> None:
    _add_item(session, actor, change.pair, OneOnOneItemKind.ACTION_ITEM, change.text, now, owner_id=change.owner_id)


def apply_note(session: Session, actor: Actor, change: NoteAdded, now: datetime) -> None:
    """On the 1:1 it was written for: shared with the other side, or the author's alone."""
    pair = ensure_pair(session, actor.workspace_id, change.pair, now)
    meeting = ensure_meeting(session, pair, change.meeting_starts_at, now)
    if change.private:
        session.add(
            OneOnOnePrivateNote(
                pair_id=pair.id, meeting_id=meeting.id, author_id=actor.person_id, text=change.text, created_at=now
            )
        )
    else:
        _add_item(session, actor, change.pair, OneOnOneItemKind.SHARED_NOTE, change.text, now, meeting_id=meeting.id)


def apply_closed(session: Session, actor: Actor, change: ItemsClosed, now: datetime) -> None:
    """Only the pair's own open points and actions: an id from elsewhere closes nothing."""
    pair = ensure_pair(session, actor.workspace_id, change.pair, now)
    session.execute(
        sa.update(OneOnOneItem)
        .where(
            col(OneOnOneItem.pair_id) == pair.id,
            col(OneOnOneItem.id).in_(list(change.item_ids)),
            col(OneOnOneItem.closed_at).is_(None),
            col(OneOnOneItem.kind).in_(OPEN_KINDS),
        )
        .values(closed_at=now)
    )


def apply_cadence(session: Session, actor: Actor, change: CadenceSet, now: datetime) -> None:
    pair = ensure_pair(session, actor.workspace_id, change.pair, now)
    pair.cadence = OneOnOneCadence(change.cadence)
    pair.weekday = change.weekday
    pair.local_time = change.local_time
    pair.anchor = change.anchor
    session.add(pair)


def numbered_open_items(session: Session, pair: OneOnOnePair) -> list[tuple[OneOnOneItem, int]]:
    """A pair's points and actions still open (what carries over), oldest first, each with its
    number: its place among all the pair's points and actions ever added. A number never changes,
    so ``/1on1 done @grace 4`` closes the item the agenda showed as 4 even if the other side has
    added or closed something since."""
    numbered = (
        select(OneOnOneItem.id, sa.func.row_number().over(order_by=col(OneOnOneItem.id)).label("number"))
        .where(OneOnOneItem.pair_id == pair.id, col(OneOnOneItem.kind).in_(OPEN_KINDS))
        .subquery()
    )
    rows = session.exec(
        select(OneOnOneItem, numbered.c.number)
        .join(numbered, numbered.c.id == OneOnOneItem.id)
        .where(col(OneOnOneItem.closed_at).is_(None))
        .order_by(col(OneOnOneItem.id))
    ).all()
    return [(item, number) for item, number in rows]


def pairs_meeting(session: Session, workspace_id: int) -> list[tuple[OneOnOnePair, Person, Person]]:
    """The pairs that still meet: both sides active, and the report still reporting to the manager."""
    manager, report = sa.orm.aliased(Person), sa.orm.aliased(Person)
    rows = session.exec(
        select(OneOnOnePair, manager, report)
        .join(manager, manager.id == OneOnOnePair.manager_id)
        .join(report, report.id == OneOnOnePair.report_id)
        .where(OneOnOnePair.workspace_id == workspace_id, manager.active, report.active)
        .where(report.manager_id == OneOnOnePair.manager_id)
        .order_by(OneOnOnePair.id)
    ).all()
    return [(pair, m, r) for pair, m, r in rows]


APPLIERS = {
    PairStarted: apply_started,
    TalkingPointAdded: apply_point,
    ActionItemAdded: apply_action,
    NoteAdded: apply_note,
    ItemsClosed: apply_closed,
    CadenceSet: apply_cadence,
}
CONTEXTS = {FLOW: prepare_one_on_one}


def next_for(session: Session, person: Person, settings: WorkspaceSettings, now: datetime) -> dict[str, Any] | None:
    """The soonest 1:1 ``person`` has (of the pairs started), as their Home view shows it: with whom,
    when in their own time zone, and its open talking points and action items; None without one."""
    soonest: tuple[datetime, OneOnOnePair, Sides, Rhythm] | None = None
    pairs = pairs_of(session, person)
    for partner in partners(session, person):
        manager, report = sides(person, partner) or (partner, person)
        pair = pairs.get((manager.id, report.id))
        if pair is None or not can_read_one_on_one(session, person, pair):
            continue
        rhythm = rhythm_of(pair, settings, manager)
        start = next_meeting(rhythm, now)
        if soonest is None or start < soonest[0]:
            soonest = (start, pair, Sides(person, partner, manager, report), rhythm)
    if soonest is None:
        return None
    _, pair, people, rhythm = soonest
    shown = agenda(session, pair, people, rhythm, settings, now)
    return {
        "other": ref(people.other),
        "handle": handle_of(people.other),
        "when": shown["next"]["text"],
        "points": shown["points"],
        "actions": shown["actions"],
    }

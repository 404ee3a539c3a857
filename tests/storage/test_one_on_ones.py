"""1:1s in the database, through the real engine: pairs, carry-over of talking points, action items
coming back until done, the check-in seed, and who may read what (the two sides only; a private
note its author only). Bad input is refused in one sentence and stores nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from conversations.commands import typed_handles
from conversations.flows import all_flows
from conversations.messages import PICKED, Inbound, Outbound, Platform
from conversations.words import PlainDialect, Words
from conversations.workspace_settings import load_settings
from storage import org_import, people
from storage.connections import new_organisation
from storage.database import Database
from storage.flow_bindings import engine_for
from storage.models import (
    CheckinCycle,
    CheckinResponse,
    Goal,
    GoalLevel,
    KeyResult,
    OneOnOneItem,
    OneOnOneMeeting,
    OneOnOnePair,
    OneOnOnePrivateNote,
    Person,
    ResponseStatus,
    Workspace,
)
from storage.one_on_ones import Sides, agenda, find_pair, rhythm_of
from storage.privacy import can_read_one_on_one, can_read_private_note
from tests.conversations.fakes import FakeChannel

ORG = """email,name,manager_email,timezone,role
maya@acme.test,Maya Chen,,Europe/Berlin,admin
sam@acme.test,Sam Okafor,maya@acme.test,Europe/Berlin,manager
grace@acme.test,Grace Hopper,sam@acme.test,America/New_York,member
linus@acme.test,Linus Tanaka,sam@acme.test,Asia/Tokyo,member
jordan@acme.test,Jordan Lee,maya@acme.test,America/Los_Angeles,manager
tom@acme.test,Tom Becker,jordan@acme.test,America/New_York,member
"""
TUESDAY = datetime(2027, 3, 16, 9, tzinfo=UTC)  # the next 1:1s (Thursdays 15:00 Berlin) are on 18 March
WORDS = Words(PlainDialect())


@dataclass
class Org:
    database: Database
    workspace_id: int
    ids: Mapping[str, int]

    def say(self, who: str, line: str, at: datetime = TUESDAY) -> list[Outbound]:
        """``line`` typed by ``who`` (a first name) in their chat with Cadence; what Cadence answered."""
        mentions = tuple(handle if "@" in handle else f"{handle}@acme.test" for handle in typed_handles(line))
        return self.send(who, at, text=line, mentions=mentions)

    def press(self, who: str, choice: str, at: datetime = TUESDAY, **form: Any) -> list[Outbound]:
        return self.send(who, at, choice=choice, form=form or None)

    def submit(self, who: str, form_id: str, values: Mapping[str, Any], at: datetime = TUESDAY) -> list[Outbound]:
        return self.send(who, at, form_id=form_id, form=dict(values))

    def send(self, who: str, at: datetime, **fields: Any) -> list[Outbound]:
        channel = FakeChannel()
        with self.database.session_scope() as session:
            workspace = session.get(Workspace, self.workspace_id)
            inbound = Inbound(Platform.SHELL, str(self.workspace_id), f"{who}@acme.test", f"dm:{who}", **fields)
            engine_for(session, workspace, all_flows(), channel).handle(inbound, at)
        return channel.sent

    def rows(self) -> dict[str, int]:
        """How many pairs, items, private notes and meetings are stored."""
        with self.database.session_scope() as session:
            return {
                model.__tablename__: len(session.exec(select(model)).all())
                for model in (OneOnOnePair, OneOnOneItem, OneOnOnePrivateNote, OneOnOneMeeting)
            }


def text(message: Outbound) -> str:
    return WORDS.render(message.kind, message.data).text


def the_one(messages: list[Outbound], kind: str) -> Outbound:
    found = [message for message in messages if message.kind == kind]
    assert len(found) == 1, [message.kind for message in messages]
    return found[0]


def make_org(database: Database, org_file: str = ORG) -> Org:
    with database.session_scope() as session:
        workspace = new_organisation(session, "Acme", Platform.SHELL, "acme")
        assert org_import.import_org(session, workspace.id, org_file).ok
        ids = {person.email.split("@")[0]: person.id for person in people.all_in(session, workspace.id)}
        return Org(database, workspace.id, ids)


@pytest.fixture
def org(any_database: Database) -> Org:
    return make_org(any_database)


def test_a_pair_starts_the_first_time_either_side_asks_and_only_once(org: Org) -> None:
    first = the_one(org.say("sam", "1on1 @grace"), "one_on_one_agenda")
    assert "Next: Thu 18 Mar 15:00 · every Thursday at 15:00" in text(first)
    assert org.rows()["one_on_one_pairs"] == 1
    theirs = the_one(org.say("grace", "1on1 @sam"), "one_on_one_agenda")
    assert "Next: Thu 18 Mar 10:00 your time (Thu 18 Mar 15:00 for Sam)" in text(theirs), "New York is on summer time"
    assert org.rows()["one_on_one_pairs"] == 1
    with org.database.session_scope() as session:
        pair = find_pair(session, org.ids["sam"], org.ids["grace"])
        assert pair is not None and pair.anchor == date(2027, 3, 18), "the first 1:1 is the soonest"


def test_talking_points_not_discussed_carry_over_and_action_items_come_back_until_done(org: Org) -> None:
    org.say("grace", '1on1 add @sam "career plan"')
    org.say("sam", "1on1 add @grace the offsite")
    org.say("sam", "1on1 action @grace @grace send the draft")
    org.say("grace", "1on1 action @sam book the room")
    before = text(the_one(org.say("sam", "1on1 @grace"), "one_on_one_agenda"))
    assert "1. career plan · added by Grace Hopper\n" in before
    assert "2. the offsite · added by you\n" in before
    assert "3. send the draft · Grace Hopper\n4. book the room · Grace Hopper" in before
    closed = the_one(org.say("sam", "1on1 done @grace 2 3"), "one_on_one_closed")
    assert (
        text(closed) == "Discussed: “the offsite”. Done: “send the draft”. They're off your agenda with Grace Hopper."
    )

    a_week_later = TUESDAY + timedelta(days=7)  # the 18 March 1:1 has happened
    after = text(the_one(org.say("grace", "1on1 @sam", at=a_week_later), "one_on_one_agenda"))
    assert "Next: Thu 25 Mar 10:00 your time" in after
    assert "1. career plan · added by you · carried over" in after
    assert "the offsite" not in after and "send the draft" not in after
    assert "4. book the room · you" in after, "numbers stay as they were shown"
    two_weeks_later = a_week_later + timedelta(days=7)
    org.say("grace", "1on1 done @sam 1", at=two_weeks_later)
    last = text(the_one(org.say("grace", "1on1 @sam", at=two_weeks_later), "one_on_one_agenda"))
    assert ". career plan" not in last and "4. book the room · you" in last, "the action item keeps coming back"


def test_notes_are_on_the_upcoming_1on1_and_the_last_ones_stay_in_view(org: Org) -> None:
    org.say("sam", "1on1 note @grace we agreed to move the demo to May")
    upcoming = text(the_one(org.say("grace", "1on1 @sam"), "one_on_one_agenda"))
    assert "Shared notes\n• we agreed to move the demo to May (Sam Okafor)" in upcoming
    later = text(the_one(org.say("grace", "1on1 @sam", at=TUESDAY + timedelta(days=7)), "one_on_one_agenda"))
    assert "Notes from last time\n• we agreed to move the demo to May (Sam Okafor)" in later
    assert "Shared notes" not in later


def test_the_other_side_never_reads_your_private_notes(org: Org) -> None:
    org.say("grace", "1on1 private @sam ask about the team move")
    org.say("sam", "1on1 private @grace she may want to lead the migration")
    mine = text(the_one(org.say("grace", "1on1 @sam"), "one_on_one_agenda"))
    assert "Your private notes (only you read these)\n• ask about the team move" in mine
    assert "lead the migration" not in mine
    his = text(the_one(org.say("sam", "1on1 @grace"), "one_on_one_agenda"))
    assert "lead the migration" in his and "team move" not in his
    with org.database.session_scope() as session:
        note = session.exec(select(OneOnOnePrivateNote).where(OneOnOnePrivateNote.author_id == org.ids["grace"])).one()
        readers = [name for name, id_ in org.ids.items() if can_read_private_note(session.get(Person, id_), note)]
    assert readers == ["grace"], "nobody else, the admin included"


@pytest.mark.parametrize("who", ["maya", "jordan", "tom", "linus"])
def test_skip_level_admins_and_strangers_read_nothing_of_a_pair(org: Org, who: str) -> None:
    org.say("grace", '1on1 add @sam "career plan"')
    org.say("grace", "1on1 private @sam ask about the team move")
    refused = org.say(who, "1on1 @grace")
    assert [message.kind for message in refused] == ["one_on_one_problem"]
    assert "Grace is neither." in text(refused[0])
    with org.database.session_scope() as session:
        [item] = session.exec(select(OneOnOneItem)).all()
        item_id = item.id
    for choice, form in (
        (f"one_on_one.open:{org.ids['grace']}", {}),
        (f"one_on_one.done:{org.ids['grace']}", {PICKED: [str(item_id)]}),
    ):
        pressed = org.press(who, choice, **form)
        assert [message.kind for message in pressed] == ["one_on_one_problem"], "a button proves nothing"
        assert "career plan" not in text(pressed[0]) and "team move" not in text(pressed[0])
    with org.database.session_scope() as session:
        assert session.get(OneOnOneItem, item_id).closed_at is None
        pair = find_pair(session, org.ids["sam"], org.ids["grace"])
        viewer = session.get(Person, org.ids[who])
        assert not can_read_one_on_one(session, viewer, pair)
        manager, report = session.get(Person, org.ids["sam"]), session.get(Person, org.ids["grace"])
        rhythm = rhythm_of(pair, load_settings({}), manager)
        with pytest.raises(PermissionError):
            agenda(session, pair, Sides(viewer, report, manager, report), rhythm, load_settings({}), TUESDAY)


def deactivate(org: Org, name: str) -> None:
    with org.database.session_scope() as session:
        person = session.get(Person, org.ids[name])
        person.active = False
        session.add(person)


@pytest.mark.parametrize(
    ("line", "sentence"),
    [
        ("1on1 add", 'Say who the 1:1 is with. For example: 1on1 add @sam "career plan"'),
        ("1on1 @zed", "I don't know zed@acme.test in Cadence. For example: 1on1 @sam"),
        (
            "1on1 @tom",
            "You have 1:1s with your manager and your direct reports; Tom is neither. For example: 1on1 @sam",
        ),
        ("1on1 @grace", "Grace Hopper is no longer active in Cadence, so there are no 1:1s with them."),
        ("1on1 @linus", "A 1:1 is with your manager or one of your reports, not yourself."),
        ("1on1 add @sam", 'Say what to add. For example: 1on1 add @sam "career plan"'),
        ('1on1 add @sam ""', 'Say what to add. For example: 1on1 add @sam "career plan"'),
        ("1on1 note @sam " + "x" * 501, "That's 501 characters; keep it to 500, or split it in two."),
        ("1on1 done @sam 1", "Nothing is open on your agenda with Sam Okafor to close."),
        ("1on1 every @sam sometimes", "I can't read “sometimes” as how often you meet"),
        ("1on1 every @sam 2 weeks at noon", "say week or 2 weeks, then a day and a time"),
        ("1on1 action @sam @tom fix it", "An action item is yours or Sam Okafor's."),
    ],
)
def test_bad_input_gets_one_sentence_with_an_example_and_stores_nothing(org: Org, line: str, sentence: str) -> None:
    deactivate(org, "grace")
    answer = org.say("linus", line)
    assert [message.kind for message in answer] == ["one_on_one_problem"]
    assert sentence in text(answer[0])
    assert text(answer[0]).count(".") <= 3, "one sentence (and its example)"
    assert org.rows() == {
        "one_on_one_pairs": 0,
        "one_on_one_items": 0,
        "one_on_one_private_notes": 0,
        "one_on_one_meetings": 0,
    }


def test_an_unknown_number_in_done_names_the_open_ones_and_closes_nothing(org: Org) -> None:
    org.say("grace", '1on1 add @sam "career plan"')
    org.say("grace", "1on1 action @sam book the room")
    answer = the_one(org.say("grace", "1on1 done @sam 1 7"), "one_on_one_problem")
    assert text(answer) == (
        "There's no open item 7 on your agenda with Sam Okafor; the open ones are 1, 2. For example: 1on1 done @sam 1 2"
    )
    with org.database.session_scope() as session:
        assert all(item.closed_at is None for item in session.exec(select(OneOnOneItem)))


def test_the_pairs_own_cadence_moves_the_next_1on1(org: Org) -> None:
    answer = the_one(org.say("grace", "1on1 every @sam 2 weeks tuesday 16:30"), "one_on_one_cadence_set")
    assert text(answer) == (
        "Your 1:1s with Sam Okafor are now every other Tuesday at 16:30 Sam's time. "
        "The next one is Tue 16 Mar 11:30 your time."
    )
    after_it = TUESDAY + timedelta(days=1)
    agenda_text = text(the_one(org.say("sam", "1on1 @grace", at=after_it), "one_on_one_agenda"))
    assert "Next: Tue 30 Mar 16:30 · every other Tuesday at 16:30" in agenda_text


def test_listing_shows_each_1on1_and_when_it_is_next(org: Org) -> None:
    org.say("grace", '1on1 add @sam "career plan"')
    listed = text(the_one(org.say("sam", "1on1"), "one_on_one_list"))
    assert "• Maya Chen (your manager): no 1:1s yet, 1on1 @maya starts them" in listed
    assert "• Grace Hopper: next Thu 18 Mar 15:00, 1 open item" in listed
    assert "• Linus Tanaka: no 1:1s yet" in listed
    alone = text(the_one(org.say("tom", "1on1"), "one_on_one_list"))
    assert "Jordan Lee (your manager): no 1:1s yet" in alone


def checkin(session, person_id: int, workspace_id: int, week: str, mood: int, blockers: str | None) -> None:
    cycle = session.exec(select(CheckinCycle).where(CheckinCycle.week == week)).first()
    if cycle is None:
        cycle = CheckinCycle(workspace_id=workspace_id, week=week)
        session.add(cycle)
        session.flush()
    session.add(
        CheckinResponse(
            cycle_id=cycle.id,
            person_id=person_id,
            status=ResponseStatus.SUBMITTED,
            mood=mood,
            blockers=blockers,
            answers={},
        )
    )


def test_the_agenda_is_seeded_from_the_reports_latest_check_in(org: Org) -> None:
    with org.database.session_scope() as session:
        for week, mood in (("2027-W05", 1), ("2027-W07", 4), ("2027-W08", 5), ("2027-W09", 4), ("2027-W10", 4)):
            checkin(session, org.ids["grace"], org.workspace_id, week, mood, None)
        checkin(session, org.ids["grace"], org.workspace_id, "2027-W11", 2, "waiting on legal")
        goal = Goal(
            workspace_id=org.workspace_id,
            number=1,
            title="Launch the beta",
            level=GoalLevel.PERSON,
            period="2027-Q1",
            starts_on=date(2027, 1, 1),
            ends_on=date(2027, 3, 31),
            owner_id=org.ids["grace"],
            progress=20.0,
        )
        session.add(goal)
        session.flush()
        session.add(
            KeyResult(
                workspace_id=org.workspace_id,
                goal_id=goal.id,
                number=3,
                title="Beta users",
                target_value=200,
                current_value=40,
                progress=20.0,
            )
        )
    seeded = text(the_one(org.say("sam", "1on1 @grace"), "one_on_one_agenda"))
    assert "From Grace's check-ins" in seeded
    assert "• Mood 2 / 5, -1.6 against the usual 3.6 (15 – 21 Mar)" in seeded, "the eight weeks before: W03 to W10"
    assert "• Blocker: waiting on legal" in seeded
    assert "• KR-3 Beta users (G-1) is 🔴 off track at 20%" in seeded
    theirs = text(the_one(org.say("grace", "1on1 @sam"), "one_on_one_agenda"))
    assert "From your check-ins" in theirs and "waiting on legal" in theirs


def test_the_1on1_button_on_a_check_in_or_a_digest_opens_the_agenda_and_starts_the_pair(org: Org) -> None:
    [agenda] = org.press("sam", f"one_on_one.open:{org.ids['linus']}")
    assert agenda.kind == "one_on_one_agenda" and "1:1 with Linus Tanaka" in text(agenda)
    assert "Next: Thu 18 Mar 15:00" in text(agenda)
    assert org.rows()["one_on_one_pairs"] == 1


def test_a_number_on_the_agenda_keeps_naming_its_item_whatever_the_other_side_adds_or_closes(org: Org) -> None:
    org.say("grace", '1on1 add @sam "career plan"')
    org.say("grace", "1on1 action @sam book the room")
    shown = text(the_one(org.say("grace", "1on1 @sam"), "one_on_one_agenda"))
    assert "1. career plan" in shown and "2. book the room" in shown
    org.say("sam", "1on1 add @grace the offsite")  # a point: listed before the action items
    org.say("sam", "1on1 done @grace 1")
    closed = the_one(org.say("grace", "1on1 done @sam 2"), "one_on_one_closed")
    assert text(closed).startswith("Done: “book the room”.")
    assert "3. the offsite" in text(the_one(org.say("grace", "1on1 @sam"), "one_on_one_agenda"))

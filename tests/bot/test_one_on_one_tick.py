"""The tick sends each side of each pair the agenda of their next 1:1 once, on the working day before
in their own time zone; never after the meeting has started, and after downtime only the next one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.one_on_one_tick import one_on_one_producer
from bot.tick import enqueue_due
from conversations.messages import outbound_from_dict
from conversations.words import Labels
from conversations.workspace_settings import validate_settings
from storage import workspaces
from storage.database import Database
from storage.models import OneOnOneMeeting, OutboxDelivery, Person, Workspace
from tests.storage.test_one_on_ones import TUESDAY, WORDS, Org, make_org


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def org(database: Database) -> Org:
    org = make_org(database)
    org.say("grace", '1on1 add @sam "career plan"', at=TUESDAY)  # Tue 16 March: both pairs meet Thu 18 March
    org.say("sam", "1on1 action @linus @linus share the load test results", at=TUESDAY)
    return org


def tick(database: Database, at: datetime) -> int:
    return sum(enqueue_due(database, at, [one_on_one_producer(Labels())]).values())


def agendas(database: Database) -> list[tuple[str, str]]:
    """(recipient, what the agenda's title says) of every agenda queued, in order."""
    with database.session_scope() as session:
        names = {person.id: person.display_name for person in session.exec(select(Person))}
        rows = session.exec(
            select(OutboxDelivery).where(OutboxDelivery.kind == "one_on_one_agenda").order_by(OutboxDelivery.id)
        ).all()
        return [
            (
                names[int(row.recipient.removeprefix("person:"))],
                WORDS.render("one_on_one_agenda", outbound_from_dict(row.payload["outbound"]).data).title,
            )
            for row in rows
        ]


def test_each_agenda_goes_once_the_working_day_before_at_nine_in_each_persons_zone(org: Org) -> None:
    database = org.database
    assert tick(database, utc(2027, 3, 16, 23, 59)) == 0
    assert tick(database, utc(2027, 3, 17, 0, 0)) == 1, "Wednesday 09:00 in Tokyo"
    assert tick(database, utc(2027, 3, 17, 0, 0)) == 0, "a second tick, or a second replica, at the same moment"
    assert tick(database, utc(2027, 3, 17, 8, 0)) == 2, "Wednesday 09:00 in Berlin: Sam, for each of his 1:1s"
    assert tick(database, utc(2027, 3, 17, 12, 59)) == 0
    assert tick(database, utc(2027, 3, 17, 13, 0)) == 1, "Wednesday 09:00 in New York (summer time already)"
    assert tick(database, utc(2027, 3, 18, 13, 59)) == 0, "nothing again before the 1:1"
    assert agendas(database) == [
        ("Linus Tanaka", "Agenda for your 1:1 with Sam Okafor"),
        ("Sam Okafor", "Agenda for your 1:1 with Grace Hopper"),
        ("Sam Okafor", "Agenda for your 1:1 with Linus Tanaka"),
        ("Grace Hopper", "Agenda for your 1:1 with Sam Okafor"),
    ]
    with database.session_scope() as session:
        meetings = session.exec(select(OneOnOneMeeting).order_by(OneOnOneMeeting.pair_id)).all()
        assert [meeting.starts_at for meeting in meetings] == [utc(2027, 3, 18, 14, 0)] * 2
        assert all(meeting.seed for meeting in meetings), "each meeting keeps the seed its agendas were built from"
        grace = session.exec(
            select(OutboxDelivery).where(OutboxDelivery.recipient == f"person:{org.ids['grace']}")
        ).one()
        body = WORDS.render(grace.kind, outbound_from_dict(grace.payload["outbound"]).data).body
        choice_set = outbound_from_dict(grace.payload["outbound"]).choice_set
    assert "Next: Thu 18 Mar 10:00 your time (Thu 18 Mar 15:00 for Sam)" in body
    assert "1. career plan · added by you" in body
    assert choice_set is not None and [option.label for option in choice_set.options] == ["1. career plan"]


def test_after_downtime_only_the_next_agenda_goes_out_and_none_once_a_1on1_has_started(org: Org) -> None:
    database = org.database
    assert tick(database, utc(2027, 3, 18, 14, 30)) == 0, "the 18 March 1:1 started at 14:00: too late for it"
    assert tick(database, utc(2027, 4, 9, 10, 0)) == 0, "back three weeks later: the next 1:1 is on 15 April"
    assert tick(database, utc(2027, 4, 14, 12, 0)) == 3, "its agendas: Linus's and Sam's two, not the missed ones"
    with database.session_scope() as session:
        starts = {meeting.starts_at for meeting in session.exec(select(OneOnOneMeeting))}
    assert starts == {utc(2027, 4, 15, 13, 0)}, "15:00 in Berlin on summer time"
    assert tick(database, utc(2027, 4, 15, 12, 59)) == 1, "Grace's, late but before the start"
    assert tick(database, utc(2027, 4, 15, 13, 0)) == 0


def test_the_agenda_comes_a_working_day_earlier_around_a_holiday(org: Org) -> None:
    settings, problems = validate_settings({"holidays": ["2027-03-17"]})
    assert settings is not None, problems
    with org.database.session_scope() as session:
        workspaces.apply_settings(session, session.get(Workspace, org.workspace_id), settings)
    assert tick(org.database, utc(2027, 3, 16, 9, 30)) == 3, "Tuesday 09:00 in Tokyo and Berlin, not Wednesday"
    assert tick(org.database, utc(2027, 3, 16, 13, 0)) == 1, "and Tuesday 09:00 in New York"


def test_a_report_who_moved_to_another_manager_gets_no_more_agendas_from_the_old_pair(org: Org) -> None:
    with org.database.session_scope() as session:
        grace = session.get(Person, org.ids["grace"])
        grace.manager_id = org.ids["jordan"]
        session.add(grace)
    assert tick(org.database, utc(2027, 3, 17, 13, 0)) == 2, "Linus's and Sam's for their 1:1"
    assert ("Grace Hopper", "Agenda for your 1:1 with Sam Okafor") not in agendas(org.database)
    assert ("Sam Okafor", "Agenda for your 1:1 with Grace Hopper") not in agendas(org.database)

"""The tick prompts each person at their local check-in time, reminds only those who haven't
answered, skips who is away, catches up after downtime, and never sends anything twice."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from freezegun import freeze_time
from sqlmodel import select

from bot.checkin_tick import checkin_producer
from bot.tick import enqueue_due
from conversations.checkin import CheckinSaved
from conversations.messages import Platform
from conversations.words import Labels
from conversations.workspace_settings import validate_settings
from storage import org_import, people, workspaces
from storage.checkins import apply_saved
from storage.connections import new_organisation
from storage.database import Database
from storage.models import CheckinResponse, OutboxDelivery, Person, ResponseStatus, TimeOff, Workspace

ORG = """email,name,manager_email,timezone
boss@acme.test,Boss,,Europe/Berlin
nyc@acme.test,Nia York,boss@acme.test,America/New_York
ber@acme.test,Bert Lin,boss@acme.test,Europe/Berlin
ber2@acme.test,Berta Lin,boss@acme.test,Europe/Berlin
kol@acme.test,Kavi Kolkata,boss@acme.test,Asia/Kolkata
akl@acme.test,Aroha Auckland,boss@acme.test,Pacific/Auckland
"""


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def org(database: Database) -> dict[str, int]:
    with database.session_scope() as session:
        workspace = new_organisation(session, "Acme", Platform.SHELL, "acme")
        assert org_import.import_org(session, workspace.id, ORG).ok
        ids = {person.email.split("@")[0]: person.id for person in people.all_in(session, workspace.id)}
        return {"workspace": workspace.id, **ids}


def configure(database: Database, org: dict[str, int], **settings) -> None:
    parsed, errors = validate_settings(settings)
    assert errors == []
    with database.session_scope() as session:
        workspaces.apply_settings(session, session.get(Workspace, org["workspace"]), parsed)


def tick(database: Database, at: datetime) -> int:
    return sum(enqueue_due(database, at, [checkin_producer(Labels())]).values())


def sent(database: Database, kind: str | None = None) -> list[tuple[str, str]]:
    """(recipient name, kind) of every outbox row, in order."""
    with database.session_scope() as session:
        rows = session.exec(select(OutboxDelivery).order_by(OutboxDelivery.id)).all()
        names = {person.id: person.display_name for person in session.exec(select(Person))}
    return [
        (names[int(row.recipient.removeprefix("person:"))], row.kind)
        for row in rows
        if kind is None or row.kind == kind
    ]


def test_each_person_is_prompted_at_ten_on_friday_in_their_own_zone(database: Database, org) -> None:
    assert tick(database, utc(2026, 12, 3, 20, 59)) == 0
    assert tick(database, utc(2026, 12, 3, 21, 0)) == 1  # Friday 10:00 in Auckland
    assert tick(database, utc(2026, 12, 4, 4, 29)) == 1  # Auckland's +4h reminder, no prompt yet
    assert tick(database, utc(2026, 12, 4, 4, 30)) == 1  # 10:00 in Kolkata
    assert tick(database, utc(2026, 12, 4, 9, 0)) == 4  # 10:00 in Berlin (three people), Kolkata's reminder
    tick(database, utc(2026, 12, 4, 15, 0))  # 10:00 in New York
    prompts = sent(database, "checkin_prompt")
    assert [name for name, _ in prompts] == [
        "Aroha Auckland",
        "Kavi Kolkata",
        "Boss",
        "Bert Lin",
        "Berta Lin",
        "Nia York",
    ]


def test_new_york_is_prompted_an_hour_earlier_in_utc_after_clocks_spring_forward(database: Database, org) -> None:
    tick(database, utc(2026, 3, 6, 14, 59))
    assert ("Nia York", "checkin_prompt") not in sent(database)
    tick(database, utc(2026, 3, 6, 15, 0))  # before the change: 10:00 EST
    assert ("Nia York", "checkin_prompt") in sent(database)
    tick(database, utc(2026, 3, 13, 13, 59))
    assert sent(database, "checkin_prompt").count(("Nia York", "checkin_prompt")) == 1
    tick(database, utc(2026, 3, 13, 14, 0))  # after the change: 10:00 EDT
    assert sent(database, "checkin_prompt").count(("Nia York", "checkin_prompt")) == 2


def test_berlin_is_prompted_an_hour_later_in_utc_after_clocks_fall_back(database: Database, org) -> None:
    tick(database, utc(2026, 10, 23, 8, 0))  # 10:00 CEST
    tick(database, utc(2026, 10, 30, 8, 59))
    assert sent(database, "checkin_prompt").count(("Bert Lin", "checkin_prompt")) == 1
    tick(database, utc(2026, 10, 30, 9, 0))  # 10:00 CET
    assert sent(database, "checkin_prompt").count(("Bert Lin", "checkin_prompt")) == 2


def test_a_repeated_tick_sends_nothing_new(database: Database, org) -> None:
    at = utc(2026, 12, 4, 16, 0)
    first = tick(database, at)
    assert first == 6
    assert tick(database, at) == 0
    assert len(sent(database)) == 6


def test_two_ticks_at_once_never_prompt_twice(database: Database, org) -> None:
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        barrier.wait()
        try:
            tick(database, utc(2026, 12, 4, 16, 0))
        except BaseException as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    prompts = sent(database, "checkin_prompt")
    assert len(prompts) == len(set(prompts)) == 6


def test_reminders_go_only_to_those_who_have_not_answered(database: Database, org) -> None:
    tick(database, utc(2026, 12, 4, 9, 0))
    with database.session_scope() as session:
        bert = session.get(Person, org["ber"])
        actor = people.actor_for(session, bert)
        apply_saved(
            session, actor, CheckinSaved("2026-W49", None, {"done": "x"}, submitted=True), utc(2026, 12, 4, 10, 0)
        )
    tick(database, utc(2026, 12, 4, 13, 0))  # +4h in Berlin
    reminders = sent(database, "checkin_reminder")
    assert ("Berta Lin", "checkin_reminder") in reminders and ("Boss", "checkin_reminder") in reminders
    assert ("Bert Lin", "checkin_reminder") not in reminders
    tick(database, utc(2026, 12, 7, 7, 0))  # Monday 08:00 in Berlin: the next working morning
    assert sent(database, "checkin_reminder").count(("Berta Lin", "checkin_reminder")) == 2
    assert ("Bert Lin", "checkin_reminder") not in sent(database, "checkin_reminder")


def test_after_downtime_the_next_tick_catches_up_once(database: Database, org) -> None:
    tick(database, utc(2026, 12, 5, 12, 0))  # Saturday: everyone's Friday prompt was missed
    assert len(sent(database, "checkin_prompt")) == 6
    assert sent(database, "checkin_reminder") == [], "a late prompt is not followed by a reminder at once"
    tick(database, utc(2026, 12, 5, 12, 1))
    assert len(sent(database)) == 6
    tick(database, utc(2026, 12, 7, 7, 0))
    assert ("Bert Lin", "checkin_reminder") in sent(database, "checkin_reminder")


def test_people_away_are_not_prompted_and_count_as_away(database: Database, org) -> None:
    with database.session_scope() as session:
        session.get(Person, org["ber"]).away_until = date(2026, 12, 4)
        session.add(TimeOff(person_id=org["kol"], starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 11)))
    tick(database, utc(2026, 12, 4, 16, 0))
    names = [name for name, _ in sent(database, "checkin_prompt")]
    assert "Bert Lin" not in names and "Kavi Kolkata" not in names and "Berta Lin" in names
    with database.session_scope() as session:
        statuses = {row.person_id: row.status for row in session.exec(select(CheckinResponse))}
    assert statuses[org["ber"]] is ResponseStatus.AWAY and statuses[org["kol"]] is ResponseStatus.AWAY
    assert statuses[org["ber2"]] is ResponseStatus.PENDING


def test_a_workspace_holiday_skips_everyone(database: Database, org) -> None:
    configure(database, org, holidays=["2026-12-04"])
    tick(database, utc(2026, 12, 4, 16, 0))
    assert sent(database) == []
    with database.session_scope() as session:
        assert {row.status for row in session.exec(select(CheckinResponse))} == {ResponseStatus.AWAY}


def test_a_team_can_check_in_on_another_day(database: Database, org) -> None:
    with database.session_scope() as session:
        teams = people.ensure_teams(session, org["workspace"], ["Platform"])
        session.get(Person, org["ber"]).team_id = teams["Platform"].id
    configure(database, org, teams={"Platform": {"checkins": {"day": "thursday", "time": "15:00"}}})
    tick(database, utc(2026, 12, 3, 14, 0))  # Thursday 15:00 in Berlin
    assert sent(database, "checkin_prompt") == [("Bert Lin", "checkin_prompt")]


def test_the_tick_uses_the_frozen_clock(database: Database, org) -> None:
    with freeze_time("2026-12-04 04:30:00"):
        tick(database, datetime.now(UTC))
    assert set(sent(database, "checkin_prompt")) == {
        ("Aroha Auckland", "checkin_prompt"),
        ("Kavi Kolkata", "checkin_prompt"),
    }

"""The check-in's storage side: the seeded context, saved answers moving key results, time off, privacy."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import select

from conversations.checkin import CheckinSaved
from conversations.messages import Inbound, Platform
from conversations.time_off import TimeOffRecorded
from storage import checkins, org_import, people
from storage.connections import new_organisation
from storage.database import Database
from storage.models import (
    CheckinResponse,
    Goal,
    GoalLevel,
    GoalUpdate,
    KeyResult,
    MetricKind,
    Person,
    ResponseStatus,
)
from storage.privacy import can_see_checkins_of

FRIDAY = datetime(2026, 12, 4, 11, 0, tzinfo=UTC)
ORG = """email,name,manager_email,timezone,role
ceo@acme.test,Cleo,,America/New_York,admin
lead@acme.test,Lee,ceo@acme.test,Europe/Berlin,manager
ada@acme.test,Ada,lead@acme.test,Europe/Berlin,member
bob@acme.test,Bob,lead@acme.test,Europe/Berlin,member
"""


def setup(database: Database) -> dict[str, Person]:
    with database.session_scope() as session:
        workspace = new_organisation(session, "Acme", Platform.SHELL, "acme")
        assert org_import.import_org(session, workspace.id, ORG).ok
        return {person.display_name: person for person in people.all_in(session, workspace.id)}


def add_key_result(database: Database, owner: Person) -> int:
    with database.session_scope() as session:
        goal = Goal(
            workspace_id=owner.workspace_id,
            number=1,
            title="Launch",
            level=GoalLevel.PERSON,
            period="2026-Q4",
            starts_on=date(2026, 10, 1),
            ends_on=date(2026, 12, 31),
            owner_id=owner.id,
        )
        session.add(goal)
        session.flush()
        kr = KeyResult(
            workspace_id=owner.workspace_id,
            goal_id=goal.id,
            number=3,
            title="Beta users",
            metric=MetricKind.NUMBER,
            start_value=0,
            target_value=200,
            current_value=50,
        )
        session.add(kr)
        session.flush()
        return kr.id


def inbound(person: Person) -> Inbound:
    return Inbound(Platform.SHELL, "acme", person.email, "dm", command="checkin")


def test_the_context_seeds_the_week_questions_manager_and_key_results(any_database: Database) -> None:
    everyone = setup(any_database)
    kr_id = add_key_result(any_database, everyone["Ada"])
    with any_database.session_scope() as session:
        ada = session.get(Person, everyone["Ada"].id)
        state = checkins.prepare_checkin(session, people.actor_for(session, ada), inbound(ada), None, FRIDAY)
    data = state.data
    assert (data["week"], data["status"], data["manager"]["display_name"]) == ("2026-W49", "pending", "Lee")
    assert data["closes_at"] == "2026-12-07T07:59:00+00:00" and data["closes_local"] == "Mon 7 Dec 08:59"
    assert [q["id"] for q in data["questions"]] == [
        "mood",
        "done",
        "priorities",
        "blockers",
        f"goals.kr{kr_id}",
    ]
    assert data["questions"][4]["kind"] == "kr_update", "one question per key result: value, confidence and note"
    assert data["questions"][4]["kr"] == {
        "id": kr_id,
        "ref": "KR-3",
        "title": "Beta users",
        "current": 50,
        "target": 200,
        "start": 0,
        "unit": "",
        "metric": "number",
    }
    assert state.expires_at == datetime(2026, 12, 7, 7, 59, tzinfo=UTC)


def test_saved_answers_fill_the_response_and_move_the_key_result(any_database: Database) -> None:
    everyone = setup(any_database)
    kr_id = add_key_result(any_database, everyone["Ada"])
    change = CheckinSaved(
        "2026-W49",
        None,
        {"mood": 2, "blockers": "legal review"},
        submitted=True,
        mood=2,
        blockers="legal review",
        key_results=({"key_result_id": kr_id, "value": 150, "confidence": 4, "comment": "beta is out"},),
    )
    with any_database.session_scope() as session:
        ada = session.get(Person, everyone["Ada"].id)
        checkins.apply_saved(session, people.actor_for(session, ada), change, FRIDAY)
    with any_database.session_scope() as session:
        response = session.exec(select(CheckinResponse)).one()
        kr = session.get(KeyResult, kr_id)
        update = session.exec(select(GoalUpdate)).one()
        goal = session.get(Goal, kr.goal_id)
    assert (response.status, response.mood, response.blockers) == (ResponseStatus.SUBMITTED, 2, "legal review")
    assert response.submitted_at == FRIDAY
    assert (kr.current_value, kr.confidence, kr.progress, goal.progress) == (150, 4, 75.0, 75.0)
    assert (update.old_value, update.new_value, update.comment, update.source) == (50, 150, "beta is out", "checkin")


def test_time_off_covering_this_weeks_check_in_marks_it_away(any_database: Database) -> None:
    everyone = setup(any_database)
    with any_database.session_scope() as session:
        bob = session.get(Person, everyone["Bob"].id)
        checkins.apply_time_off(
            session, people.actor_for(session, bob), TimeOffRecorded(date(2026, 12, 4), date(2026, 12, 9)), FRIDAY
        )
    with any_database.session_scope() as session:
        assert session.exec(select(CheckinResponse)).one().status is ResponseStatus.AWAY


def test_check_ins_are_seen_by_the_person_their_manager_chain_and_admins_only(any_database: Database) -> None:
    everyone = setup(any_database)
    with any_database.session_scope() as session:
        fetch = {name: session.get(Person, person.id) for name, person in everyone.items()}
        assert can_see_checkins_of(session, fetch["Ada"], fetch["Ada"])
        assert can_see_checkins_of(session, fetch["Lee"], fetch["Ada"])
        assert can_see_checkins_of(session, fetch["Cleo"], fetch["Ada"])  # the chain goes up, and Cleo is admin
        assert not can_see_checkins_of(session, fetch["Bob"], fetch["Ada"]), "a peer sees nothing"
        assert not can_see_checkins_of(session, fetch["Ada"], fetch["Lee"]), "nor does a report see their manager's"

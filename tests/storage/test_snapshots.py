"""Snapshots read from the database: a seeded quarter gives exact figures, and a batch of snapshots
costs the same dozen statements whether it holds one person or forty, with a week of history or a year."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from conversations.messages import Platform
from conversations.schedule import week_days
from conversations.workspace_settings import validate_settings
from storage import checkins, org_import, people, workspaces
from storage.connections import new_organisation
from storage.database import Database
from storage.models import (
    CheckinResponse,
    CompanyValue,
    Feedback,
    Goal,
    GoalLevel,
    GoalState,
    GoalUpdate,
    KeyResult,
    Kudos,
    KudosSkill,
    KudosValue,
    Person,
    ResponseStatus,
)
from storage.snapshots import UnknownPeriod, build_snapshots

ORG = """email,name,manager_email,timezone,level
mira@acme.test,Mira,,Europe/Berlin,manager/lead
ravi@acme.test,Ravi,mira@acme.test,Asia/Kolkata,engineer/senior
gus@acme.test,Gus,mira@acme.test,Europe/Berlin,engineer/mid
"""
SETTINGS = {
    "kudos": {"values": ["ownership", "craft"]},
    "skills": ["mentoring", {"slug": "system-design", "label": "System design"}],
    "expectations": {"engineer/senior": {"system-design": ["Designs services others can run"]}},
}
TODAY = date(2027, 1, 4)


def seed(database: Database) -> tuple[int, dict[str, Person]]:
    settings, problems = validate_settings(SETTINGS)
    assert problems == []
    with database.session_scope() as session:
        workspace = new_organisation(session, "Acme", Platform.SHELL, "acme")
        assert org_import.import_org(session, workspace.id, ORG).ok
        workspaces.apply_settings(session, workspace, settings)
        return workspace.id, {person.display_name: person for person in people.all_in(session, workspace.id)}


def answer(database: Database, workspace_id: int, person: Person, week: str, status: ResponseStatus, **fields) -> None:
    monday, _ = week_days(week)
    at = datetime.combine(monday, datetime.min.time(), tzinfo=UTC) + timedelta(days=4, hours=10)
    with database.session_scope() as session:
        cycle = checkins.cycle_for(session, workspace_id, week, at)
        session.add(CheckinResponse(cycle_id=cycle.id, person_id=person.id, status=status, updated_at=at, **fields))


def seed_quarter(database: Database) -> tuple[int, dict[str, Person]]:
    workspace_id, org = seed(database)
    ravi = org["Ravi"]
    answer(database, workspace_id, ravi, "2026-W38", ResponseStatus.SUBMITTED, mood=2)  # before the quarter
    answer(database, workspace_id, ravi, "2026-W40", ResponseStatus.SUBMITTED, mood=4)
    answer(database, workspace_id, ravi, "2026-W41", ResponseStatus.SUBMITTED, mood=3, blockers="legal review")
    answer(database, workspace_id, ravi, "2026-W42", ResponseStatus.AWAY)
    answer(database, workspace_id, ravi, "2026-W43", ResponseStatus.PENDING)
    with database.session_scope() as session:
        goal = Goal(
            workspace_id=workspace_id,
            number=7,
            title="Launch the importer",
            level=GoalLevel.PERSON,
            period="2026-Q4",
            starts_on=date(2026, 10, 1),
            ends_on=date(2026, 12, 31),
            owner_id=ravi.id,
            state=GoalState.ACHIEVED,
            progress=100.0,
            closed_at=datetime(2026, 12, 18, 15, tzinfo=UTC),
            created_at=datetime(2026, 10, 1, 9, tzinfo=UTC),
        )
        session.add(goal)
        session.flush()
        kr = KeyResult(workspace_id=workspace_id, goal_id=goal.id, number=1, title="Teams", target_value=4)
        kr.current_value, kr.progress = 4, 100.0
        session.add(kr)
        session.flush()
        session.add(
            GoalUpdate(
                goal_id=goal.id,
                key_result_id=kr.id,
                author_id=ravi.id,
                created_at=datetime(2026, 11, 2, tzinfo=UTC),
                old_value=0,
                new_value=4,
            )
        )
        session.add(
            GoalUpdate(
                goal_id=goal.id,
                author_id=org["Mira"].id,
                created_at=datetime(2026, 12, 18, 15, tzinfo=UTC),
                comment="closed as achieved",
            )
        )
        craft = session.exec(sa.select(CompanyValue).where(CompanyValue.slug == "craft")).scalars().one()
        for day, skills in ((date(2026, 10, 5), ["mentoring"]), (date(2026, 11, 9), ["mentoring", "system-design"])):
            kudos = Kudos(
                workspace_id=workspace_id,
                giver_id=org["Gus"].id,
                recipient_id=ravi.id,
                message="thanks",
                given_at=datetime.combine(day, datetime.min.time(), tzinfo=UTC),
                giver_local_date=day,
            )
            session.add(kudos)
            session.flush()
            session.add(KudosValue(kudos_id=kudos.id, value_id=craft.id))
            session.add_all(KudosSkill(kudos_id=kudos.id, skill=skill) for skill in skills)
        session.add(
            Kudos(  # the quarter before: not counted
                workspace_id=workspace_id,
                giver_id=org["Gus"].id,
                recipient_id=ravi.id,
                message="old",
                given_at=datetime(2026, 9, 30, tzinfo=UTC),
                giver_local_date=date(2026, 9, 30),
            )
        )
        for quoted, skill in ((True, "mentoring"), (False, "system-design")):
            session.add(
                Feedback(
                    workspace_id=workspace_id,
                    giver_id=org["Gus"].id,
                    recipient_id=ravi.id,
                    went_well="Your reviews teach",
                    skill=skill,
                    value_slug="craft",
                    quoted_in_snapshot=quoted,
                    given_at=datetime(2026, 11, 20, tzinfo=UTC),
                )
            )
    return workspace_id, org


def test_a_seeded_quarter_gives_its_exact_figures(database: Database) -> None:
    workspace_id, org = seed_quarter(database)
    with database.session_scope() as session:
        snapshot = build_snapshots(session, workspace_id, "2026-Q4", [org["Ravi"].id], TODAY)[org["Ravi"].id]
    assert snapshot["period"] == "2026-Q4" and snapshot["has_data"] is True
    assert snapshot["participation"] == {
        "expected": 3,
        "submitted": 2,
        "skipped": 0,
        "away": 1,
        "missed": 1,
        "rate": 67,
    }
    assert (snapshot["mood"]["average"], snapshot["mood"]["baseline"], snapshot["mood"]["direction"]) == (
        3.5,
        2.0,
        "up",
    )
    assert snapshot["blockers"] == [
        {"text": "legal review", "from": "2026-W41", "until": "2026-W41", "weeks": 1, "open": True}
    ]
    assert snapshot["goals"] == [
        {
            "ref": "G-7",
            "title": "Launch the importer",
            "state": "achieved",
            "progress": 100.0,
            "health": "on_track",
            "closed_on": "2026-12-18",
            "closed_by": "Mira",
        }
    ]
    progress = snapshot["goal_progress"]
    assert progress[0] is None and progress[5] == 100.0  # not started in W40; 4 of 4 teams by W45
    assert snapshot["kudos"] == {
        "count": 2,
        "by_value": [{"label": "Craft", "count": 2}],
        "by_skill": [{"label": "Mentoring", "count": 2}, {"label": "System design", "count": 1}],
    }
    assert snapshot["feedback"]["count"] == 2
    assert snapshot["feedback"]["quotes"] == [{"text": "Your reviews teach", "giver": "Gus"}]
    assert snapshot["feedback"]["by_skill"] == [
        {"label": "Mentoring", "count": 1},
        {"label": "System design", "count": 1},
    ]
    assert snapshot["expectations"] == [{"skill": "System design", "statements": ["Designs services others can run"]}]


def test_a_person_whose_quarter_left_nothing_has_no_data(database: Database) -> None:
    workspace_id, org = seed(database)
    with database.session_scope() as session:
        snapshot = build_snapshots(session, workspace_id, "2026-Q4", [org["Gus"].id], TODAY)[org["Gus"].id]
    assert snapshot["has_data"] is False


def test_an_unknown_period_is_refused(database: Database) -> None:
    workspace_id, org = seed(database)
    with database.session_scope() as session, pytest.raises(UnknownPeriod):
        build_snapshots(session, workspace_id, "Q4 2026", [org["Gus"].id], TODAY)


def count_statements(database: Database, build) -> int:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    sa.event.listen(database.engine, "before_cursor_execute", record)
    try:
        with database.session_scope() as session:
            build(session)
    finally:
        sa.event.remove(database.engine, "before_cursor_execute", record)
    return len(statements)


def test_a_batch_costs_the_same_few_statements_for_one_person_or_many(database: Database) -> None:
    workspace_id, org = seed_quarter(database)
    with database.session_scope() as session:
        extra = [
            Person(workspace_id=workspace_id, display_name=f"P{n}", email=f"p{n}@acme.test", manager_id=org["Mira"].id)
            for n in range(40)
        ]
        session.add_all(extra)
        session.flush()
        many = [person.id for person in extra] + [org["Ravi"].id]
    for person in extra[:10]:
        for week in range(40, 53):
            answer(database, workspace_id, person, f"2026-W{week}", ResponseStatus.SUBMITTED, mood=3)
    one = count_statements(database, lambda s: build_snapshots(s, workspace_id, "2026-Q4", [org["Ravi"].id], TODAY))
    forty_one = count_statements(database, lambda s: build_snapshots(s, workspace_id, "2026-Q4", many, TODAY))
    assert one == forty_one
    assert one <= 20

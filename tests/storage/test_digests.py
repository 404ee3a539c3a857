"""A manager's digest from a seeded org and history, with exact figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from conversations.messages import Platform
from conversations.words import PlainDialect, Words
from conversations.workspace_settings import validate_settings
from storage import checkins, digests, org_import, people, workspaces
from storage.connections import new_organisation
from storage.database import Database
from storage.models import Goal, GoalLevel, Kudos, KudosValue, Person, ResponseStatus, Workspace

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # Monday 09:00 in Berlin: the digest for week 49
ORG = """email,name,manager_email,team,timezone,role
mia@acme.test,Mia,,Platform,Europe/Berlin,manager
ann@acme.test,Ann,mia@acme.test,Platform,Europe/Berlin,member
ben@acme.test,Ben,mia@acme.test,Platform,America/New_York,manager
cat@acme.test,Cat,mia@acme.test,Platform,Asia/Kolkata,member
dan@acme.test,Dan,mia@acme.test,Platform,Europe/London,member
eve@acme.test,Eve,mia@acme.test,Platform,Pacific/Auckland,member
fay@acme.test,Fay,mia@acme.test,Platform,Europe/Berlin,member
bo1@acme.test,Bo One,ben@acme.test,Platform,America/New_York,member
bo2@acme.test,Bo Two,ben@acme.test,Platform,America/New_York,member
zed@acme.test,Zed,,Other,Europe/Berlin,member
"""
DONE = {"id": "done", "kind": "text", "text": "What got done?", "required": True, "highlight": True}
S, A, K = ResponseStatus.SUBMITTED, ResponseStatus.AWAY, ResponseStatus.SKIPPED


def respond(
    session, workspace_id: int, template_id: int, who: Person, week: str, status, mood=None, blockers=None, done=None,
    reason=None,
) -> None:  # fmt: skip
    cycle = checkins.cycle_for(session, workspace_id, week, NOW)
    response = checkins.response_for(session, cycle.id, who.id, NOW)
    response.status, response.mood, response.blockers, response.template_id = status, mood, blockers, template_id
    response.skip_reason = reason
    response.answers = {"done": done} if done else {}
    session.add(response)


@pytest.fixture
def org(any_database: Database) -> dict[str, Person]:
    settings, _ = validate_settings({"kudos": {"values": ["ownership", "craft"]}})
    with any_database.session_scope() as session:
        workspace = new_organisation(session, "Acme", Platform.SHELL, "acme")
        assert org_import.import_org(session, workspace.id, ORG).ok
        workspaces.apply_settings(session, workspace, settings)
        who = {person.display_name: person for person in people.all_in(session, workspace.id)}
        template = checkins.template_for(session, workspace.id, [DONE])
        for week, mood in (("2026-W45", 4), ("2026-W46", 4), ("2026-W47", 4), ("2026-W48", 4)):
            respond(
                session,
                workspace.id,
                template.id,
                who["Ann"],
                week,
                S,
                mood,
                "legal review" if week == "2026-W48" else None,
            )
        respond(
            session, workspace.id, template.id, who["Ann"], "2026-W49", S, 2, "legal review", "Shipped the importer"
        )
        respond(session, workspace.id, template.id, who["Ben"], "2026-W46", S, 3)
        respond(session, workspace.id, template.id, who["Ben"], "2026-W47", S, 3)
        respond(session, workspace.id, template.id, who["Ben"], "2026-W49", S, 4, None, "Hired two people")
        respond(session, workspace.id, template.id, who["Cat"], "2026-W49", A)
        respond(session, workspace.id, template.id, who["Dan"], "2026-W49", K, reason="Sick most of the week")
        respond(session, workspace.id, template.id, who["Eve"], "2026-W49", ResponseStatus.PENDING)
        respond(session, workspace.id, template.id, who["Fay"], "2026-W49", S, 3, "waiting on design")
        respond(session, workspace.id, template.id, who["Bo One"], "2026-W49", S, 5, "no laptop")
        goal = Goal(workspace_id=workspace.id, number=1, title="Ship the importer", level=GoalLevel.PERSON, period="2026-Q4",
                    starts_on=date(2026, 10, 1), ends_on=date(2026, 12, 31), owner_id=who["Ann"].id, created_at=NOW - timedelta(days=20))  # fmt: skip
        session.add(goal)
        session.flush()
        from storage import goals as goal_store

        goal_store.add_key_result(
            session,
            goal,
            {"number": 1, "title": "Formats", "start": 0, "target": 4, "current": 1},
            NOW - timedelta(days=20),
        )
        goal_store.recompute(session, goal.id, NOW - timedelta(days=20))
        values = {value.slug: value.id for value in checkins_values(session, workspace.id)}
        for giver, value_slugs, days_ago in (
            ("Mia", ["ownership"], 2),
            ("Ben", ["ownership", "craft"], 3),
            ("Mia", [], 40),
        ):
            kudos = Kudos(workspace_id=workspace.id, giver_id=who[giver].id, recipient_id=who["Ann"].id, message="thanks",
                          given_at=NOW - timedelta(days=days_ago), giver_local_date=(NOW - timedelta(days=days_ago)).date())  # fmt: skip
            session.add(kudos)
            session.flush()
            session.add_all(KudosValue(kudos_id=kudos.id, value_id=values[slug]) for slug in value_slugs)
        session.add(Kudos(workspace_id=workspace.id, giver_id=who["Ann"].id, recipient_id=who["Fay"].id, message="x",
                          given_at=NOW - timedelta(days=20), giver_local_date=date(2026, 11, 17)))  # fmt: skip
        return who


def checkins_values(session, workspace_id):
    from storage import company_values

    return company_values.active(session, workspace_id)


def build(database: Database, manager: Person, threshold: int | None = None):
    with database.session_scope() as session:
        if threshold is not None:
            workspace = session.get(Workspace, manager.workspace_id)
            workspace.settings = {**workspace.settings, "anonymity_threshold": threshold}
        return digests.build_digest(session, session.get(Person, manager.id), "2026-W49", NOW)


def names(people_refs) -> list[str]:
    return [person["display_name"] for person in people_refs]


def test_the_digest_has_the_exact_figures_of_the_week(any_database: Database, org) -> None:
    digest = build(any_database, org["Mia"])
    team = digest["team"]
    assert team["size"] == 6
    assert (names(team["answered"]), names(team["away"]), names(team["skipped"]), names(team["missing"])) == (
        ["Ann", "Ben", "Fay"], ["Cat"], ["Dan"], ["Eve"],
    )  # fmt: skip
    assert team["rate"] == 60  # 3 answered of the 5 not away
    assert team["mood"] == {"average": None, "count": 3, "threshold": 5}, "3 moods are fewer than the threshold of 5"
    assert [
        (row["person"]["display_name"], row["mood"], row["baseline"], row["change"], row["dropped"])
        for row in team["people"]
    ] == [
        ("Ann", 2, 4.0, -2.0, True),
        ("Ben", 4, 3.0, 1.0, False),
        ("Fay", 3, None, None, False),
    ]
    assert [(b["person"]["display_name"], b["text"], b["weeks"]) for b in team["blockers_new"]] == [
        ("Fay", "waiting on design", 1)
    ]
    assert [(b["person"]["display_name"], b["text"], b["weeks"]) for b in team["blockers_open"]] == [
        ("Ann", "legal review", 2)
    ]
    assert [(h["person"]["display_name"], [item["answer"] for item in h["items"]]) for h in team["highlights"]] == [
        ("Ann", ["Shipped the importer"]),
        ("Ben", ["Hired two people"]),
    ]
    assert [(g["ref"], g["progress"], g["health"], g["quiet_days"]) for g in team["goals"]] == [
        ("G-1", 25.0, "off_track", 20)
    ]
    assert [g["ref"] for g in team["stale"]] == ["G-1"]
    assert [(kr["ref"], kr["health"]) for kr in team["key_results_at_risk"]] == [("KR-1", "off_track")]
    assert (team["kudos"]["count"], team["kudos"]["days"]) == (2, 30)
    assert team["kudos"]["top_values"] == [{"label": "Ownership", "count": 2}, {"label": "Craft", "count": 1}]
    assert names(team["kudos"]["none_lately"]) == ["Ben", "Cat", "Dan", "Eve"], (
        "Ann and Fay were recognised in the last 30 days"
    )
    assert digest["skip_level"] == [
        {
            "head": digest["skip_level"][0]["head"],
            "size": 2,
            "answered": 1,
            "away": 0,
            "rate": 50,
            "mood": None,
            "blockers": 1,
        }
    ]
    assert digest["skip_level"][0]["head"]["display_name"] == "Ben"


def test_skip_reasons_and_hard_weeks_reach_the_manager(any_database: Database, org) -> None:
    team = build(any_database, org["Mia"])["team"]
    assert [(p["display_name"], p["skip_reason"]) for p in team["skipped"]] == [("Dan", "Sick most of the week")]
    assert [(row["person"]["display_name"], row["hard_week"]) for row in team["people"]] == [
        ("Ann", True),  # mood 2 with a blocker
        ("Ben", False),
        ("Fay", False),  # a blocker, but mood 3
    ]
    text = Words(PlainDialect()).render("digest", build(any_database, org["Mia"])).text
    assert "• Skipped: Dan (Sick most of the week)\n" in text
    assert "• Ann: 2 (-2 against their usual 4) ⚠️ a hard week: low mood and a blocker" in text


def test_a_group_mood_appears_only_at_the_anonymity_threshold(any_database: Database, org) -> None:
    assert build(any_database, org["Mia"], threshold=3)["team"]["mood"]["average"] == 3.0
    assert build(any_database, org["Mia"], threshold=4)["team"]["mood"]["average"] is None


def test_a_manager_without_reports_gets_no_digest(any_database: Database, org) -> None:
    assert build(any_database, org["Zed"]) is None
    assert build(any_database, org["Ann"]) is None


def test_the_chart_has_eight_weeks_of_mood_and_goal_progress(any_database: Database, org) -> None:
    chart = build(any_database, org["Mia"], threshold=2)["chart"]
    assert chart["weeks"] == [f"2026-W{week}" for week in range(42, 50)]
    assert chart["mood"] == [None, None, None, None, 3.5, 3.5, None, 3.0], "a single mood is never shown as an average"
    assert chart["goal_progress"] == [None] * 5 + [25.0] * 3, "the goal was set up on 17 Nov, in 2026-W47"


def test_the_company_rollup_has_goals_participation_and_kudos_by_value(any_database: Database, org) -> None:
    with any_database.session_scope() as session:
        rollup = digests.company_rollup(session, org["Mia"].workspace_id, "2026-W49", NOW)
    assert rollup["teams"] == [{"name": "Platform", "answered": 4, "away": 1, "total": 7, "rate": 67}]
    assert rollup["kudos_by_value"] == [{"label": "Ownership", "count": 2}, {"label": "Craft", "count": 1}]
    assert rollup["goals"] == []


def statements_of_a_digest(database: Database, manager: Person) -> int:
    counted = {"statements": 0}

    def count(*args, **kwargs) -> None:
        counted["statements"] += 1

    sa.event.listen(database.engine, "before_cursor_execute", count)
    try:
        with database.session_scope() as session:
            assert digests.build_digest(session, session.get(Person, manager.id), "2026-W49", NOW) is not None
    finally:
        sa.event.remove(database.engine, "before_cursor_execute", count)
    return counted["statements"]


def add_goal(session, workspace_id: int, number: int, owner: Person | None, *, level=GoalLevel.PERSON, parent=None,
             team_id=None, current: float = 0, target: float = 4, weeks_old: int = 10) -> Goal:  # fmt: skip
    from storage import goals as goal_store

    created = NOW - timedelta(weeks=weeks_old)
    goal = Goal(workspace_id=workspace_id, number=number, title=f"Goal {number}", level=level, period="2026-Q4",
                starts_on=date(2026, 10, 1), ends_on=date(2026, 12, 31), owner_id=owner.id if owner else None,
                team_id=team_id, parent_id=parent.id if parent else None, created_at=created)  # fmt: skip
    session.add(goal)
    session.flush()
    goal_store.add_key_result(
        session, goal, {"number": number, "title": "KR", "target": target, "current": current}, created
    )
    goal_store.recompute(session, goal.id, created)
    return goal


def test_the_digest_is_read_in_the_same_few_statements_however_big_the_team_and_its_goal_tree(
    any_database: Database, org
) -> None:
    from storage import goals as goal_store

    small = statements_of_a_digest(any_database, org["Mia"])
    with any_database.session_scope() as session:
        workspace_id = org["Mia"].workspace_id
        for number in range(2, 8):  # more people, each with a goal, a child goal and a grandchild outside the team
            person = Person(workspace_id=workspace_id, email=f"p{number}@acme.test", display_name=f"P{number}",
                            manager_id=org["Mia"].id, timezone="Europe/Berlin")  # fmt: skip
            session.add(person)
            session.flush()
            goal = add_goal(session, workspace_id, number, person)
            child = add_goal(session, workspace_id, number * 10, org["Zed"], parent=goal)
            grandchild = add_goal(session, workspace_id, number * 100, org["Zed"], parent=child)
            for kr in goal_store.key_results_by_goal(session, [grandchild.id])[grandchild.id]:
                goal_store.record_key_result_update(session, kr.id, author_id=None, value=3, confidence=None,
                                                    comment="", source="test", now=NOW - timedelta(weeks=2))  # fmt: skip
    large = statements_of_a_digest(any_database, org["Mia"])
    assert small == large <= 15


def test_the_charted_goal_progress_replays_child_goals_and_ends_at_the_digests_figure(
    any_database: Database, org
) -> None:
    """A team goal is 50 % its own key result and 50 % a child goal owned outside the team; the
    child's key result went from 0 to 4 of 4 two weeks ago (Thursday of 2026-W47), its first update:
    until then the child hadn't started and counted for nothing in its parent."""
    from storage import goals as goal_store

    with any_database.session_scope() as session:
        workspace_id, team_id = org["Mia"].workspace_id, org["Mia"].team_id
        team_goal = add_goal(session, workspace_id, 2, org["Mia"], level=GoalLevel.TEAM, team_id=team_id, current=2)
        child = add_goal(session, workspace_id, 3, org["Zed"], parent=team_goal, current=0)
        [kr] = goal_store.key_results_by_goal(session, [child.id])[child.id]
        goal_store.record_key_result_update(session, kr.id, author_id=None, value=4, confidence=None, comment="",
                                            source="test", now=datetime(2026, 11, 19, 12, 0, tzinfo=UTC))  # fmt: skip
    digest = build(any_database, org["Mia"])
    shown = {goal["ref"]: goal["progress"] for goal in digest["team"]["goals"]}
    assert shown == {"G-1": 25.0, "G-2": 75.0}, "G-2: (50 % + 100 %) / 2, its child included"
    assert digest["chart"]["goal_progress"] == [50.0] * 8, (
        "until 2026-W47 G-1 didn't exist and the child hadn't started, so the average was G-2's own 50 %; "
        "from then on (25 + 75) / 2"
    )
    assert digest["team"]["average_progress"] == digest["chart"]["goal_progress"][-1] == 50.0
    assert "Goals · average progress 50%" in Words(PlainDialect()).render("digest", digest).text


def test_a_goal_not_started_counts_for_nothing_in_the_average_and_says_so(any_database: Database, org) -> None:
    with any_database.session_scope() as session:
        add_goal(session, org["Mia"].workspace_id, 2, org["Ben"], current=0)  # Ben's goal: nothing done yet
    digest = build(any_database, org["Mia"])
    healths = {goal["ref"]: goal["health"] for goal in digest["team"]["goals"]}
    assert healths == {"G-1": "off_track", "G-2": "not_started"}
    assert digest["team"]["average_progress"] == 25.0, "G-1's 25 %, not (25 + 0) / 2"
    text = Words(PlainDialect()).render("digest", digest).text
    assert "Goals · average progress 25% (not counting 1 goal not started)" in text
    assert "(G-2) is" not in text, "none of its key results reads at risk or off track"
    assert "G-2 Goal 2 has had no update for 70 days" in text, "but it has been quiet, which the manager should know"


def test_a_manager_whose_team_is_recognised_very_unevenly_gets_a_gentle_note(any_database: Database, org) -> None:
    assert build(any_database, org["Mia"])["team"]["kudos"]["uneven"] is False, "3 kudos for 6 people say nothing"
    with any_database.session_scope() as session:
        for days_ago in range(1, 7):  # Ann is thanked six more times; Ben, Cat, Dan and Eve never
            session.add(Kudos(workspace_id=org["Ann"].workspace_id, giver_id=org["Fay"].id, recipient_id=org["Ann"].id,
                              message="again", given_at=NOW - timedelta(days=days_ago),
                              giver_local_date=(NOW - timedelta(days=days_ago)).date()))  # fmt: skip
    digest = build(any_database, org["Mia"])
    assert digest["team"]["kudos"]["uneven"] is True
    text = Words(PlainDialect()).render("digest", digest).text
    assert "Recognition in your team has gone to a few people lately." in text
    assert build(any_database, org["Mia"], threshold=7)["team"]["kudos"]["uneven"] is False, "6 people: under 7"


def test_a_middle_managers_digest_costs_the_same_statements_however_many_reports_answered(
    any_database: Database, org
) -> None:
    before = statements_of_a_digest(any_database, org["Ben"])  # Ben reports to Mia: reports' chains go two up
    with any_database.session_scope() as session:
        workspace_id = org["Ben"].workspace_id
        template = checkins.template_for(session, workspace_id, [DONE])
        for number in range(6):
            person = Person(workspace_id=workspace_id, email=f"b{number}@acme.test", display_name=f"B{number}",
                            manager_id=org["Ben"].id, timezone="Europe/Berlin")  # fmt: skip
            session.add(person)
            session.flush()
            respond(session, workspace_id, template.id, person, "2026-W49", S, 3, None, "did things")
    assert statements_of_a_digest(any_database, org["Ben"]) == before


def test_the_history_of_an_org_larger_than_a_statement_has_parameters_for_is_read(any_database: Database, org) -> None:
    """A company's head reads the history of everyone: 100,000 ids are more than the 65,535
    parameters PostgreSQL takes in one statement, so there they go as one array."""
    everyone = [person.id for person in org.values()]
    with any_database.session_scope() as session:
        workspace_id = org["Mia"].workspace_id
        few = digests.response_history(session, workspace_id, everyone, ["2026-W49"])
        many = digests.response_history(
            session, workspace_id, everyone + list(range(10**6, 10**6 + 70_000)), ["2026-W49"]
        )
    assert many == few and few

"""Goals in the database: the roll-up on generated trees, history, permissions, goals as code."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from conversations.messages import Platform
from storage import goals, org_import, people
from storage.connections import new_organisation
from storage.database import Database
from storage.goals_as_code import export_goals, import_goals
from storage.models import Goal, GoalLevel, GoalUpdate, KeyResult, Person, Workspace
from storage.privacy import can_edit_goal, can_see_goal

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
TODAY = date(2026, 11, 20)
ORG = """email,name,manager_email,team,timezone,role
ceo@acme.test,Cleo,,Leadership,Europe/Berlin,admin
lead@acme.test,Lee,ceo@acme.test,Platform,Europe/Berlin,manager
ada@acme.test,Ada,lead@acme.test,Platform,Europe/Berlin,member
bob@acme.test,Bob,lead@acme.test,Platform,Europe/Berlin,member
"""


def setup(database: Database) -> dict[str, Person]:
    with database.session_scope() as session:
        workspace = new_organisation(session, "Acme", Platform.SLACK, "T1")
        assert org_import.import_org(session, workspace.id, ORG).ok
        return {person.display_name: person for person in people.all_in(session, workspace.id)}


TREE = {
    "period": "2026-Q4",
    "goals": [
        {
            "title": "Grow revenue",
            "level": "company",
            "owner": "ceo@acme.test",
            "key_results": [
                {"title": "ARR", "metric": "currency", "start": 1000, "target": 2000, "current": 1500, "unit": "EUR"}
            ],
            "goals": [
                {
                    "title": "Ship the importer",
                    "level": "team",
                    "team": "Platform",
                    "owner": "lead@acme.test",
                    "goals": [
                        {
                            "title": "Finish the parser",
                            "owner": "ada@acme.test",
                            "key_results": [
                                {"title": "Formats", "start": 0, "target": 4, "current": 1},
                                {"title": "Docs", "metric": "boolean", "weight": 3},
                            ],
                        }
                    ],
                }
            ],
        }
    ],
}


def load(database: Database, workspace_id: int, data=TREE):
    with database.session_scope() as session:
        return import_goals(session, workspace_id, data, NOW, TODAY)


def goals_by_title(database: Database) -> dict[str, Goal]:
    with database.session_scope() as session:
        return {goal.title: goal for goal in session.exec(select(Goal))}


def test_importing_a_tree_rolls_progress_up_to_the_company_goal(any_database: Database) -> None:
    everyone = setup(any_database)
    report = load(any_database, everyone["Ada"].workspace_id)
    assert (report.created, report.key_results_created, report.errors) == (3, 3, [])
    tree = goals_by_title(any_database)
    parser, importer, revenue = tree["Finish the parser"], tree["Ship the importer"], tree["Grow revenue"]
    assert parser.progress == pytest.approx((25.0 * 1 + 0.0 * 3) / 4)
    assert importer.progress == pytest.approx(parser.progress)
    assert revenue.progress == pytest.approx((50.0 + importer.progress) / 2)
    assert (parser.parent_id, importer.parent_id, revenue.parent_id) == (importer.id, revenue.id, None)


def test_an_update_is_kept_in_history_and_moves_every_goal_above(any_database: Database) -> None:
    everyone = setup(any_database)
    load(any_database, everyone["Ada"].workspace_id)
    with any_database.session_scope() as session:
        formats = session.exec(select(KeyResult).where(KeyResult.title == "Formats")).one()
        goals.record_key_result_update(
            session,
            formats.id,
            author_id=everyone["Ada"].id,
            value=4,
            confidence=5,
            comment="all four",
            source="command",
            now=NOW,
        )
        goals.record_key_result_update(
            session,
            formats.id,
            author_id=everyone["Ada"].id,
            value=3,
            confidence=3,
            comment="one broke",
            source="command",
            now=NOW,
        )
    with any_database.session_scope() as session:
        history = session.exec(select(GoalUpdate).order_by(GoalUpdate.id)).all()
    assert [(update.old_value, update.new_value, update.confidence, update.comment) for update in history] == [
        (1.0, 4.0, 5, "all four"),
        (4.0, 3.0, 3, "one broke"),
    ]
    assert goals_by_title(any_database)["Grow revenue"].progress == pytest.approx((50.0 + 75.0 / 4) / 2)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    shape=st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=8),
    values=st.lists(st.tuples(st.floats(-50, 150), st.floats(0.5, 4)), min_size=8, max_size=8),
)
def test_roll_up_on_generated_trees_stays_in_range_and_equals_the_weighted_mean(
    database: Database, shape, values
) -> None:
    """Goal i hangs under an earlier goal (or is a root); each has one key result. A child that
    hasn't started counts for nothing in its parent, so it can't pull the parent down."""
    with database.session_scope() as session:
        workspace = session.exec(select(Workspace)).first() or Workspace(name="Prop")
        session.add(workspace)
        session.flush()
        for goal in session.exec(select(Goal)):
            session.delete(goal)
        session.flush()
        created: list[Goal] = []
        for index, parent_pick in enumerate(shape):
            parent = created[parent_pick % len(created)] if created and parent_pick else None
            goal = Goal(workspace_id=workspace.id, number=index + 1, title=f"g{index}", level=GoalLevel.PERSON, period="2026-Q4",
                        starts_on=date(2026, 10, 1), ends_on=date(2026, 12, 31), parent_id=parent.id if parent else None)  # fmt: skip
            session.add(goal)
            session.flush()
            current, weight = values[index]
            goals.add_key_result(
                session,
                goal,
                {"number": index + 1, "title": "k", "start": 0, "target": 100, "current": current, "weight": weight},
                NOW,
            )
            created.append(goal)
        for goal in reversed(created):
            goals.recompute(session, goal.id, NOW)
        for goal in created:
            krs = session.exec(select(KeyResult).where(KeyResult.goal_id == goal.id)).all()
            children = session.exec(select(Goal).where(Goal.parent_id == goal.id)).all()
            started = [child for child in children if child.progress > 0]  # no updates here: started = moved
            parts = [(kr.progress, kr.weight) for kr in krs] + [(child.progress, 1.0) for child in started]
            expected = sum(p * w for p, w in parts) / sum(w for _, w in parts)
            assert 0.0 <= goal.progress <= 100.0
            assert goal.progress == pytest.approx(expected, abs=1e-3)
        session.rollback()


def test_who_may_edit_and_see_goals(any_database: Database) -> None:
    everyone = setup(any_database)
    load(any_database, everyone["Ada"].workspace_id)
    with any_database.session_scope() as session:
        who = {name: session.get(Person, person.id) for name, person in everyone.items()}
        tree = {goal.title: goal for goal in session.exec(select(Goal))}
        personal, team, company = tree["Finish the parser"], tree["Ship the importer"], tree["Grow revenue"]
        assert can_edit_goal(session, who["Ada"], personal) and can_edit_goal(session, who["Lee"], personal)
        assert can_edit_goal(session, who["Cleo"], personal), "admins and the manager chain"
        assert not can_edit_goal(session, who["Bob"], personal), "not a peer"
        assert can_edit_goal(session, who["Lee"], team) and not can_edit_goal(session, who["Ada"], team)
        assert can_edit_goal(session, who["Cleo"], company) and not can_edit_goal(session, who["Lee"], company)
        assert can_see_goal(session, who["Bob"], team, False) and can_see_goal(session, who["Bob"], company, False)
        assert not can_see_goal(session, who["Bob"], personal, False) and can_see_goal(
            session, who["Bob"], personal, True
        )
        assert can_see_goal(session, who["Lee"], personal, False)


def test_export_then_import_changes_nothing_and_edits_update_by_id(any_database: Database) -> None:
    everyone = setup(any_database)
    workspace_id = everyone["Ada"].workspace_id
    load(any_database, workspace_id)
    with any_database.session_scope() as session:
        exported = export_goals(session, workspace_id)
    again = load(any_database, workspace_id, exported)
    assert (again.created, again.updated, again.key_results_created, again.errors) == (0, 3, 0, [])
    exported["goals"][0]["goals"][0]["title"] = "Ship the importer v2"
    load(any_database, workspace_id, exported)
    assert "Ship the importer v2" in goals_by_title(any_database)


@pytest.mark.parametrize(
    ("edit", "where", "fragment"),
    [
        (
            lambda tree: tree["goals"][0]["key_results"][0].update(target=1000),
            ("goals", 0, "key_results", 0),
            "target equals start",
        ),
        (
            lambda tree: tree["goals"][0]["goals"][0].update(period="2026-Q3"),
            ("goals", 0, "goals", 0, "period"),
            "has ended",
        ),
        (
            lambda tree: tree["goals"][0]["goals"][0].update(period="2027-Q1"),
            ("goals", 0, "goals", 0, "period"),
            "its parent's 2026-Q4",
        ),
        (lambda tree: tree["goals"][0].update(owner="nobody@acme.test"), ("goals", 0, "owner"), "nobody has the email"),
        (lambda tree: tree["goals"][0]["goals"][0].update(team="Design"), ("goals", 0, "goals", 0, "team"), "no team"),
        (lambda tree: tree["goals"][0].update(id="G-99"), ("goals", 0, "id"), "no goal G-99"),
        (lambda tree: tree.update(period="someday"), ("goals", 0, "period"), "not a period"),
    ],
)
def test_a_bad_goal_file_names_each_problem_and_writes_nothing(any_database: Database, edit, where, fragment) -> None:
    import copy

    everyone = setup(any_database)
    data = copy.deepcopy(TREE)
    edit(data)
    report = load(any_database, everyone["Ada"].workspace_id, data)
    assert report.errors and any(error.path == where and fragment in error.message for error in report.errors), (
        report.errors
    )
    assert goals_by_title(any_database) == {}


def test_a_goal_moved_under_its_own_child_is_refused(any_database: Database) -> None:
    everyone = setup(any_database)
    workspace_id = everyone["Ada"].workspace_id
    load(any_database, workspace_id)
    cycle = {
        "period": "2026-Q4",
        "goals": [{"id": "G-1", "title": "Grow revenue", "level": "company", "parent": "G-3"}],
    }
    report = load(any_database, workspace_id, cycle)
    assert any("under itself" in error.message for error in report.errors), report.errors
    assert goals_by_title(any_database)["Grow revenue"].parent_id is None


def test_a_top_level_goal_keeps_its_parent_unless_the_file_names_one(any_database: Database) -> None:
    everyone = setup(any_database)
    workspace_id = everyone["Ada"].workspace_id
    load(any_database, workspace_id)
    with any_database.session_scope() as session:
        only_q4_team = export_goals(session, workspace_id)["goals"][0]["goals"]
    load(any_database, workspace_id, {"goals": only_q4_team})
    tree = goals_by_title(any_database)
    assert tree["Ship the importer"].parent_id == tree["Grow revenue"].id


def count(database: Database, table) -> int:
    with database.session_scope() as session:
        return len(session.exec(select(table)).all())


def test_goals_without_ids_update_the_stored_goal_with_their_title_owner_and_period(any_database: Database) -> None:
    everyone = setup(any_database)
    workspace_id = everyone["Ada"].workspace_id
    load(any_database, workspace_id)
    again = load(any_database, workspace_id)
    assert (again.created, again.updated, again.matched, again.errors) == (0, 3, 3, [])
    assert (again.key_results_created, again.key_results_updated, again.key_results_matched) == (0, 3, 3)
    assert (count(any_database, Goal), count(any_database, KeyResult)) == (3, 3)


def test_a_goal_with_another_owner_or_period_is_another_goal(any_database: Database) -> None:
    import copy

    everyone = setup(any_database)
    workspace_id = everyone["Ada"].workspace_id
    load(any_database, workspace_id)
    data = copy.deepcopy(TREE)
    data["goals"][0]["goals"][0]["goals"][0]["owner"] = "bob@acme.test"
    data["goals"][0]["goals"][0]["goals"][0]["key_results"].append({"title": "Benchmarks", "target": 3})
    data["goals"][0]["goals"][0]["key_results"] = [{"title": "Speed", "target": 2}]
    report = load(any_database, workspace_id, data)
    assert (report.created, report.updated, report.matched) == (1, 2, 2), "Bob's parser goal is new"
    assert (report.key_results_created, report.key_results_matched) == (4, 1), "Bob's three, and Speed"
    data = copy.deepcopy(TREE)
    data["period"] = "2027-Q1"
    assert load(any_database, workspace_id, data).created == 3


def test_twins_made_before_matching_existed_are_matched_oldest_first(any_database: Database) -> None:
    everyone = setup(any_database)
    workspace_id = everyone["Ada"].workspace_id
    load(any_database, workspace_id)
    with any_database.session_scope() as session:
        revenue = session.exec(select(Goal).where(Goal.title == "Grow revenue")).one()
        twin = revenue.model_copy(update={"id": None, "number": 10})
        session.add(Goal.model_validate(twin.model_dump()))
    report = load(any_database, workspace_id)
    assert (report.created, report.matched) == (0, 3)
    with any_database.session_scope() as session:
        by_number = {goal.number: goal for goal in session.exec(select(Goal))}
    assert by_number[2].parent_id == by_number[1].id, "the importer stays under G-1, not its twin G-10"
    assert by_number[10].parent_id is None


def test_a_goal_or_key_result_listed_twice_without_ids_is_refused(any_database: Database) -> None:
    import copy

    everyone = setup(any_database)
    data = copy.deepcopy(TREE)
    data["goals"].append({**copy.deepcopy(TREE["goals"][0]), "title": " grow  Revenue", "goals": []})
    data["goals"][0]["key_results"].append({"title": "arr", "target": 5})
    report = load(any_database, everyone["Ada"].workspace_id, data)
    assert {(error.path, error.message.split(";")[0]) for error in report.errors} == {
        (
            ("goals", 1, "title"),
            'another goal of this file has the title " grow  Revenue", the same owner and period 2026-Q4',
        ),
        (("goals", 0, "key_results", 1, "title"), 'another key result of this goal has the title "arr"'),
    }
    assert goals_by_title(any_database) == {}


def test_a_goal_whose_field_is_wrong_still_has_its_other_fields_and_children_checked(any_database: Database) -> None:
    import copy

    everyone = setup(any_database)
    data = copy.deepcopy(TREE)
    data["goals"][0].update(level="compnay", owner="nobody@acme.test", period="someday")
    data["goals"][0]["key_results"][0].update(target=1000, weight="heavy")
    data["goals"][0]["goals"][0]["team"] = "Design"
    report = load(any_database, everyone["Ada"].workspace_id, data)
    assert {error.where for error in report.errors} == {
        "goals.0.level",
        "goals.0.owner",
        "goals.0.period",
        "goals.0.key_results.0",
        "goals.0.key_results.0.weight",
        "goals.0.goals.0.team",
    }


BAD_GOAL_FILES = [
    [],
    "goals",
    {"goals": "Grow revenue"},
    {"goals": [5, None, []]},
    {"period": 2026, "goals": [{"title": ""}]},
    {"goals": [{"titel": "x", "level": "compnay", "kind": 3, "state": "done", "owner": ["a"], "team": {}}]},
    {"goals": [{"title": "x" * 301, "description": None, "goals": {"title": "y"}, "key_results": "ARR"}]},
    {"goals": [{"title": "x", "key_results": [5, {"title": "a", "start": "low", "target": None, "weight": -1}]}]},
    {"goals": [{"title": "x", "key_results": [{"title": "a", "metric": "money", "unit": "x" * 30, "current": "?"}]}]},
    {"goals": [{"id": 12, "parent": 3, "title": "x"}], "extra": 1},
]


@pytest.mark.parametrize("data", BAD_GOAL_FILES)
def test_no_goal_file_message_uses_the_validation_library_wording(data) -> None:
    from storage.goals_as_code import read_goal_file
    from tests.conversations.test_workspace_settings import LIBRARY_WORDING

    _, _, errors = read_goal_file(data)
    assert errors
    for error in errors:
        assert not [phrase for phrase in LIBRARY_WORDING if phrase.lower() in error.message.lower()], error
        assert "None" not in error.message, error


def with_skills(database: Database, workspace_id: int) -> None:
    from conversations.workspace_settings import validate_settings
    from storage import workspaces

    settings, _ = validate_settings({"skills": ["mentoring", "system-design"]})
    with database.session_scope() as session:
        workspaces.apply_settings(session, session.get(Workspace, workspace_id), settings)


def growth_goal(**fields) -> dict:
    return {"period": "2026-Q4", "goals": [{"title": "Mentor two juniors", "owner": "ada@acme.test", **fields}]}


def test_a_growth_goal_names_the_skill_it_grows_and_exports_it(any_database: Database) -> None:
    everyone = setup(any_database)
    workspace_id = everyone["Ada"].workspace_id
    with_skills(any_database, workspace_id)
    report = load(any_database, workspace_id, growth_goal(kind="growth", skill="Mentoring"))
    assert report.errors == []
    goal = goals_by_title(any_database)["Mentor two juniors"]
    assert (goal.kind.value, goal.skill) == ("growth", "mentoring")
    with any_database.session_scope() as session:
        exported = export_goals(session, workspace_id, None)
    assert exported["goals"][0]["kind"] == "growth" and exported["goals"][0]["skill"] == "mentoring"


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"kind": "growth"}, "a growth goal names the skill it grows, for example skill: mentoring"),
        ({"kind": "growth", "skill": "mentorin"}, '"mentorin" is not one of the skills (mentoring, system-design); did you mean "mentoring"?'),
        ({"skill": "mentoring"}, "only a growth goal names a skill; add kind: growth, or leave the skill out"),
    ],
)  # fmt: skip
def test_a_growth_goal_without_a_listed_skill_is_refused_and_nothing_written(
    any_database: Database, fields: dict, said: str
) -> None:
    everyone = setup(any_database)
    workspace_id = everyone["Ada"].workspace_id
    with_skills(any_database, workspace_id)
    report = load(any_database, workspace_id, growth_goal(**fields))
    assert [(error.path[-1], error.message) for error in report.errors] == [("skill", said)]
    assert goals_by_title(any_database) == {}

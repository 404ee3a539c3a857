"""The fairness view's figures from a seeded quarter, exactly: each shown group's kudos spread,
check-in participation, goal updates and feedback, and the groups hidden by the anonymity rule."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from conversations.fairness_view import AskedPeriod, PeriodProblem, asked_period
from conversations.messages import Platform
from storage import fairness
from storage.connections import new_organisation
from storage.database import Database
from storage.models import Workspace
from tests.storage.fairness_quarter import NOW, seed_quarter

LONDON = ZoneInfo("Europe/London")
Q4_SO_FAR = AskedPeriod("2026-Q4", date(2026, 10, 1), date(2026, 12, 31), date(2026, 12, 4))


@pytest.fixture
def report(any_database: Database) -> dict:
    with any_database.session_scope() as session:
        acme = new_organisation(session, "Acme", Platform.SHELL, "acme")
        seed_quarter(session, acme.id)
        return fairness.fairness_report(session, session.get(Workspace, acme.id), Q4_SO_FAR, LONDON)


def shown(report: dict) -> dict[str, dict]:
    return {f"{group['kind']} {group['name']}": group for group in report["shown"]}


def test_only_groups_of_five_that_isolate_nobody_are_shown(report: dict) -> None:
    assert list(shown(report)) == ["organisation Acme", "team Platform", "team Sales", "manager Sol Reyes"]
    assert report["hidden"] == [
        {"kind": "team", "name": "Design", "reason": "small"},
        {"kind": "manager", "name": "Ada Lovelace", "reason": "small"},
        {"kind": "manager", "name": "Dee Ford", "reason": "small"},
        {"kind": "manager", "name": "Sam Okafor", "reason": "subtraction"},  # 7 of Platform's 9
    ]
    assert [group["people"] for group in report["shown"]] == [19, 9, 5, 5], "no bot, nobody inactive"


def test_the_platform_teams_figures(report: dict) -> None:
    platform = shown(report)["team Platform"]
    # kudos received: 0, 3, 1, 0, 0, 0, 0, 0, 1. Sorted 0×6, 1, 1, 3; the sum of |xi - xj| over
    # unordered pairs is 6·2·1 + 6·1·3 + 2·1·2 = 34, so G = 2·34 / (2·9²·5/9) = 68 / 90 = 0.756
    assert platform["kudos"] == 5
    assert platform["no_kudos_share"] == 66.7
    assert platform["kudos_gini"] == 0.76
    # W48: 5 of 6 asked (P7 away), W49: 3 of 5 (P6 and P7 away); September's is another quarter
    assert (platform["checkins_submitted"], platform["checkins_expected"]) == (8, 11)
    assert platform["checkin_participation"] == 72.7
    # P1: 3 updates in the quarter (one on 30 September doesn't count), P2: 1; 2 goals × 10 weeks
    assert (platform["goal_updates"], platform["goal_weeks"]) == (4, 20)
    assert platform["goal_updates_per_goal_week"] == 0.2
    assert (platform["feedback_given_per_person"], platform["feedback_received_per_person"]) == (0.33, 0.22)


def test_the_whole_organisations_figures(report: dict) -> None:
    everyone = shown(report)["organisation Acme"]
    # 10 of 19 without kudos; sorted 0×10, 1×7, 2, 3: G = 2·(11+…+17 + 2·18 + 3·19) / (19·12) − 20/19 = 142/228
    assert (everyone["kudos"], everyone["no_kudos_share"], everyone["kudos_gini"]) == (12, 52.6, 0.62)
    assert (everyone["checkins_submitted"], everyone["checkins_expected"], everyone["checkin_participation"]) == (
        14,
        17,
        82.4,
    )
    assert (everyone["goal_updates"], everyone["goal_weeks"], everyone["goal_updates_per_goal_week"]) == (9, 30, 0.3)
    # S1's feedback at 00:30 on 1 October in London counts; Ada's at 23:30 on 30 September doesn't
    assert (everyone["feedback_given_per_person"], everyone["feedback_received_per_person"]) == (0.21, 0.21)


def test_the_same_five_people_as_a_team_and_as_a_managers_reports_read_the_same(report: dict) -> None:
    team, reports = shown(report)["team Sales"], shown(report)["manager Sol Reyes"]
    assert {**team, "kind": "", "name": ""} == {**reports, "kind": "", "name": ""}
    assert (team["no_kudos_share"], team["kudos_gini"], team["checkin_participation"]) == (0.0, 0.0, 100.0)
    assert team["goal_updates_per_goal_week"] == 0.5


def test_the_chart_has_a_bar_per_shown_team_and_names_the_hidden_ones(report: dict) -> None:
    assert report["chart"] == {
        "period": "2026-Q4",
        "threshold": 5,
        "teams": [
            {"name": "Platform", "no_kudos_share": 66.7, "kudos_gini": 0.76},
            {"name": "Sales", "no_kudos_share": 0.0, "kudos_gini": 0.0},
        ],
        "organisation_no_kudos_share": 52.6,
        "hidden_teams": ["Design"],
    }
    assert (report["weeks"], report["span"], report["has_data"]) == (10, "1 Oct – 4 Dec so far", True)


def test_a_quarter_nothing_happened_in_has_no_data(any_database: Database) -> None:
    with any_database.session_scope() as session:
        acme = new_organisation(session, "Acme", Platform.SHELL, "acme")
        seed_quarter(session, acme.id)
        period = asked_period("2026-Q1", NOW.date())
        assert isinstance(period, AskedPeriod)
        report = fairness.fairness_report(session, session.get(Workspace, acme.id), period, LONDON)
    assert report["has_data"] is False and report["weeks"] == 13 and report["span"] == "1 Jan – 31 Mar"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", AskedPeriod("2026-Q4", date(2026, 10, 1), date(2026, 12, 31), date(2026, 12, 4))),
        ("2026-q3", AskedPeriod("2026-Q3", date(2026, 7, 1), date(2026, 9, 30), date(2026, 9, 30))),
        ("2026-Q5", PeriodProblem.UNKNOWN),
        ("last quarter", PeriodProblem.UNKNOWN),
        ("2026-Q4 please", PeriodProblem.UNKNOWN),
        ("2027-Q1", PeriodProblem.FUTURE),
    ],
)
def test_the_period_asked_for(text: str, expected) -> None:
    assert asked_period(text, date(2026, 12, 4)) == expected


def test_the_statements_do_not_grow_with_the_organisation(any_database: Database) -> None:
    database = any_database
    import sqlalchemy as sa

    with database.session_scope() as session:
        acme = new_organisation(session, "Acme", Platform.SHELL, "acme")
        seed_quarter(session, acme.id)
        workspace = session.get(Workspace, acme.id)
        session.flush()
        statements: list[str] = []

        def count(connection, cursor, statement, *rest) -> None:
            statements.append(statement)

        sa.event.listen(database.engine, "before_cursor_execute", count)
        try:
            fairness.fairness_report(session, workspace, Q4_SO_FAR, LONDON)
        finally:
            sa.event.remove(database.engine, "before_cursor_execute", count)
    assert len(statements) == 8, "people, teams, then kudos, check-ins, goals, updates, feedback given and received"

"""The digest's chart, read back: two panels, real dates, hidden moods said in words, and the same
goal progress as the digest's text."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import matplotlib.image
import pytest
from PIL import Image
from sqlmodel import select

from bot.charts import chart_figure, has_data, render_chart
from conversations.messages import Platform
from conversations.words import PlainDialect, Words
from storage import checkins, digests, org_import
from storage import goals as goal_store
from storage.connections import new_organisation
from storage.database import Database
from storage.models import Goal, GoalLevel, Person, ResponseStatus, Workspace

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # Monday 09:00 in Berlin: the digest of 2026-W49
ORG = """email,name,manager_email,team,timezone,role
sam@acme.test,Sam Okafor,,Platform,Europe/Berlin,manager
priya@acme.test,Priya Nair,sam@acme.test,Platform,Europe/Berlin,member
lee@acme.test,Lee Park,sam@acme.test,Platform,Europe/Berlin,member
"""
MONDAYS = ["12 Oct", "19 Oct", "26 Oct", "2 Nov", "9 Nov", "16 Nov", "23 Nov", "30 Nov"]


def seed(database: Database) -> Person:
    """Sam's team: two moods a week in the last three (under the threshold of 5 unless lowered), and
    a team goal half made of Priya's child goal, whose key result went from 1 to 4 of 5 on 26 November."""
    with database.session_scope() as session:
        workspace = new_organisation(session, "Acme", Platform.SHELL, "acme")
        assert org_import.import_org(session, workspace.id, ORG).ok
        who = {person.email: person for person in session.exec(select(Person))}
        for week in ("2026-W47", "2026-W48", "2026-W49"):
            cycle = checkins.cycle_for(session, workspace.id, week, NOW)
            for email, mood in (("priya@acme.test", 4), ("lee@acme.test", 3)):
                response = checkins.response_for(session, cycle.id, who[email].id, NOW)
                response.status, response.mood = ResponseStatus.SUBMITTED, mood
                session.add(response)
        created = NOW - timedelta(weeks=10)
        team_goal = Goal(workspace_id=workspace.id, number=1, title="Faster builds", level=GoalLevel.TEAM, period="2026-Q4",
                         starts_on=date(2026, 10, 1), ends_on=date(2026, 12, 31), owner_id=who["sam@acme.test"].id,
                         team_id=who["sam@acme.test"].team_id, created_at=created)  # fmt: skip
        session.add(team_goal)
        session.flush()
        goal_store.add_key_result(
            session, team_goal, {"number": 1, "title": "Cache hits", "target": 10, "current": 4}, created
        )
        child = Goal(workspace_id=workspace.id, number=2, title="Remote cache", level=GoalLevel.PERSON, period="2026-Q4",
                     starts_on=date(2026, 10, 1), ends_on=date(2026, 12, 31), owner_id=who["priya@acme.test"].id,
                     parent_id=team_goal.id, created_at=created)  # fmt: skip
        session.add(child)
        session.flush()
        kr = goal_store.add_key_result(
            session, child, {"number": 2, "title": "Hosts", "target": 5, "current": 1}, created
        )
        goal_store.recompute(session, child.id, created)
        goal_store.record_key_result_update(session, kr.id, author_id=None, value=4, confidence=None, comment="",
                                            source="test", now=datetime(2026, 11, 26, 12, 0, tzinfo=UTC))  # fmt: skip
        return who["sam@acme.test"]


def digest_of(database: Database, manager: Person, threshold: int | None = None) -> dict:
    with database.session_scope() as session:
        if threshold is not None:
            workspace = session.get(Workspace, manager.workspace_id)
            workspace.settings = {**workspace.settings, "anonymity_threshold": threshold}
        return digests.build_digest(session, session.get(Person, manager.id), "2026-W49", NOW)


@pytest.fixture
def digest(database: Database) -> dict:
    return digest_of(database, seed(database))


def test_mood_and_goal_progress_are_two_panels_under_a_title_with_dates(digest: dict) -> None:
    figure = chart_figure(digest["chart"])
    assert figure.get_suptitle() == "Platform · last 8 weeks"
    mood_axis, progress_axis = figure.axes
    assert mood_axis.get_title(loc="left") == "Team mood (1–5)" and mood_axis.get_ylim() == (0.6, 5.4)
    assert progress_axis.get_title(loc="left") == "Average goal progress" and progress_axis.get_ylim() == (-4, 112)
    assert [label.get_text() for label in progress_axis.get_xticklabels()] == MONDAYS
    assert not any("W4" in label.get_text() for axis in figure.axes for label in axis.get_xticklabels())


def test_a_hidden_mood_is_said_in_the_mood_panel_with_the_threshold(digest: dict) -> None:
    assert digest["chart"]["mood"] == [None] * 8, "two moods a week are fewer than 5"
    [note] = chart_figure(digest["chart"]).axes[0].texts
    assert note.get_text() == "team mood hidden: fewer than 5 answers"


def test_weeks_with_a_mood_are_drawn_and_the_others_named(database: Database) -> None:
    chart = digest_of(database, seed(database), threshold=2)["chart"]
    assert chart["mood"] == [None] * 5 + [3.5] * 3
    mood_axis = chart_figure(chart).axes[0]
    assert list(mood_axis.lines[0].get_ydata())[-3:] == [3.5, 3.5, 3.5]
    assert [text.get_text() for text in mood_axis.texts] == ["team mood hidden in 5 of 8 weeks: fewer than 2 answers"]


def test_the_last_plotted_progress_is_the_digests_number(digest: dict) -> None:
    average = digest["team"]["average_progress"]
    assert average == 70.0, "the team goal (40 % and its child's 80 %: 60 %) and the child goal (80 %)"
    assert [goal["progress"] for goal in digest["team"]["goals"]] == [60.0, 80.0], "what the text lists"
    progress_axis = chart_figure(digest["chart"]).axes[1]
    plotted = list(progress_axis.lines[0].get_ydata())
    assert plotted == [25.0] * 6 + [70.0] * 2, "before 26 November the child goal was at 20 %: (30 + 20) / 2"
    assert plotted[-1] == average
    assert [text.get_text() for text in progress_axis.texts] == ["70%"]
    assert "Goals · average progress 70%" in Words(PlainDialect()).render("digest", digest).text


def test_the_png_decodes(digest: dict) -> None:
    png = render_chart(digest["chart"])
    with Image.open(io.BytesIO(png)) as image:
        assert (image.format, image.size) == ("PNG", (640, 440))
    assert matplotlib.image.imread(io.BytesIO(png), format="png").shape[:2] == (440, 640)


def test_nothing_to_draw_without_moods_or_goals() -> None:
    weeks = [f"2026-W{week}" for week in range(42, 50)]
    assert not has_data({"weeks": weeks, "mood": [None] * 8, "goal_progress": [None] * 8})
    old_row = {"weeks": weeks, "mood": [None] * 8, "goal_progress": [10.0] * 8}  # enqueued before team and threshold
    figure = chart_figure(old_row)
    assert figure.get_suptitle() == "Your team · last 8 weeks"
    assert figure.axes[0].texts[0].get_text() == "team mood hidden: too few answers"

"""The home page's next 1:1: the soonest 1:1 a person has, when in their own time zone, with its open
talking points and action items and a button to its agenda; nothing before a 1:1 is started, and
nothing of anyone else's 1:1s."""

from __future__ import annotations

from datetime import UTC, date, datetime

from conversations.messages import Platform
from conversations.one_on_ones import PairKey
from conversations.words import PlainDialect, Words
from storage import home, org_import, people
from storage.connections import new_organisation
from storage.database import Database
from storage.models import OneOnOneItem, OneOnOneItemKind, Person
from storage.one_on_ones import ensure_pair

ORG = """email,name,manager_email,timezone
sofia@acme.test,Sofia,,Europe/Berlin
mira@acme.test,Mira,sofia@acme.test,Europe/Berlin
ravi@acme.test,Ravi,mira@acme.test,Asia/Kolkata
"""
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday; 1:1s are on Thursdays at 15:00 by default


def setup(database: Database) -> dict[str, Person]:
    with database.session_scope() as session:
        workspace = new_organisation(session, "Acme", Platform.SHELL, "acme")
        assert org_import.import_org(session, workspace.id, ORG).ok
        return {person.display_name: person for person in people.all_in(session, workspace.id)}


def page_of(database: Database, person: Person):
    with database.session_scope() as session:
        return home.home_view(session, session.get(Person, person.id), NOW)


def test_the_next_one_on_one_shows_when_and_its_open_points_in_the_readers_zone(database: Database) -> None:
    who = setup(database)
    mira, ravi = who["Mira"], who["Ravi"]
    assert page_of(database, ravi).data["next_one_on_one"] is None, "no 1:1 started yet"
    with database.session_scope() as session:
        pair = ensure_pair(session, mira.workspace_id, PairKey(mira.id, ravi.id, date(2026, 12, 3)), NOW)
        session.add(OneOnOneItem(pair_id=pair.id, kind=OneOnOneItemKind.TALKING_POINT, author_id=ravi.id,
                                 text="career plan", created_at=NOW))  # fmt: skip
        session.add(OneOnOneItem(pair_id=pair.id, kind=OneOnOneItemKind.ACTION_ITEM, author_id=mira.id,
                                 owner_id=mira.id, text="book the training", created_at=NOW))  # fmt: skip
    page = page_of(database, ravi)
    coming = page.data["next_one_on_one"]
    assert coming["other"]["display_name"] == "Mira"
    text = Words(PlainDialect()).render(page.kind, page.data).text
    assert (
        f"Your next 1:1\nWith Mira, {coming['when']}:\n• 1. career plan (Ravi)\n• 2. book the training · to do: Mira"
        in text
    )
    assert "19:30" in coming["when"], "Thursday 15:00 in Berlin is 19:30 in Kolkata"
    assert ("Show the agenda", f"one_on_one.open:{mira.id}") in [(c.label, c.value) for c in page.choices]
    assert page_of(database, who["Sofia"]).data["next_one_on_one"] is None, "Mira's 1:1s are not her manager's"


def test_my_growth_counts_the_skills_kudos_and_feedback_named_over_two_quarters_and_growth_goals(
    database: Database,
) -> None:
    from conversations.workspace_settings import validate_settings
    from storage import workspaces
    from storage.models import Feedback, Goal, GoalKind, GoalLevel, Kudos, KudosSkill, Workspace

    who = setup(database)
    mira, ravi = who["Mira"], who["Ravi"]
    settings, _ = validate_settings({"skills": ["mentoring", {"slug": "system-design", "label": "System design"}]})
    with database.session_scope() as session:
        workspaces.apply_settings(session, session.get(Workspace, ravi.workspace_id), settings)
        for day, skill in (
            (date(2026, 8, 3), "mentoring"),
            (date(2026, 11, 2), "mentoring"),
            (date(2026, 5, 4), "mentoring"),
        ):
            kudos = Kudos(workspace_id=ravi.workspace_id, giver_id=mira.id, recipient_id=ravi.id, message="x",
                          given_at=datetime.combine(day, datetime.min.time(), tzinfo=UTC), giver_local_date=day)  # fmt: skip
            session.add(kudos)
            session.flush()
            session.add(KudosSkill(kudos_id=kudos.id, skill=skill))
        session.add(Feedback(workspace_id=ravi.workspace_id, giver_id=mira.id, recipient_id=ravi.id, went_well="y",
                             skill="system-design", given_at=datetime(2026, 10, 20, tzinfo=UTC)))  # fmt: skip
        session.add(Goal(workspace_id=ravi.workspace_id, number=9, title="Lead a design review", level=GoalLevel.PERSON,
                         kind=GoalKind.GROWTH, skill="system-design", period="2026-Q4", starts_on=date(2026, 10, 1),
                         ends_on=date(2026, 12, 31), owner_id=ravi.id, progress=40.0))  # fmt: skip
    page = page_of(database, ravi)
    growth = page.data["growth"]
    assert growth["since"] == "2026-Q3"
    assert growth["skills"] == [
        {"label": "Mentoring", "kudos": 2, "feedback": 0},  # May's is older than the quarter before
        {"label": "System design", "kudos": 0, "feedback": 1},
    ]
    text = Words(PlainDialect()).render(page.kind, page.data).text
    assert (
        "My growth (since the start of 2026-Q3)\n• Mentoring: 2 kudos\n• System design: 1 piece of feedback\n" in text
    )
    assert "• Growing System design: G-9 Lead a design review" in text and "40%" in text


def test_a_managers_home_costs_the_same_statements_with_three_reports_as_with_thirty(any_database: Database) -> None:
    """Each report's 1:1 was looked up on its own: a Home of 1,000 reports took 1.2 s on PostgreSQL."""
    import sqlalchemy as sa

    def statements_for(reports: int, name: str) -> tuple[int, str]:
        rows = [f"boss@{name}.test,Boss,,Europe/Berlin"] + [
            f"r{index}@{name}.test,R{index:02d},boss@{name}.test,Asia/Kolkata" for index in range(reports)
        ]
        with any_database.session_scope() as session:
            workspace = new_organisation(session, name, Platform.SHELL, name)
            text = "email,name,manager_email,timezone\n" + "\n".join(rows) + "\n"
            assert org_import.import_org(session, workspace.id, text).ok
            everyone = {person.display_name: person for person in people.all_in(session, workspace.id)}
            boss = everyone["Boss"]
            for index in range(reports):  # every report has a 1:1; the last one's comes first (a week sooner)
                anchor = date(2026, 12, 3) if index == reports - 1 else date(2026, 12, 10)
                report = everyone[f"R{index:02d}"]
                ensure_pair(session, workspace.id, PairKey(boss.id, report.id, anchor), NOW)
        executed = []
        listener = lambda *args, **kwargs: executed.append(1)  # noqa: E731
        sa.event.listen(any_database.engine, "before_cursor_execute", listener)
        try:
            page = page_of(any_database, boss)
        finally:
            sa.event.remove(any_database.engine, "before_cursor_execute", listener)
        return len(executed), page.data["next_one_on_one"]["other"]["display_name"]

    few, soonest_of_few = statements_for(3, "few")
    many, soonest_of_many = statements_for(30, "many")
    assert (soonest_of_few, soonest_of_many) == ("R02", "R29")
    assert few == many

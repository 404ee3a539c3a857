"""Kudos in the database: allowances in each giver's own day, the leaderboard, recognition gaps."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from conversations.kudos import KudosGiven, KudosTakenBack
from conversations.messages import Inbound, Platform
from conversations.workspace_settings import validate_settings
from storage import kudos, org_import, people, workspaces
from storage.connections import new_organisation
from storage.database import Database
from storage.models import Kudos, KudosValue, Person

ORG = """email,name,slack_id,manager_email,timezone
lead@acme.test,Lee,U1,,Europe/Berlin
kav@acme.test,Kavi,U2,lead@acme.test,Asia/Kolkata
lou@acme.test,Lou,U3,lead@acme.test,America/Los_Angeles
ada@acme.test,Ada,U4,lead@acme.test,Europe/Berlin
"""


def setup(database: Database) -> dict[str, Person]:
    settings, _ = validate_settings({"kudos": {"values": ["ownership", "craft"], "daily_allowance": 2}})
    with database.session_scope() as session:
        workspace = new_organisation(session, "Acme", Platform.SLACK, "T1")
        assert org_import.import_org(session, workspace.id, ORG).ok
        workspaces.apply_settings(session, workspace, settings)
        return {person.display_name: person for person in people.all_in(session, workspace.id)}


def give(database: Database, giver: Person, to: list[Person], at: datetime, values=()) -> dict:
    """Give kudos as the flow would, returning the allowance the context saw first."""
    with database.session_scope() as session:
        actor = people.actor_for(session, session.get(Person, giver.id))
        slack_ids = people.identities(session, [giver.id, *(p.id for p in to)], Platform.SLACK)
        inbound = Inbound(Platform.SLACK, "T1", slack_ids[giver.id], "D1", mentions=tuple(slack_ids[p.id] for p in to))
        state = kudos.prepare_kudos(session, actor, inbound, None, at)
        allowance = state.data["allowance"]
        if allowance["used"] + len(to) <= allowance["limit"]:
            change = KudosGiven(
                tuple(p.id for p in to), "thanks", tuple(values), "command", date.fromisoformat(allowance["today"])
            )
            kudos.apply_given(session, actor, change, at)
        return allowance


def test_the_allowance_is_counted_in_the_givers_own_day(any_database: Database) -> None:
    everyone = setup(any_database)
    kavi, lou, ada = everyone["Kavi"], everyone["Lou"], everyone["Ada"]
    before_midnight_in_kolkata = datetime(2026, 12, 4, 18, 20, tzinfo=UTC)  # 23:50 in Kolkata, 10:20 in Los Angeles
    assert give(any_database, kavi, [ada, lou], before_midnight_in_kolkata)["used"] == 0
    refused = give(any_database, kavi, [ada], before_midnight_in_kolkata)
    assert (refused["used"], refused["resets_in"]) == (2, "10 min")
    after_midnight = before_midnight_in_kolkata + timedelta(minutes=15)
    assert give(any_database, kavi, [ada], after_midnight) == {
        "limit": 2,
        "used": 0,
        "today": "2026-12-05",
        "resets_in": "23 h 55 min",
    }
    assert give(any_database, lou, [ada, kavi], before_midnight_in_kolkata)["today"] == "2026-12-04"
    assert give(any_database, lou, [ada], after_midnight)["used"] == 2, "still Friday in Los Angeles"


def test_the_context_resolves_mentions_and_reports_strangers(any_database: Database) -> None:
    everyone = setup(any_database)
    with any_database.session_scope() as session:
        ada = session.get(Person, everyone["Ada"].id)
        inbound = Inbound(Platform.SLACK, "T1", "U4", "C1", mentions=("U2", "U9", "U2"), in_channel=True)
        data = kudos.prepare_kudos(
            session, people.actor_for(session, ada), inbound, None, datetime(2026, 12, 4, 9, tzinfo=UTC)
        ).data
    assert [person["display_name"] for person in data["recipients"]] == ["Kavi"]
    assert data["unknown"] == [{"display_name": "U9", "platform_user_id": "U9"}]
    assert [value["slug"] for value in data["values"]] == ["craft", "ownership"]
    assert data["origin_is_channel"] is True


def test_reaction_kudos_are_taken_back_by_their_message_reference(any_database: Database) -> None:
    everyone = setup(any_database)
    at = datetime(2026, 12, 4, 9, tzinfo=UTC)
    with any_database.session_scope() as session:
        actor = people.actor_for(session, session.get(Person, everyone["Ada"].id))
        kudos.apply_given(
            session,
            actor,
            KudosGiven((everyone["Kavi"].id,), ":clap:", (), "reaction", date(2026, 12, 4), "C1/1.2:clap"),
            at,
        )
    with any_database.session_scope() as session:
        kudos.apply_taken_back(session, actor, KudosTakenBack("C1/1.2:clap"), at)
    with any_database.session_scope() as session:
        assert session.exec(select(Kudos)).all() == []


def test_the_database_refuses_the_same_reaction_counted_twice(any_database: Database) -> None:
    everyone = setup(any_database)
    at = datetime(2026, 12, 4, 9, tzinfo=UTC)
    change = KudosGiven((everyone["Kavi"].id,), ":clap:", (), "reaction", date(2026, 12, 4), "C1/1.2:clap")
    with any_database.session_scope() as session:
        kudos.apply_given(session, people.actor_for(session, session.get(Person, everyone["Ada"].id)), change, at)
    with pytest.raises(sa.exc.IntegrityError), any_database.session_scope() as session:
        kudos.apply_given(session, people.actor_for(session, session.get(Person, everyone["Ada"].id)), change, at)


def test_the_leaderboard_counts_received_kudos_by_period_and_value(any_database: Database) -> None:
    everyone = setup(any_database)
    names = list(everyone)
    rng = random.Random(3)
    expected_month: Counter = Counter()
    expected_craft: Counter = Counter()
    rows = []
    for _ in range(300):
        giver, recipient = rng.sample(names, 2)
        day = date(2026, 10, 1) + timedelta(days=rng.randrange(65))
        values = rng.choice([(), ("craft",), ("ownership",), ("craft", "ownership")])
        rows.append((giver, recipient, day, values))
        if day >= date(2026, 12, 1):
            expected_month[recipient] += 1
            if "craft" in values:
                expected_craft[recipient] += 1
    with any_database.session_scope() as session:
        value_ids = {
            value.slug: value.id for value in kudos.company_values.active(session, everyone["Ada"].workspace_id)
        }
        for index, (giver, recipient, day, values) in enumerate(rows):
            row = Kudos(
                workspace_id=everyone[giver].workspace_id,
                giver_id=everyone[giver].id,
                recipient_id=everyone[recipient].id,
                message=f"k{index}",
                given_at=datetime.combine(day, datetime.min.time(), tzinfo=UTC),
                giver_local_date=day,
            )
            session.add(row)
            session.flush()
            session.add_all(KudosValue(kudos_id=row.id, value_id=value_ids[slug]) for slug in values)
    with any_database.session_scope() as session:
        month = kudos.leaderboard(session, everyone["Ada"].workspace_id, date(2026, 12, 1), None)
        craft = kudos.leaderboard(session, everyone["Ada"].workspace_id, date(2026, 12, 1), "craft")
    assert {row["person"]["display_name"]: row["count"] for row in month} == dict(expected_month)
    assert [row["count"] for row in month] == sorted(expected_month.values(), reverse=True)
    assert {row["person"]["display_name"]: row["count"] for row in craft} == dict(expected_craft)


def test_reports_without_recent_kudos_are_the_recognition_gap(any_database: Database) -> None:
    everyone = setup(any_database)
    now = datetime(2026, 12, 4, 9, tzinfo=UTC)
    give(any_database, everyone["Lee"], [everyone["Kavi"]], now - timedelta(days=3))
    give(any_database, everyone["Ada"], [everyone["Lou"]], now - timedelta(days=45))
    with any_database.session_scope() as session:
        gap = kudos.reports_without_kudos(session, everyone["Lee"].id, 30, now)
    assert [person.display_name for person in gap] == ["Ada", "Lou"]


def test_the_skills_a_kudos_names_are_stored_with_each_recipients_row(any_database: Database) -> None:
    from storage.models import KudosSkill

    everyone = setup(any_database)
    at = datetime(2026, 12, 4, 9, tzinfo=UTC)
    with any_database.session_scope() as session:
        actor = people.actor_for(session, session.get(Person, everyone["Ada"].id))
        change = KudosGiven(
            (everyone["Kavi"].id, everyone["Lou"].id),
            "for pairing",
            (),
            "command",
            date(2026, 12, 4),
            skills=("mentoring", "system-design"),
        )
        kudos.apply_given(session, actor, change, at)
    with any_database.session_scope() as session:
        rows = session.exec(select(Kudos.recipient_id, KudosSkill.skill).join(KudosSkill)).all()
    assert sorted(rows) == sorted(
        (recipient, skill)
        for recipient in (everyone["Kavi"].id, everyone["Lou"].id)
        for skill in ("mentoring", "system-design")
    )

"""The permission matrix, cell by cell: for each kind of record, each person who stands in a
different way to it (the giver, the recipient, the recipient's manager, a skip-level manager, an
admin, a colleague, someone of another organisation) may read it or not, exactly as the README says."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from conversations.messages import Platform
from storage import org_import, people, privacy
from storage.connections import new_organisation
from storage.database import Database
from storage.models import (
    Feedback,
    FeedbackAudience,
    Goal,
    GoalLevel,
    OneOnOnePair,
    OneOnOnePrivateNote,
    Person,
)

ORG = """email,name,manager_email,timezone,role
sofia@acme.test,Sofia,,Europe/Berlin,manager
mira@acme.test,Mira,sofia@acme.test,Europe/Berlin,manager
ravi@acme.test,Ravi,mira@acme.test,Asia/Kolkata,member
gus@acme.test,Gus,mira@acme.test,Europe/Berlin,member
ada@acme.test,Ada,,Europe/London,admin
sam@acme.test,Sam,sofia@acme.test,Europe/Berlin,member
"""
OTHER_ORG = """email,name,manager_email,timezone,role
ravi@other.test,Ravi Elsewhere,,Asia/Kolkata,admin
"""
VIEWERS = ("Gus", "Ravi", "Mira", "Sofia", "Ada", "Sam", "Ravi Elsewhere")
"""Gus gives Ravi feedback; Mira is Ravi's manager, Sofia hers; Ada is an admin; Sam is a colleague
under Sofia; Ravi Elsewhere is an admin of another organisation."""
README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def org(database: Database) -> dict[str, Person]:
    with database.session_scope() as session:
        acme = new_organisation(session, "Acme", Platform.SHELL, "acme")
        other = new_organisation(session, "Other", Platform.SLACK, "T0OTHER")
        assert org_import.import_org(session, acme.id, ORG).ok
        assert org_import.import_org(session, other.id, OTHER_ORG).ok
        return {
            person.display_name: person
            for workspace in (acme, other)
            for person in people.all_in(session, workspace.id)
        }


def readers(database: Database, org: dict[str, Person], can_read) -> set[str]:
    with database.session_scope() as session:
        return {name for name in VIEWERS if can_read(session, session.get(Person, org[name].id))}


def feedback(org: dict[str, Person], audience: FeedbackAudience) -> Feedback:
    return Feedback(
        id=1,
        workspace_id=org["Ravi"].workspace_id,
        giver_id=org["Gus"].id,
        recipient_id=org["Ravi"].id,
        went_well="Clear write-ups",
        audience=audience,
        given_at=datetime(2026, 12, 1, tzinfo=UTC),
    )


def pair(org: dict[str, Person]) -> OneOnOnePair:
    return OneOnOnePair(
        id=1,
        workspace_id=org["Ravi"].workspace_id,
        manager_id=org["Mira"].id,
        report_id=org["Ravi"].id,
        anchor=date(2026, 12, 3),
    )


def test_feedback_for_the_recipient_only_is_read_by_giver_and_recipient(database, org) -> None:
    given = feedback(org, FeedbackAudience.RECIPIENT)
    assert readers(database, org, lambda s, v: privacy.can_read_feedback(s, v, given)) == {"Gus", "Ravi"}


def test_feedback_shared_with_the_manager_adds_the_direct_manager_and_nobody_above(database, org) -> None:
    given = feedback(org, FeedbackAudience.RECIPIENT_AND_MANAGER)
    assert readers(database, org, lambda s, v: privacy.can_read_feedback(s, v, given)) == {"Gus", "Ravi", "Mira"}


def test_the_giver_is_told_the_readers_of_feedback_by_audience(database, org) -> None:
    with database.session_scope() as session:
        alone = [p.display_name for p in privacy.feedback_readers(session, feedback(org, FeedbackAudience.RECIPIENT))]
        shared = privacy.feedback_readers(session, feedback(org, FeedbackAudience.RECIPIENT_AND_MANAGER))
        assert alone == ["Ravi"]
        assert [person.display_name for person in shared] == ["Ravi", "Mira"]


def test_feedback_from_the_manager_shared_with_the_manager_names_them_once(database, org) -> None:
    from_manager = feedback(org, FeedbackAudience.RECIPIENT_AND_MANAGER)
    from_manager.giver_id = org["Mira"].id
    with database.session_scope() as session:
        assert [person.display_name for person in privacy.feedback_readers(session, from_manager)] == ["Ravi"]


def test_a_one_on_one_is_read_by_its_two_sides_only(database, org) -> None:
    meeting = pair(org)
    assert readers(database, org, lambda s, v: privacy.can_read_one_on_one(s, v, meeting)) == {"Mira", "Ravi"}


def test_a_new_manager_does_not_inherit_the_old_managers_one_on_ones(database, org) -> None:
    old = pair(org)
    old.manager_id = org["Sofia"].id  # Ravi's 1:1s with Sofia, before Mira became his manager
    assert readers(database, org, lambda s, v: privacy.can_read_one_on_one(s, v, old)) == {"Sofia", "Ravi"}


@pytest.mark.parametrize("author", ["Mira", "Ravi"])
def test_a_private_note_is_read_by_its_author_alone_not_the_other_side_nor_admins(database, org, author) -> None:
    note = OneOnOnePrivateNote(id=1, pair_id=1, author_id=org[author].id, text="mine")
    assert readers(database, org, lambda s, v: privacy.can_read_private_note(v, note)) == {author}


def test_upward_answers_are_read_by_the_report_and_the_direct_manager_only(database, org) -> None:
    subject = org["Ravi"]
    got = readers(database, org, lambda s, v: privacy.can_read_upward_answers(s, v, s.get(Person, subject.id)))
    assert got == {"Ravi", "Mira"}


def test_check_ins_are_read_up_the_whole_chain_and_by_admins_of_the_same_organisation(database, org) -> None:
    subject = org["Ravi"]
    got = readers(database, org, lambda s, v: privacy.can_see_checkins_of(s, v, s.get(Person, subject.id)))
    assert got == {"Ravi", "Mira", "Sofia", "Ada"}


def test_who_answered_a_request_is_for_the_requester_alone(database, org) -> None:
    subject = org["Ravi"]
    got = readers(database, org, lambda s, v: privacy.can_see_who_answered(s, v, s.get(Person, subject.id)))
    assert got == {"Ravi"}


def test_a_manager_who_is_also_an_admin_reads_through_either_standing(database, org) -> None:
    with database.session_scope() as session:
        mira = session.get(Person, org["Mira"].id)
        ravi = session.get(Person, org["Ravi"].id)
        assert privacy.relations(session, mira, ravi) == {privacy.Relation.MANAGER}
        ada = session.get(Person, org["Ada"].id)
        assert privacy.relations(session, ada, ravi) == {privacy.Relation.ADMIN}
        elsewhere = session.get(Person, org["Ravi Elsewhere"].id)
        assert privacy.relations(session, elsewhere, ravi) == frozenset()


def test_the_readme_shows_the_permission_table_the_code_enforces() -> None:
    text = README.read_text()
    shown = re.search(r"<!-- permissions:start -->\n(.*?)\n<!-- permissions:end -->", text, re.DOTALL)
    assert shown is not None, "the README's permission table is missing its markers"
    assert shown.group(1).strip() == privacy.table()


def test_cadence_privacy_prints_the_same_table() -> None:
    import io

    from bot.cli import main

    out = io.StringIO()
    assert main(["privacy"], out=out) == 0
    assert out.getvalue().strip() == privacy.table()


def test_a_person_is_told_by_name_who_reads_their_records(database, org) -> None:
    with database.session_scope() as session:
        mine = privacy.readers_of_mine(session, session.get(Person, org["Ravi"].id))
    assert mine["checkin"] == ["you", "Mira", "Sofia", "Ada"]
    assert mine["upward_answer"] == ["you", "Mira"]
    assert mine["feedback"] == ["you", "author"]
    assert mine["feedback_with_manager"] == ["you", "author", "Mira"]
    assert mine["request_answerers"] == ["you"]
    assert mine["one_on_one"] == ["you", "Mira"]
    assert mine["private_note"] == ["you"]


def goal(org: dict[str, Person], level: GoalLevel, owner: str | None) -> Goal:
    return Goal(
        id=1,
        workspace_id=org["Ravi"].workspace_id,
        number=1,
        level=level,
        title="Ship the importer",
        period="2026-Q4",
        owner_id=org[owner].id if owner else None,
    )


ACME = {"Gus", "Ravi", "Mira", "Sofia", "Ada", "Sam"}


@pytest.mark.parametrize(
    ("level", "owner", "see", "change"),
    [
        (GoalLevel.PERSON, "Ravi", {"Ravi", "Mira", "Sofia", "Ada"}, {"Ravi", "Mira", "Sofia", "Ada"}),
        (GoalLevel.TEAM, "Mira", ACME, {"Mira", "Sofia", "Ada"}),
        (GoalLevel.COMPANY, None, ACME, {"Ada"}),
        (GoalLevel.TEAM, None, ACME, {"Ada"}),
    ],
)
def test_goals_are_seen_and_changed_as_the_matrix_says(database, org, level, owner, see, change) -> None:
    aim = goal(org, level, owner)
    assert readers(database, org, lambda s, v: privacy.can_see_goal(s, v, aim, False)) == see
    assert readers(database, org, lambda s, v: privacy.can_edit_goal(s, v, aim)) == change


def test_public_personal_goals_are_seen_by_the_whole_organisation_and_changed_as_before(database, org) -> None:
    aim = goal(org, GoalLevel.PERSON, "Ravi")
    assert readers(database, org, lambda s, v: privacy.can_see_goal(s, v, aim, True)) == ACME
    assert "Gus" not in readers(database, org, lambda s, v: privacy.can_edit_goal(s, v, aim))


@pytest.mark.parametrize(
    "record", [privacy.Record.FAIRNESS, privacy.Record.SETTINGS, privacy.Record.AUDIT_LOG, privacy.Record.ERASURE]
)
def test_what_concerns_the_whole_organisation_is_for_admins_alone(database, org, record) -> None:
    access = privacy.Access.CHANGE if record is privacy.Record.ERASURE else privacy.Access.SEE
    assert privacy.RULES[record][access] == frozenset({privacy.Relation.ADMIN})
    assert readers(database, org, lambda s, v: privacy.admin_may(v, record, access)) == {"Ada", "Ravi Elsewhere"}
    # the other organisation's admin is an admin of *their* organisation: what they reach is scoped
    # by it (tests/security/test_isolation.py), and never a record of Acme's
    with database.session_scope() as session:
        ravi, elsewhere = session.get(Person, org["Ravi"].id), session.get(Person, org["Ravi Elsewhere"].id)
        assert not privacy.allowed(session, record, elsewhere, ravi, access=access)


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (privacy.Record.KUDOS, ACME),
        (privacy.Record.EXPORT, {"Ravi", "Ada"}),
        (privacy.Record.DIGEST, {"Ravi", "Mira", "Sofia"}),  # Ravi as a manager: his digest; its figures above
        (privacy.Record.SNAPSHOT, {"Ravi", "Mira", "Sofia", "Ada"}),
    ],
)
def test_kudos_exports_digests_and_snapshots_are_seen_as_the_matrix_says(database, org, record, expected) -> None:
    with database.session_scope() as session:
        ravi = session.get(Person, org["Ravi"].id)
        seen = {name for name in VIEWERS if privacy.allowed(session, record, session.get(Person, org[name].id), ravi)}
    assert seen == expected


def test_a_rule_open_to_anyone_else_is_open_to_everyone() -> None:
    """What ``allowed`` relies on to decide without working out how a viewer stands."""
    for record, rules in privacy.RULES.items():
        for access, relations in rules.items():
            if privacy.Relation.ANYONE_ELSE in relations:
                assert relations == frozenset(privacy.Relation), (record, access)


def test_kudos_are_changed_by_nobody_once_given() -> None:
    assert privacy.RULES[privacy.Record.KUDOS][privacy.Access.CHANGE] == frozenset()

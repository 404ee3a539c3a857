from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import select

from storage import org_import
from storage.connections import new_organisation
from storage.database import Database
from storage.models import Person, PersonIdentity, Role, Team

HEADER = "email,name,slack_id,teams_id,manager_email,team,timezone,role\n"
ORG = HEADER + (
    "ceo@acme.test,Cleo CEO,U1,,,Leadership,America/New_York,admin\n"
    "lead@acme.test,Lee Lead,U2,,ceo@acme.test,Platform,Europe/Berlin,manager\n"
    "dev@acme.test,Dee Dev,U3,,lead@acme.test,Platform,Asia/Kolkata,\n"
)


def new_workspace(database: Database) -> int:
    with database.session_scope() as session:
        workspace = new_organisation(session, "Acme")
        return workspace.id


def run_import(database: Database, workspace: int, text: str) -> org_import.ImportReport:
    with database.session_scope() as session:
        return org_import.import_org(session, workspace, text)


def everyone(database: Database) -> dict[str, Person]:
    with database.session_scope() as session:
        return {person.email: person for person in session.exec(select(Person))}


def test_import_creates_people_teams_and_the_manager_chain(any_database: Database) -> None:
    workspace = new_workspace(any_database)
    report = run_import(any_database, workspace, ORG)
    assert (report.created, report.updated, report.unchanged, report.rejected) == (3, 0, 0, 0)
    people = everyone(any_database)
    assert people["dev@acme.test"].manager_id == people["lead@acme.test"].id
    assert people["lead@acme.test"].manager_id == people["ceo@acme.test"].id
    assert people["dev@acme.test"].timezone == "Asia/Kolkata"
    assert people["dev@acme.test"].role is Role.MEMBER
    assert people["ceo@acme.test"].role is Role.ADMIN
    with any_database.session_scope() as session:
        assert sorted(team.name for team in session.exec(select(Team))) == ["Leadership", "Platform"]


def test_importing_the_same_file_again_changes_nothing(any_database: Database) -> None:
    workspace = new_workspace(any_database)
    run_import(any_database, workspace, ORG)
    report = run_import(any_database, workspace, ORG)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)


def test_an_edited_row_updates_the_person_matched_by_email_in_any_case(any_database: Database) -> None:
    workspace = new_workspace(any_database)
    run_import(any_database, workspace, ORG)
    report = run_import(
        any_database, workspace, HEADER + "DEV@acme.test,Dee Developer,U3,,ceo@acme.test,Platform,Asia/Kolkata,\n"
    )
    assert (report.created, report.updated) == (0, 1)
    people = everyone(any_database)
    assert people["dev@acme.test"].display_name == "Dee Developer"
    assert people["dev@acme.test"].manager_id == people["ceo@acme.test"].id


def test_every_bad_line_is_reported_with_its_number_and_nothing_is_imported(any_database: Database) -> None:
    workspace = new_workspace(any_database)
    text = HEADER + (
        "ok@acme.test,Okay,,,,,Europe/Paris,\n"
        "tz@acme.test,Bad Zone,,,,,Europe/Berln,\n"
        "orphan@acme.test,Orphan,,,nobody@acme.test,,,\n"
        "ok@acme.test,Twice,,,,,,\n"
        "role@acme.test,Role,,,,,,boss\n"
        "not-an-email,No Mail,,,,,,\n"
    )
    report = run_import(any_database, workspace, text)
    assert not report.ok
    assert report.rejected == 5
    assert [error.split(":")[0] for error in report.errors] == ["line 3", "line 4", "line 5", "line 6", "line 7"]
    assert "Europe/Berln" in report.errors[0] and "Europe/Berlin" in report.errors[0]
    assert "nobody@acme.test" in report.errors[1]
    assert "already on line 2" in report.errors[2]
    assert "boss" in report.errors[3]
    assert everyone(any_database) == {}


def test_a_loop_in_the_manager_chain_is_refused(any_database: Database) -> None:
    workspace = new_workspace(any_database)
    text = HEADER + (
        "a@acme.test,A,,,c@acme.test,,,\n"
        "b@acme.test,B,,,a@acme.test,,,\n"
        "c@acme.test,C,,,b@acme.test,,,\n"
        "d@acme.test,D,,,,,,\n"
    )
    report = run_import(any_database, workspace, text)
    assert not report.ok
    assert len(report.errors) == 1
    assert "loops" in report.errors[0] and "a@acme.test" in report.errors[0]
    assert everyone(any_database) == {}


def test_a_loop_through_people_already_in_cadence_is_refused(any_database: Database) -> None:
    workspace = new_workspace(any_database)
    run_import(any_database, workspace, ORG)
    report = run_import(any_database, workspace, HEADER + "ceo@acme.test,Cleo CEO,U1,,dev@acme.test,,,admin\n")
    assert not report.ok and "loops" in report.errors[0]
    assert everyone(any_database)["ceo@acme.test"].manager_id is None


def test_a_slack_id_taken_by_someone_else_is_refused(any_database: Database) -> None:
    workspace = new_workspace(any_database)
    run_import(any_database, workspace, ORG)
    report = run_import(any_database, workspace, HEADER + "new@acme.test,New,U3,,,,,\n")
    assert not report.ok and "U3 already belongs to dev@acme.test" in report.errors[0]


def test_an_unknown_column_or_an_empty_file_is_explained(any_database: Database) -> None:
    workspace = new_workspace(any_database)
    unknown = run_import(any_database, workspace, "email,name,shoe_size\na@acme.test,A,44\n")
    assert unknown.errors == [
        f"line 1: unknown column 'shoe_size'; the header must use these columns: {org_import.EXAMPLE_HEADER}"
    ]
    assert run_import(any_database, workspace, "").errors[0].startswith("line 1: the file is empty")


def test_a_byte_order_mark_and_blank_lines_are_tolerated(any_database: Database) -> None:
    workspace = new_workspace(any_database)
    report = run_import(any_database, workspace, "\ufeff" + ORG + "\n,,,,,,,\n")
    assert report.ok and report.created == 3


def test_values_longer_than_the_database_keeps_are_refused_by_line(any_database: Database) -> None:
    workspace = new_workspace(any_database)
    report = run_import(any_database, workspace, HEADER + "long@acme.test," + "N" * 201 + ",,,,Team,,\n")
    assert report.errors == ["line 2: the name is 201 characters long; keep it to 200"]
    assert everyone(any_database) == {}


def test_a_quote_never_closed_is_refused_at_its_line_instead_of_crashing(any_database: Database) -> None:
    """The csv module refuses a cell over its field limit, which an unclosed quote makes of the rest of the file."""
    workspace = new_workspace(any_database)
    broken = ORG + '"late@acme.test,Lovelace, Ada\n' + ("x" * 100 + "\n") * 1500
    report = run_import(any_database, workspace, broken)
    [problem] = report.errors
    assert (
        problem.startswith("line 5: a cell here runs on for more than 131072 characters") and "closing quote" in problem
    )
    assert everyone(any_database) == {}, "nothing imported, the good lines before it neither"


def test_the_level_column_sets_each_persons_track_and_level_and_an_empty_cell_keeps_it(database: Database) -> None:
    workspace = new_workspace(database)
    with_levels = "email,name,level\nada@acme.test,Ada,Engineer/Senior\nbob@acme.test,Bob,manager/lead\n"
    assert run_import(database, workspace, with_levels).ok
    assert {email: person.level for email, person in everyone(database).items()} == {
        "ada@acme.test": "engineer/senior",
        "bob@acme.test": "manager/lead",
    }
    report = run_import(database, workspace, "email,name,level\nada@acme.test,Ada,\n")
    assert report.ok and report.unchanged == 1
    assert everyone(database)["ada@acme.test"].level == "engineer/senior"


def test_a_level_without_its_track_is_refused_with_an_example_and_nothing_is_written(database: Database) -> None:
    workspace = new_workspace(database)
    report = run_import(database, workspace, "email,name,level\nada@acme.test,Ada,senior\n")
    assert report.errors == ["line 2: 'senior' is not a level; write the track and the level, e.g. engineer/senior"]
    assert everyone(database) == {}


def identities_by_email(database: Database) -> dict[str, dict[str, str]]:
    with database.session_scope() as session:
        rows = session.exec(
            select(Person.email, PersonIdentity.platform, PersonIdentity.external_id).join(
                PersonIdentity, PersonIdentity.person_id == Person.id
            )
        ).all()
    found: dict[str, dict[str, str]] = {}
    for email, platform, external_id in rows:
        found.setdefault(email, {})[platform.value] = external_id
    return found


def test_slack_ids_swapped_between_two_people_in_one_file_move_with_them(any_database: Database) -> None:
    workspace = new_workspace(any_database)
    run_import(any_database, workspace, ORG)
    swapped = ORG.replace(",U2,", ",TMP,").replace(",U3,", ",U2,").replace(",TMP,", ",U3,")
    report = run_import(any_database, workspace, swapped.replace(",,lead@", ",dee-aad,lead@"))
    assert report.ok, report.errors
    assert (report.updated, report.unchanged) == (2, 1)
    assert identities_by_email(any_database) == {
        "ceo@acme.test": {"slack": "U1"},
        "lead@acme.test": {"slack": "U3"},
        "dev@acme.test": {"slack": "U2", "teams": "dee-aad"},
    }


def test_an_id_given_to_someone_new_is_given_up_by_who_held_it_when_the_file_moves_it(
    any_database: Database,
) -> None:
    """The holder is in the file with that cell empty elsewhere: their old id goes to the newcomer."""
    workspace = new_workspace(any_database)
    run_import(any_database, workspace, ORG)
    moved = ORG.replace("dev@acme.test,Dee Dev,U3,", "dev@acme.test,Dee Dev,U9,") + "new@acme.test,New,U3,,,,,\n"
    report = run_import(any_database, workspace, moved)
    assert report.ok, report.errors
    assert identities_by_email(any_database)["new@acme.test"] == {"slack": "U3"}
    assert identities_by_email(any_database)["dev@acme.test"] == {"slack": "U9"}


def test_an_import_costs_the_same_statements_for_ten_people_as_for_two_hundred(any_database: Database) -> None:
    """Everyone's platform ids are written together: an import's statements don't grow with the
    file (they did, three a person, which made 100,000 people a matter of minutes). SQLite alone
    gets one insert per new person: it can't hand back a batch's ids in order, so the ORM doesn't
    batch them there."""

    def statements_for(count: int, name: str) -> int:
        with any_database.session_scope() as session:
            workspace = new_organisation(session, name).id
        text = HEADER + "".join(
            f"p{index}@{name}.test,P {index},U{name}{index},,{'' if index == 0 else f'p0@{name}.test'},,,\n"
            for index in range(count)
        )
        executed = []
        listener = lambda *args, **kwargs: executed.append(1)  # noqa: E731
        sa.event.listen(any_database.engine, "before_cursor_execute", listener)
        try:
            assert run_import(any_database, workspace, text).ok
        finally:
            sa.event.remove(any_database.engine, "before_cursor_execute", listener)
        return len(executed)

    one_insert_a_person = 1 if any_database.dialect == "sqlite" else 0
    assert statements_for(200, "large") - statements_for(10, "small") == 190 * one_insert_a_person

"""Export and erasure against a person who is in every table (``personal_data_world``), checked
table by table from the schema itself, so a table added later fails here until it is thought about.

On SQLite and PostgreSQL: what Quilla wrote, what was written to her and every id she had are in her
export, and after ``forget`` no value in any table holds any of it, while Ada's and Sam's rows are
exactly as they were and the counts others' figures rest on (kudos, feedback, check-ins) stay.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel, func, select

from storage import erasure, personal_data
from storage.database import Database
from storage.models import (
    AuditAction,
    AuditEvent,
    CheckinResponse,
    DeliveryStatus,
    Feedback,
    FeedbackAsk,
    InboxRequest,
    InboxStatus,
    Kudos,
    OneOnOnePrivateNote,
    OutboxDelivery,
    Person,
    ResponseStatus,
    Role,
    Workspace,
)
from tests.storage import personal_data_world as world
from tests.storage.personal_data_world import ADA_PRIVATE_NOTE, FORBIDDEN, HER_WORDS, NOW, OTHERS

PEOPLE_ID = "people.id"
NOT_ABOUT_PEOPLE = {
    "workspaces": "the organisation's name and settings",
    "platform_connections": "the organisation's accounts on each platform",
    "teams": "team names",
    "company_values": "the organisation's values",
    "checkin_templates": "the questions asked",
    "checkin_cycles": "the weeks",
    "kudos_values": "links between a kudos and a value",
    "kudos_skills": "the skill slugs a kudos names",
    "slack_bots": "the bot's token",
    "slack_oauth_states": "one-time install states",
}
"""Tables that hold text but nothing about anyone in particular, and why."""
COPIES = {"key_results", "one_on_one_meetings", "inbox_requests", "outbox_deliveries", "slack_installations"}
"""Tables without a column pointing at a person that still hold something about one (a personal goal's
key results, an agenda's seed, raw requests and messages, who installed the Slack app): the world puts
Quilla in each."""
DELETED = {
    "person_identities",
    "time_off",
    "one_on_one_private_notes",
    "conversation_states",
    "conversation_references",
}
"""Tables erasure deletes her rows from (and others' that quote her); every other table keeps its rows."""


def tables() -> list[sa.Table]:
    return list(SQLModel.metadata.sorted_tables)


def person_columns(table: sa.Table) -> list[sa.Column]:
    """The columns of ``table`` that point at a person (``people.id`` itself for the people table)."""
    if table.name == "people":
        return [table.c.id]
    return [column for column in table.columns if any(fk.target_fullname == PEOPLE_ID for fk in column.foreign_keys)]


def holds_text(table: sa.Table) -> bool:
    return any(isinstance(column.type, sa.String | sa.Text | sa.JSON) for column in table.columns)


def texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict | list):
        yield json.dumps(value, ensure_ascii=False)


def table_values(session: Session, table: sa.Table) -> Iterator[tuple[str, Any, str]]:
    """Every text in ``table``: (column, the row's primary key, the text, JSON as JSON)."""
    key = list(table.primary_key.columns)
    for row in session.execute(sa.select(table)).mappings():
        for column in table.columns:
            for text in texts(row[column.name]):
                yield column.name, tuple(row[part.name] for part in key), text


def traces_in(session: Session, markers: tuple[str, ...]) -> dict[str, list[tuple[str, Any, str]]]:
    found: dict[str, list] = {}
    for table in tables():
        hits = [
            (column, key, text)
            for column, key, text in table_values(session, table)
            if any(marker in text.lower() for marker in markers)
        ]
        if hits:
            found[table.name] = hits
    return found


def snapshot_of_others(session: Session) -> dict[str, list[tuple]]:
    """Every row holding Ada's or Sam's own words, whole, to compare before and after."""
    rows: dict[str, list[tuple]] = {}
    for table in tables():
        kept = [
            tuple(row)
            for row in session.execute(sa.select(table)).all()
            if any(marker in text.lower() for value in row for text in texts(value) for marker in OTHERS)
        ]
        if kept:
            rows[table.name] = sorted(kept, key=repr)
    return rows


def row_counts(session: Session) -> dict[str, int]:
    return {table.name: session.execute(sa.select(func.count()).select_from(table)).scalar_one() for table in tables()}


def aggregates(session: Session, world_: world.World) -> dict[str, Any]:
    """What others' figures rest on: kudos and feedback by person, check-ins by status, asks answered."""

    def count(model, *conditions) -> int:
        return session.exec(select(func.count()).select_from(model).where(*conditions)).one()

    people = {"quilla": world_.quilla.id, "ada": world_.ada.id, "sam": world_.sam.id}
    figures: dict[str, Any] = {}
    for name, person_id in people.items():
        figures[f"kudos received by {name}"] = count(Kudos, Kudos.recipient_id == person_id)
        figures[f"kudos given by {name}"] = count(Kudos, Kudos.giver_id == person_id)
        figures[f"feedback received by {name}"] = count(Feedback, Feedback.recipient_id == person_id)
        figures[f"feedback given by {name}"] = count(Feedback, Feedback.giver_id == person_id)
        for status in ResponseStatus:
            figures[f"{status.value} check-ins of {name}"] = count(
                CheckinResponse, CheckinResponse.person_id == person_id, CheckinResponse.status == status
            )
    figures["asks by status"] = sorted(session.exec(select(FeedbackAsk.status)).all())
    return figures


@pytest.fixture
def populated(any_database: Database) -> Iterator[tuple[Database, int]]:
    with any_database.session_scope() as session:
        built = world.build(session)
        quilla_id = built.quilla.id
    yield any_database, quilla_id


def load_world(session: Session, quilla_id: int) -> world.World:
    quilla = session.get(Person, quilla_id)
    assert quilla is not None
    ada = session.exec(select(Person).where(Person.email == "ada@acme.example")).one()
    sam = session.exec(select(Person).where(Person.email == "sam@acme.example")).one()
    workspace = session.get(Workspace, quilla.workspace_id)
    assert workspace is not None
    return world.World(workspace, quilla, ada, sam)


def test_every_table_is_given_a_treatment() -> None:
    assert set(personal_data.TABLES) == {table.name for table in tables()}, (
        "a table is missing from storage.personal_data.TABLES (or gone from the schema): say where its rows "
        "about a person appear in the export and what erasure does to them"
    )


def test_the_world_has_quilla_in_every_table_that_can_hold_something_about_a_person(
    populated: tuple[Database, int],
) -> None:
    database, quilla_id = populated
    with database.session_scope() as session:
        marked = traces_in(session, FORBIDDEN)
        for table in tables():
            columns = person_columns(table)
            if columns:
                about = session.execute(
                    sa.select(func.count())
                    .select_from(table)
                    .where(sa.or_(*(column == quilla_id for column in columns)))
                ).scalar_one()
                assert about, f"{table.name} points at people: give Quilla a row in personal_data_world"
            elif holds_text(table) and table.name not in NOT_ABOUT_PEOPLE:
                assert table.name in COPIES, (
                    f"{table.name} holds text: put Quilla in it in personal_data_world (and in COPIES), "
                    "or list it in NOT_ABOUT_PEOPLE with why it holds nothing about anyone"
                )
                assert table.name in marked, f"{table.name} is in COPIES but holds nothing of Quilla's"


def test_her_export_holds_every_table_about_her_every_word_and_id_and_no_one_elses_private_note(
    populated: tuple[Database, int],
) -> None:
    database, quilla_id = populated
    with database.session_scope() as session:
        quilla = session.get(Person, quilla_id)
        document = personal_data.export(session, quilla, NOW)
        marked = traces_in(session, FORBIDDEN)
        about_her = {table.name for table in tables() if person_columns(table)} | set(marked)
    text = json.dumps(document, ensure_ascii=False)
    json.loads(text)  # JSON-ready: plain values only
    assert (document["format"], document["version"]) == (personal_data.FORMAT, personal_data.VERSION)
    assert document["organisation"]["name"] == "Acme"
    assert document["person"]["email"] == "quilla@acme.example" and document["withheld"] == []
    for name in sorted(about_her):
        sections = personal_data.TABLES[name].exported_in
        assert sections and any(document[section] for section in sections), f"{name}'s rows about her aren't exported"
    for found in marked.values():
        for _, _, value in found:
            for word in words_of(value):
                assert word in text, f"{word!r} is held about her but not in her export"
    assert ADA_PRIVATE_NOTE not in text, "the other side's private note is theirs"
    answers = {answer["question"]: answer["answer"] for answer in document["checkins"][0]["answers"]}
    assert answers["What did you get done?"] == "zqx shipped the billing importer"
    assert answers["How was your week?"] == "2 · 😕"
    assert document["kudos_received"][0] | {"given_at": None} == {
        "given_at": None, "day": "2026-11-21", "from": "Sam Okafor", "message": "zqx for the calm incident review",
        "values": ["Ownership"], "skills": ["mentoring"], "source": "command",
    }  # fmt: skip
    [one_on_one] = document["one_on_ones"]
    assert one_on_one["with"] == "Ada Lovelace" and one_on_one["they_are"] == "report"
    assert [note["text"] for note in one_on_one["private_notes"]] == ["zqx I want to ask for a raise"]


def words_of(value: str) -> list[str]:
    """The marked words in a stored value: each string of hers holding ``zqx``, wherever it sits."""
    try:
        loaded = json.loads(value)
    except ValueError:
        loaded = value
    return [text for text in erasure.strings_in(loaded) if HER_WORDS in text]


def test_an_admin_reading_her_export_in_chat_gets_what_the_privacy_rules_let_admins_read(
    populated: tuple[Database, int],
) -> None:
    database, quilla_id = populated
    with database.session_scope() as session:
        quilla = session.get(Person, quilla_id)
        sam = session.exec(select(Person).where(Person.email == "sam@acme.example")).one()
        sam.role = Role.ADMIN  # an admin who is not her manager and not in her 1:1s
        document = personal_data.export(session, quilla, NOW, reader=sam)
        session.rollback()
    text = json.dumps(document, ensure_ascii=False)
    assert "zqx I want to ask for a raise" not in text, "a private note is its author's alone, admins included"
    assert "zqx please stop reassigning my reviews" not in text, "an upward answer is for her manager"
    assert "zqx career plan for next year" not in text, "a 1:1 is its two sides'"
    assert "zqx shipped the billing importer" in text, "admins read check-ins"
    withheld = {entry["what"] for entry in document["withheld"]}
    assert "a private 1:1 note" not in withheld  # the whole 1:1 is withheld, notes with it
    assert {"a 1:1's agenda, shared notes and action items", "upward answers (how the manager can help)"} <= withheld


def test_forgetting_her_leaves_no_trace_anywhere_and_everyone_elses_rows_and_the_counts_as_they_were(
    populated: tuple[Database, int],
) -> None:
    database, quilla_id = populated
    with database.session_scope() as session:
        built = load_world(session, quilla_id)
        before_others = snapshot_of_others(session)
        before_counts = row_counts(session)
        before_figures = aggregates(session, built)
        promised = erasure.summary(session, built.quilla)
        erased = erasure.forget(session, built.quilla, NOW, actor="cli (tester)")
    with database.session_scope() as session:
        left = traces_in(session, FORBIDDEN)
        assert left == {}, f"traces of Quilla are left: {left}"
        assert snapshot_of_others(session) == before_others
        after = row_counts(session)
        for name, count in before_counts.items():
            if name == "audit_events":
                assert after[name] == count + 1, "the erasure is recorded"
            elif name in DELETED:
                assert after[name] < count, f"{name}: her rows go"
            else:
                assert after[name] == count, f"{name}: rows stay for others' counts, {count} → {after[name]}"
        built = load_world(session, quilla_id)
        assert aggregates(session, built) == before_figures
        quilla = built.quilla
        assert (quilla.display_name, quilla.email, quilla.active) == (f"Erased person {quilla_id}", None, False)
        assert quilla.erased_at is not None and quilla.manager_id is None and quilla.team_id is None
        assert session.exec(select(CheckinResponse.mood).where(CheckinResponse.person_id == quilla_id)).all() == [
            None,
            None,
        ]
        assert ADA_PRIVATE_NOTE in session.exec(select(OneOnOnePrivateNote.text)).all()
        [entry] = session.exec(select(AuditEvent).where(AuditEvent.action == AuditAction.ERASED)).all()
        assert (entry.actor, entry.subject_id) == ("cli (tester)", quilla_id)
        assert entry.details == erased.details()
        assert {kind: erased.counts.get(kind) for kind in promised} == promised, "the summary said what went"
        assert erased.counts["checkins"] == 2 and erased.counts["kudos_given"] == 1
        assert erased.counts["messages"] == 5 and erased.counts["requests"] == 4
        queued = session.exec(select(InboxRequest).where(InboxRequest.team == world.TENANT)).one()
        assert queued.status is InboxStatus.FAILED, "a request of hers still waiting is not worked on"
        pending = session.exec(
            select(OutboxDelivery.status).where(OutboxDelivery.dedupe_key == "digest:ada:2026-W47")
        ).one()
        assert pending is DeliveryStatus.FAILED, "a message quoting her is not sent"


def test_a_trace_is_found_as_a_whole_word_case_aside_in_any_string_of_a_value() -> None:
    traces = erasure.Traces(["Zoë O'Brien", "UZOE1", "王小明"], ['she said "ship it" on the first friday', "short"])
    assert traces.found_in({"data": {"giver": {"display_name": "ZOË O'BRIEN"}}})
    assert traces.found_in({"inbound": {"mentions": ["UZOE1"]}})
    assert traces.found_in({"UZOE1": True}), "keys count"
    assert traces.found_in(["note", {"message": 'She said "ship it" on the first Friday, again'}])
    assert traces.found_in("王小明が書いた")
    assert traces.found_in("uzoe1 has no Slack account")
    assert not traces.found_in({"user": "UZOE10", "text": "Zoë O'Briens", "message": "short"}), (
        "whole words only, and a text under twelve characters is not looked for"
    )
    assert traces.redacted({"who": "Ada and Zoë O'Brien", "UZOE1": ["UZOE1"]}) == {
        "who": f"Ada and {erasure.ERASED_TEXT}",
        erasure.ERASED_TEXT: [erasure.ERASED_TEXT],
    }

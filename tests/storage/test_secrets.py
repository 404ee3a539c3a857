"""Secrets at rest: tokens, private notes and people's words in transit are stored encrypted,
read back through the models as they were written, survive a key rotation, and are refused
(with a sentence saying what to set) without the key. Checked in the stored bytes themselves,
on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel, select

from storage import migrate, secrets
from storage.database import Database
from storage.models import (
    InboxRequest,
    OneOnOnePrivateNote,
    OutboxDelivery,
    Platform,
    SlackBot,
)
from storage.secrets import SecretBox, SecretKeyError, new_key
from tests.conftest import POSTGRES_URL
from tests.storage.test_one_on_ones import make_org

NOTE = "ask about the team move, she is unhappy with Lin"
TOKEN = "xoxb-111-222-secretbottoken"


def raw(database: Database, table: str, column: str) -> list[str]:
    """What the database holds in ``column``, as text, not through the models."""
    with database.engine.connect() as connection:
        return [str(value) for (value,) in connection.execute(sa.text(f"SELECT {column} FROM {table}"))]


def add_bot(database: Database, token: str = TOKEN) -> None:
    with database.session_scope() as session:
        session.add(
            SlackBot(
                client_id="1.2",
                team_id="T1",
                installed_at=datetime(2026, 12, 1, tzinfo=UTC),
                data={"bot_token": token, "bot_user_id": "UBOT", "team_name": "Acme"},
            )
        )


def test_every_encrypted_column_is_known() -> None:
    """The columns the README says are encrypted, found from the types: adding or dropping one is a
    decision this test makes visible."""
    names = {column.name for column in secrets.encrypted_columns(SQLModel.metadata)}
    assert names == {
        "conversation_states.data",
        "inbox_requests.payload",
        "outbox_deliveries.payload",
        "slack_installations.data",
        "slack_bots.data",
        "one_on_one_private_notes.text",
    }


def test_private_notes_and_tokens_are_stored_encrypted_and_read_back_as_written(any_database: Database) -> None:
    org = make_org(any_database)
    org.say("grace", f"1on1 private @sam {NOTE}")
    add_bot(any_database)
    stored_notes = raw(any_database, "one_on_one_private_notes", "text")
    assert len(stored_notes) == 1 and stored_notes[0].startswith("fernet:")
    assert "team move" not in stored_notes[0]
    assert all(TOKEN not in value and "xoxb" not in value for value in raw(any_database, "slack_bots", "data"))
    for table, column in (("inbox_requests", "payload"), ("outbox_deliveries", "payload")):
        assert all("team move" not in value for value in raw(any_database, table, column)), table
    with any_database.session_scope() as session:
        assert session.exec(select(OneOnOnePrivateNote)).one().text == NOTE
        assert session.exec(select(SlackBot)).one().data["bot_token"] == TOKEN


def test_unicode_and_large_documents_round_trip(any_database: Database) -> None:
    words = "مرحبا 👩🏽‍💻 e\u0301 {{ 7*7 }} '; DROP TABLE people; --" * 200
    with any_database.session_scope() as session:
        session.add(
            InboxRequest(platform=Platform.SLACK, request_key="r1", team="T1", kind="command", payload={"t": words})
        )
    with any_database.session_scope() as session:
        assert session.exec(select(InboxRequest)).one().payload == {"t": words}


def test_rows_from_before_encryption_read_as_they_were_and_upgrade_encrypts_them(any_database: Database) -> None:
    org = make_org(any_database)
    org.say("grace", f"1on1 private @sam {NOTE}")
    with any_database.engine.begin() as connection:  # as an older Cadence stored it
        connection.execute(sa.text("UPDATE one_on_one_private_notes SET text = :t"), {"t": "plain old note"})
    with any_database.session_scope() as session:
        assert session.exec(select(OneOnOnePrivateNote)).one().text == "plain old note"
    rewritten = secrets.rewrite_all(any_database.engine, SQLModel.metadata, any_database.secrets, only_plain=True)
    assert rewritten["one_on_one_private_notes.text"] == 1
    assert raw(any_database, "one_on_one_private_notes", "text")[0].startswith("fernet:")
    again = secrets.rewrite_all(any_database.engine, SQLModel.metadata, any_database.secrets, only_plain=True)
    assert not any(again.values()), "an upgrade touches only what is still plain"
    with any_database.session_scope() as session:
        assert session.exec(select(OneOnOnePrivateNote)).one().text == "plain old note"


def test_a_rotation_puts_every_row_under_the_new_key(tmp_path: Path) -> None:
    old, new = new_key(), new_key()
    url = f"sqlite:///{tmp_path / 'c.db'}"
    database = Database(url, secret_keys=old)
    migrate.upgrade(database.engine)
    org = make_org(database)
    org.say("grace", f"1on1 private @sam {NOTE}")
    add_bot(database)
    both = Database(url, secret_keys=f"{new},{old}")
    rewritten = secrets.rewrite_all(both.engine, SQLModel.metadata, both.secrets, only_plain=False)
    assert rewritten["one_on_one_private_notes.text"] == 1 and rewritten["slack_bots.data"] == 1
    only_new = Database(url, secret_keys=new)
    with only_new.session_scope() as session:
        assert session.exec(select(OneOnOnePrivateNote)).one().text == NOTE
        assert session.exec(select(SlackBot)).one().data["bot_token"] == TOKEN
        assert all(isinstance(row.payload, dict) for row in session.exec(select(OutboxDelivery)))
    only_old = Database(url, secret_keys=old)
    with pytest.raises(SecretKeyError, match="doesn't hold"), only_old.session_scope() as session:
        session.exec(select(OneOnOnePrivateNote)).one()


def test_a_sqlite_file_gets_its_own_key_file_readable_by_its_owner_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cadence.db'}"
    first = Database(url)
    key_file = tmp_path / "cadence.db.key"
    assert key_file.exists() and stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert Database(url).secrets.keys == first.secrets.keys, "the same file, the same key"
    assert Database(f"sqlite:///{tmp_path / 'other.db'}").secrets.keys != first.secrets.keys


@pytest.mark.parametrize(
    ("value", "sentence"),
    [
        ("", "CADENCE_SECRET_KEY is empty"),
        ("not-a-key", "key number 1 is not a Fernet key"),
        (f"{new_key()},short", "key number 2 is not a Fernet key"),
    ],
    ids=["empty", "not-a-key", "second-key-short"],  # fixed ids: xdist's workers each draw their own new_key()
)
def test_a_wrong_key_setting_is_named_with_what_to_do(value: str, sentence: str) -> None:
    with pytest.raises(SecretKeyError, match=sentence) as refused:
        secrets.parse_keys(value)
    assert "cadence secrets new-key" in str(refused.value)


def test_without_a_key_a_secret_is_refused_with_what_to_set() -> None:
    box = SecretBox(None, "CADENCE_SECRET_KEY", missing="CADENCE_SECRET_KEY is not set")
    with pytest.raises(SecretKeyError, match="CADENCE_SECRET_KEY is not set"):
        box.encrypt(b"x")


@pytest.mark.postgres
def test_postgresql_without_a_key_refuses_to_store_a_secret(postgres_schema: str) -> None:
    assert POSTGRES_URL is not None
    database = Database(POSTGRES_URL, connect_args={"options": f"-csearch_path={postgres_schema}"})
    migrate.upgrade(database.engine)
    assert not database.secrets.available
    with pytest.raises(sa.exc.StatementError, match="make a key with `cadence secrets new-key`") as refused:
        add_bot(database)
    assert isinstance(refused.value.orig, SecretKeyError)
    assert TOKEN not in str(refused.value), "the statement's values are never in its error"
    assert raw(database, "slack_bots", "data") == [], "nothing half-written"
    database.dispose()

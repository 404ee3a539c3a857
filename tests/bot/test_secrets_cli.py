"""``cadence secrets rotate``, ``secrets new-key`` and the encryption ``db upgrade`` does, as an
operator runs them: with ``CADENCE_SECRET_KEY`` (new,old) and with a SQLite key file."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select

from storage import audit
from storage.database import Database
from storage.models import AuditAction, OneOnOnePrivateNote, SlackBot
from storage.secrets import new_key, parse_keys
from tests.bot.cli_helpers import Cadence
from tests.storage.test_one_on_ones import make_org
from tests.storage.test_secrets import NOTE, TOKEN, add_bot, raw


def populated(url: str, keys: str | None) -> Database:
    database = Database(url, secret_keys=keys)
    make_org(database).say("grace", f"1on1 private @sam {NOTE}")
    add_bot(database)
    return database


def test_new_key_prints_a_key_cadence_accepts(tmp_path: Path) -> None:
    result = Cadence(f"sqlite:///{tmp_path / 'c.db'}")("secrets", "new-key")
    assert result.code == 0
    assert parse_keys(result.out.strip()) == [result.out.strip()]


def test_rotating_with_new_and_old_keys_in_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    old, new = new_key(), new_key()
    monkeypatch.setenv("CADENCE_SECRET_KEY", old)
    assert Cadence(url)("db", "upgrade").code == 0
    populated(url, old)
    monkeypatch.setenv("CADENCE_SECRET_KEY", f"{new},{old}")
    result = Cadence(url)("secrets", "rotate")
    assert result.code == 0, result.err
    assert "1 in one_on_one_private_notes.text" in result.out and "1 in slack_bots.data" in result.out
    assert "remove the others from CADENCE_SECRET_KEY" in result.out
    with Database(url, secret_keys=new).session_scope() as session:
        assert session.exec(select(OneOnOnePrivateNote)).one().text == NOTE
        assert session.exec(select(SlackBot)).one().data["bot_token"] == TOKEN
        (event,) = [event for event in audit.events(session) if event.action is AuditAction.SECRETS_ROTATED]
        assert event.actor.startswith("cli (") and event.details["rows"] >= 2
        assert new not in str(event.details) and old not in str(event.details), "the log never holds a key"


def test_rotating_a_sqlite_key_file_replaces_its_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CADENCE_SECRET_KEY", raising=False)
    url = f"sqlite:///{tmp_path / 'c.db'}"
    assert Cadence(url)("db", "upgrade").code == 0
    key_file = tmp_path / "c.db.key"
    before = key_file.read_text()
    populated(url, None)
    assert Cadence(url)("secrets", "rotate").code == 0
    after = key_file.read_text()
    assert after != before and len(parse_keys(after)) == 1, "the old key is gone once nothing needs it"
    with Database(url).session_scope() as session:
        assert session.exec(select(OneOnOnePrivateNote)).one().text == NOTE


def test_upgrade_encrypts_what_an_older_cadence_stored_plainly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CADENCE_SECRET_KEY", raising=False)
    url = f"sqlite:///{tmp_path / 'c.db'}"
    assert Cadence(url)("db", "upgrade").code == 0
    database = populated(url, None)
    with database.engine.begin() as connection:
        connection.execute(sa.text("UPDATE one_on_one_private_notes SET text = 'plain old note'"))
    result = Cadence(url)("db", "upgrade")
    assert result.code == 0 and "encrypted 1 in one_on_one_private_notes.text" in result.out
    assert raw(database, "one_on_one_private_notes", "text")[0].startswith("fernet:")
    assert "encrypted" not in Cadence(url)("db", "upgrade").out, "nothing left to encrypt"


def test_the_wrong_key_is_one_sentence_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    monkeypatch.setenv("CADENCE_SECRET_KEY", new_key())
    assert Cadence(url)("db", "upgrade").code == 0
    populated(url, new_key())  # encrypted under a key the environment doesn't hold
    result = Cadence(url)("secrets", "rotate")
    assert result.code == 1
    assert result.err.startswith("cadence: a secret in the database was encrypted with a key that CADENCE_SECRET_KEY")
    assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from freezegun import freeze_time

from tests.bot.cli_helpers import Cadence
from tests.conftest import migrated_sqlite_file

NOW = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No .env or platform credentials from the developer's machine leak into a test."""
    monkeypatch.chdir(tmp_path)
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "SLACK_CLIENT_ID",
        "SLACK_CLIENT_SECRET",
        "TEAMS_APP_ID",
        "DATABASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DEMO_DATABASE_URL", f"sqlite:///{tmp_path / DEMO_FILE}")


DEMO_FILE = "demo.db"


@pytest.fixture
def migrated_demo(tmp_path: Path) -> None:
    """The demo's file already migrated (a copy of the suite's migrated file), for tests that use the demo as
    their world: `cadence shell --demo` then only seeds it. tests/bot/test_shell.py starts from no file at all."""
    migrated_sqlite_file(tmp_path / DEMO_FILE)


@pytest.fixture
def cadence(tmp_path: Path) -> Iterator[Cadence]:
    """The CLI against a fresh SQLite file, already migrated, with time frozen (freezegun) at NOW
    unless the test freezes another moment itself. (The file is a copy of the suite's migrated one, so
    `db upgrade` has nothing to do; tests of `db upgrade` itself start from their own empty file.)"""
    cli = Cadence(f"sqlite:///{migrated_sqlite_file(tmp_path / 'cli.db')}")
    with freeze_time(NOW):
        assert cli("db", "upgrade").code == 0
        yield cli

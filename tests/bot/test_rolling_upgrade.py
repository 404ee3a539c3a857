"""A rolling upgrade: the new release migrates first, and an old replica that restarts meanwhile
still serves the newer schema (every revision only adds), while saying it is behind."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from storage import migrate
from tests.bot.cli_helpers import Cadence


def migrated_by_a_newer_release(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cadence.db'}"
    cadence = Cadence(url)
    assert cadence("db", "upgrade").code == 0
    engine = sa.create_engine(url)
    with engine.begin() as connection:  # what the next release's migration leaves behind
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    engine.dispose()
    return url


def test_an_older_release_serves_a_database_a_newer_one_migrated_and_says_so(tmp_path: Path) -> None:
    cadence = Cadence(migrated_by_a_newer_release(tmp_path))
    result = cadence("org", "show")
    assert "newer than this Cadence" in result.err and "upgrade this replica" in result.err
    assert "not up to date" not in result.err


def test_an_older_release_refuses_to_migrate_a_newer_database_in_one_line(tmp_path: Path) -> None:
    cadence = Cadence(migrated_by_a_newer_release(tmp_path))
    result = cadence("db", "upgrade")
    assert result.code == 1
    assert result.err.strip().count("\n") == 0 and "upgrade Cadence itself" in result.err
    assert "Traceback" not in result.err


def test_db_current_tells_newer_from_behind(tmp_path: Path) -> None:
    cadence = Cadence(migrated_by_a_newer_release(tmp_path))
    assert "newer than this Cadence's" in cadence("db", "current").out
    assert migrate.is_newer_than_this_code("9999") and not migrate.is_newer_than_this_code(migrate.head_revision())

"""`cadence org sync` and the team_join / user_change events keep people in step with Slack."""

from __future__ import annotations

import io
from pathlib import Path

from sqlmodel import select

from bot.cli import main
from conversations.messages import Platform
from storage import org_import
from storage import people as people_store
from storage.database import Database
from storage.models import Person
from tests.bot.slack.harness import RunningCadence, wait_until
from tests.conftest import migrated_sqlite_file
from tests.fakes.slack_api import FakeSlackApi, slack_user
from tests.fakes.slack_requests import event_callback


def cli(database_url: str, slack: FakeSlackApi, *argv: str, monkeypatch) -> tuple[int, str, str]:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", slack.base_url)
    out, err = io.StringIO(), io.StringIO()
    code = main(["--database-url", database_url, *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def everyone(database: Database) -> dict[str, Person]:
    with database.session_scope() as session:
        return {person.display_name: person for person in session.exec(select(Person))}


def test_org_sync_reads_every_page_and_matches_people_by_email(
    tmp_path: Path, slack: FakeSlackApi, monkeypatch
) -> None:
    url = f"sqlite:///{migrated_sqlite_file(tmp_path / 'sync.db')}"
    database = Database(url)
    with database.session_scope() as session:
        from storage.workspaces import get_or_create_for_cli

        workspace = get_or_create_for_cli(session, None)
        assert org_import.import_org(
            session, workspace.id, "email,name,team\nada@acme.example,Ada from CSV,Platform\n"
        ).ok
    slack.users = [
        slack_user("U0001", "ada", real_name="Ada Lovelace", email="ADA@acme.example", tz="Europe/Berlin"),
        *[
            slack_user(f"U1{index:03d}", f"person{index}", email=f"p{index}@acme.example", tz="Asia/Kolkata")
            for index in range(450)
        ],
        slack_user("U0009", "gone", email="gone@acme.example", deleted=True),
        slack_user("UBOT", "cadence", is_bot=True),
        {**slack_user("U0008", "nowhere"), "tz": "Mars/Olympus"},
    ]
    code, out, err = cli(url, slack, "org", "sync", monkeypatch=monkeypatch)
    assert code == 0, err
    assert "Acme: 451 created, 1 updated, 0 unchanged, 2 skipped" in out
    assert len(slack.calls("users.list")) == 3  # 454 users in pages of 200
    people = everyone(database)
    ada = people["ada"]
    with database.session_scope() as session:
        slack_id = people_store.identity_of(session, ada.id, Platform.SLACK)
    assert (slack_id, ada.timezone, ada.team_id is not None) == ("U0001", "Europe/Berlin", True)
    assert people["nowhere"].timezone == "UTC"
    code, out, _ = cli(url, slack, "org", "sync", monkeypatch=monkeypatch)
    assert "0 created, 0 updated, 452 unchanged, 2 skipped" in out


def test_org_sync_without_a_token_is_one_line(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    url = f"sqlite:///{migrated_sqlite_file(tmp_path / 'x.db')}"
    assert main(["--database-url", url, "org", "sync"], out=out, err=err) == 1
    assert err.getvalue().count("\n") == 1 and "SLACK_BOT_TOKEN" in err.getvalue()


def test_team_join_and_user_change_keep_people_fresh(cadence: RunningCadence) -> None:
    joined = slack_user("U0042", "newbie", real_name="New Bie", email="new@acme.example", tz="Asia/Kolkata")
    assert cadence.post(event_callback({"type": "team_join", "user": joined})).status_code == 200
    wait_until(lambda: "newbie" in everyone(cadence.database), what="the new person")
    changed = {**joined, "deleted": True, "profile": {**joined["profile"], "display_name": "newbie2"}}
    cadence.post(event_callback({"type": "user_change", "user": changed}))
    wait_until(lambda: "newbie2" in everyone(cadence.database), what="the change")
    person = everyone(cadence.database)["newbie2"]
    assert (person.active, person.timezone, person.email) == (False, "Asia/Kolkata", "new@acme.example")

"""The audit log as an operator builds it and reads it: ``config apply``, ``goals import``, ``org
import`` (and each role it changes) and a status override typed in chat each leave one entry with
who, what, whom and when; ``cadence audit`` prints them oldest first, as text or JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlmodel import col, select

from conversations.messages import Platform
from storage import outbox
from storage.audit import command_line_actor
from storage.database import Database
from storage.models import DeliveryStatus, OutboxDelivery, Person
from tests.bot.cli_helpers import Cadence

ORG = """email,name,manager_email,team,timezone,role
ceo@acme.test,Cleo Park,,Leadership,Europe/Berlin,admin
sam@acme.test,Sam Okafor,ceo@acme.test,Platform,Europe/Berlin,manager
ada@acme.test,Ada Lovelace,sam@acme.test,Platform,Europe/Berlin,member
"""
GOALS = """period: 2026-Q4
goals:
  - title: Finish the parser
    owner: ada@acme.test
    key_results:
      - {title: Formats, start: 0, target: 4, current: 1}
"""
SETTINGS = """digest: {day: tuesday}
retention: {checkin_answers: 365, sent_messages: 30}
"""


@pytest.fixture
def history(cadence: Cadence, tmp_path: Path) -> Cadence:
    """Two weeks of admin work on Acme."""
    org, goals, settings = tmp_path / "org.csv", tmp_path / "goals.yaml", tmp_path / "cadence.yaml"
    org.write_text(ORG)
    goals.write_text(GOALS)
    settings.write_text(SETTINGS)
    with freeze_time("2026-11-02 09:00:00"):
        assert cadence("org", "import", org).code == 0
    with freeze_time("2026-11-02 09:05:00"):
        assert cadence("config", "apply", settings).code == 0
    with freeze_time("2026-11-02 09:10:00"):
        assert cadence("goals", "import", goals).code == 0
    with freeze_time("2026-11-03 14:00:00"):
        shell = cadence("shell", "--as", "ceo@acme.test", stdin="/goal status G-1 at risk waiting on legal\n")
        assert "G-1 is now 🟠 at risk" in shell.out
    with freeze_time("2026-11-10 08:00:00"):
        org.write_text(ORG.replace("Platform,Europe/Berlin,member", "Platform,Europe/Berlin,manager"))
        assert cadence("org", "import", org).code == 0
    return cadence


def test_every_admin_action_is_one_line_oldest_first(history: Cadence) -> None:
    cli = command_line_actor()
    with freeze_time("2026-11-12 10:00:00"):
        result = history("audit")
    assert result.code == 0 and result.err == ""
    assert result.out.splitlines() == [
        f"2026-11-02T09:00:00Z  {cli}  org imported: 3 people created, 0 updated, 0 unchanged",
        f"2026-11-02T09:00:00Z  {cli}  role changed  Cleo Park <ceo@acme.test>: new as admin",
        f"2026-11-02T09:00:00Z  {cli}  role changed  Sam Okafor <sam@acme.test>: new as manager",
        f"2026-11-02T09:05:00Z  {cli}  settings applied: changed digest, retention (from cadence.yaml)",
        f"2026-11-02T09:10:00Z  {cli}  goals imported: 1 goal created, 0 updated; 1 key result created, 0 updated",
        "2026-11-03T14:00:00Z  Cleo Park <ceo@acme.test>  status overridden  Ada Lovelace <ada@acme.test>: "
        "G-1: auto → at risk",
        f"2026-11-10T08:00:00Z  {cli}  org imported: 0 people created, 1 updated, 2 unchanged",
        f"2026-11-10T08:00:00Z  {cli}  role changed  Ada Lovelace <ada@acme.test>: member → manager",
    ]
    assert "legal" not in result.out, "an override's reason is the person's words: not in the log"


def test_since_takes_a_date_or_an_age(history: Cadence) -> None:
    with freeze_time("2026-11-12 10:00:00"):
        by_date = history("audit", "--since", "2026-11-03").out.splitlines()
        by_age = history("audit", "--since", "7d").out.splitlines()
        by_hours = history("audit", "--since", "48h")
    assert len(by_date) == 3 and by_date[0].startswith("2026-11-03T14:00:00Z")
    assert [line[:20] for line in by_age] == ["2026-11-10T08:00:00Z"] * 2
    assert (by_hours.out, by_hours.err) == ("", "cadence: no admin actions recorded since 2026-11-10T10:00:00+00:00\n")


def test_json_names_whom_by_name_and_email(history: Cadence) -> None:
    entries = json.loads(history("audit", "--format", "json", "--since", "2026-11-03").out)
    assert entries[0] == {
        "at": "2026-11-03T14:00:00Z",
        "workspace": "Cadence",
        "who": "Cleo Park <ceo@acme.test>",
        "what": "status_overridden",
        "whom": {"name": "Ada Lovelace", "email": "ada@acme.test"},
        "details": {"goal": "G-1", "old": "auto", "new": "at_risk"},
    }
    assert entries[-1]["details"] == {"old": "member", "new": "manager"}


def test_an_erased_person_is_never_named(history: Cadence) -> None:
    database = Database(history.database_url)
    with database.session_scope() as session:
        for person in session.exec(select(Person).where(col(Person.email).in_(["ada@acme.test", "ceo@acme.test"]))):
            person.erased_at = datetime(2026, 11, 11, tzinfo=UTC)
            session.add(person)
    database.dispose()
    out = history("audit", "--since", "2026-11-03").out
    assert "Ada" not in out and "Cleo" not in out
    assert "an erased person  status overridden  an erased person: G-1: auto → at risk" in out
    assert json.loads(history("audit", "--format", "json", "--since", "2026-11-10").out)[-1]["whom"] == {"erased": True}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ("--since", "last week"),
            "cadence: --since 'last week' is not a date or an age; write a date such as 2026-11-01",
        ),
        (("--since", "2026-13-01"), "cadence: --since '2026-13-01' is not a date or an age"),
        (("--workspace", "Globex"), "cadence: no workspace called 'Globex'"),
    ],
)
def test_a_wrong_option_is_one_line(history: Cadence, argv: tuple[str, ...], message: str) -> None:
    result = history("audit", *argv)
    assert result.code == 1 and result.out == ""
    assert result.err.startswith(message) and result.err.count("\n") == 1


def test_a_refused_file_leaves_no_entry(cadence: Cadence, tmp_path: Path) -> None:
    settings = tmp_path / "cadence.yaml"
    settings.write_text("retention: {checkin_answers: 30}\n")
    result = cadence("config", "apply", settings)
    assert result.code == 1 and "at least 90 days" in result.err
    assert cadence("audit").err == "cadence: no admin actions recorded\n"


def sent_messages(cadence: Cadence, sent_at: datetime, count: int) -> None:
    database = Database(cadence.database_url)
    with database.session_scope() as session:
        workspace_id = session.exec(select(Person)).first().workspace_id
        for index in range(count):
            outbox.enqueue(session, workspace_id=workspace_id, platform=Platform.SLACK, kind="x",
                           recipient="person:1", dedupe_key=f"{sent_at.date()}:{index}", payload={},
                           not_before=sent_at)  # fmt: skip
        for row in session.exec(select(OutboxDelivery).where(OutboxDelivery.sent_at.is_(None))):
            row.status, row.sent_at = DeliveryStatus.SENT, sent_at
            session.add(row)
    database.dispose()


def test_a_tick_that_removed_old_records_is_in_the_log(history: Cadence) -> None:
    sent_messages(history, datetime(2026, 10, 1, tzinfo=UTC), 3)
    tick = history("tick", "--at", "2026-11-12T10:00:00Z")
    assert tick.code == 0 and "retention: removed 3 sent messages" in tick.out
    assert history("audit", "--since", "2026-11-12").out.splitlines() == [
        "2026-11-12T10:00:00Z  cadence (retention settings)  retention applied: removed 3 sent messages "
        "(older than 30 days)"
    ]


def test_a_tick_for_an_instant_to_come_measures_ages_from_now(history: Cadence) -> None:
    """Time stands at 4 December 2026 (the fixture's clock): a message sent in October is past its 30
    days, one sent on 20 November is not, whatever instant the tick is asked to run for."""
    sent_messages(history, datetime(2026, 10, 1, tzinfo=UTC), 1)
    sent_messages(history, datetime(2026, 11, 20, tzinfo=UTC), 1)
    assert history("tick", "--at", "2027-06-01T10:00:00Z").code == 0
    database = Database(history.database_url)
    with database.session_scope() as session:
        kept = {row.dedupe_key for row in session.exec(select(OutboxDelivery))}
    database.dispose()
    assert "2026-11-20:0" in kept and "2026-10-01:0" not in kept

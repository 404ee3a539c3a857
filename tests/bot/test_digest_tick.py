"""Digests go out at the digest time where each manager lives, once per manager and week."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from freezegun import freeze_time
from sqlmodel import select

from bot.digest_tick import digest_producer
from bot.tick import enqueue_due
from conversations.messages import Platform
from conversations.workspace_settings import validate_settings
from storage import checkins, org_import, workspaces
from storage.connections import new_organisation
from storage.database import Database
from storage.models import OutboxDelivery, Person, ResponseStatus
from tests.bot.cli_helpers import Cadence
from tests.bot.test_cli import assert_one_line_error
from tests.bot.test_shell import transcript

ORG = """email,name,manager_email,team,timezone,role
cleo@acme.test,Cleo,,Leadership,America/New_York,admin
mia@acme.test,Mia,cleo@acme.test,Platform,Europe/Berlin,manager
ann@acme.test,Ann,mia@acme.test,Platform,Asia/Kolkata,member
kai@acme.test,Kai,cleo@acme.test,Design,Pacific/Auckland,manager
kim@acme.test,Kim,kai@acme.test,Design,Pacific/Auckland,member
"""


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def setup(database: Database, **settings) -> None:
    parsed, errors = validate_settings(settings)
    assert not errors
    with database.session_scope() as session:
        workspace = new_organisation(session, "Acme", Platform.SHELL, "acme")
        assert org_import.import_org(session, workspace.id, ORG).ok
        workspaces.apply_settings(session, workspace, parsed)
        ann = session.exec(select(Person).where(Person.email == "ann@acme.test")).one()
        cycle = checkins.cycle_for(session, workspace.id, "2026-W49", utc(2026, 12, 4))
        response = checkins.response_for(session, cycle.id, ann.id, utc(2026, 12, 4))
        response.status, response.mood = ResponseStatus.SUBMITTED, 4
        session.add(response)


def tick(database: Database, at: datetime) -> list[tuple[str, str]]:
    enqueue_due(database, at, [digest_producer()])
    with database.session_scope() as session:
        return [(row.kind, row.dedupe_key) for row in session.exec(select(OutboxDelivery).order_by(OutboxDelivery.id))]


def test_each_manager_gets_the_digest_at_nine_on_monday_in_their_own_zone(database: Database) -> None:
    setup(database)
    assert tick(database, utc(2026, 12, 6, 19, 59)) == []  # Monday 08:59 in Auckland
    sent = tick(database, utc(2026, 12, 6, 20, 0))
    assert [key for kind, key in sent if kind == "digest"] == ["digest:4:2026-W49"], "Kai, in Auckland"
    sent = tick(database, utc(2026, 12, 7, 8, 0))  # 09:00 in Berlin
    assert "digest:2:2026-W49" in [key for _, key in sent]
    sent = tick(database, utc(2026, 12, 7, 14, 0))  # 09:00 in New York: Cleo's digest and her admin roll-up
    assert {"digest:1:2026-W49", "rollup:1:2026-W49"} <= {key for _, key in sent}
    assert not any(key.startswith("digest:3:") or key.startswith("digest:5:") for _, key in sent), (
        "no reports, no digest"
    )


def test_a_repeated_tick_builds_nothing_new_and_a_late_one_catches_up_within_a_day(database: Database) -> None:
    setup(database)
    first = tick(database, utc(2026, 12, 7, 9, 30))
    assert tick(database, utc(2026, 12, 7, 9, 31)) == first
    assert len([key for _, key in first if key.startswith("digest:2:")]) == 1
    with database.session_scope() as session:
        chart = session.exec(
            select(OutboxDelivery).where(OutboxDelivery.dedupe_key == "digest_chart:2:2026-W49")
        ).first()
    assert chart is None, "one mood and no goals: nothing to draw, so no chart"


def test_a_digest_missed_for_more_than_a_day_is_not_sent_late(database: Database) -> None:
    setup(database)
    assert not any(key.startswith("digest:2:") for _, key in tick(database, utc(2026, 12, 8, 8, 1)))


def test_a_team_channel_gets_a_summary_without_mood_or_blockers(database: Database) -> None:
    setup(database, teams={"Platform": {"checkins": {"team_summary": True, "team_channel": "#platform"}}})
    tick(database, utc(2026, 12, 7, 8, 0))
    with database.session_scope() as session:
        summary = session.exec(select(OutboxDelivery).where(OutboxDelivery.kind == "team_weekly_summary")).one()
    assert (
        summary.recipient == "channel:#platform" and summary.dedupe_key == "team_summary:3:2026-W49:shell"
    )  # Slack keeps the bare key
    data = summary.payload["outbound"]["data"]
    assert (data["answered"], data["size"], data["rate"]) == (1, 2, 50)
    assert data["week_label"] == "last week, 30 Nov – 6 Dec", "in the team lead's time zone, on Monday"
    assert "mood" not in str(data) and "blocker" not in str(data)


@freeze_time("2026-12-07 09:00:00")
def test_digest_preview_prints_text_or_slack_and_honours_template_overrides(cadence: Cadence, tmp_path: Path) -> None:
    org = tmp_path / "org.csv"
    org.write_text(ORG)
    cadence("org", "import", org)
    ask_for_a_checkin(Database(cadence.database_url), "ann@acme.test", "2026-W49")
    text = cadence("digest", "preview", "--manager", "mia@acme.test")
    assert text.code == 0, text.err
    transcript(
        text.out,
        "Your team · last week, 30 Nov – 6 Dec",
        "Check-ins: 0 answered",
        "Missing: Ann",
        "Kudos: no kudos received",
    )
    slack = cadence("digest", "preview", "--manager", "mia@acme.test", "--week", "2026-W49", "--format", "slack")
    assert '"type": "header"' in slack.out and "Your team · last week, 30 Nov – 6 Dec" in slack.out
    overrides = tmp_path / "templates"
    overrides.mkdir()
    (overrides / "digest.j2").write_text(
        "{% block title %}Weekly note for {{ manager.display_name }}{% endblock %}{% block body %}{{ team.size }} reports{% endblock %}"
    )
    config = tmp_path / "settings.yaml"
    config.write_text(f"templates_dir: {overrides}\n")
    cadence("config", "apply", config)
    assert "Weekly note for Mia\n1 reports" in cadence("digest", "preview", "--manager", "mia@acme.test").out
    (overrides / "message_digest.json.j2").write_text(
        '[{"type": "section", "text": {"type": "mrkdwn", "text": {{ ("Custom layout: " ~ title) | tojson }}}}]'
    )
    assert (
        '"text": "Custom layout: Weekly note for Mia"'
        in cadence("digest", "preview", "--manager", "mia@acme.test", "--format", "slack").out
    )
    assert (
        cadence("digest", "preview", "--manager", "ann@acme.test")
        .err.strip()
        .endswith("has nobody reporting to them, so there is no digest")
    )
    assert "not an ISO week" in cadence("digest", "preview", "--manager", "mia@acme.test", "--week", "last").err


def ask_for_a_checkin(database: Database, email: str, week: str) -> None:
    """The check-in of ``week`` was sent to that person (not answered yet)."""
    with database.session_scope() as session:
        person = session.exec(select(Person).where(Person.email == email)).one()
        cycle = checkins.cycle_for(session, person.workspace_id, week, utc(2026, 12, 4, 9))
        checkins.response_for(session, cycle.id, person.id, utc(2026, 12, 4, 9))


def test_digest_preview_of_a_week_without_check_ins_says_so_in_one_line(cadence: Cadence, tmp_path: Path) -> None:
    org = tmp_path / "org.csv"
    org.write_text(ORG)
    with freeze_time("2026-11-02 09:00:00"):  # everyone joins on Monday of 2026-W45
        cadence("org", "import", org)
    database = Database(cadence.database_url)
    ask_for_a_checkin(database, "ann@acme.test", "2026-W49")
    with freeze_time("2026-12-07 09:00:00"):  # Mia's digest of 2026-W49 went out an hour ago
        future = cadence("digest", "preview", "--manager", "mia@acme.test", "--week", "2027-W02")
        before = cadence("digest", "preview", "--manager", "mia@acme.test", "--week", "2025-W10")
        quiet = cadence("digest", "preview", "--manager", "mia@acme.test", "--week", "2026-W47")
        this_week = cadence("digest", "preview", "--manager", "mia@acme.test", "--week", "2026-W50")
        latest = cadence("digest", "preview", "--manager", "mia@acme.test", "--week", "2026-W49")
        lowercase = cadence("digest", "preview", "--manager", "mia@acme.test", "--week", "2026-w49")
    assert lowercase.code == 0 and lowercase.out == latest.out, "a week typed in lowercase is the same week"
    assert_one_line_error(future, "2027-W02 hasn't happened yet; the latest week with check-ins is 2026-W49")
    assert_one_line_error(
        before,
        "nobody in Mia's team had a check-in in 2025-W10 (before they joined Cadence); "
        "the latest week with check-ins is 2026-W49",
    )
    assert_one_line_error(quiet, "nobody in Mia's team had a check-in in 2026-W47; the latest week with check-ins is")
    assert_one_line_error(this_week, "nobody in Mia's team has had a check-in in 2026-W50 yet")
    assert latest.code == 0 and "Missing: Ann" in latest.out


def test_reports_name_the_week_by_its_dates_on_the_readers_own_calendar(database: Database) -> None:
    setup(database)
    tick(database, utc(2026, 12, 6, 20, 0))  # Monday 09:00 in Auckland, still Sunday in UTC
    tick(database, utc(2026, 12, 7, 14, 0))  # Monday 09:00 in New York
    with database.session_scope() as session:
        labels = {
            row.dedupe_key: row.payload["outbound"]["data"]["week_label"]
            for row in session.exec(select(OutboxDelivery).where(OutboxDelivery.kind != "digest_chart"))
        }
    assert labels["digest:4:2026-W49"] == "last week, 30 Nov – 6 Dec", "Kai's Monday, not UTC's Sunday"
    assert labels["rollup:1:2026-W49"] == "last week, 30 Nov – 6 Dec"

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bot.cli_helpers import Cadence

ORG = """email,name,slack_id,teams_id,manager_email,team,timezone,role
ceo@acme.test,Cleo CEO,U1,,,Leadership,America/New_York,admin
lead@acme.test,Lee Lead,U2,,ceo@acme.test,Platform,Europe/Berlin,manager
dev@acme.test,Dee Dev,U3,,lead@acme.test,Platform,Asia/Kolkata,member
ops@acme.test,Oz Ops,U4,,lead@acme.test,Platform,Pacific/Auckland,member
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.code != 0
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err
    for fragment in fragments:
        assert fragment in lines[0]


def test_db_upgrade_reports_the_revision(cadence: Cadence) -> None:
    result = cadence("db", "current")
    assert result.code == 0 and "(up to date)" in result.out


def test_commands_on_an_unmigrated_database_say_to_upgrade(tmp_path: Path) -> None:
    result = Cadence(f"sqlite:///{tmp_path / 'fresh.db'}")("org", "show")
    assert_one_line_error(result, "cadence db upgrade")


def test_org_import_then_show_prints_the_tree(cadence: Cadence, tmp_path: Path) -> None:
    result = cadence("org", "import", write(tmp_path, "org.csv", ORG))
    assert result.code == 0, result.err
    assert "4 created, 0 updated, 0 unchanged, 0 rejected" in result.out
    tree = cadence("org", "show").out.splitlines()
    assert tree[0] == "Cadence: 4 people"
    assert tree[1].startswith("Cleo CEO · <ceo@acme.test> · admin · Leadership")
    assert tree[2].startswith("└── Lee Lead")
    assert tree[3].startswith("    ├── Dee Dev")
    assert tree[4].startswith("    └── Oz Ops") and "Pacific/Auckland" in tree[4]


def test_a_second_import_of_the_same_file_changes_nothing(cadence: Cadence, tmp_path: Path) -> None:
    path = write(tmp_path, "org.csv", ORG)
    cadence("org", "import", path)
    assert "0 created, 0 updated, 4 unchanged" in cadence("org", "import", path).out


def test_a_bad_org_file_lists_each_line_and_imports_nothing(cadence: Cadence, tmp_path: Path) -> None:
    bad = ORG + "new@acme.test,New,,,nobody@acme.test,,Mars/Olympus,\n"
    result = cadence("org", "import", write(tmp_path, "org.csv", bad))
    assert result.code == 1 and result.out == ""
    lines = result.err.strip().splitlines()
    assert (
        lines[0]
        == f"{tmp_path / 'org.csv'}: line 6: unknown time zone 'Mars/Olympus'; use an IANA name such as Europe/Berlin"
    )
    assert lines[-1].startswith("cadence: nothing imported: 1 row was rejected")
    assert "no workspace yet" in cadence("org", "show").err


def test_a_missing_file_is_one_line(cadence: Cadence, tmp_path: Path) -> None:
    assert_one_line_error(cadence("org", "import", tmp_path / "nope.csv"), "nope.csv: no such file")


def test_a_bad_command_line_is_one_line(cadence: Cadence) -> None:
    assert_one_line_error(cadence("org", "frobnicate"), "invalid choice", "--help")


def test_a_bad_database_url_is_one_line(tmp_path: Path) -> None:
    assert_one_line_error(Cadence("mysql://root@localhost/x")("db", "upgrade"), "DATABASE_URL", "postgresql+psycopg")


def test_config_apply_stores_settings_and_show_prints_the_effective_ones(cadence: Cadence, tmp_path: Path) -> None:
    config = write(
        tmp_path,
        "cadence.yaml",
        'checkins:\n  day: thursday\n  time: 9:30\n  questions:\n    - {id: ok, kind: single_choice, text: "OK?", options: [yes, no]}\n'
        "kudos: {values: [ownership, customer-first]}\nholidays: [2026-12-25]\n",
    )
    result = cadence("config", "apply", config)
    assert result.code == 0, result.err
    assert "company values: 2 added" in result.out
    shown = cadence("config", "show").out
    assert "day: thursday" in shown and "time: 09:30" in shown
    assert "- 'yes'" in shown or "- yes" in shown
    assert "2026-12-25" in shown
    assert "daily_allowance: 5" in shown


def test_config_errors_name_the_line_and_key_and_nothing_is_stored(cadence: Cadence, tmp_path: Path) -> None:
    config = write(
        tmp_path, "cadence.yaml", 'checkins:\n  day: friday\n  time: "25:00"\nkudos:\n  daily_allowanse: 3\n'
    )
    result = cadence("config", "apply", config)
    assert result.code == 1
    lines = result.err.strip().splitlines()
    assert lines[0].startswith(f'{config}:3: checkins.time: "25:00" is not a time of day')
    assert lines[1].startswith(f"{config}:5: kudos.daily_allowanse: unknown setting")
    assert "nothing applied" in lines[-1]
    assert "no workspace yet" in cadence("config", "show").err


BAD_SETTINGS = """checkins:
  day: fridy
  time: "25:00"
  questions:
    - {id: mood, kind: moood, text: "How was your week?"}
    - {id: mood, kind: single_choice, text: "Pick one", options: [yes, no, yes]}
kudos:
  daily_allowanse: 3
  emojis: [clap, ":clap:"]
  values: [ownership, Ownership]
holidays: [2026-12-25, 2026-12-25]
teams:
  Platfrom:
    checkins: {day: thursday}
templates_dir: ./cadence-templates
"""


def test_config_apply_reports_every_problem_of_the_file_in_line_order(cadence: Cadence, tmp_path: Path) -> None:
    cadence("org", "import", write(tmp_path, "org.csv", ORG))
    config = write(tmp_path, "cadence.yaml", BAD_SETTINGS)
    result = cadence("config", "apply", config)
    assert result.code == 1 and result.out == ""
    lines = result.err.strip().splitlines()
    assert [line.removeprefix(f"{config}:").split(": ")[0:2] for line in lines[:-1]] == [
        ["2", "checkins.day"],
        ["3", "checkins.time"],
        ["5", "checkins.questions.0.kind"],
        ["6", "checkins.questions.1.id"],
        ["6", "checkins.questions.1.options.2"],
        ["8", "kudos.daily_allowanse"],
        ["9", "kudos.emojis.1"],
        ["10", "kudos.values.1"],
        ["11", "holidays.1"],
        ["13", "teams.Platfrom"],
        ["15", "templates_dir"],
    ]
    assert lines[-1] == f"cadence: {config}: nothing applied; fix the 11 problems above"
    assert (
        lines[9] == f'{config}:13: teams.Platfrom: there is no team "Platfrom"; teams come from the org file '
        '(Leadership, Platform); did you mean "Platform"?'
    )
    assert "did you mean" in lines[0] and "did you mean" in lines[5]
    assert "Input should" not in result.err and "Field required" not in result.err
    shown = cadence("config", "show").out
    assert "day: friday" in shown and "Platfrom" not in shown and "ownership" not in shown, "nothing was stored"


def test_one_problem_is_a_problem_not_problems(cadence: Cadence, tmp_path: Path) -> None:
    result = cadence("config", "apply", write(tmp_path, "cadence.yaml", "kudos: {daily_allowance: 0}\n"))
    assert result.err.strip().splitlines()[-1].endswith("nothing applied; fix the problem above")


@pytest.mark.parametrize("text", ["", "# nothing yet\n\n# really\n"])
def test_an_empty_settings_file_is_refused_and_keeps_the_company_values(
    cadence: Cadence, tmp_path: Path, text: str
) -> None:
    assert cadence("config", "apply", write(tmp_path, "full.yaml", "kudos: {values: [ownership]}\n")).code == 0
    empty = write(tmp_path, "empty.yaml", text)
    result = cadence("config", "apply", empty)
    assert result.code == 1
    lines = result.err.strip().splitlines()
    assert lines[0].startswith(f"{empty}: the file has no settings") and "apply a file containing {}" in lines[0]
    assert lines[1] == f"cadence: {empty}: nothing applied; fix the problem above"
    assert "slug: ownership" in cadence("config", "show").out
    back_to_defaults = cadence("config", "apply", write(tmp_path, "defaults.yaml", "{}\n"))
    assert back_to_defaults.code == 0 and "1 retired" in back_to_defaults.out


def test_team_overrides_need_a_team_of_the_org(cadence: Cadence, tmp_path: Path) -> None:
    config = write(tmp_path, "cadence.yaml", "teams:\n  Platform:\n    checkins: {day: thursday}\n")
    result = cadence("config", "apply", config)
    assert result.code == 1, "no org imported yet, so there are no teams"
    assert "teams come from the org file, which names none yet" in result.err
    cadence("org", "import", write(tmp_path, "org.csv", ORG))
    assert cadence("config", "apply", config).code == 0


def test_a_missing_templates_dir_is_refused_with_the_path_looked_at(cadence: Cadence, tmp_path: Path) -> None:
    config = write(tmp_path, "cadence.yaml", "templates_dir: ./cadence-templates\n")
    result = cadence("config", "apply", config)
    assert result.err.startswith(
        f"{config}:1: templates_dir: there is no directory {tmp_path / 'cadence-templates'}; create it"
    )
    write(tmp_path, "cadence-templates", "a file, not a directory")
    assert "is a file; templates_dir names the directory" in cadence("config", "apply", config).err
    (tmp_path / "cadence-templates").unlink()
    (tmp_path / "cadence-templates").mkdir()
    assert cadence("config", "apply", config).code == 0


def test_config_that_is_not_yaml_is_one_line(cadence: Cadence, tmp_path: Path) -> None:
    assert_one_line_error(
        cadence("config", "apply", write(tmp_path, "bad.yaml", "checkins: [day: friday\n")), "bad.yaml:"
    )


@pytest.mark.parametrize("at", ["2026-12-02T10:00:00Z", "2026-12-02T10:00"])
def test_tick_delivers_pending_rows_once(cadence: Cadence, tmp_path: Path, at: str) -> None:
    from datetime import UTC, datetime

    from sqlmodel import select

    from conversations.destinations import DirectMessage
    from conversations.messages import Outbound, Platform
    from storage import connections, outbox
    from storage.database import Database
    from storage.models import Person, Workspace

    cadence("org", "import", write(tmp_path, "org.csv", ORG))
    database = Database(cadence.database_url)
    with database.session_scope() as session:
        dev = session.exec(select(Person).where(Person.email == "dev@acme.test")).one()
        connections.connect(session, session.get(Workspace, dev.workspace_id), Platform.SHELL, "acme")
        row = outbox.message_row(
            workspace_id=dev.workspace_id,
            platform=Platform.SHELL,
            message=Outbound("not_understood", {"text": "x"}),
            destination=DirectMessage(dev.id),
            dedupe_key="hint:1",
            not_before=datetime(2026, 12, 2, 9, 0, tzinfo=UTC),
        )
        outbox.enqueue_many(session, [row])
    first = cadence("tick", "--at", at)
    assert first.code == 0
    assert "--- to Dee Dev ---" in first.out and "Sorry, I didn't get that" in first.out
    assert "1 sent" in first.out
    second = cadence("tick", "--at", at)
    assert "0 sent" in second.out and "Dee Dev" not in second.out


def test_tick_refuses_a_malformed_instant(cadence: Cadence) -> None:
    assert_one_line_error(cadence("tick", "--at", "next friday"), "ISO 8601", "2026-12-04T10:00:00Z")


def test_python_dash_m_bot_is_the_same_cli() -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "org" in result.stdout and "shell" in result.stdout


def test_an_unknown_workspace_is_one_line_naming_the_known_ones(cadence: Cadence, tmp_path: Path) -> None:
    result = cadence("org", "show", "--workspace", "nope")
    assert result.code == 1 and result.err == "cadence: no workspace called 'nope'; known workspaces: none yet\n"


def test_an_impossible_date_or_number_in_a_file_is_a_line_not_a_traceback(cadence: Cadence, tmp_path: Path) -> None:
    settings = tmp_path / "settings.yaml"
    settings.write_text(
        'holidays: [2026-02-30]\ncheckins:\n  questions:\n    - {id: n, kind: number, text: "How many", minimum: .nan}\n'
    )
    result = cadence("config", "apply", settings)
    assert result.code == 1 and "Traceback" not in result.err
    assert 'holidays.0: "2026-02-30" is not a date' in result.err and "minimum" in result.err
    org = tmp_path / "org.csv"
    org.write_text("email,name\nada@acme.test,Ada\n")
    cadence("org", "import", org)
    goals = tmp_path / "goals.yaml"
    goals.write_text(
        "period: 2026-Q4\ngoals:\n  - title: X\n    owner: ada@acme.test\n    key_results:\n"
        "      - {title: A, target: 1e400}\n      - {title: B, weight: .inf}\n"
    )
    imported = cadence("goals", "import", goals)
    assert imported.code == 1 and "Traceback" not in imported.err and "fix the 2 problems above" in imported.err


def test_serve_port_zero_asks_for_any_free_port_not_the_default() -> None:
    import argparse
    import io
    from datetime import UTC, datetime

    from bot.cli import Context, _port
    from bot.config import AppConfig

    streams = io.StringIO()
    context = Context(AppConfig(_env_file=None, port=3000), streams, streams, streams, lambda: datetime.now(UTC))
    assert _port(argparse.Namespace(port=0), context) == 0
    assert _port(argparse.Namespace(port=None), context) == 3000

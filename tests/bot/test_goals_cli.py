"""Goals as code from the command line, and goals in the shell."""

from __future__ import annotations

from pathlib import Path

from freezegun import freeze_time

from tests.bot.cli_helpers import Cadence
from tests.bot.test_shell import transcript

ORG = "email,name,manager_email,team,timezone,role\nceo@acme.test,Cleo,,Leadership,Europe/Berlin,admin\nada@acme.test,Ada,ceo@acme.test,Platform,Europe/Berlin,member\n"
GOALS = """period: 2026-Q4
goals:
  - title: Grow revenue
    level: company
    owner: ceo@acme.test
    key_results:
      - {title: ARR, metric: currency, start: 1000, target: 2000, current: 1500, unit: EUR}
    goals:
      - title: Finish the parser
        owner: ada@acme.test
        key_results:
          - {title: Formats, start: 0, target: 4, current: 1}
"""


def prepare(cadence: Cadence, tmp_path: Path) -> None:
    org = tmp_path / "org.csv"
    org.write_text(ORG)
    assert cadence("org", "import", org).code == 0


@freeze_time("2026-11-20 10:00:00")
def test_goals_import_export_round_trip(cadence: Cadence, tmp_path: Path) -> None:
    prepare(cadence, tmp_path)
    path = tmp_path / "goals.yaml"
    path.write_text(GOALS)
    result = cadence("goals", "import", path)
    assert result.code == 0, result.err
    assert "2 goals created, 0 updated; 2 key results created" in result.out
    exported = cadence("goals", "export").out
    assert "id: G-1" in exported and "id: KR-2" in exported and "owner: ada@acme.test" in exported
    path.write_text(exported)
    assert "0 goals created, 2 updated" in cadence("goals", "import", path).out


@freeze_time("2026-11-20 10:00:00")
def test_a_bad_goals_file_names_the_line_and_imports_nothing(cadence: Cadence, tmp_path: Path) -> None:
    prepare(cadence, tmp_path)
    path = tmp_path / "goals.yaml"
    path.write_text(GOALS.replace("start: 0, target: 4", "start: 4, target: 4"))
    result = cadence("goals", "import", path)
    assert result.code == 1 and result.out == ""
    lines = result.err.strip().splitlines()
    assert lines[0].startswith(f"{path}:12: goals.0.goals.0.key_results.0: target equals start")
    assert "nothing imported" in lines[-1]
    path.write_text(
        GOALS.replace("owner: ceo@acme.test", "owner: cleo@acme.test").replace("period: 2026-Q4", "period: 2026-Q3")
    )
    lines = cadence("goals", "import", path).err.strip().splitlines()
    assert lines[0].startswith(f"{path}:3: goals.0.period: 2026-Q3 has ended")
    assert any(line.startswith(f"{path}:5: goals.0.owner: nobody has the email cleo@acme.test") for line in lines)
    assert "goals: []" in cadence("goals", "export").out


@freeze_time("2026-11-20 10:00:00")
def test_goals_in_the_shell(cadence: Cadence, tmp_path: Path) -> None:
    prepare(cadence, tmp_path)
    path = tmp_path / "goals.yaml"
    path.write_text(GOALS)
    cadence("goals", "import", path)
    lines = [
        "/goal",
        '/goal update KR-2 3 "two more formats"',
        "/goal show G-1",
        "/goal close G-1 achieved",
        "/goal status G-2 at risk waiting on specs",
        "goal close G-2 finished",
        "goal close G-2 done",
        "goal reopen G-2",
        "/goal",
    ]
    out = cadence("shell", "--as", "ada@acme.test", stdin="\n".join(lines) + "\n").out
    transcript(
        out,
        "G-2 Finish the parser · 2026-Q4\n▓▓▓░░░░░░░ 25% · 🔴 off track",
        "KR-2 Formats: 1, target 4 (25%)",
        "✅ KR-2 Formats: 1 → 3",
        "G-1 Grow revenue\nG-1 Grow revenue · ▓▓▓▓▓▓░░░░ 63% · 🟢 on track",
        "  KR-1 ARR: 1,500 EUR, target 2,000 EUR (50%)",
        "    G-2 Finish the parser · ▓▓▓▓▓▓▓▓░░ 75% · 🟢 on track",
        "You can't change G-1: people edit their own goals, managers their reports', admins the company's.",
        "G-2 is now 🟠 at risk: waiting on specs.",
        '"finished" isn\'t how a goal ends. Say how it ended: achieved (or done), missed or dropped',
        "G-2 Finish the parser is closed as achieved. Closed by mistake? goal reopen G-2.",
        "G-2 Finish the parser is open again (it was achieved).",
        "▓▓▓▓▓▓▓▓░░ 75% · 🟠 at risk",
    )

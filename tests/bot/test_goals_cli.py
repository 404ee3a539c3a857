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


@freeze_time("2026-11-20 10:00:00")
def test_importing_the_same_file_twice_updates_instead_of_creating_twins(cadence: Cadence, tmp_path: Path) -> None:
    prepare(cadence, tmp_path)
    path = tmp_path / "goals.yaml"
    path.write_text(GOALS)
    assert cadence("goals", "import", path).code == 0
    before = cadence("goals", "export").out
    again = cadence("goals", "import", path)
    assert again.code == 0, again.err
    assert again.out == (
        f"{path}: 0 goals created, 2 updated (2 matched by title, owner and period); "
        "0 key results created, 2 updated (2 matched by title)\n"
    )
    assert cadence("goals", "export").out == before, "the second import changed nothing"
    path.write_text(GOALS.replace("title: Finish the parser", "title: '  finish THE   parser '"))
    assert "0 goals created, 2 updated (2 matched" in cadence("goals", "import", path).out
    assert "G-3" not in cadence("goals", "export").out


@freeze_time("2026-11-20 10:00:00")
def test_one_new_goal_is_a_goal_not_goals(cadence: Cadence, tmp_path: Path) -> None:
    prepare(cadence, tmp_path)
    path = tmp_path / "goals.yaml"
    path.write_text("period: 2026-Q4\ngoals:\n  - {title: Grow, level: company, owner: ceo@acme.test}\n")
    assert (
        cadence("goals", "import", path).out == f"{path}: 1 goal created, 0 updated; 0 key results created, 0 updated\n"
    )


BAD_GOALS = """period: 2026-Q3
goals:
  - title: Grow revenue
    level: compnay
    owner: cleo@acme.test
    key_results:
      - {title: ARR, metric: currency, start: 1000, target: 1000}
      - {titel: Churn, target: 2, weight: 0}
    goals:
      - title: Finish the parser
        team: Platfrom
        owner: ada@acme.test
        period: 2027-Q1
      - id: G-99
        title: Unknown
  - just a title
"""


@freeze_time("2026-11-20 10:00:00")
def test_a_goals_file_with_many_kinds_of_mistakes_reports_them_all_in_one_run(cadence: Cadence, tmp_path: Path) -> None:
    prepare(cadence, tmp_path)
    path = tmp_path / "goals.yaml"
    path.write_text(BAD_GOALS)
    result = cadence("goals", "import", path)
    assert result.code == 1 and result.out == ""
    lines = result.err.strip().splitlines()
    assert [line.removeprefix(f"{path}:").split(": ")[0:2] for line in lines[:-1]] == [
        ["3", "goals.0.period"],
        ["4", "goals.0.level"],
        ["5", "goals.0.owner"],
        ["7", "goals.0.key_results.0"],
        ["8", "goals.0.key_results.1.title"],
        ["8", "goals.0.key_results.1.weight"],
        ["8", "goals.0.key_results.1.titel"],
        ["11", "goals.0.goals.0.team"],
        ["13", "goals.0.goals.0.period"],
        ["14", "goals.0.goals.1.id"],
        ["14", "goals.0.goals.1.owner"],
        ["16", "goals.1"],
    ]
    assert lines[-1] == f"cadence: {path}: nothing imported; fix the 12 problems above"
    assert lines[1].endswith('"compnay" is not one of the choices (company, team, person); did you mean "company"?')
    assert lines[7].endswith(
        'there is no team "Platfrom"; teams come from the org file (Leadership, Platform); did you mean "Platform"?'
    )
    assert "Input should" not in result.err and "Field required" not in result.err
    assert "goals: []" in cadence("goals", "export").out


@freeze_time("2026-11-20 10:00:00")
def test_importing_the_seed_file_again_keeps_what_people_did_in_chat(cadence: Cadence, tmp_path: Path) -> None:
    prepare(cadence, tmp_path)
    path = tmp_path / "goals.yaml"
    path.write_text(GOALS)
    cadence("goals", "import", path)
    chat = cadence("shell", "--as", "ada@acme.test", stdin="goal update KR-2 3, confidence 4\ngoal close G-2 done\n")
    assert "Formats: 1 → 3" in chat.out and "closed as achieved" in chat.out
    assert cadence("goals", "import", path).code == 0
    after = cadence("shell", "--as", "ada@acme.test", stdin="goal show G-2\n").out
    assert "G-2 Finish the parser · ▓▓▓▓▓▓▓▓░░ 75% · 🟢 on track · achieved" in after, after
    assert "KR-2 Formats: 3, target 4 (75%)" in after

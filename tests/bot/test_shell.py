"""The shell as a user meets it: typed lines in, the bot's words out."""

from __future__ import annotations

from pathlib import Path

from tests.bot.cli_helpers import Cadence


def transcript(output: str, *expected: str) -> None:
    """Each expected fragment appears, in this order."""
    position = 0
    for fragment in expected:
        found = output.find(fragment, position)
        assert found >= 0, f"{fragment!r} not found after position {position} in:\n{output}"
        position = found + len(fragment)


def test_make_run_without_credentials_opens_the_demo_shell(cadence: Cadence) -> None:
    result = cadence("run", stdin="whoami\nhelp\n")
    assert result.code == 0, result.err
    transcript(
        result.out,
        "This is the DEMO workspace with sample people",
        "you are Sam Okafor (demo)",
        "Manager: Maya Chen (demo)",
        "Direct reports: 3",
        "Time zone: Europe/Berlin (it is Friday 10:30 for you now)",
        "Hi Sam Okafor (demo), I'm Cadence.",
        "For managers",
        "Bye.",
    )


def test_the_demo_is_seeded_once_and_kept_in_its_own_file(cadence: Cadence, tmp_path: Path) -> None:
    cadence("run", stdin="")
    cadence("run", stdin="")
    assert (tmp_path / "demo.db").exists()
    assert "no workspace yet" in cadence("org", "show").err


def test_as_switches_person_and_time_moves_the_clock(cadence: Cadence) -> None:
    result = cadence(
        "shell",
        "--demo",
        stdin="/as aroha.ngata@demo.example\nwhoami\n/time 2026-12-07T08:15\nwhoami\n/as nobody@demo.example\n",
    )
    transcript(
        result.out,
        "You are now Aroha Ngata (demo) (Pacific/Auckland).",
        "it is Friday 22:30 for you now",
        "Clock set to Mon 2026-12-07 08:15 Pacific/Auckland.",
        "it is Monday 08:15 for you now",
        "Nobody here goes by 'nobody@demo.example'",
        "Bye.",
    )


def test_a_bad_time_is_explained_with_an_example(cadence: Cadence) -> None:
    result = cadence("shell", "--demo", stdin="/time tomorrowish\n")
    assert "write it like /time 2026-12-04T10:00" in result.out


def test_unknown_commands_and_text_point_to_help(cadence: Cadence) -> None:
    result = cadence("shell", "--demo", stdin="/dance\nwhat's up with the weather\n/chekin\nkudo @priya for the demo\n")
    transcript(
        result.out,
        "I don't know dance. Say help to see what I can do",
        "Sorry, I didn't get that. Say help to see what I can do",
        "I don't know chekin. Did you mean checkin?",
        "Sorry, I didn't get that. Did you mean kudos?",
    )


def test_end_of_input_leaves_cleanly_without_a_trailing_newline(cadence: Cadence) -> None:
    result = cadence("shell", "--demo", stdin="whoami")
    assert result.code == 0 and result.out.rstrip().endswith("Bye.")
    assert "Name: Sam Okafor (demo)" in result.out


def test_shell_on_the_main_database_speaks_as_the_given_person(cadence: Cadence, tmp_path: Path) -> None:
    org = tmp_path / "org.csv"
    org.write_text("email,name,timezone\nada@acme.test,Ada,Europe/London\n")
    cadence("org", "import", org)
    result = cadence("shell", "--as", "ada@acme.test", stdin="whoami\n")
    transcript(result.out, "you are Ada", "Time zone: Europe/London (it is Friday 09:30 for you now)")
    missing = cadence("shell", "--as", "bob@acme.test")
    assert missing.code == 1 and "no person 'bob@acme.test'" in missing.err


def test_the_demo_can_be_started_afresh_and_never_resets_real_data(cadence: Cadence) -> None:
    cadence("shell", "--demo", stdin="kudos @priya for the review\n")
    assert "1 kudos received" in cadence("shell", "--demo", "--as", "priya", stdin="kudos stats\n").out
    fresh = cadence("shell", "--demo", "--reset", "--as", "priya", stdin="kudos stats\n")
    assert "the demo starts afresh" in fresh.err and "This week: no kudos received" in fresh.out
    refused = cadence("shell", "--reset")
    assert refused.code == 1 and "--reset only works with --demo" in refused.err

"""The weekly check-in as a person meets it in the shell: prompted at their local time, answering,
resuming, editing, and their manager replying."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from tests.bot.cli_helpers import Cadence
from tests.bot.test_shell import transcript

pytestmark = pytest.mark.usefixtures("migrated_demo")  # the demo is these tests' world


def run_demo(cadence: Cadence, lines: list[str]) -> str:
    result = cadence("shell", "--demo", "--as", "priya.nair@demo.example", stdin="\n".join(lines) + "\n")
    assert result.code == 0, result.err
    return result.out


@freeze_time("2026-12-02 08:00:00")
def test_a_check_in_from_prompt_to_manager_reply(cadence: Cadence) -> None:
    out = run_demo(
        cadence,
        [
            "/time 2026-12-03T10:00",  # Thursday 10:00 in Kolkata: the Platform team checks in on Thursdays
            "1",  # Start check-in
            "7",
            "good",
            "Shipped the importer",
            "pause",
            "/checkin",
            "Roadmap review",
            "none",
            "/as sam.okafor@demo.example",
            "1",  # Reply
            "Great week, thank you!",
            "/as priya.nair@demo.example",
            "/checkin history",
        ],
    )
    transcript(
        out,
        "Clock set to Thu 2026-12-03 10:00 Asia/Kolkata.",
        "Time for your weekly check-in\nHi Priya Nair (demo)! How did your week go (30 Nov – 6 Dec)? 4 short questions",
        "[1] Start check-in  [2] Open form  [3] Skip this week",
        "1/4 How was your week?",
        "Please answer with a number from 1 to 5, where 1 is Awful and 5 is Great, for example 4.",
        "2/4 What did you get done this week?",
        "3/4 What are your priorities for next week?",
        "Paused. I've kept your 2 answers for 30 Nov – 6 Dec",
        "Welcome back! Picking up where you stopped.",
        "3/4 What are your priorities for next week?",
        "4/4 Is anything blocking you?",
        "Thanks, your check-in is in ✅",
        "--- to Sam Okafor (demo) ---\nPriya Nair (demo) shared their check-in for 30 Nov – 6 Dec",
        "Shipped the importer",
        "[1] Reply  [2] Thanks 🙏",
        "You are now Sam Okafor (demo)",
        "Write your reply to Priya Nair (demo).",
        "Your reply to Priya Nair (demo) (required)",
        "Your reply is on its way to Priya Nair (demo).",
        "--- to Priya Nair (demo) ---\nSam Okafor (demo) replied to your check-in for 30 Nov – 6 Dec:\n> Great week, thank you!",
        "30 Nov – 6 Dec · submitted",
        "• What did you get done this week?: Shipped the importer",
    )


@freeze_time("2026-12-02 08:00:00")
def test_answering_in_the_form_and_editing_until_the_check_in_closes(cadence: Cadence) -> None:
    out = run_demo(
        cadence,
        [
            "/time 2026-12-03T10:00",
            "2",  # Open form
            "9",
            "4",
            "",
            "Shipped it",
            "Next things",
            "",
            "/checkin",
            "all",
            "keep",
            "Shipped it twice",
            "keep",
            "keep",
            "/time 2026-12-08T09:00",
            "/checkin",
        ],
    )
    transcript(
        out,
        "[form: Check-in 30 Nov – 6 Dec: answer each field below]",
        "How was your week? (required)\n  [1] 1 · Awful",
        "Pick one of the numbers shown, for example 1.",
        "What did you get done this week? (required)",
        "This one is required.",
        "Thanks, your check-in is in ✅",
        "Which one do you want to change? Reply with its number, or all to go through every answer.",
        "Let's go through your answers for 30 Nov – 6 Dec again.",
        "Current answer: 4 · Good",
        "Check-in updated ✅",
        "Shipped it twice",
        "--- to Sam Okafor (demo) ---\nPriya Nair (demo) updated their check-in",
        "Clock set to Tue 2026-12-08 09:00 Asia/Kolkata.",
        "Great, 4 questions, about 2 minutes.",  # last week's check-in closed; /checkin now starts week 50's early
    )
    assert out.count("Check-in updated") == 1


@freeze_time("2026-12-02 08:00:00")
def test_skipping_a_week_and_recording_time_off(cadence: Cadence) -> None:
    out = run_demo(
        cadence,
        [
            "/checkin away 2026-12-10 2026-12-18",
            "checkin away Dec 28 to Jan 3",
            "checkin away list",
            "/time 2026-12-03T10:00",
            "3",
            "Offsite all week",
            "/time 2026-12-10T10:00",
            "/as sam",
        ],
    )
    transcript(
        out,
        "Enjoy your time off! Thu 10 Dec – Fri 18 Dec: I won't ask you to check in",
        "Enjoy your time off! Mon 28 Dec – Sun 3 Jan 2027",
        "Your time off:\n1. Thu 10 Dec – Fri 18 Dec\n2. Mon 28 Dec – Sun 3 Jan 2027",
        "Skipping your check-in for 30 Nov – 6 Dec. Want to tell Sam Okafor (demo) why?",
        "Okay, your check-in for 30 Nov – 6 Dec is skipped (Offsite all week). I've let Sam Okafor (demo) know, with your reason.",
        "--- to Sam Okafor (demo) ---\nPriya Nair (demo) skipped their check-in for 30 Nov – 6 Dec:\n> Offsite all week",
        "Clock set to Thu 2026-12-10 10:00 Asia/Kolkata.",
    )
    after_time_off = out.split("Clock set to Thu 2026-12-10")[1]
    assert "Hi Priya Nair (demo)! How did your week go (7 – 13 Dec)?" not in after_time_off

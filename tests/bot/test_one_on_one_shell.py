"""1:1s in the shell, the whole way through: a manager and a report build the agenda from both sides
(typed and through the forms), each keeps a private note the other never sees, each gets the agenda
the working day before in their own time zone, late points reach the other side, and what wasn't
discussed carries over to the next week."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from tests.bot.cli_helpers import Cadence
from tests.bot.test_shell import transcript

pytestmark = pytest.mark.usefixtures("migrated_demo")  # the demo is these tests' world


@freeze_time("2026-12-01 08:00:00")  # Tuesday; 1:1s are on Thursdays at 15:00 in the manager's zone
def test_a_1on1_from_the_first_command_to_the_next_weeks_agenda(cadence: Cadence) -> None:
    lines = [
        "1on1",
        "1on1 @priya",
        "1",  # Add a talking point
        "Roadmap for Q1",
        '1on1 add @priya "career plan"',
        "1on1 action @priya @priya send the draft",
        "1on1 private @priya ask about the team move",
        "1on1 @jordan",
        "1on1 done @priya 9",
        "/as priya",
        "1on1 @sam",
        "2",  # Add a note
        "I would like to present at the offsite",
        "2",  # Only me
        "/time 2026-12-02T09:00",  # Wednesday 09:00 in Kolkata: Priya's agenda
        "1on1 add @sam conference budget",
        "/as sam",
        "/time 2026-12-02T09:00",  # Wednesday 09:00 in Berlin: Sam's
        "1on1 done @priya 1 4",
        "/as priya",
        "1on1 add @sam one more thing",
        "/time 2026-12-08T10:00",
        "1on1 @sam",
    ]
    result = cadence("shell", "--demo", stdin="\n".join(lines) + "\n")
    assert result.code == 0, result.err
    out = result.out
    transcript(
        out,
        "Your 1:1s\n• Maya Chen (demo) (your manager): no 1:1s yet, 1on1 @maya.chen starts them",
        "• Priya Nair (demo): no 1:1s yet, 1on1 @priya.nair starts them",
        "1:1 with Priya Nair (demo)\nNext: Thu 3 Dec 15:00 · every Thursday at 15:00",
        "[1] Add a talking point  [2] Add a note",
        "What do you want to talk about with Priya Nair (demo)? (required)",
        "Added to your 1:1 with Priya Nair (demo) on Thu 3 Dec 15:00: “Roadmap for Q1”.",
        "“career plan”",
        "Action item for Priya Nair (demo): “send the draft”. It comes back on every agenda",
        "Private note kept for your 1:1 with Priya Nair (demo) on Thu 3 Dec 15:00. Only you can read it.",
        "You have 1:1s with your manager and your direct reports; Jordan is neither. For example: 1on1 @maya.chen",
        "There's no open item 9 on your agenda with Priya Nair (demo); the open ones are 1, 2, 3.",
        "You are now Priya Nair (demo)",
        "1:1 with Sam Okafor (demo)\nNext: Thu 3 Dec 19:30 your time (Thu 3 Dec 15:00 for Sam)",
        "1. Roadmap for Q1 · added by Sam Okafor (demo)\n2. career plan · added by Sam Okafor (demo)",
        "Action items\n3. send the draft · you",
        "1) 1. Roadmap for Q1   2) 2. career plan   3) 3. send the draft",
        "Who reads it? (press Enter to keep You and Sam Okafor (demo))",
        "Private note kept for your 1:1 with Sam Okafor (demo) on Thu 3 Dec 19:30.",
        "Clock set to Wed 2026-12-02 09:00 Asia/Kolkata.",
        "Agenda for your 1:1 with Sam Okafor (demo)",
        "Your private notes (only you read these)\n• I would like to present at the offsite",
        "“conference budget”",
        "Clock set to Wed 2026-12-02 09:00 Europe/Berlin.",
        "Agenda for your 1:1 with Priya Nair (demo)",
        "4. conference budget · added by Priya Nair (demo)",
        "Your private notes (only you read these)\n• ask about the team move",
        "Discussed: “Roadmap for Q1”, “conference budget”. They're off your agenda with Priya Nair (demo).",
        "“one more thing”",
        "--- to Sam Okafor (demo) ---\nPriya Nair (demo) added a talking point to your 1:1 on Thu 3 Dec 15:00: “one more thing”.",
        "Clock set to Tue 2026-12-08 10:00 Asia/Kolkata.",
        "1:1 with Sam Okafor (demo)\nNext: Thu 10 Dec 19:30 your time",
        "2. career plan · added by Sam Okafor (demo) · carried over\n5. one more thing · added by you · carried over",
        "Action items\n3. send the draft · you",
    )
    sams_agenda = between(out, "Agenda for your 1:1 with Priya Nair (demo)", "Discussed:")
    priyas_agenda = between(out, "Agenda for your 1:1 with Sam Okafor (demo)", "“conference budget”")
    assert "present at the offsite" not in sams_agenda, "Priya's private note is hers alone"
    assert "ask about the team move" not in priyas_agenda, "and Sam's is his"
    assert out.count("Agenda for your 1:1 with") == 2, "each side's agenda once"


def between(text: str, start: str, end: str) -> str:
    """The part of ``text`` from ``start`` up to the next ``end``."""
    first = text.index(start)
    return text[first : text.index(end, first)]

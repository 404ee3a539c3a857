"""``privacy`` in the shell: each person is told, by name, who can read what Cadence holds about them."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from tests.bot.cli_helpers import Cadence
from tests.bot.test_shell import transcript

pytestmark = pytest.mark.usefixtures("migrated_demo")  # the demo is these tests' world


@freeze_time("2026-12-04 09:30:00")
def test_privacy_names_who_reads_each_kind_of_record_for_the_person_asking(cadence: Cadence) -> None:
    lines = ["/cadence privacy", "/as maya.chen@demo.example", "privacy"]
    result = cadence("shell", "--demo", "--as", "priya.nair@demo.example", stdin="\n".join(lines) + "\n")
    assert result.code == 0, result.err
    transcript(
        result.out,
        "Who can read what Cadence holds about you",
        "Your check-ins and moods: you, Sam Okafor (demo) and Maya Chen (demo).",
        "Your answers to how your manager can help: you and Sam Okafor (demo).",
        "Feedback you receive: you and the person who gave it; Sam Okafor (demo) too when the giver chooses",
        "Who answered your feedback requests: you; nobody is told who declined.",
        "Your private 1:1 notes: you and nobody else, not even admins.",
        "You are now Maya Chen (demo)",
        "Your check-ins and moods: only you, as you have no manager and no other admin.",
    )

"""Kudos through the shell: giving, running out of the allowance, and the reset at local midnight."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from tests.bot.cli_helpers import Cadence
from tests.bot.test_shell import transcript

pytestmark = pytest.mark.usefixtures("migrated_demo")  # the demo is these tests' world


@freeze_time("2026-12-04 09:30:00")
def test_kudos_from_the_shell_until_the_allowance_runs_out_and_resets_at_midnight(cadence: Cadence) -> None:
    lines = [
        "/kudos @priya @lukas for the importer #craft",
        "/kudos @priya for nothing #teamwork",
        "/kudos @sam.okafor for being me",
        "/kudos @aroha for reviews",
        "/kudos @tom @elena for the design review",
        "/kudos @elena for one more",
        "/kudos stats",
        "/time 2026-12-05T00:01",
        "/kudos @elena for starting the day right",
        "/as priya.nair@demo.example",
        "/kudos stats",
        "/kudos top #craft",
    ]
    result = cadence("shell", "--demo", stdin="\n".join(lines) + "\n")
    assert result.code == 0, result.err
    transcript(
        result.out,
        "Kudos sent to Priya Nair (demo), Lukas Weber (demo). You have 3 kudos left today.",
        "--- in #kudos ---\n👏 Sam Okafor (demo) gave kudos to Priya Nair (demo), Lukas Weber (demo)",
        "> for the importer",
        "#Craft",
        "--- to Priya Nair (demo) ---\n🎉 Sam Okafor (demo) gave you kudos!",
        "#teamwork isn't one of our values; use #craft, #customer-first, #ownership.",
        "Kudos are for others",
        "You have 2 kudos left today.",
        "You have no kudos left today.",
        "You've given all 5 of today's kudos. Your allowance resets at midnight your time, in 13 h 30 min.",
        "This week: no kudos received, 5 kudos given",
        "Clock set to Sat 2026-12-05 00:01 Europe/Berlin.",
        "Kudos sent to Elena Rossi (demo). You have 4 kudos left today.",
        "You are now Priya Nair (demo)",
        "This week: 1 kudos received, no kudos given",
        "Kudos leaderboard · this month · #craft",
        "1. Lukas Weber (demo): 1 kudos",
    )

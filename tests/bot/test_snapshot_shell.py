"""``snapshot`` in the shell: a manager reads a report's quarter with the expectations for their
level, an admin too, a colleague is refused in one sentence, and a bad period is explained."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from tests.bot.cli_helpers import Cadence
from tests.bot.test_shell import transcript

pytestmark = pytest.mark.usefixtures("migrated_demo")  # the demo is these tests' world


@freeze_time("2026-12-04 09:30:00")
def test_a_snapshot_is_for_the_person_their_managers_and_admins(cadence: Cadence) -> None:
    lines = [
        "/cadence snapshot @lukas 2026-Q4",
        "snapshot @lukas 2027-Q2",
        "/as priya",
        "snapshot @lukas",
        "snapshot",
        "/as maya",
        "snapshot @lukas.weber Q4",
    ]
    result = cadence("shell", "--demo", "--as", "sam.okafor@demo.example", stdin="\n".join(lines) + "\n")
    assert result.code == 0, result.err
    transcript(
        result.out,
        "Lukas Weber (demo) · 2026-Q4",
        "• G-4 Make imports observable: 0%, open",
        "Check-ins: none were asked this quarter",
        "What good looks like for engineer/mid",
        "• System design: Designs features within a service, and asks for review early",
        "Lukas Weber (demo) · 2026-Q4: mood against their usual, and goal progress, week by week.",
        "2027-Q2 hasn't started yet; ask for a quarter that has, for example 2026-Q4",
        "You are now Priya Nair (demo)",
        "A snapshot is for the person it is about, their managers and admins",
        "Nothing to summarise for Priya Nair (demo) in 2026-Q4 yet.",
        "You are now Maya Chen (demo)",
        'I don\'t understand "Q4"; name a person and a quarter, for example /cadence snapshot @ravi 2026-Q4.',
    )

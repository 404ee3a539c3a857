"""``fairness`` in the shell: a member and a manager are told who to ask, the admin reads the
quarter's figures with the chart saved beside them, and bad periods get one sentence each."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from conversations.messages import Platform
from storage.connections import new_organisation
from storage.database import Database
from tests.bot.cli_helpers import Cadence
from tests.bot.test_shell import transcript
from tests.storage.fairness_quarter import seed_quarter


def test_only_the_admin_reads_the_fairness_view_and_its_chart(cadence: Cadence, tmp_path: Path) -> None:
    with Database(cadence.database_url).session_scope() as session:
        seed_quarter(session, new_organisation(session, "Acme", Platform.SHELL, "acme").id)
    lines = [
        "fairness",
        "/as sam@acme.test",
        "/cadence fairness",
        "/as ada@acme.test",
        "fairness 2026-Q5",
        "fairness 2027-Q1",
        "fairness 2026-Q1",
        "/cadence fairness 2026-Q4",
    ]
    result = cadence("shell", "--as", "p1@acme.test", stdin="\n".join(lines) + "\n")
    assert result.code == 0, result.err
    refusal = "The fairness view is for admins; ask Ada Lovelace."
    saved = tmp_path / "cadence-chart-fairness-2026-Q4-ada.png"
    transcript(
        result.out,
        refusal,
        "You are now Sam Okafor",
        refusal,
        "You are now Ada Lovelace",
        '"2026-Q5" isn\'t a period; give a quarter, for example fairness 2026-Q4.',
        "2027-Q1 hasn't begun yet, so there is nothing to measure",
        "Nothing to measure in 2026-Q1 yet: figures appear once people give kudos",
        "Fairness · 2026-Q4 (1 Oct – 4 Dec so far)",
        "Everyone at Acme (19 people)",
        "• Kudos: 53% received none; spread (Gini) 0.62 over 12 kudos",
        "• Check-ins: 82% submitted (14 of 17 asked for, away weeks not counted)",
        "• Goal updates: 0.3 per personal goal per week (9 updates)",
        "• Feedback per person: 0.21 given, 0.21 received",
        "Team Platform (9 people)",
        "• Kudos: 67% received none; spread (Gini) 0.76 over 5 kudos",
        "Team Sales (5 people)",
        "Sol Reyes's reports (5 people)",
        "Hidden, fewer than 5 people: Team Design, Ada Lovelace's reports, Dee Ford's reports.",
        "Hidden, as set against a larger group above it would describe fewer than 5 people: Sam Okafor's reports.",
        "Kudos spread by team · 2026-Q4: the share of each team's people who received no kudos.",
        f"Chart saved as {saved}",
    )
    assert result.out.count(refusal) == 2 and "Team Platform" not in result.out.split("You are now Ada")[0]
    with Image.open(saved) as image:
        assert (image.format, image.size) == ("PNG", (640, 440))

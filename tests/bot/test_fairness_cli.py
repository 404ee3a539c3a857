"""``cadence fairness``: the seeded quarter as CSV and JSON, the chart written with --chart, and
one line for a period it can't show."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from PIL import Image

from conversations.messages import Platform
from storage.connections import new_organisation
from storage.database import Database
from tests.bot.cli_helpers import Cadence
from tests.bot.test_cli import assert_one_line_error
from tests.storage.fairness_quarter import seed_quarter


@pytest.fixture
def seeded(cadence: Cadence) -> Cadence:
    with Database(cadence.database_url).session_scope() as session:
        seed_quarter(session, new_organisation(session, "Acme", Platform.SHELL, "acme").id)
    return cadence


def test_csv_has_a_row_per_group_and_hidden_groups_without_figures(seeded: Cadence) -> None:
    result = seeded("fairness", "--period", "2026-Q4")
    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert [(row["kind"], row["name"], row["shown"]) for row in rows] == [
        ("organisation", "Acme", "yes"),
        ("team", "Platform", "yes"),
        ("team", "Sales", "yes"),
        ("manager", "Sol Reyes", "yes"),
        ("team", "Design", "no"),
        ("manager", "Ada Lovelace", "no"),
        ("manager", "Dee Ford", "no"),
        ("manager", "Sam Okafor", "no"),
    ]
    platform = rows[1]
    assert {key: platform[key] for key in ("people", "no_kudos_share", "kudos_gini", "checkin_participation")} == {
        "people": "9",
        "no_kudos_share": "66.7",
        "kudos_gini": "0.76",
        "checkin_participation": "72.7",
    }
    assert platform["goal_updates_per_goal_week"] == "0.2" and platform["feedback_given_per_person"] == "0.33"
    sam = rows[-1]
    assert sam["hidden_because"] == "would single out fewer than 5 people set against a larger group"
    assert rows[4]["hidden_because"] == "fewer than 5 people"
    assert all(sam[key] == "" for key in ("people", "kudos", "no_kudos_share", "kudos_gini", "checkins_submitted"))


def test_json_holds_the_same_figures(seeded: Cadence) -> None:
    result = seeded("fairness", "--period", "2026-Q4", "--format", "json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert (report["period"], report["through"], report["weeks"], report["threshold"]) == (
        "2026-Q4",
        "2026-12-04",
        10,
        5,
    )
    everyone = report["shown"][0]
    assert (everyone["people"], everyone["no_kudos_share"], everyone["kudos_gini"]) == (19, 52.6, 0.62)
    assert {"kind": "manager", "name": "Sam Okafor", "reason": "subtraction"} in report["hidden"]
    assert not any("people" in group for group in report["hidden"])


def test_the_period_defaults_to_the_current_quarter(seeded: Cadence) -> None:
    assert seeded("fairness").out == seeded("fairness", "--period", "2026-Q4").out


def test_chart_is_written_and_said_on_stderr(seeded: Cadence, tmp_path: Path) -> None:
    result = seeded("fairness", "--period", "2026-Q4", "--chart", "kudos.png")
    assert result.code == 0, result.err
    assert result.err.strip() == "cadence: chart of Kudos spread by team · 2026-Q4 saved to kudos.png"
    with Image.open(tmp_path / "kudos.png") as image:
        assert (image.format, image.size) == ("PNG", (640, 440))


@pytest.mark.parametrize(
    ("period", "words"),
    [
        ("2026-Q5", "'2026-Q5' isn't a period; give a quarter, for example --period 2026-Q4"),
        ("2027-Q1", "2027-Q1 hasn't begun yet, so there is nothing to measure; for example --period 2026-Q4"),
        ("2026-Q1", "nothing to measure in 2026-Q1: figures appear once people give kudos, answer check-ins"),
    ],
)
def test_a_period_it_cannot_show_is_one_line(seeded: Cadence, period: str, words: str) -> None:
    assert_one_line_error(seeded("fairness", "--period", period), words)

"""Progress and status rules, including property tests of the roll-up."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conversations.goal_progress import (
    health,
    key_result_progress,
    parse_key_result_line,
    parse_period,
    progress_bar,
    weighted_progress,
)

finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


@given(start=finite, target=finite, current=finite)
def test_key_result_progress_is_always_between_0_and_100(start: float, target: float, current: float) -> None:
    assert 0.0 <= key_result_progress("number", start, target, current) <= 100.0


@given(parts=st.lists(st.tuples(st.floats(0, 100), st.floats(0.1, 10)), min_size=1, max_size=12))
def test_a_parent_is_the_weighted_mean_of_its_children(parts) -> None:
    rolled = weighted_progress(parts)
    expected = sum(progress * weight for progress, weight in parts) / sum(weight for _, weight in parts)
    assert 0.0 <= rolled <= 100.0
    assert rolled == pytest.approx(expected, abs=1e-3)
    assert min(p for p, _ in parts) - 1e-3 <= rolled <= max(p for p, _ in parts) + 1e-3


def test_progress_of_a_key_result() -> None:
    assert key_result_progress("number", 0, 200, 50) == 25.0
    assert key_result_progress("number", 100, 50, 75) == 50.0  # going down counts too
    assert key_result_progress("number", 0, 10, 15) == 100.0
    assert key_result_progress("number", 0, 10, -5) == 0.0
    assert key_result_progress("boolean", 0, 1, 1) == 100.0 and key_result_progress("boolean", 0, 1, 0) == 0.0
    assert weighted_progress([]) == 0.0


QUARTER = (date(2026, 10, 1), date(2026, 12, 31))


@pytest.mark.parametrize(
    ("progress", "today", "confidence", "expected"),
    [
        (50.0, date(2026, 11, 15), None, "on_track"),  # half way, half done
        (35.0, date(2026, 11, 15), None, "at_risk"),  # 14 points behind
        (20.0, date(2026, 11, 15), None, "off_track"),  # 29 points behind
        (50.0, date(2026, 11, 15), 2, "at_risk"),  # on time but the owner doubts it
        (50.0, date(2026, 11, 15), 1, "off_track"),
        (0.0, date(2026, 9, 1), None, "on_track"),  # not started yet
        (100.0, date(2027, 1, 10), 1, "on_track"),  # done is done
    ],
)
def test_health_is_the_worse_of_progress_against_time_and_confidence(progress, today, confidence, expected) -> None:
    assert health(progress, *QUARTER, today, confidence) == expected


def test_periods_and_key_result_lines_as_people_write_them() -> None:
    assert parse_period("2026-q4") == ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31))
    assert parse_period("2027-02")[2] == date(2027, 2, 28)
    assert parse_period("Q4") is None and parse_period("2026-Q5") is None
    assert parse_key_result_line("Coverage: 60 -> 80 %") == {
        "title": "Coverage",
        "metric": "percent",
        "start": 60.0,
        "target": 80.0,
        "unit": "",
        "weight": 1.0,
    }
    assert parse_key_result_line("Launched: yes/no (x2)")["weight"] == 2.0
    assert parse_key_result_line("no colon here") is None
    assert progress_bar(45) == "▓▓▓▓▓░░░░░" and progress_bar(150) == "▓" * 10

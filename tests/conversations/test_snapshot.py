"""The quarterly snapshot's arithmetic: the quarter's weeks, participation, the mood trend against
the person's own earlier weeks, blockers as stretches, and the tallies of kudos and feedback."""

from __future__ import annotations

from datetime import date

from conversations.schedule import period_weeks
from conversations.snapshot import (
    blocker_stretches,
    chart,
    mood_trend,
    participation,
    summarise,
    tally,
)


def test_a_quarter_has_the_iso_weeks_whose_thursday_falls_in_it() -> None:
    weeks = period_weeks(date(2026, 10, 1), date(2026, 12, 31))
    assert weeks[0] == "2026-W40"  # Thursday 1 October
    assert weeks[-1] == "2026-W53"  # Thursday 31 December: 2026 has 53 ISO weeks
    assert len(weeks) == 14


def test_the_first_quarter_of_2027_starts_with_the_week_of_its_first_thursday() -> None:
    weeks = period_weeks(date(2027, 1, 1), date(2027, 3, 31))
    assert weeks[0] == "2027-W01"  # Thursday 7 January; Friday 1 January belongs to 2026-W53
    assert weeks[-1] == "2027-W12"  # Thursday 25 March; Thursday 1 April is the next quarter's


HISTORY = {
    "2026-W40": {"status": "submitted", "mood": 4, "blockers": None, "highlights": ["Shipped the importer"]},
    "2026-W41": {"status": "submitted", "mood": 2, "blockers": "waiting on legal", "highlights": []},
    "2026-W42": {"status": "submitted", "mood": 3, "blockers": "still legal", "highlights": ["Drafted the RFC"]},
    "2026-W43": {"status": "away", "mood": None, "blockers": None},
    "2026-W44": {"status": "skipped", "mood": None, "blockers": None},
    "2026-W45": {"status": "pending", "mood": None, "blockers": None},
    "2026-W46": {"status": "submitted", "mood": 4, "blockers": "the build", "highlights": []},
    "2026-W38": {"status": "submitted", "mood": 3, "blockers": None},
    "2026-W39": {"status": "submitted", "mood": 2, "blockers": None},
}
QUARTER = [f"2026-W{number}" for number in range(40, 47)]


def test_participation_counts_the_weeks_asked_and_not_away() -> None:
    assert participation(HISTORY, QUARTER) == {
        "expected": 6,  # seven weeks asked, less the week away (W43)
        "submitted": 4,
        "skipped": 1,
        "away": 1,
        "missed": 1,  # W45, left unanswered
        "rate": 67,
    }


def test_mood_trend_compares_the_quarter_with_the_persons_own_earlier_weeks() -> None:
    trend = mood_trend(HISTORY, QUARTER, ["2026-W38", "2026-W39"])
    assert trend["by_week"] == [4, 2, 3, None, None, None, 4]
    assert (trend["average"], trend["baseline"], trend["change"], trend["direction"]) == (3.2, 2.5, 0.7, "up")


def test_mood_trend_without_earlier_moods_has_no_baseline_and_no_direction() -> None:
    trend = mood_trend(HISTORY, QUARTER, ["2026-W30"])
    assert (trend["baseline"], trend["change"], trend["direction"]) == (None, None, None)


def test_blockers_are_stretches_of_weeks_in_a_row_and_the_last_one_is_still_open() -> None:
    assert blocker_stretches(HISTORY, QUARTER) == [
        {"text": "waiting on legal", "from": "2026-W41", "until": "2026-W42", "weeks": 2, "open": False},
        {"text": "the build", "from": "2026-W46", "until": "2026-W46", "weeks": 1, "open": True},
    ]


def test_tallies_count_each_label_most_first_then_by_name() -> None:
    kudos = [{"values": ["Ownership", "Craft"]}, {"values": ["Craft"]}, {"values": []}]
    assert tally(kudos, "values") == [{"label": "Craft", "count": 2}, {"label": "Ownership", "count": 1}]
    assert tally([{"skill": "Mentoring"}, {"skill": None}], "skill") == [{"label": "Mentoring", "count": 1}]


def test_a_quarter_with_nothing_in_it_says_so() -> None:
    empty = summarise(
        person={"id": 1, "display_name": "Ravi", "level": None},
        period="2026-Q4",
        weeks=QUARTER,
        earlier_weeks=[],
        history={},
        goals=[],
        goal_progress=[None] * len(QUARTER),
        kudos=[],
        feedback=[],
        expectations={},
    )
    assert empty["has_data"] is False


def test_only_feedback_the_recipient_let_be_quoted_is_quoted() -> None:
    snapshot = summarise(
        person={"id": 1, "display_name": "Ravi", "level": "engineer/senior"},
        period="2026-Q4",
        weeks=QUARTER,
        earlier_weeks=[],
        history=HISTORY,
        goals=[],
        goal_progress=[None] * len(QUARTER),
        kudos=[],
        feedback=[
            {"value": "Craft", "skill": "Mentoring", "quote": "Your reviews teach", "giver": "Gus"},
            {"value": None, "skill": "Mentoring", "quote": None, "giver": "Ana"},
        ],
        expectations={"Mentoring": ["Grows the people around them"]},
    )
    assert snapshot["feedback"]["quotes"] == [{"text": "Your reviews teach", "giver": "Gus"}]
    assert snapshot["feedback"]["by_skill"] == [{"label": "Mentoring", "count": 2}]
    assert snapshot["expectations"] == [{"skill": "Mentoring", "statements": ["Grows the people around them"]}]
    assert chart(snapshot)["mood"] == [4, 2, 3, None, None, None, 4]
    assert chart(snapshot)["baseline"] is None

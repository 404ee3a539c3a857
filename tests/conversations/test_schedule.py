"""Prompts at each person's own local time: DST changes, half-hour zones, the date line."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from conversations.schedule import (
    DigestReader,
    checkin_window,
    covered_week,
    current_window,
    day_and_month,
    is_away,
    is_iso_week,
    reminder_at,
    week_ends_at,
    week_key,
    week_label,
)
from conversations.workspace_settings import validate_settings


def settings(**checkins):
    value, errors = validate_settings({"checkins": checkins} if checkins else {})
    assert errors == []
    return value


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "week", "expected"),
    [
        # America/New_York springs forward on Sunday 8 March 2026, falls back on Sunday 1 November
        ("America/New_York", "2026-W10", utc(2026, 3, 6, 15, 0)),  # Fri 6 Mar 10:00 EST
        ("America/New_York", "2026-W11", utc(2026, 3, 13, 14, 0)),  # Fri 13 Mar 10:00 EDT
        ("America/New_York", "2026-W44", utc(2026, 10, 30, 14, 0)),  # Fri 30 Oct 10:00 EDT
        ("America/New_York", "2026-W45", utc(2026, 11, 6, 15, 0)),  # Fri 6 Nov 10:00 EST
        # Europe/Berlin springs forward on Sunday 29 March 2026, falls back on Sunday 25 October
        ("Europe/Berlin", "2026-W13", utc(2026, 3, 27, 9, 0)),  # Fri 27 Mar 10:00 CET
        ("Europe/Berlin", "2026-W14", utc(2026, 4, 3, 8, 0)),  # Fri 3 Apr 10:00 CEST
        ("Europe/Berlin", "2026-W43", utc(2026, 10, 23, 8, 0)),  # Fri 23 Oct 10:00 CEST
        ("Europe/Berlin", "2026-W44", utc(2026, 10, 30, 9, 0)),  # Fri 30 Oct 10:00 CET
        ("Asia/Kolkata", "2026-W49", utc(2026, 12, 4, 4, 30)),  # +05:30, no DST
        ("Pacific/Auckland", "2026-W49", utc(2026, 12, 3, 21, 0)),  # Fri 10:00 NZDT is Thursday in UTC
    ],
)
def test_the_prompt_is_at_ten_on_friday_where_the_person_lives(zone: str, week: str, expected: datetime) -> None:
    assert checkin_window(settings(), week, zone).prompt_at == expected


def test_a_check_in_set_inside_the_spring_forward_gap_happens_when_clocks_show_that_hour_plus_one() -> None:
    window = checkin_window(settings(day="sunday", time="02:30"), "2026-W10", "America/New_York")
    assert window.prompt_at == utc(2026, 3, 8, 7, 30)  # 03:30 EDT: 02:30 does not exist that night


def test_a_time_that_happens_twice_in_autumn_is_the_first_one() -> None:
    window = checkin_window(settings(day="sunday", time="01:30"), "2026-W44", "America/New_York")
    assert window.prompt_at == utc(2026, 11, 1, 5, 30)  # 01:30 EDT, not 01:30 EST an hour later


def test_the_week_is_the_persons_local_week_across_the_date_line() -> None:
    thursday_evening_utc = utc(2026, 12, 3, 21, 0)
    assert week_key(thursday_evening_utc.date()) == "2026-W49"
    window = current_window(settings(), thursday_evening_utc, "Pacific/Auckland")
    assert window.week == "2026-W49" and window.is_open(thursday_evening_utc)
    assert window.local_day == date(2026, 12, 4)


def test_answers_close_a_minute_before_the_managers_digest() -> None:
    window = checkin_window(settings(), "2026-W49", "Asia/Kolkata", DigestReader("America/New_York", settings().digest))
    assert window.closes_at == utc(2026, 12, 7, 13, 59)  # Monday 09:00 in New York, less a minute
    their_team = validate_settings({"digest": {"day": "tuesday", "time": "08:00"}})[0].digest
    later = checkin_window(settings(), "2026-W49", "Asia/Kolkata", DigestReader("America/New_York", their_team))
    assert later.closes_at == utc(2026, 12, 8, 12, 59), "the manager's team's digest day and time decide"


def test_an_explicit_closing_time_is_local_to_the_person() -> None:
    window = checkin_window(settings(closes="sunday 20:00"), "2026-W49", "Europe/Berlin")
    assert window.closes_at == utc(2026, 12, 6, 19, 0)


def test_reminders_come_after_four_hours_and_on_the_next_working_morning_before_closing() -> None:
    window = checkin_window(settings(), "2026-W49", "Europe/Berlin")
    assert window.reminders == (utc(2026, 12, 4, 13, 0), utc(2026, 12, 7, 7, 0))  # Fri 14:00, Mon 08:00


def test_the_next_working_morning_skips_weekends_and_holidays() -> None:
    at = reminder_at("next-workday 08:00", utc(2026, 12, 24, 9, 0), ZoneInfo("Europe/Berlin"), [date(2026, 12, 25)])
    assert at == utc(2026, 12, 28, 7, 0)  # Thu 24 -> Fri 25 is a holiday -> Mon 28


def test_reminders_after_closing_are_dropped() -> None:
    window = checkin_window(settings(reminders=["+4h", "+5d"]), "2026-W49", "Europe/Berlin")
    assert window.reminders == (utc(2026, 12, 4, 13, 0),)


def test_before_the_prompt_the_current_window_is_the_next_one() -> None:
    window = current_window(settings(), utc(2026, 12, 2, 12, 0), "Europe/Berlin")
    assert window.week == "2026-W49" and not window.is_open(utc(2026, 12, 2, 12, 0))


def test_away_covers_leave_time_off_and_holidays() -> None:
    friday = date(2026, 12, 4)
    assert is_away(friday, date(2026, 12, 4), [], [])
    assert not is_away(friday, date(2026, 12, 3), [], [])
    assert is_away(friday, None, [(date(2026, 12, 1), date(2026, 12, 4))], [])
    assert is_away(friday, None, [], [friday])
    assert not is_away(friday, None, [(date(2026, 12, 5), date(2026, 12, 9))], [date(2026, 12, 25)])


def test_a_digest_late_on_check_in_day_reports_that_same_week() -> None:
    friday_evening = settings()
    friday_evening = friday_evening.model_copy(
        update={"digest": friday_evening.digest.model_copy(update={"day": "friday", "time": "17:00"})}
    )
    assert covered_week(friday_evening, utc(2026, 12, 4, 16, 0), "Europe/Berlin") == "2026-W49"
    assert covered_week(settings(), utc(2026, 12, 7, 8, 0), "Europe/Berlin") == "2026-W49"  # Monday 09:00


@pytest.mark.parametrize(
    ("week", "today", "expected"),
    [
        ("2026-W49", date(2026, 12, 4), "this week, 30 Nov – 6 Dec"),  # Friday of that week
        ("2026-W49", date(2026, 11, 30), "this week, 30 Nov – 6 Dec"),  # its Monday
        ("2026-W49", date(2026, 12, 6), "this week, 30 Nov – 6 Dec"),  # its Sunday
        ("2026-W48", date(2026, 12, 4), "last week, 23 – 29 Nov"),
        ("2026-W49", date(2026, 12, 7), "last week, 30 Nov – 6 Dec"),  # the Monday digest
        ("2026-W50", date(2026, 12, 4), "next week, 7 – 13 Dec"),
        ("2026-W47", date(2026, 12, 4), "week of 16 Nov"),
        ("2026-W51", date(2026, 12, 4), "week of 14 Dec"),
        ("2025-W10", date(2026, 12, 4), "week of 3 Mar 2025"),
        ("2027-W02", date(2026, 12, 4), "week of 11 Jan 2027"),
        ("2026-W53", date(2027, 1, 4), "last week, 28 Dec – 3 Jan"),  # across the new year, no year needed
        ("2026-W01", date(2026, 3, 1), "week of 29 Dec 2025"),  # ISO week 1 of 2026 starts in 2025
    ],
)
def test_a_week_is_named_by_its_dates_relative_to_today(week: str, today: date, expected: str) -> None:
    assert week_label(week, today) == expected


@pytest.mark.parametrize(("key", "valid"), [("2026-W49", True), ("2026-W53", True), ("2025-W53", False),
                                            ("2026-W60", False), ("2026-W00", False), ("last", False), ("2026-49", False)])  # fmt: skip
def test_only_weeks_that_exist_are_iso_weeks(key: str, valid: bool) -> None:
    assert is_iso_week(key) is valid


def test_a_week_ends_at_midnight_before_monday_where_the_reader_lives() -> None:
    assert week_ends_at("2026-W49", "Europe/Berlin") == utc(2026, 12, 6, 23, 0)
    assert week_ends_at("2026-W49", "Pacific/Auckland") == utc(2026, 12, 6, 11, 0)
    assert day_and_month(date(2026, 11, 30)) == "30 Nov"

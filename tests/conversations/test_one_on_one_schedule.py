"""When 1:1s happen and when each side's agenda arrives: the manager's wall clock across daylight
saving changes, each person's own working day before, weekends, holidays and biweekly weeks."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from conversations.one_on_one_schedule import (
    Rhythm,
    agenda_due,
    agenda_time,
    first_meeting_day,
    next_meeting,
    previous_meeting,
    rhythm_for,
    workdays_before,
)
from conversations.workspace_settings import OneOnOneSettings

BERLIN, NEW_YORK, TOKYO = "Europe/Berlin", "America/New_York", "Asia/Tokyo"
SETTINGS = OneOnOneSettings()  # weekly, Thursday 15:00, the agenda one working day before at 09:00


def weekly_in_berlin(anchor: date = date(2027, 3, 4)) -> Rhythm:
    return rhythm_for(SETTINGS, anchor=anchor, zone=BERLIN)


def meetings(rhythm: Rhythm, after: datetime, count: int) -> list[datetime]:
    found = []
    for _ in range(count):
        after = next_meeting(rhythm, after)
        found.append(after)
    return found


def local(instant: datetime, zone: str) -> str:
    return f"{instant.astimezone(ZoneInfo(zone)):%a %Y-%m-%d %H:%M}"


def test_a_weekly_1on1_stays_at_15_00_in_berlin_across_the_spring_change() -> None:
    starts = meetings(weekly_in_berlin(), datetime(2027, 3, 20, tzinfo=UTC), 3)
    assert [local(start, BERLIN) for start in starts] == [
        "Thu 2027-03-25 15:00",
        "Thu 2027-04-01 15:00",
        "Thu 2027-04-08 15:00",
    ]
    assert [start.hour for start in starts] == [14, 13, 13], "UTC moves by an hour on 28 March"


def test_a_report_in_new_york_sees_the_hour_move_twice_as_the_two_zones_change_on_different_sundays() -> None:
    starts = meetings(weekly_in_berlin(), datetime(2027, 3, 5, tzinfo=UTC), 4)
    assert [local(start, NEW_YORK) for start in starts] == [
        "Thu 2027-03-11 09:00",  # both on winter time: six hours apart
        "Thu 2027-03-18 10:00",  # New York changed on 14 March, Berlin not yet
        "Thu 2027-03-25 10:00",
        "Thu 2027-04-01 09:00",  # Berlin changed on 28 March
    ]


def test_each_side_gets_the_agenda_the_working_day_before_at_nine_in_their_own_zone() -> None:
    start = next_meeting(weekly_in_berlin(), datetime(2027, 3, 16, tzinfo=UTC))  # Thu 18 March 15:00 Berlin
    assert local(agenda_time(start, BERLIN, SETTINGS, ()), BERLIN) == "Wed 2027-03-17 09:00"
    assert local(agenda_time(start, NEW_YORK, SETTINGS, ()), NEW_YORK) == "Wed 2027-03-17 09:00"
    assert agenda_time(start, NEW_YORK, SETTINGS, ()) == datetime(2027, 3, 17, 13, 0, tzinfo=UTC)


def test_a_report_in_tokyo_counts_from_the_meeting_date_as_it_is_in_tokyo() -> None:
    monday_evening = rhythm_for(SETTINGS, anchor=date(2027, 3, 1), zone=BERLIN, weekday="monday", local_time="17:00")
    start = next_meeting(monday_evening, datetime(2027, 3, 10, tzinfo=UTC))
    assert local(start, BERLIN) == "Mon 2027-03-15 17:00"
    assert local(start, TOKYO) == "Tue 2027-03-16 01:00", "already Tuesday in Tokyo"
    assert local(agenda_time(start, TOKYO, SETTINGS, ()), TOKYO) == "Mon 2027-03-15 09:00"
    assert local(agenda_time(start, BERLIN, SETTINGS, ()), BERLIN) == "Fri 2027-03-12 09:00", "the weekend is skipped"


def test_the_working_day_before_skips_the_weekend_and_a_settings_holiday() -> None:
    monday = rhythm_for(SETTINGS, anchor=date(2027, 3, 1), zone=BERLIN, weekday="monday")
    start = next_meeting(monday, datetime(2027, 3, 10, tzinfo=UTC))  # Mon 15 March
    good_friday = date(2027, 3, 12)
    assert local(agenda_time(start, BERLIN, SETTINGS, (good_friday,)), BERLIN) == "Thu 2027-03-11 09:00"
    assert workdays_before(date(2027, 3, 15), 2, (good_friday,)) == date(2027, 3, 10)
    assert workdays_before(date(2027, 3, 15), 0, (good_friday,)) == date(2027, 3, 15), "0: the day itself"


def test_a_biweekly_pair_meets_in_the_weeks_counted_from_its_anchor() -> None:
    biweekly = rhythm_for(SETTINGS, anchor=date(2027, 3, 11), zone=BERLIN, cadence="biweekly")
    starts = meetings(biweekly, datetime(2027, 3, 1, tzinfo=UTC), 4)
    assert [local(start, BERLIN)[:14] for start in starts] == [
        "Thu 2027-03-11",
        "Thu 2027-03-25",
        "Thu 2027-04-08",
        "Thu 2027-04-22",
    ]
    shifted = rhythm_for(SETTINGS, anchor=date(2027, 3, 18), zone=BERLIN, cadence="biweekly")
    assert local(next_meeting(shifted, datetime(2027, 3, 19, tzinfo=UTC)), BERLIN)[:14] == "Thu 2027-04-01"


def test_the_first_meeting_is_never_before_the_anchor_and_the_previous_one_is_found_back() -> None:
    rhythm = weekly_in_berlin(anchor=date(2027, 3, 18))
    assert local(next_meeting(rhythm, datetime(2027, 3, 1, tzinfo=UTC)), BERLIN) == "Thu 2027-03-18 15:00"
    assert previous_meeting(rhythm, datetime(2027, 3, 17, tzinfo=UTC)) is None
    during = datetime(2027, 3, 25, 14, 30, tzinfo=UTC)
    assert local(previous_meeting(rhythm, during), BERLIN) == "Thu 2027-03-25 15:00"


def test_a_new_pairs_anchor_is_the_date_of_its_soonest_meeting() -> None:
    friday = datetime(2027, 3, 19, 10, tzinfo=UTC)
    assert first_meeting_day("thursday", time(15), BERLIN, friday) == date(2027, 3, 25)
    thursday_morning = datetime(2027, 3, 25, 8, tzinfo=UTC)
    assert first_meeting_day("thursday", time(15), BERLIN, thursday_morning) == date(2027, 3, 25)


def test_an_agenda_goes_once_its_time_has_come_and_never_after_the_meeting_started() -> None:
    start = datetime(2027, 3, 25, 14, tzinfo=UTC)
    send_at = datetime(2027, 3, 24, 8, tzinfo=UTC)
    assert not agenda_due(datetime(2027, 3, 24, 7, 59, tzinfo=UTC), start, send_at)
    assert agenda_due(send_at, start, send_at)
    assert agenda_due(datetime(2027, 3, 25, 13, 59, tzinfo=UTC), start, send_at), "late, but before the start"
    assert not agenda_due(start, start, send_at)
    late = datetime(2027, 3, 25, 16, tzinfo=UTC)  # an agenda time after the meeting: it goes at once
    assert agenda_due(datetime(2027, 3, 20, tzinfo=UTC), start, late)
    assert not agenda_due(datetime(2027, 3, 25, 14, 1, tzinfo=UTC), start, late)

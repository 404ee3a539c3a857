"""Days and spans as people type them: properties over every ``today``, and the cases they found."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conversations.dates import LOOK_BACK, Span, day_text, parse_day, parse_span, span_text

MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Days people live on, and the ones that break date code: leap days, month and year ends.
EDGES = [
    date(2024, 2, 29),
    date(2028, 2, 29),
    date(2000, 2, 29),
    date(2100, 2, 28),
    date(2026, 12, 31),
    date(2027, 1, 1),
    date(2025, 1, 31),
    date(2025, 3, 1),
    date(2027, 12, 1),
    date(2023, 11, 30),
    date(2024, 1, 29),
]
todays = st.one_of(st.sampled_from(EDGES), st.dates(min_value=date(1990, 1, 1), max_value=date(2200, 12, 31)))


def window(today: date) -> tuple[date, date]:
    """The nearest-year window: from a month ago up to, not including, the same day a year later."""
    start = today - LOOK_BACK
    end = date(start.year + 1, 3, 1) if (start.month, start.day) == (2, 29) else start.replace(year=start.year + 1)
    return start, end


def in_window(today: date, draw: st.DrawFn) -> date:
    start, end = window(today)
    return start + timedelta(days=draw(st.integers(0, (end - start).days - 1)))


FAST = settings(max_examples=150, deadline=None)


def ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def writings(day: date) -> list[str]:
    """The ways a person writes a day without its year (read in the nearest year)."""
    month = MONTH_NAMES[day.month - 1]
    short = month[:3]
    written = [
        f"{day.day} {short}",
        f"{short} {day.day}",
        f"{month} {ordinal(day.day)}",
        f"{ordinal(day.day)} {month}",
        f"{short}. {day.day}",
        f"{day.day} {month.upper()}",
        f"{month.lower()} {day.day},",
        f"{day.day}/{day.month}",  # day then month, always
        f"{day.day:02}/{day.month:02}",
        f"{day.day}.{day.month}.",
    ]
    if day.day > 12:
        written.append(f"{day.month}/{day.day}")  # month then day, when it can only be that
    return written


def writings_with_year(day: date) -> list[str]:
    """The ways a person writes a day with its year (read as that day whatever today is)."""
    month = MONTH_NAMES[day.month - 1]
    written = [
        day.isoformat(),
        f"{day.year}-{day.month}-{day.day}",
        f"{day.day:02}.{day.month:02}.{day.year}",
        f"{day.day}/{day.month}/{day.year}",
        f"{day.day} {month[:3]} {day.year}",
        f"{month} {ordinal(day.day)}, {day.year}",
    ]
    if 2000 <= day.year <= 2099:
        written.append(f"{day.day}.{day.month}.{day.year % 100:02}")
    if day.day > 12:
        written.append(f"{day.month}/{day.day}/{day.year}")
    return written


@st.composite
def today_and_day(draw: st.DrawFn) -> tuple[date, date]:
    today = draw(todays)
    return today, in_window(today, draw)


def any_writing(draw: st.DrawFn, day: date) -> str:
    return draw(st.sampled_from(writings(day) + writings_with_year(day)))


# --- parse_day -------------------------------------------------------------------------------


@FAST
@given(today_and_day())
@example((date(2024, 2, 29), date(2024, 2, 29)))
@example((date(2026, 12, 31), date(2027, 1, 4)))
@example((date(2027, 1, 1), date(2026, 12, 1)))
@example((date(2100, 2, 28), date(2101, 1, 27)))  # the last day of a window without a 29 February
def test_a_day_in_the_nearest_year_window_reads_back_however_it_is_written(pair) -> None:
    today, day = pair
    for text in writings(day) + writings_with_year(day):
        assert parse_day(text, today) == day, text


@FAST
@given(todays, st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31)))
def test_a_day_written_with_its_year_is_that_day_whatever_today_is(today: date, day: date) -> None:
    for text in writings_with_year(day):
        assert parse_day(text, today) == day, text


@FAST
@given(todays, st.integers(1, 12), st.integers(1, 31))
def test_a_day_without_a_year_is_in_the_window_or_not_a_day(today: date, month: int, day: int) -> None:
    read = parse_day(f"{day} {MONTH_NAMES[month - 1]}", today)
    if read is not None:
        assert (read.month, read.day) == (month, day)
        start, end = window(today)
        assert start <= read < end
    else:  # only a day that doesn't exist in the window: 31 April, or 29 February away from a leap year
        start, end = window(today)
        for offset in range((end - start).days):
            candidate = start + timedelta(days=offset)
            assert (candidate.month, candidate.day) != (month, day)


@FAST
@given(todays, st.integers(0, 6), st.sampled_from(["", "on ", "this ", "next "]), st.booleans())
def test_a_weekday_is_the_next_one_to_come(today: date, weekday: int, prefix: str, short: bool) -> None:
    name = WEEKDAY_NAMES[weekday][:3] if short else WEEKDAY_NAMES[weekday]
    read = parse_day(f"{prefix}{name}", today)
    assert read is not None and read.weekday() == weekday
    ahead = (read - today).days
    assert 1 <= ahead <= 7 if prefix == "next " else 0 <= ahead <= 6


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", date(2026, 12, 2)),
        ("Tomorrow", date(2026, 12, 3)),
        ("yesterday", date(2026, 12, 1)),
        ("friday", date(2026, 12, 4)),
        ("wed", date(2026, 12, 2)),
        ("next wednesday", date(2026, 12, 9)),
        ("Jan 4", date(2027, 1, 4)),  # in December, January is next January
        ("Dec 1", date(2026, 12, 1)),  # ... and the start of December this one
        ("Nov 1", date(2026, 11, 1)),  # a month back is still this year
        ("Oct 31", date(2027, 10, 31)),  # further back is next year
        ("21/12", date(2026, 12, 21)),
        ("12/21", date(2026, 12, 21)),
        ("4/1", date(2027, 1, 4)),  # day then month
        ("21.12.2026", date(2026, 12, 21)),
        ("2026-12-21", date(2026, 12, 21)),
        ("December 21st, 2027", date(2027, 12, 21)),
    ],
)
def test_days_as_people_type_them(text: str, expected: date) -> None:
    assert parse_day(text, date(2026, 12, 2)) == expected


@pytest.mark.parametrize(
    "text", ["", "soon", "31 April", "29 Feb", "13/13", "2026-02-30", "Dec 32", "next year", "21 Decembre"]
)
def test_what_is_not_a_day(text: str) -> None:
    assert parse_day(text, date(2026, 12, 2)) is None


# --- day_text, span_text -------------------------------------------------------------------------


@FAST
@given(todays, st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31)))
def test_a_day_is_said_with_its_year_exactly_when_it_is_another_year(today: date, day: date) -> None:
    words = day_text(day, today).split()
    assert words[:3] == [WEEKDAY_NAMES[day.weekday()][:3], str(day.day), MONTH_NAMES[day.month - 1][:3]]
    assert words[3:] == ([] if day.year == today.year else [str(day.year)])


@FAST
@given(todays, st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31)), st.integers(0, 400))
def test_a_span_is_said_as_its_two_days(today: date, first: date, length: int) -> None:
    last = first + timedelta(days=length)
    text = span_text(Span(first, last), today)
    if length == 0:
        assert text == day_text(first, today)
    else:
        assert text == f"{day_text(first, today)} – {day_text(last, today)}"


def test_how_days_and_spans_are_said() -> None:
    today = date(2026, 12, 2)
    assert day_text(date(2026, 12, 21), today) == "Mon 21 Dec"
    assert day_text(date(2027, 1, 4), today) == "Mon 4 Jan 2027"
    assert span_text(Span(date(2026, 12, 21), date(2027, 1, 4)), today) == "Mon 21 Dec – Mon 4 Jan 2027"
    assert span_text(Span(date(2026, 12, 21), date(2026, 12, 21)), today) == "Mon 21 Dec"


# --- parse_span ----------------------------------------------------------------------------------

SPAN_WORDS = [
    "to",
    "until",
    "till",
    "from",
    "for",
    "the",
    "next",
    "this",
    "week",
    "weeks",
    "days",
    "a",
    "two",
    "-",
    "–",
    "dec",
    "december",
    "jan",
    "21",
    "4",
    "21st",
    "21/12",
    "12/21",
    "2026-12-21",
    "31.12.2026",
    "friday",
    "mon",
    "tomorrow",
    "0",
    "999",
    "2027",
    ",",
    ".",
]


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.text(), st.lists(st.sampled_from(SPAN_WORDS), max_size=6).map(" ".join)),
    todays,
)
@example("99999-12-21", date(2026, 12, 2))
@example("for 999 weeks", date(2200, 12, 31))
@example("٢١/١٢", date(2026, 12, 2))  # Arabic-Indic digits are \d to a regex
def test_a_span_never_raises_and_is_a_span_or_none(text: str, today: date) -> None:
    read = parse_span(text, today)
    assert read is None or (isinstance(read, Span) and isinstance(read.first, date) and isinstance(read.last, date))


@FAST
@given(today_and_day(), st.sampled_from([" to ", " until ", " till ", " through ", " – ", "–", " - "]), st.data())
def test_a_to_b_is_a_then_b(pair, separator: str, data) -> None:
    today, first = pair
    last = in_window(today, data.draw)
    prefix = data.draw(st.sampled_from(["", "from ", "From "]))
    text = f"{prefix}{any_writing(data.draw, first)}{separator}{any_writing(data.draw, last)}"
    assert parse_span(text, today) == Span(first, last), text


@FAST
@given(todays, st.sampled_from(["next week", "Next week", "the week after", "all next week", "next week."]))
def test_next_week_is_monday_to_sunday_of_the_next_iso_week(today: date, text: str) -> None:
    span = parse_span(text, today)
    assert span is not None
    assert span.first.isocalendar()[:2] == (today + timedelta(days=7)).isocalendar()[:2]
    assert span.first.weekday() == 0 and span.last == span.first + timedelta(days=6)


@FAST
@given(todays)
def test_this_week_is_today_to_sunday(today: date) -> None:
    span = parse_span("the rest of the week", today)
    assert span is not None and span.first == today and span.last.weekday() == 6
    assert span.last - today < timedelta(days=7)


@FAST
@given(
    todays,
    st.integers(1, 999),
    st.sampled_from(["day", "days", "week", "weeks"]),
    st.sampled_from(["for ", "for the next ", "", "next "]),
)
def test_for_n_days_is_exactly_n_days_from_today(today: date, count: int, unit: str, prefix: str) -> None:
    span = parse_span(f"{prefix}{count} {unit}", today)
    assert span is not None and span.first == today
    assert (span.last - span.first).days + 1 == count * (7 if unit.startswith("week") else 1)


@pytest.mark.parametrize(
    ("text", "days"), [("for a week", 7), ("for two weeks", 14), ("for one day", 1), ("for four days", 4)]
)
def test_counts_in_words(text: str, days: int) -> None:
    today = date(2026, 12, 2)
    assert parse_span(text, today) == Span(today, today + timedelta(days=days - 1))


def test_zero_days_is_no_span() -> None:
    assert parse_span("for 0 days", date(2026, 12, 2)) is None


@FAST
@given(today_and_day(), st.sampled_from(["until ", "Until ", "till ", "til ", "through "]), st.data())
def test_until_x_starts_today(pair, prefix: str, data) -> None:
    today, last = pair
    text = f"{prefix}{any_writing(data.draw, last)}"
    assert parse_span(text, today) == Span(today, last), text


@FAST
@given(today_and_day(), st.data())
def test_one_day_is_a_span_of_one_day(pair, data) -> None:
    today, day = pair
    assert parse_span(any_writing(data.draw, day), today) == Span(day, day)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dec 21 to Jan 4", Span(date(2026, 12, 21), date(2027, 1, 4))),
        ("from 21 Dec until 4 Jan", Span(date(2026, 12, 21), date(2027, 1, 4))),
        ("Dec 21–Jan 4", Span(date(2026, 12, 21), date(2027, 1, 4))),
        ("2026-12-21 2027-01-04", Span(date(2026, 12, 21), date(2027, 1, 4))),
        ("until friday", Span(date(2026, 12, 2), date(2026, 12, 4))),
        ("next week", Span(date(2026, 12, 7), date(2026, 12, 13))),
        ("this week", Span(date(2026, 12, 2), date(2026, 12, 6))),
        ("for 2 weeks", Span(date(2026, 12, 2), date(2026, 12, 15))),
        ("Jan 4 to Dec 21", Span(date(2027, 1, 4), date(2026, 12, 21))),  # as typed, for the caller to judge
        ("Dec 21 to someday", None),
        ("soon", None),
    ],
)
def test_spans_as_people_type_them(text: str, expected: Span | None) -> None:
    assert parse_span(text, date(2026, 12, 2)) == expected


def test_a_day_a_month_back_is_not_read_as_eleven_months_ahead() -> None:
    # 28 Feb 2100 (no 29 February until 2104): 28 Jan is both 31 days back and 334 days ahead;
    # the window starts a month back, so it is the one just gone, and 27 Jan is next year's.
    today = date(2100, 2, 28)
    assert parse_day("28 Jan", today) == date(2100, 1, 28)
    assert parse_day("27 Jan", today) == date(2101, 1, 27)


def test_days_as_cadence_says_them_back_can_be_typed_back() -> None:
    today = date(2026, 12, 4)
    assert parse_span("Mon 21 Dec – Mon 4 Jan 2027", today) == Span(date(2026, 12, 21), date(2027, 1, 4))
    assert parse_day("Tue 21 Dec", today) is None, "a weekday that doesn't fit the day is a mistake, not a guess"
    assert parse_span("thru friday", today) == Span(today, today)

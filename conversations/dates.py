"""Dates as people write them, and as they read them back.

``tomorrow``, ``friday``, ``next monday``, ``Dec 21``, ``21 December``, ``21/12``, ``21.12.2026``
and ISO ``2026-12-21`` are days; ``next week``, ``Dec 21 to Jan 4``, ``until Friday``, ``for 2
weeks`` are spans of days. A day without a year is the one nearest to come: from a month ago to
eleven months ahead, so in December ``Jan 4`` is next January and ``Dec 1`` this one. ``21/12`` is
day then month, as most of the world writes it; ``12/21`` can only be month then day. Whatever is
read, Cadence says back how it read it (``Mon 21 Dec``), so a misreading is seen at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
WEEKDAYS = {
    name: number
    for number, names in enumerate(
        (
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        )
    )
    for name in names
}
LOOK_BACK = timedelta(days=31)  # a day without a year is at most this far in the past
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2}|\d{4}))?\.?$")
_DAY_MONTH = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?(?:\s+(\d{4}))?$")
_MONTH_DAY = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?(?:\s+(\d{4}))?$")
_SPAN_SEPARATOR = re.compile(r"\s+(?:to|until|till|til|through|thru)\s+|\s*[–—]\s*|\s+-\s+")
_FOR = re.compile(r"^(?:for\s+)?(?:the\s+)?(?:next\s+)?(\d{1,3}|a|one|two|three|four)\s+(day|week)s?$")
_COUNT_WORDS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4}


@dataclass(frozen=True)
class Span:
    """A first and a last day, both included."""

    first: date
    last: date


def _clean(text: str) -> str:
    return " ".join(text.lower().replace(",", " ").split()).strip(" .")


def _nearest(month: int, day: int, today: date) -> date | None:
    """The day and month in the year that puts it nearest ahead (see the module docstring)."""
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if today - LOOK_BACK <= candidate < today - LOOK_BACK + timedelta(days=366):
            return candidate
    return None


def _dated(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _full_year(text: str) -> int:
    year = int(text)
    return 2000 + year if year < 100 else year


def parse_day(text: str, today: date) -> date | None:
    """One day as typed, or None when it isn't one."""
    cleaned = _clean(text)
    if cleaned in ("today", "now"):
        return today
    if cleaned == "tomorrow":
        return today + timedelta(days=1)
    if cleaned == "yesterday":
        return today - timedelta(days=1)
    words = cleaned.split()
    if len(words) >= 3 and words[0] in WEEKDAYS:  # "Mon 21 Dec", as Cadence says a day back
        named = parse_day(" ".join(words[1:]), today)
        return named if named is not None and named.weekday() == WEEKDAYS[words[0]] else None
    if words and words[-1] in WEEKDAYS and len(words) <= 2 and (len(words) == 1 or words[0] in ("next", "this", "on")):
        ahead = (WEEKDAYS[words[-1]] - today.weekday()) % 7
        if words[0] == "next" and len(words) == 2:
            ahead = ahead or 7
        return today + timedelta(days=ahead)
    if match := _ISO.match(cleaned):
        return _dated(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    if match := _NUMERIC.match(cleaned):
        first, second = int(match.group(1)), int(match.group(2))
        day, month = (second, first) if first <= 12 < second else (first, second)
        if match.group(3):
            return _dated(_full_year(match.group(3)), month, day)
        return _nearest(month, day, today)
    for pattern, day_group, month_group in ((_DAY_MONTH, 1, 2), (_MONTH_DAY, 2, 1)):
        if match := pattern.match(cleaned):
            month = MONTHS.get(match.group(month_group))
            if month is None:
                return None
            day = int(match.group(day_group))
            if match.group(3):
                return _dated(int(match.group(3)), month, day)
            return _nearest(month, day, today)
    return None


def parse_span(text: str, today: date) -> Span | None:
    """A span of days as typed, or None when it can't be read.

    Days without a year each take their nearest year, which puts ``Dec 21 to Jan 4`` across New
    Year; the order is left as typed, for the caller to judge.
    """
    cleaned = _clean(text).removeprefix("from ").strip()
    if cleaned in ("next week", "the week after", "all next week"):
        monday = today + timedelta(days=7 - today.weekday())
        return Span(monday, monday + timedelta(days=6))
    if cleaned in ("this week", "the rest of the week", "rest of the week"):
        return Span(today, today + timedelta(days=6 - today.weekday()))
    if match := _FOR.match(cleaned):
        count = _COUNT_WORDS.get(match.group(1)) or int(match.group(1))
        length = count * (7 if match.group(2) == "week" else 1)
        return Span(today, today + timedelta(days=max(length, 1) - 1)) if count else None
    for prefix in ("until ", "till ", "til ", "through ", "thru "):
        if cleaned.startswith(prefix):
            last = parse_day(cleaned.removeprefix(prefix), today)
            return Span(today, last) if last is not None else None
    parts = _SPAN_SEPARATOR.split(cleaned, maxsplit=1)
    if len(parts) == 1:
        halves = cleaned.split()
        if len(halves) == 2 and all(_ISO.match(half) or _NUMERIC.match(half) for half in halves):
            parts = halves  # "2026-12-21 2027-01-04", the way time off was first written
    if len(parts) == 2:
        first, last = parse_day(parts[0], today), parse_day(parts[1], today)
        if first is None or last is None:
            return None
        return Span(first, last)
    day = parse_day(cleaned, today)
    return Span(day, day) if day is not None else None


def day_text(day: date, today: date) -> str:
    """A day as people read it: ``Mon 21 Dec``, with the year when it isn't this one."""
    text = f"{day:%a} {day.day} {day:%b}"
    return text if day.year == today.year else f"{text} {day.year}"


def span_text(span: Span, today: date) -> str:
    """``Mon 21 Dec – Mon 4 Jan 2027``, or one day on its own."""
    if span.first == span.last:
        return day_text(span.first, today)
    return f"{day_text(span.first, today)} – {day_text(span.last, today)}"

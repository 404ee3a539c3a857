"""When things happen for a person: check-in prompts, reminders and closing, in their own time zone.

Everything here is pure date arithmetic on IANA zones, so it is right across daylight-saving
changes, half-hour zones and the date line: a person is prompted at the configured wall-clock
time where they live, whatever UTC says. A week is an ISO week (``2026-W49``) of the person's
local calendar.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from conversations.workspace_settings import WEEKDAYS, DigestSettings, WorkspaceSettings, parse_clock

CLOSE_MARGIN = timedelta(minutes=1)
WORKDAYS = frozenset(range(5))  # Monday to Friday


def week_key(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(key: str) -> tuple[int, int]:
    year, _, week = key.partition("-W")
    return int(year), int(week)


_WEEK_KEY = re.compile(r"^(\d{4})-W(\d{2})$")


def is_iso_week(key: str) -> bool:
    """``key`` names a week that exists: ``2026-W53`` does (2026 has 53 ISO weeks), ``2025-W53``
    and ``2026-W60`` don't. Checked before any arithmetic, which would fail on them."""
    match = _WEEK_KEY.match(key)
    if match is None:
        return False
    year, week = int(match.group(1)), int(match.group(2))
    return 1 <= week <= weeks_in_year(year)


def weeks_in_year(year: int) -> int:
    """52 or 53: the ISO week of 28 December, which is always in the year's last week."""
    return date(year, 12, 28).isocalendar()[1]


def period_weeks(first: date, last: date, through: date | None = None) -> list[str]:
    """The ISO weeks of the period from ``first`` to ``last`` (that have begun by ``through``, when
    given), oldest first: a week belongs to the period its Thursday falls in (the ISO rule that
    gives a week to a year), so a week across two quarters is counted once."""
    thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    weeks = []
    while thursday <= last and (through is None or thursday - timedelta(days=3) <= through):
        weeks.append(week_key(thursday))
        thursday += timedelta(days=7)
    return weeks


def week_after(key: str) -> str:
    year, week = parse_week(key)
    return week_key(date.fromisocalendar(year, week, 1) + timedelta(days=7))


def week_before(key: str) -> str:
    year, week = parse_week(key)
    return week_key(date.fromisocalendar(year, week, 1) - timedelta(days=7))


def local_instant(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """``clock`` on ``day`` where the person is, in UTC.

    A wall time that happens twice (the autumn night) is its first occurrence; one that doesn't
    happen (the spring-forward gap, say 02:30) is taken an hour later, as clocks then show 03:30.
    """
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def day_in_week(week: str, weekday: str) -> date:
    year, number = parse_week(week)
    return date.fromisocalendar(year, number, WEEKDAYS.index(weekday) + 1)


def next_weekly(after: datetime, weekday: str, clock: time, zone: ZoneInfo) -> datetime:
    """The first ``weekday`` at ``clock`` in ``zone`` strictly after ``after``."""
    local_day = after.astimezone(zone).date()
    for offset in range(0, 15):
        day = local_day + timedelta(days=offset)
        if day.weekday() == WEEKDAYS.index(weekday):
            candidate = local_instant(day, clock, zone)
            if candidate > after:
                return candidate
    raise AssertionError("a weekday always comes round within two weeks")


@dataclass(frozen=True)
class CheckinWindow:
    """One person's check-in for one week: when they are asked, reminded, and when answers close."""

    week: str
    prompt_at: datetime
    closes_at: datetime
    local_day: date
    reminders: tuple[datetime, ...]

    def is_open(self, now: datetime) -> bool:
        return self.prompt_at <= now < self.closes_at


def is_workday(day: date, holidays: Iterable[date]) -> bool:
    return day.weekday() in WORKDAYS and day not in set(holidays)


def reminder_at(spec: str, prompt_at: datetime, zone: ZoneInfo, holidays: Iterable[date]) -> datetime:
    """``+4h`` after the prompt, or ``next-workday 09:00`` after the prompt's local day."""
    if spec.startswith("+"):
        amount, unit = int(spec[1:-1]), spec[-1]
        return (
            prompt_at
            + {"m": timedelta(minutes=amount), "h": timedelta(hours=amount), "d": timedelta(days=amount)}[unit]
        )
    clock = parse_clock(spec.split()[1])
    day = prompt_at.astimezone(zone).date() + timedelta(days=1)
    holiday_set = set(holidays)
    while not is_workday(day, holiday_set):
        day += timedelta(days=1)
    return local_instant(day, clock, zone)


@dataclass(frozen=True)
class DigestReader:
    """Whose digest reports a person's check-in, and when it goes out: the manager's zone and the
    digest settings of the manager's team. Answers close just before it."""

    zone: str
    digest: DigestSettings


def checkin_window(
    settings: WorkspaceSettings, week: str, person_zone: str, reader: DigestReader | None = None
) -> CheckinWindow:
    """The window of ``week`` for a person in ``person_zone`` living by ``settings`` (their team's).

    By default answers close a minute before the digest that reports on them, at the digest's time
    where the digest reader (the manager, ``reader``) lives, by the reader's digest settings.
    """
    zone = ZoneInfo(person_zone)
    checkins = settings.checkins
    day = day_in_week(week, checkins.day)
    prompt_at = local_instant(day, parse_clock(checkins.time), zone)
    if checkins.closes == "before-digest":
        reader = reader or DigestReader(person_zone, settings.digest)
        digest_time = parse_clock(reader.digest.time)
        closes_at = next_weekly(prompt_at, reader.digest.day, digest_time, ZoneInfo(reader.zone)) - CLOSE_MARGIN
    else:
        close_day, close_clock = checkins.closes.split()
        closes_at = next_weekly(prompt_at, close_day, parse_clock(close_clock), zone)
    reminders = tuple(
        at
        for at in (reminder_at(spec, prompt_at, zone, settings.holidays) for spec in checkins.reminders)
        if prompt_at < at < closes_at
    )
    return CheckinWindow(week=week, prompt_at=prompt_at, closes_at=closes_at, local_day=day, reminders=reminders)


def current_window(
    settings: WorkspaceSettings, now: datetime, person_zone: str, reader: DigestReader | None = None
) -> CheckinWindow:
    """The window a person is in at ``now``: the open one, or else the next one to open.

    Looks at last, this and next week of the person's calendar, so a window that opened last week
    and closes this week (a Friday prompt, a Monday digest) is found.
    """
    this_week = week_key(now.astimezone(ZoneInfo(person_zone)).date())
    candidates = [
        checkin_window(settings, week, person_zone, reader)
        for week in (week_before(this_week), this_week, week_after(this_week))
    ]
    for window in candidates:
        if window.is_open(now):
            return window
    return min((window for window in candidates if window.prompt_at > now), key=lambda window: window.prompt_at)


def is_away(
    day: date, away_until: date | None, time_off: Iterable[tuple[date, date]], holidays: Iterable[date]
) -> bool:
    """Away on ``day``: on leave until then, inside a recorded time off, or a workspace holiday."""
    if away_until is not None and day <= away_until:
        return True
    if day in set(holidays):
        return True
    return any(start <= day <= end for start, end in time_off)


def previous_weekly(at: datetime, weekday: str, clock: time, zone: ZoneInfo) -> datetime:
    """The last ``weekday`` at ``clock`` in ``zone`` at or before ``at``."""
    local_day = at.astimezone(zone).date()
    for offset in range(0, 15):
        day = local_day - timedelta(days=offset)
        if day.weekday() == WEEKDAYS.index(weekday):
            candidate = local_instant(day, clock, zone)
            if candidate <= at:
                return candidate
    raise AssertionError("a weekday always came round within two weeks")


def digest_instant(settings: WorkspaceSettings, now: datetime, zone_name: str) -> datetime:
    """When the latest digest was due for a reader in ``zone_name``: the last digest day and time up to now."""
    zone = ZoneInfo(zone_name)
    return previous_weekly(now, settings.digest.day, parse_clock(settings.digest.time), zone)


def covered_week(settings: WorkspaceSettings, digest_at: datetime, zone_name: str) -> str:
    """The check-in week a digest reports on: the latest one prompted before it (its answers closed
    a minute before the digest)."""
    zone = ZoneInfo(zone_name)
    prompt = previous_weekly(digest_at - CLOSE_MARGIN, settings.checkins.day, parse_clock(settings.checkins.time), zone)
    return week_key(prompt.astimezone(zone).date())


def week_days(week: str) -> tuple[date, date]:
    year, number = parse_week(week)
    return date.fromisocalendar(year, number, 1), date.fromisocalendar(year, number, 7)


def week_ends_at(week: str, zone_name: str) -> datetime:
    """The instant ``week`` is over for someone in ``zone_name``: midnight at the start of the
    following Monday there, in UTC."""
    _, sunday = week_days(week)
    return local_instant(sunday + timedelta(days=1), time(0), ZoneInfo(zone_name))


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_and_month(day: date) -> str:
    """A date as people write it on a calendar, ``30 Nov``: the same words whatever the locale."""
    return f"{day.day} {MONTHS[day.month - 1]}"


def week_dates(week: str) -> str:
    """A week's Monday to Sunday, ``30 Nov – 6 Dec`` (``28 Dec – 3 Jan 2027`` across New Year): how
    messages name a week when no one reader's "today" applies. A key that isn't a week stays as is."""
    if not is_iso_week(week):
        return week
    monday, sunday = week_days(week)
    if monday.year != sunday.year:
        return f"{day_and_month(monday)} – {day_and_month(sunday)} {sunday.year}"
    first = str(monday.day) if monday.month == sunday.month else day_and_month(monday)
    return f"{first} – {day_and_month(sunday)}"


def week_label(week: str, today: date) -> str:
    """A week in words people know, seen from ``today`` (the reader's local date).

    An ISO week key (``2026-W49``) is exact, but few people can say which days it means, so
    messages name the week by its dates, Monday to Sunday, relative to today:

    - ``this week, 30 Nov – 6 Dec``, ``last week, 23 – 29 Nov``, ``next week, 7 – 13 Dec``;
    - any other week by its Monday: ``week of 16 Nov``, with the year when that Monday is in
      another year than today (``week of 3 Mar 2025``).

    ``week`` must be a valid key (see ``is_iso_week``). Pure: no clock, no locale.
    """
    monday, sunday = week_days(week)
    this_monday = today - timedelta(days=today.weekday())
    relative = {0: "this week", -7: "last week", 7: "next week"}.get((monday - this_monday).days)
    if relative is None:
        year = f" {monday.year}" if monday.year != today.year else ""
        return f"week of {day_and_month(monday)}{year}"
    first = str(monday.day) if monday.month == sunday.month else day_and_month(monday)
    return f"{relative}, {first} – {day_and_month(sunday)}"

"""When a manager and a report meet, and when each of them gets the agenda: pure date arithmetic.

A pair meets at a weekday and a wall-clock time in the MANAGER's time zone, every week or every
other week; which weeks a biweekly pair meets in is counted from the pair's ``anchor`` (the date of
its first 1:1), so the rhythm never drifts whatever the clocks do. Because the time is a local
wall-clock time, 15:00 in Berlin stays 15:00 in Berlin across the spring change, and moves for a
report in New York when only one of the two zones has changed.

Each side's agenda arrives some working days before the meeting's date *as that person sees it*
(a 15:00 Berlin meeting on Monday is Tuesday morning in Tokyo), at the agenda time in their own
zone, skipping weekends and the workspace's holidays. An agenda is never sent once the meeting has
started; one whose time falls after the start goes as soon as it can, before it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from conversations.dates import day_text
from conversations.schedule import is_workday, local_instant
from conversations.workspace_settings import WEEKDAYS, OneOnOneSettings, parse_clock

CADENCE_WEEKS = {"weekly": 1, "biweekly": 2}


@dataclass(frozen=True)
class Rhythm:
    """How one pair meets: every ``weeks_apart`` weeks on ``weekday`` at ``clock`` in ``zone`` (the
    manager's), never before ``anchor``; a biweekly pair meets in the weeks an even number of weeks
    from the anchor's."""

    weeks_apart: int
    weekday: str
    clock: time
    zone: str
    anchor: date

    def meets_on(self, day: date) -> bool:
        if day < self.anchor or day.weekday() != WEEKDAYS.index(self.weekday):
            return False
        weeks = (_monday(day) - _monday(self.anchor)).days // 7
        return weeks % self.weeks_apart == 0


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def rhythm_for(
    settings: OneOnOneSettings,
    *,
    anchor: date,
    zone: str,
    cadence: str | None = None,
    weekday: str | None = None,
    local_time: str | None = None,
) -> Rhythm:
    """A pair's rhythm: its own cadence, day and time where it set them, the settings' otherwise."""
    return Rhythm(
        weeks_apart=CADENCE_WEEKS[cadence or settings.cadence],
        weekday=weekday or settings.day,
        clock=parse_clock(local_time or settings.time),
        zone=zone,
        anchor=anchor,
    )


def next_meeting(rhythm: Rhythm, after: datetime) -> datetime:
    """The first 1:1 that starts strictly after ``after``, in UTC."""
    zone = ZoneInfo(rhythm.zone)
    day = max(after.astimezone(zone).date(), rhythm.anchor)
    for offset in range(7 * rhythm.weeks_apart + 8):
        candidate_day = day + timedelta(days=offset)
        if rhythm.meets_on(candidate_day):
            start = local_instant(candidate_day, rhythm.clock, zone)
            if start > after:
                return start
    raise AssertionError("a pair meets at least every other week")


def previous_meeting(rhythm: Rhythm, before: datetime) -> datetime | None:
    """The latest 1:1 that started at or before ``before``; None before the first one."""
    zone = ZoneInfo(rhythm.zone)
    day = before.astimezone(zone).date()
    for offset in range(7 * rhythm.weeks_apart + 8):
        candidate_day = day - timedelta(days=offset)
        if candidate_day < rhythm.anchor:
            return None
        if rhythm.meets_on(candidate_day):
            start = local_instant(candidate_day, rhythm.clock, zone)
            if start <= before:
                return start
    return None


def first_meeting_day(weekday: str, clock: time, zone: str, after: datetime) -> date:
    """The date of the first ``weekday`` at ``clock`` in ``zone`` after ``after``: a new pair's anchor
    (or a pair's after it changes its cadence), so its first 1:1 is the soonest one."""
    start = next_meeting(Rhythm(1, weekday, clock, zone, date.min), after)
    return start.astimezone(ZoneInfo(zone)).date()


def workdays_before(day: date, count: int, holidays: Iterable[date]) -> date:
    """The date ``count`` working days before ``day`` (``day`` itself for 0), skipping weekends and holidays."""
    holiday_set = set(holidays)
    while count > 0:
        day -= timedelta(days=1)
        if is_workday(day, holiday_set):
            count -= 1
    return day


def agenda_time(start: datetime, zone: str, settings: OneOnOneSettings, holidays: Iterable[date]) -> datetime:
    """When the agenda of the 1:1 starting at ``start`` is due for someone living in ``zone``: the
    working days the settings say before the meeting's date there, at the agenda time there."""
    person_zone = ZoneInfo(zone)
    meeting_day = start.astimezone(person_zone).date()
    day = workdays_before(meeting_day, settings.agenda_workdays_before, holidays)
    return local_instant(day, parse_clock(settings.agenda_time), person_zone)


def agenda_due(now: datetime, start: datetime, send_at: datetime) -> bool:
    """Whether an agenda due at ``send_at`` goes now: never once the 1:1 has started; at once when
    its time falls at or after the start (it could not be sent later)."""
    if now >= start:
        return False
    return now >= send_at or send_at >= start


def moment_text(instant: datetime, zone: str, now: datetime) -> str:
    """A 1:1's start as the person in ``zone`` reads it: ``Thu 25 Mar 15:00`` (with the year when it
    isn't this one)."""
    person_zone = ZoneInfo(zone)
    local = instant.astimezone(person_zone)
    return f"{day_text(local.date(), now.astimezone(person_zone).date())} {local:%H:%M}"

"""Time off, as a pure flow: ``checkin away next week``, ``checkin away list``, ``checkin away cancel``.

While someone is away they get no check-in prompts and count as *away*, not missing. Dates are
read the way people write them (``conversations/dates.py``) and said back the way Cadence read
them, so a misreading shows at once. The storage context lists the person's time off from today
on; cancelling one makes a check-in that was waiting on it due again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from conversations.dates import Span, day_text, parse_day, parse_span, span_text
from conversations.flow import Change, State, StepResult
from conversations.messages import Inbound, Outbound
from conversations.numbers import small_int

MAX_TIME_OFF = timedelta(days=366)
LIST_WORDS = frozenset({"list", "show", "ls"})
CANCEL_WORDS = frozenset({"cancel", "delete", "remove", "undo", "back"})
EVERYTHING = frozenset({"all", "everything"})


@dataclass(frozen=True)
class TimeOffRecorded(Change):
    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class TimeOffCancelled(Change):
    time_off_id: int


def problem(code: str, today: date, **values: Any) -> StepResult:
    example = {
        "example_start": day_text(today + timedelta(days=14), today),
        "example_end": day_text(today + timedelta(days=21), today),
    }
    return StepResult(outbound=(Outbound("time_off_problem", {"code": code, **example, **values}, private=True),))


def listed(entries: Sequence[Mapping[str, Any]], today: date) -> list[dict[str, Any]]:
    """Each time off with its number (what ``checkin away cancel 2`` names) and its days in words."""
    return [
        {
            "number": number,
            "id": entry["id"],
            "days": span_text(Span(date.fromisoformat(entry["start"]), date.fromisoformat(entry["end"])), today),
        }
        for number, entry in enumerate(entries, 1)
    ]


class TimeOffFlow:
    """``/checkin away Dec 21 to Jan 4``: no prompts in that time, counted as away, not missing."""

    stateless: ClassVar[bool] = True
    name: ClassVar[str] = "checkin_away"
    commands: ClassVar[tuple[str, ...]] = ("checkin away",)
    keywords: ClassVar[tuple[str, ...]] = ("time off", "away", "vacation", "holiday")

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        actor = inbound.actor
        assert actor is not None
        today = now.astimezone(ZoneInfo(actor.timezone)).date()
        entries = list((state.data if state else {}).get("time_off") or [])
        text = inbound.text.strip()
        first, _, rest = text.partition(" ")
        if not text or (inbound.command is None and text.lower() in self.keywords):
            return problem("usage", today, time_off=listed(entries, today))
        if first.lower() in LIST_WORDS and not rest:
            return StepResult(outbound=(Outbound("time_off_list", {"time_off": listed(entries, today)}, private=True),))
        if first.lower() in CANCEL_WORDS:
            return self.cancel(entries, rest.strip(), today)
        return self.record(text, today)

    @staticmethod
    def record(text: str, today: date) -> StepResult:
        span = parse_span(text, today)
        if span is None:
            return problem("not_a_date", today, text=text)
        start, end = span.first, span.last
        if end < start:
            return problem("order", today, start=day_text(start, today), end=day_text(end, today))
        if end < today:
            return problem("past", today, end=day_text(end, today))
        if end - start > MAX_TIME_OFF:
            return problem("too_long", today)
        if start - today > MAX_TIME_OFF:
            return problem("too_far", today, start=day_text(start, today))
        start = max(start, today)
        shown = {"days": span_text(Span(start, end), today), "start": start.isoformat(), "end": end.isoformat()}
        confirmation = Outbound("time_off_recorded", shown, private=True)
        return StepResult(outbound=(confirmation,), changes=(TimeOffRecorded(start, end),))

    @staticmethod
    def cancel(entries: Sequence[Mapping[str, Any]], which: str, today: date) -> StepResult:
        """``cancel`` (when there is one), ``cancel 2`` (its number in the list), ``cancel Dec 21``
        (the one that day falls in) or ``cancel all``."""
        shown = listed(entries, today)
        if not shown:
            return problem("nothing_to_cancel", today)
        if not which and len(shown) > 1:
            return problem("which", today, time_off=shown)
        if which.lower() in EVERYTHING:
            chosen = shown
        elif not which:
            chosen = shown[:1]
        elif (number := small_int(which, 3)) is not None:
            chosen = [entry for entry in shown if entry["number"] == number]
        else:
            day = parse_day(which, today)
            chosen = [
                entry
                for entry, stored in zip(shown, entries, strict=True)
                if day is not None and stored["start"] <= day.isoformat() <= stored["end"]
            ]
        if not chosen:
            return problem("no_such_time_off", today, text=which, time_off=shown)
        message = Outbound("time_off_cancelled", {"time_off": chosen}, private=True)
        return StepResult(outbound=(message,), changes=tuple(TimeOffCancelled(entry["id"]) for entry in chosen))

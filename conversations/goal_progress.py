"""How far goals have come: key results measured against their start and target, rolled up.

A key result's progress is (current − start) / (target − start), clamped to 0–100 %; a yes/no
key result is 0 or 100 %. A goal's progress is the weighted mean of its key results and its
child goals (each child weighing 1 unless given a weight), so company goals move as the team
and personal goals under them do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from conversations.numbers import parse_number


def key_result_progress(metric: str, start: float, target: float, current: float) -> float:
    if metric == "boolean":
        return 100.0 if current >= 1 else 0.0
    if target == start:
        return 100.0 if current == target else 0.0
    fraction = (current - start) / (target - start)
    return round(min(max(fraction, 0.0), 1.0) * 100.0, 4)


def weighted_progress(parts: Iterable[tuple[float, float]]) -> float:
    """The mean of (progress, weight) pairs by weight; 0 when there is nothing to weigh."""
    parts = [(progress, weight) for progress, weight in parts if weight > 0]
    total = sum(weight for _, weight in parts)
    if total == 0:
        return 0.0
    return round(min(max(sum(progress * weight for progress, weight in parts) / total, 0.0), 100.0), 4)


HEALTHS = ("on_track", "at_risk", "off_track")
NOT_STARTED = "not_started"  # shown instead of a health until a goal first moves or is updated
ON_TRACK_SLACK = 10.0  # percentage points behind the time elapsed that still count as on track
AT_RISK_SLACK = 25.0


def expected_progress(starts_on: date, ends_on: date, today: date) -> float:
    """How far a goal would be if it moved evenly through its period: the share of its days gone,
    counting today (a period includes its first and last day)."""
    if today < starts_on:
        return 0.0
    if today >= ends_on:
        return 100.0
    return ((today - starts_on).days + 1) / ((ends_on - starts_on).days + 1) * 100.0


def health(progress: float, starts_on: date, ends_on: date, today: date, confidence: int | None) -> str:
    """On track, at risk or off track, the worse of two signals:

    - progress against time: within 10 points of the share of the period elapsed is on track,
      within 25 points at risk, further behind off track;
    - the owner's latest confidence (1–5): 2 is at risk, 1 is off track.
    A goal that has reached 100 % is on track whatever the date.
    """
    if progress >= 100.0:
        return "on_track"
    behind = expected_progress(starts_on, ends_on, today) - progress
    by_time = 0 if behind <= ON_TRACK_SLACK else 1 if behind <= AT_RISK_SLACK else 2
    by_confidence = 0 if confidence is None or confidence >= 3 else 1 if confidence == 2 else 2
    return HEALTHS[max(by_time, by_confidence)]


_PERIOD = re.compile(r"^(\d{4})(?:-(Q[1-4]|H[12]|\d{2}))?$", re.IGNORECASE)


def parse_period(text: str) -> tuple[str, date, date] | None:
    """``2026``, ``2026-H2``, ``2026-Q4`` or ``2026-11`` as (name, first day, last day)."""
    match = _PERIOD.match(text.strip())
    if match is None or not 1900 <= int(match.group(1)) <= 9998:
        return None
    year, part = int(match.group(1)), (match.group(2) or "").upper()
    if not part:
        first_month, months = 1, 12
    elif part.startswith("Q"):
        first_month, months = (int(part[1]) - 1) * 3 + 1, 3
    elif part.startswith("H"):
        first_month, months = (int(part[1]) - 1) * 6 + 1, 6
    else:
        first_month, months = int(part), 1
        if not 1 <= first_month <= 12:
            return None
    last_month = first_month + months - 1
    last_day = (date(year + (last_month == 12), last_month % 12 + 1, 1)) - timedelta(days=1)
    return f"{year}" + (f"-{part}" if part else ""), date(year, first_month, 1), last_day


def current_period(today: date) -> str:
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def quarter_of(day: date) -> tuple[str, date, date]:
    """The calendar quarter ``day`` is in: its name (``2026-Q4``), first and last day."""
    quarter = parse_period(current_period(day))
    assert quarter is not None, "a quarter's name always reads as a period"
    return quarter


def quarter_name(now: datetime, zone: str) -> str:
    """The quarter someone in ``zone`` is in now (``2026-Q4``)."""
    return current_period(now.astimezone(ZoneInfo(zone)).date())


def quarter_began_at(now: datetime, zone: str) -> datetime:
    """The start of the calendar quarter someone in ``zone`` is in, at midnight where they live:
    feedback given on 30 September at 23:00 in Tokyo belongs to the third quarter there, whatever
    the hour in UTC."""
    local = ZoneInfo(zone)
    _, first, _ = quarter_of(now.astimezone(local).date())
    return datetime.combine(first, time(), local)


_KR_LINE = re.compile(
    r"^(?P<title>.+?)\s*:\s*(?P<body>.+?)\s*(?:\((?:weight\s*|x\s*)(?P<weight>\d+(?:\.\d+)?)\)\s*)?$", re.IGNORECASE
)
_ARROW = re.compile(r"\s*(?:->|→|=>)\s*|\s+to\s+", re.IGNORECASE)
_MEASURE = re.compile(
    r"^(?P<sign>-(?=[$€£]))?(?P<prefix>[$€£])?\s*(?P<number>-?\d[\d,]*(?:\.\d+)?)\s*(?P<unit>[^\d()]*?)\s*$"
)
_YES_NO = re.compile(r"^(?:yes\s*/\s*no|yes-no|done|yes)$", re.IGNORECASE)
CURRENCIES = ("€", "$", "£", "EUR", "USD", "GBP")
MAX_UNIT = 24


def _measure(text: str) -> tuple[float, str] | None:
    """``1.2 M€``, ``$40``, ``-€5``, ``3 days``, ``80 %``: a number and its unit (no digits in a unit)."""
    match = _MEASURE.match(text.strip())
    if match is None:
        return None
    number = parse_number((match.group("sign") or "") + match.group("number"))
    unit = (match.group("prefix") or "") + match.group("unit").strip()
    if number is None or len(unit) > MAX_UNIT:
        return None
    return number, unit


def _same_unit(first: str, second: str) -> str | None:
    """One unit for a start and a target: either may leave it out; ``day``/``days`` agree."""
    if not first or not second:
        return first or second
    if first.lower() == second.lower():
        return second
    if first.lower() == f"{second.lower()}s":
        return first
    if second.lower() == f"{first.lower()}s":
        return second
    return None


def parse_key_result_line(line: str) -> dict | None:
    """``Beta users: 0 -> 200``, ``Time to first import: 3 days to 1 day``, ``ARR: 1.2 -> 2 M€ (x2)``,
    ``Launched: yes/no`` as key result fields; None when the line doesn't read as one (a unit that
    differs between start and target, numbers in a unit, a missing target)."""
    match = _KR_LINE.match(line.strip())
    if match is None:
        return None
    title, body = match.group("title").strip(), match.group("body").strip()
    weight = float(match.group("weight") or 1)
    if len(title) > 300 or weight <= 0:
        return None
    if _YES_NO.match(body):
        return {"title": title, "metric": "boolean", "start": 0.0, "target": 1.0, "unit": "", "weight": weight}
    sides = _ARROW.split(body)
    if len(sides) > 2:
        return None
    measured = [_measure(side) for side in sides]
    if any(side is None for side in measured):
        return None
    if len(measured) == 1:
        measured.insert(0, (0.0, ""))
    (start, start_unit), (target, target_unit) = measured  # type: ignore[misc]
    unit = _same_unit(start_unit, target_unit)
    if unit is None:
        return None
    metric = "percent" if unit == "%" else "currency" if unit in CURRENCIES else "number"
    return {
        "title": title,
        "metric": metric,
        "start": start,
        "target": target,
        "unit": "" if metric == "percent" else unit,
        "weight": weight,
    }


def progress_bar(progress: float, width: int = 10) -> str:
    filled = int(max(0.0, min(progress, 100.0)) / 100 * width + 0.5)  # half up, so 45 % shows five of ten
    return "▓" * filled + "░" * (width - filled)

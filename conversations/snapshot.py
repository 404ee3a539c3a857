"""The quarterly snapshot, as pure arithmetic over what a quarter left behind.

Storage gathers one person's raw quarter (each week's check-in status, mood, blockers and
highlights; their goals; the kudos and feedback they received; their written expectations) as
plain data; ``summarise`` turns it into what the snapshot shows. A snapshot compares a person
with themselves, never with others: the mood trend is against their own earlier weeks, and
participation counts only the weeks they were asked and not away.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from statistics import mean
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from conversations.digest import DIGEST_CHART, response_rate
from conversations.flow import State, StepResult
from conversations.goal_progress import quarter_of
from conversations.messages import Inbound, Outbound
from conversations.schedule import is_workday, local_instant
from conversations.workspace_settings import parse_clock

SNAPSHOT = "snapshot"  # an outbound kind: one person's quarter
SNAPSHOT_PROBLEM = "snapshot_problem"  # an outbound kind: why a snapshot can't be shown, in one sentence
BASELINE_WEEKS = 13  # a person's own earlier quarter is what their mood is compared with
STEADY = 0.5  # a mood change smaller than this, either way, is steady
SHOWN_HIGHLIGHTS = 5
SUBMITTED, SKIPPED, AWAY = "submitted", "skipped", "away"


CATCH_UP_DAYS = 7  # a snapshot missed while Cadence was down still goes out within a week; older ones don't


def snapshot_due(now: datetime, zone: str, clock: str, holidays: Sequence[date]) -> str | None:
    """The quarter whose snapshots reach a reader in ``zone`` now, or None: the first working day
    after the quarter ended, at ``clock`` (the digest's time) in the reader's own time zone, and
    for a week after that (a tick after downtime still sends it, once)."""
    today = now.astimezone(ZoneInfo(zone)).date()
    _, first, _ = quarter_of(today)
    ended, _, _ = quarter_of(first - timedelta(days=1))
    day = first
    while not is_workday(day, holidays):
        day += timedelta(days=1)
    due_at = local_instant(day, parse_clock(clock), ZoneInfo(zone))
    return ended if due_at <= now < due_at + timedelta(days=CATCH_UP_DAYS) else None


def participation(history: Mapping[str, Mapping[str, Any]], weeks: Sequence[str]) -> dict[str, Any]:
    """The weeks the person was asked (a check-in was opened for them) and not away, and what they did."""
    statuses = Counter(str(history[week]["status"]) for week in weeks if week in history)
    expected = sum(count for status, count in statuses.items() if status != AWAY)
    submitted = statuses.get(SUBMITTED, 0)
    return {
        "expected": expected,
        "submitted": submitted,
        "skipped": statuses.get(SKIPPED, 0),
        "away": statuses.get(AWAY, 0),
        "missed": expected - submitted - statuses.get(SKIPPED, 0),
        "rate": response_rate(submitted, expected),
    }


def mood_trend(
    history: Mapping[str, Mapping[str, Any]], weeks: Sequence[str], earlier_weeks: Sequence[str]
) -> dict[str, Any]:
    """Each week's mood, the quarter's average and how it compares with the person's own average
    over the weeks before the quarter (None when they gave no mood then)."""
    by_week = [history.get(week, {}).get("mood") for week in weeks]
    moods = [mood for mood in by_week if mood is not None]
    earlier = [history[week]["mood"] for week in earlier_weeks if history.get(week, {}).get("mood") is not None]
    average = round(mean(moods), 1) if moods else None
    baseline = round(mean(earlier), 1) if earlier else None
    change = round(average - baseline, 1) if average is not None and baseline is not None else None
    direction = None if change is None else "up" if change >= STEADY else "down" if change <= -STEADY else "steady"
    return {"by_week": by_week, "average": average, "baseline": baseline, "change": change, "direction": direction}


def blocker_stretches(history: Mapping[str, Mapping[str, Any]], weeks: Sequence[str]) -> list[dict[str, Any]]:
    """Blockers as stretches of weeks in a row that reported one (a week without a check-in ends a
    stretch): what it was when it started, how many weeks it stayed, and whether it was still there
    in the last week they checked in."""
    answered = [week for week in weeks if history.get(week, {}).get("status") == SUBMITTED]
    stretches: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for week in weeks:
        entry = history.get(week, {})
        text = entry.get("blockers") if entry.get("status") == SUBMITTED else None
        if not text:
            current = None
            continue
        if current is None:
            current = {"text": text, "from": week, "weeks": 0, "open": False}
            stretches.append(current)
        current["weeks"] += 1
        current["until"] = week
    if stretches and stretches[-1]["until"] == answered[-1]:
        stretches[-1]["open"] = True
    return stretches


def highlights(history: Mapping[str, Mapping[str, Any]], weeks: Sequence[str]) -> dict[str, Any]:
    """The latest highlights (what got done), newest first, and how many there were."""
    found = [(week, text) for week in weeks for text in history.get(week, {}).get("highlights") or ()]
    latest = [{"week": week, "text": text} for week, text in reversed(found)][:SHOWN_HIGHLIGHTS]
    return {"count": len(found), "latest": latest}


def tally(items: Sequence[Mapping[str, Any]], key: str) -> list[dict[str, Any]]:
    """How often each label under ``key`` (a label or a list of labels) comes up, most first."""
    counts: Counter[str] = Counter()
    for item in items:
        value = item.get(key)
        counts.update([value] if isinstance(value, str) else list(value or ()))
    return [{"label": label, "count": count} for label, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def summarise(
    *,
    person: Mapping[str, Any],
    period: str,
    weeks: Sequence[str],
    earlier_weeks: Sequence[str],
    history: Mapping[str, Mapping[str, Any]],
    goals: Sequence[Mapping[str, Any]],
    goal_progress: Sequence[float | None],
    kudos: Sequence[Mapping[str, Any]],
    feedback: Sequence[Mapping[str, Any]],
    expectations: Mapping[str, Sequence[str]],
) -> dict[str, Any]:
    """Everything one person's snapshot shows, as plain data for its words, its chart and its exports.
    ``has_data`` is False when the quarter left nothing behind (then the words say what would have to
    happen for there to be something)."""
    taking_part = participation(history, weeks)
    mood = mood_trend(history, weeks, earlier_weeks)
    has_data = bool(taking_part["expected"] or goals or kudos or feedback)
    return {
        "person": dict(person),
        "period": period,
        "has_data": has_data,
        "weeks": list(weeks),
        "participation": taking_part,
        "mood": mood,
        "highlights": highlights(history, weeks),
        "blockers": blocker_stretches(history, weeks),
        "goals": [dict(goal) for goal in goals],
        "goal_progress": list(goal_progress),
        "kudos": {"count": len(kudos), "by_value": tally(kudos, "values"), "by_skill": tally(kudos, "skills")},
        "feedback": {
            "count": len(feedback),
            "by_value": tally(feedback, "value"),
            "by_skill": tally(feedback, "skill"),
            "quotes": [{"text": item["quote"], "giver": item["giver"]} for item in feedback if item.get("quote")],
        },
        "expectations": [
            {"skill": skill, "statements": list(statements)} for skill, statements in expectations.items()
        ],
        "level": person.get("level") or "",
    }


def chart(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """The snapshot's chart as data: each week's mood against the person's baseline, and the
    average progress of their goals by week."""
    return {
        "title": f"{snapshot['person']['display_name']} · {snapshot['period']}",
        "mood_title": "Mood (1–5)",
        "gap_reason": "no check-in answered",
        "weeks": list(snapshot["weeks"]),
        "mood": list(snapshot["mood"]["by_week"]),
        "baseline": snapshot["mood"]["baseline"],
        "goal_progress": list(snapshot["goal_progress"]),
    }


class SnapshotFlow:
    """``/cadence snapshot [@person] [2026-Q4]``: someone's quarter, for them, their manager chain and
    admins; the storage context checks who may read it and builds it, the step only answers."""

    stateless: ClassVar[bool] = True
    name: ClassVar[str] = "snapshot"
    commands: ClassVar[tuple[str, ...]] = ("snapshot",)
    keywords: ClassVar[tuple[str, ...]] = ()

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        assert state is not None, "the snapshot context always seeds a state"
        data = state.data
        if data.get("problem"):
            return StepResult(outbound=(Outbound(SNAPSHOT_PROBLEM, dict(data["problem"]), private=True),))
        snapshot = data["snapshot"]
        messages = [Outbound(SNAPSHOT, dict(snapshot), private=True)]
        if snapshot["has_data"]:
            messages.append(Outbound(DIGEST_CHART, chart(snapshot), private=True))
        return StepResult(outbound=tuple(messages))

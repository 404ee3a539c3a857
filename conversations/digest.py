"""The arithmetic of a manager's digest, on plain data: response rates, mood against each person's
own baseline, how long blockers stay open, the anonymity rule for group figures, and what the
team asks of its manager (upward answers), named or anonymous."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import mean
from typing import Any

from conversations.messages import Choice, Outbound
from conversations.schedule import week_before
from conversations.words import Labels

DIGEST_CHART = "digest_chart"  # an outbound kind: the digest's chart, drawn where it is delivered
BASELINE_WEEKS = 4
CHART_WEEKS = 8
MAX_PERSON_BUTTONS = 20
MAX_ONE_ON_ONE_BUTTONS = 5  # a big team's digest offers a 1:1 only with those who most need one


def weeks_back(week: str, count: int) -> list[str]:
    """``count`` weeks ending with ``week``, oldest first."""
    weeks = [week]
    while len(weeks) < count:
        weeks.append(week_before(weeks[-1]))
    return list(reversed(weeks))


def group_mood(moods: Sequence[int], threshold: int) -> float | None:
    """A group's average mood, or None when fewer than ``threshold`` people gave one: never
    show an average that could point at one person."""
    return round(mean(moods), 1) if len(moods) >= threshold and moods else None


def mood_change(
    moods_by_week: Mapping[str, int | None], week: str, baseline_weeks: int = BASELINE_WEEKS
) -> dict[str, Any] | None:
    """This week's mood against the person's own average of the ``baseline_weeks`` weeks before
    (when they had any): four in the digest, eight on a 1:1 agenda."""
    mood = moods_by_week.get(week)
    if mood is None:
        return None
    earlier = [
        moods_by_week[w] for w in weeks_back(week_before(week), baseline_weeks) if moods_by_week.get(w) is not None
    ]
    baseline = round(mean(earlier), 1) if earlier else None
    return {"mood": mood, "baseline": baseline, "change": round(mood - baseline, 1) if baseline is not None else None}


def blocker_age(blockers_by_week: Mapping[str, str | None], week: str) -> int:
    """How many weeks in a row, ending with ``week``, the person has reported a blocker (0: none now)."""
    age, current = 0, week
    while blockers_by_week.get(current):
        age += 1
        current = week_before(current)
    return age


def response_rate(answered: int, expected: int) -> int | None:
    """Answered as a share of those who were not away, in whole percent."""
    return round(answered / expected * 100) if expected else None


@dataclass(frozen=True)
class UpwardAnswer:
    """One report's answer to one question for their manager, in the week digested."""

    person: Mapping[str, Any]  # a person ref: id and display name
    question: str
    answer: str


def upward_section(answers: Sequence[UpwardAnswer], *, anonymous: bool, threshold: int) -> dict[str, Any]:
    """What the team asks of its manager, for the digest's "What your team asks of you".

    Named: each person's answers under their name, people in the order given. Anonymous: no names
    and no ids anywhere in it (the digest waits in the outbox as data), each question's answers
    sorted by their text so their order says nothing about who wrote them, and only once at least
    ``threshold`` people answered; below that, only how many did."""
    people = {answer.person["id"] for answer in answers}
    section: dict[str, Any] = {"anonymous": anonymous, "answered": len(people), "threshold": threshold}
    if not anonymous:
        named: dict[int, dict[str, Any]] = {}
        for answer in answers:
            entry = named.setdefault(answer.person["id"], {"person": dict(answer.person), "items": []})
            entry["items"].append({"question": answer.question, "answer": answer.answer})
        return {**section, "shown": True, "people": list(named.values())}
    if len(people) < threshold:
        return {**section, "shown": False, "questions": []}
    by_question: dict[str, list[str]] = {}
    for answer in answers:
        by_question.setdefault(answer.question, []).append(answer.answer)
    questions = [
        {"question": question, "answers": sorted(texts, key=lambda text: (text.casefold(), text))}
        for question, texts in sorted(by_question.items(), key=lambda item: (item[0].casefold(), item[0]))
    ]
    return {**section, "shown": True, "questions": questions}


def person_buttons(people: Sequence[Mapping[str, Any]], week: str) -> tuple[Choice, ...]:
    """One button per person who answered: opens their check-in, with Reply and Thanks."""
    return tuple(
        Choice(str(person["display_name"])[:75], f"checkin_view.open:{person['id']}:{week}")
        for person in people[:MAX_PERSON_BUTTONS]
    )


def worth_a_one_on_one(team: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The reports to talk with first: those with a blocker (the longest-standing first), then those
    whose mood dropped, at most :data:`MAX_ONE_ON_ONE_BUTTONS`."""
    blocked = sorted([*team["blockers_open"], *team["blockers_new"]], key=lambda item: -item["weeks"])
    dropped = [row for row in team["people"] if row.get("dropped") or row.get("hard_week")]
    people = {item["person"]["id"]: item["person"] for item in [*blocked, *dropped]}
    return list(people.values())[:MAX_ONE_ON_ONE_BUTTONS]


def digest_message(data: Mapping[str, Any], to_person_id: int | None = None, labels: Labels | None = None) -> Outbound:
    """The digest with a button per report who answered and, given ``labels``, a "1:1 with …" button
    per report worth a 1:1 (their agenda opens with the blocker and the mood already on it)."""
    buttons = person_buttons(data["team"]["answered"], data["week"])
    if labels is not None:
        buttons += tuple(
            Choice(
                labels("one_on_one_with", name=str(person["display_name"]).split()[0]),
                f"one_on_one.open:{person['id']}",
            )
            for person in worth_a_one_on_one(data["team"])
        )
    return Outbound("digest", data, buttons, to_person_id=to_person_id)

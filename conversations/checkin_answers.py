"""Reading and checking check-in answers, typed in a chat or submitted in a form.

A question is a plain dict (it lives in conversation state as JSON): the settings' question
fields, plus for key results the ``kr`` being updated. A problem is reported as a code with
values, which the ``checkin_problem`` template words; nothing here writes user-facing sentences.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from conversations.messages import Choice, FieldKind, FormField
from conversations.numbers import format_measure, parse_measure, parse_number, small_int, split_measure

SKIP_WORDS = frozenset({"skip", "-", "pass", "n/a"})
KEEP_WORDS = frozenset({"keep", "same", "unchanged"})
NO_BLOCKER = re.compile(
    r"^(?:|-|no|none|nope|nah|nothing|n/?a|not really|all (?:good|clear|fine)|(?:it'?s )?all good|"
    r"nothing(?: (?:blocking(?: me)?|at all|really|major|right now|at the moment|so far|this week))*|"
    r"none(?: (?:so far|right now|at the moment|this week|at all))?|"
    r"no(?:thing)? blockers?(?: (?:this week|so far|right now|at the moment))?|"
    r"not (?:at the moment|right now|this week|really))$"
)
"""Answers to a blocker question that say there is none (``nothing blocking me``); anything else, even
``no laptop``, is a blocker."""
KR_UPDATE = "kr_update"  # one key result in one answer: value, confidence and a note
KR_VALUE, KR_CONFIDENCE, KR_COMMENT = "kr_value", "kr_confidence", "kr_comment"  # check-ins saved before KR_UPDATE
KEY_RESULT_KINDS = frozenset({KR_UPDATE, KR_VALUE, KR_CONFIDENCE, KR_COMMENT})
UPWARD = "upward"
MAX_TEXT = 3000
MAX_NOTE = 500
_CONFIDENCE = re.compile(r"(?:^|(?<=[\s,;]))(?:confidence|conf)\s*[:=]?\s*([1-5])(?:\s*/\s*5)?(?=$|[\s,;.])", re.I)
_LONE_CONFIDENCE = re.compile(r"^[,;]?\s*([1-5])(?:\s*/\s*5)?(?=$|[\s,;])")


@dataclass(frozen=True)
class Problem:
    code: str
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Parsed:
    value: Any = None
    problem: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _pick(options: Sequence[str], text: str) -> str | None:
    cleaned = text.strip()
    number = small_int(cleaned, 3)
    if number is not None and 1 <= number <= len(options):
        return options[number - 1]
    return next((option for option in options if option.lower() == cleaned.lower()), None)


def parse_answer(question: Mapping[str, Any], raw: Any) -> Parsed:
    """One answer, from chat text or a form value; ``None`` means "no answer" for optional questions."""
    kind = question["kind"]
    text = ",".join(str(item) for item in raw) if isinstance(raw, list) else str(raw if raw is not None else "").strip()
    if not text or text.lower() in SKIP_WORDS:
        return Parsed(problem=Problem("required")) if question.get("required") else Parsed(None)
    if kind == "mood":
        labels = list(question.get("labels") or [])
        number = parse_number(text)
        if number is None:
            match = _pick(labels, text) if not text.isdigit() else None
            number = labels.index(match) + 1 if match else None
        if number is None or number != int(number) or not 1 <= number <= 5:
            return Parsed(problem=Problem("mood_range", {"labels": labels}))
        return Parsed(int(number))
    if kind == KR_UPDATE:
        return parse_key_result_update(question["kr"], text)
    if kind in ("number", KR_VALUE):
        kr = question.get("kr") or {}
        number = parse_measure(text, kr.get("unit") or "", kr.get("metric", "number"))
        if number is None:
            return Parsed(problem=Problem("not_a_number", {"text": text}))
        low, high = question.get("minimum"), question.get("maximum")
        if (low is not None and number < low) or (high is not None and number > high):
            return Parsed(problem=Problem("out_of_range", {"minimum": low, "maximum": high}))
        return Parsed(int(number) if number == int(number) else number)
    if kind == KR_CONFIDENCE:
        number = parse_number(text)
        if number is None or number != int(number) or not 1 <= number <= 5:
            return Parsed(problem=Problem("confidence_range"))
        return Parsed(int(number))
    if kind == "single_choice":
        choice = _pick(list(question["options"]), text)
        return Parsed(choice) if choice else Parsed(problem=Problem("unknown_option", {"options": question["options"]}))
    if kind == "multiple_choice":
        options = list(question["options"])
        parts = raw if isinstance(raw, list) else [part for part in text.split(",") if part.strip()]
        picked = [_pick(options, str(part)) for part in parts]
        if not picked or any(choice is None for choice in picked):
            return Parsed(problem=Problem("unknown_option", {"options": options, "several": True}))
        return Parsed(list(dict.fromkeys(picked)))
    if len(text) > MAX_TEXT:
        return Parsed(problem=Problem("too_long", {"limit": MAX_TEXT, "length": len(text)}))
    return Parsed(text)


def parse_key_result_update(kr: Mapping[str, Any], text: str) -> Parsed:
    """``45``, ``45, confidence 4, shipped the beta``, ``380 ms 3 waiting on infra`` or ``confidence 2``.

    The value comes first (with or without the key result's unit, or yes/no), then optionally a
    confidence from 1 to 5 (``confidence 4``, or a lone 1–5 right after the value), then a note.
    ``keep`` or ``skip`` leaves the key result as it is.
    """
    cleaned = text.strip()
    if cleaned.lower() in KEEP_WORDS or cleaned.lower() in SKIP_WORDS:
        return Parsed(None)
    confidence = None
    labelled = _CONFIDENCE.search(cleaned)
    if labelled is not None:
        confidence = int(labelled.group(1))
        cleaned = f"{cleaned[: labelled.start()]} {cleaned[labelled.end() :]}".strip(" ,;")
    value, rest = split_measure(cleaned, kr.get("unit") or "", kr.get("metric", "number"))
    if value is not None and confidence is None:
        lone = _LONE_CONFIDENCE.match(rest)
        if lone is not None:
            confidence, rest = int(lone.group(1)), rest[lone.end() :]
    note = rest.strip(" ,;:-–—").strip().strip('"“”').strip()
    if value is None and (confidence is None or note):
        return Parsed(problem=Problem("kr_update", {"kr": dict(kr), "text": text.strip()}))
    if len(note) > MAX_NOTE:
        return Parsed(problem=Problem("too_long", {"limit": MAX_NOTE, "length": len(note)}))
    if value is not None and float(value).is_integer():
        value = int(value)
    return Parsed({"value": value, "confidence": confidence, "comment": note})


def display(question: Mapping[str, Any], value: Any) -> str:
    """An answer as people read it back: ``4 · Good``, ``a, c``, or the text itself."""
    if value is None:
        return "—"
    if question["kind"] == "mood":
        labels = list(question.get("labels") or [])
        return f"{value} · {labels[value - 1]}" if 1 <= value <= len(labels) else str(value)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    kr = question.get("kr") or {}
    if question["kind"] == KR_UPDATE:
        return key_result_update_text(kr, value)
    if question["kind"] == KR_VALUE:
        return f"{measure(kr, kr['current'])} → {measure(kr, value)}"
    return str(value)


def measure(kr: Mapping[str, Any], value: Any) -> str:
    return format_measure(value, kr.get("unit") or "", kr.get("metric") or "number")


def key_result_update_text(kr: Mapping[str, Any], update: Mapping[str, Any]) -> str:
    """``30 → 45 · confidence 4 · shipped the beta``: an update as the person and their manager read it."""
    parts = []
    if update.get("value") is not None:
        parts.append(f"{measure(kr, kr['current'])} → {measure(kr, update['value'])}")
    if update.get("confidence") is not None:
        parts.append(f"confidence {update['confidence']}")
    if update.get("comment"):
        parts.append(str(update["comment"]))
    return " · ".join(parts) or "—"


def is_upward(question: Mapping[str, Any]) -> bool:
    """A question to the manager ("How can your manager help you?"): only the person and their direct
    manager read its answers, so it never counts as a mood, a blocker or a highlight, whatever its flags."""
    return question["kind"] == UPWARD


def is_highlight(question: Mapping[str, Any]) -> bool:
    """Answers to it are highlights (what got done), in digests, team summaries and snapshots."""
    return bool(question.get("highlight")) and not is_upward(question)


def mood_of(questions: Sequence[Mapping[str, Any]], answers: Mapping[str, Any]) -> int | None:
    return next((answers.get(q["id"]) for q in questions if q["kind"] == "mood" and answers.get(q["id"])), None)


def blockers_of(questions: Sequence[Mapping[str, Any]], answers: Mapping[str, Any]) -> str | None:
    """The text of blocker questions, unless it only says there is none."""
    texts = [
        str(answers[q["id"]]).strip()
        for q in questions
        if q.get("blocker")
        and not is_upward(q)
        and answers.get(q["id"]) is not None
        and not NO_BLOCKER.match(" ".join(str(answers[q["id"]]).lower().split()).rstrip(".!:)"))
    ]
    return "\n".join(texts) or None


def key_result_updates(questions: Sequence[Mapping[str, Any]], answers: Mapping[str, Any]) -> list[dict[str, Any]]:
    """For each key result answered: its id, new value, confidence and comment."""
    updates: dict[int, dict[str, Any]] = {}
    for question in questions:
        kr = question.get("kr")
        if kr is None or answers.get(question["id"]) is None:
            continue
        if question["kind"] == KR_UPDATE:
            answer = answers[question["id"]]
            updates[kr["id"]] = {
                "key_result_id": kr["id"],
                "value": answer.get("value"),
                "confidence": answer.get("confidence"),
                "comment": answer.get("comment") or "",
            }
            continue
        entry = updates.setdefault(
            kr["id"], {"key_result_id": kr["id"], "value": None, "confidence": None, "comment": ""}
        )
        field_name = {KR_VALUE: "value", KR_CONFIDENCE: "confidence", KR_COMMENT: "comment"}[question["kind"]]
        entry[field_name] = answers[question["id"]]
    return [
        entry
        for entry in updates.values()
        if entry["value"] is not None or entry["confidence"] is not None or entry["comment"]
    ]


def key_result_value_field(field_id: str, label: str, kr: Mapping[str, Any], initial: Any) -> FormField:
    """A key result's new value in a form: a number, or yes and no to pick for a yes/no key result
    (a number box would take 45 for "launched")."""
    if kr.get("metric") == "boolean":
        options = (Choice("yes", "1"), Choice("no", "0"))
        picked = None if initial is None else ("1" if float(initial) >= 1 else "0")
        return FormField(field_id, label, FieldKind.SINGLE_CHOICE, False, options, picked)
    return FormField(field_id, label, FieldKind.NUMBER, False, initial=initial)

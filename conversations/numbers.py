"""Reading numbers as people type them: ``7.5``, ``7,5``, ``1,500``, ``45%``, and yes/no for yes/no results.

A comma followed by groups of exactly three digits separates thousands (``1,500`` is fifteen
hundred); any other comma is a decimal point (``7,5``). Infinity and not-a-number are not numbers.
"""

from __future__ import annotations

import math
import re

_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d+)?|[.,]\d+)$")
MAX_ABS = 1e15
YES = frozenset({"yes", "done", "true", "y"})
NO = frozenset({"no", "false", "not yet", "n"})


def parse_number(text: str) -> float | None:
    cleaned = text.strip().rstrip("%").strip().replace(" ", "").replace("\u202f", "")
    if _THOUSANDS.match(cleaned):
        cleaned = cleaned.replace(",", "")
    elif _NUMBER.match(cleaned):
        cleaned = cleaned.replace(",", ".")
    else:
        return None
    value = float(cleaned)
    return value if math.isfinite(value) and abs(value) <= MAX_ABS else None


def parse_metric_value(text: str, metric: str) -> float | None:
    """A key result's value as typed: a number, or yes/no (1 or 0) for a yes/no key result."""
    word = text.strip().lower()
    if metric == "boolean":
        if word in YES:
            return 1.0
        if word in NO:
            return 0.0
    return parse_number(text)


def small_int(text: str, limit: int = 9) -> int | None:
    """An id or a count typed as ASCII digits, at most ``limit`` of them (so never an overflow)."""
    text = text.strip()
    return int(text) if re.fullmatch(rf"[0-9]{{1,{limit}}}", text) else None

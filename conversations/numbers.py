"""Numbers as people type them and as they read them back.

Reading: ``7.5``, ``7,5``, ``1,500``, ``45%``, and a key result's value with the unit Cadence shows
it with (``380 ms``, ``380ms``, ``€1,200``, ``yes``). A comma followed by groups of exactly three
digits separates thousands (``1,500`` is fifteen hundred); any other comma is a decimal point
(``7,5``). Infinity and not-a-number are not numbers.

Writing: no stray decimals (``5``, not ``5.0``; ``25%``, not ``25.0%``), thousands grouped
(``1,500``), units where people expect them (``380 ms``, ``25%``, ``€1,200``), yes/no as words.
"""

from __future__ import annotations

import math
import re

_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d+)?|[.,]\d+)$")
_LEADING_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+(?!\d)(?:\.\d+)?|\d+(?:[.,]\d+)?|[.,]\d+)")
MAX_ABS = 1e15  # no real figure is larger, and beyond it floats stop being exact
YES = frozenset({"yes", "done", "true", "y", "achieved", "shipped", "live"})
NO = frozenset({"no", "false", "not yet", "n", "not done"})
PREFIX_SYMBOLS = frozenset({"$", "€", "£", "¥"})  # written before the number: €1,200


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


def display_unit(unit: str, metric: str) -> str:
    """The unit a key result is shown with: ``%`` for percentages, else its own."""
    return "%" if metric == "percent" else unit


def split_measure(text: str, unit: str = "", metric: str = "number") -> tuple[float | None, str]:
    """A value at the start of ``text`` as Cadence writes it, and what follows it.

    ``45 shipped the beta`` → (45, "shipped the beta"); ``380ms`` → (380, "") for a key result in
    ms; ``€1,200`` → (1200, ""); ``yes`` → (1, "") for a yes/no key result. The unit may be left
    out, but a different word right after the number is not taken as a unit (it is what follows).
    """
    stripped = text.strip()
    if metric == "boolean":
        lowered = stripped.lower()
        for words, value in ((YES, 1.0), (NO, 0.0)):
            for word in sorted(words, key=len, reverse=True):
                if lowered == word or re.match(rf"^{re.escape(word)}(?=[\s,;.!]|$)", lowered):
                    return value, stripped[len(word) :].strip()
    shown = display_unit(unit, metric)
    if shown in PREFIX_SYMBOLS:
        sign = stripped[0] if stripped[:1] in ("-", "+") and stripped[1:].startswith(shown) else ""  # -€1,200
        if stripped[len(sign) :].startswith(shown):
            stripped = sign + stripped[len(sign) + len(shown) :].lstrip()
    match = _LEADING_NUMBER.match(stripped)
    if match is None:
        return None, text.strip()
    rest = stripped[match.end() :]
    if shown and shown not in PREFIX_SYMBOLS:
        after = rest.lstrip()
        for spelling in sorted({shown, f"{shown}s", shown.removesuffix("s")} - {""}, key=len, reverse=True):
            tail = after[len(spelling) :]
            if after.lower().startswith(spelling.lower()) and not (tail and tail[0].isalnum()):
                rest = tail
                break
    if rest and rest[0].isalnum():
        return None, text.strip()  # "45abc": not a number followed by words
    if re.match(r"^[.,]\d", rest):
        return None, text.strip()  # "1.000,50": a way of writing numbers we'd only guess at
    value = parse_number(match.group(0))
    if metric == "boolean" and value not in (0.0, 1.0):
        return None, text.strip()  # a yes/no key result is 1 or 0, never 45
    return value, rest.strip()


def parse_measure(text: str, unit: str = "", metric: str = "number") -> float | None:
    """A key result's value typed on its own: a number, with or without its unit, or yes/no
    (``Yes!`` and ``done.`` too)."""
    value, rest = split_measure(text, unit, metric)
    rest = rest.strip(".!") if metric == "boolean" else rest
    if value is None and metric == "boolean":
        return None
    return value if not rest else None


def parse_metric_value(text: str, metric: str) -> float | None:
    """A key result's value as typed: a number, or yes/no (1 or 0) for a yes/no key result."""
    return parse_measure(text, "", metric)


def format_number(value: float | int | None) -> str:
    """``5`` not ``5.0``, ``1.25``, ``1,500``; at most two decimals."""
    if value is None:
        return "—"
    number = round(float(value), 2) or 0.0  # -0.001 is 0, not -0
    if number.is_integer():
        return f"{int(number):,}"
    return f"{number:,.2f}".rstrip("0").rstrip(".")


def format_measure(value: float | int | None, unit: str = "", metric: str = "number") -> str:
    """A key result's value as people read it: ``380 ms``, ``25%``, ``€1,200``, ``yes``."""
    if value is None:
        return "—"
    if metric == "boolean":
        return "yes" if float(value) >= 1 else "no"
    number = format_number(value)
    shown = display_unit(unit, metric)
    if not shown:
        return number
    if shown == "%":
        return f"{number}%"
    if shown in PREFIX_SYMBOLS:
        return f"-{shown}{number[1:]}" if number.startswith("-") else f"{shown}{number}"
    return f"{number} {shown}"


def format_percent(value: float | int | None) -> str:
    """Progress as a whole percentage: ``25%``."""
    if value is None:
        return "—"
    number = float(value)
    whole = math.floor(number)
    return f"{whole + (number - whole >= 0.5)}%"  # half up: 62.5 % reads 63% (not number + 0.5, which can round)


def small_int(text: str, limit: int = 9) -> int | None:
    """An id or a count typed as ASCII digits, at most ``limit`` of them (so never an overflow)."""
    text = text.strip()
    return int(text) if re.fullmatch(rf"[0-9]{{1,{limit}}}", text) else None


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 answer``, ``2 answers``, ``no answers``: the count and the word that agrees with it, as a
    sentence in chat says it."""
    return (
        f"no {counted(count, singular, plural_form).split(' ', 1)[1]}"
        if count == 0
        else counted(count, singular, plural_form)
    )


def counted(count: int, singular: str, plural_form: str | None = None) -> str:
    """``0 goals``, ``1 goal``: in figures, for summaries that line several counts up."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{format_number(count)} {word}"

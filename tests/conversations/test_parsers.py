"""What people type into Cadence, read back: numbers and measures, key-result updates and lines,
commands and their typos, steering words. Properties first, then the cases they found."""

from __future__ import annotations

import math
import re
import string
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from conversations.numbers import (
    MAX_ABS,
    NO,
    YES,
    format_measure,
    format_number,
    format_percent,
    parse_measure,
    parse_number,
    split_measure,
)

FAST = settings(max_examples=150, deadline=None)
finite = st.floats(min_value=-MAX_ABS, max_value=MAX_ABS, allow_nan=False, allow_infinity=False)
values = st.one_of(
    st.integers(-10_000_000, 10_000_000).map(float),
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False),
    st.decimals(min_value=-100_000, max_value=100_000, places=2).map(float),
)
UNITS = [  # (unit, metric) as key results have them
    ("", "number"),
    ("ms", "number"),
    ("days", "number"),
    ("users", "number"),
    ("h", "number"),
    ("", "percent"),
    ("%", "percent"),
    ("€", "currency"),
    ("$", "currency"),
    ("£", "currency"),
    ("M€", "currency"),
    ("k€", "currency"),
    ("EUR", "currency"),
]


def rounded(value: float) -> float:
    return round(value, 2)


# --- parse_number, format_number -----------------------------------------------------------------


@FAST
@given(finite)
@example(1500.0)
@example(-1234567.891)
@example(0.005)
@example(-0.001)
@example(999.995)
@example(MAX_ABS)
def test_a_number_as_written_reads_back_rounded_to_two_decimals(value: float) -> None:
    assert parse_number(format_number(value)) == rounded(value)


@FAST
@given(finite)
@example(-0.001)
@example(-0.004999)
@example(2.0)
def test_a_number_is_written_without_stray_decimals_or_signs(value: float) -> None:
    text = format_number(value)
    assert re.fullmatch(r"-?\d{1,3}(,\d{3})*(\.\d?[1-9])?", text), text
    assert text != "-0", "a number that rounds to zero is 0, not -0"
    if value.is_integer():
        assert "." not in text


def test_numbers_as_cadence_writes_them() -> None:
    assert format_number(5.0) == "5" and format_number(5) == "5"
    assert format_number(1500) == "1,500" and format_number(-1234567.891) == "-1,234,567.89"
    assert format_number(1.25) == "1.25" and format_number(1.2) == "1.2" and format_number(1.999) == "2"
    assert format_number(None) == "—"


def test_a_negative_number_that_rounds_to_zero_is_written_0() -> None:
    assert format_number(-0.001) == "0"
    assert format_measure(-0.004, "ms") == "0 ms"


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet="0123456789,.-+% e\u202f", max_size=30)))
@example("1e309")
@example("9" * 400)
@example("nan")
@example("-inf")
@example("٣,٥")  # Arabic-Indic digits
def test_parse_number_never_raises_nor_returns_infinity_or_nan(text: str) -> None:
    value = parse_number(text)
    assert value is None or (isinstance(value, float) and math.isfinite(value) and abs(value) <= MAX_ABS)


@FAST
@given(st.integers(0, 999), st.text(alphabet=string.digits, min_size=1, max_size=6))
def test_a_comma_is_a_decimal_point_unless_groups_of_three_digits_follow(whole: int, digits: str) -> None:
    read = parse_number(f"{whole},{digits}")
    if len(digits) == 3:
        assert read == whole * 1000 + int(digits)
    else:
        assert read == float(f"{whole}.{digits}")


@FAST
@given(st.integers(-(10**15) + 1, 10**15 - 1))
@example(10**15 - 1)
def test_thousands_separators_read_back(number: int) -> None:
    assert parse_number(f"{number:,}") == number
    assert parse_number(f"{number:,}.25") == float(f"{number}.25")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7.5", 7.5),
        ("7,5", 7.5),
        ("1,500", 1500.0),
        ("1,500.25", 1500.25),
        ("1,5000", 1.5),
        ("12,345,678", 12345678.0),
        ("45%", 45.0),
        (" 45 % ", 45.0),
        ("-3", -3.0),
        ("+3", 3.0),
        (".5", 0.5),
        ("1 500", 1500.0),
        ("", None),
        ("abc", None),
        ("1e3", None),
        ("inf", None),
        ("nan", None),
        ("1,50,0", None),
        ("1" * 16, None),  # beyond MAX_ABS
    ],
)
def test_numbers_as_people_type_them(text: str, expected: float | None) -> None:
    assert parse_number(text) == expected


# --- measures ------------------------------------------------------------------------------------


@FAST
@given(values, st.sampled_from(UNITS))
@example(-1200.0, ("€", "currency"))
@example(-0.5, ("$", "currency"))
@example(1.0, ("days", "number"))
@example(25.0, ("", "percent"))
def test_a_measure_as_written_reads_back(value: float, unit_metric: tuple[str, str]) -> None:
    unit, metric = unit_metric
    written = format_measure(value, unit, metric)
    assert parse_measure(written, unit, metric) == rounded(value), written
    assert parse_measure(format_number(value), unit, metric) == rounded(value), "the unit may be left out"


@pytest.mark.parametrize("value", [0.0, 1.0])
@pytest.mark.parametrize("unit", ["", "launched"])
def test_yes_no_as_written_reads_back(value: float, unit: str) -> None:
    written = format_measure(value, unit, "boolean")
    assert written == ("yes" if value else "no")
    assert parse_measure(written, unit, "boolean") == value


@FAST
@given(st.sampled_from(sorted(YES | NO)), st.sampled_from(["", " ", "  "]), st.booleans())
def test_every_yes_and_no_word_reads_as_1_or_0(word: str, space: str, upper: bool) -> None:
    typed = f"{space}{word.upper() if upper else word.capitalize()}{space}"
    assert parse_measure(typed, "", "boolean") == (1.0 if word in YES else 0.0)


@FAST
@given(st.text(alphabet="0123456789,.-+", min_size=1, max_size=20))
@example("1,5000")
@example("1,500")
@example("12,3456")
def test_a_value_is_read_the_same_alone_and_at_the_start_of_an_answer(text: str) -> None:
    value = parse_number(text)
    assume(value is not None)
    assert split_measure(text) == (value, "")
    assert split_measure(f"{text} shipped it") == (value, "shipped it")


@pytest.mark.parametrize(
    ("text", "unit", "metric", "expected"),
    [
        ("380 ms", "ms", "number", 380.0),
        ("380ms", "ms", "number", 380.0),
        ("380 MS", "ms", "number", 380.0),
        ("1 day", "days", "number", 1.0),
        ("€1,200", "€", "currency", 1200.0),
        ("-€1,200", "€", "currency", -1200.0),
        ("€-1,200", "€", "currency", -1200.0),
        ("1,200", "€", "currency", 1200.0),
        ("25%", "", "percent", 25.0),
        ("2 M€", "M€", "currency", 2.0),
        ("yes", "", "boolean", 1.0),
        ("not yet", "", "boolean", 0.0),
        ("45abc", "", "number", None),
        ("380 s", "ms", "number", None),
        ("maybe", "", "boolean", None),
    ],
)
def test_measures_as_people_type_them(text: str, unit: str, metric: str, expected: float | None) -> None:
    assert parse_measure(text, unit, metric) == expected


def test_a_negative_amount_reads_back_as_cadence_writes_it() -> None:
    assert format_measure(-1200, "€", "currency") == "-€1,200"
    assert parse_measure("-€1,200", "€", "currency") == -1200.0
    assert split_measure("-$40 refunds", "$", "currency") == (-40.0, "refunds")


def test_a_comma_before_four_digits_is_a_decimal_point_at_the_start_of_an_answer_too() -> None:
    assert split_measure("1,5000 shipped") == (1.5, "shipped")
    assert parse_measure("1,5000") == parse_number("1,5000") == 1.5


@FAST
@given(st.floats(min_value=0, max_value=1000, allow_nan=False))
@example(62.5)
@example(0.49999999999999994)
@example(2.5)
def test_a_percentage_is_whole_and_rounded_half_up(value: float) -> None:
    expected = int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert format_percent(value) == f"{expected}%"


def test_percentages_as_cadence_writes_them() -> None:
    assert format_percent(25.0) == "25%" and format_percent(62.5) == "63%" and format_percent(None) == "—"
    assert format_measure(25.0, "", "percent") == "25%" and format_measure(12.5, "%", "percent") == "12.5%"
    assert format_percent(0.49999999999999994) == "0%"  # x + 0.5 is 1.0 in floating point

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

from conversations.checkin_answers import KEEP_WORDS, SKIP_WORDS, Parsed, parse_answer, parse_key_result_update
from conversations.commands import ALIASES, TypedCommand, read_command, suggestion, typo_distance
from conversations.goal_progress import parse_key_result_line
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
from conversations.steering import WORDS, Steer, steering_word

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


# --- parse_key_result_update ---------------------------------------------------------------------

LETTERS = string.ascii_letters + "éèàüößç"
notes = st.lists(st.text(alphabet=LETTERS, min_size=1, max_size=10), min_size=1, max_size=8).map(" ".join)
UPDATE_WORDS = [
    "45",
    "1,500",
    "7,5",
    "-€3",
    "ms",
    "€",
    "%",
    "yes",
    "no",
    ",",
    ";",
    "-",
    "confidence",
    "conf",
    "3",
    "4/5",
    "keep",
    "shipped",
    "not",
    "yet",
    '"',
    ":",
    "=",
]
LABELS = ["confidence {}", "Confidence {}", "conf {}", "confidence: {}", "confidence {}/5", "conf={}", "CONFIDENCE {}"]


@st.composite
def key_results(draw: st.DrawFn) -> tuple[dict, float]:
    """A key result and a value it can take, as they come from a check-in question."""
    unit, metric = draw(st.sampled_from([*UNITS, ("", "boolean")]))
    value = draw(st.sampled_from([0.0, 1.0])) if metric == "boolean" else rounded(draw(values))
    return {"id": 7, "title": "Beta users", "unit": unit, "metric": metric, "current": 0}, value


def update(value: float | None, confidence: int | None, comment: str) -> Parsed:
    if value is not None and value.is_integer():
        value = int(value)
    return Parsed({"value": value, "confidence": confidence, "comment": comment})


@FAST
@given(key_results(), st.integers(1, 5), notes, st.sampled_from(LABELS), st.data())
def test_a_value_confidence_and_note_typed_the_documented_ways_read_back(kr_value, confidence, note, label, data):
    kr, value = kr_value
    written = data.draw(st.sampled_from([format_measure(value, kr["unit"], kr["metric"]), format_number(value)]))
    if kr["metric"] == "boolean":
        written = format_measure(value, "", "boolean")
    labelled = label.format(confidence)
    assert parse_key_result_update(kr, written) == update(value, None, "")
    assert parse_key_result_update(kr, f"{written}, {labelled}, {note}") == update(value, confidence, note)
    assert parse_key_result_update(kr, f"{written} {confidence} {note}") == update(value, confidence, note)
    assert parse_key_result_update(kr, f"{written} {labelled}") == update(value, confidence, "")
    assert parse_key_result_update(kr, f"  {written} {labelled}  ") == update(value, confidence, "")


@FAST
@given(key_results(), notes)
def test_text_without_a_value_or_a_confidence_is_a_kr_update_problem(kr_value, text: str) -> None:
    kr, _ = kr_value
    assume(text.lower() not in KEEP_WORDS | SKIP_WORDS)
    if kr["metric"] == "boolean":
        assume(not any(re.match(rf"{word}\b", text.lower()) for word in YES | NO))
    parsed = parse_key_result_update(kr, text)
    assert parsed.problem is not None and parsed.problem.code == "kr_update"
    assert parsed.problem.values == {"kr": kr, "text": text.strip()}


@settings(max_examples=300, deadline=None)
@given(key_results(), st.one_of(st.text(), st.lists(st.sampled_from(UPDATE_WORDS), max_size=8).map(" ".join)))
def test_parse_key_result_update_never_raises(kr_value, text: str) -> None:
    kr, _ = kr_value
    parsed = parse_key_result_update(kr, text)
    assert isinstance(parsed, Parsed)
    if parsed.ok and parsed.value is not None:
        assert set(parsed.value) == {"value", "confidence", "comment"}
        assert parsed.value["value"] is not None or parsed.value["confidence"] is not None
        assert parsed.value["confidence"] in (None, 1, 2, 3, 4, 5)
        assert parsed.value["value"] is None or math.isfinite(parsed.value["value"])
        assert len(parsed.value["comment"]) <= 500


KR = {"id": 7, "title": "Latency", "unit": "ms", "metric": "number", "current": 420}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45", update(45.0, None, "")),
        ("45, confidence 4, shipped the beta", update(45.0, 4, "shipped the beta")),
        ("380 ms 3 waiting on infra", update(380.0, 3, "waiting on infra")),
        ("380ms - waiting on infra", update(380.0, None, "waiting on infra")),
        ("380 confidence 4/5", update(380.0, 4, "")),
        ('1,500 ms "slower after the migration"', update(1500.0, None, "slower after the migration")),
        ("7,5", update(7.5, None, "")),
        ("confidence 2", update(None, 2, "")),
        ("conf: 5", update(None, 5, "")),
        ("keep", Parsed(None)),
        ("Same", Parsed(None)),
        ("skip", Parsed(None)),
    ],
)
def test_key_result_updates_as_people_type_them(text: str, expected: Parsed) -> None:
    assert parse_key_result_update(KR, text) == expected


@pytest.mark.parametrize("text", ["", "shipped the beta", "confidence 2 but slipping", "confidence 9", "fast"])
def test_what_is_not_a_key_result_update(text: str) -> None:
    assert parse_key_result_update(KR, text).problem.code == "kr_update"


def test_a_negative_amount_with_its_symbol_is_an_update() -> None:
    kr = {"id": 1, "title": "Cash flow", "unit": "€", "metric": "currency", "current": -5000}
    assert parse_key_result_update(kr, "-€1,200 4 better month") == update(-1200.0, 4, "better month")


def test_yes_and_no_are_updates_of_a_yes_no_key_result() -> None:
    kr = {"id": 1, "title": "Launched", "unit": "", "metric": "boolean", "current": 0}
    assert parse_key_result_update(kr, "yes, confidence 5, live since monday") == update(1.0, 5, "live since monday")
    assert parse_key_result_update(kr, "not yet 3 waiting on legal") == update(0.0, 3, "waiting on legal")


QUESTIONS = [
    {"id": "mood", "kind": "mood", "labels": ["Awful", "Bad", "Okay", "Good", "Great"], "required": True},
    {"id": "n", "kind": "number", "minimum": 0, "maximum": 10},
    {"id": "c", "kind": "kr_confidence"},
    {"id": "v", "kind": "kr_value", "kr": KR},
    {"id": "u", "kind": "kr_update", "kr": KR},
    {"id": "one", "kind": "single_choice", "options": ["Red", "Green", "Blue"]},
    {"id": "many", "kind": "multiple_choice", "options": ["Red", "Green", "Blue"]},
    {"id": "t", "kind": "text", "required": True},
]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(QUESTIONS),
    st.one_of(st.none(), st.text(), st.integers(), st.lists(st.text(max_size=8), max_size=4)),
)
@example(QUESTIONS[0], "1,500")
@example(QUESTIONS[0], "٣")
@example(QUESTIONS[1], "1e400")
def test_parse_answer_never_raises(question: dict, raw) -> None:
    parsed = parse_answer(question, raw)
    assert isinstance(parsed, Parsed)
    if question["kind"] == "mood" and parsed.ok:
        assert parsed.value in (None, 1, 2, 3, 4, 5)


def test_answers_as_people_type_them() -> None:
    mood, number, confidence, value, _, one, many, text = QUESTIONS
    assert parse_answer(mood, "4") == Parsed(4) and parse_answer(mood, "good") == Parsed(4)
    assert parse_answer(mood, "6").problem.code == "mood_range"
    assert parse_answer(mood, "").problem.code == "required"
    assert parse_answer(number, "7,5") == Parsed(7.5) and parse_answer(number, "11").problem.code == "out_of_range"
    assert parse_answer(confidence, "3") == Parsed(3) and parse_answer(confidence, "3.5").problem is not None
    assert parse_answer(value, "380 ms") == Parsed(380)
    assert parse_answer(one, "2") == Parsed("Green") and parse_answer(one, "blue") == Parsed("Blue")
    assert parse_answer(many, "red, 3, Red") == Parsed(["Red", "Blue"])
    assert parse_answer(text, "skip").problem.code == "required"


# --- parse_key_result_line -----------------------------------------------------------------------

titles = st.text(alphabet=string.ascii_letters + string.digits + " -'&", min_size=1, max_size=40).filter(str.strip)
LINE_UNITS = ["", "ms", "days", "users", "%", "M€", "k€", "EUR", "USD", "pts", "NPS", "h", "€", "$", "£"]
letter_units = st.text(alphabet=string.ascii_letters + "€%/", min_size=1, max_size=8).filter(
    lambda unit: unit.lower() not in ("to", "x")
)
line_units = st.one_of(st.sampled_from(LINE_UNITS), letter_units)
ARROWS = [" -> ", "->", " → ", " => ", " to ", " To "]
WEIGHTS = {"": 1.0, " (x2)": 2.0, " (x 3)": 3.0, " (weight 1.5)": 1.5}


def side(number: float, unit: str, draw: st.DrawFn) -> str:
    written = format_number(number)
    if unit in ("€", "$", "£") and draw(st.booleans()):
        return f"-{unit}{written[1:]}" if written.startswith("-") else f"{unit}{written}"
    return f"{written}{draw(st.sampled_from(['', ' ']))}{unit}" if unit else written


def line_metric(unit: str) -> str:
    return "percent" if unit == "%" else "currency" if unit in ("€", "$", "£", "EUR", "USD", "GBP") else "number"


@FAST
@given(titles, values, values, line_units, st.sampled_from(["both", "start", "target"]), st.data())
def test_a_key_result_line_reads_back(title, start, target, unit, where, data) -> None:
    draw = data.draw
    arrow, weight = draw(st.sampled_from(ARROWS)), draw(st.sampled_from(sorted(WEIGHTS)))
    first = side(start, unit if where != "target" else "", draw)
    last = side(target, unit if where != "start" else "", draw)
    line = f"{title}: {first}{arrow}{last}{weight}"
    assert parse_key_result_line(line) == {
        "title": title.strip(),
        "metric": line_metric(unit),
        "start": rounded(start),
        "target": rounded(target),
        "unit": "" if unit == "%" else unit,
        "weight": WEIGHTS[weight],
    }, line


@FAST
@given(titles, values, line_units)
def test_a_line_with_only_a_target_starts_at_0(title: str, target: float, unit: str) -> None:
    parsed = parse_key_result_line(f"{title}: {format_number(target)} {unit}")
    assert parsed is not None and (parsed["start"], parsed["target"]) == (0.0, rounded(target))


@FAST
@given(titles, values, values, line_units, line_units, st.sampled_from(ARROWS))
@example("Latency", 500.0, 200.0, "b", "bss", " -> ")
@example("Reach", 10.0, 20.0, "k", "M", " -> ")
def test_a_line_with_different_units_on_both_sides_is_refused(title, start, target, first, second, arrow) -> None:
    one, other = first.lower(), second.lower()
    assume(first and second and one != other and f"{one}s" != other and f"{other}s" != one)  # day/days agree
    line = f"{title}: {format_number(start)} {first}{arrow}{format_number(target)} {second}"
    assert parse_key_result_line(line) is None, line


@FAST
@given(
    titles,
    values,
    values,
    line_units,
    st.sampled_from(string.digits),
    st.integers(0, 8),
    st.sampled_from(["start", "target", "both"]),
)
def test_a_line_with_digits_in_a_unit_is_refused(title, start, target, unit, digit, at, where) -> None:
    numbered = f"{unit[:at]}{digit}{unit[at:]}" if unit else f"x{digit}"
    first = f"{format_number(start)} {numbered if where != 'target' else unit}"
    last = f"{format_number(target)} {numbered if where != 'start' else unit}"
    line = f"{title}: {first} -> {last}"
    assert parse_key_result_line(line) is None, line


LINE_WORDS = [
    "Beta users",
    ":",
    "0",
    "-200",
    "1,500",
    "1.2",
    "->",
    "→",
    "to",
    "M€",
    "€",
    "$",
    "%",
    "days",
    "day",
    "(x2)",
    "(weight 0)",
    "(",
    ")",
    "yes/no",
    "done",
    "-",
    "x",
]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.lists(st.sampled_from(LINE_WORDS), max_size=8).map(" ".join)))
@example("A: " + "9" * 400)
@example("A: 1 -> 2 (x0)")
@example("A" * 301 + ": 1 -> 2")
def test_parse_key_result_line_never_raises(line: str) -> None:
    parsed = parse_key_result_line(line)
    assert parsed is None or (parsed["weight"] > 0 and parsed["metric"] in ("number", "percent", "currency", "boolean"))


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Beta users: 0 -> 200", ("number", 0.0, 200.0, "", 1.0)),
        ("Time to first import: 3 days to 1 day", ("number", 3.0, 1.0, "days", 1.0)),
        ("ARR: 1.2 -> 2 M€ (x2)", ("number", 1.2, 2.0, "M€", 2.0)),
        ("Coverage: 60% → 80%", ("percent", 60.0, 80.0, "", 1.0)),
        ("Revenue: $40,000 -> $55,000", ("currency", 40000.0, 55000.0, "$", 1.0)),
        ("Cash flow: -€5,000 -> €0", ("currency", -5000.0, 0.0, "€", 1.0)),
        ("Launched: yes/no", ("boolean", 0.0, 1.0, "", 1.0)),
        ("Signups: 500 (weight 2)", ("number", 0.0, 500.0, "", 2.0)),
    ],
)
def test_key_result_lines_as_people_write_them(line: str, expected: tuple) -> None:
    parsed = parse_key_result_line(line)
    assert parsed is not None
    assert (parsed["metric"], parsed["start"], parsed["target"], parsed["unit"], parsed["weight"]) == expected


@pytest.mark.parametrize(
    "line",
    [
        "no colon here",
        "Latency: 500 ms -> 200 s",
        "Boss count: 1 bo -> 2 boss",  # a unit and its plural agree (day/days); bo and boss are not that
        "Classes taught: 3 cla -> 5 class",
        "Area: 5 m2 -> 10 m2",
        "Users: 0 -> 100 -> 200",
        "Users: lots -> more",
        "Users: 0 -> 100 (x0)",
    ],
)
def test_what_is_not_a_key_result_line(line: str) -> None:
    assert parse_key_result_line(line) is None


# --- commands and their typos --------------------------------------------------------------------

COMMANDS = (
    "checkin",
    "1on1",
    "feedback",
    "privacy",
    "kudos",
    "goal",
    "whoami",
    "help",
    "history",
    "update",
    "show",
    "close",
    "reopen",
    "status",
    "stats",
    "top",
    "away",
    "1on1",  # what the aliases 1:1, one-on-one and 1-on-1 stand for
)


@st.composite
def slips(draw: st.DrawFn) -> tuple[str, str]:
    """A command and the same with one slip: a letter extra, missing, wrong, or two swapped."""
    command = draw(st.sampled_from(COMMANDS))
    letter = draw(st.sampled_from(string.ascii_lowercase))
    kind = draw(st.sampled_from(["insert", "delete", "substitute", "swap"]))
    if kind == "insert":
        at = draw(st.integers(0, len(command)))
        return command, command[:at] + letter + command[at:]
    at = draw(st.integers(0, len(command) - (2 if kind == "swap" else 1)))
    if kind == "delete":
        return command, command[:at] + command[at + 1 :]
    if kind == "substitute":
        return command, command[:at] + letter + command[at + 1 :]
    return command, command[:at] + command[at + 1] + command[at] + command[at + 2 :]


@FAST
@given(slips(), st.sampled_from(["{}", " {} ", "/{}"]), st.booleans())
@example(("checkin", "chekin"), "{}", False)
@example(("show", "shwo"), "{}", False)
@example(("status", "statu"), "{}", False)  # as near to stats: either is a fair guess
@example(("top", "to"), "{}", False)
def test_a_command_with_one_slip_is_suggested_back(command_slip, form: str, upper: bool) -> None:
    command, slip = command_slip
    assume(slip != command and slip not in COMMANDS)  # "stats" with a "u" more is "status", no slip
    typed = form.format(slip.upper() if upper else slip)
    guess = suggestion(typed, COMMANDS)
    if len(slip) < 3:
        assert guess is None
        return
    assert typo_distance(slip, command) == 1
    nearest = [candidate for candidate in COMMANDS if typo_distance(slip, candidate) == 1]
    if nearest == [command]:
        assert guess == command
    else:
        assert guess in nearest
    with_aliases = suggestion(typed, [*COMMANDS, *ALIASES])
    assert ALIASES.get(with_aliases, with_aliases) in nearest


@FAST
@given(st.text(max_size=2), st.sampled_from(["{}", "/{}", " {} "]))
def test_words_under_three_letters_are_never_guessed_at(word: str, form: str) -> None:
    assert suggestion(form.format(word), COMMANDS) is None


@pytest.mark.parametrize("command", COMMANDS)
def test_a_command_is_never_suggested_as_itself(command: str) -> None:
    for typed in (command, command.upper(), f"/{command}", f" {command} "):
        assert suggestion(typed, COMMANDS) != command


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("chekin", "checkin"),
        ("checkni", "checkin"),
        ("/kudso", "kudos"),
        ("shwo", "show"),
        ("histroy", "history"),
        ("hsitroy", "history"),  # two slips in a long word
        ("reopn", "reopen"),
        ("wohami", "whoami"),
        ("to", None),  # not a typo of top
        ("hs", None),
        ("banana", None),
        ("shwoo", None),  # two slips in a short word
    ],
)
def test_typos_people_make(typed: str, expected: str | None) -> None:
    assert suggestion(typed, COMMANDS) == expected


words = st.text(alphabet=string.ascii_lowercase + "-", max_size=10)


@FAST
@given(words, words)
def test_typo_distance_is_symmetric_and_0_only_for_equal_words(a: str, b: str) -> None:
    distance = typo_distance(a, b)
    assert distance == typo_distance(b, a)
    assert (distance == 0) == (a == b)
    assert abs(len(a) - len(b)) <= distance <= max(len(a), len(b))


@FAST
@given(words)
def test_a_word_is_its_own_length_from_nothing(word: str) -> None:
    assert typo_distance(word, "") == typo_distance("", word) == len(word)
    assert typo_distance(word, word) == 0


def test_a_swap_of_neighbours_is_one_slip() -> None:
    assert typo_distance("shwo", "show") == 1 and typo_distance("ab", "ba") == 1
    assert typo_distance("kitten", "sitting") == 3


@FAST
@given(st.sampled_from([*COMMANDS, *ALIASES]), st.text(), st.booleans(), st.booleans())
def test_a_typed_command_is_read_with_its_text(word: str, text: str, slashed: bool, upper: bool) -> None:
    typed = f"{'/' if slashed else ''}{word.upper() if upper else word} {text}"
    assert read_command(typed, COMMANDS) == TypedCommand(ALIASES.get(word, word), text.strip(), slashed)


@pytest.mark.parametrize("line", ["", "/", "kudo @sam", "I checkin later", "hello", " /"])
def test_a_line_that_starts_with_no_command_is_none(line: str) -> None:
    assert read_command(line, COMMANDS) is None


# --- steering words ------------------------------------------------------------------------------


@FAST
@given(
    st.sampled_from(sorted(word for word in WORDS if word != "?")),
    st.data(),
    st.sampled_from(["", " ", "  ", "\t", "\n"]),
    st.sampled_from(["", "!", ".", "?", "!!", "?!", "...", " !", " ?"]),
)
@example("cancel", None, "", "!")
@example("back", None, " ", "")
@example("help", None, "", "?")
@example("cancel", None, "", " !")
def test_case_spaces_and_trailing_punctuation_dont_matter_to_a_steering_word(word, data, space, punctuation) -> None:
    cased = word if data is None else "".join(data.draw(st.sampled_from([c.lower(), c.upper()])) for c in word)
    spaced = cased.replace(" ", "  ") if data is not None and data.draw(st.booleans()) else cased
    assert steering_word(f"{space}{spaced}{punctuation}{space}") is WORDS[word]
    assert steering_word(f"/{cased}") is WORDS[word]


ANSWER_WORDS = ["I", "sam", "helped", "meetings", "to", "the", "release", "today", "was", "great", "a", "lot"]


@FAST
@given(st.sampled_from(sorted(WORDS)), st.lists(st.sampled_from(ANSWER_WORDS), min_size=1, max_size=4), st.booleans())
def test_a_steering_word_in_an_answer_is_not_steering(word: str, others: list[str], before: bool) -> None:
    answer = " ".join([*others, word] if before else [word, *others])
    assert steering_word(answer) is None, answer


@pytest.mark.parametrize(
    "answer",
    ["I helped Sam", "back to back meetings", "help Sam with the release", "skipped lunch", "cancelled", "Next steps?"],
)
def test_ordinary_answers_are_not_steering_words(answer: str) -> None:
    assert steering_word(answer) is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Cancel!", Steer.CANCEL),
        (" back ", Steer.BACK),
        ("help?", Steer.HELP),
        ("?", Steer.HELP),
        ("Go  back", Steer.BACK),
        ("/skip", Steer.SKIP),
        ("not now.", Steer.CANCEL),
        ("cancel !", Steer.CANCEL),  # a space before the mark, as French typists write it
        ("", None),
        (None, None),
        ("!", None),
    ],
)
def test_steering_words_as_people_type_them(typed: str | None, expected: Steer | None) -> None:
    assert steering_word(typed) is expected


def test_a_yes_no_key_result_takes_yes_and_done_with_their_punctuation() -> None:
    assert parse_measure("Yes!", "", "boolean") == 1.0 and parse_measure("done.", "", "boolean") == 1.0
    assert parse_measure("not yet", "", "boolean") == 0.0 and parse_measure("maybe", "", "boolean") is None

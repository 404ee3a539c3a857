"""Every pydantic error type the file models can produce reads as our own sentence."""

from __future__ import annotations

import itertools

import pytest

from conversations.validation_words import MESSAGES, closest, describe_errors, one_of
from conversations.workspace_settings import SETTING_EXAMPLES, WorkspaceSettings
from tests.conversations.test_workspace_settings import LIBRARY_WORDING

CONTEXT = {
    "expected": "'monday', 'tuesday' or 'sunday'",
    "ge": 1,
    "gt": 0,
    "le": 100,
    "lt": 101,
    "min_length": 1,
    "max_length": 3,
    "actual_length": 4,
    "pattern": "^[a-z][a-z0-9_]*$",
    "error": ValueError("the validator's own words"),
    "message": "the rule's own words",
    "field_type": "Tuple",
    "class_name": "CheckinSettings",
}
PLACES = [
    ("kudos", "daily_allowance"),
    ("checkins", "questions", 0, "labels"),
    ("checkins", "questions", 0, "id"),
    ("holidays", 1),
    ("teams", "Platform", "checkins"),
    ("kudos", "not_a_setting"),
    (),
]
INPUTS = [None, "soonish", 5, 2.5, True, [1, 2], {"a": 1}]


@pytest.mark.parametrize("error_type", [*MESSAGES, "a_type_pydantic_adds_later"])
def test_every_error_type_reads_as_our_own_sentence(error_type: str) -> None:
    for loc, value in itertools.product(PLACES, INPUTS):
        detail = {
            "type": error_type,
            "loc": loc,
            "msg": "Input should be a valid thing",
            "input": value,
            "ctx": CONTEXT,
        }
        [error] = describe_errors([detail], WorkspaceSettings, examples=SETTING_EXAMPLES)
        assert error.path == loc
        assert error.message and "None" not in error.message, (loc, value, error.message)
        assert not [phrase for phrase in LIBRARY_WORDING if phrase.lower() in error.message.lower()], error.message


def test_a_fixed_tuple_missing_entries_is_one_problem_about_the_list() -> None:
    details = [
        {"type": "missing", "loc": ("checkins", "questions", 0, "labels", index), "input": ["a", "b"]}
        for index in (2, 3, 4)
    ]
    errors = describe_errors(details, WorkspaceSettings, examples=SETTING_EXAMPLES)
    assert [(error.where, error.message) for error in errors] == [
        (
            "checkins.questions.0.labels",
            "labels takes exactly 5 entries, not 2; for example labels: [Awful, Bad, Okay, Good, Great]",
        )
    ]


def test_ranges_and_plurals_read_right() -> None:
    def message(loc, error_type, value, **ctx):
        detail = {"type": error_type, "loc": loc, "input": value, "ctx": ctx}
        return describe_errors([detail], WorkspaceSettings)[0].message

    assert message(("digest", "mood_drop"), "greater_than", 0, gt=0) == (
        "0 is out of range; write a number above 0 and at most 4"
    )
    assert message(("anonymity_threshold",), "greater_than_equal", 1, ge=2) == (
        "1 is out of range; write a whole number from 2 to 100"
    )
    assert message(("checkins", "questions", 0, "text"), "string_too_long", "ab", max_length=1) == (
        "this is 2 characters long; shorten it to 1 character or fewer"
    )


def test_closest_and_one_of() -> None:
    assert closest("Platfrom", ["Design", "Platform"]) == "Platform"
    assert closest("platform", ["Platform"]) == "Platform"
    assert closest("Sales", ["Design", "Platform"]) is None
    assert one_of(["a"]) == "a" and one_of(["a", "b", "c"]) == "a, b or c"

"""The fairness view's arithmetic: the Gini coefficient against hand-computed cases, and the
anonymity rule, including a small group worked out by subtracting two larger ones."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conversations.fairness import gini, showable


def test_gini_of_a_hand_computed_case() -> None:
    # kudos received: 0, 0, 1, 3. Mean 1; the sum of |xi - xj| over all ordered pairs is 20;
    # G = 20 / (2 * 4^2 * 1) = 0.625
    assert gini([3, 0, 1, 0]) == pytest.approx(0.625)


def test_gini_is_zero_when_everyone_received_the_same_or_nothing_was_given() -> None:
    assert gini([2, 2, 2, 2]) == 0.0
    assert gini([0, 0, 0]) == 0.0
    assert gini([]) == 0.0


def test_gini_of_one_person_receiving_everything_is_one_minus_one_over_n() -> None:
    assert gini([0, 0, 0, 0, 10]) == pytest.approx(0.8)


@given(st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=60))
def test_gini_is_between_zero_and_one_and_ignores_order(counts: list[int]) -> None:
    value = gini(counts)
    assert 0.0 <= value < 1.0
    assert value == pytest.approx(gini(list(reversed(counts))))


def people(*ids: int) -> frozenset[int]:
    return frozenset(ids)


def test_a_group_smaller_than_the_threshold_is_never_shown() -> None:
    groups = {"Platform": people(*range(1, 6)), "Design": people(6, 7, 8, 9)}
    assert showable(groups, 5) == {"Platform"}


def test_two_larger_groups_that_would_isolate_a_small_one_by_subtraction_keep_only_the_larger() -> None:
    platform = people(*range(1, 10))  # 9 people
    sams_reports = people(*range(1, 8))  # 7 of them report to Sam; 2 don't
    groups = {"team Platform": platform, "manager Sam": sams_reports}
    assert showable(groups, 5) == {"team Platform"}


def test_nested_groups_far_enough_apart_are_both_shown() -> None:
    groups = {"everyone": people(*range(1, 21)), "team Platform": people(*range(1, 11))}
    assert showable(groups, 5) == {"everyone", "team Platform"}


def test_the_same_people_under_two_names_expose_nothing_and_both_show() -> None:
    groups = {"team Design": people(*range(1, 7)), "manager Jordan": people(*range(1, 7))}
    assert showable(groups, 5) == {"team Design", "manager Jordan"}


def test_hiding_is_checked_against_every_shown_group_whatever_the_order() -> None:
    groups = {
        "everyone": people(*range(1, 13)),  # 12
        "team A": people(*range(1, 11)),  # 10: everyone minus A is 2 people
        "manager M": people(*range(1, 6)),  # 5: A minus M is 5, fine on its own
    }
    assert showable(groups, 5) == {"everyone", "manager M"}


@given(
    st.dictionaries(
        st.text(alphabet="abcdef", min_size=1, max_size=3),
        st.frozensets(st.integers(min_value=1, max_value=15), max_size=15),
        max_size=6,
    ),
    st.integers(min_value=2, max_value=6),
)
def test_no_two_shown_groups_ever_isolate_fewer_than_the_threshold(groups, threshold) -> None:
    shown = showable(groups, threshold)
    for name in shown:
        assert len(groups[name]) >= threshold
        for other in shown:
            if groups[other] < groups[name]:
                assert len(groups[name] - groups[other]) >= threshold

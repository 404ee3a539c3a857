"""The fairness view as a pure step: what an admin reads, the one sentence everyone else reads,
and the one sentence for a period it can't show; the team of 9 with a manager of 7 inside it
shows the team only, from the members' tallies to the words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from conversations.fairness import Group, GroupKind, Tally, fairness_view, uneven_recognition
from conversations.fairness_view import FAIRNESS, FAIRNESS_CHART, FAIRNESS_PROBLEM, FairnessFlow, chart_data
from conversations.flow import State
from conversations.messages import Inbound, Platform
from conversations.settings_view import ADMINS_ONLY
from conversations.words import PlainDialect, Words

NOW = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
WORDS = Words(PlainDialect())
PLATFORM = frozenset(range(1, 10))  # 9 people
SAMS_REPORTS = frozenset(range(2, 9))  # 7 of them
EVERYONE = frozenset(range(1, 21))  # 20 people
GROUPS = [
    Group(GroupKind.ORGANISATION, 0, "Acme", EVERYONE),
    Group(GroupKind.TEAM, 1, "Platform", PLATFORM),
    Group(GroupKind.TEAM, 2, "Design", frozenset({10, 11, 12})),
    Group(GroupKind.MANAGER, 1, "Sam", SAMS_REPORTS),
]


def report(tallies: dict[int, Tally], groups=GROUPS, threshold: int = 5) -> dict:
    view = fairness_view(groups, tallies, threshold, weeks=10)
    return {
        "organisation": "Acme",
        "period": "2026-Q4",
        "span": "1 Oct – 4 Dec so far",
        "threshold": threshold,
        "has_data": any(tally.has_data() for tally in tallies.values()),
        **view,
        "chart": chart_data("2026-Q4", threshold, view),
    }


def ask(data: dict, text: str = "") -> list:
    inbound = Inbound(Platform.SHELL, "acme", "ada@acme.test", "console", text=text, command="fairness")
    return list(FairnessFlow().step(State("fairness", "show", data), inbound, NOW).outbound)


def words(message) -> str:
    rendered = WORDS.render(message.kind, message.data)
    return f"{rendered.title}\n{rendered.body}".strip()


KUDOS = {1: Tally(kudos_received=4), 2: Tally(kudos_received=1), 13: Tally(kudos_received=2)}


def test_an_admin_reads_the_team_of_nine_but_not_the_manager_of_seven_inside_it() -> None:
    view, chart = ask({"allowed": True, "report": report(KUDOS)})
    assert (view.kind, chart.kind) == (FAIRNESS, FAIRNESS_CHART)
    text = words(view)
    assert "Fairness · 2026-Q4 (1 Oct – 4 Dec so far)" in text
    assert "Everyone at Acme (20 people)" in text and "Team Platform (9 people)" in text
    # Platform: 4, 1 and seven without; sorted 0×7, 1, 4: G = 2·(8·1 + 9·4)/(9·5) − 10/9 = 0.84
    assert "• Kudos: 78% received none; spread (Gini) 0.84 over 5 kudos" in text
    assert "Sam's reports" not in text.split("Hidden")[0]
    assert "Hidden, fewer than 5 people: Team Design." in text
    assert "Hidden, as set against a larger group above it would describe fewer than 5 people: Sam's reports." in text
    assert chart.data["teams"] == [{"name": "Platform", "no_kudos_share": 77.8, "kudos_gini": 0.84}]
    assert chart.data["hidden_teams"] == ["Design"]


def test_the_same_team_without_its_two_outsiders_shows_the_manager_too() -> None:
    groups = [*GROUPS[:3], Group(GroupKind.MANAGER, 1, "Sam", PLATFORM)]
    view, _ = ask({"allowed": True, "report": report(KUDOS, groups)})
    assert "Sam's reports (9 people)" in words(view)


def test_check_ins_goals_and_feedback_are_worded_per_group() -> None:
    tallies = {
        person: Tally(checkins_submitted=2, checkins_expected=3, goals=1, goal_updates=5, feedback_given=1)
        for person in PLATFORM
    }
    view, _ = ask({"allowed": True, "report": report(tallies)})
    platform = words(view).split("Team Platform")[1]
    assert "• Check-ins: 67% submitted (18 of 27 asked for, away weeks not counted)" in platform
    assert "• Goal updates: 0.5 per personal goal per week (45 updates)" in platform
    assert "• Feedback per person: 1 given, 0 received" in platform
    assert "• Kudos: nobody received any" in platform


@pytest.mark.parametrize("admins", [["Ada Lovelace", "Bo Chen"], ["Ada Lovelace"], []])
def test_a_member_or_a_manager_is_told_in_one_sentence_who_to_ask(admins: list[str]) -> None:
    [answer] = ask({"allowed": False, "admins": admins})
    assert answer.kind == ADMINS_ONLY and answer.private
    expected = {
        2: "The fairness view is for admins; ask Ada Lovelace or Bo Chen.",
        1: "The fairness view is for admins; ask Ada Lovelace.",
        0: "The fairness view is for admins; this organisation has none yet (the org file's role column makes someone one).",
    }
    assert words(answer) == expected[len(admins)]


def test_an_unknown_or_future_period_is_one_sentence_with_an_example() -> None:
    [unknown] = ask({"allowed": True, "problem": "unknown_period", "example": "2026-Q4"}, "2026-Q5")
    assert words(unknown) == '"2026-Q5" isn\'t a period; give a quarter, for example fairness 2026-Q4.'
    [future] = ask({"allowed": True, "problem": "future_period", "example": "2026-Q4"}, "2027-q1")
    assert words(future) == (
        "2027-Q1 hasn't begun yet, so there is nothing to measure; ask about this quarter or an earlier one, "
        "for example fairness 2026-Q4."
    )


def test_a_quiet_period_says_what_would_make_figures_appear_instead_of_an_empty_card() -> None:
    [answer] = ask({"allowed": True, "report": report({})})
    assert words(answer) == (
        "Nothing to measure in 2026-Q4 yet: figures appear once people give kudos, answer check-ins, "
        "update their goals or give feedback in that period."
    )


def test_an_organisation_smaller_than_the_threshold_shows_no_figure_at_all() -> None:
    small = [
        Group(GroupKind.ORGANISATION, 0, "Acme", frozenset({1, 2, 3})),
        Group(GroupKind.TEAM, 1, "A", frozenset({1, 2})),
    ]
    [answer] = ask({"allowed": True, "report": report({1: Tally(kudos_received=1)}, small)})
    assert answer.kind == FAIRNESS_PROBLEM and "smaller than the anonymity threshold of 5 people" in words(answer)


def test_no_chart_is_sent_when_no_team_is_shown() -> None:
    org_only = [GROUPS[0], Group(GroupKind.TEAM, 2, "Design", frozenset({10, 11, 12}))]
    messages = ask({"allowed": True, "report": report(KUDOS, org_only)})
    assert [message.kind for message in messages] == [FAIRNESS]


@pytest.mark.parametrize(
    ("counts", "uneven"),
    [
        ([5, 0, 0, 0, 0], True),  # Gini 0.8
        ([3, 3, 0, 0, 0], True),  # 0.6
        ([2, 1, 1, 1, 0], False),  # 0.32
        ([1, 0, 0, 0, 0], False),  # one kudos for five people says nothing yet
        ([9, 0, 0, 0], False),  # four people: under the threshold, never described
    ],
)
def test_uneven_recognition_for_the_digests_gentle_note(counts: list[int], uneven: bool) -> None:
    assert uneven_recognition(counts, threshold=5) is uneven

"""The arithmetic of the fairness view: how evenly recognition is spread, and which groups may be
shown at all without exposing anyone.

A figure about a group of people is shown only when the group is at least the anonymity
threshold, and only when no small group can be worked out from two shown figures: if the
Platform team (9 people) and Sam's reports (7 of them, all in Platform) were both shown with a
threshold of 5, subtracting one from the other would describe the 2 people in Platform who don't
report to Sam. Such a pair keeps the larger group and hides the smaller one.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


def gini(counts: Sequence[float]) -> float:
    """The Gini coefficient of ``counts`` (kudos received per person): 0 when everyone received the
    same, towards 1 when one person received everything; 0 for nobody or nothing received."""
    values = sorted(float(count) for count in counts)
    total = sum(values)
    n = len(values)
    if n == 0 or total == 0:
        return 0.0
    ranked = sum(rank * value for rank, value in enumerate(values, 1))
    return 2 * ranked / (n * total) - (n + 1) / n


def showable(groups: Mapping[str, frozenset[int]], threshold: int) -> set[str]:
    """The names of the groups (each a set of person ids) whose figures may be shown: at least
    ``threshold`` people each, and no shown group inside another shown one with fewer than
    ``threshold`` people between them. Hiding is repeated until nothing more needs hiding, because
    hiding one group can't expose another but the order of comparisons must not matter."""
    shown = {name for name, members in groups.items() if len(members) >= threshold}
    changed = True
    while changed:
        changed = False
        for outer in sorted(shown, key=lambda name: (-len(groups[name]), name)):
            for inner in sorted(shown, key=lambda name: (len(groups[name]), name)):
                if inner == outer or inner not in shown or outer not in shown:
                    continue
                big, small = groups[outer], groups[inner]
                if small < big and 0 < len(big - small) < threshold:
                    shown.discard(inner)
                    changed = True
    return shown


UNEVEN_GINI = 0.5
"""A Gini coefficient from which recognition reads as uneven: with five people, one person
receiving everything is 0.8, two of five sharing it equally is 0.6, everyone but one 0.2."""


def uneven_recognition(counts: Sequence[int], threshold: int) -> bool:
    """Whether a group's kudos (received per person) are uneven enough for a gentle word to its
    manager: a group of at least ``threshold`` people (a smaller one is never described), at least
    as many kudos as people (with fewer, someone is bound to have none and that says nothing), and
    a Gini coefficient of at least :data:`UNEVEN_GINI`."""
    return len(counts) >= threshold and sum(counts) >= len(counts) > 0 and gini(counts) >= UNEVEN_GINI


@dataclass(frozen=True)
class Tally:
    """What one person did and received in the period, the raw counts every figure is made of."""

    kudos_received: int = 0
    checkins_submitted: int = 0
    checkins_expected: int = 0  # check-ins Cadence asked for, not counting the weeks they were away
    goals: int = 0  # their personal goals of the period
    goal_updates: int = 0  # updates to those goals during the period
    feedback_given: int = 0
    feedback_received: int = 0

    def has_data(self) -> bool:
        return any(
            (
                self.kudos_received,
                self.checkins_expected,
                self.goal_updates,
                self.feedback_given,
                self.feedback_received,
            )
        )


def group_figures(tallies: Sequence[Tally], weeks: int) -> dict[str, Any]:
    """A group's figures from its members' tallies (a shown group has at least one member):

    - ``no_kudos_share``: the percentage of members who received no kudos;
    - ``kudos_gini``: how unevenly kudos were received (0 even, towards 1 one person got them all);
    - ``checkin_participation``: submitted check-ins as a percentage of those asked for outside
      time off (None when none were asked for);
    - ``goal_updates_per_goal_week``: updates to the members' personal goals of the period, per
      goal and per week of the period so far (None without goals);
    - ``feedback_given_per_person`` and ``feedback_received_per_person``."""
    people = len(tallies)
    received = [tally.kudos_received for tally in tallies]
    submitted = sum(tally.checkins_submitted for tally in tallies)
    expected = sum(tally.checkins_expected for tally in tallies)
    goal_weeks = sum(tally.goals for tally in tallies) * weeks
    updates = sum(tally.goal_updates for tally in tallies)
    return {
        "people": people,
        "kudos": sum(received),
        "no_kudos_share": round(sum(1 for count in received if count == 0) / people * 100, 1),
        "kudos_gini": round(gini(received), 2),
        "checkins_submitted": submitted,
        "checkins_expected": expected,
        "checkin_participation": round(submitted / expected * 100, 1) if expected else None,
        "goal_updates": updates,
        "goal_weeks": goal_weeks,
        "goal_updates_per_goal_week": round(updates / goal_weeks, 2) if goal_weeks else None,
        "feedback_given_per_person": round(sum(tally.feedback_given for tally in tallies) / people, 2),
        "feedback_received_per_person": round(sum(tally.feedback_received for tally in tallies) / people, 2),
    }


class GroupKind(enum.StrEnum):
    ORGANISATION = "organisation"
    TEAM = "team"
    MANAGER = "manager"  # a manager's direct reports


@dataclass(frozen=True)
class Group:
    kind: GroupKind
    ident: int  # the team's or the manager's id (two managers may share a name); 0 for everyone
    name: str  # the team's name, the manager's name; the organisation's name for everyone
    members: frozenset[int]

    @property
    def key(self) -> str:
        return f"{self.kind.value}:{self.ident}"


def fairness_view(
    groups: Sequence[Group], tallies: Mapping[int, Tally], threshold: int, weeks: int
) -> dict[str, list[dict[str, Any]]]:
    """The figures of every group that may be shown (see :func:`showable`), in the order given, and
    the others by kind and name only, with why: ``small`` (fewer than ``threshold`` people) or
    ``subtraction`` (big enough, but set against a larger shown group it would describe the few
    people between them). Never their size or figures, which could point at someone."""
    shown = showable({group.key: group.members for group in groups}, threshold)
    view: dict[str, list[dict[str, Any]]] = {"shown": [], "hidden": []}
    for group in groups:
        if group.key in shown:
            figures = group_figures([tallies.get(member, Tally()) for member in sorted(group.members)], weeks)
            view["shown"].append({"kind": group.kind.value, "name": group.name, **figures})
        else:
            reason = "small" if len(group.members) < threshold else "subtraction"
            view["hidden"].append({"kind": group.kind.value, "name": group.name, "reason": reason})
    return view

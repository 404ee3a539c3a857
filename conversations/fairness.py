"""The arithmetic of the fairness view: how evenly recognition is spread, and which groups may be
shown at all without exposing anyone.

A figure about a group of people is shown only when the group is at least the anonymity
threshold, and only when no small group can be worked out from two shown figures: if the
Platform team (9 people) and Sam's reports (7 of them, all in Platform) were both shown with a
threshold of 5, subtracting one from the other would describe the 2 people in Platform who don't
report to Sam. Such a pair keeps the larger group and hides the smaller one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


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

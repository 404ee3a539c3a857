"""How far goals have come: key results measured against their start and target, rolled up.

A key result's progress is (current − start) / (target − start), clamped to 0–100 %; a yes/no
key result is 0 or 100 %. A goal's progress is the weighted mean of its key results and its
child goals (each child weighing 1 unless given a weight), so company goals move as the team
and personal goals under them do.
"""

from __future__ import annotations

from collections.abc import Iterable


def key_result_progress(metric: str, start: float, target: float, current: float) -> float:
    if metric == "boolean":
        return 100.0 if current >= 1 else 0.0
    if target == start:
        return 100.0 if current == target else 0.0
    fraction = (current - start) / (target - start)
    return round(min(max(fraction, 0.0), 1.0) * 100.0, 4)


def weighted_progress(parts: Iterable[tuple[float, float]]) -> float:
    """The mean of (progress, weight) pairs by weight; 0 when there is nothing to weigh."""
    parts = [(progress, weight) for progress, weight in parts if weight > 0]
    total = sum(weight for _, weight in parts)
    if total == 0:
        return 0.0
    return round(min(max(sum(progress * weight for progress, weight in parts) / total, 0.0), 100.0), 4)

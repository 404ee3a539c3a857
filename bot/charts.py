"""The digest's chart: team mood and goal progress over the last weeks, as a PNG.

Drawn with matplotlib's Agg backend (no display needed). Weeks without a figure (no mood answers,
or fewer than the anonymity threshold) are gaps in the line, never zeros.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure


def has_data(chart: Mapping[str, Any]) -> bool:
    return any(value is not None for value in [*chart.get("mood", []), *chart.get("goal_progress", [])])


def render_chart(chart: Mapping[str, Any]) -> bytes:
    weeks = [week.split("-")[-1] for week in chart["weeks"]]
    figure = Figure(figsize=(6.4, 3.2), dpi=100)
    mood_axis = figure.add_subplot()
    moods = [float("nan") if value is None else value for value in chart["mood"]]
    (mood_line,) = mood_axis.plot(weeks, moods, marker="o", color="#2f4858", label="team mood (1–5)")
    mood_axis.set_ylim(1, 5)
    mood_axis.set_ylabel("mood")
    progress_axis = mood_axis.twinx()
    progress = [float("nan") if value is None else value for value in chart["goal_progress"]]
    (progress_line,) = progress_axis.plot(weeks, progress, marker="s", color="#f6ae2d", label="goal progress (%)")
    progress_axis.set_ylim(0, 100)
    progress_axis.set_ylabel("goal progress %")
    mood_axis.legend(handles=[mood_line, progress_line], loc="upper left", fontsize="small", frameon=False, ncols=2)
    mood_axis.set_ylim(1, 5.6)  # room for the legend above the highest mood
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()

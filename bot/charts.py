"""The charts sent with messages: the digest's, a manager's team over the last weeks; the
snapshot's, one person over a quarter; and the fairness view's, the kudos spread by team. Each
is drawn to be read at a glance.

Two small panels on one time axis rather than two scales on one axis, where a reader has to work
out which line belongs to which scale:

- **team mood** on its own 1–5 scale. A week whose mood is hidden (fewer answers than the
  workspace's anonymity threshold) is a shaded gap, and the panel says why in words; a hidden
  week is never drawn as a zero or left for the reader to guess about;
- **average goal progress**, 0–100 %, the team's goals replayed to the end of each week; its
  last point is labelled with the same number the digest's text states.

A title names the team and the span ("Platform · last 8 weeks"), and each week on the x axis is
the date of its Monday ("30 Nov"), as people read a calendar, not an ISO week number.

A snapshot's chart is the same two panels for one person: their mood by week with a dashed line at
their own usual mood (``baseline``), and the progress of their goals; a week without a mood there
is a week without a check-in (``gap_reason``), not a hidden one.

``chart_figure`` builds the figure (tests inspect it); ``render_chart`` turns it into a PNG with
matplotlib's Agg backend (no display needed). Outbox rows enqueued before the chart had a team
name or threshold still draw, with plainer words.

The fairness view's chart (``fairness_chart_figure``): the kudos spread by team, one bar per team
the anonymity rule lets through. :data:`CHARTS` says how each chart kind is drawn, for the platforms.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib

from conversations.numbers import format_number, format_percent

matplotlib.use("Agg")
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from conversations.digest import DIGEST_CHART
from conversations.fairness_view import FAIRNESS_CHART
from conversations.schedule import day_and_month, week_days

MOOD_COLOUR = "#2f4858"
PROGRESS_COLOUR = "#d08c00"
HIDDEN_SHADE = "#ececec"
NOTE_COLOUR = "#555555"


def has_data(chart: Mapping[str, Any]) -> bool:
    """Anything to draw: a week with a team mood or with goal progress."""
    return any(value is not None for value in [*chart.get("mood", []), *chart.get("goal_progress", [])])


def nothing_to_draw(chart: Mapping[str, Any]) -> str:
    """Why a chart without data has nothing on it, in words (for ``has_data`` false)."""
    threshold = chart.get("threshold")
    reason = f"fewer than {threshold} answers" if threshold else "too few answers"
    return f"the team mood is hidden every week ({reason}) and the team has no open goals"


def chart_title(chart: Mapping[str, Any]) -> str:
    return chart.get("title") or f"{chart.get('team') or 'Your team'} · last {len(chart['weeks'])} weeks"


def hidden_mood_note(chart: Mapping[str, Any]) -> str | None:
    """What the mood panel says about weeks whose mood is hidden, or None when none is."""
    moods = chart["mood"]
    hidden = sum(1 for mood in moods if mood is None)
    if not hidden:
        return None
    if chart.get("gap_reason"):
        return f"no mood in {hidden} of {len(moods)} weeks: {chart['gap_reason']}"
    threshold = chart.get("threshold")
    reason = f"fewer than {threshold} answers" if threshold else "too few answers"
    weeks = "" if hidden == len(moods) else f" in {hidden} of {len(moods)} weeks"
    return f"team mood hidden{weeks}: {reason}"


def chart_figure(chart: Mapping[str, Any]) -> Figure:
    """The chart of a digest's ``chart`` data: two panels, mood above goal progress, sharing the weeks."""
    weeks = list(chart["weeks"])
    positions = list(range(len(weeks)))
    figure = Figure(figsize=(6.4, 4.4), dpi=100)
    # fixed margins for a figure of a fixed size: a layout engine would work them out again for every
    # chart, which was 40 % of drawing one (thousands at the end of a quarter)
    figure.subplots_adjust(left=0.09, right=0.98, top=0.86, bottom=0.12, hspace=0.38)
    mood_axis, progress_axis = figure.subplots(2, 1, sharex=True)
    figure.suptitle(chart_title(chart), fontweight="bold")
    _draw_mood(mood_axis, positions, chart)
    _draw_progress(progress_axis, positions, chart["goal_progress"])
    progress_axis.set_xticks(positions, [day_and_month(week_days(week)[0]) for week in weeks])
    progress_axis.set_xlim(-0.5, len(weeks) - 0.5)
    progress_axis.set_xlabel("week starting", color=NOTE_COLOUR, fontsize="small")
    return figure


def render_chart(chart: Mapping[str, Any]) -> bytes:
    buffer = io.BytesIO()
    chart_figure(chart).savefig(buffer, format="png")
    return buffer.getvalue()


COMPACT_COLOURS = 32


def render_compact_chart(chart: Mapping[str, Any]) -> bytes:
    """The same chart in a palette of a few colours (a quarter of the bytes, and it looks the same:
    it is lines on a flat background), small enough to travel inside a message where a platform has
    no file upload for bots (a Teams card)."""
    return compact_png(render_chart(chart))


def _gaps(values: Sequence[float | None]) -> list[float]:
    """None as NaN: matplotlib leaves a gap in the line there, never a zero."""
    return [float("nan") if value is None else float(value) for value in values]


def _draw_mood(axis: Axes, positions: list[int], chart: Mapping[str, Any]) -> None:
    moods = chart["mood"]
    axis.set_title(chart.get("mood_title") or "Team mood (1–5)", loc="left", fontsize="medium")
    axis.plot(positions, _gaps(moods), marker="o", color=MOOD_COLOUR, linewidth=2)
    axis.set_ylim(0.6, 5.4)
    axis.set_yticks([1, 2, 3, 4, 5])
    axis.grid(axis="y", color="#dddddd", linewidth=0.6)
    baseline = chart.get("baseline")
    if baseline is not None:
        axis.axhline(baseline, color=MOOD_COLOUR, linestyle="--", linewidth=1, alpha=0.6)
        axis.text(0.0, baseline, f" their usual {baseline:g}", va="bottom", color=NOTE_COLOUR, fontsize="small")
    note = hidden_mood_note(chart)
    if note is None:
        return
    if all(mood is None for mood in moods):  # nothing drawn: the note is the panel
        axis.text(0.5, 0.5, note, transform=axis.transAxes, ha="center", va="center", color=NOTE_COLOUR)
        return
    for position, mood in zip(positions, moods, strict=True):
        if mood is None:
            axis.axvspan(position - 0.45, position + 0.45, color=HIDDEN_SHADE, zorder=0)
    # beside the panel's title, clear of the line and of the shaded weeks it explains
    axis.text(1.0, 1.02, note, transform=axis.transAxes, ha="right", va="bottom", color=NOTE_COLOUR, fontsize="small")


def _draw_progress(axis: Axes, positions: list[int], progress: Sequence[float | None]) -> None:
    axis.set_title("Average goal progress", loc="left", fontsize="medium")
    axis.plot(positions, _gaps(progress), marker="s", color=PROGRESS_COLOUR, linewidth=2)
    axis.set_ylim(-4, 112)
    axis.set_yticks([0, 25, 50, 75, 100], [format_percent(tick) for tick in (0, 25, 50, 75, 100)])
    axis.grid(axis="y", color="#dddddd", linewidth=0.6)
    known = [(position, value) for position, value in zip(positions, progress, strict=True) if value is not None]
    if not known:
        axis.text(0.5, 0.5, "no open goals", transform=axis.transAxes, ha="center", va="center", color=NOTE_COLOUR)
        return
    position, value = known[-1]
    axis.annotate(
        format_percent(value),  # the digest's text prints the same number the same way
        (position, value),
        textcoords="offset points",
        xytext=(0, 8),
        ha="center",
        color=PROGRESS_COLOUR,
        fontweight="bold",
    )


FAIRNESS_BAR = "#2f4858"
ORGANISATION_LINE = "#d08c00"
LABEL_INSIDE_FROM = 60.0  # percent: from here a bar's label is written inside it


def fairness_chart_title(chart: Mapping[str, Any]) -> str:
    return f"Kudos spread by team · {chart['period']}"


def fairness_hidden_note(chart: Mapping[str, Any]) -> str | None:
    """Which teams have no bar, and why, in words (None when every team has one)."""
    hidden = chart.get("hidden_teams") or []
    if not hidden:
        return None
    return f"not shown, to keep groups under {chart['threshold']} people anonymous: {', '.join(hidden)}"


def fairness_bar_label(team: Mapping[str, Any]) -> str:
    """``67% · Gini 0.76``: the bar's length and how unevenly the kudos went, with the same
    rounding as the message's text."""
    return f"{format_percent(team['no_kudos_share'])} · Gini {format_number(team['kudos_gini'])}"


def fairness_chart_figure(chart: Mapping[str, Any]) -> Figure:
    """One horizontal bar per shown team, its length the share of the team's people who received
    no kudos in the period (shorter is better), labelled with that share and the team's Gini
    coefficient; the organisation's own share as a dashed line to compare each team with; teams
    hidden by the anonymity rule named under the chart rather than silently left out."""
    teams = list(chart["teams"])
    figure = Figure(figsize=(6.4, 4.4), dpi=100, layout="constrained")
    axis = figure.subplots()
    figure.suptitle(fairness_chart_title(chart), fontweight="bold")
    positions = list(range(len(teams)))
    shares = [team["no_kudos_share"] for team in teams]
    axis.barh(positions, shares, color=FAIRNESS_BAR, height=0.6)
    axis.set_yticks(positions, [team["name"] for team in teams])
    axis.invert_yaxis()  # the first team on top, as the message lists them
    axis.set_xlim(0, 100)
    axis.set_xticks([0, 25, 50, 75, 100], [format_percent(tick) for tick in (0, 25, 50, 75, 100)])
    axis.set_xlabel("people who received no kudos", color=NOTE_COLOUR, fontsize="small")
    axis.grid(axis="x", color="#dddddd", linewidth=0.6)
    axis.set_axisbelow(True)
    for position, team in zip(positions, teams, strict=True):
        share = team["no_kudos_share"]
        inside = share >= LABEL_INSIDE_FROM  # a long bar carries its label, which would run off the chart
        axis.text(share - 1.5 if inside else share + 1.5, position, fairness_bar_label(team), va="center",
                  ha="right" if inside else "left", color="white" if inside else "black", fontsize="small")  # fmt: skip
    organisation = chart.get("organisation_no_kudos_share")
    if organisation is not None:
        axis.axvline(organisation, color=ORGANISATION_LINE, linestyle="--", linewidth=1.5,
                     label=f"everyone: {format_percent(organisation)}")  # fmt: skip
        axis.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize="small", frameon=False)  # above the bars
    note = fairness_hidden_note(chart)
    if note is not None:
        figure.supxlabel(note, color=NOTE_COLOUR, fontsize="small")
    return figure


def render_fairness_chart(chart: Mapping[str, Any]) -> bytes:
    buffer = io.BytesIO()
    fairness_chart_figure(chart).savefig(buffer, format="png")
    return buffer.getvalue()


@dataclass(frozen=True)
class Drawing:
    """How a chart outbound kind is drawn, and the stem of the file it travels as (``2026-W49``)."""

    render: Callable[[Mapping[str, Any]], bytes]
    file_stem: Callable[[Mapping[str, Any]], str]


CHARTS: Mapping[str, Drawing] = {
    DIGEST_CHART: Drawing(render_chart, lambda chart: str(chart["weeks"][-1])),
    FAIRNESS_CHART: Drawing(render_fairness_chart, lambda chart: f"fairness-{chart['period']}"),
}
"""The outbound kinds that are pictures: each platform sends them as an image (Slack uploads a file,
Teams puts it in the card, the shell saves it) instead of as words."""


def compact_png(png: bytes) -> bytes:
    """A chart in a palette of a few colours: a quarter of the bytes, and it looks the same (lines
    and bars on a flat background), small enough to travel inside a message (a Teams card)."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=COMPACT_COLOURS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()

"""``fairness`` (``/cadence fairness [2026-Q4]``): for admins, how evenly recognition, check-ins,
goal updates and feedback are spread across teams and managers' reports over a quarter, with a
chart of the kudos spread by team.

The storage context works out the figures (only for an admin, and only for a period that can be
read); this step only chooses what to say. Every figure has already passed the anonymity rule
(``conversations.fairness.showable``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar

from conversations.fairness import GroupKind
from conversations.flow import State, StepResult
from conversations.goal_progress import current_period, parse_period
from conversations.messages import Inbound, Outbound
from conversations.settings_view import admins_only

FAIRNESS = "fairness"
FAIRNESS_PROBLEM = "fairness_problem"
FAIRNESS_CHART = "fairness_chart"  # an outbound kind: the kudos spread by team, drawn where it is delivered


class PeriodProblem(enum.StrEnum):
    UNKNOWN = "unknown_period"
    FUTURE = "future_period"


@dataclass(frozen=True)
class AskedPeriod:
    """A period to look at: its name and days, and ``through``, the last day counted so far (today
    for the period under way)."""

    name: str
    first: date
    last: date
    through: date


def asked_period(text: str, today: date) -> AskedPeriod | PeriodProblem:
    """The period typed after ``fairness`` (``2026-Q4``, also ``2026``, ``2026-H2`` or ``2026-11``),
    the current quarter when nothing is; a period that hasn't begun has nothing to show yet."""
    parsed = parse_period(text.strip() or current_period(today))
    if parsed is None or len(text.split()) > 1:
        return PeriodProblem.UNKNOWN
    name, first, last = parsed
    if first > today:
        return PeriodProblem.FUTURE
    return AskedPeriod(name, first, last, min(last, today))


def chart_data(period: str, threshold: int, view: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, Any]:
    """What the chart draws: for each shown team, the share of its people without kudos and its
    Gini coefficient, the whole organisation's share as a line to compare with (when shown), and
    the hidden teams by name, so the chart never leaves a team out without saying so."""
    teams = [group for group in view["shown"] if group["kind"] == GroupKind.TEAM]
    organisation = next((group for group in view["shown"] if group["kind"] == GroupKind.ORGANISATION), None)
    return {
        "period": period,
        "threshold": threshold,
        "teams": [
            {"name": team["name"], "no_kudos_share": team["no_kudos_share"], "kudos_gini": team["kudos_gini"]}
            for team in teams
        ],
        "organisation_no_kudos_share": organisation["no_kudos_share"] if organisation else None,
        "hidden_teams": [group["name"] for group in view["hidden"] if group["kind"] == GroupKind.TEAM],
    }


class FairnessFlow:
    stateless: ClassVar[bool] = True
    name: ClassVar[str] = "fairness"
    commands: ClassVar[tuple[str, ...]] = ("fairness",)
    keywords: ClassVar[tuple[str, ...]] = ()

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        assert state is not None, "the fairness context always seeds a state"
        data = state.data
        if not data["allowed"]:
            return StepResult(outbound=(admins_only("the fairness view", data["admins"]),))
        if data.get("problem"):
            return StepResult(outbound=(problem(data["problem"], text=inbound.text.strip(), example=data["example"]),))
        report = data["report"]
        if not report["has_data"]:
            return StepResult(outbound=(problem("no_data", period=report["period"]),))
        if not report["shown"]:
            return StepResult(outbound=(problem("all_hidden", period=report["period"], threshold=report["threshold"]),))
        messages = [Outbound(FAIRNESS, dict(report), private=True)]
        chart = report["chart"]
        if chart["teams"]:
            messages.append(Outbound(FAIRNESS_CHART, chart, private=True))
        return StepResult(outbound=tuple(messages))


def problem(code: str, **data: Any) -> Outbound:
    return Outbound(FAIRNESS_PROBLEM, {"code": code, **data}, private=True)

"""``settings`` (``/cadence settings``): for admins, the organisation's settings in effect, in words,
with who applied them last and how to change them (as code, ``cadence config apply``). Anyone else
is told, in one sentence, which admins to ask: the settings decide who is asked what and when, and
are the organisation's, not one person's.

The storage context reads the settings and the audit log; this step only chooses what to say.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from conversations.flow import State, StepResult
from conversations.messages import Inbound, Outbound
from conversations.workspace_settings import RetentionKind, WorkspaceSettings

SETTINGS = "settings"
ADMINS_ONLY = "admins_only"
"""An outbound kind: what was asked is for admins alone; ``data["what"]`` names it, ``data["admins"]`` who to ask."""


def admins_only(what: str, admins: list[str]) -> Outbound:
    return Outbound(ADMINS_ONLY, {"what": what, "admins": admins}, private=True)


def summary(settings: WorkspaceSettings) -> dict[str, Any]:
    """The settings a person notices, as plain data for the words: when people are asked, what,
    when digests go out, the kudos rules, the anonymity rule, and the teams with their own."""
    checkins, kudos = settings.checkins, settings.kudos
    channels = kudos.channel.model_dump(exclude_none=True) if kudos.channel else {}
    return {
        "checkins": {
            "day": checkins.day,
            "time": checkins.time,
            "reminders": list(checkins.reminders),
            "questions": [{"id": question.id, "text": question.text} for question in checkins.questions],
            "notify_manager": checkins.notify_manager,
            "upward_anonymous": checkins.upward_anonymous,
        },
        "digest": {"day": settings.digest.day, "time": settings.digest.time},
        "kudos": {
            "daily_allowance": kudos.daily_allowance,
            "values": [value.shown_label for value in kudos.values],
            "require_value": kudos.require_value,
            "channels": channels,
        },
        "skills": [skill.shown_label for skill in settings.skills],
        "one_on_ones": {"cadence": settings.one_on_ones.cadence, "day": settings.one_on_ones.day},
        "anonymity_threshold": settings.anonymity_threshold,
        "holidays": len(settings.holidays),
        "teams": sorted(settings.teams),
        "retention": {kind.value: settings.retention.days(kind) for kind in RetentionKind},
    }


class SettingsFlow:
    stateless: ClassVar[bool] = True
    name: ClassVar[str] = "settings"
    commands: ClassVar[tuple[str, ...]] = ("settings",)
    keywords: ClassVar[tuple[str, ...]] = ()

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        assert state is not None, "the settings context always seeds a state"
        data = state.data
        if not data["allowed"]:
            return StepResult(outbound=(admins_only("the settings", data["admins"]),))
        return StepResult(outbound=(Outbound(SETTINGS, dict(data["shown"]), private=True),))

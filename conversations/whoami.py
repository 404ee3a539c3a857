"""``whoami``: the profile Cadence holds about the person, so they can spot a wrong manager or zone."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from zoneinfo import ZoneInfo

from conversations.flow import State, StepResult, reply
from conversations.messages import Inbound


class WhoamiFlow:
    stateless: ClassVar[bool] = True
    name: ClassVar[str] = "whoami"
    commands: ClassVar[tuple[str, ...]] = ("whoami",)
    keywords: ClassVar[tuple[str, ...]] = ("whoami", "who am i", "me", "profile")

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        actor = inbound.actor
        assert actor is not None
        local_now = now.astimezone(ZoneInfo(actor.timezone))
        return reply(
            "whoami",
            name=actor.display_name,
            email=actor.email or "",
            role=actor.role,
            team=actor.team or "",
            manager=actor.manager_name or "",
            report_count=actor.report_count,
            timezone=actor.timezone,
            local_time=local_now.strftime("%A %H:%M"),
        )

"""``help``: what Cadence can do for the person asking, and who sees what."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from conversations.flow import State, StepResult, reply
from conversations.messages import Inbound


class HelpFlow:
    stateless: ClassVar[bool] = True
    name: ClassVar[str] = "help"
    commands: ClassVar[tuple[str, ...]] = ("help", "cadence")
    keywords: ClassVar[tuple[str, ...]] = ("help", "hi", "hello", "what can you do", "commands")

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        actor = inbound.actor
        assert actor is not None
        return reply(
            "help",
            name=actor.display_name,
            is_manager=actor.report_count > 0,
            is_admin=actor.role == "admin",
        )

"""``privacy`` (``/cadence privacy``): who can read each kind of thing Cadence holds about the person
asking, by name. The storage context works the names out from the permission matrix itself, so
this answer can't drift from what Cadence enforces."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from conversations.flow import State, StepResult
from conversations.messages import Inbound, Outbound


class PrivacyFlow:
    stateless: ClassVar[bool] = True
    name: ClassVar[str] = "privacy"
    commands: ClassVar[tuple[str, ...]] = ("privacy",)
    keywords: ClassVar[tuple[str, ...]] = ("privacy", "who sees my check-ins", "who can see my check-ins")

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        assert state is not None, "the privacy context always seeds a state"
        return StepResult(outbound=(Outbound("privacy", dict(state.data), private=True),))

"""What a flow is: a pure step from (state, inbound, now) to (next state, messages, changes).

A step never sends, sleeps, reads the clock or touches the database; the engine does that
around it. Steps are named by string enums so that a state saved today still means the same
thing after the code is reordered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

from conversations.messages import Inbound, Outbound


@dataclass(frozen=True)
class State:
    """Where one person is in one flow; ``data`` must be JSON-serialisable."""

    flow: str
    step: str
    data: Mapping[str, Any] = field(default_factory=dict)
    expires_at: datetime | None = None

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at


@dataclass(frozen=True)
class Change:
    """A domain change a step asks for; the engine hands it to a ``ChangeSink`` in the same unit of work."""


@dataclass(frozen=True)
class StepResult:
    """``state`` None ends the conversation; otherwise it is saved and the next message continues it.

    ``passed``: what the person typed was not for this conversation after all (``thanks`` while it
    waits for a number); the engine ends the conversation and routes the message as if there were none.
    """

    state: State | None = None
    outbound: tuple[Outbound, ...] = ()
    changes: tuple[Change, ...] = ()
    passed: bool = False


class Flow(Protocol):
    """A conversation Cadence can have; ``commands`` and ``keywords`` start it.

    A flow may set ``stateless = True`` when every exchange is a single message and answer (help,
    kudos): the engine then neither loads nor saves conversation state for it.
    """

    name: ClassVar[str]
    commands: ClassVar[tuple[str, ...]]
    keywords: ClassVar[tuple[str, ...]]

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult: ...


def reply(kind: str, **data: Any) -> StepResult:
    """A finished one-message exchange, the shape of most simple commands."""
    return StepResult(outbound=(Outbound(kind=kind, data=data),))

"""Applies the domain changes flows ask for, inside the caller's unit of work.

Each change type has exactly one applier; a change without one is a programming error and
fails loudly rather than being dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlmodel import Session

from conversations.flow import Change
from conversations.messages import Actor

Applier = Callable[[Session, Actor, Change, datetime], None]


class SqlChangeSink:
    def __init__(self, session: Session, appliers: dict[type[Change], Applier] | None = None) -> None:
        self.session = session
        self.appliers = dict(appliers or {})

    def apply(self, actor: Actor, changes: Sequence[Change], now: datetime) -> None:
        for change in changes:
            applier = self.appliers.get(type(change))
            if applier is None:
                raise TypeError(f"no applier registered for {type(change).__name__}")
            applier(self.session, actor, change, now)
        self.session.flush()

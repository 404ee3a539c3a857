"""In-memory ports for running the engine without a database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from conversations.flow import Change, State
from conversations.messages import Actor, Inbound, Outbound


class FakeDirectory:
    def __init__(self, *actors: Actor, by_user: dict[str, Actor] | None = None) -> None:
        self.by_user = by_user or {actor.email or "": actor for actor in actors}

    def resolve(self, inbound: Inbound) -> Actor | None:
        return self.by_user.get(inbound.user)


class FakeStates:
    def __init__(self) -> None:
        self.saved: dict[tuple[int, str], State] = {}
        self.order: list[tuple[int, str]] = []

    def load(self, actor: Actor, flow: str) -> State | None:
        return self.saved.get((actor.person_id, flow))

    def latest(self, actor: Actor) -> State | None:
        mine = [key for key in self.order if key[0] == actor.person_id and key in self.saved]
        return self.saved[mine[-1]] if mine else None

    def save(self, actor: Actor, inbound: Inbound, state: State) -> None:
        key = (actor.person_id, state.flow)
        self.saved[key] = state
        self.order.append(key)

    def clear(self, actor: Actor, flow: str) -> None:
        self.saved.pop((actor.person_id, flow), None)


class FakeChanges:
    def __init__(self) -> None:
        self.applied: list[Change] = []

    def apply(self, actor: Actor, changes: Sequence[Change], now: datetime) -> None:
        self.applied.extend(changes)


class FakeChannel:
    def __init__(self) -> None:
        self.sent: list[Outbound] = []

    def send(self, inbound: Inbound, messages: Sequence[Outbound]) -> None:
        self.sent.extend(messages)

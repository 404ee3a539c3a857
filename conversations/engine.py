"""The engine runs one flow step per inbound message: resolve who spoke, pick the flow, load its
state, run the pure step, save, apply changes, hand messages to the channel.

Everything it touches is a port, so the same engine runs against the database in production and
against plain dictionaries in tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from conversations.flow import Change, Flow, State, StepResult
from conversations.messages import Actor, Inbound, Outbound

UNKNOWN_COMMAND = "unknown_command"
UNKNOWN_PERSON = "unknown_person"
NOT_UNDERSTOOD = "not_understood"


class Directory(Protocol):
    def resolve(self, inbound: Inbound) -> Actor | None: ...


class StateStore(Protocol):
    def load(self, actor: Actor, flow: str) -> State | None: ...

    def latest(self, actor: Actor) -> State | None: ...

    def save(self, actor: Actor, inbound: Inbound, state: State) -> None: ...

    def clear(self, actor: Actor, flow: str) -> None: ...


class FlowContext(Protocol):
    """Loads what a flow needs to know before its pure step runs (questions, allowances, names).

    It returns the state to step from: usually ``state`` itself, or a fresh state seeded with
    facts from storage when a conversation starts. Keeping those facts in the state is what lets
    a step stay a pure function of (state, inbound, now), and an interrupted conversation resume
    from exactly what it was shown.
    """

    def prepare(
        self, flow: str, actor: Actor, inbound: Inbound, state: State | None, now: datetime
    ) -> State | None: ...


class NoContext:
    """For flows that need nothing beyond the inbound message and the actor."""

    def prepare(self, flow: str, actor: Actor, inbound: Inbound, state: State | None, now: datetime) -> State | None:
        return state


class ChangeSink(Protocol):
    def apply(self, actor: Actor, changes: Sequence[Change], now: datetime) -> None: ...


class Channel(Protocol):
    """Where outbound messages go: a reply in the inbound's conversation, or a proactive send."""

    def send(self, inbound: Inbound, messages: Sequence[Outbound]) -> None: ...


@dataclass(frozen=True)
class Route:
    flow: Flow | None
    state: State | None
    fallback: Outbound | None = None
    inbound: Inbound | None = None  # the inbound as the flow should see it, when routing rewrote it


def route_key(value: str) -> str:
    """Buttons and forms name their flow before the first dot: ``checkin.start`` belongs to ``checkin``."""
    return value.split(".", 1)[0]


class Engine:
    def __init__(
        self,
        flows: Iterable[Flow],
        directory: Directory,
        states: StateStore,
        changes: ChangeSink,
        channel: Channel,
        context: FlowContext | None = None,
    ) -> None:
        self.flows = {flow.name: flow for flow in flows}
        self.by_command = {command: flow for flow in self.flows.values() for command in flow.commands}
        self.by_keyword = {keyword: flow for flow in self.flows.values() for keyword in flow.keywords}
        self.directory = directory
        self.states = states
        self.changes = changes
        self.channel = channel
        self.context = context or NoContext()

    def handle(self, inbound: Inbound, now: datetime) -> tuple[Outbound, ...]:
        actor = self.directory.resolve(inbound)
        if actor is None:
            if inbound.reaction is not None:
                return ()  # an emoji from someone we don't know is nobody's business but theirs
            messages = (Outbound(UNKNOWN_PERSON, {"user": inbound.user}, private=True),)
            self.channel.send(inbound, messages)
            return messages
        inbound = replace(inbound, actor=actor)
        route = self.route(actor, inbound, now)
        inbound = route.inbound or inbound
        if route.flow is None:
            messages = (route.fallback,) if route.fallback is not None else ()
        else:
            state = self.context.prepare(route.flow.name, actor, inbound, route.state, now)
            result = route.flow.step(state, inbound, now)
            self.persist(actor, inbound, route.flow, result)
            if result.changes:
                self.changes.apply(actor, result.changes, now)
            messages = result.outbound
        self.channel.send(inbound, messages)
        return messages

    def route(self, actor: Actor, inbound: Inbound, now: datetime) -> Route:
        if inbound.command is not None:
            inbound, flow = self.command_flow(inbound)
            if flow is None:
                return Route(None, None, Outbound(UNKNOWN_COMMAND, {"command": inbound.command}, private=True))
            return Route(flow, self.live_state(actor, flow.name, now), inbound=inbound)
        if inbound.reaction is not None:
            flow = next((flow for flow in self.flows.values() if getattr(flow, "handles_reactions", False)), None)
            if flow is None:
                return Route(None, None, None)
            return Route(flow, self.live_state(actor, flow.name, now))
        flow_name = None
        if inbound.choice is not None:
            flow_name = route_key(inbound.choice)
        elif inbound.form_id is not None:
            flow_name = route_key(inbound.form_id)
        if flow_name is not None:
            flow = self.flows.get(flow_name)
            if flow is None:
                return Route(None, None, Outbound(NOT_UNDERSTOOD, {"text": inbound.choice or ""}, private=True))
            return Route(flow, self.live_state(actor, flow.name, now))
        latest = self.states.latest(actor)
        if latest is not None and not latest.is_expired(now) and latest.flow in self.flows:
            return Route(self.flows[latest.flow], latest)
        flow = self.by_keyword.get(normalise_keyword(inbound.text))
        if flow is not None:
            return Route(flow, self.live_state(actor, flow.name, now))
        return Route(None, None, Outbound(NOT_UNDERSTOOD, {"text": inbound.text}))

    def command_flow(self, inbound: Inbound) -> tuple[Inbound, Flow | None]:
        """``/checkin away …`` goes to the flow registered for ``checkin away`` when there is one,
        with the sub-command taken off the text; otherwise to the flow for ``checkin``."""
        command = (inbound.command or "").lower()
        first, _, rest = inbound.text.strip().partition(" ")
        sub_flow = self.by_command.get(f"{command} {first.lower()}") if first else None
        if sub_flow is not None:
            return replace(inbound, command=f"{command} {first.lower()}", text=rest.strip()), sub_flow
        return inbound, self.by_command.get(command)

    def live_state(self, actor: Actor, flow: str, now: datetime) -> State | None:
        if getattr(self.flows.get(flow), "stateless", False):
            return None
        state = self.states.load(actor, flow)
        if state is not None and state.is_expired(now):
            self.states.clear(actor, flow)
            return None
        return state

    def persist(self, actor: Actor, inbound: Inbound, flow: Flow, result: StepResult) -> None:
        if getattr(flow, "stateless", False):
            return
        if result.state is None:
            self.states.clear(actor, flow.name)
        else:
            self.states.save(actor, inbound, result.state)


def normalise_keyword(text: str) -> str:
    return " ".join(text.lower().strip().strip("?!.").split())

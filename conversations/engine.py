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

from conversations.commands import ALIASES, TypedCommand, read_command, suggestion
from conversations.flow import Change, Flow, State, StepResult
from conversations.messages import COMMAND_CHOICE, Actor, Inbound, Outbound
from conversations.steering import Steer, steering_word

UNKNOWN_COMMAND = "unknown_command"
UNKNOWN_PERSON = "unknown_person"
NOT_UNDERSTOOD = "not_understood"
NOTHING_TO_STEER = "nothing_to_steer"
"""An outbound kind: ``cancel``, ``back`` or ``skip`` typed when no conversation is going on."""
CONVERSATION_HELP = "conversation_help"
"""An outbound kind: what a conversation that has no help of its own accepts (``cancel``)."""
CONVERSATION_CANCELLED = "conversation_cancelled"
UMBRELLA = "cadence"  # ``/cadence whoami`` is ``whoami``


class Steerable(Protocol):
    """A multi-step flow that words the steering words itself at each of its steps."""

    def steer(self, state: State | None, steer: Steer, inbound: Inbound, now: datetime) -> StepResult: ...


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
    steer: Steer | None = None  # a steering word typed in a live conversation, for its flow to honour


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
        self.command_words = {command.split(" ", 1)[0] for command in self.by_command}
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
        messages, passed = self.run(actor, route, route.inbound or inbound, now)
        if passed is not None:  # the conversation let it go: it is routed as if there were none
            self.states.clear(actor, passed.name)
            route = self.route(actor, inbound, now)
            messages, _ = self.run(actor, route, route.inbound or inbound, now)
        self.channel.send(route.inbound or inbound, messages)
        return messages

    def run(
        self, actor: Actor, route: Route, inbound: Inbound, now: datetime
    ) -> tuple[tuple[Outbound, ...], Flow | None]:
        """The messages of one routed step, and the flow when it passed the message on instead."""
        if route.flow is None:
            return ((route.fallback,) if route.fallback is not None else ()), None
        state = self.context.prepare(route.flow.name, actor, inbound, route.state, now)
        if route.steer is None:
            result = route.flow.step(state, inbound, now)
        elif hasattr(route.flow, "steer"):
            result = route.flow.steer(state, route.steer, inbound, now)
        else:
            result = plain_steering(state, route.steer)
        if result.passed and route.state is not None:
            return (), route.flow
        self.persist(actor, inbound, route.flow, result)
        if result.changes:
            self.changes.apply(actor, result.changes, now)
        return result.outbound, None

    def route(self, actor: Actor, inbound: Inbound, now: datetime) -> Route:
        rewritten = None
        if inbound.choice is not None and inbound.choice.startswith(COMMAND_CHOICE):
            # a button that runs a command: as if it had been typed with its slash, whatever is going on
            command_line = "/" + inbound.choice.removeprefix(COMMAND_CHOICE).lstrip("/")
            inbound = rewritten = replace(inbound, choice=None, text=command_line)
        if is_typed(inbound):
            typed_route = self.typed_route(actor, inbound, now)
            if typed_route is not None:
                return typed_route
            typed = read_command(inbound.text, self.command_words)
            if typed is not None:
                inbound = rewritten = replace(inbound, command=typed.command, text=typed.text)
            elif inbound.text.strip().startswith("/"):  # "/dance": meant as a command, one we don't have
                word, _, rest = inbound.text.strip().removeprefix("/").partition(" ")
                inbound = rewritten = replace(inbound, command=word.lower(), text=rest.strip())
        if inbound.command is not None:
            inbound, flow = self.command_flow(inbound)
            if flow is None:
                return Route(None, None, self.unknown_command(inbound), inbound=inbound if rewritten else None)
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
        flow = self.by_keyword.get(normalise_keyword(inbound.text))
        if flow is not None:
            return Route(flow, self.live_state(actor, flow.name, now))
        first = inbound.text.strip().split(" ", 1)[0]
        guess = suggestion(first, [*self.command_words, *ALIASES])
        return Route(None, None, Outbound(NOT_UNDERSTOOD, {"text": inbound.text, "suggestion": guess or ""}))

    def typed_route(self, actor: Actor, inbound: Inbound, now: datetime) -> Route | None:
        """Where a typed line goes when a conversation is going on: to it (as an answer or as a
        steering word), unless the line is a slash command; None when nothing is going on and the
        line is no command, or it is one."""
        typed = read_command(inbound.text, self.command_words)
        latest = self.states.latest(actor)
        live = latest is not None and not latest.is_expired(now) and latest.flow in self.flows
        if latest is not None and live:
            flow = self.flows[latest.flow]
            steer = steering_word(inbound.text)
            if steer is not None and not (typed is not None and typed.slashed):
                return Route(flow, latest, steer=steer)
            if typed is not None and (typed.slashed or self.unmistakable(typed, flow, inbound)):
                return None
            if typed is not None and not typed.text:
                # "checkin" typed in the middle of the check-in: carry on where it is, don't answer "checkin"
                return Route(flow, latest, inbound=replace(inbound, command=typed.command, text=""))
            return Route(flow, latest)
        steer = steering_word(inbound.text)
        if typed is None and steer is not None and steer is not Steer.HELP:
            return Route(None, None, Outbound(NOTHING_TO_STEER, {"word": inbound.text.strip(), "steer": steer.value}))
        return None

    def unmistakable(self, typed: TypedCommand, flow: Flow, inbound: Inbound) -> bool:
        """A typed line that can only be a command, even in the middle of ``flow``'s conversation: a
        command word alone (``whoami``), one with a sub-command (``checkin away next week``, ``goal
        update KR-3 40``), or one that names someone (``kudos @sam …``, ``1on1 @grace``, ``feedback
        give @lin``). The conversation's own command word alone carries on with it instead; anything
        else is an answer."""
        first = typed.text.split(" ", 1)[0].lower()
        if not typed.text:
            return typed.command not in {command.split(" ")[0] for command in flow.commands}
        if f"{typed.command} {first}" in self.by_command:
            return True
        return bool(inbound.mentions)

    def command_flow(self, inbound: Inbound) -> tuple[Inbound, Flow | None]:
        """``/checkin away …`` goes to the flow registered for ``checkin away`` when there is one,
        with the sub-command taken off the text; otherwise to the flow for ``checkin``. ``/cadence
        whoami`` is ``/whoami``."""
        command = (inbound.command or "").lower()
        first, _, rest = inbound.text.strip().partition(" ")
        if command == UMBRELLA and first:
            inner = read_command(inbound.text, self.command_words)
            if inner is not None and inner.command != UMBRELLA:
                return self.command_flow(replace(inbound, command=inner.command, text=inner.text))
            return replace(inbound, command=first.lower(), text=rest.strip()), None
        sub_flow = self.by_command.get(f"{command} {first.lower()}") if first else None
        if sub_flow is not None:
            return replace(inbound, command=f"{command} {first.lower()}", text=rest.strip()), sub_flow
        sub_commands = [key.split(" ", 1)[1] for key in self.by_command if key.startswith(f"{command} ")]
        typo = suggestion(first, sub_commands) if sub_commands and not inbound.mentions else None
        if typo is not None and steering_word(first) is None:
            return replace(inbound, command=f"{command} {first.lower()}", text=rest.strip()), None
        return inbound, self.by_command.get(command)

    def unknown_command(self, inbound: Inbound) -> Outbound:
        command = inbound.command or ""
        base, _, sub = command.partition(" ")
        if sub:
            guess = suggestion(sub, [key.split(" ", 1)[1] for key in self.by_command if key.startswith(f"{base} ")])
            guess = f"{base} {guess}" if guess else None
        else:
            guess = suggestion(base, [*self.command_words, *ALIASES])
        return Outbound(UNKNOWN_COMMAND, {"command": command, "suggestion": guess or ""}, private=True)

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


def is_typed(inbound: Inbound) -> bool:
    """A line typed in a conversation: not a slash command, a button, a form or a reaction."""
    return (
        inbound.command is None
        and inbound.choice is None
        and inbound.form_id is None
        and inbound.reaction is None
        and bool(inbound.text.strip())
    )


def plain_steering(state: State | None, steer: Steer) -> StepResult:
    """Steering for a conversation without words of its own: cancel ends it, anything else says so."""
    if steer is Steer.CANCEL:
        return StepResult(None, (Outbound(CONVERSATION_CANCELLED, {}),))
    return StepResult(state, (Outbound(CONVERSATION_HELP, {}),))


def normalise_keyword(text: str) -> str:
    return " ".join(text.lower().strip().strip("?!.").split())

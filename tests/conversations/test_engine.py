from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from conversations.engine import (
    CONVERSATION_CANCELLED,
    CONVERSATION_HELP,
    NOT_UNDERSTOOD,
    NOTHING_TO_STEER,
    UNKNOWN_COMMAND,
    UNKNOWN_PERSON,
    Engine,
)
from conversations.flow import Change, State, StepResult
from conversations.flows import all_flows
from conversations.messages import Actor, Inbound, Outbound, Platform
from tests.conversations.fakes import FakeChanges, FakeChannel, FakeDirectory, FakeStates

NOW = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
ADA = Actor(
    person_id=1,
    workspace_id=1,
    display_name="Ada",
    email="ada@acme.test",
    timezone="Europe/Berlin",
    role="member",
    team="Platform",
    manager_name="Grace",
)


@dataclass(frozen=True)
class Counted(Change):
    total: int


class CounterFlow:
    """Counts messages until 'enough'; a stand-in for multi-turn flows such as the check-in."""

    name: ClassVar[str] = "counter"
    commands: ClassVar[tuple[str, ...]] = ("count",)
    keywords: ClassVar[tuple[str, ...]] = ()

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        total = (state.data["total"] if state else 0) + 1
        if inbound.text == "enough" or inbound.choice == "counter.stop":
            return StepResult(None, (Outbound("done", {"total": total}),), (Counted(total),))
        next_state = State("counter", "counting", {"total": total}, expires_at=now + timedelta(hours=1))
        return StepResult(next_state, (Outbound("counting", {"total": total}),))


def make_engine(*flows):
    ports = FakeDirectory(ADA), FakeStates(), FakeChanges(), FakeChannel()
    return Engine(flows or (*all_flows(), CounterFlow()), *ports), ports


def said(text: str = "", **fields) -> Inbound:
    return Inbound(Platform.SHELL, "acme", "ada@acme.test", "dm", text=text, **fields)


def test_help_and_whoami_answer_by_keyword_and_by_command() -> None:
    engine, (_, _, _, channel) = make_engine()
    engine.handle(said("Help?"), NOW)
    engine.handle(said(command="whoami"), NOW)
    assert [message.kind for message in channel.sent] == ["help", "whoami"]
    whoami = channel.sent[1].data
    assert whoami["manager"] == "Grace" and whoami["local_time"] == "Friday 10:30"


def test_a_stranger_is_told_to_ask_an_admin() -> None:
    engine, (_, _, _, channel) = make_engine()
    engine.handle(Inbound(Platform.SLACK, "T1", "U404", "D1", text="help"), NOW)
    assert [message.kind for message in channel.sent] == [UNKNOWN_PERSON]


def test_unknown_commands_and_unclear_text_get_a_pointer_to_help() -> None:
    engine, (_, _, _, channel) = make_engine()
    engine.handle(said(command="dance"), NOW)
    engine.handle(said("what is the meaning of life"), NOW)
    assert [message.kind for message in channel.sent] == [UNKNOWN_COMMAND, NOT_UNDERSTOOD]
    assert channel.sent[0].private is True


def test_a_multi_turn_flow_keeps_its_state_between_messages_and_applies_changes_at_the_end() -> None:
    engine, (_, states, changes, channel) = make_engine()
    engine.handle(said(command="count"), NOW)
    engine.handle(said("anything"), NOW)
    assert states.load(ADA, "counter").data == {"total": 2}
    engine.handle(said("enough"), NOW)
    assert states.load(ADA, "counter") is None
    assert changes.applied == [Counted(3)]
    assert [message.data["total"] for message in channel.sent] == [1, 2, 3]


def test_buttons_reach_their_flow_by_the_prefix_of_their_value() -> None:
    engine, (_, _, changes, _) = make_engine()
    engine.handle(said(command="count"), NOW)
    engine.handle(said("more"), NOW)
    engine.handle(said(choice="counter.stop"), NOW)
    assert changes.applied == [Counted(3)]


def test_an_expired_conversation_is_forgotten() -> None:
    engine, (_, _, _, channel) = make_engine()
    engine.handle(said(command="count"), NOW)
    engine.handle(said("help"), NOW + timedelta(hours=2))
    assert channel.sent[-1].kind == "help"
    engine.handle(said(command="count"), NOW + timedelta(hours=2))
    assert channel.sent[-1].data["total"] == 1


def test_a_typed_line_starting_with_a_command_word_is_that_command() -> None:
    engine, (_, _, _, channel) = make_engine()
    engine.handle(said("whoami"), NOW)
    engine.handle(said("/whoami"), NOW)
    engine.handle(said("cadence whoami"), NOW)
    engine.handle(said("?"), NOW)
    assert [message.kind for message in channel.sent] == ["whoami", "whoami", "whoami", "help"]


def test_typos_of_commands_and_sub_commands_get_a_did_you_mean() -> None:
    engine, (_, _, _, channel) = make_engine()
    engine.handle(said("chekin"), NOW)
    engine.handle(said("/chekin"), NOW)
    engine.handle(said(command="chekin"), NOW)
    engine.handle(said(command="goal", text="updte KR-3 40"), NOW)
    engine.handle(said(command="cadence", text="whoam"), NOW)
    assert [(message.kind, message.data["suggestion"]) for message in channel.sent] == [
        (NOT_UNDERSTOOD, "checkin"),
        (UNKNOWN_COMMAND, "checkin"),
        (UNKNOWN_COMMAND, "checkin"),
        (UNKNOWN_COMMAND, "goal update"),
        (UNKNOWN_COMMAND, "whoami"),
    ]


def test_steering_words_never_reach_a_conversation_as_answers() -> None:
    engine, (_, states, changes, channel) = make_engine()
    engine.handle(said(command="count"), NOW)
    engine.handle(said("help"), NOW)
    assert channel.sent[-1].kind == CONVERSATION_HELP and states.load(ADA, "counter").data == {"total": 1}
    engine.handle(said("Cancel!"), NOW)
    assert channel.sent[-1].kind == CONVERSATION_CANCELLED and states.load(ADA, "counter") is None
    assert changes.applied == []


def test_steering_with_nothing_going_on_says_so_and_help_is_help() -> None:
    engine, (_, _, _, channel) = make_engine()
    for word in ("cancel", "back", "skip", "help"):
        engine.handle(said(word), NOW)
    assert [message.kind for message in channel.sent] == [NOTHING_TO_STEER] * 3 + ["help"]
    assert [message.data["steer"] for message in channel.sent[:3]] == ["cancel", "back", "skip"]


def test_in_a_conversation_text_is_an_answer_but_a_slash_command_is_a_command() -> None:
    engine, (_, states, _, channel) = make_engine()
    engine.handle(said(command="count"), NOW)
    engine.handle(said("goals went well"), NOW)
    assert channel.sent[-1].kind == "counting" and states.load(ADA, "counter").data == {"total": 2}
    engine.handle(said("/whoami"), NOW)
    assert channel.sent[-1].kind == "whoami" and states.load(ADA, "counter").data == {"total": 2}
    engine.handle(said("checkin away next week"), NOW)
    engine.handle(said("whoami"), NOW)
    assert [message.kind for message in channel.sent[-2:]] == ["time_off_recorded", "whoami"], "unmistakable commands"
    assert states.load(ADA, "counter").data == {"total": 2}, "and the conversation is still there"
    engine.handle(said("whoami @grace", mentions=("grace",)), NOW)
    assert channel.sent[-1].kind == "whoami", "a command that names someone is a command"
    assert states.load(ADA, "counter").data == {"total": 2}

"""The person's home page: Slack's Home tab, and the same page as a message wherever a person types
``home`` (a Teams chat, the shell, Slack's direct messages): what Cadence does for them, their goals,
the kudos and feedback they received, the feedback waiting for their answer and their own requests.

The storage side gathers the facts (``storage/home.py``); the words live in ``templates/_home.j2``,
shown by ``home.j2`` (the tab) and ``home_message.j2`` (the message).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from conversations.feedback import Action
from conversations.flow import State, StepResult
from conversations.messages import Actor, Choice, Inbound, Outbound
from conversations.one_on_ones import open_choice
from conversations.words import Labels

HOME = "home"  # the Home tab (Slack publishes it as a view)
HOME_MESSAGE = "home_message"  # the same page, answering a typed ``home``
LATEST_FEEDBACK = 3
OPENING_WORDS = 12


@dataclass(frozen=True)
class ReceivedFeedback:
    """A piece of feedback as the page lists it: who gave it, the day, and how it begins."""

    giver: Mapping[str, Any] | None  # a person ref; None once the giver has left Cadence
    day: str  # the day it was given, in the reader's time zone (ISO)
    opening: str


@dataclass(frozen=True)
class WaitingAsk:
    """Someone asked the person for feedback, and it waits for their answer."""

    ref: str  # the request, as the feedback flow's buttons name it
    requester: Mapping[str, Any]
    topic: str
    closes_on: str  # the last day to answer, in the reader's time zone


@dataclass(frozen=True)
class OpenRequest:
    """A request for feedback the person made that is still open: who answered so far (never who declined)."""

    topic: str
    asked_on: str
    answered_by: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class FeedbackPart:
    quarter: str = ""  # "2026-Q4", in the reader's time zone
    received: int = 0  # how many pieces of feedback this quarter
    latest: tuple[ReceivedFeedback, ...] = ()
    waiting: tuple[WaitingAsk, ...] = ()
    requests: tuple[OpenRequest, ...] = ()


@dataclass(frozen=True)
class HomeFacts:
    """What the page shows beyond who the person is, gathered by the storage side."""

    recent_kudos: tuple[Mapping[str, Any], ...] = ()
    goals: tuple[Mapping[str, Any], ...] = ()
    feedback: FeedbackPart = field(default_factory=FeedbackPart)
    growth: Mapping[str, Any] | None = None
    """"My growth": skills recognised in kudos and feedback lately, and open growth goals."""
    next_one_on_one: Mapping[str, Any] | None = None
    """The person's soonest 1:1 with its open points and actions (``storage.one_on_ones.next_for``); None: none started."""

    def to_data(self) -> dict[str, Any]:
        """Plain JSON data, to travel in a flow's state."""
        return asdict(self)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> HomeFacts:
        feedback = dict(data.get("feedback") or {})
        return cls(
            recent_kudos=tuple(data.get("recent_kudos") or ()),
            goals=tuple(data.get("goals") or ()),
            feedback=FeedbackPart(
                quarter=str(feedback.get("quarter") or ""),
                received=int(feedback.get("received") or 0),
                latest=tuple(ReceivedFeedback(**item) for item in feedback.get("latest") or ()),
                waiting=tuple(WaitingAsk(**item) for item in feedback.get("waiting") or ()),
                requests=tuple(
                    OpenRequest(item["topic"], item["asked_on"], tuple(item.get("answered_by") or ()))
                    for item in feedback.get("requests") or ()
                ),
            ),
            growth=data.get("growth"),
            next_one_on_one=data.get("next_one_on_one"),
        )


def local_day(instant: datetime, zone: str) -> str:
    return instant.astimezone(ZoneInfo(zone)).date().isoformat()


def opening_words(*texts: str, count: int = OPENING_WORDS) -> str:
    """The first words of what someone wrote, on one line, marked when cut: enough to recognise it."""
    words = " ".join(text for text in texts if text).split()
    return " ".join(words[:count]) + ("…" if len(words) > count else "")


def home_page(actor: Actor, facts: HomeFacts | None = None, labels: Labels | None = None, kind: str = HOME) -> Outbound:
    """The page, with a "Give feedback" button for each request waiting for the person's answer."""
    facts = facts or HomeFacts()
    labels = labels or Labels()
    feedback = facts.feedback
    choices = tuple(
        Choice(labels("feedback_give_to", name=ask.requester.get("display_name") or ""), Action.ANSWER.on(ask.ref))
        for ask in feedback.waiting
    )
    if facts.next_one_on_one:
        choices += (open_choice(labels, facts.next_one_on_one["other"]["id"]),)
    return Outbound(
        kind,
        {
            "name": actor.display_name,
            "manager": actor.manager_name or "",
            "is_manager": actor.report_count > 0,
            "is_admin": actor.role == "admin",
            "recent_kudos": [dict(kudos) for kudos in facts.recent_kudos],
            "goals": [dict(goal) for goal in facts.goals],
            "feedback": asdict(feedback),
            "next_one_on_one": dict(facts.next_one_on_one) if facts.next_one_on_one else None,
            "growth": dict(facts.growth) if facts.growth else None,
        },
        choices,
    )


@dataclass
class HomeFlow:
    """``home``: the Home tab's page as a message, for the platforms and places that have no Home tab."""

    labels: Labels
    stateless: ClassVar[bool] = True
    name: ClassVar[str] = "home"
    commands: ClassVar[tuple[str, ...]] = ("home",)
    keywords: ClassVar[tuple[str, ...]] = ("home", "my home", "my page", "dashboard")

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        actor = inbound.actor
        assert actor is not None
        facts = HomeFacts.from_data(state.data) if state is not None else HomeFacts()
        return StepResult(outbound=(home_page(actor, facts, self.labels, HOME_MESSAGE),))

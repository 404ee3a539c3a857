"""What a request from Slack must look like before Cadence records it.

Bolt checks the signature, then its matchers and Cadence's listeners index into the body. A body
that is correctly signed but not what Slack sends (an empty one, an ``event_callback`` without its
event, a form without a command, a button press whose actions aren't objects) must be refused with
400 before anything is recorded, not run into a 500 in a listener or be acked as if it were fine.

The models name only what Bolt and ``translate`` read and allow everything else, so a field Slack
adds tomorrow changes nothing; a request of a kind Cadence doesn't listen to is still well formed
(Bolt answers it with a quiet 200).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from conversations.validation_words import describe_errors

Id = Annotated[str, Field(min_length=1)]


class Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class SlashCommand(Loose):
    command: Annotated[str, Field(pattern=r"^/\S+$")]
    team_id: Id
    user_id: Id


class SlackUser(Loose):
    id: Id


class Event(Loose):
    type: Id


class MessageEvent(Event):
    user: str | None = None
    text: str | None = None
    channel: str | None = None


class HomeOpened(Event):
    user: Id


class MemberChanged(Event):
    user: SlackUser


class ReactedItem(Loose):
    type: str | None = None
    channel: str | None = None
    ts: str | None = None


class ReactionEvent(Event):
    user: Id
    reaction: str
    item: ReactedItem


class RevokedTokens(Loose):
    oauth: list[str] | None = None
    bot: list[str] | None = None


class TokensRevoked(Event):
    tokens: RevokedTokens


EVENTS: Mapping[str, type[Event]] = {
    "message": MessageEvent,
    "app_home_opened": HomeOpened,
    "team_join": MemberChanged,
    "user_change": MemberChanged,
    "reaction_added": ReactionEvent,
    "reaction_removed": ReactionEvent,
    "tokens_revoked": TokensRevoked,
}


class EventCallback(Loose):
    type: Literal["event_callback"]
    team_id: Id
    event_id: Id
    event: Event


class UrlVerification(Loose):
    type: Literal["url_verification"]
    challenge: Id


class Option(Loose):
    value: str | None = None


class Element(Loose):
    """One input's state in ``state.values``: whichever of these its type reports."""

    type: str | None = None
    value: str | None = None
    selected_option: Option | None = None
    selected_options: list[Option] | None = None
    selected_date: str | None = None
    selected_user: str | None = None
    selected_users: list[str] | None = None


class State(Loose):
    values: dict[str, dict[str, Element]] = Field(default_factory=dict)


class View(Loose):
    id: str | None = None
    hash: str | None = None
    callback_id: str | None = None
    private_metadata: str | None = None
    state: State | None = None


class Team(Loose):
    id: str | None = None


class Interaction(Loose):
    type: Id
    team: Team | None = None
    user: SlackUser | None = None
    view: View | None = None
    state: State | None = None
    channel: dict[str, Any] | None = None
    container: dict[str, Any] | None = None


class Action(Loose):
    action_id: Id
    value: str | None = None
    selected_option: Option | None = None


class BlockActions(Interaction):
    user: SlackUser
    actions: Annotated[list[Action], Field(min_length=1)]


class SubmittedView(View):
    type: str
    callback_id: str


class ViewSubmission(Interaction):
    user: SlackUser
    view: SubmittedView


class Shortcut(Interaction):
    user: SlackUser
    callback_id: str


class WorkflowStepEdit(Interaction):
    callback_id: str
    workflow_step: dict[str, Any]


INTERACTIONS: Mapping[str, type[Interaction]] = {
    "block_actions": BlockActions,
    "view_submission": ViewSubmission,
    "shortcut": Shortcut,
    "message_action": Shortcut,
    "workflow_step_edit": WorkflowStepEdit,
}

NOT_A_REQUEST = "a request from Slack is a slash command, an event or an interaction"


def _problem_with(model: type[BaseModel], data: Any, within: tuple[str, ...] = ()) -> str | None:
    """The first thing in ``data`` that ``model`` refuses, where it is and what it should be; None when it reads."""
    try:
        model.model_validate(data)
    except ValidationError as error:
        first = describe_errors(error.errors(), model, prefix=within, key_noun="field")[0]
        return f"{first.where}: {first.message}"
    return None


def problem(body: Mapping[str, Any]) -> str | None:
    """Why ``body`` is not a request Slack sends, in a few words; None when it is one."""
    if not body:
        return "the request is empty"
    kind = body.get("type")
    if "command" in body:
        return _problem_with(SlashCommand, body)
    if kind == "event_callback":
        return _problem_with(EventCallback, body) or _problem_with(
            EVENTS.get(body["event"]["type"], Event), body["event"], ("event",)
        )
    if kind == "url_verification":
        return _problem_with(UrlVerification, body)
    if isinstance(kind, str) and kind:
        return _problem_with(INTERACTIONS.get(kind, Interaction), body)
    return NOT_A_REQUEST

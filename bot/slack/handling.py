"""Slack's side of running a request: which organisation a Slack team is, and what a later direct
message to someone needs (the DM channel they wrote from). Everything else is the neutral runner's
(``bot/request_runner.py``)."""

from __future__ import annotations

from sqlmodel import Session

from bot.slack.installations import bind_workspace
from conversations.messages import Actor, Inbound, Platform
from storage.conversation_store import remember_reference
from storage.models import Workspace


class SlackSide:
    platform = Platform.SLACK

    def __init__(self) -> None:
        self.workspace_ids: dict[str, int] = {}  # a team's organisation never changes: looked up once

    def organisation(self, session: Session, inbound: Inbound) -> Workspace:
        return self.workspace(session, inbound.workspace)

    def workspace(self, session: Session, team_id: str) -> Workspace:
        """The organisation of a Slack team; its id is remembered, its row read fresh."""
        known = self.workspace_ids.get(team_id)
        workspace = session.get(Workspace, known) if known is not None else None
        if workspace is None:
            workspace = bind_workspace(session, team_id, team_id)
            assert workspace.id is not None
            self.workspace_ids[team_id] = workspace.id
        return workspace

    def remember(self, session: Session, workspace_id: int, actor: Actor, inbound: Inbound) -> None:
        """A message in someone's DM with the bot: that channel is where direct messages to them go."""
        if inbound.conversation and not inbound.in_channel:
            remember_reference(
                session, workspace_id, actor.person_id, Platform.SLACK, {"channel": inbound.conversation}
            )

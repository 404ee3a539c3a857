"""Where each flow's storage side is wired: the context that seeds its state and the appliers of its
changes. Every platform builds its engine here, so Slack, Teams and the shell behave the same."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from sqlmodel import Session

from conversations.engine import Channel, Engine
from conversations.flow import Flow, State
from conversations.messages import Actor, Inbound
from storage import (
    checkins,
    fairness,
    feedback,
    goals,
    home,
    kudos,
    one_on_ones,
    personal_data,
    privacy,
    snapshots,
    workspaces,
)
from storage.change_sink import SqlChangeSink
from storage.conversation_store import SqlDirectory, SqlStateStore
from storage.models import Workspace

Preparer = Callable[[Session, Actor, Inbound, State | None, datetime], State | None]

CONTEXTS: Mapping[str, Preparer] = {
    **checkins.CONTEXTS,
    **kudos.CONTEXTS,
    **goals.CONTEXTS,
    **privacy.CONTEXTS,
    **snapshots.CONTEXTS,
    **feedback.CONTEXTS,
    **home.CONTEXTS,
    **one_on_ones.CONTEXTS,
    **fairness.CONTEXTS,
    **workspaces.CONTEXTS,
    **personal_data.CONTEXTS,
}
APPLIERS = {
    **checkins.APPLIERS,
    **kudos.APPLIERS,
    **goals.APPLIERS,
    **feedback.APPLIERS,
    **one_on_ones.APPLIERS,
    **personal_data.APPLIERS,
}


class SqlFlowContext:
    def __init__(self, session: Session, preparers: Mapping[str, Preparer] = CONTEXTS) -> None:
        self.session = session
        self.preparers = preparers

    def prepare(self, flow: str, actor: Actor, inbound: Inbound, state: State | None, now: datetime) -> State | None:
        preparer = self.preparers.get(flow)
        return state if preparer is None else preparer(self.session, actor, inbound, state, now)


def engine_for(session: Session, workspace: Workspace, flows: Sequence[Flow], channel: Channel) -> Engine:
    return Engine(
        flows,
        SqlDirectory(session, workspace),
        SqlStateStore(session),
        SqlChangeSink(session, APPLIERS),
        channel,
        SqlFlowContext(session),
    )

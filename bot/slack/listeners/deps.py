"""What listeners need, passed in explicitly (no module-level app or globals)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.slack.inbox import SlackInbox
from bot.slack.installations import SqlInstallationStore
from bot.slack.render import Renderers
from storage.database import Database


@dataclass(frozen=True)
class ListenerDeps:
    database: Database
    inbox: SlackInbox
    renderers: Renderers
    clock: Callable[[], datetime]
    installation_store: SqlInstallationStore | None = None

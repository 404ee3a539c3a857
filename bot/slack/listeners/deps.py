"""What listeners need, passed in explicitly (no module-level app or globals)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.handling import Handled, SlackHandling
from bot.slack.installations import SqlInstallationStore
from bot.slack.render import Renderers
from storage.database import Database


@dataclass(frozen=True)
class ListenerDeps:
    database: Database
    handling: SlackHandling
    renderers: Renderers
    clock: Callable[[], datetime]
    installation_store: SqlInstallationStore | None = None

    async def open_forms(self, client: AsyncWebClient, trigger_id: str, handled: Handled, conversation: str) -> None:
        """Open the forms a step asked for as modals, while the request's trigger_id is still valid
        (it lasts 3 seconds, too short to go through the outbox; a failed open just needs another click)."""
        renderer = self.renderers.get(handled.templates_dir)
        for form in handled.forms:
            await client.views_open(trigger_id=trigger_id, view=renderer.modal(form, {"channel": conversation}))

"""Slash commands: recorded inside the ack; the inbox worker answers through the command's ``response_url``."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.slack import translate
from bot.slack.listeners.deps import ListenerDeps
from bot.slack.surface import SLASH_COMMANDS


def register(app: AsyncApp, deps: ListenerDeps) -> None:
    async def on_command(ack: AsyncAck, body: dict[str, Any]) -> None:
        await deps.inbox.record_inbound(
            translate.from_command(body),
            f"slack:command:{translate.request_id(body)}",
            response_url=body.get("response_url"),
            trigger_id=body.get("trigger_id"),
        )
        await ack()

    for slash in SLASH_COMMANDS:
        app.command(slash.command)(on_command)

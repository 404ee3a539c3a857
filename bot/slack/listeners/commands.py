"""Slash commands: handled inside the ack, the answer returned as the ephemeral response body."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import translate
from bot.slack.listeners.deps import ListenerDeps
from bot.slack.surface import SLASH_COMMANDS


def register(app: AsyncApp, deps: ListenerDeps) -> None:
    async def on_command(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        inbound = translate.from_command(body)
        handled = deps.handling.handle(inbound, f"slack:command:{body.get('trigger_id')}", collect=True)
        await ack(**deps.renderers.get(handled.templates_dir).ephemeral_response(handled.replies))
        await deps.open_forms(client, body["trigger_id"], handled, inbound.conversation)

    for slash in SLASH_COMMANDS:
        app.command(slash.command)(on_command)

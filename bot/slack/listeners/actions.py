"""Buttons, menus and global shortcuts: acked at once, then routed to the flow named by the value's prefix."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import translate
from bot.slack.listeners.deps import ListenerDeps
from bot.slack.surface import SHORTCUTS

ANY_ACTION = re.compile(r".+")


def register(app: AsyncApp, deps: ListenerDeps) -> None:
    @app.action(ANY_ACTION)
    async def on_action(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        inbound = translate.from_block_action(body)
        handled = deps.handling.handle(inbound, f"slack:action:{body.get('trigger_id')}")
        await deps.open_forms(client, body["trigger_id"], handled, inbound.conversation)

    async def on_shortcut(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        inbound = translate.from_shortcut(body)
        handled = deps.handling.handle(inbound, f"slack:shortcut:{body.get('trigger_id')}")
        await deps.open_forms(client, body["trigger_id"], handled, inbound.conversation)

    for shortcut in SHORTCUTS:
        app.shortcut(shortcut.callback_id)(on_shortcut)

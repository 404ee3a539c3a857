"""Buttons, menus and global shortcuts: recorded and acked, then routed by the inbox worker to the flow
named by the value's prefix (forms they ask for open with the request's trigger_id). A tick in a
choice set is only acked: the ticks arrive together when the set's button is pressed."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.slack import translate
from bot.slack.listeners.deps import ListenerDeps
from bot.slack.surface import SHORTCUTS

ANY_ACTION = re.compile(r".+")


def register(app: AsyncApp, deps: ListenerDeps) -> None:
    @app.action(ANY_ACTION)
    async def on_action(ack: AsyncAck, body: dict[str, Any]) -> None:
        inbound = translate.from_block_action(body)
        if inbound is not None:
            await deps.inbox.record_inbound(
                inbound, f"slack:action:{translate.request_id(body)}", trigger_id=body.get("trigger_id")
            )
        await ack()

    async def on_shortcut(ack: AsyncAck, body: dict[str, Any]) -> None:
        await deps.inbox.record_inbound(
            translate.from_shortcut(body),
            f"slack:shortcut:{translate.request_id(body)}",
            trigger_id=body.get("trigger_id"),
        )
        await ack()

    for shortcut in SHORTCUTS:
        app.shortcut(shortcut.callback_id)(on_shortcut)

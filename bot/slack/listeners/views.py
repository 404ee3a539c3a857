"""Form (modal) submissions: validated inside the ack so problems show next to the fields (the only
requests handled inside the ack; off the event loop, so other requests don't wait for it)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.slack import translate
from bot.slack.listeners.deps import ListenerDeps

ANY_FORM = re.compile(r".+")


def register(app: AsyncApp, deps: ListenerDeps) -> None:
    @app.view(ANY_FORM)
    async def on_submission(ack: AsyncAck, body: dict[str, Any]) -> None:
        inbound = translate.from_view_submission(body)
        view = body.get("view") or {}
        key = f"slack:view:{view.get('id')}:{view.get('hash')}"
        handled = await asyncio.to_thread(deps.inbox.runner.handle, deps.inbox.side, inbound, key, now=deps.clock())
        if handled.form_errors is not None:
            errors = deps.renderers.get(handled.templates_dir).form_errors(handled.form_errors)
            await ack(response_action="errors", errors=errors)
        elif handled.forms and handled.forms[0].form is not None:
            metadata = translate.private_metadata(view)
            await ack(
                response_action="update",
                view=deps.renderers.get(handled.templates_dir).modal(handled.forms[0].form, metadata),
            )
        else:
            await ack()

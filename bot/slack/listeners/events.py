"""Events API: recorded in the inbox before Bolt acks, processed once per ``event_id`` (redeliveries are dropped)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.slack import translate
from bot.slack.inbox import RequestKind
from bot.slack.listeners.deps import ListenerDeps

log = logging.getLogger(__name__)


def register(app: AsyncApp, deps: ListenerDeps) -> None:
    @app.event("message")
    async def on_direct_message(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("channel_type") != "im" or not translate.is_person_message(event):
            return
        await deps.inbox.record_inbound(translate.from_message(body, event), f"slack:event:{body['event_id']}")

    @app.event("app_home_opened")
    async def on_home_opened(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab") == "home":
            await deps.inbox.record(
                body["team_id"],
                f"slack:event:{body['event_id']}",
                RequestKind.HOME_OPENED,
                {"user": event["user"]},
                event["user"],
            )

    async def on_user_event(body: dict[str, Any], event: dict[str, Any]) -> None:
        user = event["user"]
        user_id = user.get("id") if isinstance(user, dict) else user
        await deps.inbox.record(
            body["team_id"], f"slack:event:{body['event_id']}", RequestKind.USER_CHANGED, {"user": user}, user_id
        )

    app.event("team_join")(on_user_event)
    app.event("user_change")(on_user_event)

    async def on_reaction(body: dict[str, Any], event: dict[str, Any]) -> None:
        inbound = translate.from_reaction(body, event, added=event.get("type") == "reaction_added")
        if inbound is not None:
            await deps.inbox.record_inbound(inbound, f"slack:event:{body['event_id']}")

    app.event("reaction_added")(on_reaction)
    app.event("reaction_removed")(on_reaction)

    @app.event("tokens_revoked")
    async def on_tokens_revoked(body: dict[str, Any], event: dict[str, Any]) -> None:
        store = deps.installation_store
        if store is None:
            log.warning("Slack revoked Cadence's tokens for team %s; set a new SLACK_BOT_TOKEN", body.get("team_id"))
            return
        tokens = event.get("tokens") or {}
        if tokens.get("bot"):
            await store.async_delete_bot(enterprise_id=body.get("enterprise_id"), team_id=body.get("team_id"))
        for user_id in tokens.get("oauth") or []:
            await store.async_delete_installation(
                enterprise_id=body.get("enterprise_id"), team_id=body.get("team_id"), user_id=user_id
            )

    @app.event("app_uninstalled")
    async def on_uninstalled(body: dict[str, Any]) -> None:
        store = deps.installation_store
        if store is None:
            log.warning("Cadence was uninstalled from Slack team %s", body.get("team_id"))
            return
        await store.async_delete_all(enterprise_id=body.get("enterprise_id"), team_id=body.get("team_id"))

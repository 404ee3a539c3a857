"""Events API: acked by Bolt at once, processed once per ``event_id`` (redeliveries are ignored)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.slack import translate
from bot.slack.installations import bind_workspace
from bot.slack.listeners.deps import ListenerDeps
from bot.slack.people_sync import upsert_slack_user
from conversations.home import home_page
from conversations.messages import Platform, outbound_to_dict
from storage import goals, kudos, outbox, people

log = logging.getLogger(__name__)


def register(app: AsyncApp, deps: ListenerDeps) -> None:
    @app.event("message")
    async def on_direct_message(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("channel_type") != "im" or not translate.is_person_message(event):
            return
        inbound = translate.from_message(body, event)
        deps.handling.handle(inbound, f"slack:event:{body['event_id']}", event_key=body["event_id"])

    @app.event("app_home_opened")
    async def on_home_opened(body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab") != "home":
            return
        team_id, user_id = body["team_id"], event["user"]
        if not is_known(deps, team_id, user_id):
            profile = await client.users_info(user=user_id)
            deps.handling.run_once(None, lambda session, now: sync_user(session, team_id, profile["user"]))

        def publish(session: Session, now: datetime) -> None:
            workspace = bind_workspace(session, team_id, team_id)
            assert workspace.id is not None
            person = people.by_platform_id(session, workspace.id, Platform.SLACK, user_id)
            if person is None or not person.active:
                return
            assert person.id is not None
            outbox.enqueue(
                session,
                workspace_id=workspace.id,
                platform=Platform.SLACK,
                kind="home",
                recipient=f"person:{person.id}",
                dedupe_key=f"slack:event:{body['event_id']}:home",
                payload={
                    "outbound": outbound_to_dict(
                        home_page(
                            people.actor_for(session, person),
                            kudos.recent_received(session, person.id),
                            goals.home_goals(session, person, goals.now_local(person, now)),
                        )
                    ),
                    "slack": {"method": "publish_home"},
                },
                not_before=now,
            )

        deps.handling.run_once(body["event_id"], publish)

    async def on_user_event(body: dict[str, Any], event: dict[str, Any]) -> None:
        deps.handling.run_once(
            body["event_id"], lambda session, now: sync_user(session, body["team_id"], event["user"])
        )

    app.event("team_join")(on_user_event)
    app.event("user_change")(on_user_event)

    async def on_reaction(body: dict[str, Any], event: dict[str, Any]) -> None:
        inbound = translate.from_reaction(body, event, added=event.get("type") == "reaction_added")
        if inbound is not None:
            deps.handling.handle(inbound, f"slack:event:{body['event_id']}", event_key=body["event_id"])

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


def sync_user(session: Session, team_id: str, user: dict[str, Any]) -> None:
    workspace = bind_workspace(session, team_id, team_id)
    assert workspace.id is not None
    upsert_slack_user(session, workspace.id, user)


def is_known(deps: ListenerDeps, team_id: str, user_id: str) -> bool:
    with deps.database.session_scope() as session:
        workspace = bind_workspace(session, team_id, team_id)
        assert workspace.id is not None
        return people.by_platform_id(session, workspace.id, Platform.SLACK, user_id) is not None

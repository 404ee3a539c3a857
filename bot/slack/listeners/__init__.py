"""Bolt listeners, one module per surface, each with a ``register(app, deps)``."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.slack.listeners import actions, commands, events, views
from bot.slack.listeners.deps import ListenerDeps


def register_all(app: AsyncApp, deps: ListenerDeps) -> None:
    for surface in (commands, actions, views, events):
        surface.register(app, deps)

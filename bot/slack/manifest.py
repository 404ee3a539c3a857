"""The Slack app manifest, generated from ``bot.slack.surface`` so that what we ask Slack for
(commands, events, scopes) can never drift from what the code declares.

Paste the output into api.slack.com → Create New App → From a manifest. All HTTP traffic from
Slack (events, slash commands, interactivity) goes to one endpoint, ``/slack/events``, which is
where Bolt dispatches everything.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from bot.slack import surface

PLACEHOLDER_BASE_URL = "https://cadence.example.com"
EVENTS_PATH = "/slack/events"
OAUTH_REDIRECT_PATH = "/slack/oauth_redirect"
BOT_DISPLAY_NAME = "Cadence"

# Slack only delivers to public https endpoints; plain http is accepted here solely so that
# tunnels and local tests can point at the developer's own machine.
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def build_manifest(base_url: str | None = None, *, socket_mode: bool = False) -> dict[str, Any]:
    """Return the classic (major version 1) Slack app manifest for Cadence.

    ``base_url`` is where Slack can reach this server; ``None`` fills in a placeholder so the
    committed manifest can be pasted and edited. With ``socket_mode`` the app receives events
    over a WebSocket instead, so no request URLs are emitted (Slack ignores them then); the
    OAuth redirect URL is kept only when a real ``base_url`` is given, because distributing
    the app to other workspaces still needs an HTTP redirect even in Socket Mode.
    """
    base = normalise_base_url(base_url if base_url is not None else PLACEHOLDER_BASE_URL)
    events_url = f"{base}{EVENTS_PATH}"
    include_request_urls = not socket_mode
    include_redirect_url = not socket_mode or base_url is not None

    slash_commands = []
    for slash_command in surface.SLASH_COMMANDS:
        entry: dict[str, Any] = {"command": slash_command.command}
        if include_request_urls:
            entry["url"] = events_url
        entry |= {
            "description": slash_command.description,
            "usage_hint": slash_command.usage_hint,
            "should_escape": slash_command.escapes_mentions,
        }
        slash_commands.append(entry)

    oauth_config: dict[str, Any] = {}
    if include_redirect_url:
        oauth_config["redirect_urls"] = [f"{base}{OAUTH_REDIRECT_PATH}"]
    oauth_config["scopes"] = {"bot": [scope.name for scope in surface.BOT_SCOPES]}

    event_subscriptions: dict[str, Any] = {}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if include_request_urls:
        event_subscriptions["request_url"] = events_url
        interactivity["request_url"] = events_url
    event_subscriptions["bot_events"] = list(surface.BOT_EVENTS)

    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": surface.APP_NAME,
            "description": surface.APP_DESCRIPTION,
            "long_description": surface.APP_LONG_DESCRIPTION,
            "background_color": surface.BACKGROUND_COLOR,
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": BOT_DISPLAY_NAME, "always_online": True},
            "shortcuts": [
                {
                    "name": shortcut.name,
                    "type": "global",
                    "callback_id": shortcut.callback_id,
                    "description": shortcut.description,
                }
                for shortcut in surface.SHORTCUTS
            ],
            "slash_commands": slash_commands,
        },
        "oauth_config": oauth_config,
        "settings": {
            "event_subscriptions": event_subscriptions,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket_mode,
            "token_rotation_enabled": False,
        },
    }


def render_manifest(base_url: str | None = None, *, socket_mode: bool = False) -> str:
    """The manifest as the JSON text Slack's "From a manifest" dialog accepts (and the exact
    bytes of the committed ``manifests/slack/manifest.json``)."""
    return json.dumps(build_manifest(base_url, socket_mode=socket_mode), indent=2, ensure_ascii=False) + "\n"


def normalise_base_url(base_url: str) -> str:
    """Check that Slack could call ``base_url`` and return it without a trailing slash, so the
    endpoint paths can be appended; refuse early rather than have Slack reject the manifest or
    silently deliver nowhere."""
    candidate = base_url.strip().rstrip("/")
    if not _is_acceptable_base_url(candidate):
        raise ValueError(
            f"Slack base URL {base_url!r} must be an https:// address with a host and no query or "
            f"fragment, for example {PLACEHOLDER_BASE_URL} (http:// is allowed only for localhost "
            f"or 127.0.0.1)."
        )
    return candidate


def _is_acceptable_base_url(candidate: str) -> bool:
    try:
        parts = urlsplit(candidate)
        _ = parts.port  # reading the port is what rejects "host:abc" and out-of-range ports
    except ValueError:
        return False
    if not parts.hostname or parts.username or parts.password:
        return False
    if any(character in candidate for character in "?#") or any(character.isspace() for character in candidate):
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and parts.hostname in _LOCAL_HOSTS

"""Slack's mrkdwn: the only place that knows how Slack escapes text and spells a mention.

Slack gives ``&``, ``<`` and ``>`` special meaning (``<@U123>``, ``<!channel>``, ``<url|label>``),
so every value is escaped before it reaches a message, and mentions are built only from ids
that look like Slack user ids. Text a person typed can therefore never mention anyone,
notify a channel or disguise a link.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.slack.surface import SLASH_COMMANDS
from conversations.words import display_name

SLASH_COMMAND_NAMES = frozenset(slash.command for slash in SLASH_COMMANDS)
UMBRELLA = "/cadence"
_SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")
_SAFE_URL = re.compile(r"^https?://[^\s<>|]+$")


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackDialect:
    def escape(self, text: str) -> str:
        return escape(text)

    def bold(self, text: str) -> str:
        return f"*{text}*" if text.strip() else text

    def italic(self, text: str) -> str:
        return f"_{text}_" if text.strip() else text

    def code(self, text: str) -> str:
        return f"`{text}`" if text.strip() else text

    def link(self, url: str, label: str) -> str:
        if not _SAFE_URL.match(url):
            return label
        return f"<{url}|{label}>" if label and label != escape(url) else f"<{url}>"

    def mention(self, person: Mapping[str, Any], platform_id: str | None) -> str:
        """``<@U123>`` when the person's Slack id is known and looks like one; their name otherwise."""
        if platform_id and _SLACK_USER_ID.match(platform_id):
            return f"<@{platform_id}>"
        return escape(display_name(person))

    def command(self, text: str) -> str:
        """Slash commands work anywhere in Slack, so that is how Cadence names them; a command
        without a slash command of its own is one of ``/cadence``'s (``/cadence whoami``)."""
        first = text.split(" ", 1)[0]
        own = f"/{first}" in SLASH_COMMAND_NAMES
        return self.code(f"/{text}" if own else f"{UMBRELLA} {text}")

    def quote(self, text: str) -> str:
        return "\n".join(f">{line}" for line in text.splitlines() or [""])

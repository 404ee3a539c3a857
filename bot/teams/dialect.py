"""Teams' markup in Adaptive Card text: the only place that knows how Teams escapes text and spells
a mention.

Card text is a small Markdown (bold, italic, links, lists), so the characters that start markup
are escaped with a backslash. A mention is ``<at>Name</at>`` in the text plus an entity naming the
person, and Teams turns text into a mention only where an entity matches it: Cadence writes an
entity only for the people a message mentions on purpose, and breaks every ``<`` a person typed
with an invisible space, so typed text can never become one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from conversations.words import display_name

_MARKDOWN = re.compile(r"([\\*_\[\]`~])")
_SAFE_URL = re.compile(r"^https?://[^\s<>()\[\]]+$")
ZERO_WIDTH_SPACE = "\u200b"


def escape(text: str) -> str:
    return _MARKDOWN.sub(r"\\\1", text).replace("<", "<" + ZERO_WIDTH_SPACE)


def mention_text(name: str) -> str:
    """What a mention looks like in a card's text, and what its entity must repeat exactly."""
    return f"<at>{escape(name)}</at>"


class TeamsDialect:
    def escape(self, text: str) -> str:
        return escape(text)

    def bold(self, text: str) -> str:
        return f"**{text}**" if text.strip() else text

    def italic(self, text: str) -> str:
        return f"_{text}_" if text.strip() else text

    def code(self, text: str) -> str:
        """Card text has no code spans; a command or an id stands out in bold instead."""
        return self.bold(text)

    def link(self, url: str, label: str) -> str:
        if not _SAFE_URL.match(url):
            return label
        return f"[{label}]({url})"

    def mention(self, person: Mapping[str, Any], platform_id: str | None) -> str:
        """``<at>Name</at>`` when the person's Teams id is known (the card adds its entity); their name otherwise."""
        name = display_name(person)
        return mention_text(name) if platform_id else escape(name)

    def quote(self, text: str) -> str:
        return "\n".join(f"_{line}_" if line.strip() else line for line in text.splitlines() or [""])

    def command(self, text: str) -> str:
        """In Teams people type Cadence's commands as words in the chat (``kudos @sam for …``)."""
        return self.bold(text)

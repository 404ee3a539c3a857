"""Outbound messages as Block Kit, through JSON layout templates in ``bot/slack/templates``.

Words come from the neutral templates (``conversations/templates``) rendered in Slack's
dialect; the layout templates only arrange them. Layout templates are JSON with every value
passed through ``tojson`` (a test checks), rendered with StrictUndefined and parsed, so a
stray quote in a person's text can't break or inject structure. A kind may have its own
layout, ``message_<kind>.json.j2``; otherwise ``message.json.j2`` is used.

A message's buttons go in rows of at most 25 (one actions block each, Slack's limit). A choice
set becomes checkboxes (a multi-select menu beyond Slack's 10 checkboxes) with its button under
them; the ids below name those elements, so ``translate`` finds the ticks in the payload's state.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bot.layout import LayoutNames, PerTemplatesDir, chunks, fit, layouts_environment, limit
from bot.slack.dialect import SlackDialect
from conversations.messages import Choice, Form, Outbound
from conversations.words import PlainDialect, Words

TEMPLATES_DIR = Path(__file__).parent / "templates"
MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
PRIVATE_METADATA_LIMIT = 3000
BUTTONS_PER_ROW = 25  # elements in one actions block
CHOICE_SET_BLOCKS = 2  # the checkboxes (or menu), then the button that sends them

PICKS_BLOCK = "choice_set"
"""``block_id`` of a choice set's checkboxes or menu; a message has at most one choice set."""
PICKS_ACTION = "choice_set.picks"
"""``action_id`` of the checkboxes or menu: Slack reports every tick with it, and ``state.values``
holds the ticked options under ``PICKS_BLOCK`` and this id."""
SEND_PICKS_ACTION = "choice_set.send"
"""``action_id`` of the button that sends a choice set; its value is the set's id."""


def rows(choices: Sequence[Choice], size: int = BUTTONS_PER_ROW) -> list[tuple[Choice, ...]]:
    """Buttons in rows Slack accepts in one actions block each; five mood buttons stay one row."""
    return [tuple(choices[start : start + size]) for start in range(0, len(choices), size)]


class BlockKit:
    def __init__(self, override_dirs: Iterable[Path] = ()) -> None:
        override_dirs = list(override_dirs)
        self.words = Words(SlackDialect(), override_dirs)
        self.plain_words = Words(PlainDialect(), override_dirs)
        self.layouts = layouts_environment(override_dirs, TEMPLATES_DIR)
        self.message_layout = LayoutNames(self.layouts, "message", "message.json.j2")

    def _layout(self, name: str, context: Mapping[str, Any]) -> Any:
        return json.loads(self.layouts.get_template(name).render(**context))

    def message(self, outbound: Outbound, slack_ids: Mapping[int, str] | None = None) -> dict[str, Any]:
        """``text`` (the notification and accessibility fallback) and ``blocks`` for chat.postMessage;
        ``slack_ids`` (person id → Slack user id) turns the people it mentions into Slack mentions."""
        context, text = self._blocks(outbound, slack_ids, MESSAGE_BLOCK_LIMIT)
        blocks = self._layout(self.message_layout(outbound.kind), context)
        return {"text": limit(text or outbound.kind, 3000), "blocks": blocks}

    def home(self, outbound: Outbound, slack_ids: Mapping[int, str] | None = None) -> dict[str, Any]:
        """The Home tab: a message's blocks, buttons included, as a home view."""
        context, _ = self._blocks(outbound, slack_ids, VIEW_BLOCK_LIMIT)
        return self._layout("home_view.json.j2", context)

    def _blocks(
        self, outbound: Outbound, slack_ids: Mapping[int, str] | None, block_limit: int
    ) -> tuple[dict[str, Any], str]:
        """What a message's layout arranges, its body cut to fit ``block_limit``, and its text fallback."""
        rendered = self.words.render(outbound.kind, outbound.data, slack_ids)
        title = self.plain_words.title(outbound.kind, outbound.data)
        button_rows = rows(outbound.choices)
        choice_set_blocks = CHOICE_SET_BLOCKS if outbound.choice_set is not None else 0
        room = block_limit - bool(title) - len(button_rows) - choice_set_blocks
        context = {
            "title": title,
            "body_chunks": fit(chunks(rendered.body), room),
            "choices": outbound.choices,
            "button_rows": button_rows,
            "choice_set": outbound.choice_set,
            "picks_block": PICKS_BLOCK,
            "picks_action": PICKS_ACTION,
            "send_picks_action": SEND_PICKS_ACTION,
            "data": outbound.data,
        }
        return context, rendered.text or title

    def modal(self, form: Form, metadata: Mapping[str, Any], intro: str = "") -> dict[str, Any]:
        private_metadata = json.dumps(dict(metadata), separators=(",", ":"))
        if len(private_metadata) > PRIVATE_METADATA_LIMIT:
            raise ValueError("form context too large for Slack's private_metadata; keep ids there, not content")
        return self._layout("modal_view.json.j2", {"form": form, "private_metadata": private_metadata, "intro": intro})

    def form_errors(self, message: Outbound) -> dict[str, str]:
        """Each field's problem in words, for ``response_action: errors`` (plain text under the field)."""
        template = message.data["template"]
        return {
            field_id: limit(self.plain_words.render(template, problem).text, 2000)
            for field_id, problem in message.data["errors"].items()
        }

    def ephemeral_response(
        self, outbounds: Iterable[Outbound], slack_ids: Mapping[int, str] | None = None
    ) -> dict[str, Any]:
        """A slash command's answer as the HTTP response body: only the person who typed it sees it."""
        messages = [self.message(outbound, slack_ids) for outbound in outbounds]
        if not messages:
            return {}
        blocks = [block for message in messages for block in message["blocks"]]
        text = "\n\n".join(message["text"] for message in messages)
        return {"response_type": "ephemeral", "text": limit(text, 3000), "blocks": blocks[:MESSAGE_BLOCK_LIMIT]}


class Renderers(PerTemplatesDir[BlockKit]):
    """One ``BlockKit`` per templates directory a workspace names in its settings, built once."""

    def __init__(self) -> None:
        super().__init__(BlockKit)

"""Outbound messages as Adaptive Cards 1.5, through JSON layout templates in ``bot/teams/templates``.

Words come from the neutral templates rendered in Teams' dialect; the layouts only arrange them,
with every value passed through ``tojson`` and the result parsed, so a quote in a person's text
can't break or inject structure. A kind may have its own layout, ``card_<kind>.json.j2``.

Every message is one card with a text fallback, kept under Teams' message size limit: the body is
cut at paragraph boundaries and the last piece says the rest is too long.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.layout import LayoutNames, PerTemplatesDir, chunks, fit, layouts_environment, limit
from bot.teams.dialect import TeamsDialect, escape, mention_text
from bot.teams.translate import CHOICE, CHOICE_SET, FORM, PICKS_INPUT, VERB
from conversations.messages import Form, Outbound
from conversations.words import Labels, PlainDialect, Rendered, Words

TEMPLATES_DIR = Path(__file__).parent / "templates"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
FILE_CONSENT_CONTENT_TYPE = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO_CONTENT_TYPE = "application/vnd.microsoft.teams.card.file.info"
TEXT_BLOCK_LIMIT = 4000
BODY_BLOCKS = 30
CARD_BYTES_LIMIT = 24_000  # Teams refuses messages over about 28 KB; a card leaves room for the envelope


@dataclass(frozen=True)
class Card:
    """One message for the Bot Connector: the card, the plain text for notifications and
    accessibility, and the summary Teams shows in the chat list."""

    content: dict[str, Any]
    text: str

    def attachment(self) -> dict[str, Any]:
        return {"contentType": CARD_CONTENT_TYPE, "content": self.content}

    def activity(self) -> dict[str, Any]:
        return {
            "type": "message",
            "summary": limit(self.text.split("\n", 1)[0], 200),
            "attachments": [self.attachment()],
        }


def entities(rendered: Rendered) -> list[dict[str, Any]]:
    """A mention entity for each person the message mentions whose Teams id is known."""
    return [
        {
            "type": "mention",
            "text": mention_text(mention.display_name),
            "mentioned": {"id": mention.platform_id, "name": mention.display_name},
        }
        for mention in rendered.mentions
        if mention.platform_id
    ]


def png_data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


class AdaptiveCards:
    def __init__(self, override_dirs: Iterable[Path] = ()) -> None:
        override_dirs = list(override_dirs)
        self.words = Words(TeamsDialect(), override_dirs)
        self.plain_words = Words(PlainDialect(), override_dirs)
        self.labels = Labels(override_dirs)
        self.layouts = layouts_environment(override_dirs, TEMPLATES_DIR)
        self.card_layout = LayoutNames(self.layouts, "card", "card.json.j2")
        self.layouts.filters["text"] = escape  # plain words in a TextBlock, whose Markdown must not read them

    def _layout(self, name: str, context: Mapping[str, Any]) -> dict[str, Any]:
        return json.loads(self.layouts.get_template(name).render(**context))

    def message(
        self,
        outbound: Outbound,
        teams_ids: Mapping[int, str] | None = None,
        *,
        note: str = "",
        buttons: bool = True,
        image: bytes | None = None,
    ) -> Card:
        """``teams_ids`` (person id → Entra object id) turns the people it mentions into mentions;
        ``note`` is a line under the body, and ``buttons=False`` leaves the buttons off (a card
        whose button was pressed, shown again so it can't be pressed twice); ``image`` a PNG shown
        under the words (a digest's chart), inside the card since bots can't upload files to a chat."""
        rendered = self.words.render(outbound.kind, outbound.data, teams_ids)
        plain = self.plain_words.render(outbound.kind, outbound.data)
        title = plain.title
        pieces = fit(chunks(rendered.body, TEXT_BLOCK_LIMIT), BODY_BLOCKS)
        while True:
            content = self._layout(
                self.card_layout(outbound.kind),
                {
                    "title": rendered.title,  # in Teams' words: a TextBlock reads Markdown, the title too
                    "body_chunks": pieces,
                    "note": note,
                    "image": {"url": png_data_url(image), "alt": plain.text or title} if image else None,
                    "fallback": plain.text or title or outbound.kind,
                    "choices": outbound.choices if buttons else (),
                    "choice_set": outbound.choice_set if buttons else None,
                    "verb": VERB,
                    "choice_key": CHOICE,
                    "choice_set_key": CHOICE_SET,
                    "picks_input": PICKS_INPUT,
                    "entities": entities(rendered),
                    "data": outbound.data,
                },
            )
            if len(json.dumps(content)) <= CARD_BYTES_LIMIT or len(pieces) <= 1:
                break
            pieces = fit(pieces, len(pieces) - 1)
        return Card(content, limit(plain.text or title or outbound.kind, 4000))

    def form(self, form: Form, problems: Mapping[str, str] | None = None, intro: str = "") -> Card:
        """A form in the chat; ``problems`` (field id → what to change) show under their fields."""
        content = self._layout(
            "form_card.json.j2",
            {
                "form": form,
                "intro": intro,
                "problems": dict(problems or {}),
                "verb": VERB,
                "form_key": FORM,
                "required_message": self.labels("required_field"),
                "people_placeholder": self.labels("people_placeholder"),
            },
        )
        return Card(content, form.title)

    def file_consent(self, caption: Outbound, name: str, size: int, context: Mapping[str, Any]) -> dict[str, Any]:
        """The activity asking a person to accept a file into their OneDrive: its name and size, and
        the words of ``caption`` as its description; ``context`` comes back with their answer."""
        plain = self.plain_words.render(caption.kind, caption.data)
        return self._layout(
            "file_consent.json.j2",
            {
                "content_type": FILE_CONSENT_CONTENT_TYPE,
                "name": name,
                "size": size,
                "summary": plain.title or name,
                "description": plain.text,
                "context": dict(context),
            },
        )

    def file_info(self, upload: Mapping[str, str], summary: str) -> dict[str, Any]:
        """The activity showing a file now in the person's OneDrive, to open or download."""
        return self._layout(
            "file_info.json.j2", {"content_type": FILE_INFO_CONTENT_TYPE, "upload": dict(upload), "summary": summary}
        )

    def form_problems(self, message: Outbound) -> dict[str, str]:
        """Each field's problem in words (the flow's ``form_errors`` message), for under the field."""
        template = message.data["template"]
        return {
            field_id: limit(self.plain_words.render(template, problem).text, 400)
            for field_id, problem in message.data["errors"].items()
        }

    def sent_form(self, form: Form) -> Card:
        """What a sent form becomes: its title and that it was sent, with nothing left to press."""
        return self.message(Outbound("form_sent", {"title": form.title}), note=self.labels("form_sent"), buttons=False)


class Renderers(PerTemplatesDir[AdaptiveCards]):
    """One ``AdaptiveCards`` per templates directory a workspace names in its settings, built once."""

    def __init__(self) -> None:
        super().__init__(AdaptiveCards)

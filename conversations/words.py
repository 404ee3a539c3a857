"""The words people read, rendered from Jinja2 templates in ``conversations/templates``.

Each outbound ``kind`` has one template, ``<kind>.j2``, written once for every platform. A
platform supplies a :class:`Dialect` for its markup (bold, mentions, links) and its escaping.
Every ``{{ value }}`` is escaped by the dialect unless a dialect filter produced it, so text a
person typed can never turn into markup, a mention or ``@channel`` on any platform.

A template has ``{% block body %}`` and may have ``{% block title %}`` for a heading; platforms lay
the two out their own way (a header block on Slack, a bold line in a terminal).

Mentions are data: a person ref in the message's data (``{"id": 12, "display_name": "Ada"}``)
becomes a mention through the ``mention`` filter, and :meth:`Words.render` returns the people it
mentioned with the text. A platform passes who each person is there (``platform_ids``), looked up
where the message is rendered, so a dialect can write ``<@U123>`` on Slack or ``<at>Ada</at>`` plus
an entity on Teams; without one it writes the name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

import jinja2

from conversations.numbers import format_measure, format_number, format_percent, plural
from conversations.schedule import week_dates

TEMPLATES_DIR = Path(__file__).parent / "templates"


class Markup(str):
    """Text a dialect already formatted and escaped; the finaliser passes it through untouched."""

    __slots__ = ()


class Dialect(Protocol):
    """A platform's markup. Every method receives raw text and returns markup-safe text."""

    def escape(self, text: str) -> str: ...

    def bold(self, text: str) -> str: ...

    def italic(self, text: str) -> str: ...

    def code(self, text: str) -> str: ...

    def link(self, url: str, label: str) -> str: ...

    def mention(self, person: Mapping[str, Any], platform_id: str | None) -> str:
        """``person`` is a ref (id and display name); ``platform_id`` who they are on this platform, if known."""
        ...

    def quote(self, text: str) -> str: ...

    def command(self, text: str) -> str:
        """A command as people type it on this platform (``/kudos …`` where slash commands exist)."""
        ...


class PlainDialect:
    """Plain text for terminals and fallbacks: nothing to escape, no markup."""

    def escape(self, text: str) -> str:
        return text

    def bold(self, text: str) -> str:
        return text

    def italic(self, text: str) -> str:
        return text

    def code(self, text: str) -> str:
        return text

    def link(self, url: str, label: str) -> str:
        return f"{label} ({url})" if label and label != url else url

    def mention(self, person: Mapping[str, Any], platform_id: str | None) -> str:
        return display_name(person)

    def quote(self, text: str) -> str:
        return "\n".join(f"> {line}" for line in text.splitlines() or [""])

    def command(self, text: str) -> str:
        return text


class MarkdownDialect:
    """Markdown for files people keep (a snapshot exported with ``cadence snapshot``): what a
    person wrote is escaped so it stays their words, never markup."""

    _SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")

    def escape(self, text: str) -> str:
        return self._SPECIAL.sub(r"\\\1", text)

    def bold(self, text: str) -> str:
        return f"**{text}**" if text.strip() else text

    def italic(self, text: str) -> str:
        return f"_{text}_" if text.strip() else text

    def code(self, text: str) -> str:
        return f"`{text}`"

    def link(self, url: str, label: str) -> str:
        return f"[{label}]({url})"

    def mention(self, person: Mapping[str, Any], platform_id: str | None) -> str:
        return self.escape(display_name(person))

    def quote(self, text: str) -> str:
        return "\n".join(f"> {line}" for line in text.splitlines() or [""])

    def command(self, text: str) -> str:
        return f"`{text}`"


def display_name(person: Mapping[str, Any]) -> str:
    return str(person.get("display_name") or person.get("name") or "someone")


@dataclass(frozen=True)
class Mention:
    """A person a rendered message mentions: who, and who they are on the platform it was rendered for."""

    person_id: int | None
    display_name: str
    platform_id: str | None


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str
    mentions: tuple[Mention, ...] = ()

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.body}".strip() if self.title else self.body


def _stringify(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


@dataclass
class _Rendering:
    """What one render knows and collects: who the people are on the platform, and who it mentioned."""

    platform_ids: Mapping[int, str]
    mentioned: list[Mention] = field(default_factory=list)


_RENDERING: ContextVar[_Rendering | None] = ContextVar("rendering", default=None)


def mentioned_person_ids(data: Any) -> set[int]:
    """The ids of every person ref in a message's data, wherever it sits: what a platform looks up
    before rendering it (a ref is a mapping with an ``id`` and a ``display_name``)."""
    found: set[int] = set()
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            if isinstance(item.get("id"), int) and "display_name" in item:
                found.add(item["id"])
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return found


class Words:
    """Renders outbound kinds to words in one dialect; ``override_dir`` templates win over ours."""

    def __init__(self, dialect: Dialect, override_dirs: Iterable[Path] = ()) -> None:
        self.dialect = dialect
        search_path = [*override_dirs, TEMPLATES_DIR]
        self.environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(path) for path in search_path]),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            auto_reload=False,  # templates are read once per process: no stat of every file on every message
            finalize=self._finalize,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self.environment.filters.update(
            bold=self._markup(dialect.bold),
            italic=self._markup(dialect.italic),
            code=self._markup(dialect.code),
            command=self._markup(dialect.command),
            quote=self._markup(dialect.quote),
            mention=self._mention,
            names=self._names,
            link=lambda url, label="": Markup(dialect.link(str(url), self._escape(label or url))),
            plural=plural,
            number=format_number,
            percent=format_percent,
            week_dates=week_dates,
            signed=lambda value: ("+" if float(value) > 0 else "") + format_number(value),
            measure=lambda value, kr: format_measure(value, kr.get("unit") or "", kr.get("metric") or "number"),
        )

    def _mention(self, person: Mapping[str, Any]) -> Markup:
        rendering = _RENDERING.get()
        person_id = person.get("id") if isinstance(person.get("id"), int) else None
        platform_id = (rendering.platform_ids.get(person_id) if rendering and person_id is not None else None) or (
            person.get("platform_user_id") or None
        )
        if rendering is not None:
            rendering.mentioned.append(Mention(person_id, display_name(person), platform_id))
        return Markup(self.dialect.mention(person, platform_id))

    def _names(self, people: Iterable[Mapping[str, Any]]) -> Markup:
        """``Ada, Grace and Linus``: people's names as a sentence lists them."""
        shown = [self._escape(display_name(person)) for person in people]
        return Markup(f"{', '.join(shown[:-1])} and {shown[-1]}" if len(shown) > 1 else "".join(shown))

    def _escape(self, value: Any) -> str:
        return value if isinstance(value, Markup) else self.dialect.escape(_stringify(value))

    def _finalize(self, value: Any) -> str:
        return Markup(self._escape(value))

    def _markup(self, format_text):
        return lambda value: Markup(format_text(self._escape(value)))

    def has(self, kind: str) -> bool:
        try:
            self.environment.get_template(f"{kind}.j2")
        except jinja2.TemplateNotFound:
            return False
        return True

    def title(self, kind: str, data: Mapping[str, Any]) -> str:
        """Only the title of ``kind``: a layout that shows the title in plain text needn't render the body twice."""
        template = self.environment.get_template(f"{kind}.j2")
        if "title" not in template.blocks:
            return ""
        with _rendering({}):
            return "".join(template.blocks["title"](template.new_context(dict(data)))).strip()

    def render(self, kind: str, data: Mapping[str, Any], platform_ids: Mapping[int, str] | None = None) -> Rendered:
        """The words of ``kind``, with the people they mention (``platform_ids``: person id → who
        they are on the platform rendered for)."""
        template = self.environment.get_template(f"{kind}.j2")
        context = template.new_context(dict(data))
        with _rendering(platform_ids or {}) as rendering:
            parts = {
                name: "".join(template.blocks[name](context)).strip() if name in template.blocks else ""
                for name in ("title", "body")
            }
        unique = tuple(dict.fromkeys(rendering.mentioned))
        return Rendered(title=parts["title"], body=parts["body"], mentions=unique)


@contextmanager
def _rendering(platform_ids: Mapping[int, str]) -> Iterator[_Rendering]:
    rendering = _Rendering(platform_ids)
    token = _RENDERING.set(rendering)
    try:
        yield rendering
    finally:
        _RENDERING.reset(token)


class Labels:
    """Short words for buttons, form titles and field labels, from the macros in ``_labels.j2``.

    Flows get one of these at construction, so even a button's caption lives in a template and can
    be reworded (or translated) without touching code. Labels are plain text on every platform.
    """

    def __init__(self, override_dirs: Iterable[Path] = ()) -> None:
        self.module = Words(PlainDialect(), override_dirs).environment.get_template("_labels.j2").module

    def __call__(self, label: str, /, **values: Any) -> str:
        return str(getattr(self.module, label)(**values)).strip()

"""Helpers for the JSON layout templates every platform renders messages with (Slack's Block Kit,
Teams' Adaptive Cards): cutting text to a platform's limits, and commas between JSON items."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

import jinja2

Renderer = TypeVar("Renderer")

SECTION_TEXT_LIMIT = 3000  # characters in one Slack section


def limit(text: Any, size: int) -> str:
    """Cut ``text`` to ``size`` characters, marking the cut, so a platform never rejects a payload for length."""
    text = str(text)
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


def chunks(text: str, size: int = SECTION_TEXT_LIMIT) -> list[str]:
    """Split at paragraph, then line, boundaries into pieces a platform accepts in one text element each."""
    pieces: list[str] = []
    current = ""
    for paragraph in text.split("\n\n"):
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if len(candidate) <= size:
            current = candidate
            continue
        if current:
            pieces.append(current)
        while len(paragraph) > size:
            cut = paragraph.rfind("\n", 0, size)
            cut = cut if cut > 0 else size
            pieces.append(paragraph[:cut])
            paragraph = paragraph[cut:].lstrip("\n")
        current = paragraph
    if current:
        pieces.append(current)
    return [piece for piece in pieces if piece.strip()]


def fit(pieces: list[str], room: int) -> list[str]:
    """At most ``room`` pieces; when some must go, the last one says so."""
    if len(pieces) <= room:
        return pieces
    return [*pieces[: room - 1], "_The rest is too long to show here._"]


def separator():
    """A fresh ``joiner``: the first call gives nothing, later calls a comma between JSON items."""
    return jinja2.utils.Joiner(",")


def layouts_environment(override_dirs: list[Path], templates_dir: Path) -> jinja2.Environment:
    """The JSON layouts a renderer fills: a workspace's own first, Cadence's after."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(path) for path in override_dirs] + [str(templates_dir)]),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        auto_reload=False,  # templates are read once per process: no stat of every file on every message
    )
    environment.filters["limit"] = limit
    environment.globals["separator"] = separator
    return environment


class LayoutNames:
    """Which layout a kind of message takes: its own (``prefix_kind.json.j2``) if there is one, else the
    default. Asked once per kind: Jinja keeps the templates it found, not the ones it didn't, so asking
    for a missing one searched every templates directory again on every message (a fifth of a delivery)."""

    def __init__(self, environment: jinja2.Environment, prefix: str, default: str) -> None:
        self.environment = environment
        self.prefix = prefix
        self.default = default
        self.by_kind: dict[str, str] = {}

    def __call__(self, kind: str) -> str:
        if kind not in self.by_kind:
            candidate = f"{self.prefix}_{kind}.json.j2"
            try:
                self.environment.get_template(candidate)
            except jinja2.TemplateNotFound:
                candidate = self.default
            self.by_kind[kind] = candidate
        return self.by_kind[kind]


class PerTemplatesDir(Generic[Renderer]):
    """One renderer per templates directory a workspace names in its settings (its own wording
    first, Cadence's after), built once: parsing templates is too slow to do for every message."""

    def __init__(self, build: Callable[[list[Path]], Renderer]) -> None:
        self.build = build
        self.by_directory: dict[str | None, Renderer] = {}

    def get(self, templates_dir: str | None = None) -> Renderer:
        if templates_dir not in self.by_directory:
            self.by_directory[templates_dir] = self.build([Path(templates_dir)] if templates_dir else [])
        return self.by_directory[templates_dir]

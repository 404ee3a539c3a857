"""Reading a settings YAML file so that every validation error can name its line.

Problems are listed in line order, so a file with several mistakes reads top to bottom in one run.

The loader follows YAML 1.2 where YAML 1.1 surprises people: ``10:00`` stays the text "10:00"
(not the number 600) and ``yes``/``no``/``on``/``off`` stay words (only ``true``/``false``
are booleans), so ``options: [yes, no]`` means what it says.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from conversations.workspace_settings import SettingError, WorkspaceSettings, validate_settings


class SettingsLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans, without base-60 numbers, and with dates left as text for
    the settings to read (YAML's own reading of ``2026-02-30`` fails without saying where)."""


REPLACED_RESOLVERS = ("bool", "int", "float", "timestamp")
SettingsLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in {f"tag:yaml.org,2002:{name}" for name in REPLACED_RESOLVERS}
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
SettingsLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
SettingsLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*))$"), list("-+0123456789")
)
SettingsLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|\.[0-9_]+)$"),
    list("-+0123456789."),
)


@dataclass(frozen=True)
class LocatedError:
    line: int | None
    error: SettingError

    def describe(self, source: str) -> str:
        where = f"{source}:{self.line}" if self.line else source
        key = f"{self.error.where}: " if self.error.path else ""
        return f"{where}: {key}{self.error.message}"


class SettingsFileError(ValueError):
    """The file could not be read or parsed at all; the message names the file and line."""


def _line_of(node: yaml.Node | None, path: tuple[str | int, ...]) -> int | None:
    """The line of the deepest part of ``path`` that exists in the document: a key's own line
    (where a misspelt key or a block under it starts), or a list item's first line."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            pair = next(((key, value) for key, value in node.value if key.value == str(part)), None)
            if pair is None:
                return line
            line, node = pair[0].start_mark.line + 1, pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML file and its node tree, to give any problem at a key path its line number."""

    data: Any
    root: yaml.Node | None

    def locate(self, errors: Sequence[SettingError]) -> list[LocatedError]:
        """Each problem with its line, in line order (problems of the whole file first)."""
        located = [LocatedError(_line_of(self.root, error.path), error) for error in errors]
        return sorted(located, key=lambda problem: problem.line or 0)


def read_yaml(path: Path) -> YamlDocument:
    """The document in ``path``; a file that can't be read or parsed raises with file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SettingsFileError(f"{path}: can't read the file ({error.strerror})") from error
    except UnicodeDecodeError as error:
        raise SettingsFileError(f"{path}: the file is not UTF-8 text") from error
    try:
        root = yaml.compose(text, Loader=SettingsLoader)
        data: Any = yaml.load(text, Loader=SettingsLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise SettingsFileError(f"{where}: {problem}; check the indentation and quoting on that line") from error
    except RecursionError as error:  # PyYAML composes nested lists and mappings recursively
        raise SettingsFileError(
            f"{path}: lists or mappings nested too deeply to read; settings nest a few levels"
        ) from error
    return YamlDocument(data, root)


def missing_templates_dir(data: object) -> list[SettingError]:
    """``templates_dir`` must name a directory that exists, or every override in it is silently ignored.

    A relative path is looked up from the current directory, as Cadence itself does when it runs.
    """
    named = data.get("templates_dir") if isinstance(data, dict) else None
    if not isinstance(named, str) or Path(named).is_dir():
        return []
    looked_at = Path(named).absolute()
    if looked_at.exists():
        message = f"{looked_at} is a file; templates_dir names the directory that holds your templates"
    else:
        message = f"there is no directory {looked_at}; create it with your templates, or fix the path"
    return [SettingError(("templates_dir",), message)]


def check_settings(
    document: YamlDocument, known_teams: Collection[str] | None = None
) -> tuple[WorkspaceSettings | None, list[LocatedError]]:
    """The settings in ``document`` and every problem in it, in line order; settings only when there are none.

    ``known_teams`` are the org's team names, for ``teams:`` overrides (``None``: not checked).
    """
    settings, errors = validate_settings(document.data, known_teams=known_teams)
    errors = [*errors, *missing_templates_dir(document.data)]
    return (None, document.locate(errors)) if errors else (settings, [])


def read_settings(
    path: Path, known_teams: Collection[str] | None = None
) -> tuple[WorkspaceSettings | None, list[LocatedError]]:
    return check_settings(read_yaml(path), known_teams)

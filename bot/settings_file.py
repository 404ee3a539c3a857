"""Reading a settings YAML file so that every validation error can name its line.

The loader follows YAML 1.2 where YAML 1.1 surprises people: ``10:00`` stays the text "10:00"
(not the number 600) and ``yes``/``no``/``on``/``off`` stay words (only ``true``/``false``
are booleans), so ``options: [yes, no]`` means what it says.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from conversations.workspace_settings import SettingError, WorkspaceSettings, validate_settings


class SettingsLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans and without base-60 numbers."""


SettingsLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
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
        return f"{where}: {self.error.where}: {self.error.message}"


class SettingsFileError(ValueError):
    """The file could not be read or parsed at all; the message names the file and line."""


def _line_of(node: yaml.Node | None, path: tuple[str | int, ...]) -> int | None:
    """The line of the deepest node along ``path`` that exists in the document."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            match = next((value for key, value in node.value if key.value == str(part)), None)
            if match is None:
                key_node = next((key for key, _ in node.value if key.value == str(part)), None)
                return key_node.start_mark.line + 1 if key_node else line
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            return line
        line = node.start_mark.line + 1
    return line


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML file and its node tree, to give any problem at a key path its line number."""

    data: Any
    root: yaml.Node | None

    def locate(self, errors: Sequence[SettingError]) -> list[LocatedError]:
        return [LocatedError(_line_of(self.root, error.path), error) for error in errors]


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
    return YamlDocument(data, root)


def read_settings(path: Path) -> tuple[WorkspaceSettings | None, list[LocatedError]]:
    document = read_yaml(path)
    settings, errors = validate_settings(document.data)
    return settings, document.locate(errors)

"""conversations/ is platform-neutral: no SDK, SQL, HTTP or bot imports, so one flow serves all platforms."""

from __future__ import annotations

import ast
from pathlib import Path

import conversations

FORBIDDEN = (
    "slack_sdk",
    "slack_bolt",
    "microsoft_teams",
    "botbuilder",
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "psycopg",
    "sqlite3",
    "httpx",
    "aiohttp",
    "requests",
    "urllib",
    "http",
    "socket",
    "bot",
    "storage",
)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_conversations_imports_no_platform_sql_or_http_code() -> None:
    root = Path(conversations.__file__).parent
    offenders = {
        f"{path.relative_to(root)}: {name}"
        for path in root.rglob("*.py")
        for name in imported_modules(path)
        if name.split(".")[0] in FORBIDDEN
    }
    assert offenders == set()


def test_the_purity_check_would_catch_an_sdk_import(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("from slack_sdk import WebClient\nimport sqlalchemy as sa\n")
    assert {"slack_sdk", "sqlalchemy"} <= imported_modules(probe)

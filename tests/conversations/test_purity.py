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


REPOSITORY = Path(conversations.__file__).parent.parent
SLACK_ID_MAY_APPEAR_IN = ("bot/slack/", "storage/models.py", "storage/org_import.py", "storage/migrations/versions/")
"""Slack's own folder, the schema and the CSV import; migrations are history, naming columns that were."""


def modules_under(*folders: str) -> list[Path]:
    return sorted(path for folder in folders for path in (REPOSITORY / folder).rglob("*.py"))


def test_storage_never_imports_the_bot() -> None:
    offenders = {
        f"{path.relative_to(REPOSITORY)}: {name}"
        for path in modules_under("storage")
        for name in imported_modules(path)
        if name.split(".")[0] == "bot"
    }
    assert offenders == set()


def test_only_slacks_folder_knows_slack_user_ids() -> None:
    offenders = [
        str(path.relative_to(REPOSITORY))
        for path in modules_under("bot", "conversations", "storage")
        if "slack_user_id" in path.read_text()
        and not str(path.relative_to(REPOSITORY)).startswith(SLACK_ID_MAY_APPEAR_IN)
    ]
    assert offenders == []


def test_the_guards_would_catch_a_slack_id_or_a_bot_import(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("from bot.slack.adapter import SlackAdapter\nperson = {'slack_user_id': 'U1'}\n")
    assert "bot.slack.adapter" in imported_modules(probe) and "slack_user_id" in probe.read_text()


def test_no_neutral_template_names_a_platform() -> None:
    """What a person reads in Teams never says Slack (or the other way round)."""
    templates = Path(conversations.__file__).parent / "templates"
    offenders = [
        path.name
        for path in sorted(templates.rglob("*.j2"))
        if any(name in path.read_text().lower() for name in ("slack", "microsoft"))  # "teams" are an org's too
    ]
    assert offenders == []

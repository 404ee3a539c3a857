"""The platform seam: a deployment runs the adapters it has settings for, and knows no platform by name."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import httpx
import uvicorn

from bot.config import AppConfig
from bot.platforms import configured_adapters, platforms_of
from bot.runtime import Runtime
from conversations.flows import all_flows
from conversations.messages import Platform
from storage import migrate
from storage.database import Database
from tests.bot.slack.harness import wait_until


def test_the_registry_runs_the_shell_always_and_slack_only_with_its_settings() -> None:
    bare = AppConfig(_env_file=None)
    assert platforms_of(configured_adapters(bare)) == {Platform.SHELL}
    slack = AppConfig(_env_file=None, slack_bot_token="xoxb-1", slack_signing_secret="s")
    assert [adapter.platform for adapter in configured_adapters(slack)] == [Platform.SLACK, Platform.SHELL]


def test_a_deployment_with_only_the_shell_starts_serves_and_reports_its_adapters(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'only-shell.db'}")
    migrate.upgrade(database.engine)
    runtime = Runtime(
        AppConfig(_env_file=None), database, lambda: datetime.now(UTC), all_flows(), [], poll_interval=0.05
    )
    server = uvicorn.Server(
        uvicorn.Config(runtime.service, host="127.0.0.1", port=0, lifespan="on", log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started or not thread.is_alive(), 10, "the server to start")
        assert server.started, "a deployment without Slack starts"
        port = server.servers[0].sockets[0].getsockname()[1]
        health = httpx.get(f"http://127.0.0.1:{port}/healthz")
        assert health.status_code == 200 and health.text.splitlines()[0] == "ok"
        assert any(line.startswith("shell:") for line in health.text.splitlines())
        assert httpx.post(f"http://127.0.0.1:{port}/slack/events").status_code == 404, "no Slack routes without Slack"
        assert runtime.serving(f"http://127.0.0.1:{port}") == "the shell's messages on this terminal"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        database.dispose()

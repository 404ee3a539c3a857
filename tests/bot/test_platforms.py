"""The platform seam: a deployment runs the adapters it has settings for, and knows no platform by name."""

from __future__ import annotations

from pathlib import Path

from bot.config import AppConfig
from bot.platforms import configured_adapters, platforms_of
from conversations.messages import Platform
from tests.bot.served import ServedCadence


def test_the_registry_runs_the_shell_always_and_slack_only_with_its_settings() -> None:
    bare = AppConfig(_env_file=None)
    assert platforms_of(configured_adapters(bare)) == {Platform.SHELL}
    slack = AppConfig(_env_file=None, slack_bot_token="xoxb-1", slack_signing_secret="s")
    assert [adapter.platform for adapter in configured_adapters(slack)] == [Platform.SLACK, Platform.SHELL]


def test_a_deployment_with_only_the_shell_starts_serves_and_reports_its_adapters(tmp_path: Path) -> None:
    with ServedCadence(tmp_path / "only-shell.db", {}) as served:
        health = served.http.get("/healthz")
        assert health.status_code == 200 and health.text.splitlines()[0] == "ok"
        assert any(line.startswith("shell:") for line in health.text.splitlines())
        assert served.http.post("/slack/events").status_code == 404, "no Slack routes without Slack"
        port = served.server.servers[0].sockets[0].getsockname()[1]
        assert served.runtime.serving(f"http://127.0.0.1:{port}") == "the shell's messages on this terminal"

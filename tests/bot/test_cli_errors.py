"""Mistakes and mishaps at the command line end in one line that says what to change, never a traceback."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from tests.bot.cli_helpers import Cadence
from tests.bot.test_cli import ORG, assert_one_line_error, write
from tests.fakes.slack_api import PROXY_ENV_VARS

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_with_closed_stdout(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess:
    """``cadence ARGV | head`` where head has gone already: stdout is a pipe nobody reads."""
    reader, writer = os.pipe()
    os.close(reader)  # every write to the pipe now fails with EPIPE
    try:
        return subprocess.run(
            [sys.executable, "-m", "bot", *argv],
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
            check=False,
            timeout=60,
        )
    finally:
        os.close(writer)


@pytest.mark.parametrize(
    "argv",
    [("--help",), ("config", "show"), ("org", "show"), ("manifest", "slack", "--url", "https://bot.acme.test")],
    ids=["help", "config-show", "org-show", "manifest"],
)
def test_a_closed_stdout_pipe_ends_the_command_quietly(cadence: Cadence, tmp_path: Path, argv) -> None:
    cadence("org", "import", write(tmp_path, "org.csv", ORG))
    result = run_with_closed_stdout(tmp_path, "--database-url", cadence.database_url, *argv)
    assert result.stderr == ""
    assert result.returncode == 141, "128 + SIGPIPE, as for any command whose reader went away"


def test_the_database_url_may_come_after_the_subcommand(cadence: Cadence, tmp_path: Path) -> None:
    cadence("org", "import", write(tmp_path, "org.csv", ORG))
    out, err = io.StringIO(), io.StringIO()
    code = main(["org", "show", "--database-url", cadence.database_url], out=out, err=err)
    assert code == 0, err.getvalue()
    assert out.getvalue().startswith("Cadence: 4 people")
    other, out = f"sqlite:///{tmp_path / 'other.db'}", io.StringIO()
    main(["--database-url", cadence.database_url, "db", "current", "--database-url", other], out=out, err=err)
    assert out.getvalue().startswith("revision none"), "the one after the subcommand wins: other.db is new"


def test_a_week_that_does_not_exist_is_one_line(cadence: Cadence, tmp_path: Path) -> None:
    cadence("org", "import", write(tmp_path, "org.csv", ORG))
    result = cadence("digest", "preview", "--manager", "lead@acme.test", "--week", "2026-W60")
    assert_one_line_error(result, "2026-W60", "2026 has weeks W01 to W53", "2026-W48")


def test_the_manifest_without_a_url_says_it_holds_placeholders(cadence: Cadence) -> None:
    result = cadence("manifest", "slack")
    assert result.code == 0
    assert json.loads(result.out)["settings"]["event_subscriptions"]["request_url"].startswith(
        "https://cadence.example.com/"
    )
    [line] = result.err.strip().splitlines()
    assert "placeholder" in line and "--url https://cadence.example.com" in line
    assert cadence("manifest", "slack", "--url", "https://bot.acme.test").err == ""
    assert cadence("manifest", "slack", "--socket-mode").err == "", "Socket Mode has no request URLs to fill in"


@pytest.fixture
def unreachable_slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Slack configured at a loopback port nobody listens on: every connection is refused. The port stays
    bound (never listening) for the whole test, so no fake started meanwhile, here or in another pytest-xdist
    worker, can be given it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/api/"
        for name in PROXY_ENV_VARS:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
        monkeypatch.setenv("SLACK_SIGNING_SECRET", "test-signing-secret")
        monkeypatch.setenv("SLACK_API_URL", url)
        yield url


@pytest.mark.parametrize("argv", [("serve", "--port", "0"), ("tick",), ("org", "sync")], ids=["serve", "tick", "sync"])
def test_slack_out_of_reach_is_one_line_naming_its_address_and_the_network(
    tmp_path: Path, unreachable_slack: str, argv
) -> None:
    cadence = Cadence(f"sqlite:///{tmp_path / 'cli.db'}")  # real time: the Web API client's retry waits on it
    cadence("db", "upgrade")
    result = cadence(*argv)
    assert_one_line_error(result, f"can't reach Slack at SLACK_API_URL={unreachable_slack}", "network")
    assert result.code == 1

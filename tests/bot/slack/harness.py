"""The real Cadence ASGI service under uvicorn on 127.0.0.1 (port 0), talking to a fake Slack.

Requests are signed exactly as Slack signs them and sent over HTTP, so every test goes through
signature checks, body limits, Bolt's dispatch, the listeners, the database and the outbox sender.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from conversations.flow import Flow
from tests.bot.served import STARTUP_TIMEOUT, ServedCadence, wait_until
from tests.fakes.slack_api import RESPONSE_URL, FakeSlackApi
from tests.fakes.slack_requests import sign, slash_command

__all__ = ["BOT_TOKEN", "SIGNING_SECRET", "STARTUP_TIMEOUT", "RunningCadence", "wait_until"]

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"


class RunningCadence(ServedCadence):
    def __init__(
        self,
        tmp_path: Path,
        slack: FakeSlackApi,
        *,
        flows: Sequence[Flow] | None = None,
        socket_mode: bool = False,
        clock: Callable[[], datetime] | None = None,
        **settings: Any,
    ) -> None:
        self.slack = slack
        values = {
            "slack_bot_token": BOT_TOKEN,
            "slack_signing_secret": SIGNING_SECRET,
            "slack_api_url": slack.base_url,
            **settings,
        }
        super().__init__(tmp_path / "service.db", values, flows=flows, socket_mode=socket_mode, clock=clock)
        self.commands_sent = 0

    def __enter__(self) -> RunningCadence:
        return super().__enter__()

    def post(
        self, built: tuple[str, str], *, timestamp: int | None = None, headers: dict | None = None
    ) -> httpx.Response:
        body, signed = sign(SIGNING_SECRET, built, timestamp)
        return self.http.post("/slack/events", content=body.encode(), headers={**signed, **(headers or {})})

    def command(self, command: str, text: str = "", **fields: Any) -> dict[str, Any]:
        """Run a slash command as Slack would and return the answer Cadence sends to its ``response_url``.

        The ack itself must be empty and fast (the command is only recorded in it); the answer comes
        from the inbox worker, as a POST to the command's own response URL."""
        self.commands_sent += 1
        name = f"command-{self.commands_sent}"
        ack = self.post(slash_command(command, text, response_url=self.slack.response_url(name), **fields))
        assert ack.status_code == 200 and ack.content == b"", (ack.status_code, ack.text)
        path = f"/response-url/{name}"
        wait_until(
            lambda: any(call.path == path for call in self.slack.calls(RESPONSE_URL)), what=f"the answer to {command}"
        )
        return next(call for call in self.slack.calls(RESPONSE_URL) if call.path == path).args

    def metric(self, name: str, **labels: str) -> float:
        """The current value of one sample on /metrics (0 when absent)."""
        wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
        for line in self.http.get("/metrics").text.splitlines():
            sample, _, value = line.rpartition(" ")
            if sample.split("{")[0] == name and (
                not labels or sample.endswith("{" + wanted + "}") or _same_labels(sample, labels)
            ):
                return float(value)
        return 0.0


def _same_labels(sample: str, labels: dict[str, str]) -> bool:
    if "{" not in sample:
        return False
    found = dict(part.split("=", 1) for part in sample[sample.index("{") + 1 : -1].split(","))
    return all(found.get(key) == f'"{value}"' for key, value in labels.items())

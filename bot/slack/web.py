"""Slack's requests over HTTP: Bolt's ASGI handler behind the paths Slack posts to."""

from __future__ import annotations

import time
from typing import Any

from slack_bolt.adapter.asgi.async_handler import AsyncSlackRequestHandler
from slack_bolt.adapter.asgi.http_request import AsgiHttpRequest
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.metrics import Metrics

SLACK_PATHS = ("/slack/events", "/slack/install", "/slack/oauth_redirect")


def request_kind(body: dict[str, Any]) -> str:
    """What a Slack request is, for metrics: command, event, block_actions, view_submission, ..."""
    if body.get("command"):
        return "command"
    kind = str(body.get("type") or "unknown")
    return "event" if kind == "event_callback" else kind


class SlackRoute(AsyncSlackRequestHandler):
    """Bolt's ASGI handler, answering bodies it can't read with 400 and timing every request for
    ``/metrics``. Bolt reads a body before it verifies the signature and would crash into a 500 on
    one that isn't UTF-8, isn't JSON, is nested deeper than Python's parser goes, or has a shape its
    context-building trips over. A body that reads but isn't what Slack sends is refused once the
    signature holds (``app.RefuseMalformed``)."""

    def __init__(self, app: AsyncApp, metrics: Metrics) -> None:
        super().__init__(app, path="/slack/events")
        self.metrics = metrics

    async def dispatch(self, request: AsgiHttpRequest) -> BoltResponse:
        started = time.perf_counter()
        try:
            bolt_request = AsyncBoltRequest(
                body=await request.get_raw_body(), query=request.query_string, headers=request.get_headers()
            )
        except (ValueError, LookupError, AttributeError, TypeError, RecursionError):
            self.metrics.observe("slack", "malformed", 400, time.perf_counter() - started)
            return BoltResponse(
                status=400, body="malformed request: not a JSON object or form data as Slack sends them"
            )
        timestamp = bolt_request.headers.get("x-slack-request-timestamp", ["0"])[0]
        if not timestamp.isdigit():  # slack_sdk's verifier would raise on it, and Bolt answer as if it were signed
            self.metrics.observe("slack", "unsigned", 401, time.perf_counter() - started)
            return BoltResponse(status=401, body="unauthorized")
        response = await self.app.async_dispatch(bolt_request)
        kind = request_kind(bolt_request.body) if isinstance(bolt_request.body, dict) else "unknown"
        self.metrics.observe("slack", kind, response.status, time.perf_counter() - started)
        return response

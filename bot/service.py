"""The one ASGI application Cadence serves: every platform adapter's routes, ``/healthz`` and ``/metrics``.

A small router rather than a web framework: it caps request bodies at 1 MB before anything parses
them, answers health and metrics itself, and hands each platform's paths to its adapter's route
(Slack's to Bolt's handler). Start-up and shutdown hooks run on the ASGI lifespan, so the outbox
sender and the scheduler live and die with the server.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import uvicorn

from bot.metrics import CONTENT_TYPE, Metrics
from storage.database import PING_TIMEOUT_SECONDS, Database

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024

Hook = Callable[[], Awaitable[None]]
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Route = Callable[[Scope, Receive, Send], Awaitable[None]]


async def plain(send: Send, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8") -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class Service:
    def __init__(
        self,
        database: Database,
        metrics: Metrics,
        *,
        startup: Sequence[Hook] = (),
        shutdown: Sequence[Hook] = (),
        health: Callable[[], Sequence[str]] = lambda: (),
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.database = database
        self.metrics = metrics
        self.startup = list(startup)
        self.shutdown = list(shutdown)
        self.health = health  # one line per platform adapter, after the database's
        self.max_body_bytes = max_body_bytes
        self.routes: dict[str, Route] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
        elif scope["type"] == "http":
            await self.http(scope, receive, send)

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    for hook in self.startup:
                        await hook()
                except Exception as error:  # noqa: BLE001 - reported to the server, which refuses to start
                    await send({"type": "lifespan.startup.failed", "message": str(error)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for hook in self.shutdown:
                    await hook()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path, method = scope["path"], scope["method"]
        if path == "/healthz" and method in ("GET", "HEAD"):
            healthy = await self.database_answers()
            lines = ["ok" if healthy else "database unavailable", *self.health()]
            await plain(send, 200 if healthy else 503, "\n".join(lines).encode())
        elif path == "/metrics" and method == "GET":
            await plain(send, 200, self.metrics.render(), CONTENT_TYPE)
        elif path in self.routes:
            await self.to_route(self.routes[path], scope, receive, send)
        else:
            await plain(send, 404, b"not found")

    async def database_answers(self) -> bool:
        """Whether the database answers within a second: a load balancer's check must not hang while
        the database is away (the ping goes on in its thread, and its answer is dropped)."""
        try:
            return await asyncio.wait_for(asyncio.to_thread(self.database.ping), PING_TIMEOUT_SECONDS)
        except TimeoutError:
            return False

    async def to_route(self, route: Route, scope: Scope, receive: Receive, send: Send) -> None:
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await plain(send, 413, b"request body too large")
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > self.max_body_bytes:
                await plain(send, 413, b"request body too large")
                return
            if not message.get("more_body"):
                break
        await route(scope, replay(bytes(body)), send)


def replay(body: bytes) -> Receive:
    """A ``receive`` that hands Bolt the body we already read (and capped)."""
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


class AnnouncedServer(uvicorn.Server):
    """uvicorn's server, saying where it serves only once it does: after the application's start-up
    (Slack connected, sender, worker and scheduler running) and with the socket bound, so its port
    is the real one even when asked for port 0. A server that failed to start never announces."""

    def __init__(self, config: uvicorn.Config, announce: Callable[[int], None]) -> None:
        super().__init__(config)
        self.announce = announce

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self.announce(self.servers[0].sockets[0].getsockname()[1])

"""`cadence serve` says it is serving only once it is: after start-up, with the port it really got."""

from __future__ import annotations

import socket

import pytest
import uvicorn

from bot.service import AnnouncedServer


def lifespan_only(startup_fails: bool):
    """An ASGI app whose start-up completes or fails, like Cadence's when Slack is (un)reachable."""

    async def app(scope, receive, send) -> None:
        assert scope["type"] == "lifespan"
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if startup_fails:
                    await send({"type": "lifespan.startup.failed", "message": "start-up failed"})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    return app


def server_for(app, announced: list[int]) -> AnnouncedServer:
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="on", log_level="critical")

    def announce(port: int) -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            announced.append(port)  # the port already accepts connections when it is announced
        server.should_exit = True

    server = AnnouncedServer(config, announce)
    return server


def test_the_server_announces_the_port_it_bound_once_started() -> None:
    announced: list[int] = []
    server = server_for(lifespan_only(startup_fails=False), announced)
    server.run()
    assert len(announced) == 1 and announced[0] > 0


def test_a_server_whose_start_up_failed_never_announces() -> None:
    announced: list[int] = []
    server = server_for(lifespan_only(startup_fails=True), announced)
    with pytest.raises(SystemExit):
        server.run()
    assert announced == [] and not server.started

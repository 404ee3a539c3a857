"""The real Cadence ASGI service under uvicorn on 127.0.0.1 (port 0), in a thread of the test: what
every platform's end-to-end harness serves its fakes with."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from bot.config import AppConfig
from bot.outbox_sender import RetryPolicy
from bot.runtime import Runtime
from conversations.flow import Flow
from conversations.flows import all_flows
from storage import migrate
from storage.database import Database
from tests.conftest import migrated_sqlite_file

STARTUP_TIMEOUT = 10.0


def wait_until(condition, timeout: float = 5.0, what: str = "condition") -> None:
    """Block until ``condition()`` holds; for work the server does after it has answered."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


class ServedCadence:
    """A migrated SQLite database (when new, a copy of the suite's migrated file), a runtime configured with
    ``settings`` (no ``.env``), and the service it serves; ``http`` is a client for it once entered."""

    def __init__(
        self,
        database_path: Path,
        settings: dict[str, Any],
        *,
        flows: Sequence[Flow] | None = None,
        socket_mode: bool = False,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if database_path.exists():  # a restart on the same file: migrating it again changes nothing
            self.database = Database(f"sqlite:///{database_path}")
            migrate.upgrade(self.database.engine)
        else:
            self.database = Database(f"sqlite:///{migrated_sqlite_file(database_path)}")
        self.config = AppConfig(_env_file=None, **settings)
        self.runtime = Runtime(
            self.config,
            self.database,
            clock or (lambda: datetime.now(UTC)),
            flows if flows is not None else all_flows(),
            [],
            socket_mode=socket_mode,
            poll_interval=0.05,
            inbox_retries=RetryPolicy(max_attempts=3, base_delay=timedelta(milliseconds=50)),
        )
        self.server = uvicorn.Server(
            uvicorn.Config(self.runtime.service, host="127.0.0.1", port=0, lifespan="on", log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        wait_until(lambda: self.server.started or not self.thread.is_alive(), STARTUP_TIMEOUT, "the server to start")
        if not self.server.started:
            raise RuntimeError("the service failed to start; see the log above")
        port = self.server.servers[0].sockets[0].getsockname()[1]
        # Plain HTTP on loopback: verify=False spares every client loading the system's CA bundle (50 ms)
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10, verify=False)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.http.close()
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.database.dispose()

"""Platform adapters, and the one registry that names them.

Each platform Cadence serves is one folder under ``bot/`` exposing one adapter object with what the
rest of Cadence needs from it: its configuration check, a way to reach the platform before serving,
its ASGI routes, its inbox handler (what the inbox worker runs for that platform's requests), its
transport (what the outbox sender delivers with) and its start and stop. ``Runtime``, ``Service``,
``cadence tick`` and ``cadence run`` iterate over the configured adapters and never name a platform;
adding one is a new folder and a line in :data:`ADAPTER_FACTORIES`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TextIO

from bot.config import AppConfig
from bot.inbox_recorder import InboxRecorder
from bot.inbox_worker import RequestHandler
from bot.metrics import Metrics
from bot.outbox_sender import OutboxSender, Transport
from bot.polling import Wakeable
from bot.request_runner import RequestRunner
from bot.shared_pace import PaceBoard
from bot.traffic import Traffic
from conversations.messages import Platform
from storage.database import Database

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Route = Callable[[Scope, Receive, Send], Awaitable[None]]
"""An ASGI application answering one path."""


@dataclass(frozen=True)
class Parts:
    """What every adapter is given to plug into: the shared database, clock, request runner, inbox and outbox."""

    config: AppConfig
    database: Database
    clock: Callable[[], datetime]
    metrics: Metrics
    traffic: Traffic
    recorder: InboxRecorder
    runner: RequestRunner
    sender: OutboxSender
    worker: Wakeable
    """Woken when a request is recorded: this process's inbox worker, or its worker processes."""
    out: TextIO
    paces: PaceBoard | None = None
    """What the replicas keep to under each platform limit (``bot/shared_pace.py``); none: this process is alone."""


class PlatformAdapter(Protocol):
    platform: Platform
    label: str  # how operators read it: "Slack"

    def check(self) -> None:
        """Refuse settings that can't work (``ConfigError``, one line naming the variable)."""
        ...

    async def connect(self, parts: Parts) -> None:
        """Reach the platform before serving (a token check), so a wrong address or token stops
        ``cadence serve`` with one line before it claims to serve."""
        ...

    async def open_transport(self, parts: Parts) -> Transport:
        """What the outbox sender delivers this platform's rows with (``cadence tick`` needs only this)."""
        ...

    async def open_inbox(self, parts: Parts) -> RequestHandler | None:
        """What the inbox worker runs for this platform's requests (a worker process needs only this
        and the transport); the same one each call."""
        ...

    async def start(self, parts: Parts) -> None:
        """Start serving: after this, ``routes`` are ready and requests are recorded."""
        ...

    async def stop(self) -> None: ...

    @property
    def routes(self) -> Mapping[str, Route]:
        """The HTTP paths this platform's requests arrive on."""
        ...

    def health(self) -> str:
        """One line for ``/healthz``: what this adapter is connected to."""
        ...

    def serving(self, base_url: str) -> str:
        """What ``cadence serve`` says it serves for this platform, once it does."""
        ...


AdapterFactory = Callable[[AppConfig, bool], PlatformAdapter | None]


def _slack(config: AppConfig, socket_mode: bool) -> PlatformAdapter | None:
    from bot.slack.adapter import SlackAdapter

    return SlackAdapter(config, socket_mode=socket_mode) if config.has_slack else None


def _teams(config: AppConfig, socket_mode: bool) -> PlatformAdapter | None:
    from bot.teams.adapter import TeamsAdapter

    return TeamsAdapter(config) if config.has_teams else None


def _shell(config: AppConfig, socket_mode: bool) -> PlatformAdapter | None:
    from bot.shell.adapter import ShellAdapter

    return ShellAdapter()


ADAPTER_FACTORIES: tuple[AdapterFactory, ...] = (_slack, _teams, _shell)
"""Every platform Cadence knows, in the order they are started. The shell's is always there: it
delivers the demo's messages (an organisation connected to the shell) by printing them."""


def configured_adapters(config: AppConfig, *, socket_mode: bool = False) -> list[PlatformAdapter]:
    """The adapters this process runs: every platform with settings, and the shell."""
    return [adapter for factory in ADAPTER_FACTORIES if (adapter := factory(config, socket_mode)) is not None]


def platforms_of(adapters: Sequence[PlatformAdapter]) -> frozenset[Platform]:
    return frozenset(adapter.platform for adapter in adapters)

"""The shell as a platform adapter in a running service or a ``cadence tick``: it serves no HTTP and
reads nothing, but delivers the messages of organisations connected to the shell (the demo) by
printing them, each headed with its recipient."""

from __future__ import annotations

from collections.abc import Mapping

from bot.inbox_worker import RequestHandler
from bot.outbox_sender import Transport
from bot.platforms import Parts, Route
from bot.shell.console import ConsoleTransport, StdoutConsole
from conversations.messages import Platform
from conversations.words import PlainDialect, Words


class ShellAdapter:
    platform = Platform.SHELL
    label = "the shell"

    def __init__(self) -> None:
        self.transport: ConsoleTransport | None = None

    def check(self) -> None:
        """Nothing to configure."""

    async def connect(self, parts: Parts) -> None:
        """Nothing to reach: the terminal is here."""

    async def open_transport(self, parts: Parts) -> Transport:
        if self.transport is None:
            self.transport = ConsoleTransport(parts.database, StdoutConsole(Words(PlainDialect()), parts.out))
        return self.transport

    async def start(self, parts: Parts) -> None:
        await self.open_transport(parts)

    async def stop(self) -> None:
        """Nothing runs on its own."""

    @property
    def routes(self) -> Mapping[str, Route]:
        return {}

    async def open_inbox(self, parts: Parts) -> RequestHandler | None:
        """The shell records no requests here: a shell session runs its own flows."""
        return None

    def health(self) -> str:
        return "shell: messages to the shell's organisations are printed here"

    def serving(self, base_url: str) -> str:
        return "the shell's messages on this terminal"

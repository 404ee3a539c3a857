"""Delivering shell-platform outbox rows by printing them: in ``cadence shell`` and ``cadence tick``."""

from __future__ import annotations

from typing import Protocol, TextIO

from bot.outbox_sender import Failed, Outcome, Sent
from bot.shell.render import render_text
from conversations.messages import Outbound, outbound_from_dict
from conversations.words import Words
from storage.database import Database
from storage.models import OutboxDelivery, Person


class Console(Protocol):
    """Where printed messages go; ``person_id`` is who is at the keyboard, if anyone."""

    @property
    def person_id(self) -> int | None: ...

    def print(self, text: str) -> None: ...

    def show(self, message: Outbound, *, recipient_id: int | None = None) -> None: ...


class StdoutConsole:
    """A console nobody is typing at, for ``cadence tick``: every message is headed with its recipient."""

    person_id = None

    def __init__(self, words: Words, out: TextIO) -> None:
        self.words = words
        self.out = out

    def print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def show(self, message: Outbound, *, recipient_id: int | None = None) -> None:
        self.print(render_text(self.words, message))


class ConsoleTransport:
    def __init__(self, database: Database, console: Console) -> None:
        self.database = database
        self.console = console

    async def close(self) -> None:
        """Nothing to release: printing needs no connection."""

    async def deliver(self, delivery: OutboxDelivery) -> Outcome:
        message = outbound_from_dict(delivery.payload["outbound"])
        if delivery.recipient.startswith("channel:"):
            self.console.print(f"--- in {delivery.recipient.removeprefix('channel:')} ---")
            self.console.show(message)
            return Sent(message_id=f"shell-{delivery.id}")
        person_id = int(delivery.recipient.removeprefix("person:"))
        with self.database.session_scope() as session:
            person = session.get(Person, person_id)
        if person is None:
            return Failed("the recipient no longer exists")
        if person_id != self.console.person_id:
            self.console.print(f"--- to {person.display_name} ---")
        self.console.show(message, recipient_id=person_id)
        return Sent(message_id=f"shell-{delivery.id}")

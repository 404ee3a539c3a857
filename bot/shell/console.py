"""Delivering shell-platform outbox rows by printing them: in ``cadence shell`` and ``cadence tick``.

A terminal can't show a picture, so a chart (a digest's, the fairness view's) is saved as a PNG file instead (in the
current directory unless told otherwise) and the line printed says where. A file (a person's data) is
saved there too, with its words printed above the line that says where it is.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, TextIO

from bot import data_files
from bot.charts import CHARTS
from bot.outbox_sender import DeliveryRefused, Failed, Outcome, Sent
from bot.shell.render import render_text
from conversations.destinations import ChannelPost, Destination, destination_from_dict, reader_of
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


def chart_file_name(message: Outbound, person: Person) -> str:
    """``cadence-chart-2026-W49-sam.okafor.png``: what the chart is of (a digest's week, the fairness
    view's period) and whose it is, safe on any file system."""
    who = (person.email or "").split("@")[0] or person.display_name
    stem = f"{CHARTS[message.kind].file_stem(message.data)}-{who}"
    return f"cadence-chart-{re.sub(r'[^A-Za-z0-9._-]+', '-', stem)}.png"


FILE_SAVED = "file_saved"  # an outbound kind of the shell's own: where a file was saved


class ConsoleTransport:
    def __init__(
        self,
        database: Database,
        console: Console,
        chart_dir: Path | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.database = database
        self.console = console
        self.chart_dir = chart_dir  # None: the current directory at the time of delivery
        self.clock = clock

    async def close(self) -> None:
        """Nothing to release: printing needs no connection."""

    async def prepare(self, deliveries: Sequence[OutboxDelivery]) -> None:
        """Nothing to read ahead: the shell prints to the few people at its keyboard, one row each."""

    async def deliver(self, delivery: OutboxDelivery) -> Outcome:
        message = outbound_from_dict(delivery.payload["outbound"])
        destination = destination_from_dict(delivery.payload["destination"])
        person_id = reader_of(destination)
        if person_id is None:
            where = destination.channel if isinstance(destination, ChannelPost) else "a shared conversation"
            self.console.print(f"--- in {where} ---")
            self.console.show(message)
            return Sent(message_id=f"shell-{delivery.id}")
        with self.database.session_scope() as session:
            person = session.get(Person, person_id)
        if person is None:
            return Failed("the recipient no longer exists")
        if person_id != self.console.person_id:
            self.console.print(f"--- to {person.display_name} ---")
        if message.kind in data_files.DATA_FILES:
            return await self.save_file(message, destination, delivery, person_id)
        self.console.show(message, recipient_id=person_id)
        if message.kind in CHARTS:
            return self.save_chart(message, person, delivery)
        return Sent(message_id=f"shell-{delivery.id}")

    async def save_file(
        self, message: Outbound, destination: Destination, delivery: OutboxDelivery, person_id: int
    ) -> Outcome:
        """Build the file now, print its words, and save it where charts go."""
        try:
            built = await asyncio.to_thread(data_files.build, self.database, message, destination, self.clock())
        except DeliveryRefused as refused:
            return Failed(str(refused))
        self.console.show(built.caption, recipient_id=person_id)
        path = (self.chart_dir or Path.cwd()) / built.name
        try:
            path.write_bytes(built.content)
        except OSError as error:
            self.console.show(
                Outbound(FILE_SAVED, {"path": str(path), "error": error.strerror}), recipient_id=person_id
            )
            return Failed(f"can't save the file as {path}: {error.strerror}")
        self.console.show(Outbound(FILE_SAVED, {"path": str(path)}), recipient_id=person_id)
        return Sent(message_id=f"shell-{delivery.id}")

    def save_chart(self, message: Outbound, person: Person, delivery: OutboxDelivery) -> Outcome:
        path = (self.chart_dir or Path.cwd()) / chart_file_name(message, person)
        try:
            path.write_bytes(CHARTS[message.kind].render(message.data))
        except OSError as error:
            self.console.print(f"(the chart could not be saved as {path}: {error.strerror})")
            return Failed(f"can't save the chart as {path}: {error.strerror}")
        self.console.print(f"Chart saved as {path}")
        return Sent(message_id=f"shell-{delivery.id}")

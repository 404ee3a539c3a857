"""Delivering shell-platform outbox rows by printing them: in ``cadence shell`` and ``cadence tick``.

A terminal can't show a picture, so a chart (a digest's, the fairness view's) is saved as a PNG file instead (in the
current directory unless told otherwise) and the line printed says where.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Protocol, TextIO

from bot.charts import CHARTS
from bot.outbox_sender import Failed, Outcome, Sent
from bot.shell.render import render_text
from conversations.destinations import ChannelPost, destination_from_dict, reader_of
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


class ConsoleTransport:
    def __init__(self, database: Database, console: Console, chart_dir: Path | None = None) -> None:
        self.database = database
        self.console = console
        self.chart_dir = chart_dir  # None: the current directory at the time of delivery

    async def close(self) -> None:
        """Nothing to release: printing needs no connection."""

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
        self.console.show(message, recipient_id=person_id)
        if message.kind in CHARTS:
            return self.save_chart(message, person, delivery)
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

"""``cadence shell``: talk to Cadence in a terminal, as any person, at any time.

The shell is a third platform next to Slack and Teams: it turns typed lines into ``Inbound``
messages, runs them through the same engine and flows, and prints ``Outbound`` messages as
text. Messages Cadence sends on its own (prompts, reminders, notes to managers) go through the
outbox like on any platform and are printed when delivered. Shell-only commands:

- ``/as EMAIL``: speak as someone else;
- ``/time 2026-12-04T10:00``: move the clock (a time without offset is the current person's local
  time) and run the scheduler tick at that instant;
- ``/quit`` or end of input: leave.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.outbox_sender import OutboxSender
from bot.shell.console import ConsoleTransport
from bot.shell.render import numbered, pick, render_text
from bot.tick import Producer, run_tick
from conversations.flow import Flow
from conversations.messages import (
    FORM_ERRORS,
    FieldKind,
    Form,
    FormField,
    Inbound,
    Outbound,
    Platform,
    outbound_to_dict,
)
from conversations.words import Words
from storage import outbox, people
from storage.database import Database
from storage.flow_bindings import engine_for
from storage.models import Person, Workspace

MENTION = re.compile(r"(?<![\w@])@([\w.+-]+(?:@[\w-]+(?:\.[\w-]+)+)?)")
SHELL_META_HELP = (
    "Shell commands: /as EMAIL to switch person, /time 2026-12-04T10:00 to move the clock, /quit to leave."
)


class ShellClock:
    """Real time shifted by whatever ``/time`` asked for."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._real_now = now
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return self._real_now() + self.offset

    def jump_to(self, instant: datetime) -> None:
        self.offset = instant - self._real_now()


def recipient_for(person_id: int | None) -> str:
    return f"person:{person_id}"


class ShellChannel:
    """Replies print at once; messages to someone else wait in the outbox like on every platform."""

    def __init__(self, shell: ShellSession, session: Session) -> None:
        self.shell = shell
        self.session = session

    def send(self, inbound: Inbound, messages: Sequence[Outbound]) -> None:
        for index, message in enumerate(messages):
            if message.to_channel is None and message.to_person_id in (None, self.shell.person_id):
                self.shell.show(message)
                continue
            recipient = f"channel:{message.to_channel}" if message.to_channel else recipient_for(message.to_person_id)
            outbox.enqueue(
                self.session,
                workspace_id=self.shell.workspace_id,
                platform=Platform.SHELL,
                kind=message.kind,
                recipient=recipient,
                dedupe_key=f"shell:{self.shell.session_id}:{self.shell.turn}:{index}",
                payload={"outbound": outbound_to_dict(message)},
                not_before=self.shell.clock(),
            )


class ShellSession:
    def __init__(
        self,
        database: Database,
        workspace: Workspace,
        person: Person,
        flows: Iterable[Flow],
        words: Words,
        clock: ShellClock,
        producers: Sequence[Producer],
        out: TextIO,
        *,
        prompt: bool = False,
    ) -> None:
        assert workspace.id is not None and person.id is not None
        self.database = database
        self.workspace = workspace
        self.workspace_id = workspace.id
        self.flows = tuple(flows)
        self.words = words
        self.clock = clock
        self.producers = producers
        self.out = out
        self.prompt = prompt
        self.turn = 0
        self.session_id = uuid.uuid4().hex  # turns restart at 0 in every shell; keys must not
        self.person = person
        self.pending: Outbound | None = None
        self.last_form: Form | None = None
        self.pending_for: dict[int, Outbound] = {}
        self.sender = OutboxSender(database, {Platform.SHELL: ConsoleTransport(database, self)}, clock)
        self.runner = asyncio.Runner()

    @property
    def person_id(self) -> int | None:
        return self.person.id

    def print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def show(self, message: Outbound, *, recipient_id: int | None = None) -> None:
        """Print a message; its buttons or form wait for whoever it was for (``/as`` picks them up)."""
        if message.kind == FORM_ERRORS:
            for field_id, problem in message.data["errors"].items():
                self.print(f"{field_id}: {self.words.render(message.data['template'], problem).text}")
            if self.last_form is not None:
                self.pending = Outbound("form_retry", form=self.last_form)
            return
        self.print(render_text(self.words, message))
        if message.choices or message.form:
            if recipient_id in (None, self.person_id):
                self.pending = message
            else:
                self.pending_for[recipient_id] = message

    def run(self, lines: Iterable[str]) -> None:
        """Read until end of input or ``/quit``; ``lines`` is stdin in real use and a list in tests."""
        self.print(f"Cadence shell · {self.workspace.name} · you are {self.person.display_name}. {SHELL_META_HELP}")
        self.deliver()
        iterator = iter(lines)
        try:
            while True:
                line = self.read(iterator)
                if line is None or line.strip() in ("/quit", "/exit"):
                    break
                self.handle_line(line.strip(), iterator)
        finally:
            self.runner.close()
        self.print("Bye.")

    def read(self, lines: Iterator[str], label: str | None = None) -> str | None:
        if self.prompt:
            self.out.write(f"{label or self.person.email}> ")
            self.out.flush()
        line = next(lines, None)
        return None if line is None else line.rstrip("\n")

    def handle_line(self, line: str, lines: Iterator[str]) -> None:
        if not line:
            return
        if line.startswith("/as"):
            self.switch_person(line.removeprefix("/as").strip())
        elif line.startswith("/time"):
            self.move_clock(line.removeprefix("/time").strip())
        elif self.pending is not None and self.pending.choices and pick(self.pending.choices, line):
            choice = pick(self.pending.choices, line)
            assert choice is not None
            self.pending = None
            self.dispatch(choice=choice.value)
        elif line.startswith("/"):
            command, _, arguments = line[1:].partition(" ")
            self.dispatch(command=command, text=arguments.strip(), mentions=self.mentions_in(arguments))
        else:
            self.dispatch(text=line, mentions=self.mentions_in(line))
        while self.pending is not None and self.pending.form is not None:
            form = self.last_form = self.pending.form
            self.pending = None
            values = self.fill(form, lines)
            if values is None:
                return
            self.dispatch(form_id=form.id, form=values)

    def inbound(self, **fields: Any) -> Inbound:
        return Inbound(
            platform=Platform.SHELL,
            workspace=self.workspace.external_id or str(self.workspace_id),
            user=self.person.email or "",
            conversation=f"dm:{self.person.email}",
            **fields,
        )

    def dispatch(self, **fields: Any) -> None:
        self.turn += 1
        with self.database.session_scope() as session:
            engine_for(session, self.workspace, self.flows, ShellChannel(self, session)).handle(
                self.inbound(**fields), self.clock()
            )
        self.deliver()

    def fill(self, form: Form, lines: Iterator[str]) -> dict[str, Any] | None:
        """Ask each field in turn; returns None when input ends before the form is complete."""
        values: dict[str, Any] = {}
        for field in form.fields:
            while True:
                self.print(self.describe(field))
                answer = self.read(lines, label=field.id)
                if answer is None:
                    return None
                ok, value = self.parse_field(field, answer.strip())
                if ok:
                    values[field.id] = value
                    break
                self.print(value)
        return values

    @staticmethod
    def describe(field: FormField) -> str:
        if field.initial not in (None, "", []):
            shown = ", ".join(map(str, field.initial)) if isinstance(field.initial, list) else field.initial
            marker = f" (press Enter to keep {shown})"
        else:
            marker = " (required)" if field.required else " (optional, press Enter to skip)"
        text = f"{field.label}{marker}"
        if field.options:
            many = " (several: 1,3)" if field.kind is FieldKind.MULTIPLE_CHOICE else ""
            text += f"\n  {numbered(field.options)}{many}"
        if field.hint:
            text += f"\n  {field.hint}"
        return text

    def parse_field(self, field: FormField, answer: str) -> tuple[bool, Any]:
        """Shell-side reading of one field; the flow still validates the values it receives."""
        if not answer and field.initial not in (None, "", []):
            return True, field.initial
        if not answer:
            return (not field.required, None) if not field.required else (False, "This one is required.")
        if field.kind is FieldKind.SINGLE_CHOICE:
            choice = pick(field.options, answer)
            return (True, choice.value) if choice else (False, "Pick one of the numbers shown, for example 1.")
        if field.kind is FieldKind.PEOPLE:
            return True, [self.email_for(handle.lstrip("@")) for handle in answer.replace(",", " ").split()]
        if field.kind is FieldKind.MULTIPLE_CHOICE:
            picked = [pick(field.options, part) for part in answer.split(",")]
            if any(choice is None for choice in picked):
                return False, "Pick numbers from the list, separated by commas, for example 1,3."
            return True, [choice.value for choice in picked if choice]
        return True, answer

    def mentions_in(self, text: str) -> tuple[str, ...]:
        """``@priya``, ``@priya.nair`` or ``@priya.nair@demo.example``: the shell's mentions, as emails."""
        return tuple(self.email_for(match.group(1)) for match in MENTION.finditer(text))

    def email_for(self, handle: str) -> str:
        """The email of the one person a handle names (email, its local part, or first name); else the handle."""
        with self.database.session_scope() as session:
            everyone = [person for person in people.all_in(session, self.workspace_id) if person.email]
        handle = handle.lower().rstrip(".")
        for matches in (
            lambda person: person.email.lower() == handle,
            lambda person: person.email.lower().split("@")[0] == handle,
            lambda person: person.display_name.lower().split()[0] == handle,
        ):
            found = [person for person in everyone if matches(person)]
            if len(found) == 1:
                return found[0].email
        return handle

    def switch_person(self, email: str) -> None:
        with self.database.session_scope() as session:
            person = people.by_email(session, self.workspace_id, email)
        if person is None:
            self.print(f"Nobody with the email {email!r} here; try /as followed by an email from `cadence org show`.")
            return
        if self.pending is not None and self.person.id is not None:
            self.pending_for[self.person.id] = self.pending
        self.person = person
        self.pending = self.pending_for.pop(person.id, None) if person.id is not None else None
        self.print(f"You are now {person.display_name} ({person.timezone}).")
        self.deliver()

    def move_clock(self, text: str) -> None:
        try:
            instant = datetime.fromisoformat(text)
        except ValueError:
            self.print(f"{text!r} is not a date and time; write it like /time 2026-12-04T10:00")
            return
        zone = ZoneInfo(self.person.timezone)
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=zone)
        self.clock.jump_to(instant)
        local = instant.astimezone(zone)
        self.print(f"Clock set to {local:%a %Y-%m-%d %H:%M} {self.person.timezone}.")
        report = self.runner.run(run_tick(self.database, self.sender, self.clock(), self.producers))
        if report.delivery.handled == 0:
            self.print("(nothing was due)")

    def deliver(self) -> None:
        self.runner.run(self.sender.drain())

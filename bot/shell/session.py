"""``cadence shell``: talk to Cadence in a terminal, as any person, at any time.

The shell is a third platform next to Slack and Teams: typed lines go to the same engine (which
reads commands such as ``kudos @sam for …`` itself), and ``Outbound`` messages are printed as
text. Messages Cadence sends on its own (prompts, reminders, notes to managers) go through the
outbox like on any platform and are printed when delivered.

Buttons are numbered: a number (or a button's caption) presses a button of the latest message
you were shown; an earlier message's button is pressed by typing its caption. Forms are asked
field by field, and ``back``, ``skip``, ``cancel`` and ``help`` work in them as in a conversation.
Shell-only commands:

- ``/as priya`` (an email, ``priya.nair`` or a first name): speak as someone else; ``/as`` alone
  lists who is here;
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
from bot.request_runner import RequestRunner
from bot.shell.console import ConsoleTransport
from bot.shell.render import numbered, pick, render_text
from bot.tick import Producer, run_tick
from conversations.commands import typed_handles
from conversations.flow import Flow
from conversations.messages import (
    PICKED,
    Actor,
    Choice,
    ChoiceSet,
    FieldKind,
    Form,
    FormField,
    Inbound,
    Outbound,
    Platform,
)
from conversations.numbers import parse_number
from conversations.steering import Steer, steering_word
from conversations.words import Words
from storage import people
from storage.database import Database
from storage.models import Person, Workspace

QUIT = frozenset({"/quit", "/exit"})
SHELL_COMMANDS = ("/as", "/time")
SHELL_META_HELP = (
    "Type what you would type to the bot (help to start); press a button by its number. "
    "Shell commands: /as priya to switch person (/as alone lists everyone), "
    "/time 2026-12-04T10:00 to move the clock, /quit to leave."
)
FORM_HELP = (
    "Answer each field in turn. Say back for the previous field, skip to leave out an optional one, "
    "cancel to close the form without sending it, /quit to leave the shell."
)
MIN_YEAR, MAX_YEAR = 2000, 2999  # beyond these, week and date arithmetic runs off the calendar
EARLIER_MESSAGES = 50  # how many earlier messages' buttons stay pressable, per person


class ShellClock:
    """Real time shifted by whatever ``/time`` asked for."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._real_now = now
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return self._real_now() + self.offset

    def jump_to(self, instant: datetime) -> None:
        self.offset = instant - self._real_now()


class ShellSide:
    """The shell's side of running a request: one organisation, and nothing to keep for later (the
    shell reaches everyone by email, at the keyboard)."""

    platform = Platform.SHELL

    def __init__(self, workspace_id: int) -> None:
        self.workspace_id = workspace_id

    def organisation(self, session: Session, inbound: Inbound) -> Workspace:
        workspace = session.get(Workspace, self.workspace_id)
        assert workspace is not None
        return workspace

    def remember(self, session: Session, workspace_id: int, actor: Actor, inbound: Inbound) -> None:
        """Nothing: a shell message to someone is printed, headed with their name."""


class LeaveShell(Exception):
    """``/quit`` typed somewhere deeper than the main loop (inside a form)."""


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
        self.session_id = uuid.uuid4().hex
        self.person = person
        self.latest: dict[int, Outbound] = {}  # the last message each person was shown
        self.earlier: dict[int, list[Outbound]] = {}  # messages with buttons each person was shown, oldest first
        self.pending_form: Form | None = None
        self.form_errors: Outbound | None = None
        self.pushed_back: str | None = None  # a shell command typed inside a form, run once the form is closed
        # one at a time, so messages print in the order they were written
        self.sender = OutboxSender(
            database, {Platform.SHELL: ConsoleTransport(database, self, clock=clock)}, clock, concurrency=1
        )
        self.requests = RequestRunner(database, self.flows, self.sender, clock, serving={Platform.SHELL})
        self.side = ShellSide(workspace.id)
        self.runner = asyncio.Runner()

    @property
    def person_id(self) -> int | None:
        return self.person.id

    def print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def show(self, message: Outbound, *, recipient_id: int | None = None) -> None:
        """Print a message; its buttons stay pressable by whoever it was for (``/as`` picks them up)."""
        self.print(render_text(self.words, message))
        person_id = recipient_id if recipient_id is not None else self.person_id
        assert person_id is not None
        self.latest[person_id] = message
        if message.choices:
            shown = self.earlier.setdefault(person_id, [])
            shown.append(message)
            del shown[:-EARLIER_MESSAGES]

    def run(self, lines: Iterable[str]) -> None:
        """Read until end of input or ``/quit``; ``lines`` is stdin in real use and a list in tests."""
        self.print(f"Cadence shell · {self.workspace.name} · you are {self.person.display_name}. {SHELL_META_HELP}")
        self.deliver()
        iterator = iter(lines)
        try:
            while True:
                line = self.read(iterator)
                if line is None or line.strip() in QUIT:
                    break
                self.handle_line(line.strip(), iterator)
        except LeaveShell:
            pass
        finally:
            self.runner.close()
        self.print("Bye.")

    def read(self, lines: Iterator[str], label: str | None = None) -> str | None:
        if self.pushed_back is not None:
            line, self.pushed_back = self.pushed_back, None
            return line
        if self.prompt:
            self.out.write(f"{label or self.person.email}> ")
            self.out.flush()
        line = next(lines, None)
        return None if line is None else line.rstrip("\n")

    def handle_line(self, line: str, lines: Iterator[str]) -> None:
        if not line:
            return
        command, _, argument = line.partition(" ")
        if command == "/as":
            self.switch_person(argument.strip())
        elif command == "/time":
            self.move_clock(argument.strip())
        elif (choice := self.button_for(line)) is not None:
            self.dispatch(choice=choice.value)
        elif (ticked := self.ticked_in(line)) is not None:
            choice_set, picked = ticked
            self.dispatch(choice=choice_set.id, form={PICKED: picked})
        else:
            self.dispatch(text=line, mentions=self.mentions_in(line))
        while self.pending_form is not None:
            form, self.pending_form = self.pending_form, None
            self.complete_form(form, lines)

    def button_for(self, line: str) -> Choice | None:
        """The button a typed line presses: one of the latest message's, by number or caption, or an
        earlier message's by its caption (newest first). A number under a message without buttons is
        an answer, never a press of some older button."""
        person_id = self.person_id
        assert person_id is not None
        latest = self.latest.get(person_id)
        if latest is not None and latest.choices:
            choice = pick(latest.choices, line)
            if choice is not None:
                return choice
        caption = line.strip().lower()
        for message in reversed(self.earlier.get(person_id, [])):
            for choice in message.choices:
                if choice.label.lower() == caption and not choice.answer:  # a typed "Fix" is an answer here
                    return choice
        return None

    def ticked_in(self, line: str) -> tuple[ChoiceSet, list[str]] | None:
        """Numbers typed with commas (``1, 3``) under the latest message's checkbox set: those options
        ticked and sent, as a platform with checkboxes sends them; None for anything else."""
        person_id = self.person_id
        latest = self.latest.get(person_id) if person_id is not None else None
        if latest is None or latest.choice_set is None:
            return None
        options = latest.choice_set.options
        parts = [part.strip() for part in line.replace(" and ", ",").split(",") if part.strip()]
        if not parts or not all(part.isdigit() and 1 <= int(part) <= len(options) for part in parts):
            return None
        return latest.choice_set, [options[int(part) - 1].value for part in dict.fromkeys(parts)]

    def inbound(self, **fields: Any) -> Inbound:
        return Inbound(
            platform=Platform.SHELL,
            workspace=str(self.workspace_id),
            user=self.person.email or "",
            conversation=f"dm:{self.person.email}",
            **fields,
        )

    def dispatch(self, **fields: Any) -> None:
        """One request through the same runner as every platform's: its replies come back through the
        outbox (printed as they are delivered), its forms are asked here."""
        self.turn += 1
        key = f"shell:{self.session_id}:{self.turn}"  # turns restart at 0 in every shell; keys must not
        handled = self.requests.handle(self.side, self.inbound(**fields), key, now=self.clock())
        self.deliver()
        if handled.form_errors is not None:
            self.form_errors = handled.form_errors
        if handled.forms:
            self.show(handled.forms[0])
            self.pending_form = handled.forms[0].form

    def complete_form(self, form: Form, lines: Iterator[str]) -> None:
        """Fill a form and send it; when the flow finds problems, ask again only the fields they are in."""
        values: dict[str, Any] = {}
        fields = list(form.fields)
        problems: dict[str, str] = {}
        while True:
            filled = self.fill(fields, values, problems, lines)
            if filled is None:
                return
            values = filled
            self.form_errors = None
            self.dispatch(form_id=form.id, form=values)
            if self.form_errors is None:
                return
            errors = self.form_errors.data["errors"]
            problems = {
                field_id: self.words.render(self.form_errors.data["template"], problem).text
                for field_id, problem in errors.items()
            }
            self.print(f"Please fix {'this field' if len(problems) == 1 else 'these fields'}; the rest is kept.")
            fields = [field for field in form.fields if field.id in problems]

    def fill(
        self,
        fields: Sequence[FormField],
        known: dict[str, Any],
        problems: dict[str, str],
        lines: Iterator[str],
    ) -> dict[str, Any] | None:
        """Ask each field in turn, honouring back, skip, cancel and help; None when the form is left."""
        values = dict(known)
        index = 0
        while index < len(fields):
            field = fields[index]
            if field.id in problems:
                self.print(problems[field.id])
            self.print(self.describe(field))
            answer = self.read(lines, label=field.id)
            if answer is None:
                return None
            answer = answer.strip()
            if answer in QUIT:
                raise LeaveShell
            if answer.split(" ", 1)[0] in SHELL_COMMANDS:
                self.print("Form closed; nothing was sent.")
                self.pushed_back = answer
                return None
            steer = steering_word(answer)
            if steer is Steer.HELP:
                self.print(FORM_HELP)
                continue
            if steer is Steer.CANCEL:
                self.print("Form closed; nothing was sent.")
                return None
            if steer is Steer.BACK:
                if index == 0:
                    self.print("This is the first field.")
                index = max(index - 1, 0)
                continue
            if steer is Steer.SKIP:
                if field.required:
                    self.print("This one is required, so it can't be skipped.")
                    continue
                values[field.id] = None
                index += 1
                continue
            ok, value = self.parse_field(field, answer)
            if not ok:
                self.print(value)
                continue
            values[field.id] = value
            problems.pop(field.id, None)
            index += 1
        return values

    @staticmethod
    def describe(field: FormField) -> str:
        if field.initial not in (None, "", []):
            initial = field.initial if isinstance(field.initial, list) else [field.initial]
            captions = {choice.value: choice.label for choice in field.options}  # an option reads as its caption
            shown = ", ".join(captions.get(str(value), str(value)) for value in initial)
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
            return True, [self.email_for(handle) for handle in answer.replace(",", " ").split()]
        if field.kind is FieldKind.MULTIPLE_CHOICE:
            picked = [pick(field.options, part) for part in answer.split(",")]
            if any(choice is None for choice in picked):
                return False, "Pick numbers from the list, separated by commas, for example 1,3."
            return True, [choice.value for choice in picked if choice]
        if field.kind is FieldKind.NUMBER and parse_number(answer) is None and not re.match(r"^[+-]?[\d.,]", answer):
            return False, f'"{answer}" isn\'t a number; type digits, for example 42.'
        return True, answer

    def mentions_in(self, text: str) -> tuple[str, ...]:
        """``@priya``, ``@priya.nair``, ``@priya.nair@demo.example`` or a bare email: the shell's
        mentions, as the emails that identify people here."""
        return tuple(self.email_for(handle) for handle in typed_handles(text))

    def email_for(self, handle: str) -> str:
        """The email of the one person a handle names (email, its local part, first name); else the handle."""
        with self.database.session_scope() as session:
            person = people.by_handle(session, self.workspace_id, handle)
            return person.email if person is not None and person.email else handle.lstrip("@").rstrip(".,;:!?")

    def switch_person(self, handle: str) -> None:
        with self.database.session_scope() as session:
            if not handle:
                self.print(self.people_list(people.all_in(session, self.workspace_id)))
                return
            person = people.by_handle(session, self.workspace_id, handle)
        if person is None:
            self.print(f"Nobody here goes by {handle!r}; type /as alone to see everyone, then /as with an email.")
            return
        self.person = person
        self.print(f"You are now {person.display_name} ({person.timezone}).")
        self.deliver()

    @staticmethod
    def people_list(everyone: Sequence[Person]) -> str:
        rows = [
            f"  {person.email}  {person.display_name} · {person.role.value} · {person.timezone}"
            for person in everyone
            if person.active and person.email
        ]
        return "\n".join(
            ["Who do you want to be? Type /as with an email or a first name, for example /as priya:", *rows]
        )

    def move_clock(self, text: str) -> None:
        try:
            instant = datetime.fromisoformat(text)
        except ValueError:
            self.print(f"{text!r} is not a date and time; write it like /time 2026-12-04T10:00")
            return
        zone = ZoneInfo(self.person.timezone)
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=zone)
        if not MIN_YEAR <= instant.year <= MAX_YEAR:
            self.print(
                f"{text!r} is too far from today to run the scheduler at; pick a time between {MIN_YEAR} and {MAX_YEAR}"
            )
            return
        self.clock.jump_to(instant)
        local = instant.astimezone(zone)
        self.print(f"Clock set to {local:%a %Y-%m-%d %H:%M} {self.person.timezone}.")
        report = self.runner.run(run_tick(self.database, self.sender, self.clock(), self.producers))
        if report.delivery.handled == 0:
            self.print("(nothing was due)")
        if self.workspace.name in report.unserved:
            self.print(
                f"{self.workspace.name} isn't on the shell: its check-ins and digests go out on its own "
                "platform, so /time only moves the clock here (`cadence shell --demo` tries them)"
            )

    def deliver(self) -> None:
        self.runner.run(self.sender.drain())

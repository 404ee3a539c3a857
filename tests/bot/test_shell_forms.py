"""Choices and forms in the shell: numbered options, then one prompt per field."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

from bot.shell.session import ShellClock, ShellSession
from conversations.flow import Flow, State, StepResult
from conversations.messages import PICKED, Choice, ChoiceSet, FieldKind, Form, FormField, Inbound, Outbound, Platform
from conversations.words import PlainDialect, Words
from storage.connections import new_organisation
from storage.database import Database
from storage.models import Person
from tests.bot.test_shell import transcript

NOW = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)


class SurveyFlow:
    name: ClassVar[str] = "survey"
    commands: ClassVar[tuple[str, ...]] = ("survey",)
    keywords: ClassVar[tuple[str, ...]] = ()

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        if inbound.choice == "survey.form":
            form = Form(
                id="survey.answers",
                title="Survey",
                fields=(
                    FormField(
                        "mood",
                        "Mood",
                        FieldKind.SINGLE_CHOICE,
                        required=True,
                        options=(Choice("Good", "4"), Choice("Bad", "2")),
                    ),
                    FormField(
                        "tags",
                        "Tags",
                        FieldKind.MULTIPLE_CHOICE,
                        options=(Choice("a", "a"), Choice("b", "b"), Choice("c", "c")),
                    ),
                    FormField("note", "Note"),
                ),
            )
            return StepResult(outbound=(Outbound("probe", {"text": "Fill it in"}, form=form),))
        if inbound.form_id == "survey.answers":
            return StepResult(outbound=(Outbound("probe", {"text": f"got {dict(inbound.form)}"}),))
        return StepResult(
            outbound=(
                Outbound(
                    "probe",
                    {"text": "Pick one"},
                    choices=(Choice("Form", "survey.form"), Choice("Later", "survey.later")),
                ),
            )
        )


AREAS = {
    "id": "areas",
    "kind": "multiple_choice",
    "text": "Which areas did you work on?",
    "required": True,
    "options": ["Docs", "Tests", "Reviews"],
}


class AreasFlow:
    """Asks a multiple-choice check-in question with its choice set, and says back what came back."""

    name: ClassVar[str] = "areas"
    commands: ClassVar[tuple[str, ...]] = ("areas",)
    keywords: ClassVar[tuple[str, ...]] = ()

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        if state is not None:
            picked = ",".join((inbound.form or {}).get(PICKED) or [])
            said = f"ticked {picked} with {inbound.choice}" if inbound.choice else f"typed {inbound.text}"
            return StepResult(None, (Outbound("probe", {"text": said}),))
        picks = tuple(Choice(option, str(index)) for index, option in enumerate(AREAS["options"]))
        question = Outbound(
            "checkin_question",
            {"question": AREAS, "number": 2, "count": 3, "current": None, "editing": False, "buttons": True},
            choice_set=ChoiceSet("areas.answer:areas", picks),
        )
        return StepResult(State("areas", "asking", {}), (question,))


def run_shell(database: Database, tmp_path: Path, lines: str, flow: Flow | None = None) -> str:
    (tmp_path / "probe.j2").write_text("{% block body %}{{ text }}{% endblock %}")
    with database.session_scope() as session:
        workspace = new_organisation(session, "Acme", Platform.SHELL, "acme")
        person = Person(workspace_id=workspace.id, email="ada@acme.test", display_name="Ada")
        session.add(person)
    out = io.StringIO()
    shell = ShellSession(
        database,
        workspace,
        person,
        (flow or SurveyFlow(),),
        Words(PlainDialect(), [tmp_path]),
        ShellClock(lambda: NOW),
        (),
        out,
    )
    shell.run(io.StringIO(lines))
    return out.getvalue()


def test_choices_are_numbered_and_a_form_is_asked_field_by_field(database: Database, tmp_path: Path) -> None:
    output = run_shell(database, tmp_path, "/survey\n1\n\n7\nGood\n1,3\nall fine\n")
    transcript(
        output,
        "Pick one\n[1] Form  [2] Later",
        "[form: Survey: answer each field below]",
        "Mood (required)\n  [1] Good  [2] Bad",
        "This one is required.",
        "Pick one of the numbers shown, for example 1.",
        "Tags (optional, press Enter to skip)\n  [1] a  [2] b  [3] c (several: 1,3)",
        "Note (optional",
        "got {'mood': '4', 'tags': ['a', 'c'], 'note': 'all fine'}",
    )


def test_a_choice_can_be_picked_by_its_label(database: Database, tmp_path: Path) -> None:
    output = run_shell(database, tmp_path, "/survey\nform\nbad\n\n\n")
    assert "got {'mood': '2', 'tags': None, 'note': None}" in output


def test_input_ending_inside_a_form_sends_nothing(database: Database, tmp_path: Path) -> None:
    output = run_shell(database, tmp_path, "/survey\n1\n1\n")
    assert "got" not in output and output.rstrip().endswith("Bye.")


def test_a_choice_set_is_listed_once_with_its_numbers_to_type_with_commas(database: Database, tmp_path: Path) -> None:
    output = run_shell(database, tmp_path, "/areas\n1, 3\n", AreasFlow())
    transcript(
        output,
        "2/3 Which areas did you work on?\n1) Docs   2) Tests   3) Reviews\n"
        "(type the numbers of all that apply, with commas, like 1, 3)",
        "ticked 0,2 with areas.answer:areas",  # sent as a platform with checkboxes sends them
    )


def test_numbers_outside_a_choice_set_are_typed_text(database: Database, tmp_path: Path) -> None:
    output = run_shell(database, tmp_path, "/areas\n1, 7\n", AreasFlow())
    transcript(output, "typed 1, 7")
    assert output.count("Docs") == 1 and "[1]" not in output, "the shell adds no second list of the options"

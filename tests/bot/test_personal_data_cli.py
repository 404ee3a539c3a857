"""``cadence export`` and ``cadence forget`` at the command line, against a person in every table:
the JSON on stdout or in a file, the erasure only once the email is typed again (or ``--yes``), and
every failure one line with nothing half done."""

from __future__ import annotations

import io
import json
from pathlib import Path

from sqlmodel import select

from storage.database import Database
from storage.models import AuditAction, AuditEvent, Person
from tests.bot.cli_helpers import Cadence
from tests.storage import personal_data_world as world

EMAIL = "quilla@acme.example"


class Terminal(io.StringIO):
    """What a person types at a terminal: input that says it is one."""

    def isatty(self) -> bool:
        return True


def populate(cadence: Cadence) -> int:
    with Database(cadence.database_url).session_scope() as session:
        return world.build(session).quilla.id


def audit_entries(cadence: Cadence) -> list[AuditEvent]:
    with Database(cadence.database_url).session_scope() as session:
        entries = list(
            session.exec(select(AuditEvent).where(AuditEvent.action.in_([AuditAction.EXPORTED, AuditAction.ERASED])))
        )
        session.expunge_all()
        return [entry for entry in entries if entry.actor.startswith("cli (")]


def person(cadence: Cadence, person_id: int) -> Person:
    with Database(cadence.database_url).session_scope() as session:
        found = session.get(Person, person_id)
        session.expunge_all()
        return found


def test_export_prints_her_data_as_json_or_writes_it_to_a_file_and_the_audit_log_says_so(
    cadence: Cadence, tmp_path: Path
) -> None:
    populate(cadence)
    printed = cadence("export", "--person", EMAIL)
    assert printed.code == 0, printed.err
    document = json.loads(printed.out)
    assert document["person"]["email"] == EMAIL and document["format"] == "cadence-personal-data"
    assert document["kudos_given"][0]["message"] == "zqx for pairing on the outage"

    out = tmp_path / "quilla.json"
    written = cadence("export", "--person", EMAIL.upper(), "--out", out)
    assert written.code == 0 and written.out == ""
    assert written.err == f"cadence: wrote everything held about Quilla Marchbanks to {out}\n"
    assert json.loads(out.read_text())["person"]["display_name"] == "Quilla Marchbanks"
    assert [entry.details for entry in audit_entries(cadence)] == [{"delivery": "stdout"}, {"delivery": "file"}]


def test_export_fails_in_one_line_and_records_nothing_when_it_cant_be_done(cadence: Cadence, tmp_path: Path) -> None:
    populate(cadence)
    unknown = cadence("export", "--person", "nobody@acme.example")
    assert (unknown.code, unknown.err) == (
        1,
        "cadence: no person 'nobody@acme.example' in Acme; see `cadence org show` for emails\n",
    )
    unwritable = cadence("export", "--person", EMAIL, "--out", tmp_path / "missing" / "quilla.json")
    assert unwritable.code == 1 and unwritable.err.count("\n") == 1
    assert unwritable.err.startswith(f"cadence: {tmp_path / 'missing' / 'quilla.json'}: can't write it")
    assert audit_entries(cadence) == []
    missing = cadence("export")
    assert missing.code == 2 and "--person" in missing.err


def test_forget_asks_for_the_email_again_and_erases_only_once_it_matches(cadence: Cadence) -> None:
    quilla_id = populate(cadence)
    piped = cadence("forget", EMAIL)
    assert piped.code == 1
    assert piped.err == (
        "cadence: forget erases Quilla Marchbanks for good; run it in a terminal to confirm, "
        f"or add --yes: cadence forget {EMAIL} --yes\n"
    )
    mistyped = run_at_terminal(cadence, ["forget", EMAIL], "quila@acme.example\n")
    assert mistyped.code == 1 and mistyped.err == "cadence: that isn't their email; nothing was erased\n"
    assert "Erase Quilla Marchbanks?" in mistyped.out
    assert "2 check-ins, 1 stretch of time off, 1 kudos message given, 1 kudos message received" in mistyped.out
    assert f"Type {EMAIL} again to erase them: " in mistyped.out
    assert person(cadence, quilla_id).email == EMAIL, "nothing erased"

    confirmed = run_at_terminal(cadence, ["forget", EMAIL], f"{EMAIL}\n")
    assert confirmed.code == 0, confirmed.err
    assert f"They count as Erased person {quilla_id} from now on" in confirmed.out
    assert "Take them out of the org file too" in confirmed.out
    erased = person(cadence, quilla_id)
    assert (erased.email, erased.display_name, erased.active) == (None, f"Erased person {quilla_id}", False)
    [entry] = [entry for entry in audit_entries(cadence) if entry.action is AuditAction.ERASED]
    assert entry.subject_id == quilla_id and "quilla" not in json.dumps(entry.details).lower()
    again = cadence("forget", EMAIL, "--yes")
    assert again.code == 1 and again.err.startswith(f"cadence: no person '{EMAIL}' in Acme")


def test_forget_with_yes_erases_without_asking(cadence: Cadence) -> None:
    quilla_id = populate(cadence)
    result = cadence("forget", EMAIL, "--yes")
    assert result.code == 0, result.err
    assert result.out.startswith("Erased 2 check-ins, 1 stretch of time off")
    assert person(cadence, quilla_id).erased_at is not None


def run_at_terminal(cadence: Cadence, argv: list[str], typed: str):
    from bot.cli import main
    from tests.bot.cli_helpers import Result

    out, err = io.StringIO(), io.StringIO()
    code = main(["--database-url", cadence.database_url, *argv], out=out, err=err, stdin=Terminal(typed))
    return Result(code, out.getvalue(), err.getvalue())

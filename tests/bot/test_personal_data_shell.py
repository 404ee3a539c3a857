"""``export`` and ``forget`` in the shell, as people type them: Sam's own data saved beside him, his
erasure of someone refused naming the admin; Ada, the admin, exports Quilla's (without Quilla's
private note, which is hers alone), keeps everything once, then erases her."""

from __future__ import annotations

import json
from pathlib import Path

from storage.database import Database
from tests.bot.cli_helpers import Cadence
from tests.bot.test_shell import transcript
from tests.storage import personal_data_world as world


def test_export_saves_the_file_and_forget_asks_an_admin_before_erasing(cadence: Cadence, tmp_path: Path) -> None:
    with Database(cadence.database_url).session_scope() as session:
        quilla_id = world.build(session).quilla.id
    lines = [
        "export",
        "forget @quilla",
        "/as ada@acme.example",
        "export @quilla",
        "forget @quilla",
        "2",
        "forget @quilla",
        "1",
        "export @quilla",
    ]
    result = cadence("shell", "--as", "sam@acme.example", stdin="\n".join(lines) + "\n")
    assert result.code == 0, result.err
    sams = tmp_path / "cadence-data-sam-2026-12-04.json"
    quillas = tmp_path / "cadence-data-quilla-2026-12-04.json"
    transcript(
        result.out,
        "Everything Cadence holds about you is on its way, as a JSON file in your chat with Cadence.",
        "Everything Cadence holds about you",
        f"Saved as {sams}",
        "Erasing someone's data is for admins; ask Ada Lovelace.",
        "You are now Ada Lovelace",
        "Everything Cadence holds about Quilla Marchbanks that you may read is on its way",
        "Left out, as the privacy rules don't let you read them: 1 × a private 1:1 note; 1 × feedback, shared with the "
        "recipient only; 4 × raw copies of what they said to Cadence",
        f"Saved as {quillas}",
        "Erase Quilla Marchbanks?",
        "2 check-ins, 1 stretch of time off, 1 kudos message given",
        "[1] Erase Quilla Marchbanks  [2] Keep everything",
        "Nothing erased; Quilla Marchbanks's data is as it was.",
        "Erase Quilla Marchbanks?",
        "Erased 2 check-ins, 1 stretch of time off",
        f"They count as Erased person {quilla_id} from now on",
        "I don't know quilla in Cadence; name someone in your organisation, for example export @sam.",
    )
    assert json.loads(sams.read_text())["person"]["email"] == "sam@acme.example"
    exported = quillas.read_text()
    assert "zqx shipped the billing importer" in exported and "zqx I want to ask for a raise" not in exported

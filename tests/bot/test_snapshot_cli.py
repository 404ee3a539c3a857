"""``cadence snapshot``: a person's quarter as Markdown (with its chart), JSON or PDF, and one
sentence for a period that is unknown, still to come, or has nothing in it."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from storage.database import Database
from tests.bot.cli_helpers import Cadence
from tests.storage.test_snapshots import seed_quarter

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHART_SIZE = (640, 440)  # bot.charts: 6.4 x 4.4 inches at 100 dpi


@pytest.fixture
def seeded(cadence: Cadence, tmp_path: Path) -> Cadence:
    seed_quarter(Database(cadence.database_url))
    return cadence


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_SIGNATURE) and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_markdown_goes_to_the_terminal_with_the_chart_inside(seeded: Cadence) -> None:
    result = seeded("snapshot", "--person", "ravi@acme.test", "--period", "2026-Q4")
    assert result.code == 0, result.err
    assert result.out.startswith("# Ravi · 2026-Q4\n")
    assert "- G-7 Launch the importer: 100%, achieved, closed by Mira on 2026-12-18" in result.out
    assert "**Check-ins**: 2 of 3 answered (67%), 1 week missed; away 1 week, not counted" in result.out
    assert "> Your reviews teach\n— Gus" in result.out
    assert "- System design: Designs services others can run" in result.out
    assert "](data:image/png;base64," in result.out


def test_markdown_to_a_file_puts_the_chart_beside_it(seeded: Cadence, tmp_path: Path) -> None:
    out = tmp_path / "ravi.md"
    result = seeded("snapshot", "--person", "ravi@acme.test", "--period", "2026-Q4", "--out", out)
    assert result.code == 0, result.err
    assert "![Mood and goal progress by week](ravi.png)" in out.read_text()
    assert png_size((tmp_path / "ravi.png").read_bytes()) == CHART_SIZE


def test_json_has_the_figures_and_the_chart_data(seeded: Cadence) -> None:
    result = seeded("snapshot", "--person", "ravi@acme.test", "--period", "2026-Q4", "--format", "json")
    assert result.code == 0, result.err
    exported = json.loads(result.out)
    assert exported["snapshot"]["participation"]["rate"] == 67
    assert exported["chart"]["mood"][:2] == [4, 3]
    assert exported["chart"]["baseline"] == 2.0


def test_pdf_is_a_document_with_the_chart_on_the_page(seeded: Cadence, tmp_path: Path) -> None:
    out = tmp_path / "ravi.pdf"
    result = seeded("snapshot", "--person", "ravi@acme.test", "--period", "2026-Q4", "--format", "pdf", "--out", out)
    assert result.code == 0, result.err
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert b"/Subtype /Image" in data
    assert "wrote Ravi's 2026-Q4 snapshot" in result.err


@pytest.mark.parametrize(
    ("period", "said"),
    [
        ("Q4 2026", '"Q4 2026" is not a period; write a quarter like 2026-Q4'),
        ("2027-Q3", "2027-Q3 hasn't started yet; ask for a quarter that has, for example 2026-Q4"),
        ("2026-Q2", "Nothing to summarise for Ravi in 2026-Q2 yet."),
    ],
)
def test_a_period_that_cannot_be_summarised_is_one_sentence(seeded: Cadence, period: str, said: str) -> None:
    result = seeded("snapshot", "--person", "ravi@acme.test", "--period", period)
    assert result.code == 1 and result.out == ""
    assert said in result.err and "Traceback" not in result.err

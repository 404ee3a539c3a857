"""The digest's chart without Slack: written by `cadence digest preview --chart`, saved by the shell."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from storage.database import Database
from tests.bot.cli_helpers import Cadence
from tests.bot.test_charts import seed
from tests.bot.test_cli import assert_one_line_error
from tests.bot.test_digest_tick import ORG
from tests.bot.test_shell import transcript


def decodes(path: Path) -> tuple[int, int]:
    with Image.open(io.BytesIO(path.read_bytes())) as image:
        assert image.format == "PNG"
        return image.size


def test_digest_preview_writes_the_chart_and_says_where(cadence: Cadence, tmp_path: Path) -> None:
    seed(Database(cadence.database_url))
    result = cadence("digest", "preview", "--manager", "sam@acme.test", "--week", "2026-W49", "--chart", "sam.png")
    assert result.code == 0, result.err
    assert "Goals · average progress 70%" in result.out
    assert result.err.strip() == "cadence: chart of Platform · last 8 weeks saved to sam.png"
    assert decodes(tmp_path / "sam.png") == (640, 440)


def test_digest_preview_says_plainly_when_there_is_nothing_to_chart(cadence: Cadence, tmp_path: Path) -> None:
    (tmp_path / "org.csv").write_text(ORG)
    cadence("org", "import", tmp_path / "org.csv")
    from tests.bot.test_digest_tick import ask_for_a_checkin

    ask_for_a_checkin(Database(cadence.database_url), "ann@acme.test", "2026-W49")
    result = cadence("digest", "preview", "--manager", "mia@acme.test", "--week", "2026-W49", "--chart", "mia.png")
    assert result.code == 0 and "Missing: Ann" in result.out
    assert result.err.strip() == (
        "cadence: no chart: the team mood is hidden every week (fewer than 5 answers) and the team has no open goals, "
        "so mia.png was not written"
    )
    assert not (tmp_path / "mia.png").exists()


def test_a_chart_that_cannot_be_written_is_one_line(cadence: Cadence, tmp_path: Path) -> None:
    seed(Database(cadence.database_url))
    result = cadence(
        "digest", "preview", "--manager", "sam@acme.test", "--week", "2026-W49", "--chart", "no/such/dir.png"
    )
    assert_one_line_error(result, "no/such/dir.png: can't write it", "No such file or directory")


def test_the_shell_saves_a_delivered_chart_in_the_current_directory(cadence: Cadence, tmp_path: Path) -> None:
    seed(Database(cadence.database_url))
    result = cadence("shell", "--as", "sam@acme.test", stdin="/time 2026-12-07T09:00\n")
    saved = tmp_path / "cadence-chart-2026-W49-sam.png"
    transcript(
        result.out,
        "Clock set to Mon 2026-12-07 09:00 Europe/Berlin.",
        "Goals · average progress 70%",
        "Platform: team mood and goal progress over the last 8 weeks.",
        f"Chart saved as {saved}",
        "Bye.",
    )
    assert decodes(saved) == (640, 440)

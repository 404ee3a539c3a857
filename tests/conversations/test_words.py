from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
import pytest

from conversations.words import TEMPLATES_DIR, PlainDialect, Words
from tests.fixtures.sample_messages import SAMPLES


class AngleDialect(PlainDialect):
    """A dialect with visible markup, to see what is escaped and what is formatted."""

    def escape(self, text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    def bold(self, text: str) -> str:
        return f"<b>{text}</b>"

    def mention(self, person: Mapping[str, Any], platform_id: str | None) -> str:
        return f"<@{person['id']}>"


def test_values_are_escaped_by_the_dialect_but_dialect_markup_is_not(tmp_path: Path) -> None:
    (tmp_path / "probe.j2").write_text("{% block body %}{{ text }} {{ text | bold }} {{ who | mention }}{% endblock %}")
    words = Words(AngleDialect(), [tmp_path])
    rendered = words.render("probe", {"text": "<!channel> & co", "who": {"id": "U1"}})
    assert rendered.body == "&lt;!channel&gt; &amp; co <b>&lt;!channel&gt; &amp; co</b> <@U1>"


def test_a_missing_value_is_an_error_not_a_blank(tmp_path: Path) -> None:
    (tmp_path / "probe.j2").write_text("{% block body %}Hi {{ name }}{% endblock %}")
    with pytest.raises(jinja2.UndefinedError):
        Words(PlainDialect(), [tmp_path]).render("probe", {})


def test_title_and_body_are_rendered_separately() -> None:
    rendered = Words(PlainDialect()).render("help", {"name": "Ada", "is_manager": False, "is_admin": False})
    assert rendered.title == "Hi Ada, I'm Cadence."
    assert rendered.body.startswith("I replace the annual review")
    assert "For managers" not in rendered.body
    assert rendered.text.startswith("Hi Ada, I'm Cadence.\nI replace")


def test_an_override_directory_wins_over_the_shipped_template(tmp_path: Path) -> None:
    (tmp_path / "not_understood.j2").write_text("{% block body %}Pardon?{% endblock %}")
    assert Words(PlainDialect(), [tmp_path]).render("not_understood", {"text": "x"}).body == "Pardon?"


def test_every_shipped_template_has_a_body_block() -> None:
    words = Words(PlainDialect())
    for path in TEMPLATES_DIR.glob("[!_]*.j2"):
        template = words.environment.get_template(path.name)
        assert "body" in template.blocks, path.name


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_list_items_and_answers_each_start_their_own_line(kind: str) -> None:
    """Found in user testing: ``• Answered: Aroha• Skipped: Lukas`` and ``5 GreatCurrent answer``."""
    text = Words(PlainDialect()).render(kind, SAMPLES[kind]).text
    for marker in ("•", "Current answer", "↳"):
        for position in [index for index in range(len(text)) if text.startswith(marker, index)]:
            before = text[:position].rstrip(" ")
            assert before == "" or before.endswith("\n"), f"{marker!r} glued to the text before it in {kind}:\n{text}"


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_no_stray_decimals_or_zero_counts_in_what_people_read(kind: str) -> None:
    text = Words(PlainDialect()).render(kind, SAMPLES[kind]).text
    assert not re.search(r"\d\.0(?!\d)", text), f"a stray .0 in {kind}:\n{text}"
    assert "(s)" not in text and " 0 answers" not in text and "your 0 " not in text

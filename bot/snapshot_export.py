"""A quarterly snapshot as a file to keep: Markdown with its chart beside it, JSON, or a PDF with
the chart on the page. The words are the snapshot's own template, rendered in a dialect for each
format, so the file says exactly what the chat message says."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib
from fpdf import FPDF

from bot.charts import render_chart
from conversations.snapshot import SNAPSHOT, chart
from conversations.words import MarkdownDialect, Words

FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"  # DejaVu: a free font with most scripts' letters
PDF_FONT = "dejavu"
BULLET = "• "


def to_json(snapshot: Mapping[str, Any]) -> str:
    return json.dumps({"snapshot": snapshot, "chart": chart(snapshot)}, indent=2, ensure_ascii=False)


def to_markdown(snapshot: Mapping[str, Any], chart_link: str | None) -> str:
    """The snapshot as Markdown; ``chart_link`` is where its PNG is (a file beside it), or None to
    carry the chart inside the file as a data URI."""
    rendered = Words(MarkdownDialect()).render(SNAPSHOT, snapshot)
    body = "\n".join(
        "- " + line.removeprefix(BULLET) if line.startswith(BULLET) else line for line in rendered.body.splitlines()
    )
    if chart_link is None:
        chart_link = "data:image/png;base64," + base64.b64encode(render_chart(chart(snapshot))).decode()
    return f"# {rendered.title}\n\n{body}\n\n![Mood and goal progress by week]({chart_link})\n"


class PdfDialect(MarkdownDialect):
    """fpdf2's own small markup: ``**bold**``, and nothing else needs escaping but its markers."""

    def escape(self, text: str) -> str:
        return text.replace("**", "*\u200b*").replace("__", "_\u200b_").replace("--", "-\u200b-")

    def italic(self, text: str) -> str:
        return text

    def code(self, text: str) -> str:
        return text

    def command(self, text: str) -> str:
        return text


def to_pdf(snapshot: Mapping[str, Any]) -> bytes:
    rendered = Words(PdfDialect()).render(SNAPSHOT, snapshot)
    pdf = FPDF(format="A4")
    pdf.set_title(rendered.title)
    pdf.add_font(PDF_FONT, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(PDF_FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    pdf.set_font(PDF_FONT, "B", 16)
    pdf.multi_cell(0, 9, _printable(pdf, rendered.title))
    pdf.ln(2)
    pdf.set_font(PDF_FONT, "", 10.5)
    pdf.multi_cell(0, 5.6, _printable(pdf, rendered.body), markdown=True)
    pdf.ln(4)
    pdf.image(_png(snapshot), w=pdf.epw)
    return bytes(pdf.output())


def _png(snapshot: Mapping[str, Any]):
    import io

    return io.BytesIO(render_chart(chart(snapshot)))


def _printable(pdf: FPDF, text: str) -> str:
    """``text`` without the characters the font has no letter for (the status emoji): a PDF would
    show an empty box there."""
    known = pdf.fonts[PDF_FONT].cmap
    return "".join(char for char in text if char in "\n\t" or ord(char) in known).replace("  ", " ")

"""The fairness chart, read back from its figure: a bar per shown team as long as its share
without kudos, labelled with that share and its Gini, the organisation as a dashed line, and
hidden teams named; one rendering decodes as a PNG of the expected size."""

from __future__ import annotations

import io

import matplotlib.image
from PIL import Image

from bot.charts import CHARTS, fairness_chart_figure, render_fairness_chart
from conversations.fairness_view import FAIRNESS_CHART

CHART = {
    "period": "2026-Q4",
    "threshold": 5,
    "teams": [
        {"name": "Platform", "no_kudos_share": 66.7, "kudos_gini": 0.76},
        {"name": "Sales", "no_kudos_share": 0.0, "kudos_gini": 0.0},
    ],
    "organisation_no_kudos_share": 52.6,
    "hidden_teams": ["Design"],
}


def test_each_shown_team_is_a_bar_as_long_as_its_share_without_kudos() -> None:
    figure = fairness_chart_figure(CHART)
    assert figure.get_suptitle() == "Kudos spread by team · 2026-Q4"
    [axis] = figure.axes
    assert [label.get_text() for label in axis.get_yticklabels()] == ["Platform", "Sales"]
    assert [bar.get_width() for bar in axis.patches] == [66.7, 0.0]
    assert [text.get_text() for text in axis.texts] == ["67% · Gini 0.76", "0% · Gini 0"]


def test_the_organisation_is_a_line_to_compare_with_and_hidden_teams_are_named() -> None:
    figure = fairness_chart_figure(CHART)
    [axis] = figure.axes
    [line] = axis.lines
    assert list(line.get_xdata()) == [52.6, 52.6] and line.get_linestyle() == "--"
    assert [text.get_text() for text in axis.get_legend().get_texts()] == ["everyone: 53%"]
    assert figure._supxlabel.get_text() == "not shown, to keep groups under 5 people anonymous: Design"


def test_without_the_organisation_or_hidden_teams_there_is_no_line_and_no_note() -> None:
    figure = fairness_chart_figure({**CHART, "organisation_no_kudos_share": None, "hidden_teams": []})
    [axis] = figure.axes
    assert len(axis.lines) == 0 and axis.get_legend() is None and figure._supxlabel is None


def test_the_png_decodes_at_640_by_440() -> None:
    png = render_fairness_chart(CHART)
    with Image.open(io.BytesIO(png)) as image:
        assert (image.format, image.size) == ("PNG", (640, 440))
    pixels = matplotlib.image.imread(io.BytesIO(png), format="png")
    assert pixels.shape[:2] == (440, 640) and pixels.std() > 0, "not a blank picture"


def test_platforms_draw_it_and_name_its_file_by_period() -> None:
    drawing = CHARTS[FAIRNESS_CHART]
    assert drawing.file_stem(CHART) == "fairness-2026-Q4"
    assert drawing.render(CHART)[:8] == b"\x89PNG\r\n\x1a\n"

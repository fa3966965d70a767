"""The report renderers: the chart, the DOCX, the workbook, the Markdown and the dispatcher, on a middling site, a
hostile one and an empty one (tests/report_samples.py). Each format is opened with its own reader and checked for
what a reader of the report relies on."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from assistant.reports.chart import DPI, ROW_IN, WIDTH_IN, area_chart_png
from assistant.reports.model import AssessmentReport
from tests import report_samples as samples


@pytest.fixture(scope="module")
def middling() -> AssessmentReport:
    return samples.middling()


@pytest.fixture(scope="module")
def hostile() -> AssessmentReport:
    return samples.hostile()


# --- chart ------------------------------------------------------------------------------------------------------


def test_chart_is_a_png_of_fixed_size_with_no_metadata(middling: AssessmentReport) -> None:
    png = area_chart_png(middling)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == (int(WIDTH_IN * DPI), int((1.3 + ROW_IN * 5) * DPI))
    assert b"Software" not in png
    assert b"matplotlib" not in png.lower()
    assert not {k for k in image.info if k.lower() in {"software", "creation time", "date"}}


def test_chart_is_the_same_bytes_for_the_same_report_and_changes_with_it(middling: AssessmentReport) -> None:
    png = area_chart_png(middling)
    assert area_chart_png(samples.middling()) == png
    lower = middling.model_copy(deep=True)
    lower.areas[1].score = 1.5
    assert area_chart_png(lower) != png
    settled = middling.model_copy(deep=True)
    settled.areas[3].provisional = False
    assert area_chart_png(settled) != png  # the provisional bar is drawn differently


def test_a_provisional_bar_is_lighter_than_a_settled_one(middling: AssessmentReport) -> None:
    """Technical Excellence (4th) and Employee Engagement (5th) both score 3.00; only the first is provisional. A
    vertical line through every bar (at about score 1.1) crosses five bars; the 4th is the lighter."""
    image = Image.open(io.BytesIO(area_chart_png(middling))).convert("L")
    x = int(image.width * 0.45)
    column = [image.getpixel((x, y)) for y in range(image.height)]
    bars: list[list[int]] = []
    for y, value in enumerate(column):
        if value < 235:
            if bars and y - bars[-1][-1] == 1:
                bars[-1].append(y)
            else:
                bars.append([y])
    bars = [b for b in bars if len(b) > 20]  # bar bodies, not axis lines or hatch strokes
    assert len(bars) == 5
    darkness = [sum(255 - column[y] for y in b) / len(b) for b in bars]
    assert darkness[3] < 0.7 * darkness[4]
    assert all(d > 150 for i, d in enumerate(darkness) if i != 3)


def test_chart_draws_a_report_without_scores_or_areas(hostile: AssessmentReport) -> None:
    """Unscored areas, emoji, '$...$' and markup in names, and no areas at all: a PNG, and no warning (the test
    tier turns warnings into errors)."""
    for report in (hostile, samples.empty()):
        assert Image.open(io.BytesIO(area_chart_png(report))).format == "PNG"

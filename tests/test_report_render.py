"""The report renderers: the chart, the DOCX, the workbook, the Markdown and the dispatcher, on a middling site, a
hostile one and an empty one (tests/report_samples.py). Each format is opened with its own reader and checked for
what a reader of the report relies on."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime

import pytest
from docx import Document as open_docx
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.table import Table
from PIL import Image

from assistant.reports.chart import DPI, ROW_IN, WIDTH_IN, area_chart_png
from assistant.reports.docx import render_docx
from assistant.reports.format import SECTIONS
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


# --- DOCX -------------------------------------------------------------------------------------------------------


def _docx(report: AssessmentReport) -> DocxDocument:
    return open_docx(io.BytesIO(render_docx(report)))


def _headings(document: DocxDocument, level: int) -> list[str]:
    return [p.text for p in document.paragraphs if p.style is not None and p.style.name == f"Heading {level}"]


def _table(document: DocxDocument, header: list[str]) -> Table:
    found = [t for t in document.tables if [c.text for c in t.rows[0].cells] == header]
    assert len(found) == 1, f"{len(found)} tables with header {header}"
    return found[0]


def _all_text(document: DocxDocument) -> str:
    return "\n".join(t.text or "" for t in document.element.body.iter(qn("w:t")))


def test_docx_sections_are_heading_1_in_order(middling: AssessmentReport) -> None:
    document = _docx(middling)
    assert _headings(document, 1) == list(SECTIONS)
    assert [p.text for p in document.paragraphs if p.style is not None and p.style.name == "Title"] == [middling.title]
    assert _headings(document, 2)[:5] == [a.name for a in middling.areas]  # one per practice area
    assert "MC-01 Quality objectives" in _headings(document, 3)  # one per question in the appendix
    assert _headings(document, 4)[:2] == ["Management review looks ahead", "Cascade the quality objectives to teams"]


def test_docx_without_a_previous_assessment_has_no_change_section() -> None:
    document = _docx(samples.empty())
    assert _headings(document, 1) == [s for s in SECTIONS if s != "Change since the previous assessment"]
    text = _all_text(document)
    assert "No finding is recorded." in text
    assert "No question is in this report." in text
    assert not document.inline_shapes  # no areas: no chart


def test_docx_cover_and_summary_carry_the_facts(middling: AssessmentReport) -> None:
    text = _all_text(_docx(middling))
    for expected in (
        "Northfield Sterile Products, Building 4",
        "qmm-self-assessment@2",
        "A-7F3K2Q",
        "2027-01-11",
        "Ravi Menon (Head of quality assurance)",
        "Maria Chen",
        "2.77 (Developing)",
        "83%",
        "58%",
        "5 of 10 scored questions",
        middling.summary[1],
        middling.disclaimer,
        "never scored",
    ):
        assert expected in text, expected


def test_docx_marks_a_provisional_overall_with_its_note(hostile: AssessmentReport) -> None:
    text = _all_text(_docx(hostile))
    assert "not scored (provisional)" in text
    assert f"{samples.ARITH} {samples.SCRIPT}" in text  # the provisional note, as text


def test_docx_tables_have_a_repeating_header_row(middling: AssessmentReport) -> None:
    document = _docx(middling)
    gate = _table(document, ["Item", "Kind", "Answer", "Status", "Message"])
    assert [r.cells[3].text for r in gate.rows[1:]] == ["Passes", "Does not pass", "Not answered"]
    findings = _table(document, ["ID", "Area", "Kind", "Title", "Priority", "Effort", "Owner", "Due"])
    assert [r.cells[0].text for r in findings.rows[1:]] == [f.id for f in middling.findings]
    assert findings.rows[2].cells[1].text == "Management Commitment to Quality"  # area by name, not id
    plan_header = ["Opportunity", "Goal", "Measure", "Baseline", "Target", "Owner", "Due", "Follow-up", "Status"]
    plans = [t for t in document.tables if [c.text for c in t.rows[0].cells] == plan_header]
    assert len(plans) == 2  # this plan and the previous one
    assert [r.cells[8].text for r in plans[0].rows[1:]] == ["In progress (OVERDUE)", "Planned"]
    assert _table(document, ["Practice area", "Score", "Level", "Questions assessed", "Note"]).rows[4].cells[
        4
    ].text == ("Provisional")
    for table in document.tables:
        if len(table.columns) > 2:  # the two-column fact tables have labels, not a header
            first = table.rows[0]._tr
            assert first.find(qn("w:trPr")).find(qn("w:tblHeader")) is not None
            assert all(r.bold for c in table.rows[0].cells for p in c.paragraphs for r in p.runs)


def test_docx_areas_show_findings_with_citations(middling: AssessmentReport) -> None:
    text = _all_text(_docx(middling))
    for expected in (
        "Score 3.00 (Established); 3 of 3 applicable questions assessed.",
        "1 of 2 applicable questions assessed; provisional",
        "Give each shift team one goal traced to a site objective, shown on the tier board.",
        "Objectives cascaded to teams (L4).",
        "High (A level-4 criterion in the lowest-scoring area's most-cited question.)",
        "Months.  Owner: Anna Keller, due 2027-06-30.",
        "Root causes of drug shortages (FDA Drug Shortages: Root Causes and Potential Solutions (2019))",
        "No strength is recorded for this area.",
    ):
        assert expected in text, expected


def test_docx_appendix_has_answers_quotes_and_evidence(middling: AssessmentReport) -> None:
    document = _docx(middling)
    text = _all_text(document)
    assert "Anna Keller (Site head), Confirmed, 2027-01-12 09:40 UTC, version 1" in text
    assert "interviewees' answers conflict; validated by an assessor" in text
    assert "Training is run by the corporate academy, not the site." in text
    fields = [t for t in document.tables if [c.text for c in t.rows[0].cells] == ["Field", "Value", "Quote"]]
    assert [c.text for c in fields[1].rows[2].cells] == [
        "Leadership review of progress",
        "Every month",
        "monthly at the quality council",
    ]
    evidence = [
        t for t in document.tables if [c.text for c in t.rows[0].cells] == ["Record", "Status", "Kind", "SHA-256"]
    ]
    assert [c.text for c in evidence[0].rows[3].cells] == [
        "objectives-scorecard.pdf",
        "Seen by an assessor (Maria Chen, 2027-01-20 10:05 UTC)",
        "Uploaded file",
        samples.SHA,
    ]


def test_docx_embeds_the_chart(middling: AssessmentReport) -> None:
    document = _docx(middling)
    assert len(document.inline_shapes) == 1
    blip = document.inline_shapes[0]._inline.graphic.graphicData.pic.blipFill.blip
    assert document.part.related_parts[blip.embed].blob == area_chart_png(middling)


def test_docx_every_page_has_the_running_header_and_a_page_number(middling: AssessmentReport) -> None:
    document = _docx(middling)
    assert [s.orientation for s in document.sections] == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE, WD_ORIENT.PORTRAIT]
    for section in document.sections:
        header = " ".join(p.text for p in section.header.paragraphs)
        assert "Northfield Sterile Products, Building 4" in header
        assert "qmm-self-assessment@2" in header
        assert "generated 2027-02-03" in header
        fields = [f.get(qn("w:instr")) for f in section.footer._element.iter(qn("w:fldSimple"))]
        assert fields == ["PAGE", "NUMPAGES"]


def test_docx_carries_hostile_strings_as_text(hostile: AssessmentReport) -> None:
    data = render_docx(hostile)
    document = open_docx(io.BytesIO(data))
    text = _all_text(document)
    for expected in (samples.SCRIPT, samples.HYPERLINK, samples.ARITH, samples.MARKUP, samples.EMOJI, "@SUM(A1:A9)"):
        assert expected in text, expected
    assert samples.LONG_QUOTE in text  # whole, in its table cell
    assert "bell null escape form feed" in text  # control characters dropped, the words kept
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")
    assert b"<script>" not in xml
    assert b"&lt;script&gt;" in xml
    assert not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]", xml)


def test_docx_is_the_same_document_for_the_same_report(middling: AssessmentReport) -> None:
    first, second = render_docx(middling), render_docx(samples.middling())
    parts = zipfile.ZipFile(io.BytesIO(first)), zipfile.ZipFile(io.BytesIO(second))
    assert parts[0].read("word/document.xml") == parts[1].read("word/document.xml")
    assert first == second  # properties and zip dates come from the report, not the clock
    props = open_docx(io.BytesIO(first)).core_properties
    assert props.author == "QMM Assessment Assistant"
    assert props.created == props.modified == datetime(2027, 2, 3, tzinfo=UTC)
    changed = middling.model_copy(update={"generated": "2027-02-04"})
    assert zipfile.ZipFile(io.BytesIO(render_docx(changed))).read("word/document.xml") != parts[0].read(
        "word/document.xml"
    )

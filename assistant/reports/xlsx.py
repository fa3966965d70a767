"""The assessment report as a workbook for filtering and pivoting (openpyxl).

Sheets: Profile (the report's figures, then one row per practice area), Answers (one row per question, interviewee
and field), Findings, Evidence, Plan and Gate. Every sheet has a bold, frozen header row and an auto-filter over its
data. Scores are floats, levels and counts ints, shares floats shown as percentages, flags booleans; dates stay ISO
text as the report gives them. Text is always a string cell: a value that starts like a formula (=, +, -, @) is
stored as text with Excel's quote prefix, never as a formula, so a hostile answer cannot run in a spreadsheet.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from assistant.reports.format import (
    ANSWER_STATUS,
    EVIDENCE_KIND,
    EVIDENCE_STATUS,
    FINDING_KIND,
    GATE_KIND,
    GATE_STATUS,
    PLAN_STATUS,
    PRIORITY,
    QUESTION_STATUS,
    area_names,
    clean,
    generated_at,
    reproducible_zip,
    shorten,
)
from assistant.reports.model import EFFORT_LABELS, AssessmentReport

Cell = str | int | float | bool | None
SHEETS = ("Profile", "Answers", "Findings", "Evidence", "Plan", "Gate")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\n")  # what a spreadsheet or a CSV reader may take for a formula
CELL_LIMIT = 32_767  # Excel's most characters in a cell
WIDTH_LIMIT = 66  # characters; a SHA-256 (64) fits on one line
PERCENT = "0%"
SCORE = "0.00"
SHARES = ("Completeness", "Answers with evidence")  # Profile rows whose value is a share of 1
HEADER_FILL = PatternFill("solid", fgColor="DCE6F0")


def _word(words: dict[str, str], key: str | None) -> str | None:
    return None if key is None else words.get(key, key.replace("_", " "))


def _put(sheet: Worksheet, row: int, column: int, value: Cell, number_format: str | None = None) -> None:
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        text = shorten(clean(value), CELL_LIMIT)
        cell.value = text
        if text.startswith(FORMULA_STARTS):
            cell.data_type = "s"  # openpyxl takes a leading '=' for a formula; this is text
            cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
        if "\n" in text or len(text) > WIDTH_LIMIT:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    else:
        cell.value = value
    if number_format and isinstance(value, float):  # scores and shares; counts stay as they are
        cell.number_format = number_format


def _sheet(
    book: Workbook,
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    formats: dict[int, str] | None = None,
) -> Worksheet:
    """A sheet with a bold frozen header, the rows, an auto-filter over them and columns sized to their text."""
    sheet = book.create_sheet(title)
    rows = [[*row, *([None] * (len(header) - len(row)))] for row in rows]
    for c, name in enumerate(header, start=1):
        _put(sheet, 1, c, name)
        sheet.cell(row=1, column=c).font = Font(bold=True)
        sheet.cell(row=1, column=c).fill = HEADER_FILL
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            _put(sheet, r, c, value, (formats or {}).get(c))
    last = get_column_letter(len(header))
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    for c, name in enumerate(header, start=1):
        longest = max([len(name) + 3, *(len(str(row[c - 1])) for row in rows if row[c - 1] is not None)])
        sheet.column_dimensions[get_column_letter(c)].width = max(8, min(longest + 2, WIDTH_LIMIT))
    return sheet


def _profile(report: AssessmentReport) -> list[list[Cell]]:
    people = "; ".join(f"{name} ({role})" for name, role in report.interviewees)
    facts: list[list[Cell]] = [
        ["Report", "Site", report.site],
        ["Report", "Protocol", report.protocol],
        ["Report", "Assessment reference", report.assessment],
        ["Report", "Started", report.started],
        ["Report", "Generated", report.generated],
        ["Report", "Interviewees", people or None],
        ["Report", "Assessors", "; ".join(report.assessors) or None],
        ["Report", "Overall score", report.overall, report.overall_level, report.provisional],
        ["Report", "Provisional note", report.provisional_note],
        ["Report", "Completeness", report.completeness],
        ["Report", "Answers with evidence", report.evidence_share],
        ["Report", "Questions scored", report.scored],
        ["Report", "Questions validated by an assessor", report.validated],
        ["Report", "Compliance gate", report.gate_headline],
    ]
    areas: list[list[Cell]] = [
        ["Practice area", a.name, a.score, a.level_name, a.provisional, a.assessed, a.applicable] for a in report.areas
    ]
    return facts + areas


def _answers(report: AssessmentReport) -> list[list[Cell]]:
    names = area_names(report)
    rows: list[list[Cell]] = []
    for q in report.questions:
        question: list[Cell] = [
            q.question_id,
            q.topic,
            names.get(q.area, q.area),
            q.level,
            _word(QUESTION_STATUS, q.status),
            q.conflict,
            q.validated,
        ]
        if not q.answers:
            rows.append([*question, *([None] * 9)])
        for a in q.answers:
            answer: list[Cell] = [a.interviewee, a.role, _word(ANSWER_STATUS, a.status), a.at]
            written = a.na_justification if a.status == "na" and not a.text else a.text
            fields: list[list[Cell]] = [[f.label, f.value, f.quote] for f in a.fields] or [[None, None, None]]
            rows += [[*question, *answer, *field, written or None, a.version] for field in fields]
    return rows


def _findings(report: AssessmentReport) -> list[list[Cell]]:
    names = area_names(report)
    return [
        [
            f.id,
            _word(FINDING_KIND, f.kind),
            names.get(f.area, f.area),
            f.question_id,
            f.title,
            f.observation,
            f.gap,
            f.recommendation,
            _word(EFFORT_LABELS, f.effort),
            _word(PRIORITY, f.priority),
            f.priority_reason,
            f.owner,
            f.due,
            f.origin,
            "\n".join(c.text() + (f" {c.url}" if c.url else "") for c in f.citations) or None,
        ]
        for f in report.findings
    ]


def _evidence(report: AssessmentReport) -> list[list[Cell]]:
    return [
        [
            q.question_id,
            q.topic,
            e.title,
            _word(EVIDENCE_STATUS, e.status),
            _word(EVIDENCE_KIND, e.kind),
            e.sha256,
            e.size,
            e.media_type,
            e.added_by,
            e.at,
        ]
        for q in report.questions
        for e in q.evidence
    ]


def _plan(report: AssessmentReport) -> list[list[Cell]]:
    return [
        [
            p.id,
            p.finding_id,
            p.opportunity,
            p.goal,
            p.measure,
            p.baseline,
            p.target,
            p.owner,
            p.due,
            p.follow_up,
            _word(PLAN_STATUS, p.status),
            p.overdue,
        ]
        for p in report.plan
    ]


def _gate(report: AssessmentReport) -> list[list[Cell]]:
    return [[g.label, _word(GATE_KIND, g.kind), g.answer, _word(GATE_STATUS, g.status), g.message] for g in report.gate]


def render_xlsx(report: AssessmentReport) -> bytes:
    """The report as XLSX bytes; the same report gives the same bytes."""
    book = Workbook()
    book.remove(book.active)
    _sheet(
        book,
        "Profile",
        ["Section", "Item", "Value", "Level", "Provisional", "Questions assessed", "Questions applicable"],
        _profile(report),
        {3: SCORE},
    )
    for row in book["Profile"].iter_rows(min_row=2):
        if row[0].value == "Report" and row[1].value in SHARES:
            row[2].number_format = PERCENT
    answers = ["Question", "Topic", "Area", "Level", "Question status", "Conflict", "Validated"]
    answers += ["Interviewee", "Role", "Answer status", "At", "Field", "Value", "Quote", "Answer text", "Version"]
    _sheet(book, "Answers", answers, _answers(report))
    findings = ["ID", "Kind", "Area", "Question", "Title", "Observation", "Gap", "Recommendation", "Effort"]
    findings += ["Priority", "Priority reason", "Owner", "Due", "Origin", "Citations"]
    _sheet(book, "Findings", findings, _findings(report))
    evidence = ["Question", "Topic", "Record", "Status", "Kind", "SHA-256", "Size (bytes)", "Media type", "Added by"]
    _sheet(book, "Evidence", [*evidence, "At"], _evidence(report))
    plan = ["ID", "Finding", "Opportunity", "Goal", "Measure", "Baseline", "Target", "Owner", "Due", "Follow-up"]
    _sheet(book, "Plan", [*plan, "Status", "Overdue"], _plan(report))
    _sheet(book, "Gate", ["Item", "Kind", "Answer", "Status", "Message"], _gate(report))

    when = generated_at(report)
    book.properties.creator = "QMM Assessment Assistant"
    book.properties.lastModifiedBy = "QMM Assessment Assistant"
    book.properties.title = clean(report.title)
    book.properties.created = when
    book.properties.modified = when
    buffer = io.BytesIO()
    # ExcelWriter, not Workbook.save: save() stamps the clock into the modified date
    ExcelWriter(book, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    return reproducible_zip(buffer.getvalue(), when)

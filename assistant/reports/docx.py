"""The assessment report as a Word document a consultant would send (python-docx).

Sections, each a Heading 1 so the document has an outline: cover; executive summary; compliance gate; practice-area
scores (chart and table); one Heading 2 per practice area with its strengths and opportunities; findings and the
improvement plan on landscape pages; the change since the previous assessment; and an appendix with every question,
each interviewee's answer and the evidence behind it. Every page has a header (site, protocol, generated date) and a
footer with the page number. The same report gives the same bytes: properties and zip dates come from
``report.generated``.
"""

from __future__ import annotations

import io

from docx import Document as new_document
from docx.document import Document
from docx.enum.text import WD_BREAK
from docx.shared import Inches

from assistant.reports import docx_layout as layout
from assistant.reports import tables
from assistant.reports.chart import area_chart_png
from assistant.reports.format import (
    GATE_NEVER_SCORED,
    PRIORITY,
    SECTIONS,
    clean,
    effort_text,
    generated_at,
    label,
    one_line,
    question_result,
    reproducible_zip,
    score_text,
    shorten,
    when_text,
)
from assistant.reports.model import AreaReport, AssessmentReport, Finding, ReportQuestion


def render_docx(report: AssessmentReport) -> bytes:
    """The report as DOCX bytes."""
    document = new_document()
    layout.set_up(document)
    layout.set_properties(document, report.title, report.site, generated_at(report))
    generated = when_text(report.generated)
    site, protocol, title = (
        shorten(one_line(t), n) for t, n in ((report.site, 70), (report.protocol, 40), (report.title, 70))
    )
    layout.running_heads(
        document.sections[0], f"{site}  ·  {protocol}  ·  generated {generated}", f"{title}, {generated}"
    )
    width = layout.text_width(document.sections[0])
    _cover(document, report, width)
    _summary(document, report, width)
    _gate(document, report, width)
    _scores(document, report, width)
    _areas(document, report)
    wide = layout.new_section(document, landscape=True)
    _findings(document, report, wide)
    _plan(document, report, wide)
    _delta(document, report, wide)
    _appendix(document, report, layout.new_section(document, landscape=False))
    buffer = io.BytesIO()
    document.save(buffer)
    return reproducible_zip(buffer.getvalue(), generated_at(report))


def _cover(document: Document, report: AssessmentReport, width: float) -> None:
    document.add_heading(clean(report.title), 0)
    layout.paragraph(document, report.site, style="Subtitle")
    layout.facts_table(document, tables.cover_facts(report), width)
    layout.paragraph(document, report.disclaimer, style=layout.SMALL)
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _summary(document: Document, report: AssessmentReport, width: float) -> None:
    layout.heading(document, SECTIONS[0], 1)
    layout.facts_table(document, tables.key_figures(report), width)
    if report.provisional:
        note = report.provisional_note or "Too few questions are assessed for the overall score to stand."
        layout.paragraph(document, note, bold_lead="Provisional: ")
    for text in report.summary:
        layout.paragraph(document, text)
    layout.paragraph(document, report.disclaimer, style=layout.SMALL)


def _gate(document: Document, report: AssessmentReport, width: float) -> None:
    layout.heading(document, SECTIONS[1], 1)
    layout.paragraph(document, GATE_NEVER_SCORED)
    if report.gate_headline:
        layout.paragraph(document, report.gate_headline, bold_lead="Result: ")
    if report.gate:
        layout.table(document, tables.gate_table(report), width)
    else:
        layout.paragraph(document, "No gate item is answered in this assessment.")


def _scores(document: Document, report: AssessmentReport, width: float) -> None:
    layout.heading(document, SECTIONS[2], 1)
    if not report.areas:
        layout.paragraph(document, "No practice area is scored in this report.")
        return
    document.add_picture(io.BytesIO(area_chart_png(report)), width=Inches(width))
    layout.paragraph(
        document,
        "Bars show each practice area's score on this tool's 0-5 rubric; hatched bars are provisional, and the "
        "dashed line is the overall score.",
        style=layout.SMALL,
    )
    layout.table(document, tables.area_table(report), width)


def _area_line(area: AreaReport) -> str:
    if area.score is None:
        result = "Not assessed"
    else:
        result = f"Score {score_text(area.score)}" + (f" ({clean(area.level_name)})" if area.level_name else "")
    result += f"; {area.assessed} of {area.applicable} applicable questions assessed"
    return result + ("; provisional: too few questions assessed for the score to stand." if area.provisional else ".")


def _citations(document: Document, finding: Finding) -> None:
    if not finding.citations:
        return
    layout.paragraph(document, "", bold_lead="Sources")
    layout.bullets(
        document, [c.text() + (f", {c.url}" if c.url else "") for c in finding.citations], style="List Bullet"
    )


def _strength(document: Document, finding: Finding) -> None:
    layout.heading(document, finding.title, 4)
    layout.paragraph(document, finding.observation)
    _citations(document, finding)


def _opportunity(document: Document, finding: Finding) -> None:
    """One unmet criterion: the gap as its lead, then what the answers say, what to do, and who and when."""
    layout.paragraph(document, clean(finding.gap or finding.title), bold_lead=f"{label(PRIORITY, finding.priority)} "
                     "priority: ")  # fmt: skip
    layout.paragraph(document, finding.observation, bold_lead="The answers say: ", style=layout.SMALL)
    if finding.recommendation:
        layout.paragraph(document, clean(finding.recommendation), bold_lead="Recommendation: ")
    owner = (clean(finding.owner) or "not assigned") + (f", due {when_text(finding.due)}" if finding.due else "")
    reason = f" Priority: {clean(finding.priority_reason).rstrip('.')}." if finding.priority_reason else ""
    layout.paragraph(document, f"Effort: {effort_text(finding.effort)}. Owner: {owner}.{reason}", style=layout.SMALL)


def _opportunities(document: Document, report: AssessmentReport, findings: list[Finding]) -> None:
    """Grouped by question: a heading per question, its unmet criteria, then its guidance sources once."""
    topics = {q.question_id: (q.topic, q.next_level) for q in report.questions}
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.question_id or finding.id, []).append(finding)
    for key, group in groups.items():
        topic, level = topics.get(key, (None, None))
        head = f"{key} {topic}: toward level {level}" if topic else group[0].title
        layout.heading(document, head, 4)
        for finding in group:
            _opportunity(document, finding)
        _citations(document, group[0])


def _areas(document: Document, report: AssessmentReport) -> None:
    layout.heading(document, SECTIONS[3], 1)
    if not report.areas:
        layout.paragraph(document, "No practice area is in this report.")
    for area in report.areas:
        layout.heading(document, area.name, 2)
        layout.paragraph(document, _area_line(area), style=layout.SMALL)
        layout.paragraph(document, area.narrative)
        strengths = [f for f in map(report.finding, area.strengths) if f is not None]
        opportunities = [f for f in map(report.finding, area.opportunities) if f is not None]
        layout.heading(document, "Strengths", 3)
        if not strengths:
            layout.paragraph(document, "No strength is recorded for this area.")
        for finding in strengths:
            _strength(document, finding)
        layout.heading(document, "Opportunities for improvement", 3)
        if not opportunities:
            layout.paragraph(document, "No opportunity for improvement is recorded for this area.")
        _opportunities(document, report, opportunities)


def _findings(document: Document, report: AssessmentReport, width: float) -> None:
    layout.heading(document, SECTIONS[4], 1)
    if report.findings:
        layout.table(document, tables.findings_table(report), width)
    else:
        layout.paragraph(document, "No finding is recorded.")


def _plan(document: Document, report: AssessmentReport, width: float) -> None:
    layout.heading(document, SECTIONS[5], 1)
    if not report.plan:
        layout.paragraph(document, "No improvement is planned yet.")
        return
    overdue = sum(p.overdue for p in report.plan)
    if overdue:
        text = f"{overdue} of {len(report.plan)} items are past their due date (marked OVERDUE, shaded)."
        layout.paragraph(document, text, keep=True)
    layout.table(document, tables.plan_table(report.plan), width)


def _delta(document: Document, report: AssessmentReport, width: float) -> None:
    delta = report.delta
    if delta is None:
        return
    layout.heading(document, SECTIONS[6], 1)
    layout.paragraph(
        document,
        f"Compared with assessment {clean(delta.previous)} of {when_text(delta.previous_date)} "
        f"({clean(delta.previous_protocol)}).",
        keep=True,
    )
    layout.paragraph(document, tables.delta_overall_text(report), bold_lead="Overall score: ", keep=True)
    if delta.areas:
        layout.table(document, tables.delta_area_table(report), width * 0.7)
    layout.heading(document, "Questions that changed level", 2)
    if not delta.comparable:
        layout.paragraph(
            document,
            "The previous assessment used another protocol version, so per-question levels are not compared.",
        )
    elif delta.questions:
        layout.table(document, tables.delta_question_table(report), width * 0.7)
    else:
        layout.paragraph(document, "No question changed level.")
    layout.heading(document, "The previous plan", 2)
    if delta.plan:
        layout.table(document, tables.plan_table(delta.plan), width)
    else:
        layout.paragraph(document, "The previous assessment had no improvement plan.")


def _question(document: Document, question: ReportQuestion, width: float) -> None:
    layout.heading(document, f"{question.question_id} {question.topic}", 3)
    layout.paragraph(document, question.text, style=layout.SMALL)
    flags = [question_result(question)]
    if question.conflict:
        flags.append("interviewees' answers conflict")
    if question.validated:
        flags.append("validated by an assessor")
    layout.paragraph(document, "; ".join(flags) + ".", bold_lead="Result: ")
    if question.met:
        layout.paragraph(document, "", bold_lead="Criteria met")
        layout.bullets(document, question.met)
    if question.next_needs:
        level = f" (level {question.next_level})" if question.next_level else ""
        layout.paragraph(document, "", bold_lead=f"What the next level{level} needs")
        layout.bullets(document, question.next_needs)
    for answer in question.answers:
        layout.paragraph(document, "", bold_lead=tables.answer_heading(answer))  # kept with its table
        if answer.na_justification:
            layout.paragraph(document, answer.na_justification, bold_lead="N/A because: ")
        if answer.fields:
            layout.table(document, tables.fields_table(answer), width)
        if answer.text and answer.text != answer.na_justification:
            layout.paragraph(document, answer.text, style="Quote")
    if question.evidence:
        layout.paragraph(document, "", bold_lead="Evidence")
        layout.table(document, tables.evidence_table(question), width)


def _appendix(document: Document, report: AssessmentReport, width: float) -> None:
    layout.heading(document, SECTIONS[7], 1)
    if not report.questions:
        layout.paragraph(document, "No question is in this report.")
        return
    layout.table(document, tables.question_table(report), width)
    names = {a.area: a.name for a in report.areas}
    order = list(dict.fromkeys([*names, *(q.area for q in report.questions)]))
    for area in order:
        questions = [q for q in report.questions if q.area == area]
        if not questions:
            continue
        layout.heading(document, names.get(area, area), 2)
        for question in questions:
            _question(document, question, width)

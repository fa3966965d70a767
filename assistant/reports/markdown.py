"""The assessment report as Markdown: the DOCX's sections for quick reading and for the app's preview.

The app renders this Markdown (and the HTML it may hold), so every piece of report data is escaped: HTML's
``& < >`` become entities, Markdown's inline markers (backticks, ``* _ [ ] | ~ # $``, backslash) get a backslash, and
a line that would start a heading, list, quote or rule (``#``, ``-``, ``+``, ``=``, ``1.``) cannot. Line breaks in
data become spaces, so a value never starts a line of its own. Only this module's own text is markup.
"""

from __future__ import annotations

import re

from assistant.reports import tables
from assistant.reports.format import (
    GATE_NEVER_SCORED,
    PRIORITY,
    SECTIONS,
    effort_text,
    label,
    one_line,
    question_result,
    score_text,
    when_text,
)
from assistant.reports.model import AssessmentReport, Finding, ReportQuestion
from assistant.reports.tables import TextTable

_INLINE = str.maketrans({c: "\\" + c for c in "\\`*_[]|~#$"} | {"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_LINE_START = re.compile(r"^([-+=]|\d+(?=[.)](?:\s|$)))")  # a list, rule or setext line; 1. or 1) then a space


def escape(text: object) -> str:
    """Report data as Markdown that shows exactly that text: one line, no markup, no HTML."""
    flat = one_line(text).translate(_INLINE)
    return _LINE_START.sub(lambda m: m.group(1) + "\\" if m.group(1).isdigit() else "\\" + m.group(1), flat)


def table(data: TextTable) -> list[str]:
    """A Markdown table; every cell escaped, so a '|' in data never splits a cell."""

    def cell(text: str) -> str:
        return "<br>".join(escape(line) for line in text.split("\n") if line.strip()) or " "

    lines = ["| " + " | ".join(cell(h) for h in data.header) + " |", "|" + " --- |" * len(data.header)]
    lines += ["| " + " | ".join(cell(text) for text in row) + " |" for row in data.rows]
    return [*lines, ""]


def _facts(facts: list[tuple[str, str]]) -> list[str]:
    return [f"- **{escape(name)}:** {escape(value.replace(chr(10), '; '))}" for name, value in facts] + [""]


def _finding(finding: Finding) -> list[str]:
    lines = [f"**{escape(finding.title)}**", ""]
    if finding.kind == "strength":
        lines.append(f"- {escape(finding.observation)}")
    else:
        lines.append(f"- **Observation:** {escape(finding.observation)}")
        if finding.gap:
            lines.append(f"- **Gap:** {escape(finding.gap)}")
        if finding.recommendation:
            lines.append(f"- **Recommendation:** {escape(finding.recommendation)}")
        reason = f" ({escape(finding.priority_reason)})" if finding.priority_reason else ""
        lines.append(f"- **Priority:** {escape(label(PRIORITY, finding.priority))}{reason}")
        due = f", due {escape(when_text(finding.due))}" if finding.due else ""
        owner = escape(finding.owner) if finding.owner else "not assigned"
        lines.append(f"- **Effort:** {escape(effort_text(finding.effort))}. **Owner:** {owner}{due}")
    for c in finding.citations:
        lines.append(f"- Source: {escape(c.text())}" + (f", {escape(c.url)}" if c.url else ""))
    return [*lines, ""]


def _areas(report: AssessmentReport) -> list[str]:
    lines = [f"## {SECTIONS[3]}", ""]
    if not report.areas:
        lines += ["No practice area is in this report.", ""]
    for area in report.areas:
        score = "Not assessed" if area.score is None else f"Score {score_text(area.score)}"
        level = f" ({escape(area.level_name)})" if area.level_name else ""
        note = "; provisional" if area.provisional else ""
        lines += [f"### {escape(area.name)}", ""]
        lines += [f"*{score}{level}; {area.assessed} of {area.applicable} questions assessed{note}.*", ""]
        lines += [escape(area.narrative), ""]
        for title, ids, none in (
            ("Strengths", area.strengths, "No strength is recorded for this area."),
            ("Opportunities for improvement", area.opportunities, "No opportunity is recorded for this area."),
        ):
            found = [f for f in map(report.finding, ids) if f is not None]
            lines += [f"#### {title}", ""]
            lines += [line for f in found for line in _finding(f)] or [none, ""]
    return lines


def _question(question: ReportQuestion) -> list[str]:
    lines = [f"#### {escape(question.question_id)} {escape(question.topic)}", "", f"*{escape(question.text)}*", ""]
    flags = [question_result(question)]
    flags += ["interviewees' answers conflict"] if question.conflict else []
    flags += ["validated by an assessor"] if question.validated else []
    lines += [f"**Result:** {escape('; '.join(flags))}.", ""]
    if question.met:
        lines += ["**Criteria met:**", "", *(f"- {escape(m)}" for m in question.met), ""]
    if question.next_needs:
        level = f" (level {question.next_level})" if question.next_level else ""
        lines += [f"**What the next level{level} needs:**", "", *(f"- {escape(n)}" for n in question.next_needs), ""]
    for answer in question.answers:
        lines += [f"**{escape(tables.answer_heading(answer))}**", ""]
        if answer.na_justification:
            lines += [f"N/A because: {escape(answer.na_justification)}", ""]
        if answer.fields:
            lines += table(tables.fields_table(answer))
        if answer.text and answer.text != answer.na_justification:
            lines += [f"> {escape(answer.text)}", ""]
    if question.evidence:
        lines += ["**Evidence:**", "", *table(tables.evidence_table(question))]
    return lines


def _delta(report: AssessmentReport) -> list[str]:
    delta = report.delta
    if delta is None:
        return []
    lines = [f"## {SECTIONS[6]}", ""]
    lines += [
        f"Compared with assessment {escape(delta.previous)} of {escape(when_text(delta.previous_date))} "
        f"({escape(delta.previous_protocol)}).",
        "",
        f"**Overall score:** {tables.delta_overall_text(report)}",
        "",
    ]
    if delta.areas:
        lines += table(tables.delta_area_table(report))
    lines += ["### Questions that changed level", ""]
    if not delta.comparable:
        lines += ["The previous assessment used another protocol version, so per-question levels are not compared.", ""]
    elif delta.questions:
        lines += table(tables.delta_question_table(report))
    else:
        lines += ["No question changed level.", ""]
    lines += ["### The previous plan", ""]
    lines += table(tables.plan_table(delta.plan)) if delta.plan else ["The previous assessment had no plan.", ""]
    return lines


def render_markdown(report: AssessmentReport) -> str:
    """The report as one Markdown document."""
    lines = [f"# {escape(report.title)}", "", f"**{escape(report.site)}**", ""]
    lines += _facts(tables.cover_facts(report))
    lines += [f"*{escape(report.disclaimer)}*", ""]

    lines += [f"## {SECTIONS[0]}", "", *_facts(tables.key_figures(report))]
    if report.provisional:
        note = report.provisional_note or "Too few questions are assessed for the overall score to stand."
        lines += [f"**Provisional:** {escape(note)}", ""]
    for text in report.summary:
        lines += [escape(text), ""]

    lines += [f"## {SECTIONS[1]}", "", GATE_NEVER_SCORED, ""]
    if report.gate_headline:
        lines += [f"**Result:** {escape(report.gate_headline)}", ""]
    lines += table(tables.gate_table(report)) if report.gate else ["No gate item is answered in this assessment.", ""]

    lines += [f"## {SECTIONS[2]}", ""]
    lines += table(tables.area_table(report)) if report.areas else ["No practice area is scored in this report.", ""]
    lines += _areas(report)

    lines += [f"## {SECTIONS[4]}", ""]
    lines += table(tables.findings_table(report)) if report.findings else ["No finding is recorded.", ""]
    lines += [f"## {SECTIONS[5]}", ""]
    lines += table(tables.plan_table(report.plan)) if report.plan else ["No improvement is planned yet.", ""]
    lines += _delta(report)

    lines += [f"## {SECTIONS[7]}", ""]
    if not report.questions:
        lines += ["No question is in this report.", ""]
    else:
        lines += table(tables.question_table(report))
        names = {a.area: a.name for a in report.areas}
        for area in dict.fromkeys([*names, *(q.area for q in report.questions)]):
            questions = [q for q in report.questions if q.area == area]
            if questions:
                lines += [f"### {escape(names.get(area, area))}", ""]
                lines += [line for q in questions for line in _question(q)]
    return "\n".join(lines).rstrip() + "\n"

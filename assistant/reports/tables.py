"""The report's tables as rows of text, shared by the DOCX and the Markdown so both show the same columns and words.

Each function returns a ``TextTable``: a header and rows of clean text (control characters dropped). Markup is the
renderer's business: the Markdown escapes these cells, the DOCX puts them in runs as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.reports.format import (
    ANSWER_STATUS,
    EVIDENCE_KIND,
    EVIDENCE_STATUS,
    FINDING_KIND,
    GATE_KIND,
    GATE_STATUS,
    NONE,
    PLAN_STATUS,
    PRIORITY,
    area_names,
    change_text,
    clean,
    effort_text,
    label,
    level_text,
    overall_text,
    pct_text,
    question_result,
    score_text,
    validated_text,
    when_text,
)
from assistant.reports.model import AssessmentReport, PlanItem, ReportAnswer, ReportQuestion


@dataclass
class TextTable:
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)  # relative column widths, about inches (the DOCX uses them)
    marked: list[int] = field(default_factory=list)  # rows to stand out (overdue plan items), by index in rows


def _text(value: str | None) -> str:
    return clean(value) if value else NONE


def cover_facts(report: AssessmentReport) -> list[tuple[str, str]]:
    """The cover page's facts, label first."""
    people = "\n".join(f"{clean(name)} ({clean(role)})" for name, role in report.interviewees)
    return [
        ("Site", clean(report.site)),
        ("Protocol", clean(report.protocol)),
        ("Assessment reference", _text(report.assessment) if report.assessment else "None (from an answers file)"),
        ("Started", when_text(report.started)),
        ("Generated", when_text(report.generated)),
        ("Interviewees", people or "None recorded"),
        ("Assessors", "\n".join(clean(a) for a in report.assessors) or "None recorded"),
    ]


def key_figures(report: AssessmentReport) -> list[tuple[str, str]]:
    """The executive summary's figures, label first."""
    return [
        ("Overall score", overall_text(report)),
        ("Completeness", pct_text(report.completeness)),
        ("Answers with evidence", pct_text(report.evidence_share)),
        ("Validated by an assessor", validated_text(report)),
    ]


def gate_table(report: AssessmentReport) -> TextTable:
    rows = [
        [clean(g.label), label(GATE_KIND, g.kind), _text(g.answer), label(GATE_STATUS, g.status), _text(g.message)]
        for g in report.gate
    ]
    return TextTable(["Item", "Kind", "Answer", "Status", "Message"], rows, [1.8, 0.9, 0.9, 0.9, 2.0])


def area_table(report: AssessmentReport) -> TextTable:
    rows = []
    for a in report.areas:
        note = "Not assessed" if a.score is None else ("Provisional" if a.provisional else "")
        level = clean(a.level_name) if a.level_name else NONE
        rows.append([clean(a.name), score_text(a.score), level, f"{a.assessed} of {a.applicable}", note])
    return TextTable(["Practice area", "Score", "Level", "Questions assessed", "Note"], rows, [2.6, 0.7, 1.1, 1.1, 1.0])


def findings_table(report: AssessmentReport) -> TextTable:
    names = area_names(report)
    rows = [
        [
            clean(f.id),
            clean(names.get(f.area, f.area)),
            label(FINDING_KIND, f.kind),
            clean(f.title),
            label(PRIORITY, f.priority),
            effort_text(f.effort),
            _text(f.owner),
            when_text(f.due),
        ]
        for f in report.findings
    ]
    header = ["ID", "Area", "Kind", "Title", "Priority", "Effort", "Owner", "Due"]
    return TextTable(header, rows, [1.5, 1.4, 0.95, 2.1, 0.75, 0.85, 0.9, 0.85])


def plan_status_text(item: PlanItem) -> str:
    return label(PLAN_STATUS, item.status) + (" (OVERDUE)" if item.overdue else "")


def plan_table(items: list[PlanItem]) -> TextTable:
    rows = [
        [
            clean(p.opportunity),
            clean(p.goal),
            clean(p.measure),
            _text(p.baseline),
            _text(p.target),
            _text(p.owner),
            when_text(p.due),
            when_text(p.follow_up),
            plan_status_text(p),
        ]
        for p in items
    ]
    header = ["Opportunity", "Goal", "Measure", "Baseline", "Target", "Owner", "Due", "Follow-up", "Status"]
    marked = [i for i, p in enumerate(items) if p.overdue]
    return TextTable(header, rows, [1.5, 1.7, 1.4, 0.75, 0.75, 0.85, 0.85, 0.85, 1.0], marked)


def delta_area_table(report: AssessmentReport) -> TextTable:
    rows = []
    if report.delta is not None:
        rows = [
            [clean(a.name), score_text(a.before), score_text(a.after), change_text(a.before, a.after)]
            for a in report.delta.areas
        ]
    return TextTable(["Practice area", "Before", "After", "Change"], rows, [3.2, 0.8, 0.8, 0.8])


def delta_overall_text(report: AssessmentReport) -> str:
    """'2.41 then, 2.77 now (+0.36).'"""
    if report.delta is None:
        return NONE
    before, after = report.delta.overall_before, report.delta.overall_after
    change = change_text(before, after)
    return f"{score_text(before)} then, {score_text(after)} now" + (f" ({change})." if change != NONE else ".")


def delta_question_table(report: AssessmentReport) -> TextTable:
    rows = []
    if report.delta is not None:
        rows = [
            [clean(q.question_id), clean(q.topic), level_text(q.before), level_text(q.after)]
            for q in report.delta.questions
        ]
    return TextTable(["Question", "Topic", "Level before", "Level after"], rows, [0.9, 3.2, 0.9, 0.9])


def question_table(report: AssessmentReport) -> TextTable:
    """The appendix's index: every question with its result and what the next level needs."""
    names = area_names(report)
    rows = [
        [
            clean(q.question_id),
            clean(q.topic),
            clean(names.get(q.area, q.area)),
            question_result(q),
            "\n".join(clean(n) for n in q.next_needs) or NONE,
        ]
        for q in report.questions
    ]
    header = ["Question", "Topic", "Area", "Level or status", "What the next level needs"]
    return TextTable(header, rows, [0.8, 1.3, 1.3, 1.0, 2.1])


def answer_heading(answer: ReportAnswer) -> str:
    """'Anna Keller (Site head), Confirmed, 2027-01-12 09:40 UTC, version 2'."""
    parts = [f"{clean(answer.interviewee)} ({clean(answer.role)})", label(ANSWER_STATUS, answer.status)]
    if answer.at:
        parts.append(when_text(answer.at))
    if answer.version is not None:
        parts.append(f"version {answer.version}")
    return ", ".join(parts)


def fields_table(answer: ReportAnswer) -> TextTable:
    rows = [[clean(f.label), clean(f.value), _text(f.quote)] for f in answer.fields]
    return TextTable(["Field", "Value", "Quote"], rows, [1.5, 1.5, 3.5])


def evidence_table(question: ReportQuestion) -> TextTable:
    rows = []
    for e in question.evidence:
        seen = label(EVIDENCE_STATUS, e.status)
        if e.status == "seen" and (e.added_by or e.at):
            seen += " (" + ", ".join(x for x in (clean(e.added_by), when_text(e.at) if e.at else "") if x) + ")"
        rows.append([clean(e.title), seen, label(EVIDENCE_KIND, e.kind), _text(e.sha256)])
    return TextTable(["Record", "Status", "Kind", "SHA-256"], rows, [1.8, 1.5, 0.9, 2.3])

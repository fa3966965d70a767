"""What the Assessor tab shows, as Markdown (pure functions; every string from a user is escaped)."""

from __future__ import annotations

from typing import Any

from assistant.assessor_service import QuestionView
from assistant.reports.model import EFFORT_LABELS, Finding, PlanItem
from assistant.ui.views import esc


def cell(text: Any) -> str:
    """A Markdown table cell: escaped, pipes and newlines made safe."""
    return esc(str(text if text is not None else "")).replace("|", "\\|").replace("\n", " ")


def review_markdown(views: list[QuestionView]) -> str:
    """Each question with every interviewee's answer side by side (field rows, interviewee columns); conflicts first."""
    if not views:
        return "No answers yet: interviews confirm answers, then they appear here side by side."
    blocks = []
    for v in views:
        flags = []
        if v.conflict:
            flags.append("**conflict**")
        if v.validated:
            flags.append(f"validated by {cell(v.validated['who'])} ({cell(v.validated['reason'])})")
        head = f"#### {v.question_id} · {cell(v.topic)}" + (f" — {'; '.join(flags)}" if flags else "")
        names = [f"{cell(a.interviewee)} · L{a.level or '-'}" for a in v.answers]
        rows = ["| | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        labels = [label for label, _, _ in v.answers[0].fields] if v.answers else []
        for i, label in enumerate(labels):
            values = []
            for a in v.answers:
                _, value, quote = a.fields[i] if i < len(a.fields) else ("", "", "")
                same = quote.strip(' "“”%').lower() == value.strip(' %').lower()  # a typed value quotes itself
                values.append(cell(value) + (f" “{cell(quote)}”" if quote and not same else ""))
            rows.append(f"| {cell(label)} | " + " | ".join(values) + " |")
        for a in v.answers:
            if a.na_justification:
                rows.append(f"| N/A ({cell(a.interviewee)}) | {cell(a.na_justification)} |" + " |" * (len(names) - 1))
        who = "".join(f"\n- {cell(a.interviewee)}: {cell(a.role)}, {a.status}, version {a.version}, "
                      f"{cell(a.at[:16].replace('T', ' '))}" for a in v.answers)  # fmt: skip
        evidence = "".join(f"\n- [{e['id']}] {cell(e['title'])} · {e['status']} · {e['kind']}" for e in v.evidence)
        blocks.append("\n".join([head, "", *rows]) + f"\n{who}" + (f"\n\n*Evidence:*{evidence}" if evidence else ""))
    return "\n\n".join(blocks)


def evidence_markdown(items: list[dict[str, Any]]) -> str:
    if not items:
        return "No evidence items yet."
    rows = ["| id | question | status | kind | title | added by | SHA-256 |", "|---|---|---|---|---|---|---|"]
    rows += [f"| {e['id']} | {e['question_id']} | {e['status']}{' by ' + cell(e['seen_by']) if e['seen_by'] else ''} "
             f"| {e['kind']} | {cell(e['title'])} | {cell(e['added_by'])} | {(e['sha256'] or '')[:12]} |"
             for e in items]  # fmt: skip
    return "\n".join(rows)


def requests_markdown(groups: list[dict[str, Any]]) -> str:
    if not groups:
        return "Nothing to request: every question's next level has its records, or no question is answered yet."
    out = ["Records each question's next level needs, by the role that owns them (send before an on-site visit):"]
    for g in groups:
        out.append(f"\n**{cell(g['role'])}**")
        out += [f"- {i['question_id']} {cell(i['topic'])} (level {i['level']}): {cell(i['need'])}" for i in g["items"]]
    return "\n".join(out)


def findings_markdown(findings: list[Finding]) -> str:
    if not findings:
        return "No findings yet: they are drafted from the confirmed answers."
    out = []
    for f in sorted(findings, key=lambda f: (f.kind != "strength", {"high": 0, "medium": 1, "low": 2}.get(
            f.priority or "", 3), f.id)):  # fmt: skip
        tag = "Strength" if f.kind == "strength" else f"Opportunity · {f.priority or '-'} priority"
        lines = [f"**{cell(f.id)}** · {tag} · {cell(f.title)}" + (f" · *{f.origin}*" if f.origin != "drafted" else "")]
        lines.append(f"  - Observation: {cell(f.observation)}")
        if f.gap:
            lines.append(f"  - Gap: {cell(f.gap)}")
        if f.recommendation:
            effort = f" ({EFFORT_LABELS.get(f.effort or '', '')})" if f.effort else ""
            lines.append(f"  - Recommendation: {cell(f.recommendation)}{effort}")
        if f.owner or f.due:
            lines.append(f"  - Owner: {cell(f.owner or '-')} · due {cell(f.due or '-')}")
        if f.citations:
            lines.append("  - Guidance: " + "; ".join(cell(c.text()) for c in f.citations))
        out.append("\n".join(lines))
    return "\n\n".join(out)


def plan_rows(items: list[PlanItem]) -> list[list[str]]:
    return [[p.id, p.opportunity, p.goal, p.measure, p.baseline or "", p.target or "", p.owner or "", p.due or "",
             p.follow_up or "", p.status + (" (overdue)" if p.overdue else "")] for p in items]  # fmt: skip


PLAN_HEADERS = ["id", "opportunity", "goal", "measure", "baseline", "target", "owner", "due", "follow-up", "status"]

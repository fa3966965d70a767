"""Build an ``AssessmentReport`` from a scored profile and what was said. Pure apart from reading the corpus once
(``load_citations``); the service gathers the inputs from the store, or from an answers file alone.

The profile never reads stronger than its data: below ``PROVISIONAL_COMPLETENESS`` the overall score is marked
provisional, and an area is provisional while fewer than half of its applicable questions are assessed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.interview import label_value
from assistant.protocol.models import Protocol
from assistant.reports.findings import PRIORITY_RULE, apply_edits, draft_findings, template_narrative
from assistant.reports.model import (
    AreaReport,
    AssessmentReport,
    Citation,
    Delta,
    EvidenceItem,
    FieldLine,
    GateLine,
    PlanItem,
    ReportAnswer,
    ReportQuestion,
)
from assistant.rubric import QuestionScore, SiteProfile

PROVISIONAL_COMPLETENESS = 0.8  # below this share of applicable questions answered, the overall score is provisional
PROVISIONAL_AREA_SHARE = 0.5  # an area with fewer than half its applicable questions assessed is provisional


def load_citations(corpus_dir: Path) -> dict[str, Citation]:
    """Guidance note id -> its citation (title, source key and document, section, the document's public link)."""
    from assistant.retrieval.notes import load_notes, load_sources, split_source

    sources = load_sources(corpus_dir)
    notes, _ = load_notes(corpus_dir)
    out = {}
    for note in notes:
        m = note.meta
        title, url = split_source(sources.get(m.source, m.source))
        out[m.id] = Citation(note_id=m.id, title=m.title, source=m.source, source_title=title, section=m.section,
                             url=url)  # fmt: skip
    return out


@dataclass
class Said:
    """One interviewee's current answer to one question, as the report needs it."""

    question_id: str
    who: str
    role: str
    status: str  # confirmed | na | file
    values: dict[str, Any] = field(default_factory=dict)
    spans: dict[str, str] = field(default_factory=dict)
    text: str = ""
    at: str | None = None
    version: int | None = None
    na_justification: str | None = None


@dataclass
class Inputs:
    """Everything a report is built from besides the protocol and the profile."""

    site: str
    generated: str
    said: list[Said] = field(default_factory=list)
    assessment: str | None = None
    started: str | None = None
    evidence: list[EvidenceItem] = field(default_factory=list)
    conflicts: set[str] = field(default_factory=set)
    validated: set[str] = field(default_factory=set)
    assessors: list[str] = field(default_factory=list)
    finding_edits: Sequence[Mapping[str, Any]] = field(default_factory=list)
    plan: list[PlanItem] = field(default_factory=list)
    delta: Delta | None = None


def _role_label(protocol: Protocol, role: str) -> str:
    return next((r.label for r in protocol.meta.roles if r.id == role), "all questions" if role == "all" else role)


def _answer(protocol: Protocol, said: Said) -> ReportAnswer:
    question = protocol.question(said.question_id)
    shown = question.fields if question else []  # the interviewee's fields, then the assessor's seen records
    lines = []
    for f in shown:
        value = said.values.get(f.id)
        lines.append(FieldLine(field=f.id, label=f.label, value="not stated" if value is None else
                               label_value(f, value), quote=said.spans.get(f.id)))  # fmt: skip
    status = said.status if said.status in ("confirmed", "na", "draft", "file") else "confirmed"
    return ReportAnswer(interviewee=said.who, role=_role_label(protocol, said.role), status=status,
                        at=said.at, version=said.version, fields=[] if said.status == "na" else lines, text=said.text,
                        na_justification=said.na_justification)  # fmt: skip


def _question(protocol: Protocol, score: QuestionScore, inputs: Inputs, said: list[Said]) -> ReportQuestion:
    question = protocol.question(score.question_id)
    met = [f"L{r.level}: {(r.why or r.describe()).rstrip('.')}" for r in score.trace if r.met and r.level <= (
        score.level or 0)]  # fmt: skip
    return ReportQuestion(
        question_id=score.question_id, area=score.area, topic=score.topic, text=question.text if question else "",
        status=score.status, level=score.level, level_name=score.level_name, next_level=score.next_level,
        next_needs=[(r.why or r.describe()).rstrip(".") for r in score.missing_for_next], met=met,
        conflict=score.question_id in inputs.conflicts, validated=score.question_id in inputs.validated,
        answers=[_answer(protocol, s) for s in said],
        evidence=[e for e in inputs.evidence if e.question_id == score.question_id],
    )  # fmt: skip


def build_report(protocol: Protocol, profile: SiteProfile, inputs: Inputs,
                 citations: Mapping[str, Citation]) -> AssessmentReport:  # fmt: skip
    """The report: profile (with its provisional marks), gate, findings (draft plus the assessor's edits), plan,
    change since the last assessment, and every question with each interviewee's answer and its evidence."""
    by_question: dict[str, list[Said]] = {}
    for s in inputs.said:
        by_question.setdefault(s.question_id, []).append(s)
    answers = {qid: [{"who": s.who, "values": s.values, "spans": s.spans} for s in ss if s.status != "na"]
               for qid, ss in by_question.items()}  # fmt: skip
    findings = apply_edits(draft_findings(protocol, profile, answers, citations), inputs.finding_edits)
    provisional = profile.completeness < PROVISIONAL_COMPLETENESS
    areas = []
    for a in profile.areas:
        name = a.name
        mine = [f for f in findings if f.area == a.area]
        areas.append(AreaReport(
            area=a.area, name=name, score=a.score, level_name=a.level_name, assessed=a.assessed,
            applicable=a.applicable,
            provisional=a.applicable > 0 and a.assessed / a.applicable < PROVISIONAL_AREA_SHARE,
            narrative=template_narrative(name, a, profile, findings),
            strengths=[f.id for f in mine if f.kind == "strength"],
            opportunities=[f.id for f in mine if f.kind == "opportunity"],
        ))  # fmt: skip
    scored = [q for q in profile.questions if q.status == "scored"]
    overall_level = protocol.level_text(protocol.meta.areas[0].id, int(profile.overall)).name if profile.overall \
        else None  # fmt: skip
    summary = [*_summary(profile, areas, findings, inputs, provisional), PRIORITY_RULE]
    gate = profile.gate_summary
    people = sorted({(s.who, _role_label(protocol, s.role)) for s in inputs.said if s.status != "file"})
    return AssessmentReport(
        site=inputs.site, assessment=inputs.assessment, protocol=profile.protocol, started=inputs.started,
        generated=inputs.generated, interviewees=people, assessors=sorted(set(inputs.assessors)),
        overall=profile.overall, overall_level=overall_level, completeness=profile.completeness,
        evidence_share=profile.evidence_share, provisional=provisional,
        provisional_note=(f"Provisional: {profile.completeness * 100:.0f}% of the applicable questions are answered; "
                          f"a score stands from {PROVISIONAL_COMPLETENESS * 100:.0f}%.") if provisional else None,
        validated=sum(q.question_id in inputs.validated for q in scored), scored=len(scored), summary=summary,
        gate_headline=gate.headline if gate else None,
        gate=[GateLine(label=g.label, kind=g.kind, status=g.status, answer=g.answer, message=g.message)
              for g in profile.gate],
        areas=areas,
        questions=[_question(protocol, q, inputs, by_question.get(q.question_id, [])) for q in profile.questions],
        findings=findings, plan=inputs.plan, delta=inputs.delta,
    )  # fmt: skip


def _summary(profile: SiteProfile, areas: Sequence[AreaReport], findings: Sequence[Any], inputs: Inputs,
             provisional: bool) -> list[str]:  # fmt: skip
    scored = [a for a in areas if a.score is not None]
    out = []
    if profile.overall is None:
        out.append("No question has a confirmed answer yet, so the site is not scored.")
    else:
        best = max(scored, key=lambda a: a.score or 0)
        worst = min(scored, key=lambda a: a.score or 0)
        out.append(f"The site scores {profile.overall:.2f} overall on this tool's rubric"
                   f"{' (provisional)' if provisional else ''}, with {profile.completeness * 100:.0f}% of the "
                   f"applicable questions answered; its strongest practice area is {best.name} ({best.score:.2f}) and "
                   f"its weakest {worst.name} ({worst.score:.2f}).")  # fmt: skip
    high = [f for f in findings if f.kind == "opportunity" and f.priority == "high"]
    strengths = [f for f in findings if f.kind == "strength"]
    n_opp = sum(f.kind == "opportunity" for f in findings)
    out.append(f"{_count(len(strengths), 'strength', 'strengths')} and "
               f"{_count(n_opp, 'opportunity', 'opportunities')} for improvement "
               f"{'is' if len(strengths) + n_opp == 1 else 'are'} drafted from the rubric; {len(high)} of the "
               "opportunities " + ("is" if len(high) == 1 else "are") + " high priority.")  # fmt: skip
    if profile.gate_summary is not None:
        out.append(f"Compliance gate (never scored): {profile.gate_summary.headline}")
    if inputs.conflicts:
        out.append(f"{len(inputs.conflicts)} question(s) have interviewees who disagree; each is scored at the lowest "
                   "of their levels until an assessor chooses.")  # fmt: skip
    if inputs.delta is not None and inputs.delta.overall_before is not None and profile.overall is not None:
        out.append(f"Since the previous assessment ({inputs.delta.previous_date}), the overall score moved from "
                   f"{inputs.delta.overall_before:.2f} to {profile.overall:.2f}.")  # fmt: skip
    return out


def _count(n: int, one: str, many: str) -> str:
    """'1 strength', '12 strengths', '0 opportunities'."""
    return f"{n} {one if n == 1 else many}"

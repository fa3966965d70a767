"""Draft findings from the rubric trace, deterministically. Pure functions: protocol, profile, answers in; findings out.

- **Strengths**: a scored question at level 4 or 5, or at level 3 when that is its area's best; one finding per
  question, naming the criteria it meets at its level, with the interviewee's words and the records behind them.
- **Opportunities**: one per criterion of the next level that a scored question does not meet; the observation
  quotes what the answers say about that field, the gap is the criterion, the recommendation and effort class are
  the criterion's own (written in the protocol), and citations are the question's pre-linked guidance notes.
- **Priority** (a stated rule, written into each finding's ``priority_reason``): points for the gap (question at
  level 1: 3, level 2: 2, level 3: 1, level 4: 0), +1 when the area scores below 2.5, +1 for supply or product
  impact (Business Continuity, Advanced PQS, Technical Excellence); 3 or more is high, 2 medium, fewer low. Our
  rule: a practice that is missing or uneven where supply or product quality depends on it comes first.

An assessor's edits are applied over the draft by id (``apply_edits``): regenerating the draft never discards them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from assistant.interview import label_value
from assistant.protocol.models import Criterion, Protocol, Question
from assistant.reports.model import Citation, Finding, Priority
from assistant.rubric import CriterionResult, QuestionScore, SiteProfile

PRIORITY_RULE = ("Priority rule (ours): points for the gap (a question at level 1: 3, level 2: 2, level 3: 1, "
                 "level 4: 0), +1 when the practice area scores below 2.5, +1 for supply or product impact (Business "
                 "Continuity, Advanced PQS, Technical Excellence); 3 points or more is high, 2 medium, fewer low.")
IMPACT = {"business_continuity": "supply impact", "advanced_pqs": "product quality impact",
          "technical_excellence": "product quality impact"}  # fmt: skip
MAX_CITATIONS = 3
MAX_QUOTE = 300


def criteria_of(question: Question) -> list[Criterion]:
    """The question's criteria in the order the rubric traces them (level 2 to 5, file order)."""
    return [c for level in sorted(question.levels) for c in question.levels[level]]


def _quote(text: str | None) -> str:
    if not text:
        return ""
    text = " ".join(text.split())
    return f"\u201c{text if len(text) <= MAX_QUOTE else text[: MAX_QUOTE - 1] + '…'}\u201d"


def _title(question: Question, level: int, gap: str, limit: int = 110) -> str:
    """'MC-01 Quality objectives, level 4: Objectives reach teams' (cut to ``limit`` characters)."""
    text = f"{question.id} {question.topic}, level {level}: {gap.rstrip('.')}"
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def said_about(question: Question, field_id: str, answers: Sequence[Mapping[str, Any]]) -> str:
    """What the answers say about one field: "Ann Lee (Head of QA): Every quarter ("every quarter")"; or that no
    answer states it."""
    field = next((f for f in question.fields if f.id == field_id), None)
    parts = []
    for a in answers:
        value = (a.get("values") or {}).get(field_id)
        shown = "not stated" if value is None or field is None else label_value(field, value)
        quote = _quote((a.get("spans") or {}).get(field_id))
        who = a.get("who")
        parts.append((f"{who}: " if who else "") + shown + (f" ({quote})" if quote else ""))
    label = field.label if field else field_id
    return f"{label}: " + ("; ".join(parts) if parts else "no answer yet")


WEAK_AREA = 2.5


def priority(question: QuestionScore, area_score: float | None) -> tuple[Priority, str]:
    level = question.level or 1
    gap = max(0, 4 - level)
    points, why = gap, [f"question at level {level} (+{gap})"]
    if area_score is not None and area_score < WEAK_AREA:
        points += 1
        why.append(f"area score {area_score:.2f} below {WEAK_AREA} (+1)")
    impact = IMPACT.get(question.area)
    if impact:
        points += 1
        why.append(f"{impact} (+1)")
    grade: Priority = "high" if points >= 3 else "medium" if points == 2 else "low"
    return grade, ", ".join(why) + f" = {points} point(s)"


def _met(results: Sequence[CriterionResult], level: int) -> list[CriterionResult]:
    return [r for r in results if r.level == level and r.met]


def draft_findings(
    protocol: Protocol,
    profile: SiteProfile,
    answers: Mapping[str, Sequence[Mapping[str, Any]]],
    citations: Mapping[str, Citation],
) -> list[Finding]:
    """Strengths and opportunities for every scored question, in protocol order (strengths of a question first).

    ``answers``: per question, each interviewee's answer as {"who", "values", "spans"}; ``citations``: guidance
    note id -> citation."""
    area_scores = {a.area: a.score for a in profile.areas}
    best = {a.area: max((q.level or 0 for q in profile.questions if q.area == a.area and q.status == "scored"),
                        default=0) for a in profile.areas}  # fmt: skip
    out: list[Finding] = []
    for score in profile.questions:
        question = protocol.question(score.question_id)
        if question is None or score.status != "scored" or score.level is None:
            continue
        cites = [citations[n] for n in question.guidance_refs if n in citations][:MAX_CITATIONS]
        said = answers.get(question.id, [])
        if score.level >= 4 or (score.level == 3 and best[score.area] == 3):
            met = _met(score.trace, score.level)
            lines = ". ".join((r.why or r.describe()).rstrip(".") for r in met)
            quotes = " ".join(q for q in (_quote(r.span) for r in met) if q)
            out.append(Finding(
                id=f"F-{question.id}-S", kind="strength", area=question.area, question_id=question.id,
                title=f"{question.id} {question.topic}: level {score.level} ({score.level_name})",
                observation=f"{lines}." + (f" In the interviewees' words: {quotes}" if quotes else ""),
                citations=cites,
            ))  # fmt: skip
        if score.next_level is None:
            continue
        grade, reason = priority(score, area_scores.get(score.area))
        seen: dict[str, int] = {}
        for result, crit in zip(score.trace, criteria_of(question), strict=True):  # the rubric traces in this order
            key = f"F-{question.id}-L{result.level}-{result.field}"
            seen[key] = seen.get(key, 0) + 1  # a field with several criteria at one level: -2, -3 after the first
            if result.level != score.next_level or result.met:
                continue
            out.append(Finding(
                id=key if seen[key] == 1 else f"{key}-{seen[key]}", kind="opportunity", area=question.area,
                question_id=question.id,
                title=_title(question, result.level, result.why or result.describe()),
                observation=said_about(question, result.field, said),
                gap=result.why or result.describe(),
                recommendation=crit.recommendation, effort=crit.effort,
                priority=grade, priority_reason=reason, citations=cites,
            ))  # fmt: skip
    return out


def apply_edits(drafted: Sequence[Finding], edits: Sequence[Mapping[str, Any]]) -> list[Finding]:
    """The draft with an assessor's edits laid over it, in the order they were made. An edit is {"action": "edit" |
    "drop" | "add" | "restore", "finding_id", "data"}: edit sets fields of a finding (kept across regenerations even
    when its criterion is met later, so nothing the assessor wrote is lost), drop hides one, add appends one, restore
    undoes a drop."""
    findings = {f.id: f for f in drafted}
    order = [f.id for f in drafted]
    dropped: set[str] = set()
    for edit in edits:
        fid, action, data = str(edit["finding_id"]), edit["action"], dict(edit.get("data") or {})
        if action == "drop":
            dropped.add(fid)
        elif action == "restore":
            dropped.discard(fid)
        elif action == "add":
            findings[fid] = Finding.model_validate({**data, "id": fid, "origin": "added"})
            if fid not in order:
                order.append(fid)
        elif action == "edit" and fid in findings:
            base = findings[fid].model_dump()
            origin = "added" if base["origin"] == "added" else "edited"
            findings[fid] = Finding.model_validate({**base, **data, "id": fid, "origin": origin})
        elif action == "edit" and "kind" in data:  # an edited finding whose criterion is met now: keep the edit
            findings[fid] = Finding.model_validate({**data, "id": fid, "origin": "edited"})
            order.append(fid)
    return [findings[f] for f in order if f not in dropped]


def template_narrative(area_name: str, area: Any, profile: SiteProfile, findings: Sequence[Finding]) -> str:
    """A paragraph for one area from the facts alone (no LLM): score, coverage, strongest and weakest questions, and
    the top-priority next step."""
    mine = [q for q in profile.questions if q.area == area.area and q.status == "scored" and q.level is not None]
    if not mine:
        return f"{area_name}: no question of this area has a confirmed answer yet, so it is not scored."
    ranked = sorted(mine, key=lambda q: (-(q.level or 0), q.question_id))
    top = ", ".join(f"{q.question_id} {q.topic} (level {q.level})" for q in ranked[:2])
    low = ", ".join(f"{q.question_id} {q.topic} (level {q.level})" for q in sorted(
        mine, key=lambda q: (q.level or 0, q.question_id))[:2])  # fmt: skip
    text = (f"{area_name} scores {area.score:.2f} ({area.level_name}) on {area.assessed} of {area.applicable} "
            f"applicable questions. Strongest: {top}. Weakest: {low}.")  # fmt: skip
    first = next((f for f in findings if f.area == area.area and f.kind == "opportunity" and f.priority == "high"),
                 next((f for f in findings if f.area == area.area and f.kind == "opportunity"), None))  # fmt: skip
    if first is not None and first.recommendation:
        text += f" First step ({first.question_id}): {first.recommendation}"
    return text

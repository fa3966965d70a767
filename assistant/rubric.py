"""The deterministic rubric: confirmed answers + protocol -> question levels, area scores, site profile.

Pure functions, no I/O, no clock. The rules (our interpretation; FDA has not published its roll-up):
- A yearly_values field (a metric's value per year, with an optional site target) is judged by its direction,
  computed here from the values (``trend_of``): fewer than three yearly values -> no_data; every one of the last
  three years at or better than the target -> at_target_sustained; else the latest of the three years better than
  the first -> improving, worse -> worsening, the same -> flat_off_target. Without a target the best is "improving".
- A question's level is the highest level whose criteria, and those of every lower level, all hold. Level 1 is the
  floor of any confirmed answer. A question with no confirmed answer is "not assessed", never level 1.
- N/A needs a justification; it is shown as N/A and left out of every average.
- A question whose ``applies_when`` site fact is false is "not applicable" and leaves the denominator.
- Area score = mean of the assessed question levels in the area; overall = mean of the area scores that have at least
  one assessed question. Completeness = answered (confirmed or N/A) / applicable. Evidence share = share of assessed
  answers with at least one evidence item.
Floats are rounded to two decimals so the same inputs give the same output, byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.protocol.gate import GateResult, GateSummary, check_gate, summarise_gate
from assistant.protocol.models import (
    FREQUENCIES,
    TARGET_KEY,
    TREND_YEARS,
    TRENDS,
    YES_NO_ORDER,
    AnswerField,
    Criterion,
    FieldType,
    Operator,
    Protocol,
    Question,
)

Value = str | int | float | list[str] | dict[str, float]
LEVELS = (2, 3, 4, 5)


class ConfirmedAnswer(BaseModel):
    """What the interviewee confirmed for one question. A field absent from ``values`` was not stated."""

    model_config = ConfigDict(frozen=True)

    question_id: str
    values: dict[str, Value] = Field(default_factory=dict)
    spans: dict[str, str] = Field(default_factory=dict, description="Verbatim answer text behind each value.")
    na_justification: str | None = Field(default=None, description="Set when the question was marked N/A.")


class CriterionResult(BaseModel):
    level: int
    field: str
    op: str
    expected: Value | None
    seen: Value | None
    met: bool
    why: str | None = None
    span: str | None = None
    derived: str | None = Field(default=None, description="yearly_values: the direction computed from the values.")

    def describe(self) -> str:
        expected = "" if self.expected is None else f" {_show(self.expected)}"
        seen = "not stated" if self.seen is None else _show(self.seen)
        if self.derived is not None:
            seen += f" -> {self.derived}"
        mark = "met" if self.met else "NOT met"
        return f"L{self.level} {self.field} {self.op}{expected} (seen: {seen}) {mark}"


QuestionStatus = Literal["scored", "na", "not_assessed", "not_applicable"]


class QuestionScore(BaseModel):
    question_id: str
    area: str
    topic: str
    status: QuestionStatus
    level: int | None = None
    level_name: str | None = None
    level_description: str | None = None
    trace: list[CriterionResult] = Field(default_factory=list)
    next_level: int | None = None
    missing_for_next: list[CriterionResult] = Field(default_factory=list)
    na_justification: str | None = None
    has_evidence: bool = False


class AreaScore(BaseModel):
    area: str
    name: str
    score: float | None
    level_name: str | None = Field(description="Name of the level the score rounds down to.")
    assessed: int
    na: int
    not_assessed: int
    applicable: int
    distribution: dict[int, int]


class SiteProfile(BaseModel):
    protocol: str
    areas: list[AreaScore]
    overall: float | None
    completeness: float
    evidence_share: float | None
    questions: list[QuestionScore]
    # the compliance gate, reported beside the profile and never part of a score (set by the caller: see gate.py)
    gate: list[GateResult] = Field(default_factory=list)
    gate_summary: GateSummary | None = None
    validated: list[str] = Field(default_factory=list, description="Questions whose answer an assessor validated.")


def _show(value: Value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v:g}" for k, v in value.items())
    return ", ".join(value) if isinstance(value, list) else str(value)


def yearly(value: object) -> list[tuple[int, float]]:
    """The (year, value) pairs of a yearly_values value, oldest first (the target left out)."""
    if not isinstance(value, dict):
        return []
    return sorted((int(k), float(v)) for k, v in value.items() if k != TARGET_KEY and k.isdigit())


def trend_of(field: AnswerField, value: object) -> str | None:
    """The direction of a yearly_values value over the last three years (one of ``TRENDS``); None if not stated."""
    if not isinstance(value, dict) or not value:
        return None
    years = yearly(value)[-TREND_YEARS:]
    if len(years) < TREND_YEARS:
        return "no_data"
    sign = 1.0 if field.better != "lower" else -1.0
    target = value.get(TARGET_KEY)
    if target is not None and all(sign * (v - float(target)) >= 0 for _, v in years):
        return "at_target_sustained"
    change = sign * (years[-1][1] - years[0][1])
    return "improving" if change > 0 else "worsening" if change < 0 else "flat_off_target"


def _position(field: AnswerField, value: object) -> float | None:
    """Where a value sits on the field's scale: its rank for ordered names, the number itself for numbers."""
    order = _ordered_values(field)
    if field.type is FieldType.YEARLY_VALUES and isinstance(value, dict):
        value = trend_of(field, value)
    if order is not None:
        return float(order.index(value)) if isinstance(value, str) and value in order else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _ordered_values(field: AnswerField) -> Sequence[str] | None:
    if field.type is FieldType.FREQUENCY:
        return FREQUENCIES
    if field.type is FieldType.YES_NO:
        return YES_NO_ORDER
    if field.type is FieldType.SINGLE_CHOICE and field.ordered:
        return [o.id for o in field.options or []]
    if field.type is FieldType.YEARLY_VALUES:
        return TRENDS
    return None


def criterion_holds(field: AnswerField, criterion: Criterion, value: Value | None) -> bool:
    """Whether one criterion holds for one field value. A value that was not stated meets nothing."""
    if value is None:
        return False
    op, expected = criterion.op, criterion.value
    if op is Operator.STATED:
        return value != "" and value != [] and value != {}
    if field.type is FieldType.YEARLY_VALUES and op in (Operator.IS, Operator.IN):
        value = trend_of(field, value) or ""
    if op is Operator.IS:
        return value == expected
    if op is Operator.IN:
        return isinstance(expected, list) and value in expected
    if op in (Operator.AT_LEAST, Operator.AT_MOST):
        seen, wanted = _position(field, value), _position(field, expected)
        if seen is None or wanted is None:
            return False
        return seen >= wanted if op is Operator.AT_LEAST else seen <= wanted
    if op is Operator.INCLUDES:
        return isinstance(value, list) and expected in value
    if op is Operator.INCLUDES_ANY:
        return isinstance(value, list) and isinstance(expected, list) and any(v in value for v in expected)
    if op is Operator.COUNT_AT_LEAST:
        return isinstance(value, list) and isinstance(expected, int) and len(value) >= expected
    return False


def applies(question: Question, facts: Mapping[str, str]) -> bool:
    """A question applies unless its site fact is known and differs. Unknown facts keep the question in."""
    cond = question.applies_when
    if cond is None or cond.fact not in facts:
        return True
    return facts[cond.fact] == cond.is_


def _has_evidence(question: Question, answer: ConfirmedAnswer) -> bool:
    return any(f.type is FieldType.EVIDENCE_LIST and bool(answer.values.get(f.id)) for f in question.fields)


def score_question(protocol: Protocol, question: Question, answer: ConfirmedAnswer | None) -> QuestionScore:
    """Level, criterion trace and what the next level needs, for one question."""
    base = {"question_id": question.id, "area": question.area, "topic": question.topic}
    if answer is None:
        return QuestionScore(**base, status="not_assessed")
    if answer.na_justification is not None:
        return QuestionScore(**base, status="na", na_justification=answer.na_justification)

    fields = {f.id: f for f in question.fields}
    trace: list[CriterionResult] = []
    level = 1
    reached = True
    for lvl in LEVELS:
        results = []
        for crit in question.levels.get(lvl, []):
            seen = answer.values.get(crit.field)
            results.append(
                CriterionResult(
                    level=lvl,
                    field=crit.field,
                    op=str(crit.op),
                    expected=crit.value,
                    seen=seen,
                    met=criterion_holds(fields[crit.field], crit, seen),
                    why=crit.why,
                    span=answer.spans.get(crit.field),
                    derived=trend_of(fields[crit.field], seen)
                    if fields[crit.field].type is FieldType.YEARLY_VALUES
                    else None,
                )
            )
        trace += results
        if reached and all(r.met for r in results):
            level = lvl
        else:
            reached = False
    text = protocol.level_text(question.area, level)
    next_level = level + 1 if level < max(LEVELS) else None
    missing = [r for r in trace if r.level == next_level and not r.met]
    return QuestionScore(
        **base,
        status="scored",
        level=level,
        level_name=text.name,
        level_description=text.description,
        trace=trace,
        next_level=next_level,
        missing_for_next=missing,
        has_evidence=_has_evidence(question, answer),
    )


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def score_site(
    protocol: Protocol,
    answers: Mapping[str, ConfirmedAnswer],
    facts: Mapping[str, str] | None = None,
) -> SiteProfile:
    """The site profile: five area scores, overall figure, completeness and evidence share."""
    facts = facts or {}
    scores: list[QuestionScore] = []
    for q in protocol.active_questions:
        if not applies(q, facts):
            scores.append(QuestionScore(question_id=q.id, area=q.area, topic=q.topic, status="not_applicable"))
        else:
            scores.append(score_question(protocol, q, answers.get(q.id)))

    areas: list[AreaScore] = []
    for area in protocol.meta.areas:
        mine = [s for s in scores if s.area == area.id and s.status != "not_applicable"]
        levels = [s.level for s in mine if s.status == "scored" and s.level is not None]
        mean = _mean(levels)
        areas.append(
            AreaScore(
                area=area.id,
                name=area.name,
                score=mean,
                level_name=protocol.level_text(area.id, int(mean)).name if mean is not None else None,
                assessed=len(levels),
                na=sum(1 for s in mine if s.status == "na"),
                not_assessed=sum(1 for s in mine if s.status == "not_assessed"),
                applicable=len(mine),
                distribution={lvl: levels.count(lvl) for lvl in range(1, 6)},
            )
        )

    applicable = [s for s in scores if s.status != "not_applicable"]
    answered = [s for s in applicable if s.status in ("scored", "na")]
    assessed = [s for s in applicable if s.status == "scored"]
    return SiteProfile(
        protocol=protocol.ref,
        areas=areas,
        overall=_mean([a.score for a in areas if a.score is not None]),
        completeness=round(len(answered) / len(applicable), 2) if applicable else 0.0,
        evidence_share=round(sum(s.has_evidence for s in assessed) / len(assessed), 2) if assessed else None,
        questions=scores,
    )


def with_seen(protocol: Protocol, answer: ConfirmedAnswer, records: Mapping[str, object] | None) -> ConfirmedAnswer:
    """The answer with the records an assessor has seen put in the question's seen-evidence field (if any)."""
    question = protocol.question(answer.question_id)
    items = records.get("records") if records else None
    if question is None or answer.na_justification is not None or not isinstance(items, list) or not items:
        return answer
    seen_field = next((f.id for f in question.fields if f.evidence_status == "seen"), None)
    if seen_field is None:
        return answer
    return answer.model_copy(update={"values": {**answer.values, seen_field: [str(i) for i in items]}})


def with_gate(
    protocol: Protocol, profile: SiteProfile, answers: Mapping[str, str], facts: Mapping[str, str], today: date
) -> SiteProfile:
    """The profile with the compliance gate checked beside it (the scores are unchanged: the gate is never scored)."""
    if protocol.meta.gate is None:
        return profile
    results = check_gate(protocol, answers, facts, today)
    return profile.model_copy(update={"gate": results, "gate_summary": summarise_gate(results, today)})

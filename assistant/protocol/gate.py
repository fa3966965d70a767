"""The compliance gate: answers to the protocol's gate items checked against their ok values, never scored.

Pure: the gate, the answers (item id -> text), the site facts and today's date in; one ``GateResult`` per item out.
The results are reported beside the maturity profile and never enter a score or an average (see ``rubric.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Literal

from pydantic import BaseModel

from assistant.protocol.models import GateAnswerType, GateItem, Protocol

GateStatus = Literal["ok", "not_ok", "not_answered", "not_applicable", "recorded"]


class GateResult(BaseModel):
    item: str
    label: str
    kind: str
    status: GateStatus
    answer: str | None = None
    message: str | None = None  # the item's message, set when the status is not_ok


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def check_item(item: GateItem, answer: str | None, facts: Mapping[str, str], today: date) -> GateResult:
    base = {"item": item.id, "label": item.label, "kind": item.kind}
    cond = item.applies_when
    if cond is not None and cond.fact in facts and facts[cond.fact] != cond.is_:
        return GateResult(**base, status="not_applicable")
    if answer is None or not answer.strip():
        return GateResult(**base, status="not_answered")
    answer = answer.strip()
    if item.type is GateAnswerType.DATE:
        try:
            when = date.fromisoformat(answer)
        except ValueError:
            return GateResult(**base, status="not_ok", answer=answer, message=f"not a date (YYYY-MM-DD): {answer}")
        recent = item.within_years is None or _years_before(today, item.within_years) <= when <= today
        return GateResult(
            **base, status="ok" if recent else "not_ok", answer=answer, message=None if recent else item.message
        )
    if item.type is GateAnswerType.FREE_TEXT:
        return GateResult(**base, status="recorded", answer=answer)
    ok = answer in item.ok
    return GateResult(**base, status="ok" if ok else "not_ok", answer=answer, message=None if ok else item.message)


def check_gate(
    protocol: Protocol, answers: Mapping[str, str], facts: Mapping[str, str], today: date
) -> list[GateResult]:
    """One result per gate item, in protocol order; an empty list when the protocol has no gate."""
    gate = protocol.meta.gate
    if gate is None:
        return []
    return [check_item(item, answers.get(item.id), facts, today) for item in gate.items]


class GateSummary(BaseModel):
    """The gate in a few lines, for beside the profile: the entry rule of FDA's QMM program, then the legal duties and
    CGMP basics that do not pass (each a floor to fix, never a maturity level)."""

    checked_on: str
    eligibility: Literal["eligible", "not_eligible", "unknown", "no_gate"]
    headline: str
    problems: list[str]
    unanswered: list[str]


def summarise_gate(results: list[GateResult], today: date) -> GateSummary:
    eligibility = [r for r in results if r.kind == "eligibility"]
    failed = [r for r in eligibility if r.status == "not_ok"]
    open_items = [r.label for r in results if r.status == "not_answered"]
    duties = [r for r in results if r.kind != "eligibility" and r.status == "not_ok"]
    if not results:
        state, headline = "no_gate", "This protocol version has no compliance gate."
    elif failed:
        state, headline = "not_eligible", "Not eligible for FDA's QMM program while the gate items below stand."
    elif any(r.status == "not_answered" for r in eligibility):
        state, headline = "unknown", "Eligibility for FDA's QMM program is not known: answer the open gate items."
    else:
        state, headline = "eligible", (
            "Meets the entry rule of FDA's QMM program as answered (our reading of the 2024 and 2025 notices)."
        )
    problems = [f"{r.label}: {r.message}" for r in failed + duties]
    return GateSummary(checked_on=today.isoformat(), eligibility=state, headline=headline, problems=problems,
                       unanswered=open_items)  # fmt: skip

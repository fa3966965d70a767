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

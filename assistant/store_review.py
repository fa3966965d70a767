"""What belongs to an assessment rather than to one interviewee: the compliance-gate answers (never scored) and the
records an assessor has seen for each question (what levels 4-5 of protocol v2 need). Every change is audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.errors import StoreError
from assistant.store import Store
from assistant.store_schema import AssessmentRow, SeenRow, audit

__all__ = ["Review"]


class Review:
    def __init__(self, store: Store) -> None:
        self.store = store

    def gate_answers(self, assessment_id: int) -> dict[str, str]:
        with self.store.session() as s:
            a = s.get(AssessmentRow, assessment_id)
            if a is None:
                raise StoreError(f"There is no assessment {assessment_id}.")
            return dict(a.gate or {})

    def set_gate(self, assessment_id: int, answers: dict[str, str], who: str, now: datetime) -> None:
        """Replace the compliance-gate answers; audited (before, after)."""

        def work(s: Session) -> None:
            a = s.get(AssessmentRow, assessment_id)
            if a is None:
                raise StoreError(f"There is no assessment {assessment_id}.")
            before = dict(a.gate or {})
            a.gate = dict(answers)
            s.add(audit(now, who, "set_gate", "assessment", str(a.id), before, dict(answers), a.protocol))

        self.store.write(work)

    def seen_records(self, assessment_id: int) -> dict[str, dict[str, Any]]:
        """Per question, the latest records an assessor has seen: {"records", "who", "at"}."""
        with self.store.session() as s:
            rows = s.scalars(
                select(SeenRow).where(SeenRow.assessment_id == assessment_id).order_by(SeenRow.id)
            ).all()
            return {r.question_id: {"records": list(r.records or []), "who": r.who, "at": r.at.isoformat()}
                    for r in rows}  # fmt: skip

    def record_seen(self, assessment_id: int, question_id: str, records: list[str], who: str, now: datetime) -> None:
        """An assessor's list of the records seen for one question (a new row; earlier ones stay); audited."""

        def work(s: Session) -> None:
            a = s.get(AssessmentRow, assessment_id)
            if a is None:
                raise StoreError(f"There is no assessment {assessment_id}.")
            mine = (SeenRow.assessment_id == assessment_id) & (SeenRow.question_id == question_id)
            last = s.scalar(select(SeenRow).where(mine).order_by(SeenRow.id.desc()).limit(1))
            s.add(SeenRow(assessment_id=assessment_id, question_id=question_id, records=list(records), who=who, at=now))
            s.add(audit(now, who, "record_seen", "seen_records", f"{assessment_id}:{question_id}",
                        {"records": list(last.records or [])} if last else None, {"records": list(records)},
                        a.protocol))  # fmt: skip

        self.store.write(work)

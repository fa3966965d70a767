"""The assessor's workspace in the database: evidence items, validated answers, finding edits, improvement plan.

Every write is one transaction with its audit event (who, when, before, after, the assessment it belongs to); reads
return plain dicts. Files themselves live beside the database, by SHA-256 (``assistant.evidence_files``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.errors import StoreError
from assistant.store import Store
from assistant.store_review_rows import EvidenceRow, FindingEditRow, PlanRow, ValidationRow
from assistant.store_schema import AssessmentRow, audit

__all__ = ["Workspace"]


def _protocol(s: Session, assessment_id: int) -> str:
    a = s.get(AssessmentRow, assessment_id)
    if a is None:
        raise StoreError(f"There is no assessment {assessment_id}.")
    return a.protocol


def _evidence(r: EvidenceRow) -> dict[str, Any]:
    return {"id": r.id, "question_id": r.question_id, "kind": r.kind, "title": r.title, "status": r.status,
            "sha256": r.sha256, "size": r.size, "media_type": r.media_type, "passage": r.passage,
            "added_by": r.added_by, "added_at": r.added_at.isoformat(), "seen_by": r.seen_by,
            "seen_at": r.seen_at.isoformat() if r.seen_at else None}  # fmt: skip


class Workspace:
    def __init__(self, store: Store) -> None:
        self.store = store

    # --- evidence ----------------------------------------------------------------------------------------------------
    def add_evidence(self, assessment_id: int, item: dict[str, Any], who: str, now: datetime) -> int:
        """A new evidence item ({"question_id", "kind", "title", "status", "sha256"?, "size"?, "media_type"?,
        "passage"?}); audited."""

        def work(s: Session) -> int:
            protocol = _protocol(s, assessment_id)
            row = EvidenceRow(assessment_id=assessment_id, added_by=who, added_at=now, **item)
            if row.status == "seen":
                row.seen_by, row.seen_at = who, now
            s.add(row)
            s.flush()
            s.add(audit(now, who, "add_evidence", "evidence", str(row.id), None, _evidence(row), protocol,
                        assessment_id))  # fmt: skip
            return row.id

        return self.store.write(work)

    def evidence(self, assessment_id: int) -> list[dict[str, Any]]:
        with self.store.session() as s:
            rows = s.scalars(select(EvidenceRow).where(EvidenceRow.assessment_id == assessment_id)
                             .order_by(EvidenceRow.id)).all()  # fmt: skip
            return [_evidence(r) for r in rows]

    def set_evidence_status(self, assessment_id: int, item_id: int, status: str, who: str, now: datetime) -> None:
        def work(s: Session) -> None:
            row = s.get(EvidenceRow, item_id)
            if row is None or row.assessment_id != assessment_id:
                raise StoreError(f"There is no evidence item {item_id} in this assessment.")
            before = _evidence(row)
            row.status = status
            row.seen_by, row.seen_at = (who, now) if status == "seen" else (None, None)
            s.add(audit(now, who, "evidence_status", "evidence", str(row.id), before, _evidence(row),
                        _protocol(s, assessment_id), assessment_id))  # fmt: skip

        self.store.write(work)

    # --- validated answers -------------------------------------------------------------------------------------------
    def validate(self, assessment_id: int, question_id: str, chosen: int | None, values: dict[str, Any],
                 versions: dict[str, int], reason: str, who: str, now: datetime, before: Any) -> None:  # fmt: skip
        def work(s: Session) -> None:
            protocol = _protocol(s, assessment_id)
            s.add(ValidationRow(assessment_id=assessment_id, question_id=question_id, chosen_interview_id=chosen,
                                values=values, versions=versions, reason=reason, who=who, at=now))  # fmt: skip
            after = {"chosen_interview_id": chosen, "values": values, "versions": versions, "reason": reason}
            s.add(audit(now, who, "validate", "answer", question_id, before, after, protocol, assessment_id))

        self.store.write(work)

    def validations(self, assessment_id: int) -> dict[str, dict[str, Any]]:
        """Per question, the latest validation: {"chosen_interview_id", "values", "versions", "reason", "who", "at"}."""
        with self.store.session() as s:
            rows = s.scalars(select(ValidationRow).where(ValidationRow.assessment_id == assessment_id)
                             .order_by(ValidationRow.id)).all()  # fmt: skip
            return {r.question_id: {"chosen_interview_id": r.chosen_interview_id, "values": dict(r.values or {}),
                                    "versions": dict(r.versions or {}), "reason": r.reason, "who": r.who,
                                    "at": r.at.isoformat()} for r in rows}  # fmt: skip

    # --- findings ----------------------------------------------------------------------------------------------------
    def edit_findings(self, assessment_id: int, edits: Sequence[dict[str, Any]], who: str, now: datetime,
                      before: dict[str, Any]) -> None:  # fmt: skip
        """Edits ({"finding_id", "action", "data"}) in one transaction, each audited (before: finding id -> the
        finding as it stood, or None)."""

        def work(s: Session) -> None:
            protocol = _protocol(s, assessment_id)
            for e in edits:
                s.add(FindingEditRow(assessment_id=assessment_id, finding_id=e["finding_id"], action=e["action"],
                                     data=e.get("data"), who=who, at=now))  # fmt: skip
                s.add(audit(now, who, f"finding_{e['action']}", "finding", e["finding_id"], before.get(e["finding_id"]),
                            e.get("data"), protocol, assessment_id))  # fmt: skip

        self.store.write(work)

    def finding_edits(self, assessment_id: int) -> list[dict[str, Any]]:
        with self.store.session() as s:
            rows = s.scalars(select(FindingEditRow).where(FindingEditRow.assessment_id == assessment_id)
                             .order_by(FindingEditRow.id)).all()  # fmt: skip
            return [{"finding_id": r.finding_id, "action": r.action, "data": r.data, "who": r.who,
                     "at": r.at.isoformat()} for r in rows]  # fmt: skip

    # --- improvement plan --------------------------------------------------------------------------------------------
    def save_plan_item(self, assessment_id: int, item_id: str, data: dict[str, Any], who: str, now: datetime) -> None:
        def work(s: Session) -> None:
            protocol = _protocol(s, assessment_id)
            last = s.scalar(select(PlanRow).where(PlanRow.assessment_id == assessment_id, PlanRow.item_id == item_id)
                            .order_by(PlanRow.id.desc()).limit(1))  # fmt: skip
            s.add(PlanRow(assessment_id=assessment_id, item_id=item_id, data=data, who=who, at=now))
            s.add(audit(now, who, "plan_item", "plan", item_id, dict(last.data) if last else None, data, protocol,
                        assessment_id))  # fmt: skip

        self.store.write(work)

    def plan(self, assessment_id: int) -> list[dict[str, Any]]:
        """The plan's items as they stand (latest version of each), in the order they were first made."""
        with self.store.session() as s:
            rows = s.scalars(select(PlanRow).where(PlanRow.assessment_id == assessment_id).order_by(PlanRow.id)).all()
            latest: dict[str, dict[str, Any]] = {}
            for r in rows:
                latest[r.item_id] = {**dict(r.data), "id": r.item_id, "_who": r.who, "_at": r.at.isoformat()}
            return list(latest.values())

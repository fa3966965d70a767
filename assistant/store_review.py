"""What belongs to an assessment rather than to one interviewee: the list of assessments, the upgrade of one to a
new protocol version, the compliance-gate answers (never scored) and the records an assessor has seen for each
question (what levels 4-5 of protocol v2 need). Every change is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assistant.auth import new_token
from assistant.errors import StoreError
from assistant.store import Store, TurnWrite
from assistant.store_schema import AssessmentRow, InterviewRow, SeenRow, SiteRow, audit

__all__ = ["Review"]


class Review:
    def __init__(self, store: Store) -> None:
        self.store = store

    # --- assessments as a whole ------------------------------------------------------------------------------------
    def list_assessments(self, sites: set[str] | None = None) -> list[dict[str, Any]]:
        """Every assessment (of ``sites`` when given), newest first: id, token, site, protocol, status, created_at,
        interviews (count)."""
        with self.store.session() as s:
            query = (select(AssessmentRow, SiteRow).join(SiteRow, AssessmentRow.site_id == SiteRow.id)
                     .order_by(AssessmentRow.created_at.desc(), AssessmentRow.id.desc()))  # fmt: skip
            if sites is not None:
                query = query.where(SiteRow.name.in_(sorted(sites)))
            counts = dict(s.execute(select(InterviewRow.assessment_id, func.count()).group_by(
                InterviewRow.assessment_id)).all())  # fmt: skip
            return [{"id": a.id, "token": a.token, "site": site.name, "protocol": a.protocol, "status": a.status,
                     "created_at": a.created_at.isoformat(), "interviews": int(counts.get(a.id, 0))}
                    for a, site in s.execute(query).all()]  # fmt: skip

    def interviews_of(self, assessment_id: int) -> list[dict[str, Any]]:
        """The interviews of one assessment, oldest first: id, token, interviewee, role, owner_id, protocol."""
        with self.store.session() as s:
            rows = s.scalars(select(InterviewRow).where(InterviewRow.assessment_id == assessment_id)
                             .order_by(InterviewRow.id)).all()  # fmt: skip
            return [{"id": r.id, "token": r.token, "interviewee": r.interviewee, "role": r.role,
                     "owner_id": r.owner_id, "protocol": r.protocol} for r in rows]  # fmt: skip

    def upgrade_assessment(
        self,
        source_id: int,
        protocol: str,
        facts: dict[str, str],
        interviews: list[dict[str, Any]],
        state_of: Callable[[int, int, dict[str, Any]], TurnWrite],
        who: str,
        now: datetime,
    ) -> int:
        """A new open assessment of the source's site on ``protocol``, with one interview per entry of
        ``interviews`` ({"source_id", "interviewee", "role", "owner_id"}) whose first state, carried drafts and
        chat come from ``state_of(assessment_id, interview_id, entry)``; ONE transaction, audited. The source
        assessment is not changed. Refused when the site already has an open assessment on that protocol."""

        def work(s: Session) -> int:
            source = s.get(AssessmentRow, source_id)
            if source is None:
                raise StoreError(f"There is no assessment {source_id}.")
            taken = s.scalar(select(AssessmentRow).where(AssessmentRow.site_id == source.site_id,
                                                         AssessmentRow.protocol == protocol,
                                                         AssessmentRow.status == "open"))  # fmt: skip
            if taken is not None:
                raise StoreError(f"The site already has an open {protocol} assessment ({taken.token}); nothing was "
                                 "changed.")  # fmt: skip
            new = AssessmentRow(site_id=source.site_id, protocol=protocol, status="open", facts=dict(facts),
                                created_at=now, token=new_token())  # fmt: skip
            s.add(new)
            s.flush()
            before = {"from": source.token, "protocol": source.protocol}
            after = {"to": new.token, "protocol": protocol, "interviews": len(interviews)}
            s.add(audit(now, who, "upgrade", "assessment", str(new.id), before, after, protocol, new.id))
            for entry in interviews:
                row = InterviewRow(assessment_id=new.id, interviewee=entry["interviewee"], role=entry["role"],
                                   protocol=protocol, state="", revision=1, created_at=now, updated_at=now,
                                   token=new_token(), owner_id=entry.get("owner_id"))  # fmt: skip
                s.add(row)
                s.flush()
                s.add(audit(now, who, "create", "interview", str(row.id), None,
                            {"role": row.role, "interviewee": row.interviewee, "from_interview": entry["source_id"]},
                            protocol, new.id))  # fmt: skip
                first = state_of(new.id, row.id, entry)
                row.state = first.state_json
                self.store.save_turn(s, row, first, who, now)
            return new.id

        return self.store.write(work)


    def set_status(self, assessment_id: int, status: str, reason: str, who: str, now: datetime) -> None:
        """Finalise (``final``) or reopen (``open``) an assessment; audited with the reason. Reopening is refused
        while the site has another open assessment on the same protocol."""

        def work(s: Session) -> None:
            a = s.get(AssessmentRow, assessment_id)
            if a is None:
                raise StoreError(f"There is no assessment {assessment_id}.")
            if status == "open":
                other = s.scalar(select(AssessmentRow).where(AssessmentRow.site_id == a.site_id,
                                                             AssessmentRow.protocol == a.protocol,
                                                             AssessmentRow.status == "open",
                                                             AssessmentRow.id != a.id))  # fmt: skip
                if other is not None:
                    raise StoreError(f"The site has another open {a.protocol} assessment ({other.token}); finalise it "
                                     "before reopening this one.")  # fmt: skip
            before = {"status": a.status}
            a.status = status
            s.add(audit(now, who, "finalise" if status == "final" else "reopen", "assessment", str(a.id), before,
                        {"status": status, "reason": reason}, a.protocol, a.id))  # fmt: skip

        self.store.write(work)

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
            s.add(audit(now, who, "set_gate", "assessment", str(a.id), before, dict(answers), a.protocol, a.id))

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
                        a.protocol, assessment_id))  # fmt: skip

        self.store.write(work)

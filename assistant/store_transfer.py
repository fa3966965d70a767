"""A whole assessment out of one database and into another (``qmm report --format json``, ``qmm import``).

The export holds everything the assessment is: site, protocol version, facts, gate answers, every interview (with
its state and chat), every answer version, conflict resolutions, validations, seen records, the evidence register
(files by SHA-256; copy the data directory's ``evidence/`` folder to carry the files themselves), finding edits and
the improvement plan, with who and when for each. Interviews are referred to by a key ("i1", "i2", ...) instead of
their ids. The import writes it all in ONE transaction, under new ids and tokens, with an audit event for every
answer and resolution it adds (as their original writes had: same who and when), so ``qmm audit verify`` holds, and
one "import" event naming the operator. Re-scored, the imported assessment gives the same profile.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.auth import new_token
from assistant.errors import AssistantError, StoreError
from assistant.store import Store
from assistant.store_review_rows import EvidenceRow, FindingEditRow, PlanRow, ValidationRow
from assistant.store_schema import (
    AnswerRow,
    AssessmentRow,
    InterviewRow,
    ResolutionRow,
    SeenRow,
    SiteRow,
    TurnRow,
    answer_summary,
    audit,
)

FORMAT, FORMAT_VERSION = "qmm-assessment", 1


def _t(value: datetime) -> str:
    return value.isoformat()


def _dt(value: Any) -> datetime:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise AssistantError(f"not a timestamp: {str(value)[:40]!r}") from None


def export_assessment(store: Store, assessment_id: int) -> dict[str, Any]:
    with store.session() as s:
        a = s.get(AssessmentRow, assessment_id)
        if a is None:
            raise StoreError(f"There is no assessment {assessment_id}.")
        site = s.get(SiteRow, a.site_id)
        interviews = s.scalars(select(InterviewRow).where(InterviewRow.assessment_id == a.id)
                               .order_by(InterviewRow.id)).all()  # fmt: skip
        key = {i.id: f"i{n}" for n, i in enumerate(interviews, start=1)}

        def rows(model: Any) -> list[Any]:
            return list(s.scalars(select(model).where(model.assessment_id == a.id).order_by(model.id)).all())

        def turns(i: InterviewRow) -> list[dict[str, Any]]:
            found = s.scalars(select(TurnRow).where(TurnRow.interview_id == i.id).order_by(TurnRow.seq)).all()
            return [{"who": t.who, "text": t.text, "at": _t(t.at)} for t in found]

        def versions(v: dict[str, int]) -> dict[str, int]:
            return {key.get(int(i), i): n for i, n in (v or {}).items()}

        return {
            "format": FORMAT, "format_version": FORMAT_VERSION, "site": site.name if site else "",
            "protocol": a.protocol, "status": a.status, "facts": dict(a.facts or {}), "gate": dict(a.gate or {}),
            "created_at": _t(a.created_at),
            "interviews": [{"key": key[i.id], "interviewee": i.interviewee, "role": i.role, "protocol": i.protocol,
                            "state": i.state, "created_at": _t(i.created_at), "updated_at": _t(i.updated_at),
                            "turns": turns(i)} for i in interviews],
            "answers": [{"interview": key[r.interview_id], "question_id": r.question_id, "version": r.version,
                         "status": r.status, "raw_text": r.raw_text, "answer": r.answer,
                         "na_justification": r.na_justification, "who": r.who, "protocol": r.protocol,
                         "created_at": _t(r.created_at)} for r in rows(AnswerRow)],
            "resolutions": [{"question_id": r.question_id, "chosen": key[r.chosen_interview_id],
                             "versions": versions(r.versions), "reason": r.reason, "who": r.who, "at": _t(r.at)}
                            for r in rows(ResolutionRow)],
            "validations": [{"question_id": r.question_id, "chosen": key.get(r.chosen_interview_id or -1),
                             "values": r.values, "versions": versions(r.versions), "reason": r.reason, "who": r.who,
                             "at": _t(r.at)} for r in rows(ValidationRow)],
            "seen_records": [{"question_id": r.question_id, "records": list(r.records or []), "who": r.who,
                              "at": _t(r.at)} for r in rows(SeenRow)],
            "evidence": [{"question_id": r.question_id, "kind": r.kind, "title": r.title, "status": r.status,
                          "sha256": r.sha256, "size": r.size, "media_type": r.media_type, "passage": r.passage,
                          "added_by": r.added_by, "added_at": _t(r.added_at), "seen_by": r.seen_by,
                          "seen_at": _t(r.seen_at) if r.seen_at else None} for r in rows(EvidenceRow)],
            "finding_edits": [{"finding_id": r.finding_id, "action": r.action, "data": r.data, "who": r.who,
                               "at": _t(r.at)} for r in rows(FindingEditRow)],
            "plan": [{"item_id": r.item_id, "data": r.data, "who": r.who, "at": _t(r.at)} for r in rows(PlanRow)],
        }  # fmt: skip


def import_assessment(store: Store, data: dict[str, Any], who: str, now: datetime,
                      rewrite_state: Any) -> int:  # fmt: skip
    """Write an export as a new assessment in ONE transaction; returns its id. ``rewrite_state(state_json,
    interview_id, assessment_id)`` gives an interview's state its new ids. Refused when the site already has an open
    assessment on that protocol (nothing is written)."""
    if data.get("format") != FORMAT or data.get("format_version") != FORMAT_VERSION:
        raise AssistantError(f"Not an assessment export ({FORMAT}, version {FORMAT_VERSION}).")

    def work(s: Session) -> int:
        site = s.scalar(select(SiteRow).where(SiteRow.name == data["site"]))
        if site is None:
            site = SiteRow(name=str(data["site"])[:200], created_at=now)
            s.add(site)
            s.flush()
        protocol = str(data["protocol"])
        taken = s.scalar(select(AssessmentRow).where(AssessmentRow.site_id == site.id,
                                                     AssessmentRow.protocol == protocol,
                                                     AssessmentRow.status == "open"))  # fmt: skip
        if taken is not None:
            raise StoreError(f"The site {site.name!r} already has an open {protocol} assessment ({taken.token}); "
                             "nothing was imported.")  # fmt: skip
        a = AssessmentRow(site_id=site.id, protocol=protocol, status=str(data.get("status") or "open"),
                          facts=dict(data.get("facts") or {}), gate=dict(data.get("gate") or {}) or None,
                          created_at=_dt(data["created_at"]), token=new_token())  # fmt: skip
        s.add(a)
        s.flush()
        s.add(audit(now, who, "import", "assessment", str(a.id), None,
                    {"site": site.name, "protocol": protocol, "interviews": len(data.get("interviews", [])),
                     "answers": len(data.get("answers", []))}, protocol, a.id))  # fmt: skip
        ids: dict[str, int] = {}
        for i in data.get("interviews", []):
            row = InterviewRow(assessment_id=a.id, interviewee=i["interviewee"], role=i["role"],
                               protocol=i["protocol"], state="", revision=1, created_at=_dt(i["created_at"]),
                               updated_at=_dt(i["updated_at"]), token=new_token())  # fmt: skip
            s.add(row)
            s.flush()
            ids[i["key"]] = row.id
            row.state = rewrite_state(i["state"], row.id, a.id)
            s.add_all(TurnRow(interview_id=row.id, seq=n, who=t["who"], text=t["text"], at=_dt(t["at"]))
                      for n, t in enumerate(i.get("turns", []), start=1))  # fmt: skip

        def remap(versions: dict[str, int]) -> dict[str, int]:
            return {str(ids[k]): int(v) for k, v in (versions or {}).items()}

        for r in data.get("answers", []):
            ans = AnswerRow(assessment_id=a.id, interview_id=ids[r["interview"]], question_id=r["question_id"],
                            version=int(r["version"]), status=r["status"], raw_text=r["raw_text"], answer=r["answer"],
                            na_justification=r["na_justification"], who=r["who"], protocol=r["protocol"],
                            created_at=_dt(r["created_at"]))  # fmt: skip
            s.add(ans)
            s.flush()
            s.add(audit(ans.created_at, ans.who, ans.status, "answer", ans.question_id, None, answer_summary(ans),
                        ans.protocol, a.id))  # fmt: skip
        for r in data.get("resolutions", []):
            versions = remap(r["versions"])
            at = _dt(r["at"])
            s.add(ResolutionRow(assessment_id=a.id, question_id=r["question_id"], chosen_interview_id=ids[r["chosen"]],
                                versions=versions, reason=r["reason"], who=r["who"], at=at))  # fmt: skip
            before = {"answers": {i: {"version": v} for i, v in versions.items()}}
            s.add(audit(at, r["who"], "resolve_conflict", "answer", r["question_id"], before,
                        {"chosen_interview_id": ids[r["chosen"]], "reason": r["reason"]}, protocol, a.id))  # fmt: skip
        for r in data.get("validations", []):
            s.add(ValidationRow(assessment_id=a.id, question_id=r["question_id"],
                                chosen_interview_id=ids[r["chosen"]] if r.get("chosen") else None, values=r["values"],
                                versions=remap(r["versions"]), reason=r["reason"], who=r["who"], at=_dt(r["at"])))
        s.add_all(SeenRow(assessment_id=a.id, question_id=r["question_id"], records=list(r["records"]), who=r["who"],
                          at=_dt(r["at"])) for r in data.get("seen_records", []))  # fmt: skip
        s.add_all(EvidenceRow(assessment_id=a.id, question_id=r["question_id"], kind=r["kind"], title=r["title"],
                              status=r["status"], sha256=r["sha256"], size=r["size"], media_type=r["media_type"],
                              passage=r["passage"], added_by=r["added_by"], added_at=_dt(r["added_at"]),
                              seen_by=r["seen_by"], seen_at=_dt(r["seen_at"]) if r.get("seen_at") else None)
                  for r in data.get("evidence", []))  # fmt: skip
        s.add_all(FindingEditRow(assessment_id=a.id, finding_id=r["finding_id"], action=r["action"], data=r["data"],
                                 who=r["who"], at=_dt(r["at"])) for r in data.get("finding_edits", []))  # fmt: skip
        s.add_all(PlanRow(assessment_id=a.id, item_id=r["item_id"], data=r["data"], who=r["who"], at=_dt(r["at"]))
                  for r in data.get("plan", []))  # fmt: skip
        return a.id

    try:
        return store.write(work)
    except (KeyError, TypeError, ValueError) as exc:
        raise AssistantError(f"The export is incomplete or malformed ({type(exc).__name__}: {exc}); nothing was "
                             "imported.") from None

"""The portfolio in the database: site records, and assessments imported from answers files.

``import_portfolio`` writes a whole checked ``sites.csv`` in ONE transaction: each site's record (a site spelled
differently, by case, spacing or punctuation, is the same site), and for each answers file a finalised assessment
dated ``assessed_on`` with one interview ("answers file NAME") holding its confirmed answers, each audited like an
interview's. An answers file already imported for that site and date (same SHA-256) is skipped, so importing twice
changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, time
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from assistant.auth import new_token
from assistant.extraction.models import FieldValue, StructuredAnswer
from assistant.portfolio.records import PortfolioRow, SiteRecord, site_key
from assistant.protocol.models import Protocol
from assistant.store import Store, find_site
from assistant.store_review_rows import ProfileCacheRow
from assistant.store_schema import AnswerRow, AssessmentRow, AuditRow, InterviewRow, SiteRow, answer_summary, audit

__all__ = ["cached_profiles", "import_portfolio", "last_events", "save_profiles", "site_records"]


def site_records(store: Store, names: set[str] | None = None) -> list[dict[str, Any]]:
    """Every site (of ``names`` when given) with its record and assessments (oldest first)."""
    with store.session() as s:
        query = select(SiteRow).order_by(SiteRow.name)
        if names is not None:
            query = query.where(SiteRow.name.in_(sorted(names)))
        out = []
        for site in s.scalars(query).all():
            assessments = s.scalars(select(AssessmentRow).where(AssessmentRow.site_id == site.id)
                                    .order_by(AssessmentRow.created_at, AssessmentRow.id)).all()  # fmt: skip
            record = SiteRecord.model_validate({**(site.record or {}), "name": site.name})
            out.append({"name": site.name, "record": record, "assessments": [
                {"id": a.id, "token": a.token, "protocol": a.protocol, "status": a.status,
                 "created_at": a.created_at.isoformat(), "source": a.source} for a in assessments]})  # fmt: skip
        return out


def _structured(protocol: Protocol, qid: str, values: dict[str, Any], name: str) -> dict[str, Any]:
    """The file's values as a StructuredAnswer (JSON), every value the site's own (source "edited")."""
    question = protocol.question(qid)
    fields = question.fields if question else []
    empty = FieldValue(field="x").model_dump(mode="json")
    out = {f.id: {**empty, "field": f.id, "value": values.get(f.id), "confidence": 1.0,
                  "source": "edited" if f.id in values else "extracted"} for f in fields}  # fmt: skip
    return {**StructuredAnswer(question_id=qid, values={}).model_dump(mode="json"), "values": out,
            "texts": [f"from the answers file {name}"], "extractor": "file"}


def import_portfolio(store: Store, rows: Sequence[PortfolioRow], protocols: Callable[[str], Protocol], who: str,
                     now: datetime, state_of: Callable[[int, int, PortfolioRow], str]) -> dict[str, int]:  # fmt: skip
    """Write the checked rows; {"sites_added", "sites_updated", "assessments_added", "assessments_skipped"}."""
    counts = dict.fromkeys(("sites_added", "sites_updated", "assessments_added", "assessments_skipped"), 0)

    def work(s: Session) -> dict[str, int]:
        seen: dict[str, SiteRow] = {}
        for row in rows:
            key = site_key(row.record.name)
            site = seen.get(key) or find_site(s, row.record.name)
            record = row.record.model_dump(mode="json", exclude={"name"})
            if site is None:
                site = SiteRow(name=row.record.name, created_at=now, record=record)
                s.add(site)
                s.flush()
                counts["sites_added"] += 1
                s.add(audit(now, who, "site_record", "site", site.name, None, record, None))
            elif key not in seen and (site.record or {}) != record:
                s.add(audit(now, who, "site_record", "site", site.name, site.record, record, None))
                site.record = record
                counts["sites_updated"] += 1
            seen[key] = site
            if row.parsed is not None and row.protocol and row.assessed_on:
                _assessment(s, site, row, protocols(row.protocol), who, now, counts, state_of)
        return counts

    return store.write(work)


def _assessment(s: Session, site: SiteRow, row: PortfolioRow, protocol: Protocol, who: str, now: datetime,
                counts: dict[str, int], state_of: Callable[[int, int, PortfolioRow], str]) -> None:  # fmt: skip
    assert row.assessed_on is not None
    assert row.answers_file is not None
    source = {"file": row.answers_file, "sha256": row.sha256, "assessed_on": row.assessed_on.isoformat()}
    existing = s.scalars(select(AssessmentRow).where(AssessmentRow.site_id == site.id)).all()
    if any((a.source or {}) == source for a in existing):
        counts["assessments_skipped"] += 1
        return
    when = datetime.combine(row.assessed_on, time(12, 0))
    parsed = row.parsed
    a = AssessmentRow(site_id=site.id, protocol=protocol.ref, status="final", facts=dict(parsed.facts),
                      gate=dict(parsed.gate) or None, created_at=when, token=new_token(), source=source)  # fmt: skip
    s.add(a)
    s.flush()
    s.add(audit(now, who, "import", "assessment", str(a.id), None, {"site": site.name, **source}, protocol.ref, a.id))
    interview = InterviewRow(assessment_id=a.id, interviewee=f"answers file {row.answers_file}", role="all",
                             protocol=protocol.ref, state="", revision=1, created_at=when, updated_at=when,
                             token=new_token())  # fmt: skip
    s.add(interview)
    s.flush()
    interview.state = state_of(interview.id, a.id, row)
    rows = []
    for qid, answer in parsed.answers.items():
        na = answer.na_justification
        rows.append({"assessment_id": a.id, "interview_id": interview.id, "question_id": qid, "version": 1,
                     "status": "na" if na is not None else "confirmed", "raw_text": f"from {row.answers_file}",
                     "answer": {} if na is not None else _structured(protocol, qid, dict(answer.values),
                                                                     row.answers_file),
                     "na_justification": na, "who": who, "protocol": protocol.ref, "created_at": when})  # fmt: skip
    if rows:  # one bulk insert; each row's audit event is the one an interview's write would make
        s.execute(insert(AnswerRow), rows)
        s.add_all(audit(now, who, r["status"], "answer", r["question_id"], None, answer_summary(AnswerRow(**r)),
                        protocol.ref, a.id) for r in rows)  # fmt: skip
    counts["assessments_added"] += 1


def last_events(store: Store, ids: Sequence[int]) -> dict[int, int]:
    """Per assessment, the id of its latest audit event (every change to an assessment writes one)."""
    with store.session() as s:
        rows = s.execute(select(AuditRow.assessment_id, func.max(AuditRow.id)).where(AuditRow.assessment_id.in_(
            list(ids))).group_by(AuditRow.assessment_id)).all()  # fmt: skip
        return {int(a): int(e) for a, e in rows if a is not None}


def cached_profiles(store: Store, ids: Sequence[int]) -> dict[int, tuple[str, dict[str, Any]]]:
    with store.session() as s:
        rows = s.scalars(select(ProfileCacheRow).where(ProfileCacheRow.assessment_id.in_(list(ids)))).all()
        return {r.assessment_id: (r.fingerprint, r.profile) for r in rows}


def save_profiles(store: Store, rows: dict[int, tuple[str, dict[str, Any]]]) -> None:
    def work(s: Session) -> None:
        for aid, (fingerprint, profile) in rows.items():
            row = s.get(ProfileCacheRow, aid)
            if row is None:
                s.add(ProfileCacheRow(assessment_id=aid, fingerprint=fingerprint, profile=profile))
            else:
                row.fingerprint, row.profile = fingerprint, profile

    if rows:
        store.write(work)

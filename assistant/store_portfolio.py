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
from functools import cache
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from assistant.auth import new_token
from assistant.extraction.models import FieldValue, StructuredAnswer
from assistant.portfolio.records import PortfolioRow, SiteRecord, site_key
from assistant.protocol.models import Protocol
from assistant.store import Store
from assistant.store_review_rows import ProfileCacheRow
from assistant.store_schema import (
    AnswerRow,
    AssessmentRow,
    AuditRow,
    InterviewRow,
    SiteRow,
    answer_summary,
    append_events,  # fmt: skip
)

__all__ = ["cached_profiles", "import_portfolio", "last_events", "save_profiles", "site_records"]


def site_records(store: Store, names: set[str] | None = None) -> list[dict[str, Any]]:
    """Every site (of ``names`` when given) with its record and assessments (oldest first)."""
    with store.session() as s:
        query = select(SiteRow).order_by(SiteRow.name)
        if names is not None:
            query = query.where(SiteRow.name.in_(sorted(names)))
        sites = s.scalars(query).all()
        by_site: dict[int, list[dict[str, Any]]] = {site.id: [] for site in sites}
        rows = s.execute(select(AssessmentRow.site_id, AssessmentRow.id, AssessmentRow.token, AssessmentRow.protocol,
                                AssessmentRow.status, AssessmentRow.created_at, AssessmentRow.source)
                         .order_by(AssessmentRow.created_at, AssessmentRow.id))  # fmt: skip
        for site_id, aid, token, protocol, status, created_at, source in rows:
            if site_id in by_site:
                by_site[site_id].append({"id": aid, "token": token, "protocol": protocol, "status": status,
                                         "created_at": created_at.isoformat(), "source": source})  # fmt: skip
        return [{"name": site.name, "record": SiteRecord.model_validate({**(site.record or {}), "name": site.name}),
                 "assessments": by_site[site.id]} for site in sites]  # fmt: skip


@cache
def _blank() -> tuple[dict[str, Any], dict[str, Any]]:
    """An empty FieldValue and an empty StructuredAnswer, as JSON (the frame of every imported answer)."""
    return FieldValue(field="x").model_dump(mode="json"), StructuredAnswer(question_id="x", values={}).model_dump(
        mode="json")  # fmt: skip


def _structured(protocol: Protocol, qid: str, values: dict[str, Any], name: str) -> dict[str, Any]:
    """The file's values as a StructuredAnswer (JSON), every value the site's own (source "edited")."""
    question = protocol.question(qid)
    fields = question.fields if question else []
    empty, frame = _blank()
    out = {f.id: {**empty, "field": f.id, "value": values.get(f.id), "confidence": 1.0,
                  "source": "edited" if f.id in values else "extracted"} for f in fields}  # fmt: skip
    return {**frame, "question_id": qid, "values": out, "texts": [f"from the answers file {name}"],
            "extractor": "file"}


def import_portfolio(store: Store, rows: Sequence[PortfolioRow], protocols: Callable[[str], Protocol], who: str,
                     now: datetime, state_of: Callable[[int, int, PortfolioRow], str]) -> dict[str, int]:  # fmt: skip
    """Write the checked rows; {"sites_added", "sites_updated", "assessments_added", "assessments_skipped"}.

    In bulk: the sites and existing sources are read once, the new assessments and interviews are flushed together,
    and the answers and audit events go in as one multi-row insert each (the events chained by ``append_events``,
    in the order an interview's writes would make them)."""
    counts = dict.fromkeys(("sites_added", "sites_updated", "assessments_added", "assessments_skipped"), 0)

    def work(s: Session) -> dict[str, int]:
        sites = {_key(r.name): r for r in s.scalars(select(SiteRow)).all()}
        events: list[dict[str, Any]] = []
        seen: set[str] = set()
        for row in rows:
            key = _key(row.record.name)
            site = sites.get(key)
            record = row.record.model_dump(mode="json", exclude={"name"})
            if site is None:
                site = sites[key] = SiteRow(name=row.record.name, created_at=now, record=record)
                s.add(site)
                counts["sites_added"] += 1
                events.append(_event(now, who, "site_record", "site", site.name, None, record, None))
            elif key not in seen and (site.record or {}) != record:
                events.append(_event(now, who, "site_record", "site", site.name, site.record, record, None))
                site.record = record
                counts["sites_updated"] += 1
            seen.add(key)
        s.flush()  # the new sites' ids
        done = {(site_id, _source_key(source or {})) for site_id, source in
                s.execute(select(AssessmentRow.site_id, AssessmentRow.source)).all()}  # fmt: skip
        todo: list[tuple[PortfolioRow, SiteRow, Protocol, AssessmentRow]] = []
        for row in rows:
            if row.parsed is None or not row.protocol or not row.assessed_on:
                continue
            assert row.answers_file is not None
            site = sites[_key(row.record.name)]
            source = {"file": row.answers_file, "sha256": row.sha256, "assessed_on": row.assessed_on.isoformat()}
            if (site.id, _source_key(source)) in done:
                counts["assessments_skipped"] += 1
                continue
            done.add((site.id, _source_key(source)))
            protocol = protocols(row.protocol)
            a = AssessmentRow(site_id=site.id, protocol=protocol.ref, status="final", facts=dict(row.parsed.facts),
                              gate=dict(row.parsed.gate) or None, created_at=_when(row), token=new_token(),
                              source=source)  # fmt: skip
            todo.append((row, site, protocol, a))
        s.add_all(t[3] for t in todo)
        s.flush()  # the new assessments' ids
        interviews = [InterviewRow(assessment_id=a.id, interviewee=f"answers file {row.answers_file}", role="all",
                                   protocol=protocol.ref, state="", revision=1, created_at=_when(row),
                                   updated_at=_when(row), token=new_token())
                      for row, _site, protocol, a in todo]  # fmt: skip
        s.add_all(interviews)
        s.flush()
        answers: list[dict[str, Any]] = []
        for (row, site, protocol, a), interview in zip(todo, interviews, strict=True):
            interview.state = state_of(interview.id, a.id, row)
            source = dict(a.source or {})
            events.append(_event(now, who, "import", "assessment", str(a.id), None, {"site": site.name, **source},
                                 protocol.ref, a.id))  # fmt: skip
            for r in _answer_rows(row, protocol, a.id, interview.id, who):
                answers.append(r)
                events.append(_event(now, who, r["status"], "answer", r["question_id"], None,
                                     answer_summary(r), protocol.ref, a.id))  # fmt: skip
            counts["assessments_added"] += 1
        if answers:
            s.connection().execute(insert(AnswerRow), answers)  # Core: no ORM bookkeeping per row
        append_events(s, store.audit_key, events)
        return counts

    return store.write(work)


def _key(name: str) -> str:
    """Names that differ only in case, spacing or punctuation are one site (``find_site``); a name of punctuation
    only is its own."""
    return site_key(name) or f"\x00{name}"


def _source_key(source: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(k), str(v)) for k, v in source.items()))


def _when(row: PortfolioRow) -> datetime:
    assert row.assessed_on is not None
    return datetime.combine(row.assessed_on, time(12, 0))


def _event(now: datetime, who: str, action: str, entity: str, entity_id: str, before: Any, after: Any,
           protocol: str | None, assessment_id: int | None = None) -> dict[str, Any]:  # fmt: skip
    return {"at": now, "who": who, "action": action, "entity": entity, "entity_id": entity_id, "before": before,
            "after": after, "protocol": protocol, "assessment_id": assessment_id}  # fmt: skip


def _answer_rows(row: PortfolioRow, protocol: Protocol, assessment_id: int, interview_id: int,
                 who: str) -> list[dict[str, Any]]:  # fmt: skip
    """One confirmed (or n/a) answer version per question in the file, as an interview's confirm would write it."""
    assert row.parsed is not None
    assert row.answers_file is not None
    out = []
    for qid, answer in row.parsed.answers.items():
        na = answer.na_justification
        out.append({"assessment_id": assessment_id, "interview_id": interview_id, "question_id": qid, "version": 1,
                    "status": "na" if na is not None else "confirmed", "raw_text": f"from {row.answers_file}",
                    "answer": {} if na is not None else _structured(protocol, qid, dict(answer.values),
                                                                    row.answers_file),
                    "na_justification": na, "who": who, "protocol": protocol.ref,
                    "created_at": _when(row)})  # fmt: skip
    return out


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

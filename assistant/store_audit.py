"""The audit trail read back: ``verify`` (the checks of ``assistant.audit_chain`` over the rows), ``export`` (the
events about one assessment) and ``head`` (the latest event, to record elsewhere).

``verify`` reads every table it checks in one snapshot (a read transaction on SQLite, REPEATABLE READ on
PostgreSQL), so a write committed while it runs is either wholly seen or not at all, never half.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from assistant.audit_chain import (
    AuditReport,
    chain_findings,
    head_findings,
    record_findings,
    trigger_findings,
)
from assistant.store import Store
from assistant.store_schema import APPEND_ONLY_TRIGGERS, AnswerRow, AuditRow, ResolutionRow, answer_summary

__all__ = ["EXPORT_COLUMNS", "AuditTrail"]

EXPORT_COLUMNS = ("id", "at", "who", "action", "entity", "entity_id", "assessment_id", "before", "after", "protocol",
                  "prev_hash", "hash")  # fmt: skip
# PostgreSQL: the triggers on audit_events that must be there, and the tgtype bits each needs
# (1 row, 2 before, 8 delete, 16 update, 32 truncate; pg_trigger.h).
POSTGRES_TRIGGERS = {"audit_no_change": 1 | 2 | 8 | 16, "audit_no_truncate": 2 | 32}


def _event(row: AuditRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in EXPORT_COLUMNS}


class AuditTrail:
    def __init__(self, store: Store) -> None:
        self.store = store

    @contextmanager
    def _snapshot(self) -> Iterator[Session]:
        with self.store.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            elif conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN")  # pysqlite begins only before a write; reads share this snapshot
            with Session(bind=conn) as session:
                yield session
            conn.rollback()

    def verify(self, head: str | None = None) -> AuditReport:
        """Check the chain, the recorded ``head`` (a hash from ``qmm audit head``, if given), the answers and conflict
        resolutions against their events, and the append-only triggers; findings in that order."""
        with self._snapshot() as s:
            events = [_event(r) for r in s.scalars(select(AuditRow).order_by(AuditRow.id))]
            answers = [{"id": r.id, "assessment_id": r.assessment_id, "question_id": r.question_id,
                        "version": r.version, "summary": answer_summary(r)}
                       for r in s.scalars(select(AnswerRow).order_by(AnswerRow.id))]  # fmt: skip
            resolutions = [{"id": r.id, "assessment_id": r.assessment_id, "question_id": r.question_id,
                            "chosen_interview_id": r.chosen_interview_id, "versions": r.versions, "reason": r.reason,
                            "who": r.who, "at": r.at}
                           for r in s.scalars(select(ResolutionRow).order_by(ResolutionRow.id))]  # fmt: skip
            expected, found = _triggers(s.connection())
        report = AuditReport(events=len(events), answers=len(answers), resolutions=len(resolutions))
        report.findings = [
            *chain_findings(self.store.audit_key, events),
            *head_findings(events, head),
            *record_findings(events, answers, resolutions),
            *trigger_findings(expected, found),
        ]
        return report

    def export(self, assessment: int | str) -> list[dict[str, Any]]:
        """Every event about one assessment (by id or token): the assessment, its interviews, answers and conflict
        resolutions, in order, with ``prev_hash`` and ``hash``; ``at`` in ISO form."""
        assessment_id = self.store.assessment(assessment)["id"]
        with self.store.session() as s:
            rows = s.scalars(select(AuditRow).where(AuditRow.assessment_id == assessment_id).order_by(AuditRow.id))
            return [{**_event(r), "at": r.at.isoformat()} for r in rows]

    def head(self) -> dict[str, Any] | None:
        """The latest event: {"id", "hash", "at"}, or None when there is none."""
        with self.store.session() as s:
            row = s.scalar(select(AuditRow).order_by(AuditRow.id.desc()).limit(1))
            return {"id": row.id, "hash": row.hash, "at": row.at.isoformat()} if row else None


def _normal(sql: str) -> str:
    return " ".join(sql.replace("IF NOT EXISTS ", "").split()).upper()


def _triggers(conn: Connection) -> tuple[list[str], dict[str, bool]]:
    """The append-only triggers this dialect needs, and for each one present whether it still does its job."""
    if conn.dialect.name == "sqlite":
        wanted = {statement.split()[5]: _normal(statement) for statement in APPEND_ONLY_TRIGGERS}
        rows = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                 "AND tbl_name = 'audit_events'"))  # fmt: skip
        return list(wanted), {name: _normal(sql or "") == wanted.get(name) for name, sql in rows}
    if conn.dialect.name == "postgresql":
        rows = conn.execute(text(
            "SELECT t.tgname, t.tgenabled, t.tgtype, p.prosrc FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE t.tgrelid = 'audit_events'::regclass AND NOT t.tgisinternal"
        ))  # fmt: skip
        found = {name: (str(enabled) in ("O", "A")  # not disabled, nor replica-only
                        and (int(kind) & POSTGRES_TRIGGERS.get(name, 0)) == POSTGRES_TRIGGERS.get(name, -1)
                        and "RAISE EXCEPTION" in (source or "").upper())
                 for name, enabled, kind, source in rows}  # fmt: skip
        return list(POSTGRES_TRIGGERS), found
    return [], {}

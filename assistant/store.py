"""Persistence: SQLAlchemy 2 over SQLite (WAL) by default, PostgreSQL by URL, same code (both tested).

Tables: sites, assessments (site, protocol@version, status, site facts), interviews (interviewee, role, state,
revision), answers (versioned: every save is a new row), audit_events (append-only: who, when, what, before, after;
triggers in SQLite and PostgreSQL refuse UPDATE and DELETE on it), schema_info.

Every write that an interviewee's message causes is one transaction, committed before the assistant replies. A write
based on a stale revision of an interview (a second browser tab) is refused with ``StaleInterview``. A database made
by a newer version of this code is refused, never altered.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from assistant.errors import StoreError

SCHEMA_VERSION = 1


class StaleInterview(StoreError):
    """The interview changed since this client loaded it (another tab or device)."""


class Base(DeclarativeBase):
    pass


class SchemaInfo(Base):
    __tablename__ = "schema_info"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


class SiteRow(Base):
    __tablename__ = "sites"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class AssessmentRow(Base):
    __tablename__ = "assessments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    protocol: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="open")
    facts: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class InterviewRow(Base):
    __tablename__ = "interviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"))
    interviewee: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(50))
    protocol: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class AnswerRow(Base):
    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("assessment_id", "question_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"))
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id"))
    question_id: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # draft | confirmed | na
    raw_text: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # StructuredAnswer as JSON
    na_justification: Mapped[str | None] = mapped_column(Text, nullable=True)
    who: Mapped[str] = mapped_column(String(200))
    protocol: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class AuditRow(Base):
    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    who: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(50))
    entity: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str] = mapped_column(String(100))
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
    protocol: Mapped[str | None] = mapped_column(String(100), nullable=True)


APPEND_ONLY_POSTGRES = [
    "CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_events is append-only'; END; $$ LANGUAGE plpgsql",
    "DROP TRIGGER IF EXISTS audit_no_change ON audit_events",
    "CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
]
APPEND_ONLY_TRIGGERS = [
    "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
]


def database_url(data_dir: Path, url: str | None) -> str:
    if url:
        return url
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data_dir / 'qmm.sqlite3'}"


class Store:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = create_engine(url, future=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        try:
            self._migrate()
        except StoreError:
            self.engine.dispose()
            raise

    def close(self) -> None:
        self.engine.dispose()

    def _migrate(self) -> None:
        try:
            with self.engine.begin() as conn:
                Base.metadata.create_all(conn)
                version = conn.execute(select(SchemaInfo.version)).scalar()
                if version is None:
                    conn.execute(insert(SchemaInfo).values(id=1, version=SCHEMA_VERSION))
                elif version > SCHEMA_VERSION:
                    raise StoreError(
                        f"the database at {self.url} was made by a newer version of this tool (schema {version}; "
                        f"this code knows {SCHEMA_VERSION}). Upgrade the tool; the database was not changed."
                    )
                dialect = self.engine.dialect.name
                triggers = {"sqlite": APPEND_ONLY_TRIGGERS, "postgresql": APPEND_ONLY_POSTGRES}.get(dialect, [])
                for statement in triggers:
                    conn.execute(text(statement))
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot open the database at {self.url}: {exc.__class__.__name__}: {exc}") from None

    @contextmanager
    def session(self) -> Iterator[Session]:
        session = self._sessions()
        try:
            yield session
            session.commit()
        except StoreError:
            session.rollback()
            raise
        except SQLAlchemyError as exc:
            session.rollback()
            raise StoreError(f"the database refused the change ({exc.__class__.__name__}); nothing was saved") from None
        finally:
            session.close()

    # --- sites, assessments, interviews --------------------------------------------------------------------------
    def get_or_create_assessment(self, site: str, protocol: str, now: datetime) -> tuple[int, dict[str, str]]:
        """The open assessment of a site for a protocol version, created if needed: (id, site facts)."""
        with self.session() as s:
            row = s.scalar(select(SiteRow).where(SiteRow.name == site))
            if row is None:
                row = SiteRow(name=site, created_at=now)
                s.add(row)
                s.flush()
            assessment = s.scalar(
                select(AssessmentRow).where(
                    AssessmentRow.site_id == row.id, AssessmentRow.protocol == protocol, AssessmentRow.status == "open"
                )
            )
            if assessment is None:
                assessment = AssessmentRow(site_id=row.id, protocol=protocol, status="open", facts={}, created_at=now)
                s.add(assessment)
                s.flush()
                s.add(_audit(now, "system", "create", "assessment", str(assessment.id), None,
                             {"site": site, "protocol": protocol}, protocol))  # fmt: skip
            return assessment.id, dict(assessment.facts or {})

    def create_interview(
        self, assessment_id: int, interviewee: str, role: str, protocol: str, state_json: str, now: datetime
    ) -> int:
        with self.session() as s:
            row = InterviewRow(
                assessment_id=assessment_id, interviewee=interviewee, role=role, protocol=protocol,
                state=state_json, revision=0, created_at=now, updated_at=now,
            )  # fmt: skip
            s.add(row)
            s.flush()
            s.add(_audit(now, interviewee, "create", "interview", str(row.id), None, {"role": role}, protocol))
            return row.id

    def load_interview(self, interview_id: int) -> tuple[str, int]:
        """(state JSON, revision)."""
        with self.session() as s:
            row = s.get(InterviewRow, interview_id)
            if row is None:
                raise StoreError(f"no interview {interview_id}")
            return row.state, row.revision

    def list_interviews(self) -> list[dict[str, Any]]:
        with self.session() as s:
            rows = s.execute(
                select(InterviewRow, AssessmentRow, SiteRow)
                .join(AssessmentRow, InterviewRow.assessment_id == AssessmentRow.id)
                .join(SiteRow, AssessmentRow.site_id == SiteRow.id)
                .order_by(InterviewRow.updated_at.desc(), InterviewRow.id.desc())
            ).all()
            return [
                {"id": i.id, "site": site.name, "interviewee": i.interviewee, "role": i.role, "protocol": i.protocol,
                 "assessment_id": a.id, "updated_at": i.updated_at.isoformat()}
                for i, a, site in rows
            ]  # fmt: skip

    def assessment_facts(self, assessment_id: int) -> dict[str, str]:
        with self.session() as s:
            a = s.get(AssessmentRow, assessment_id)
            if a is None:
                raise StoreError(f"no assessment {assessment_id}")
            return dict(a.facts or {})

    def assessment_site(self, assessment_id: int) -> str:
        with self.session() as s:
            a = s.get(AssessmentRow, assessment_id)
            if a is None:
                raise StoreError(f"no assessment {assessment_id}")
            site = s.get(SiteRow, a.site_id)
            return site.name if site else ""

    # --- the one write per turn ------------------------------------------------------------------------------------
    def commit_turn(
        self,
        interview_id: int,
        expected_revision: int,
        state_json: str,
        effects: list[dict[str, Any]],
        who: str,
        now: datetime,
    ) -> int:
        """Save the interview state and the effects of one turn atomically; return the new revision.

        Effects: {"kind": "draft"|"confirm"|"na"|"facts", ...}. Refused with StaleInterview when another client
        saved first.
        """
        with self.session() as s:
            row = s.get(InterviewRow, interview_id)
            if row is None:
                raise StoreError(f"no interview {interview_id}")
            done = s.execute(
                update(InterviewRow)
                .where(InterviewRow.id == interview_id, InterviewRow.revision == expected_revision)
                .values(state=state_json, revision=expected_revision + 1, updated_at=now)
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                raise StaleInterview(
                    "This interview was changed in another tab or window. Reload the page to continue from the "
                    "latest saved answer; your last message was not saved."
                )
            for effect in effects:
                self._apply(s, row, effect, who, now)
            return expected_revision + 1

    def _apply(self, s: Session, interview: InterviewRow, effect: dict[str, Any], who: str, now: datetime) -> None:
        kind = effect["kind"]
        protocol = interview.protocol
        if kind not in ("facts", "draft", "confirm", "na"):
            return  # display-only effects (guidance) are not stored
        if kind == "facts":
            assessment = s.get(AssessmentRow, interview.assessment_id)
            assert assessment is not None
            old_facts = dict(assessment.facts or {})
            assessment.facts = dict(effect["facts"])
            s.add(
                _audit(now, who, "set_facts", "assessment", str(assessment.id), old_facts, assessment.facts, protocol)
            )
            return
        qid = effect["question_id"]
        latest = s.scalar(
            select(AnswerRow)
            .where(AnswerRow.assessment_id == interview.assessment_id, AnswerRow.question_id == qid)
            .order_by(AnswerRow.version.desc())
            .limit(1)
        )
        version = (latest.version if latest else 0) + 1
        answer = effect.get("answer") or {}
        status = {"draft": "draft", "confirm": "confirmed", "na": "na"}[kind]
        before = _answer_summary(latest) if latest else None
        row = AnswerRow(
            assessment_id=interview.assessment_id, interview_id=interview.id, question_id=qid, version=version,
            status=status, raw_text="\n".join(answer.get("texts", [])), answer=answer,
            na_justification=effect.get("justification"), who=who, protocol=protocol, created_at=now,
        )  # fmt: skip
        s.add(row)
        s.add(_audit(now, who, status, "answer", qid, before, _answer_summary(row), protocol))

    # --- reading answers -----------------------------------------------------------------------------------------
    def current_answers(self, assessment_id: int) -> dict[str, dict[str, Any]]:
        """Per question, the latest confirmed or N/A answer: {"status", "answer", "na_justification", "version"}."""
        with self.session() as s:
            latest = (
                select(AnswerRow.question_id, func.max(AnswerRow.version).label("v"))
                .where(AnswerRow.assessment_id == assessment_id, AnswerRow.status.in_(["confirmed", "na"]))
                .group_by(AnswerRow.question_id)
                .subquery()
            )
            rows = s.scalars(
                select(AnswerRow)
                .join(latest, (AnswerRow.question_id == latest.c.question_id) & (AnswerRow.version == latest.c.v))
                .where(AnswerRow.assessment_id == assessment_id)
            ).all()
            return {
                r.question_id: {"status": r.status, "answer": r.answer, "na_justification": r.na_justification,
                                "version": r.version, "who": r.who, "protocol": r.protocol}
                for r in rows
            }  # fmt: skip

    def answer_history(self, assessment_id: int, question_id: str) -> list[dict[str, Any]]:
        with self.session() as s:
            rows = s.scalars(
                select(AnswerRow)
                .where(AnswerRow.assessment_id == assessment_id, AnswerRow.question_id == question_id)
                .order_by(AnswerRow.version)
            ).all()
            return [{"version": r.version, "status": r.status, "raw_text": r.raw_text, "who": r.who,
                     "at": r.created_at.isoformat(), "protocol": r.protocol} for r in rows]  # fmt: skip

    def audit(self, limit: int = 1000) -> list[dict[str, Any]]:
        with self.session() as s:
            rows = s.scalars(select(AuditRow).order_by(AuditRow.id).limit(limit)).all()
            return [{"at": r.at.isoformat(), "who": r.who, "action": r.action, "entity": r.entity,
                     "entity_id": r.entity_id, "before": r.before, "after": r.after, "protocol": r.protocol}
                    for r in rows]  # fmt: skip


def _audit(now: datetime, who: str, action: str, entity: str, entity_id: str, before: Any, after: Any,
           protocol: str | None) -> AuditRow:  # fmt: skip
    return AuditRow(at=now, who=who, action=action, entity=entity, entity_id=entity_id, before=before, after=after,
                    protocol=protocol)  # fmt: skip


def _answer_summary(row: AnswerRow) -> dict[str, Any]:
    values = {k: v.get("value") for k, v in (row.answer or {}).get("values", {}).items() if v.get("value") is not None}
    return {"version": row.version, "status": row.status, "values": values, "na": row.na_justification}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True)

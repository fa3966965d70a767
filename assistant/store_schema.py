"""The database tables (SQLAlchemy 2 declarative), the schema version, and ``migrate``: a newer database is
refused untouched; an older one gains the new tables and columns.

Schema history:
  1  sites, assessments, interviews, answers (versioned), audit_events (append-only), schema_info
  2  + turns (the chat transcript of each interview, one row per message) and conflict_resolutions (an assessor's
     choice between interviewees' differing answers to one question). Both are new tables, so a version-1 database
     is upgraded in place by creating them; no existing table changes.
  3  + users, grants ((site, role) per user), sessions (token hash, last seen); interviews and assessments gain
     ``token`` (an unguessable reference for URLs) and interviews ``owner_id`` (the account that started it). An
     older database gains the columns (``ADDED_COLUMNS``) and every existing row a token.
  4  + seen_records (per assessment and question, the records an assessor has seen: what levels 4-5 of protocol v2
     need); assessments gain ``gate`` (the compliance-gate answers, never scored). New table and a new nullable
     column, so an older database is upgraded in place.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from assistant.auth import new_token
from assistant.errors import StoreError

SCHEMA_VERSION = 4


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
    __table_args__ = (Index("ix_assessments_token", "token", unique=True),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str | None] = mapped_column(String(40), nullable=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    protocol: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="open")
    facts: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    gate: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)  # compliance gate answers (schema 4)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class InterviewRow(Base):
    __tablename__ = "interviews"
    __table_args__ = (Index("ix_interviews_token", "token", unique=True),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str | None] = mapped_column(String(40), nullable=True)
    owner_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the account that started it (schema 3)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"))
    interviewee: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(50))
    protocol: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class AnswerRow(Base):
    """One saved version of one interviewee's answer to one question.

    ``version`` counts up per (assessment, question) across interviews (the unique constraint catches two writers
    taking the same number; the store retries); each interview's own answers are the rows with its
    ``interview_id``, so one interviewee's answer never replaces another's.
    """

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


class TurnRow(Base):
    """One chat message of an interview (schema 2): who is 'user' (the interviewee) or 'assistant'."""

    __tablename__ = "turns"
    __table_args__ = (UniqueConstraint("interview_id", "seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id"))
    seq: Mapped[int] = mapped_column(Integer)
    who: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime)


class ResolutionRow(Base):
    """An assessor's choice of one interviewee's answer where confirmed answers differ (schema 2).

    ``versions`` maps interview id -> answer version as seen when choosing: if any of them changes later, the
    question is a conflict again.
    """

    __tablename__ = "conflict_resolutions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"))
    question_id: Mapped[str] = mapped_column(String(20))
    chosen_interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id"))
    versions: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(Text)
    who: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime)


class SeenRow(Base):
    """The records an assessor has seen for one question of an assessment (schema 4); the latest row per question
    holds. Only an assessor writes it; the rubric of protocol v2 needs it for levels 4 and 5."""

    __tablename__ = "seen_records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"))
    question_id: Mapped[str] = mapped_column(String(20))
    records: Mapped[list[str]] = mapped_column(JSON, default=list)
    who: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime)


class UserRow(Base):
    """An account (schema 3): the password only as an argon2 hash; ``admin`` holds on every site."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    admin: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class GrantRow(Base):
    """One (site, role) pair of a user (schema 3); the site by name, so a grant may precede the site's first
    interview."""

    __tablename__ = "grants"
    __table_args__ = (UniqueConstraint("user_id", "site", "role"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    site: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))


class SessionRow(Base):
    """A login (schema 3): the SHA-256 of its token, never the token or the password; idle expiry from
    ``last_seen``."""

    __tablename__ = "sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


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


# Columns added to existing tables, by schema version: (table, column, DDL type, unique index or None).
ADDED_COLUMNS = [
    ("interviews", "token", "VARCHAR(40)", "ix_interviews_token"),
    ("interviews", "owner_id", "INTEGER", None),
    ("assessments", "token", "VARCHAR(40)", "ix_assessments_token"),
    ("assessments", "gate", "JSON", None),
]

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


def audit(now: datetime, who: str, action: str, entity: str, entity_id: str, before: Any, after: Any,
          protocol: str | None) -> AuditRow:  # fmt: skip
    return AuditRow(at=now, who=who, action=action, entity=entity, entity_id=entity_id, before=before, after=after,
                    protocol=protocol)  # fmt: skip


def answer_summary(row: AnswerRow) -> dict[str, Any]:
    values = {k: v.get("value") for k, v in (row.answer or {}).get("values", {}).items() if v.get("value") is not None}
    return {"version": row.version, "status": row.status, "values": values, "na": row.na_justification,
            "interview": row.interview_id}  # fmt: skip


def migrate(engine: Engine, url: str) -> None:
    """Refuse a newer database before touching it; create what is missing; record the schema version."""
    try:
        with engine.begin() as conn:
            version = None
            if inspect(conn).has_table(SchemaInfo.__tablename__):
                version = conn.execute(select(SchemaInfo.version)).scalar()
            if version is not None and version > SCHEMA_VERSION:
                raise StoreError(
                    f"the database at {url} was made by a newer version of this tool (schema {version}; "
                    f"this code knows {SCHEMA_VERSION}). Upgrade the tool; the database was not changed."
                )
            Base.metadata.create_all(conn)  # an older schema gains the new tables
            if version is not None and version < SCHEMA_VERSION:
                add_columns(conn)
            if version is None:
                conn.execute(insert(SchemaInfo).values(id=1, version=SCHEMA_VERSION))
            elif version < SCHEMA_VERSION:
                conn.execute(update(SchemaInfo).values(version=SCHEMA_VERSION))
            dialect = engine.dialect.name
            triggers = {"sqlite": APPEND_ONLY_TRIGGERS, "postgresql": APPEND_ONLY_POSTGRES}.get(dialect, [])
            for statement in triggers:
                conn.execute(text(statement))
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open the database at {url}: {exc.__class__.__name__}: {exc}") from None


def add_columns(conn: Connection) -> None:
    """Columns later schemas added to existing tables; rows that predate them get a token each."""
    for table, column, ddl, index in ADDED_COLUMNS:
        if column not in {c["name"] for c in inspect(conn).get_columns(table)}:
            conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {ddl}"))
        if column == "token":
            ids = conn.execute(text(f"SELECT id FROM {table} WHERE token IS NULL")).scalars().all()
            for row_id in ids:
                conn.execute(text(f"UPDATE {table} SET token = :t WHERE id = :i"), {"t": new_token(), "i": row_id})
        if index:
            conn.execute(text(f"CREATE UNIQUE INDEX IF NOT EXISTS {index} ON {table} ({column})"))

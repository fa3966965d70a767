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
     need); assessments gain ``gate`` (the compliance-gate answers, never scored); + the assessor's tables of
     ``assistant.store_review_rows`` (evidence_items, validations, finding_edits, plan_items, profile_cache); sites gain
     ``record`` (the site as a record, for the portfolio) and assessments ``source`` (an imported answers file).
     New tables and new nullable columns, so an older database is upgraded in place.
     Audit events gain ``prev_hash`` (unique) and ``hash``, the HMAC chain of ``assistant.audit_chain``, and
     ``assessment_id`` (the assessment an event is about, for ``qmm audit export``; None for account events). At
     the upgrade, in one transaction, the existing events get their assessment from their content
     (``derive_assessment``) and are chained once, in id order: events written before the upgrade were chained at
     upgrade time, not when they were written, so the chain vouches for them only from that moment on.
  5  + practice_attempts (``assistant.store_learning``: a learner's predicted level of an example answer and the
     rubric's level). A new table only, so an older database is upgraded in place by creating it.
  6  + mock_interviews and mock_replies (``assistant.store_learning``: a learner's mock interview on an example site's
     persona and each reply with the values heard). New tables only, created in place on an older database.

The append-only triggers are created with the schema and at an upgrade, never silently put back at an ordinary
open: a dropped trigger stays missing, and ``qmm audit verify`` reports it. Every new audit event is chained by
``chain_new_events``, a ``before_flush`` hook the Store registers on its sessions: it reads the latest hash inside
the writing transaction, and ``prev_hash`` is unique, so two writers chaining onto the same event collide and one
is retried (``Store._write``) instead of forking the chain.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
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
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from assistant.audit_chain import GENESIS, HASHED, derive_assessment, event_hash
from assistant.audit_key import load_key
from assistant.auth import new_token
from assistant.errors import StoreError

SCHEMA_VERSION = 6


class Base(DeclarativeBase):
    pass


class SchemaInfo(Base):
    __tablename__ = "schema_info"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


class SiteRow(Base):
    """A site; from schema 4 also its record (``record``: company, site type, country, last FDA surveillance
    inspection date and classification, U.S. distribution, open warning letter or import alert, critical products,
    notes; see ``assistant.portfolio.records.SiteRecord``)."""

    __tablename__ = "sites"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    record: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


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
    # where an imported assessment came from (schema 4): {"file", "sha256", "assessed_on"}; None for interviews
    source: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


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
    """One audit event; append-only (triggers) and chained (``prev_hash``, ``hash``: schema 4)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_prev_hash", "prev_hash", unique=True),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    who: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(50))
    entity: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str] = mapped_column(String(100))
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
    protocol: Mapped[str | None] = mapped_column(String(100), nullable=True)
    assessment_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # schema 4
    prev_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)  # schema 4; set by chain_new_events
    hash: Mapped[str | None] = mapped_column(String(64), nullable=True)  # schema 4; set by chain_new_events


# Columns added to existing tables, by schema version: (table, column, DDL type, unique index or None).
ADDED_COLUMNS = [
    ("interviews", "token", "VARCHAR(40)", "ix_interviews_token"),
    ("interviews", "owner_id", "INTEGER", None),
    ("assessments", "token", "VARCHAR(40)", "ix_assessments_token"),
    ("assessments", "gate", "JSON", None),
    ("assessments", "source", "JSON", None),
    ("sites", "record", "JSON", None),
    ("audit_events", "assessment_id", "INTEGER", None),  # schema 4
    ("audit_events", "prev_hash", "VARCHAR(64)", "ix_audit_events_prev_hash"),
    ("audit_events", "hash", "VARCHAR(64)", None),
]

APPEND_ONLY_POSTGRES = [
    "CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_events is append-only'; END; $$ LANGUAGE plpgsql",
    "DROP TRIGGER IF EXISTS audit_no_change ON audit_events",
    "CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
    "DROP TRIGGER IF EXISTS audit_no_truncate ON audit_events",
    "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_events "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
]
APPEND_ONLY_TRIGGERS = [
    "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
]


DROP_APPEND_ONLY = {
    "sqlite": ["DROP TRIGGER IF EXISTS audit_no_update", "DROP TRIGGER IF EXISTS audit_no_delete"],
    "postgresql": ["DROP TRIGGER IF EXISTS audit_no_change ON audit_events",
                   "DROP TRIGGER IF EXISTS audit_no_truncate ON audit_events"],
}  # fmt: skip


def audit(now: datetime, who: str, action: str, entity: str, entity_id: str, before: Any, after: Any,
          protocol: str | None, assessment_id: int | None = None) -> AuditRow:  # fmt: skip
    """A new audit event; ``chain_new_events`` gives it its place in the chain when it is flushed."""
    return AuditRow(at=now, who=who, action=action, entity=entity, entity_id=entity_id, before=before, after=after,
                    protocol=protocol, assessment_id=assessment_id)  # fmt: skip


def chain_new_events(session: Session, key: bytes) -> None:
    """``before_flush``: chain the session's new audit events, in the order they were added, onto the latest event.

    The latest hash is read inside the flushing transaction; if a concurrent writer commits an event onto the same
    one first, the unique ``prev_hash`` refuses this flush (IntegrityError) and ``Store._write`` runs it again.
    """
    pending = [row for row in session.new if isinstance(row, AuditRow)]
    if not pending:
        return
    pending.sort(key=lambda row: inspect(row).insert_order or 0)
    with session.no_autoflush:
        latest = session.scalar(select(AuditRow.hash).where(AuditRow.hash.is_not(None))
                                .order_by(AuditRow.id.desc()).limit(1))  # fmt: skip
    prev = latest or GENESIS
    for row in pending:
        if row.at.tzinfo is not None:  # stored naive (UTC), so hashed naive: what is read back is what was hashed
            row.at = row.at.astimezone(UTC).replace(tzinfo=None)
        row.prev_hash = prev
        row.hash = prev = event_hash(key, {name: getattr(row, name) for name in HASHED})


def append_events(session: Session, key: bytes, events: list[dict[str, Any]]) -> None:
    """Many audit events (dicts of ``audit``'s fields) chained onto the latest event and written in one multi-row
    insert, in list order, as ``chain_new_events`` would chain them one by one. The session is flushed first, so
    events already added to it come before these."""
    if not events:
        return
    session.flush()
    latest = session.scalar(select(AuditRow.hash).where(AuditRow.hash.is_not(None))
                            .order_by(AuditRow.id.desc()).limit(1))  # fmt: skip
    prev = latest or GENESIS
    for e in events:
        if e["at"].tzinfo is not None:
            e["at"] = e["at"].astimezone(UTC).replace(tzinfo=None)
        e["prev_hash"] = prev
        e["hash"] = prev = event_hash(key, {name: e.get(name) for name in HASHED})
    session.connection().execute(insert(AuditRow), events)  # Core: no ORM bookkeeping per event


def answer_summary(row: AnswerRow | Mapping[str, Any]) -> dict[str, Any]:
    """What an answer version's audit event records of it; ``row`` is an AnswerRow or a dict of its columns."""
    get = row.get if isinstance(row, Mapping) else partial(getattr, row)
    values = {k: v.get("value") for k, v in (get("answer") or {}).get("values", {}).items()
              if v.get("value") is not None}  # fmt: skip
    return {"version": get("version"), "status": get("status"), "values": values, "na": get("na_justification"),
            "interview": get("interview_id")}  # fmt: skip


def migrate(engine: Engine, url: str, key_file: Path) -> bytes:
    """Refuse a newer database before touching it; create what is missing; record the schema version; return the
    audit key (made when missing, unless the database already holds chained events: ``assistant.audit_key``).

    Several processes may open a new database at the same moment (app processes starting together): the one that
    loses the race to create a table or the version row tries again, and then finds the schema made."""
    for attempt in range(1, 4):
        try:
            return _migrate(engine, url, key_file)
        except (IntegrityError, OperationalError) as exc:
            raced = isinstance(exc, IntegrityError) or "already exists" in str(exc)
            if not raced or attempt == 3:
                raise StoreError(f"cannot open the database at {url}: {exc.__class__.__name__}: {exc}") from None
            time.sleep(0.2 * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def _migrate(engine: Engine, url: str, key_file: Path) -> bytes:
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
            upgrading = version is not None and version < SCHEMA_VERSION
            if upgrading:
                add_columns(conn)
            chained = conn.execute(select(AuditRow.id).where(AuditRow.hash.is_not(None)).limit(1)).first()
            key = load_key(key_file, create=chained is None)
            dialect = engine.dialect.name
            if upgrading:
                chain_existing(conn, key, dialect)
            if version is None:
                conn.execute(insert(SchemaInfo).values(id=1, version=SCHEMA_VERSION))
            elif version < SCHEMA_VERSION:
                conn.execute(update(SchemaInfo).values(version=SCHEMA_VERSION))
            if version is None or upgrading:  # never silently at an ordinary open: verify reports a missing one
                triggers = {"sqlite": APPEND_ONLY_TRIGGERS, "postgresql": APPEND_ONLY_POSTGRES}.get(dialect, [])
                for statement in triggers:
                    conn.execute(text(statement))
            return key
    except (IntegrityError, OperationalError):
        raise
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


def chain_existing(conn: Connection, key: bytes, dialect: str) -> None:
    """At the upgrade to schema 4: give the events that have no hash yet their assessment and chain them, in id
    order, onto the last chained event (GENESIS when there is none). The append-only triggers are dropped for this
    within the upgrade's transaction; ``migrate`` creates them again before it commits."""
    table = Base.metadata.tables[AuditRow.__tablename__]
    rows = conn.execute(select(table).where(table.c.hash.is_(None)).order_by(table.c.id)).mappings().all()
    if not rows:
        return
    for statement in DROP_APPEND_ONLY.get(dialect, []):
        conn.execute(text(statement))
    assessment_of = {i: a for i, a in conn.execute(select(InterviewRow.id, InterviewRow.assessment_id))}
    latest = conn.execute(select(table.c.hash).where(table.c.hash.is_not(None)).order_by(table.c.id.desc())
                          .limit(1)).scalar()  # fmt: skip
    prev = latest or GENESIS
    for row in rows:
        event = dict(row)
        if event["assessment_id"] is None:
            event["assessment_id"] = derive_assessment(event, assessment_of)
        event["prev_hash"] = prev
        prev = event_hash(key, event)
        values = {"assessment_id": event["assessment_id"], "prev_hash": event["prev_hash"], "hash": prev}
        conn.execute(update(table).where(table.c.id == row["id"]).values(values))


import assistant.store_learning  # noqa: E402, F401 - and the learners' practice rounds and mock interviews
import assistant.store_review_rows  # noqa: E402, F401 - the assessor's tables join Base.metadata before migrate runs

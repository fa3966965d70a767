"""Persistence: SQLAlchemy 2 over SQLite (WAL) by default, PostgreSQL by URL, same code (both tested).

Tables (``assistant.store_schema``): sites, assessments (site, protocol@version, status, site facts), interviews
(interviewee, role, state, revision), answers (versioned per question; each row belongs to one interview, so every
interviewee's answer is their own), turns (the chat transcript), conflict_resolutions, audit_events (append-only:
who, when, what, before, after; triggers in SQLite and PostgreSQL refuse UPDATE and DELETE on it), schema_info.

Every write that an interviewee's message causes is one transaction, committed before the assistant replies:
starting an interview (site, assessment, interview, first state, transcript, audit) is one transaction too, so a
failure leaves nothing half-made. A write based on a stale revision of an interview (a second browser tab) is
refused with ``StaleInterview``. Two writers taking the same answer version number collide on a unique constraint;
the write is retried (``WRITE_ATTEMPTS``). A database made by a newer version of this code is refused, never altered;
an older one is upgraded: new tables are created, new columns added (``ADDED_COLUMNS``) and existing interviews and
assessments given their unguessable tokens. Accounts, grants and sessions: ``assistant.store_accounts``.

The audit trail is a hash chain (``assistant.audit_chain``): every audit event is chained, inside the transaction
that writes it, by a ``before_flush`` hook (``chain_new_events``) keyed by the audit key, which is kept outside the
database (``assistant.audit_key``): ``Store(url, audit_key_file)``; with no key file, ``audit.key`` beside a SQLite
database file (any other database must be given one). ``prev_hash`` is unique, so two writers chaining onto the same
event collide and one is retried; on PostgreSQL every write transaction first takes one advisory lock
(``WRITE_LOCK``), so writers queue as they do on SQLite instead of colliding. Checking and exporting the trail:
``assistant.store_audit``.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, event, func, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from assistant.audit_key import key_file_beside
from assistant.auth import new_token
from assistant.errors import StoreError
from assistant.portfolio.records import site_key
from assistant.store_schema import (
    SCHEMA_VERSION,
    AnswerRow,
    AssessmentRow,
    AuditRow,
    InterviewRow,
    ResolutionRow,
    SiteRow,
    TurnRow,
    answer_summary,
    audit,
    chain_new_events,
    migrate,
)

log = logging.getLogger(__name__)

__all__ = ["SCHEMA_VERSION", "StaleInterview", "Store", "TurnWrite", "database_url"]

T = TypeVar("T")
WRITE_ATTEMPTS = 5  # a unique-constraint collision (two writers, same version number) is retried this many times
WRITE_LOCK = 0x716D6D41  # PostgreSQL advisory lock every write transaction takes first ("qmmA"; any constant)


class StaleInterview(StoreError):
    """The interview changed since this client loaded it (another tab or device)."""


@dataclass
class TurnWrite:
    """What one turn saves besides the interview row: the new state, the effects and the chat lines."""

    state_json: str
    effects: list[dict[str, Any]] = field(default_factory=list)
    transcript: list[tuple[str, str]] = field(default_factory=list)  # (who: user | assistant, text)


def find_site(s: Session, name: str) -> SiteRow | None:
    """The site of that name, or of a name that differs only in case, spacing or punctuation ("Harford plant" and
    "Harford plant," are one site)."""
    row = s.scalar(select(SiteRow).where(SiteRow.name == name))
    if row is not None:
        return row
    key = site_key(name)
    return next((r for r in s.scalars(select(SiteRow)).all() if site_key(r.name) == key), None) if key else None


def database_url(data_dir: Path, url: str | None) -> str:
    if url:
        return url
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data_dir / 'qmm.sqlite3'}"


def _cause(exc: SQLAlchemyError) -> str:
    """The database's own reason (e.g. "database is locked"), without the statement's parameters (answers)."""
    original = getattr(exc, "orig", None)
    return f"{exc.__class__.__name__}: {str(original or exc).splitlines()[0][:200]}"


class Store:
    def __init__(self, url: str, audit_key_file: Path | None = None) -> None:
        self.url = url
        self.key_file = audit_key_file or key_file_beside(url)
        self.engine: Engine = create_engine(url, future=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        try:
            self.audit_key = migrate(self.engine, self.url, self.key_file)
        except StoreError:
            self.engine.dispose()
            raise
        event.listen(self._sessions, "before_flush", lambda s, _flush, _objects: chain_new_events(s, self.audit_key))

    def close(self) -> None:
        self.engine.dispose()

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
            log.error("database error: %s", _cause(exc))
            raise StoreError(f"the database refused the change ({exc.__class__.__name__}); nothing was saved") from None
        finally:
            session.close()

    def write(self, work: Callable[[Session], T]) -> T:
        """Run ``work(session)`` as one transaction (retried on a unique-constraint collision)."""
        return self._write(work)

    def _write(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in one transaction; retry it when a unique constraint collides with a concurrent writer."""
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                with self._sessions() as s, s.begin():
                    if self.engine.dialect.name == "postgresql":  # one writer at a time, as SQLite has
                        s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": WRITE_LOCK})
                    return work(s)
            except IntegrityError as exc:
                log.info("write attempt %d collided with a concurrent writer: %s", attempt, _cause(exc))
                if attempt == WRITE_ATTEMPTS:
                    log.error("write refused after %d attempts: %s", attempt, _cause(exc))
                    raise StoreError(
                        f"the database kept refusing the change (a concurrent write, {attempt} attempts); "
                        "nothing was saved. Send it again."
                    ) from None
                time.sleep(random.uniform(0.005, 0.05) * attempt)
            except StoreError:
                raise
            except SQLAlchemyError as exc:
                log.error("write refused by the database: %s", _cause(exc))
                raise StoreError(
                    f"the database refused the change ({exc.__class__.__name__}); nothing was saved"
                ) from None
        raise AssertionError("unreachable")

    # --- sites, assessments, interviews --------------------------------------------------------------------------
    def start_interview(
        self,
        site: str,
        interviewee: str,
        role: str,
        protocol: str,
        now: datetime,
        first_turn: Callable[[int, int, dict[str, str]], TurnWrite],
        owner_id: int | None = None,
        who: str | None = None,
    ) -> tuple[int, int]:
        """Site, open assessment, interview, first state, its effects, transcript and audit in ONE transaction.

        ``first_turn(assessment_id, interview_id, site_facts)`` builds the first state (a pure function of those);
        if it or any write fails, nothing is saved. Returns (assessment id, interview id); the revision is 1.
        ``owner_id`` is the account that starts it; ``who`` is written in the audit log (default: the interviewee).
        """
        who = who or interviewee

        def work(s: Session) -> tuple[int, int]:
            assessment = self._open_assessment(s, site, protocol, now)
            row = InterviewRow(
                assessment_id=assessment.id, interviewee=interviewee, role=role, protocol=protocol,
                state="", revision=1, created_at=now, updated_at=now, token=new_token(), owner_id=owner_id,
            )  # fmt: skip
            s.add(row)
            s.flush()
            s.add(audit(now, who, "create", "interview", str(row.id), None, {"role": role, "interviewee": interviewee},
                        protocol, assessment.id))  # fmt: skip
            first = first_turn(assessment.id, row.id, dict(assessment.facts or {}))
            row.state = first.state_json
            self.save_turn(s, row, first, who, now)
            return assessment.id, row.id

        return self._write(work)

    def _open_assessment(self, s: Session, site: str, protocol: str, now: datetime) -> AssessmentRow:
        row = find_site(s, site)
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
            assessment = AssessmentRow(site_id=row.id, protocol=protocol, status="open", facts={}, created_at=now,
                                       token=new_token())  # fmt: skip
            s.add(assessment)
            s.flush()
            s.add(audit(now, "system", "create", "assessment", str(assessment.id), None,
                        {"site": site, "protocol": protocol}, protocol, assessment.id))  # fmt: skip
        return assessment

    def interview(self, interview_id: int | str) -> dict[str, Any]:
        """The interview row, by id (server side) or token: id, token, assessment_id, assessment_token, site,
        owner_id, interviewee, role, protocol, state (JSON), revision."""
        with self.session() as s:
            if isinstance(interview_id, str):
                row = s.scalar(select(InterviewRow).where(InterviewRow.token == interview_id))
            else:
                row = s.get(InterviewRow, interview_id)
            if row is None:
                raise StoreError("There is no such interview (check the link, or pick one from the list).")
            assessment = s.get(AssessmentRow, row.assessment_id)
            site = s.get(SiteRow, assessment.site_id) if assessment else None
            return {"id": row.id, "token": row.token, "assessment_id": row.assessment_id,
                    "assessment_token": assessment.token if assessment else None, "site": site.name if site else "",
                    "owner_id": row.owner_id, "interviewee": row.interviewee, "role": row.role,
                    "protocol": row.protocol, "state": row.state, "revision": row.revision}  # fmt: skip

    def assessment(self, assessment_id: int | str) -> dict[str, Any]:
        """The assessment, by id (server side) or token: id, token, site, protocol, status, created_at."""
        with self.session() as s:
            if isinstance(assessment_id, str):
                a = s.scalar(select(AssessmentRow).where(AssessmentRow.token == assessment_id))
            else:
                a = s.get(AssessmentRow, assessment_id)
            if a is None:
                raise StoreError("There is no such assessment (check its reference).")
            site = s.get(SiteRow, a.site_id)
            return {"id": a.id, "token": a.token, "site": site.name if site else "", "protocol": a.protocol,
                    "status": a.status, "created_at": a.created_at.isoformat()}  # fmt: skip

    def load_interview(self, interview_id: int) -> tuple[str, int]:
        """(state JSON, revision)."""
        row = self.interview(interview_id)
        return row["state"], row["revision"]

    def transcript(self, interview_id: int) -> list[dict[str, str]]:
        """The interview's chat, in order: {"who": "user"|"assistant", "text", "at"}."""
        with self.session() as s:
            rows = s.scalars(select(TurnRow).where(TurnRow.interview_id == interview_id).order_by(TurnRow.seq)).all()
            return [{"who": r.who, "text": r.text, "at": r.at.isoformat()} for r in rows]

    def list_interviews(self, sites: set[str] | None = None) -> list[dict[str, Any]]:
        """Every interview, newest first; only those of ``sites`` when given (None: every site)."""
        with self.session() as s:
            query = (
                select(InterviewRow, AssessmentRow, SiteRow)
                .join(AssessmentRow, InterviewRow.assessment_id == AssessmentRow.id)
                .join(SiteRow, AssessmentRow.site_id == SiteRow.id)
                .order_by(InterviewRow.updated_at.desc(), InterviewRow.id.desc())
            )
            if sites is not None:
                query = query.where(SiteRow.name.in_(sorted(sites)))
            rows = s.execute(query).all()
            return [
                {"id": i.id, "token": i.token, "site": site.name, "interviewee": i.interviewee, "role": i.role,
                 "protocol": i.protocol, "assessment_id": a.id, "assessment_token": a.token,
                 "updated_at": i.updated_at.isoformat()}
                for i, a, site in rows
            ]  # fmt: skip

    def assessment_facts(self, assessment_id: int) -> dict[str, str]:
        with self.session() as s:
            a = s.get(AssessmentRow, assessment_id)
            if a is None:
                raise StoreError(f"There is no assessment {assessment_id}.")
            return dict(a.facts or {})

    def assessment_site(self, assessment_id: int) -> str:
        with self.session() as s:
            a = s.get(AssessmentRow, assessment_id)
            if a is None:
                raise StoreError(f"There is no assessment {assessment_id}.")
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
        transcript: list[tuple[str, str]] | None = None,
    ) -> int:
        """Save the interview state, the effects and the chat lines of one turn atomically; return the new revision.

        Effects: {"kind": "draft"|"confirm"|"na"|"facts", ...}. Refused with StaleInterview when another client
        saved first.
        """
        turn = TurnWrite(state_json, effects, transcript or [])

        def work(s: Session) -> int:
            row = s.get(InterviewRow, interview_id)
            if row is None:
                raise StoreError(f"There is no interview {interview_id}.")
            done = s.execute(
                update(InterviewRow)
                .where(InterviewRow.id == interview_id, InterviewRow.revision == expected_revision)
                .values(state=state_json, revision=expected_revision + 1, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                raise StaleInterview(
                    "This interview was changed in another tab or window. Reload the page to continue from the "
                    "latest saved answer; your last message was not saved."
                )
            self.save_turn(s, row, turn, who, now)
            return expected_revision + 1

        return self._write(work)

    def save_turn(self, s: Session, interview: InterviewRow, turn: TurnWrite, who: str, now: datetime) -> None:
        """Inside a transaction: one turn's effects (answers, facts, each audited) and its chat lines."""
        for effect in turn.effects:
            self._apply(s, interview, effect, who, now)
        if turn.transcript:
            last = s.scalar(select(func.max(TurnRow.seq)).where(TurnRow.interview_id == interview.id)) or 0
            for n, (speaker, line) in enumerate(turn.transcript, start=last + 1):
                s.add(TurnRow(interview_id=interview.id, seq=n, who=speaker, text=line, at=now))
        s.flush()  # a version collision surfaces here, inside the retried transaction

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
            s.add(audit(now, who, "set_facts", "assessment", str(assessment.id), old_facts, assessment.facts, protocol,
                        assessment.id))  # fmt: skip
            return
        qid = effect["question_id"]
        top = s.scalar(
            select(func.max(AnswerRow.version)).where(
                AnswerRow.assessment_id == interview.assessment_id, AnswerRow.question_id == qid
            )
        )
        mine = s.scalar(
            select(AnswerRow)
            .where(AnswerRow.assessment_id == interview.assessment_id, AnswerRow.question_id == qid,
                   AnswerRow.interview_id == interview.id)
            .order_by(AnswerRow.version.desc())
            .limit(1)
        )  # fmt: skip
        answer = effect.get("answer") or {}
        status = {"draft": "draft", "confirm": "confirmed", "na": "na"}[kind]
        row = AnswerRow(
            assessment_id=interview.assessment_id, interview_id=interview.id, question_id=qid, version=(top or 0) + 1,
            status=status, raw_text="\n".join(answer.get("texts", [])), answer=answer,
            na_justification=effect.get("justification"), who=who, protocol=protocol, created_at=now,
        )  # fmt: skip
        s.add(row)
        before = answer_summary(mine) if mine else None  # this interviewee's previous version, never a colleague's
        s.add(audit(now, who, status, "answer", qid, before, answer_summary(row), protocol, interview.assessment_id))

    # --- reading answers -----------------------------------------------------------------------------------------
    def confirmed_answers(self, assessment_id: int) -> list[dict[str, Any]]:
        """Per (question, interview), the latest confirmed or N/A answer, with who gave it; ordered by question."""
        with self.session() as s:
            latest = (
                select(AnswerRow.question_id, AnswerRow.interview_id, func.max(AnswerRow.version).label("v"))
                .where(AnswerRow.assessment_id == assessment_id, AnswerRow.status.in_(["confirmed", "na"]))
                .group_by(AnswerRow.question_id, AnswerRow.interview_id)
                .subquery()
            )
            rows = s.execute(
                select(AnswerRow, InterviewRow)
                .join(latest, (AnswerRow.question_id == latest.c.question_id) & (AnswerRow.version == latest.c.v))
                .join(InterviewRow, AnswerRow.interview_id == InterviewRow.id)
                .where(AnswerRow.assessment_id == assessment_id)
                .order_by(AnswerRow.question_id, AnswerRow.interview_id)
            ).all()
            return [
                {"question_id": r.question_id, "interview_id": r.interview_id, "interview_token": i.token,
                 "interviewee": i.interviewee,
                 "role": i.role, "status": r.status, "answer": r.answer, "na_justification": r.na_justification,
                 "version": r.version, "who": r.who, "protocol": r.protocol, "at": r.created_at.isoformat()}
                for r, i in rows
            ]  # fmt: skip

    def current_answers(self, assessment_id: int) -> dict[str, dict[str, Any]]:
        """Per question, the most recent confirmed or N/A answer of any interviewee (see ``confirmed_answers``)."""
        out: dict[str, dict[str, Any]] = {}
        for row in self.confirmed_answers(assessment_id):
            if row["question_id"] not in out or row["version"] > out[row["question_id"]]["version"]:
                out[row["question_id"]] = row
        return out

    def answer_history(self, assessment_id: int, question_id: str) -> list[dict[str, Any]]:
        with self.session() as s:
            rows = s.scalars(
                select(AnswerRow)
                .where(AnswerRow.assessment_id == assessment_id, AnswerRow.question_id == question_id)
                .order_by(AnswerRow.version)
            ).all()
            return [{"version": r.version, "status": r.status, "raw_text": r.raw_text, "who": r.who,
                     "interview_id": r.interview_id, "at": r.created_at.isoformat(), "protocol": r.protocol}
                    for r in rows]  # fmt: skip

    # --- conflicts between interviewees ----------------------------------------------------------------------------
    def resolutions(self, assessment_id: int) -> dict[str, dict[str, Any]]:
        """Per question, the latest assessor resolution: {"chosen_interview_id", "versions", "reason", "who", "at"}."""
        with self.session() as s:
            rows = s.scalars(
                select(ResolutionRow).where(ResolutionRow.assessment_id == assessment_id).order_by(ResolutionRow.id)
            ).all()
            return {
                r.question_id: {"chosen_interview_id": r.chosen_interview_id, "versions": dict(r.versions or {}),
                                "reason": r.reason, "who": r.who, "at": r.at.isoformat()}
                for r in rows
            }  # fmt: skip

    def resolve_conflict(
        self,
        assessment_id: int,
        question_id: str,
        chosen_interview_id: int,
        versions: dict[str, int],
        reason: str,
        who: str,
        now: datetime,
        before: Any,
        after: Any,
    ) -> None:
        """Record an assessor's choice and its audit event (who, when, before, after with the reason) atomically."""

        def work(s: Session) -> None:
            assessment = s.get(AssessmentRow, assessment_id)
            if assessment is None:
                raise StoreError(f"There is no assessment {assessment_id}.")
            s.add(ResolutionRow(assessment_id=assessment_id, question_id=question_id,
                                chosen_interview_id=chosen_interview_id, versions=versions, reason=reason, who=who,
                                at=now))  # fmt: skip
            s.add(audit(now, who, "resolve_conflict", "answer", question_id, before, after, assessment.protocol,
                        assessment_id))  # fmt: skip

        self._write(work)

    def audit(self, limit: int = 1000) -> list[dict[str, Any]]:
        with self.session() as s:
            rows = s.scalars(select(AuditRow).order_by(AuditRow.id).limit(limit)).all()
            return [{"at": r.at.isoformat(), "who": r.who, "action": r.action, "entity": r.entity,
                     "entity_id": r.entity_id, "before": r.before, "after": r.after, "protocol": r.protocol}
                    for r in rows]  # fmt: skip


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()

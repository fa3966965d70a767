"""The assessor's tables (schema 4): evidence items, validated answers, finding edits and improvement-plan items.

Registered on the schema's declarative ``Base`` when ``assistant.store_schema`` is imported (it imports this module
last), so ``migrate`` creates them with the rest. Each change is a new row (the latest row per key holds) or an
audited status change; nothing an assessor or a site wrote is overwritten.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from assistant.store_schema import Base


class EvidenceRow(Base):
    """A record behind an answer: an uploaded file (stored by its SHA-256, never overwritten), a passage of an
    ingested site document, or a named record; ``status`` claimed (the site says so) or seen (an assessor has)."""

    __tablename__ = "evidence_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"))
    question_id: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10))  # file | passage | named
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(10))  # claimed | seen
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    media_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    passage: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # {"id", "path", "page", "heading"}
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(DateTime)
    seen_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    seen_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class ValidationRow(Base):
    """An assessor's consolidated answer to one question, validated: final. ``versions`` (interview id -> answer
    version) are the interviewees' answers it was made on; a later change to any of them opens it again."""

    __tablename__ = "validations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"))
    question_id: Mapped[str] = mapped_column(String(20))
    chosen_interview_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: the assessor wrote it
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    versions: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(Text)
    who: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime)


class FindingEditRow(Base):
    """One edit of the findings: edit (the whole finding as edited), drop, restore or add."""

    __tablename__ = "finding_edits"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"))
    finding_id: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(10))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    who: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime)


class PlanRow(Base):
    """One version of one improvement-plan item (the latest row per ``item_id`` holds)."""

    __tablename__ = "plan_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"))
    item_id: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    who: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime)


class ProfileCacheRow(Base):
    """A scored profile kept so a portfolio of hundreds of sites need not re-score every assessment (derived data,
    never audited): valid while ``fingerprint`` (the assessment's latest audit event, its protocol's content and the
    scoring code) is unchanged. The portfolio's own copy, without criterion traces."""

    __tablename__ = "profile_cache"
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(200))
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)

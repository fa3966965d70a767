"""The learners' practice rounds (schema 5): one row per prediction, kept per learner, never changed; and their mock
interviews (schema 6): one row per mock interview and one per reply, each reply saved before it is acknowledged.

Registered on the schema's declarative ``Base`` when ``assistant.store_schema`` is imported (it imports this module
last), so ``migrate`` creates the table with the rest. A round is saved before the learner sees the rubric's level.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from assistant.store_schema import Base

if TYPE_CHECKING:
    from assistant.learning import Attempt
    from assistant.learning_mock import MockReply, MockState
    from assistant.store import Store

__all__ = ["MockReplyRow", "MockRow", "PracticeRow", "finish_mock", "latest_mock", "load_mock", "practice_attempts",
           "save_mock", "save_mock_reply", "save_practice"]  # fmt: skip


class PracticeRow(Base):
    """A learner's prediction of one example answer's level, with the rubric's level under the protocol named."""

    __tablename__ = "practice_attempts"
    __table_args__ = (Index("ix_practice_learner", "learner"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner: Mapped[str] = mapped_column(String(60))  # user:<id> for an account, local or operator otherwise
    protocol: Mapped[str] = mapped_column(String(100))
    card: Mapped[str] = mapped_column(String(100))  # example:question, e.g. middling:MC-01
    area: Mapped[str] = mapped_column(String(60))
    predicted: Mapped[int] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime)


def save_practice(store: Store, learner: str, protocol: str, attempt: Attempt, at: datetime) -> None:
    def work(s: Session) -> None:
        s.add(PracticeRow(learner=learner, protocol=protocol, card=attempt.card, area=attempt.area,
                          predicted=attempt.predicted, level=attempt.level, at=at))  # fmt: skip

    store.write(work)


def practice_attempts(store: Store, learner: str, protocol: str) -> list[Attempt]:
    """A learner's rounds under one protocol, oldest first."""
    from assistant.learning import Attempt

    with store.session() as s:
        rows = s.scalars(select(PracticeRow).where(PracticeRow.learner == learner, PracticeRow.protocol == protocol)
                         .order_by(PracticeRow.id)).all()  # fmt: skip
        return [Attempt(card=r.card, area=r.area, predicted=r.predicted, level=r.level) for r in rows]


class MockRow(Base):
    """A learner's mock interview: the example site played, the practice area and its questions."""

    __tablename__ = "mock_interviews"
    __table_args__ = (Index("ix_mock_learner", "learner"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(40), unique=True)
    learner: Mapped[str] = mapped_column(String(60))
    protocol: Mapped[str] = mapped_column(String(100))
    example: Mapped[str] = mapped_column(String(100))
    site: Mapped[str] = mapped_column(String(200))
    area: Mapped[str] = mapped_column(String(60))
    questions: Mapped[list[str]] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class MockReplyRow(Base):
    """One reply in a mock interview, as typed, with the values the extractor heard in it."""

    __tablename__ = "mock_replies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mock_id: Mapped[int] = mapped_column(ForeignKey("mock_interviews.id"), index=True)
    question_id: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    heard: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(DateTime)


def save_mock(store: Store, learner: str, state: MockState, at: datetime) -> None:
    def work(s: Session) -> None:
        s.add(MockRow(token=state.token, learner=learner, protocol=state.protocol, example=state.example,
                      site=state.site, area=state.area, questions=list(state.questions), started_at=at))  # fmt: skip

    store.write(work)


def save_mock_reply(store: Store, learner: str, token: str, reply: MockReply, at: datetime) -> None:
    """Save one reply to the learner's own unfinished mock interview; LookupError when it is not one."""

    def work(s: Session) -> None:
        row = s.scalar(select(MockRow).where(MockRow.token == token, MockRow.learner == learner))
        if row is None or row.finished_at is not None:
            raise LookupError(token)
        s.add(MockReplyRow(mock_id=row.id, question_id=reply.question_id, text=reply.text,
                           heard=reply.heard, at=at))  # fmt: skip

    store.write(work)


def finish_mock(store: Store, learner: str, token: str, at: datetime) -> None:
    def work(s: Session) -> None:
        s.execute(update(MockRow).where(MockRow.token == token, MockRow.learner == learner,
                                        MockRow.finished_at.is_(None)).values(finished_at=at))  # fmt: skip

    store.write(work)


def load_mock(store: Store, learner: str, token: str) -> MockState | None:
    """The learner's mock interview by its token, with its replies (None if it is not this learner's)."""
    from assistant.learning_mock import MockReply, MockState

    with store.session() as s:
        row = s.scalar(select(MockRow).where(MockRow.token == token, MockRow.learner == learner))
        if row is None:
            return None
        replies = s.scalars(select(MockReplyRow).where(MockReplyRow.mock_id == row.id).order_by(MockReplyRow.id))
        return MockState(token=row.token, example=row.example, site=row.site, area=row.area, protocol=row.protocol,
                         questions=list(row.questions), finished=row.finished_at is not None,
                         replies=[MockReply(question_id=r.question_id, text=r.text, heard=dict(r.heard or {}))
                                  for r in replies])  # fmt: skip


def latest_mock(store: Store, learner: str, protocol: str) -> str | None:
    """The token of the learner's latest unfinished mock interview on a protocol, if any."""
    with store.session() as s:
        return s.scalar(select(MockRow.token).where(MockRow.learner == learner, MockRow.protocol == protocol,
                                                    MockRow.finished_at.is_(None))
                        .order_by(MockRow.id.desc()).limit(1))  # fmt: skip

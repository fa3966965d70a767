"""The learners' practice rounds (schema 5): one row per prediction, kept per learner, never changed.

Registered on the schema's declarative ``Base`` when ``assistant.store_schema`` is imported (it imports this module
last), so ``migrate`` creates the table with the rest. A round is saved before the learner sees the rubric's level.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, Index, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from assistant.store_schema import Base

if TYPE_CHECKING:
    from assistant.learning import Attempt
    from assistant.store import Store

__all__ = ["PracticeRow", "practice_attempts", "save_practice"]


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

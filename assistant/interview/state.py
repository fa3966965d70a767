"""Interview state, effects and steps: the data the pure engine takes and returns (serialisable, for gr.State)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from assistant.extraction.models import StructuredAnswer


class Phase(StrEnum):
    FACTS = "facts"
    ANSWER = "answer"
    FOLLOW_UP = "follow_up"
    CONFIRM = "confirm"
    NA_REASON = "na_reason"
    PAUSED = "paused"
    DONE = "done"


class InterviewState(BaseModel):
    """Everything needed to continue an interview; stored as JSON with the interview and kept in gr.State."""

    interview_id: int
    assessment_id: int
    interviewee: str
    role: str
    protocol: str
    revision: int = 0
    facts: dict[str, str] = Field(default_factory=dict)
    pending_facts: list[str] = Field(default_factory=list)
    order: list[str] = Field(default_factory=list)
    confirmed: dict[str, StructuredAnswer] = Field(default_factory=dict)
    na: dict[str, str] = Field(default_factory=dict)
    skipped: list[str] = Field(default_factory=list)
    history: list[str] = Field(default_factory=list)
    phase: Phase = Phase.FACTS
    resume_phase: Phase | None = None
    current: str | None = None
    draft: StructuredAnswer | None = None
    asked: list[str] = Field(default_factory=list)
    pending_field: str | None = None


class SaveDraft(BaseModel):
    kind: Literal["draft"] = "draft"
    question_id: str
    answer: StructuredAnswer


class ConfirmAnswer(BaseModel):
    kind: Literal["confirm"] = "confirm"
    question_id: str
    answer: StructuredAnswer


class MarkNA(BaseModel):
    kind: Literal["na"] = "na"
    question_id: str
    justification: str


class SetFacts(BaseModel):
    kind: Literal["facts"] = "facts"
    facts: dict[str, str]


class ShowGuidance(BaseModel):
    kind: Literal["guidance"] = "guidance"
    question_id: str


Effect = SaveDraft | ConfirmAnswer | MarkNA | SetFacts | ShowGuidance


class Step(BaseModel):
    state: InterviewState
    messages: list[str]
    quick_replies: list[str] = Field(default_factory=list)
    effects: list[Effect] = Field(default_factory=list)

"""Interview state, effects and steps: the data the pure engine takes and returns (serialisable, for gr.State)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from assistant.extraction.models import StructuredAnswer


class Phase(StrEnum):
    FACTS = "facts"
    ANSWER = "answer"
    FOLLOW_UP = "follow_up"
    CONFIRM = "confirm"
    NA_REASON = "na_reason"
    PAUSED = "paused"
    DONE = "done"


ANSWERING = (Phase.ANSWER, Phase.FOLLOW_UP, Phase.CONFIRM)  # a question is open and being answered


class InterviewState(BaseModel):
    """Everything needed to continue an interview; stored as JSON with the interview and kept in gr.State.

    ``skipped``: open questions the interviewee skipped; ``revisited``: skipped questions already brought back once
    at the end (they are not brought back again, so skipping never loops). ``asked``: fields of the current question
    already asked in a follow-up; ``pending_fields``: the fields the open follow-up form asks for now. ``drafts``:
    the unconfirmed answers of questions left open (skip, go to, back, end), shown again when they are reopened;
    ``carried``: the questions among them whose draft came from an earlier protocol version (``qmm assessment
    upgrade``): opened, they show the carried values to reconfirm and ask what the new version adds.
    """

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
    revisited: list[str] = Field(default_factory=list)
    history: list[str] = Field(default_factory=list)
    phase: Phase = Phase.FACTS
    resume_phase: Phase | None = None
    current: str | None = None
    draft: StructuredAnswer | None = None
    drafts: dict[str, StructuredAnswer] = Field(default_factory=dict)
    asked: list[str] = Field(default_factory=list)
    pending_fields: list[str] = Field(default_factory=list)
    carried: list[str] = Field(
        default_factory=list,
        description="Questions whose draft was carried over from an earlier protocol version, to reconfirm.",
    )

    @model_validator(mode="before")
    @classmethod
    def _from_single_pending_field(cls, data: Any) -> Any:
        """States saved before follow-ups became forms hold ``pending_field: str | None``; read it as a list."""
        if isinstance(data, dict) and "pending_field" in data:
            data = dict(data)
            old = data.pop("pending_field")
            if old and not data.get("pending_fields"):
                data["pending_fields"] = [old]
        return data

    @property
    def pending_field(self) -> str | None:
        """The first field the open follow-up asks for (read-only; for callers that target one field)."""
        return self.pending_fields[0] if self.pending_fields else None


class FormField(BaseModel):
    """One field of an open follow-up form, as the UI shows it. ``options``: the labels a user picks from."""

    id: str
    label: str
    type: str
    options: list[str] = Field(default_factory=list)
    multi: bool = False
    prompt: str = ""
    suggested: str | list[str] | None = Field(
        default=None, description="What the answer seemed to say, not confident enough to propose: a hint only."
    )


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
    """What the engine returns. ``form`` is non-empty exactly while a follow-up form is open."""

    state: InterviewState
    messages: list[str]
    quick_replies: list[str] = Field(default_factory=list)
    effects: list[Effect] = Field(default_factory=list)
    form: list[FormField] = Field(default_factory=list)

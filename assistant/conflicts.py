"""Several interviewees, each heard: every interviewee's confirmed answer to a question is their own.

Pure functions over the store's rows (no I/O). Per question there is at most one current answer per interview (its
latest confirmed or N/A version). When the answers of different interviewees differ (different stated values, or
N/A against an answer), the question is a *conflict*: it is listed with who said what, and scored conservatively
(the lowest level of the answers; an N/A never hides a scored answer) until an assessor chooses one. A choice holds
while the answers it was made on are unchanged: a new version from anyone re-opens the conflict.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from assistant.extraction.models import StructuredAnswer
from assistant.protocol.models import Protocol
from assistant.rubric import ConfirmedAnswer, Value, score_question


class HeardAnswer(BaseModel):
    """One interviewee's current confirmed (or N/A) answer to one question."""

    question_id: str
    interview_id: int
    interview_token: str = Field(default="", description="The interview's reference outside the server.")
    interviewee: str
    role: str
    status: str  # confirmed | na
    values: dict[str, Value] = Field(default_factory=dict)
    spans: dict[str, str] = Field(default_factory=dict)
    na_justification: str | None = None
    level: int | None = None
    version: int
    at: str
    text: str = Field(default="", description="What the interviewee wrote for this answer, as saved.")

    def confirmed(self) -> ConfirmedAnswer:
        if self.status == "na":
            return ConfirmedAnswer(question_id=self.question_id, na_justification=self.na_justification or "")
        return ConfirmedAnswer(question_id=self.question_id, values=self.values, spans=self.spans)

    def said(self) -> tuple[str, Any]:
        """What was said, for comparing interviewees: N/A, or the stated values."""
        return ("na", None) if self.status == "na" else ("values", sorted(self.values.items()))


class Resolution(BaseModel):
    chosen_interview_id: int
    versions: dict[str, int]
    reason: str
    who: str
    at: str


class Conflict(BaseModel):
    """A question whose interviewees' confirmed answers differ."""

    question_id: str
    topic: str
    answers: list[HeardAnswer]
    resolution: Resolution | None = Field(default=None, description="Set while the assessor's choice still holds.")

    @property
    def open(self) -> bool:
        return self.resolution is None


def heard_answers(protocol: Protocol, rows: list[dict[str, Any]]) -> dict[str, list[HeardAnswer]]:
    """The store's ``confirmed_answers`` rows of the active protocol, grouped by question, each with its level."""
    out: dict[str, list[HeardAnswer]] = {}
    for row in rows:
        question = protocol.question(row["question_id"])
        if question is None or row["protocol"] != protocol.ref:
            continue
        heard = HeardAnswer(
            question_id=question.id, interview_id=row["interview_id"], interview_token=row.get("interview_token") or "",
            interviewee=row["interviewee"],
            role=row["role"], status=row["status"], na_justification=row["na_justification"],
            version=row["version"], at=row["at"],
        )  # fmt: skip
        if row["status"] != "na":
            structured = StructuredAnswer.model_validate(row["answer"])
            heard.text = "\n".join(structured.texts)
            heard.values = structured.stated_values()
            heard.spans = {k: v.span for k, v in structured.values.items() if v.span and v.value is not None}
            heard.level = score_question(protocol, question, heard.confirmed()).level
        out.setdefault(question.id, []).append(heard)
    return out


def versions_of(answers: list[HeardAnswer]) -> dict[str, int]:
    return {str(a.interview_id): a.version for a in answers}


def differ(answers: list[HeardAnswer]) -> bool:
    return len({repr(a.said()) for a in answers}) > 1


def holds(answers: list[HeardAnswer], resolution: dict[str, Any] | None) -> Resolution | None:
    """The resolution, if it was made on exactly these answer versions (else the conflict is open again)."""
    if not resolution or resolution.get("versions") != versions_of(answers):
        return None
    return Resolution.model_validate(resolution)


def conflicts(
    protocol: Protocol, heard: dict[str, list[HeardAnswer]], resolutions: dict[str, dict[str, Any]]
) -> list[Conflict]:
    out = []
    for qid, answers in heard.items():
        if not differ(answers):
            continue
        question = protocol.question(qid)
        out.append(Conflict(question_id=qid, topic=question.topic if question else "", answers=answers,
                            resolution=holds(answers, resolutions.get(qid))))  # fmt: skip
    order = {q.id: n for n, q in enumerate(protocol.active_questions)}
    return sorted(out, key=lambda c: order.get(c.question_id, len(order)))


def scored_answer(answers: list[HeardAnswer], resolution: dict[str, Any] | None) -> HeardAnswer:
    """The answer a question is scored on: the only one, the assessor's choice, or the most conservative."""
    if not differ(answers):
        return max(answers, key=lambda a: a.version)
    chosen = holds(answers, resolution)
    if chosen is not None:
        return next(a for a in answers if a.interview_id == chosen.chosen_interview_id)
    scored = [a for a in answers if a.status != "na"]
    return min(scored, key=lambda a: (a.level or 0, a.version)) if scored else answers[0]

"""A mock interview for learners: the learner plays the interviewee of an example site (its persona: what the site's
answers file says it does), answers one practice area's questions in their own words, and at the end sees how the
answers scored beside the site's own answers, and which of the details they left out would have raised each level.

Pure: no I/O. The service reads the example sites, runs the extractor on each reply, and saves every reply before it
is acknowledged; this module decides the questions, the brief, what was heard and the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

from assistant.learning import card_lines, shown_value
from assistant.protocol.models import FieldType, Protocol, Question
from assistant.rubric import ConfirmedAnswer, applies, score_question

Values = dict[str, Any]


class Persona(BaseModel):
    """An example site, as the learner plays it."""

    example: str = Field(description="The example site's file name without .yaml, e.g. middling.")
    site: str
    facts: dict[str, str] = Field(default_factory=dict)
    answers: dict[str, ConfirmedAnswer] = Field(default_factory=dict)


class MockReply(BaseModel):
    question_id: str
    text: str
    heard: Values = Field(default_factory=dict, description="The stated values the extractor took from the text.")


class MockState(BaseModel):
    """One mock interview as saved: who plays which site, which area, and the replies so far (oldest first)."""

    token: str
    example: str
    site: str
    area: str
    protocol: str
    questions: list[str]
    replies: list[MockReply] = Field(default_factory=list)
    finished: bool = False

    def heard(self) -> dict[str, Values]:
        """Question id -> the values heard over every reply to it (a later reply adds to, or restates, earlier)."""
        out: dict[str, Values] = {}
        for r in self.replies:
            out.setdefault(r.question_id, {}).update(r.heard)
        return out

    @property
    def current(self) -> str | None:
        """The first question not yet replied to (None when every one has been)."""
        said = {r.question_id for r in self.replies}
        return next((q for q in self.questions if q not in said), None)


def mock_questions(protocol: Protocol, persona: Persona, area: str) -> list[str]:
    """The area's active questions that apply to the site and that its file answers (not N/A), in protocol order."""
    out = []
    for q in protocol.active_questions:
        answer = persona.answers.get(q.id)
        if q.area == area and applies(q, persona.facts) and answer is not None and answer.na_justification is None \
                and answer.values:  # fmt: skip
            out.append(q.id)
    return out


def brief(question: Question, persona: Persona) -> list[str]:
    """What the learner, playing the site, knows for this question: the site's answer, field by field."""
    answer = persona.answers.get(question.id)
    return card_lines(question, answer.values) if answer else []


class LeftOut(BaseModel):
    """A detail of the site's answer the learner did not give (or gave differently)."""

    field: str
    label: str
    site_said: str
    heard_as: str | None = Field(default=None, description="What was heard for this field instead, if anything.")
    raises_to: int | None = Field(default=None, description="The level this detail alone would have reached.")


class MockQuestionResult(BaseModel):
    question_id: str
    topic: str
    question: str
    replied: bool
    your_level: int | None
    site_level: int | None
    heard: list[str] = Field(default_factory=list)
    left_out: list[LeftOut] = Field(default_factory=list)
    together_level: int | None = Field(
        default=None, description="The level with every left-out detail given, when no single one raises it.")
    next_needs: list[str] = Field(default_factory=list, description="What your next level needed (the rubric's why).")

    @property
    def raised_by(self) -> list[LeftOut]:
        return [d for d in self.left_out if d.raises_to is not None]


class MockResult(BaseModel):
    site: str
    area: str
    area_name: str
    protocol: str
    questions: list[MockQuestionResult]
    your_score: float | None = Field(description="Mean level over the questions replied to.")
    site_score: float | None = Field(description="The site's own mean level over the same questions.")
    matched: int = Field(description="Questions replied to where your level equals the site's.")
    replied: int


def _level(protocol: Protocol, question: Question, values: Mapping[str, Any]) -> int | None:
    if not values:
        return None
    return score_question(protocol, question, ConfirmedAnswer(question_id=question.id, values=dict(values))).level


def question_result(protocol: Protocol, question: Question, persona: Persona, heard: Values | None
                    ) -> MockQuestionResult:  # fmt: skip
    """One question: your level and the site's, what was heard, and each left-out detail with the level it alone
    would have reached (a detail that raises nothing on its own is still listed)."""
    site_answer = persona.answers[question.id]
    site_values = dict(site_answer.values)
    site_level = _level(protocol, question, site_values)
    out = MockQuestionResult(question_id=question.id, topic=question.topic, question=question.text,
                             replied=heard is not None, your_level=None, site_level=site_level)  # fmt: skip
    if heard is None:
        return out
    out.heard = card_lines(question, heard)
    score = score_question(protocol, question, ConfirmedAnswer(question_id=question.id, values=dict(heard)))
    out.your_level = score.level if heard else None
    base = out.your_level or 1  # a reply the rubric cannot place counts as level 1
    fields = {f.id: f for f in question.fields}
    for fid, value in site_values.items():
        field = fields.get(fid)
        if field is None or value in (None, [], {}) or heard.get(fid) == value:
            continue
        if field.type is FieldType.EVIDENCE_LIST and heard.get(fid):  # a record named, however briefly, is named
            continue
        alone = _level(protocol, question, {**heard, fid: value})
        mine = heard.get(fid)
        out.left_out.append(LeftOut(field=fid, label=field.label, site_said=shown_value(field, value),
                                    heard_as=None if mine in (None, [], {}) else shown_value(field, mine),
                                    raises_to=alone if alone is not None and alone > base else None))  # fmt: skip
    if out.left_out and not out.raised_by:
        together = _level(protocol, question, {**heard, **{d.field: site_values[d.field] for d in out.left_out}})
        out.together_level = together if together is not None and together > base else None
    out.next_needs = list(dict.fromkeys(r.why or r.describe() for r in score.missing_for_next))
    return out


def mock_result(protocol: Protocol, persona: Persona, state: MockState) -> MockResult:
    heard = state.heard()  # a question replied to has its entry, even when nothing was heard
    rows = []
    for qid in state.questions:
        question = protocol.question(qid)
        if question is not None:
            rows.append(question_result(protocol, question, persona, heard.get(qid)))
    done = [r for r in rows if r.replied]
    mine = [r.your_level or 1 for r in done]  # a reply the rubric cannot place counts as level 1
    site = [r.site_level for r in done if r.site_level is not None]
    area = protocol.area(state.area)
    return MockResult(site=state.site, area=state.area, area_name=area.name if area else state.area,
                      protocol=state.protocol, questions=rows,
                      your_score=round(sum(mine) / len(mine), 2) if mine else None,
                      site_score=round(sum(site) / len(site), 2) if site else None,
                      matched=sum(1 for r in done if (r.your_level or 1) == r.site_level),
                      replied=len(done))  # fmt: skip

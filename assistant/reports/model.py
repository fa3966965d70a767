"""The assessment report as data: everything a findings report, a spreadsheet or an export shows, already worked out.

Built by ``assistant.reports.build`` from an assessment in the store (or from an answers file alone) and rendered by
the format modules (``docx``, ``xlsx``, ``markdown``; JSON is ``model_dump``). Renderers only lay this out: every
figure, sentence, label and date is decided here, so the formats never disagree. Values are shown by their labels
("Every quarter", "Teams"), never by ids.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Effort = Literal["weeks", "months", "year_plus"]
EFFORT_LABELS: dict[str, str] = {"weeks": "Weeks", "months": "Months", "year_plus": "A year or more"}
Priority = Literal["high", "medium", "low"]


class Citation(BaseModel):
    """A guidance passage a finding rests on: the note, its source document, section and public link."""

    note_id: str
    title: str
    source: str = Field(description="The source key, e.g. ich-q10.")
    source_title: str = Field(description="The document the key stands for.")
    section: str | None = None
    url: str | None = Field(default=None, description="Public link of the source document, where one is confirmed.")

    def text(self) -> str:
        """'Title (Source document, section)' as printed in a report."""
        where = self.source_title + (f", {self.section}" if self.section else "")
        return f"{self.title} ({where})"


class FieldLine(BaseModel):
    """One field of an answer as read in a report."""

    field: str = Field(description="The field's id.")
    label: str
    value: str = Field(description="The value by its labels; 'not stated' when it was not.")
    quote: str | None = Field(default=None, description="The interviewee's words that support the value.")


class ReportAnswer(BaseModel):
    """One interviewee's current answer to one question."""

    interviewee: str
    role: str = Field(description="The role's label.")
    status: Literal["confirmed", "na", "draft", "file"] = Field(description="file: from an answers file.")
    at: str | None = Field(default=None, description="ISO timestamp of the version shown.")
    version: int | None = None
    fields: list[FieldLine] = Field(default_factory=list)
    text: str = Field(default="", description="What the interviewee wrote, as saved.")
    na_justification: str | None = None


class EvidenceItem(BaseModel):
    """A record behind an answer: named by the interviewee (claimed), or seen by an assessor; an uploaded file
    carries its SHA-256."""

    question_id: str
    title: str
    status: Literal["claimed", "seen"]
    kind: Literal["named", "file", "passage"] = "named"
    sha256: str | None = None
    size: int | None = None
    media_type: str | None = None
    added_by: str | None = None
    at: str | None = None


class ReportQuestion(BaseModel):
    question_id: str
    area: str
    topic: str
    text: str
    status: Literal["scored", "na", "not_assessed", "not_applicable"]
    level: int | None = None
    level_name: str | None = None
    next_level: int | None = None
    next_needs: list[str] = Field(default_factory=list, description="What the next level needs, in words.")
    met: list[str] = Field(default_factory=list, description="Criteria met, in words, with their level: 'L3: ...'.")
    conflict: bool = False
    validated: bool = False
    answers: list[ReportAnswer] = Field(default_factory=list)
    evidence: list[EvidenceItem] = Field(default_factory=list)


class Finding(BaseModel):
    """A strength or an opportunity for improvement, drafted from the rubric trace and edited by an assessor."""

    id: str = Field(description="Stable: F-<question>-<level>-<field> for drafted ones, F-A<n> for added ones.")
    kind: Literal["strength", "opportunity"]
    area: str = Field(description="Practice area id.")
    question_id: str | None = None
    title: str
    observation: str = Field(description="What the answers say, with quotes.")
    gap: str | None = Field(default=None, description="The criterion not met (opportunities).")
    recommendation: str | None = None
    effort: Effort | None = None
    priority: Priority | None = None
    priority_reason: str | None = Field(default=None, description="The stated rule's reason for the priority.")
    citations: list[Citation] = Field(default_factory=list)
    owner: str | None = None
    due: str | None = Field(default=None, description="ISO date.")
    origin: Literal["drafted", "edited", "added"] = "drafted"


class PlanItem(BaseModel):
    """One improvement the site commits to, picked from an opportunity, with its six-month follow-up."""

    id: str
    finding_id: str | None = None
    opportunity: str
    goal: str
    measure: str
    baseline: str | None = None
    target: str | None = None
    owner: str | None = None
    due: str | None = Field(default=None, description="ISO date.")
    follow_up: str | None = Field(default=None, description="ISO date of the follow-up check (about six months on).")
    status: Literal["planned", "in_progress", "done", "dropped"] = "planned"
    overdue: bool = False


class AreaReport(BaseModel):
    area: str
    name: str
    score: float | None
    level_name: str | None
    provisional: bool = Field(description="Too few of the area's questions are assessed for the score to stand.")
    assessed: int
    applicable: int
    narrative: str = Field(description="A paragraph from the facts (template, or LLM with cited sentences).")
    strengths: list[str] = Field(default_factory=list, description="Finding ids.")
    opportunities: list[str] = Field(default_factory=list, description="Finding ids.")


class GateLine(BaseModel):
    label: str
    kind: str = Field(description="eligibility, legal_duty or cgmp_basic.")
    status: str = Field(description="ok, not_ok, not_answered, not_applicable, recorded.")
    answer: str | None = None
    message: str | None = None


class AreaChange(BaseModel):
    area: str
    name: str
    before: float | None
    after: float | None


class QuestionChange(BaseModel):
    question_id: str
    topic: str
    before: int | None
    after: int | None


class Delta(BaseModel):
    """The change from the site's previous assessment."""

    previous: str = Field(description="The previous assessment's token.")
    previous_date: str
    previous_protocol: str
    comparable: bool = Field(description="Same protocol version: per-question changes are meaningful.")
    overall_before: float | None
    overall_after: float | None
    areas: list[AreaChange] = Field(default_factory=list)
    questions: list[QuestionChange] = Field(default_factory=list, description="Only the questions that changed.")
    plan: list[PlanItem] = Field(default_factory=list, description="The previous assessment's plan, as it stands.")


class AssessmentReport(BaseModel):
    """The whole report of one assessment."""

    title: str = "QMM self-assessment report"
    site: str
    assessment: str | None = Field(default=None, description="The assessment's token (None for an answers file).")
    protocol: str = Field(description="id@version")
    started: str | None = Field(default=None, description="ISO date the assessment began.")
    generated: str = Field(description="ISO date the report was made.")
    interviewees: list[tuple[str, str]] = Field(default_factory=list, description="(name, role label).")
    assessors: list[str] = Field(default_factory=list, description="Who resolved, validated or saw records.")
    overall: float | None
    overall_level: str | None
    completeness: float
    evidence_share: float | None
    provisional: bool = Field(description="Below the completeness the roll-up needs: overall and areas provisional.")
    provisional_note: str | None = None
    validated: int = 0
    scored: int = 0
    summary: list[str] = Field(default_factory=list, description="Executive summary, one paragraph per item.")
    gate_headline: str | None = None
    gate: list[GateLine] = Field(default_factory=list)
    areas: list[AreaReport] = Field(default_factory=list)
    questions: list[ReportQuestion] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    plan: list[PlanItem] = Field(default_factory=list)
    delta: Delta | None = None
    disclaimer: str = (
        "A self-assessment by this tool's rubric, which is our interpretation of FDA's Quality Management Maturity "
        "program: it is not an FDA rating, and FDA has not published its question set, level names or roll-up."
    )

    def finding(self, finding_id: str) -> Finding | None:
        return next((f for f in self.findings if f.id == finding_id), None)

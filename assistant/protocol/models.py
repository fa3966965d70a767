"""Pydantic models of a QMM self-assessment protocol (the structure layer of validation).

A protocol lives in ``protocols/<id>/<version>/``:
  protocol.yaml         id, version, status, title, level scale, practice areas, roles, site facts, compliance gate
  questions/*.yaml      ``questions:`` lists, one file per practice area
Keys added for version 2 (criterion ``recommendation`` / ``effort`` / ``source``, field ``evidence_status``, meta
``status`` / ``requires_recommendations`` / ``gate``) are optional, so version 1 loads unchanged.
The meaning layer (duplicate ids, criteria that do not fit their field, unreachable levels, ...) is in
``validator.py``. Criteria are data (field, operator, value); nothing in a protocol is ever evaluated as code.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*[a-z0-9]$", max_length=80)]
QuestionId = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,4}-[0-9]{2,3}$")]
NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Strict(BaseModel):
    """Base for content models: unknown keys are errors, models are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldType(StrEnum):
    YES_NO = "yes_no"
    FREQUENCY = "frequency"
    COUNT = "count"
    PERCENTAGE = "percentage"
    SINGLE_CHOICE = "single_choice"
    MULTI_CHOICE = "multi_choice"
    EVIDENCE_LIST = "evidence_list"
    FREE_TEXT = "free_text"
    YEARLY_VALUES = "yearly_values"  # a metric's value per year, with an optional site target (version 2)


# Ordered from least to most often. The order is what ``at_least`` / ``at_most`` compare.
FREQUENCIES: tuple[str, ...] = (
    "never",
    "ad_hoc",
    "every_few_years",
    "annually",
    "semi_annually",
    "quarterly",
    "monthly",
    "weekly",
    "daily",
    "continuous",
)
FREQUENCY_LABELS: dict[str, str] = {
    "never": "Never",
    "ad_hoc": "Ad hoc (only when something happens)",
    "every_few_years": "Every few years",
    "annually": "Once a year",
    "semi_annually": "Twice a year",
    "quarterly": "Every quarter",
    "monthly": "Every month",
    "weekly": "Every week",
    "daily": "Every day or every shift",
    "continuous": "Continuously (real time)",
}

# The direction of a yearly_values field, computed by ``assistant.rubric.trend_of`` from the values themselves, in
# this order (what ``at_least`` / ``at_most`` compare). Criteria on a yearly_values field name these ids.
TRENDS: tuple[str, ...] = ("no_data", "worsening", "flat_off_target", "improving", "at_target_sustained")
TREND_LABELS: dict[str, str] = {
    "no_data": "Fewer than three yearly values",
    "worsening": "Worsening",
    "flat_off_target": "Flat, or not at target every year",
    "improving": "Improving",
    "at_target_sustained": "At target every year",
}
TREND_YEARS = 3  # values needed for a direction: the last three years
TARGET_KEY = "target"

YES_NO_BASE: tuple[str, ...] = ("no", "yes")
YES_NO_EXTRA: tuple[str, ...] = ("partly", "planned")
# Order used to compare yes/no answers: planned < partly < yes, and no lowest.
YES_NO_ORDER: tuple[str, ...] = ("no", "planned", "partly", "yes")


class Operator(StrEnum):
    IS = "is"  # value equals (yes_no, frequency, single_choice)
    IN = "in"  # value is one of a list (yes_no, frequency, single_choice)
    AT_LEAST = "at_least"  # ordered types: frequency, count, percentage, ordered single_choice
    AT_MOST = "at_most"
    INCLUDES = "includes"  # multi_choice holds this option
    INCLUDES_ANY = "includes_any"  # multi_choice holds one of these options
    COUNT_AT_LEAST = "count_at_least"  # multi_choice / evidence_list has at least n items
    STATED = "stated"  # any field: a value was given (free text not empty)


class Option(Strict):
    id: Id
    label: NonEmpty
    description: NonEmpty = Field(description="One plain sentence; the extractor matches answers against it.")
    aliases: list[NonEmpty] = Field(
        default_factory=list,
        description="Other words people use for this option (abbreviations, synonyms); extraction hints only.",
    )


class AnswerField(Strict):
    id: Id
    type: FieldType
    label: NonEmpty = Field(description="Short name shown on the answer card.")
    follow_up: str | None = Field(
        default=None, description="Question the interviewer asks when the answer does not state this field."
    )
    options: list[Option] | None = Field(default=None, description="Choices; single_choice and multi_choice only.")
    ordered: bool = Field(default=False, description="single_choice only: options run from least to most mature.")
    allow_partly: bool = Field(default=False, description="yes_no only: 'partly' is a valid answer.")
    allow_planned: bool = Field(default=False, description="yes_no only: 'planned' is a valid answer.")
    unit: str | None = Field(
        default=None, description="count: what is counted, e.g. 'suppliers'; yearly_values: the unit, e.g. '%'."
    )
    better: Literal["higher", "lower"] | None = Field(
        default=None, description="yearly_values only: which direction is an improvement (required there)."
    )
    cues: list[NonEmpty] = Field(
        default_factory=list,
        description="Words or short phrases that show an answer is talking about this field; extraction hints only.",
    )
    evidence_status: Literal["claimed", "seen"] | None = Field(
        default=None,
        description=(
            "evidence_list only: 'claimed' lists records the interviewee names; 'seen' lists records the assessor "
            "has seen (the answer model has no per-item status, so a separate field carries the seen records)."
        ),
    )


Effort = Literal["weeks", "months", "year_plus"]

Scalar = bool | int | float | str


class Criterion(Strict):
    field: Id
    op: Operator
    value: Scalar | list[str] | None = None
    why: str | None = Field(default=None, description="Why this criterion marks the level, for the trace.")
    recommendation: NonEmpty | None = Field(
        default=None, description="What a site that misses this criterion should do to meet it, in our own words."
    )
    effort: Effort | None = Field(
        default=None, description="Usual effort to meet it: weeks, months, or a year or more (year_plus)."
    )
    source: Slug | None = Field(default=None, description="The source key the criterion rests on.")


class AppliesWhen(Strict):
    fact: Id
    is_: Literal["yes", "no"] = Field(alias="is")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Question(Strict):
    id: QuestionId
    area: Id
    topic: NonEmpty
    status: Literal["active", "retired"] = "active"
    text: NonEmpty = Field(description="The question as asked in the interview.")
    roles: list[Id] = Field(min_length=1)
    respondent_guidance: NonEmpty
    assessor_guidance: NonEmpty
    sources: list[Slug] = Field(default_factory=list, description="Source keys the question is built from.")
    guidance_refs: list[str] = Field(default_factory=list, description="Corpus note ids pre-linked to the question.")
    applies_when: AppliesWhen | None = None
    fields: list[AnswerField] = Field(min_length=1)
    levels: dict[int, list[Criterion]] = Field(description="Criteria for levels 2 to 5; level 1 is the floor.")


class QuestionFile(Strict):
    questions: list[Question]


class LevelText(Strict):
    name: NonEmpty
    description: NonEmpty


class PracticeArea(Strict):
    id: Id
    name: NonEmpty
    prefix: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,4}$")]
    description: NonEmpty
    levels: dict[int, LevelText] = Field(
        default_factory=dict, description="Area-specific level descriptions where the meaning differs."
    )


class Role(Strict):
    id: Id
    label: NonEmpty


class SiteFact(Strict):
    id: Id
    question: NonEmpty = Field(description="Asked once per assessment; answers decide which questions apply.")


class GateAnswerType(StrEnum):
    YES_NO = "yes_no"
    SINGLE_CHOICE = "single_choice"
    DATE = "date"  # an ISO date, YYYY-MM-DD
    FREE_TEXT = "free_text"


class GateItem(Strict):
    """One compliance-floor item: asked, checked against its ok values, reported beside the profile, never scored."""

    id: Id
    label: NonEmpty
    text: NonEmpty = Field(description="The question as asked.")
    kind: Literal["eligibility", "legal_duty", "cgmp_basic"] = Field(
        description="eligibility: FDA's QMM program entry rule; legal_duty: required by law; cgmp_basic: a CGMP floor."
    )
    type: GateAnswerType
    options: list[Option] | None = Field(default=None, description="single_choice only.")
    ok: list[str] = Field(
        default_factory=list, description="Answers that pass (yes_no, single_choice). Empty for date and free_text."
    )
    within_years: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="date only: the date passes when it is at most this many years before the assessment."
    )
    message: NonEmpty = Field(description="Shown when the answer does not pass, e.g. 'legal duty, not maturity'.")
    applies_when: AppliesWhen | None = None
    sources: list[Slug] = Field(default_factory=list)


class Gate(Strict):
    note: NonEmpty = Field(description="What the gate is: a compliance floor reported beside the maturity profile.")
    items: list[GateItem] = Field(min_length=1)


class ProtocolMeta(Strict):
    id: Slug
    version: Annotated[int, Field(ge=1)]
    status: Literal["draft", "released"] = Field(
        default="released",
        description="draft: still being written, never the default; released: frozen (hash in the CHANGELOG).",
    )
    requires_recommendations: bool = Field(
        default=False,
        description=(
            "Turns on the version-2 rules: every criterion has a recommendation and an effort; level 3 of every "
            "question needs an evidence criterion, level 4 a seen-evidence criterion; no 'stated' at level 3 or above."
        ),
    )
    title: NonEmpty
    description: NonEmpty
    interpretation_note: NonEmpty = Field(description="What in this protocol is the project's own interpretation.")
    levels: dict[int, LevelText]
    areas: list[PracticeArea] = Field(min_length=1)
    roles: list[Role] = Field(min_length=1)
    site_facts: list[SiteFact] = Field(default_factory=list)
    sources: list[Slug] = Field(default_factory=list, description="Source keys questions may cite.")
    gate: Gate | None = Field(default=None, description="Compliance gate: never scored or averaged into maturity.")


class Protocol(Strict):
    """A loaded, validated protocol: metadata plus every question in file order."""

    meta: ProtocolMeta
    questions: list[Question]

    @property
    def ref(self) -> str:
        """``id@version``, stamped on everything saved."""
        return f"{self.meta.id}@{self.meta.version}"

    @property
    def active_questions(self) -> list[Question]:
        return [q for q in self.questions if q.status == "active"]

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def area(self, area_id: str) -> PracticeArea | None:
        return next((a for a in self.meta.areas if a.id == area_id), None)

    def level_text(self, area_id: str, level: int) -> LevelText:
        area = self.area(area_id)
        if area is not None and level in area.levels:
            return area.levels[level]
        return self.meta.levels[level]


def assessor_only(field: AnswerField) -> bool:
    """A field only an assessor fills: the records the assessor has seen (``evidence_status: seen``). It is never
    read from, asked of or edited by an interviewee, so a level that needs it cannot rest on a self-declaration."""
    return field.evidence_status == "seen"


def interviewee_fields(question: Question) -> list[AnswerField]:
    """The fields an interviewee answers (every field but the assessor's), in protocol order."""
    return [f for f in question.fields if not assessor_only(f)]


def allowed_values(field: AnswerField) -> tuple[str, ...] | None:
    """The closed set of values a field takes, in maturity order, or None for open types."""
    if field.type is FieldType.YES_NO:
        extra = {"partly": field.allow_partly, "planned": field.allow_planned}
        return tuple(v for v in YES_NO_ORDER if v in YES_NO_BASE or extra.get(v, False))
    if field.type is FieldType.FREQUENCY:
        return FREQUENCIES
    if field.type in (FieldType.SINGLE_CHOICE, FieldType.MULTI_CHOICE):
        return tuple(o.id for o in field.options or [])
    if field.type is FieldType.YEARLY_VALUES:
        return TRENDS  # the closed set of its derived direction, which criteria compare
    return None

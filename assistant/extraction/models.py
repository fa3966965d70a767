"""The extraction contract: one value per field, each with the verbatim span that supports it, or "not stated"."""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from assistant.protocol.models import Question
from assistant.rubric import Value

ValueSource = Literal["extracted", "edited", "declined", "carried"]  # carried: from an earlier protocol version


class FieldValue(BaseModel):
    """A field's value. ``value is None`` means not stated; then ``span`` is None too."""

    model_config = ConfigDict(frozen=True)

    field: str
    value: Value | None = None
    span: str | None = Field(default=None, description="Verbatim text of the answer that supports the value.")
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    source: ValueSource = "extracted"
    rule: str | None = Field(default=None, description="Which extraction rule proposed the value (for calibration).")

    @property
    def stated(self) -> bool:
        return self.value is not None


class StructuredAnswer(BaseModel):
    """Every field of one question, in protocol order, as extracted from the interviewee's text(s)."""

    question_id: str
    texts: list[str] = Field(default_factory=list, description="The interviewee's raw answer texts, in order.")
    values: dict[str, FieldValue]
    extractor: str = "rules"
    notes: list[str] = Field(default_factory=list, description="Why something was dropped or fell back.")
    suggestions: dict[str, FieldValue] = Field(
        default_factory=dict,
        description="Values read with too little confidence to propose: never on the card or scored, only shown "
        "beside the follow-up form's field ('your answer seemed to say ...') for the interviewee to pick or not.",
    )

    def stated_values(self) -> dict[str, Value]:
        return {k: v.value for k, v in self.values.items() if v.value is not None}

    def missing(self) -> list[str]:
        return [k for k, v in self.values.items() if v.value is None and v.source != "declined"]

    def unsupported(self) -> list[str]:
        """Fields whose value has no verbatim span in the answer texts (an edit by the interviewee is its own
        support). Must always be empty for extracted values."""
        return [
            k
            for k, v in self.values.items()
            if v.value is not None and v.source == "extracted" and not (v.span and any(v.span in t for t in self.texts))
        ]


def empty_answer(question: Question, texts: list[str] | None = None, extractor: str = "rules") -> StructuredAnswer:
    return StructuredAnswer(
        question_id=question.id,
        texts=list(texts or []),
        values={f.id: FieldValue(field=f.id) for f in question.fields},
        extractor=extractor,
    )


def only_targets(answer: StructuredAnswer, targets: list[str] | None) -> StructuredAnswer:
    """Keep only the values of the fields a follow-up asked about (all of them when ``targets`` is None)."""
    if targets is None:
        return answer
    values = {k: (v if k in targets else FieldValue(field=k)) for k, v in answer.values.items()}
    suggestions = {k: v for k, v in answer.suggestions.items() if k in targets}
    return answer.model_copy(update={"values": values, "suggestions": suggestions})


def merge(base: StructuredAnswer, new: StructuredAnswer) -> StructuredAnswer:
    """Combine a follow-up's extraction into the draft: a newly stated value wins; edits are never overwritten."""
    values = dict(base.values)
    for fid, value in new.values.items():
        old = values.get(fid)
        if value.value is not None and (old is None or old.source != "edited"):
            values[fid] = value
    suggestions = {k: v for k, v in {**base.suggestions, **new.suggestions}.items() if values[k].value is None}
    return StructuredAnswer(
        question_id=base.question_id,
        texts=base.texts + [t for t in new.texts if t not in base.texts],
        values=values,
        extractor=base.extractor if base.extractor == new.extractor else f"{base.extractor}+{new.extractor}",
        notes=base.notes + new.notes,
        suggestions=suggestions,
    )


class Extractor(Protocol):
    name: str

    def extract(
        self, question: Question, text: str, target_field: str | None = None, targets: list[str] | None = None
    ) -> StructuredAnswer:
        """Structured values from free text. ``target_field``: the text answers that field's follow-up prompt;
        ``targets``: the text answers a follow-up form asking for these fields (only they are filled)."""
        ...

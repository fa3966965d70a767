"""Carrying an assessment's answers to a newer protocol version (``qmm assessment upgrade``). Pure functions.

Only fields the version mapping lists under ``carry`` are carried (same id, same type, no option lost: see
``assistant.protocol.mapping``), and only from confirmed answers. A carried value is marked ``source="carried"``:
the interviewee sees it on the card "carried over: please reconfirm", and the question is asked again with the
fields the new version adds. N/A answers are not carried (the new version may ask something that does apply); the
report lists them. Nothing of the old assessment changes.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from assistant.extraction.models import FieldValue, StructuredAnswer, empty_answer
from assistant.protocol.mapping import VersionMapping
from assistant.protocol.models import Protocol, interviewee_fields


class QuestionUpgrade(BaseModel):
    question_id: str
    topic: str
    carried: list[str] = Field(default_factory=list, description="Labels of the fields carried (in some interview).")
    needs: list[str] = Field(default_factory=list, description="Labels of the fields that need a (new) answer.")
    was_na: list[str] = Field(default_factory=list, description="N/A justifications given in the old version.")


class UpgradeReport(BaseModel):
    source: str = Field(description="The old assessment's token.")
    assessment: str = Field(description="The new assessment's token.")
    old_protocol: str
    new_protocol: str
    interviews: list[dict[str, str]] = Field(default_factory=list, description="{interviewee, role, token}.")
    carried_answers: int = 0
    questions: list[QuestionUpgrade] = Field(default_factory=list)


def carried_answers(new: Protocol, mapping: VersionMapping, rows: list[dict[str, Any]]) -> dict[str, StructuredAnswer]:
    """One interview's confirmed answers (the store's ``confirmed_answers`` rows) as drafts of the new version:
    the carried fields' values, marked carried; every other field not stated."""
    out: dict[str, StructuredAnswer] = {}
    for row in rows:
        question = new.question(row["question_id"])
        plan = mapping.questions.get(row["question_id"])
        if question is None or plan is None or row["status"] != "confirmed" or question.status != "active":
            continue
        old = StructuredAnswer.model_validate(row["answer"])
        draft = empty_answer(question, old.texts, extractor=old.extractor)
        values = dict(draft.values)
        for fid in plan.carry:
            before = old.values.get(fid)
            if before is not None and before.value is not None and fid in values:
                values[fid] = FieldValue(field=fid, value=before.value, span=before.span, confidence=1.0,
                                         source="carried")  # fmt: skip
        if any(v.source == "carried" for v in values.values()):
            out[question.id] = draft.model_copy(update={
                "values": values, "notes": [f"carried over from {row['protocol']} (version {row['version']})"]})
    return out


def upgrade_report(new: Protocol, drafts: dict[int, dict[str, StructuredAnswer]],
                   old_rows: list[dict[str, Any]]) -> list[QuestionUpgrade]:  # fmt: skip
    """Per question of the new version: which fields were carried (in any interview) and which need an answer."""
    out = []
    for question in new.active_questions:
        labels = {f.id: f.label for f in question.fields}
        carried = {fid for per in drafts.values() if question.id in per
                   for fid, v in per[question.id].values.items() if v.source == "carried"}  # fmt: skip
        was_na = [r["na_justification"] or "" for r in old_rows if r["question_id"] == question.id
                  and r["status"] == "na"]  # fmt: skip
        needs = [labels[f.id] for f in interviewee_fields(question) if f.id not in carried]
        out.append(QuestionUpgrade(question_id=question.id, topic=question.topic,
                                   carried=[labels[f] for f in labels if f in carried], needs=needs, was_na=was_na))
    return out

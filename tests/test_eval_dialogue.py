"""The dialogue evaluation's simulated interviewee, on the real engine with deterministic extractors."""

from __future__ import annotations

from typing import Any

from assistant.extraction.models import FieldValue, StructuredAnswer, empty_answer
from assistant.interview import InterviewEngine
from assistant.protocol import Protocol
from assistant.protocol.models import Question
from eval.dialogue import play, summarise

CASE: dict[str, Any] = {
    "id": "t1",
    "question": "MC-01",
    "text": "Yes, written objectives with targets, reviewed monthly.",
    "fields": {"objectives_defined": "yes", "measurable": "yes", "review_frequency": "monthly",
               "cascaded_to": ["departments"], "linked_to_business": None, "evidence": None},
}  # fmt: skip


class Scripted:
    """An extractor that proposes fixed values (with the answer as their span)."""

    name = "scripted"

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def extract(self, question: Question, text: str, target_field: str | None = None,
                targets: list[str] | None = None) -> StructuredAnswer:  # fmt: skip
        answer = empty_answer(question, [text])
        for fid, value in self.values.items():
            answer.values[fid] = FieldValue(field=fid, value=value, span=text, confidence=0.9)
        return answer


def test_right_values_take_two_turns_and_no_correction(qmm_protocol: Protocol) -> None:
    extractor = Scripted({"objectives_defined": "yes", "review_frequency": "monthly"})
    row = play(InterviewEngine(qmm_protocol), extractor, qmm_protocol, CASE)
    assert row["turns"] == 2  # the answer, then the form with "Send and confirm"
    assert row["corrections"] == 0
    assert row["wrong_first_card"] == []
    assert row["confirmed_equals_gold"]


def test_a_wrong_value_costs_a_correction_and_two_more_turns(qmm_protocol: Protocol) -> None:
    extractor = Scripted({"objectives_defined": "yes", "review_frequency": "quarterly", "linked_to_business": "yes"})
    row = play(InterviewEngine(qmm_protocol), extractor, qmm_protocol, CASE)
    assert row["wrong_first_card"] == ["review_frequency", "linked_to_business"]
    assert row["corrections"] == 2
    assert row["turns"] == 4  # answer, form, save edits, confirm
    assert row["confirmed_equals_gold"]
    summary = summarise([row, row])
    assert summary["corrections_per_question"] == 2.0
    assert summary["wrong_share_of_first_card"] == round(2 / 3, 3)

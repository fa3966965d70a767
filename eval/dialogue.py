"""Dialogue evaluation: ``python -m eval dialogue``.

A simulated interviewee plays gold cases through the real interview engine and the real extractor (no store, no UI):
it sends the gold answer text; the card of extracted values is shown beside the follow-up form. If no extracted value
needs correcting, it fills the form with each asked field's gold label ("Don't know" where the gold says not stated)
and presses "Send and confirm": one turn. Otherwise it sends the form, corrects every wrong field on the card in one
submission ("Save edits"; a value the gold does not state is set to "Don't know") and confirms: three turns. With no
form open it confirms the card, or corrects it first. Each message, form or button press is one turn.

Per split it prints turns per confirmed question, corrections per question (fields corrected by hand), the wrong
values that would have been saved had the first card been confirmed as it stood (per question, and as a share of the
values on that card), the share of questions whose confirmed answer equals the gold, and the hints shown beside the
form's fields (values read with too little confidence to propose; never pre-selected) and how many of those are
wrong. Targets (issue 7): at most
3.0 turns and 0.3 corrections a question. ``dev`` is where the extractor is tuned; ``test`` and ``fresh`` are held
out (see eval/extraction.py).
"""

from __future__ import annotations

from typing import Any

from assistant.extraction.models import Extractor
from assistant.interview import InterviewEngine, InterviewState, Step, label_value
from assistant.protocol.models import AnswerField, FieldType, Protocol, Question
from eval.extraction import GOLD_PROTOCOL, same, splits, stated

DONT_KNOW = "Don't know"
MAX_TURNS = 12  # a question that needs more has gone wrong: stop and count it as not confirmed


def reply_value(field: AnswerField, gold: Any) -> str | list[str]:
    """What the simulated interviewee picks or types for a field: the label shown for the gold value."""
    if not stated(gold):
        return DONT_KNOW
    if field.type is FieldType.MULTI_CHOICE:
        return [label_value(field, [v]) for v in gold]
    if field.type is FieldType.EVIDENCE_LIST:
        return list(gold)
    if field.type in (FieldType.COUNT, FieldType.PERCENTAGE):
        return f"{gold:g}" if isinstance(gold, float) else str(gold)
    return label_value(field, gold)


def first_state(engine: InterviewEngine, protocol: Protocol, question: Question) -> InterviewState:
    """An interview at this question, the site facts already known (every fact that lets the question apply)."""
    facts = {f.id: "yes" for f in protocol.meta.site_facts}
    state = InterviewState(interview_id=0, assessment_id=0, interviewee="Simulated interviewee", role="all",
                           protocol=protocol.ref, facts=facts, order=[question.id])  # fmt: skip
    step = engine.start(state)
    assert step.state.current == question.id, (question.id, step.messages)
    return step.state


def play(engine: InterviewEngine, extractor: Extractor, protocol: Protocol, case: dict[str, Any]) -> dict[str, Any]:
    question = protocol.question(case["question"])
    assert question is not None, case["id"]
    gold = case["fields"]
    by_id = {f.id: f for f in question.fields}
    state = first_state(engine, protocol, question)
    turns = 1
    step: Step = engine.on_text(state, case["text"], extractor.extract(question, case["text"]))
    first_card = step.state.draft
    wrong_first: list[str] = []
    on_card = 0
    for field in question.fields:
        value = first_card.values.get(field.id) if first_card is not None else None
        if value is not None and stated(value.value) and value.source == "extracted":
            on_card += 1
            if not same(field, value.value, gold.get(field.id)):
                wrong_first.append(field.id)
    hints = first_card.suggestions if first_card is not None else {}
    suggested = [fid for fid in hints if fid in by_id]
    wrong_hints = [fid for fid in suggested if not same(by_id[fid], hints[fid].value, gold.get(fid))]
    corrections = {fid: reply_value(by_id[fid], gold.get(fid)) for fid in wrong_first}
    final = None
    if step.form:
        turns += 1
        answers = {f.id: reply_value(by_id[f.id], gold.get(f.id)) for f in step.form}
        final = step.state.draft
        step = engine.on_form(step.state, answers, confirm=not corrections)
    while step.form and turns < MAX_TURNS:  # a value refused and asked again: answer it
        turns += 1
        step = engine.on_form(step.state, {f.id: reply_value(by_id[f.id], gold.get(f.id)) for f in step.form})
    if question.id not in step.state.confirmed:
        if corrections:
            turns += 1
            step = engine.on_form(step.state, corrections)
        turns += 1
        final = step.state.draft
        step = engine.on_command(step.state, "confirm")
    else:
        final = step.state.confirmed[question.id]
    confirmed = question.id in step.state.confirmed
    right = confirmed and final is not None and all(
        same(f, final.values[f.id].value if f.id in final.values else None, gold.get(f.id)) for f in question.fields
    )
    return {"id": case["id"], "question": question.id, "turns": turns, "corrections": len(corrections),
            "wrong_first_card": wrong_first, "values_on_first_card": on_card, "confirmed": confirmed,
            "confirmed_equals_gold": right, "suggested": len(suggested),
            "wrong_suggested": len(wrong_hints)}  # fmt: skip


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    on_card = sum(r["values_on_first_card"] for r in rows)
    wrong = sum(len(r["wrong_first_card"]) for r in rows)
    return {
        "questions": n,
        "turns_per_question": round(sum(r["turns"] for r in rows) / n, 2),
        "corrections_per_question": round(sum(r["corrections"] for r in rows) / n, 2),
        "wrong_saved_per_question": round(wrong / n, 2),
        "wrong_share_of_first_card": round(wrong / on_card, 3) if on_card else 0.0,
        "confirmed_equals_gold": round(sum(r["confirmed_equals_gold"] for r in rows) / n, 3),
        "suggested_per_question": round(sum(r["suggested"] for r in rows) / n, 2),
        "wrong_suggestions_per_question": round(sum(r["wrong_suggested"] for r in rows) / n, 2),
        "not_confirmed": sum(not r["confirmed"] for r in rows),
    }


LABELS = [
    ("questions", "questions"),
    ("turns per question", "turns_per_question"),
    ("corrections per question", "corrections_per_question"),
    ("wrong values on 1st card/q", "wrong_saved_per_question"),
    ("wrong share of 1st card", "wrong_share_of_first_card"),
    ("confirmed = gold", "confirmed_equals_gold"),
    ("hints beside the form/q", "suggested_per_question"),
    ("wrong hints/q", "wrong_suggestions_per_question"),
    ("not confirmed", "not_confirmed"),
]


def report(results: dict[str, dict[str, Any]]) -> str:
    lines = ["Dialogue evaluation (simulated interviewee, real engine and extractor)", ""]
    lines.append(f"{'':<30}" + "".join(f"{s:>10}" for s in results))
    for label, key in LABELS:
        lines.append(f"{label:<30}" + "".join(f"{r[key]:>10}" for r in results.values()))
    lines.append("targets: at most 3.0 turns and 0.3 corrections a question")
    return "\n".join(lines)


def main() -> int:
    from assistant.service import AssessmentService
    from assistant.settings import Settings

    service = AssessmentService(Settings())
    protocol = service.protocol_for(GOLD_PROTOCOL)  # the gold answers answer v1's questions
    engine = InterviewEngine(protocol)
    results = {
        split: summarise([play(engine, service.extractor, protocol, c) for c in cases])
        for split, cases in splits().items()
        if cases
    }
    print(report(results))
    return 0

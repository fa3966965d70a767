"""Property tests of the scorer over the real protocol: determinism, monotonicity, N/A isolation."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.protocol import FieldType, Protocol, Question
from assistant.protocol.models import AnswerField, allowed_values
from assistant.rubric import ConfirmedAnswer, criterion_holds, score_question, score_site
from tests.conftest import V1_DIR

PROTOCOL: Protocol
from assistant.protocol import load_protocol  # noqa: E402

PROTOCOL = load_protocol(V1_DIR)
QUESTIONS = PROTOCOL.active_questions


def field_values(field: AnswerField) -> st.SearchStrategy[Any]:
    closed = allowed_values(field)
    if field.type in (FieldType.YES_NO, FieldType.FREQUENCY, FieldType.SINGLE_CHOICE):
        return st.sampled_from(closed or ["x"])
    if field.type is FieldType.MULTI_CHOICE:
        return st.lists(st.sampled_from(closed or ["x"]), unique=True)
    if field.type is FieldType.COUNT:
        return st.integers(min_value=0, max_value=500)
    if field.type is FieldType.PERCENTAGE:
        return st.floats(min_value=0, max_value=100, allow_nan=False)
    if field.type is FieldType.EVIDENCE_LIST:
        return st.lists(st.text(min_size=1, max_size=20), max_size=5)
    return st.text(max_size=40)


@st.composite
def answers_for(draw: st.DrawFn, question: Question) -> ConfirmedAnswer:
    values = {}
    for f in question.fields:
        if draw(st.booleans()):
            values[f.id] = draw(field_values(f))
    return ConfirmedAnswer(question_id=question.id, values=values)


@st.composite
def question_and_answer(draw: st.DrawFn) -> tuple[Question, ConfirmedAnswer]:
    q = draw(st.sampled_from(QUESTIONS))
    return q, draw(answers_for(q))


@st.composite
def site_answers(draw: st.DrawFn) -> dict[str, ConfirmedAnswer]:
    chosen = draw(st.lists(st.sampled_from(QUESTIONS), unique_by=lambda q: q.id, max_size=20))
    return {q.id: draw(answers_for(q)) for q in chosen}


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(site_answers())
def test_scoring_is_deterministic(answers: dict[str, ConfirmedAnswer]) -> None:
    first = score_site(PROTOCOL, answers).model_dump_json()
    reordered = dict(reversed(list(answers.items())))
    assert score_site(PROTOCOL, reordered).model_dump_json() == first


@SETTINGS
@given(question_and_answer(), st.data())
def test_satisfying_one_more_criterion_never_lowers_the_level(
    qa: tuple[Question, ConfirmedAnswer], data: st.DataObject
) -> None:
    question, answer = qa
    before = score_question(PROTOCOL, question, answer)
    unmet = [r for r in before.trace if not r.met]
    if not unmet:
        return
    target = data.draw(st.sampled_from(unmet))
    fields = {f.id: f for f in question.fields}
    field = fields[target.field]
    crit = next(c for c in question.levels[target.level] if c.field == target.field and str(c.op) == target.op)
    # Find a value that satisfies this criterion while keeping every criterion already met on this field met.
    met_on_field = [
        c
        for lvl, cs in question.levels.items()
        for c in cs
        if c.field == field.id and any(r.met and r.level == lvl and r.op == str(c.op) for r in before.trace)
    ]
    from assistant.protocol.validator import candidate_values

    all_crits = [c for cs in question.levels.values() for c in cs if c.field == field.id]
    options = [
        v
        for v in candidate_values(field, all_crits)
        if criterion_holds(field, crit, v) and all(criterion_holds(field, c, v) for c in met_on_field)
    ]
    if not options:
        return
    value = data.draw(st.sampled_from(options))
    after_answer = ConfirmedAnswer(question_id=question.id, values={**answer.values, field.id: value})
    after = score_question(PROTOCOL, question, after_answer)
    assert after.level is not None
    assert before.level is not None
    assert sum(r.met for r in after.trace) > sum(r.met for r in before.trace)
    assert after.level >= before.level


@SETTINGS
@given(site_answers(), st.data())
def test_na_never_changes_the_other_questions_levels(answers: dict[str, ConfirmedAnswer], data: st.DataObject) -> None:
    q = data.draw(st.sampled_from(QUESTIONS))
    with_na = {**answers, q.id: ConfirmedAnswer(question_id=q.id, na_justification="Not relevant here.")}
    before = {s.question_id: s for s in score_site(PROTOCOL, answers).questions}
    after = {s.question_id: s for s in score_site(PROTOCOL, with_na).questions}
    for qid, s in after.items():
        if qid != q.id:
            assert s == before[qid]
    assert after[q.id].status == "na"
    for area_before, area_after in zip(
        score_site(PROTOCOL, answers).areas, score_site(PROTOCOL, with_na).areas, strict=True
    ):
        if area_before.area != q.area:
            assert area_before == area_after

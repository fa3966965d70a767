"""Yearly values (protocol v2): a metric's value per year with a site target; the rubric judges its direction."""

from __future__ import annotations

import pytest

from assistant.answers import coerce_value, parse_answers
from assistant.errors import AnswerError
from assistant.extraction.rules import RulesExtractor
from assistant.interview.editing import submit_form
from assistant.interview.forms import read_value
from assistant.interview.replies import criterion_text, label_value
from assistant.protocol import FieldType, Protocol, load_protocol
from assistant.protocol.models import AnswerField
from assistant.rubric import ConfirmedAnswer, score_question, trend_of
from tests.conftest import PROTOCOLS_DIR

V2_DIR = PROTOCOLS_DIR / "qmm-self-assessment" / "2"


@pytest.fixture(scope="module")
def v2() -> Protocol:
    return load_protocol(V2_DIR)


def _field(v2: Protocol, qid: str, fid: str) -> AnswerField:
    question = v2.question(qid)
    assert question is not None
    return next(f for f in question.fields if f.id == fid)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"2024": 0.9, "2025": 0.7}, "no_data"),  # two years are not a direction
        ({"2023": 0.6, "2024": 0.9, "2025": 1.4, "target": 1.0}, "worsening"),  # lower is better: rising is worse
        ({"2023": 1.2, "2024": 1.5, "2025": 1.2, "target": 1.0}, "flat_off_target"),
        ({"2023": 1.4, "2024": 1.3, "2025": 1.1, "target": 1.0}, "improving"),  # better, still off target
        ({"2023": 1.4, "2024": 1.3, "2025": 1.1}, "improving"),  # no target: at best improving
        ({"2023": 0.8, "2024": 1.0, "2025": 0.9, "target": 1.0}, "at_target_sustained"),  # at target counts as met
        # only the last three years count
        ({"2020": 9.0, "2021": 0.5, "2022": 0.5, "2023": 0.5, "target": 1.0}, "at_target_sustained"),
    ],
)
def test_trend_of_a_lower_is_better_metric(v2: Protocol, values: dict[str, float], expected: str) -> None:
    field = _field(v2, "TE-05", "invalidated_oos_trend")
    assert field.type is FieldType.YEARLY_VALUES
    assert field.better == "lower"
    assert trend_of(field, values) == expected


def test_trend_of_a_higher_is_better_metric(v2: Protocol) -> None:
    field = _field(v2, "TE-09", "rft_trend")
    assert field.better == "higher"
    assert trend_of(field, {"2023": 88, "2024": 91, "2025": 94, "target": 95}) == "improving"
    assert trend_of(field, {"2023": 94, "2024": 91, "2025": 88, "target": 95}) == "worsening"
    assert trend_of(field, {"2023": 96, "2024": 95, "2025": 97, "target": 95}) == "at_target_sustained"
    assert trend_of(field, None) is None


def test_the_level_follows_the_values_not_a_claim(v2: Protocol) -> None:
    """TE-05: level 4 needs the rate improving, level 5 at target every year; the trace shows the direction."""
    question = v2.question("TE-05")
    assert question is not None
    base = {
        "lab_metrics": ["invalidated_oos", "lab_errors"], "assignable_cause_documented": "yes",
        "method_robustness": "lifecycle_monitored", "evidence": ["QC metrics report 2025-12"], "site_target_set": "yes",
        "records_seen": ["Lab metrics 2023-2025", "Method performance review 2025"], "lab_error_capa": "yes",
    }  # fmt: skip
    rising = {**base, "invalidated_oos_trend": {"2023": 0.6, "2024": 0.9, "2025": 1.4, "target": 1.0}}
    falling = {**base, "invalidated_oos_trend": {"2023": 1.4, "2024": 1.3, "2025": 1.1, "target": 1.0}}
    held = {**base, "invalidated_oos_trend": {"2023": 0.8, "2024": 0.7, "2025": 0.6, "target": 1.0}}
    levels = [score_question(v2, question, ConfirmedAnswer(question_id="TE-05", values=v)).level
              for v in (rising, falling, held)]  # fmt: skip
    assert levels == [3, 4, 5]
    trace = score_question(v2, question, ConfirmedAnswer(question_id="TE-05", values=rising)).trace
    row = next(r for r in trace if r.field == "invalidated_oos_trend" and r.level == 4)
    assert row.derived == "worsening"
    assert not row.met
    assert "-> worsening" in row.describe()


def test_answers_file_and_form_take_yearly_values(v2: Protocol) -> None:
    field = _field(v2, "TE-05", "invalidated_oos_trend")
    want = {"2023": 1.2, "2024": 0.9, "2025": 0.7, "target": 1.0}
    assert coerce_value(field, {2025: 0.7, 2023: "1.2%", 2024: 0.9, "target": 1}) == want  # years sorted, target last
    assert read_value(field, "2023: 1.2; 2024: 0.9; 2025: 0.7; target 1.0") == want
    assert read_value(field, "1.2% in 2023, 0.9% in 2024, 0.7% in 2025, target of 1%") == want
    assert read_value(field, "not stated") is None
    for bad, why in [
        ({"1850": 1.0}, "not a year"),
        ({"2024": 140}, "outside the field's range"),  # a percentage above 100
        ({"2024": "lots"}, "not a number"),
        ("about the same as last year", "no year and value found"),
        (["2024", 1.0], "is not yearly values"),
    ]:
        with pytest.raises(ValueError, match=why):
            coerce_value(field, bad)
    with pytest.raises(AnswerError) as err:
        parse_answers(v2, {"answers": {"TE-05": {"invalidated_oos_trend": {"twenty": 1}}}})
    assert any(p.startswith("TE-05.invalidated_oos_trend: twenty is not a year") for p in err.value.problems)


def test_card_and_criteria_read_in_words(v2: Protocol) -> None:
    field = _field(v2, "TE-05", "invalidated_oos_trend")
    value = {"2023": 1.4, "2024": 1.3, "2025": 1.1, "target": 1.0}
    assert label_value(field, value) == "2023: 1.4%; 2024: 1.3%; 2025: 1.1%; target 1% (Improving)"
    question = v2.question("TE-05")
    assert question is not None
    row = next(r for r in score_question(v2, question, ConfirmedAnswer(question_id="TE-05", values={})).trace
               if r.field == "invalidated_oos_trend" and r.level == 5)  # fmt: skip
    assert criterion_text(question, row) == "Invalidated OOS rate per year is At target every year"


def test_extraction_reads_years_only_when_asked_or_unambiguous(v2: Protocol) -> None:
    rules = RulesExtractor(calibration={})
    te05 = v2.question("TE-05")
    pqs08 = v2.question("PQS-08")
    assert te05 is not None
    assert pqs08 is not None
    text = "Our invalidated OOS rate was 1.4% in 2023, 1.3% in 2024 and 1.1% in 2025 against a target of 1.0%."
    got = rules.extract(te05, text, targets=["invalidated_oos_trend"]).values["invalidated_oos_trend"]
    assert got.value == {"2023": 1.4, "2024": 1.3, "2025": 1.1, "target": 1.0}
    assert got.span
    assert got.span in text
    assert got.span.startswith("1.4% in 2023")
    # PQS-08 has three yearly fields: an answer not asked for one of them fills none of them
    untargeted = rules.extract(pqs08, "LAR was 98.1% in 2023, 98.6% in 2024 and 99.0% in 2025.")
    yearly = ("lot_acceptance_trend", "complaint_rate_trend", "otif_trend")
    assert all(untargeted.values[f].value is None for f in yearly)


def test_form_reply_with_yearly_values_goes_on_the_card(v2: Protocol) -> None:
    from assistant.extraction.models import empty_answer
    from assistant.interview import InterviewState, Phase

    question = v2.question("TE-05")
    assert question is not None

    def state() -> InterviewState:
        return InterviewState(interview_id=1, assessment_id=1, interviewee="Ann", role="qc_head", protocol=v2.ref,
                              phase=Phase.FOLLOW_UP, current="TE-05", order=["TE-05"],
                              draft=empty_answer(question, ["We trend the lab."]),
                              pending_fields=["invalidated_oos_trend"])  # fmt: skip

    step = submit_form(v2, state(), {"invalidated_oos_trend": "2023: 1.4; 2024: 1.3; 2025: 1.1; target 1.0"})
    assert step.state.draft is not None
    assert step.state.draft.values["invalidated_oos_trend"].value == {"2023": 1.4, "2024": 1.3, "2025": 1.1,
                                                                      "target": 1.0}  # fmt: skip
    bad = submit_form(v2, state(), {"invalidated_oos_trend": "it went down"})
    assert bad.state.draft is not None
    assert bad.state.draft.values["invalidated_oos_trend"].value is None
    assert any("2023: 1.2; 2024: 0.9" in m for m in bad.messages)  # says how to write it

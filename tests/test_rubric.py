"""The scorer: levels, traces, N/A, applicability, roll-up, determinism."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.answers import parse_answers
from assistant.errors import AnswerError
from assistant.protocol import Protocol
from assistant.rubric import ConfirmedAnswer, score_question, score_site


def answer(qid: str, **values: Any) -> ConfirmedAnswer:
    return ConfirmedAnswer(question_id=qid, values=values)


def level(mini: Protocol, qid: str, **values: Any) -> int | None:
    question = mini.question(qid)
    assert question is not None
    return score_question(mini, question, answer(qid, **values)).level


def test_a_confirmed_answer_with_nothing_stated_is_level_one(mini: Protocol) -> None:
    assert level(mini, "AL-01") == 1


def test_no_answer_is_not_assessed_never_level_one(mini: Protocol) -> None:
    q = mini.question("AL-01")
    assert q is not None
    score = score_question(mini, q, None)
    assert score.status == "not_assessed"
    assert score.level is None


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"defined": "no"}, 1),
        ({"defined": "partly"}, 2),
        ({"defined": "yes", "review": "annually"}, 2),
        ({"defined": "yes", "review": "quarterly"}, 3),
        ({"defined": "yes", "review": "continuous", "share": 80.0, "cascade": ["teams"]}, 4),
        (
            {
                "defined": "yes",
                "review": "monthly",
                "share": 95.0,
                "cascade": ["teams", "people"],
                "evidence": ["a", "b"],
            },
            5,
        ),
        # level 5 criteria hold but level 4 does not: the level stops at 3
        ({"defined": "yes", "review": "monthly", "share": 50.0, "cascade": ["people"], "evidence": ["a", "b"]}, 3),
    ],
)
def test_level_is_highest_with_all_lower_levels_met(mini: Protocol, values: dict[str, Any], expected: int) -> None:
    assert level(mini, "AL-01", **values) == expected


def test_trace_names_every_criterion_with_the_value_seen(mini: Protocol) -> None:
    q = mini.question("AL-01")
    assert q is not None
    a = ConfirmedAnswer(
        question_id="AL-01",
        values={"defined": "yes", "review": "annually"},
        spans={"review": "we look at them once a year"},
    )
    s = score_question(mini, q, a)
    assert s.level == 2
    assert len(s.trace) == sum(len(c) for c in q.levels.values())
    review = next(r for r in s.trace if r.field == "review")
    assert (review.level, review.op, review.expected, review.seen, review.met) == (
        3,
        "at_least",
        "quarterly",
        "annually",
        False,
    )
    assert review.span == "we look at them once a year"
    assert [r.field for r in s.missing_for_next] == ["review"]
    assert s.next_level == 3
    assert s.level_name == "Two"
    assert "not stated" in next(r for r in s.trace if r.field == "share").describe()


def test_area_specific_level_text(mini: Protocol) -> None:
    q = mini.question("AL-02")
    assert q is not None
    a = answer("AL-02", approach="risk_based", evidence=["list"], notes="fine")
    s = score_question(mini, q, a)
    assert (s.level, s.level_name, s.next_level, s.missing_for_next) == (5, "Top alpha", None, [])


def test_ordered_single_choice_and_counts(mini: Protocol) -> None:
    assert level(mini, "AL-02", approach="paper") == 2
    assert level(mini, "AL-02", approach="audits") == 3
    assert level(mini, "BE-01", can_stop="yes", stops=0) == 2
    assert level(mini, "BE-01", can_stop="yes", stops=7) == 4


def test_na_is_shown_and_left_out_of_averages(mini: Protocol) -> None:
    answers = {
        "AL-01": answer("AL-01", defined="partly"),
        "AL-02": ConfirmedAnswer(question_id="AL-02", na_justification="We have no contractors this year."),
        "BE-01": answer("BE-01", can_stop="yes", stops=7, evidence=["SOP-12"]),
    }
    profile = score_site(mini, answers)
    alpha = profile.areas[0]
    assert (alpha.score, alpha.assessed, alpha.na, alpha.applicable) == (2.0, 1, 1, 2)
    na = next(q for q in profile.questions if q.question_id == "AL-02")
    assert na.status == "na"
    assert na.na_justification == "We have no contractors this year."
    assert profile.areas[1].score == 5.0
    assert profile.overall == 3.5
    assert profile.completeness == 1.0
    assert profile.evidence_share == 0.5


def test_applicability_and_completeness(mini: Protocol) -> None:
    answers = {"AL-01": answer("AL-01", defined="yes", review="weekly")}
    without = score_site(mini, answers, facts={"has_contractors": "no"})
    assert [q.status for q in without.questions] == ["scored", "not_applicable", "not_assessed"]
    assert without.completeness == 0.5
    assert without.areas[0].applicable == 1
    assert without.areas[1].score is None
    assert without.overall == 3.0
    unknown = score_site(mini, answers)
    assert unknown.completeness == round(1 / 3, 2)


def test_same_inputs_same_output_byte_for_byte(mini: Protocol) -> None:
    answers = {"AL-01": answer("AL-01", defined="yes", review="weekly", share=81.5, cascade=["people", "teams"])}
    first = score_site(mini, answers).model_dump_json()
    assert all(score_site(mini, dict(answers)).model_dump_json() == first for _ in range(3))


class TestParseAnswers:
    def test_values_are_normalised(self, mini: Protocol) -> None:
        answers, facts = parse_answers(
            mini,
            {
                "facts": {"has_contractors": True},
                "answers": {
                    "AL-01": {"defined": True, "review": "Semi-Annually", "share": "85%", "cascade": "teams"},
                    "AL-02": {"count": "12", "approach": "risk_based", "notes": "not stated"},
                    "BE-01": {"na": "No production staff on site."},
                },
            },
        )
        assert facts == {"has_contractors": "yes"}
        assert answers["AL-01"].values == {
            "defined": "yes",
            "review": "semi_annually",
            "share": 85.0,
            "cascade": ["teams"],
        }
        assert answers["AL-02"].values == {"count": 12, "approach": "risk_based"}
        assert answers["BE-01"].na_justification == "No production staff on site."

    def test_every_problem_is_named(self, mini: Protocol) -> None:
        with pytest.raises(AnswerError) as info:
            parse_answers(
                mini,
                {
                    "protocol": "other@2",
                    "facts": {"has_contractors": "no", "has_pets": "yes"},
                    "answers": {
                        "ZZ-99": {"x": 1},
                        "AL-01": {"defined": "maybe", "review": "fortnightly", "colour": "red", "share": 120},
                        "AL-02": {"approach": "audits"},
                        "BE-01": {"na": ""},
                    },
                },
            )
        text = str(info.value)
        for part in [
            "other@2",
            "unknown site fact 'has_pets'",
            "ZZ-99: unknown question id",
            "AL-01.defined: 'maybe' is not one of",
            "AL-01.review: 'fortnightly' is not a frequency",
            "AL-01.colour: unknown field",
            "AL-01.share: 120 is not a percentage",
            "AL-02: does not apply",
            "BE-01: N/A needs a justification",
        ]:
            assert part in text, part
        assert len(info.value.problems) == 9

    @pytest.mark.parametrize("bad", [None, [], "text", 3])
    def test_a_file_that_is_not_a_mapping_is_refused(self, mini: Protocol, bad: Any) -> None:
        with pytest.raises(AnswerError):
            parse_answers(mini, bad)

    def test_unknown_option_in_multi_choice(self, mini: Protocol) -> None:
        with pytest.raises(AnswerError, match=r"AL-01.cascade: unknown option\(s\) \['robots'\]"):
            parse_answers(mini, {"AL-01": {"cascade": ["teams", "robots"]}})

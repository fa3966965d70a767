"""Findings drafted from the rubric trace (strengths, opportunities with the criterion's own recommendation, a stated
priority rule, citations), an assessor's edits laid over them, and the report of an answers file."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.protocol import Protocol
from assistant.reports.build import PROVISIONAL_COMPLETENESS, load_citations
from assistant.reports.findings import apply_edits, criteria_of, draft_findings, priority
from assistant.reports.model import Finding
from assistant.rubric import score_site
from assistant.service import AssessmentService
from assistant.settings import REPO_ROOT, Settings

SITES = REPO_ROOT / "eval" / "sites"


@pytest.fixture(scope="module")
def svc() -> AssessmentService:
    return AssessmentService(Settings(embeddings="fake", vector_store="memory"))


@pytest.fixture(scope="module")
def v2(svc: AssessmentService) -> Protocol:
    return svc.protocol_for("qmm-self-assessment@2")


def test_opportunities_are_the_unmet_criteria_of_the_next_level(svc: AssessmentService, v2: Protocol) -> None:
    report = svc.reports.from_answers_file(SITES / "middling.yaml")
    by_q = {q.question_id: q for q in report.questions}
    opportunities = [f for f in report.findings if f.kind == "opportunity"]
    assert opportunities
    for f in opportunities:
        question = v2.question(f.question_id or "")
        assert question is not None
        level = by_q[question.id].level
        assert level is not None
        # the id names the level and field; the recommendation and effort are the protocol's own for that criterion
        _, _, _, lvl, rest = f.id.split("-", 4)  # F-XX-NN-L<level>-<field>[-<n>]
        field, _, nth = rest.partition("-")
        assert int(lvl[1:]) == level + 1
        crit = [c for c in question.levels[level + 1] if c.field == field][int(nth or 1) - 1]
        assert (f.recommendation, f.effort, f.gap) == (crit.recommendation, crit.effort, crit.why)
        assert f.priority_reason
        assert f.priority_reason.startswith(f"question at level {level}")
        assert {c.note_id for c in f.citations} <= set(question.guidance_refs)
        assert f.observation.startswith(next(x.label for x in question.fields if x.id == field))
    assert len({f.id for f in report.findings}) == len(report.findings)  # ids are unique and stable


def test_strengths_name_what_the_top_levels_meet(svc: AssessmentService) -> None:
    report = svc.reports.from_answers_file(SITES / "mature.yaml")
    strengths = [f for f in report.findings if f.kind == "strength"]
    levels = {q.question_id: q.level for q in report.questions}
    assert strengths
    assert all((levels[f.question_id or ""] or 0) >= 3 for f in strengths)
    te02 = next(f for f in strengths if f.question_id == "TE-02")
    assert te02.title == "TE-02 Data governance and data integrity: level 5 (Leading)"
    low = svc.reports.from_answers_file(SITES / "low.yaml")
    assert {f.question_id for f in low.findings if f.kind == "strength"} == {"MC-09", "TE-05", "TE-06"}  # the L3s


def test_the_priority_rule_is_stated_and_applied(svc: AssessmentService) -> None:
    report = svc.reports.from_answers_file(SITES / "middling.yaml")
    scores = {q.question_id: q for q in svc.score_file(SITES / "middling.yaml").questions}
    grade, reason = priority(scores["BC-03"], 2.6)  # level 2, supply impact, area not below 2.5
    assert (grade, reason) == ("high", "question at level 2 (+2), supply impact (+1) = 3 point(s)")
    grade, _ = priority(scores["MC-06"], 2.91)  # level 2, no impact
    assert grade == "medium"
    assert all(f.priority == "low" for f in report.findings if f.question_id == "TE-10" and f.kind == "opportunity")


def test_edits_survive_regeneration(svc: AssessmentService, v2: Protocol) -> None:
    answers, facts = {}, {}
    profile = score_site(v2, answers, facts)
    drafted = draft_findings(v2, svc.score_file(SITES / "middling.yaml"), {}, load_citations(REPO_ROOT / "corpus"))
    first = next(f for f in drafted if f.kind == "opportunity")
    edited = first.model_copy(update={"owner": "QA head", "due": "2027-03-31", "observation": "Seen on site."})
    edits = [
        {"action": "edit", "finding_id": first.id, "data": edited.model_dump()},
        {"action": "drop", "finding_id": drafted[1].id},
        {"action": "add", "finding_id": "F-A1", "data": {"kind": "opportunity", "area": "technical_excellence",
                                                          "title": "Calibration overdue on two balances",
                                                          "observation": "Two balances past due."}},
    ]  # fmt: skip
    after = apply_edits(drafted, edits)
    got = {f.id: f for f in after}
    assert got[first.id].owner == "QA head"
    assert got[first.id].origin == "edited"
    assert drafted[1].id not in got
    assert got["F-A1"].origin == "added"
    # the criterion is met later: the draft no longer holds the finding, the assessor's edited one stays
    regenerated = apply_edits([f for f in drafted if f.id != first.id], edits)
    assert next(f for f in regenerated if f.id == first.id).observation == "Seen on site."
    assert apply_edits(drafted, [*edits, {"action": "restore", "finding_id": drafted[1].id}])[1].id == drafted[1].id
    assert profile.overall is None  # (an empty profile drafts nothing)
    assert draft_findings(v2, profile, {}, {}) == []


def test_criteria_follow_the_trace_order(v2: Protocol, svc: AssessmentService) -> None:
    profile = svc.score_file(SITES / "mature.yaml")
    for q in profile.questions:
        question = v2.question(q.question_id)
        assert question is not None
        if q.status == "scored":
            assert [(r.level, r.field, r.op) for r in q.trace] == [
                (lvl, c.field, str(c.op)) for lvl in sorted(question.levels) for c in question.levels[lvl]]
            assert len(criteria_of(question)) == len(q.trace)


def test_a_thin_file_reads_as_provisional(svc: AssessmentService, tmp_path: Path) -> None:
    thin = tmp_path / "thin.yaml"
    thin.write_text("protocol: qmm-self-assessment@2\nsite: Thin site\nanswers:\n"
                    "  MC-01: {objectives_defined: 'yes', measurable: 'yes', review_frequency: quarterly,"
                    " evidence: [2026 objectives]}\n", encoding="utf-8")  # fmt: skip
    report = svc.reports.from_answers_file(thin)
    assert report.provisional
    assert report.completeness < PROVISIONAL_COMPLETENESS
    assert report.provisional_note
    assert "Provisional" in report.provisional_note
    mc = next(a for a in report.areas if a.area == "management_commitment")
    assert mc.provisional
    assert mc.score == 3.0
    assert "not scored" in next(a for a in report.areas if a.area == "business_continuity").narrative
    assert report.site == "Thin site"
    full = svc.reports.from_answers_file(SITES / "mature.yaml")
    assert not full.provisional
    assert not any(a.provisional for a in full.areas)
    assert isinstance(full.findings[0], Finding)

"""An assessment beside its interviews (protocol v2): the compliance gate, the records only an assessor marks as
seen, versions side by side, and ``qmm assessment upgrade`` from v1 to v2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from assistant.auth import AccessDenied
from assistant.cli import main
from assistant.errors import AssistantError
from assistant.service import AssessmentService, Principal, Turn
from assistant.settings import Settings
from tests.test_service import LOCAL, POOR, POOR_FORM, RICH, RICH_FORM, answer_and_confirm

V1, V2 = "qmm-self-assessment@1", "qmm-self-assessment@2"
MC01_V2 = ("We have written quality objectives with measurable targets, reviewed by leadership every quarter and "
           "cascaded to departments and teams; they are linked to the business plan. See the 2026 quality "
           "objectives, approved 2026-01-20.")  # fmt: skip
MC01_V2_FORM = {"objectives_defined": "Yes", "measurable": "Yes", "review_frequency": "Every quarter",
                "cascaded_to": ["Departments", "Teams"], "linked_to_business": "Yes", "objectives_met_share": "70",
                "evidence": "2026 quality objectives, approved 2026-01-20"}  # fmt: skip


def service(data_dir: Path, protocol: str = V2) -> AssessmentService:
    return AssessmentService(Settings(data_dir=data_dir, embeddings="fake", vector_store="memory",
                                      retrieval_floor=0.1, protocol=protocol))  # fmt: skip


def through_facts(svc: AssessmentService, turn: Turn, principal: Principal = LOCAL) -> Turn:
    while turn.state.phase.value == "facts":
        turn = svc.turn(principal, turn.state, "no")
    return turn


def confirm_mc01(svc: AssessmentService, turn: Turn, text_: str, form: dict[str, Any]) -> Turn:
    turn = through_facts(svc, turn)
    assert turn.state.current == "MC-01"
    return answer_and_confirm(svc, turn, text_, form)


def count(svc: AssessmentService, sql: str) -> int:
    with svc.store.engine.begin() as conn:
        return int(conn.execute(text(sql)).scalar() or 0)


# --- the records only an assessor marks as seen ------------------------------------------------------------------
def test_an_interviewee_never_fills_the_records_seen(tmp_path: Path) -> None:
    svc = service(tmp_path / "data")
    turn = through_facts(svc, svc.start_interview(LOCAL, "Harford", "Ann", "qa_head"))
    turn = svc.turn(LOCAL, turn.state, MC01_V2 + " I have shown the assessor the cascade, SOP-QA-001 and MR-2026-01.")
    asked = {f.id for f in turn.form}
    assert "records_seen" not in asked  # never asked of the interviewee
    assert turn.state.draft is not None
    assert turn.state.draft.values["records_seen"].value is None  # never read from the answer
    refused = svc.turn(LOCAL, turn.state, "edit records_seen = MR-2026-01")
    assert "filled in by the assessor" in refused.messages[0]
    form = svc.submit_form(LOCAL, refused.state, {"records_seen": "MR-2026-01"})
    assert any("There is no field 'records_seen'" in m for m in form.messages)


def test_seen_records_raise_the_level_and_only_an_assessor_records_them(tmp_path: Path) -> None:
    svc = service(tmp_path / "data")
    turn = confirm_mc01(svc, svc.start_interview(LOCAL, "Harford", "Ann", "qa_head"), MC01_V2, MC01_V2_FORM)
    ref = turn.assessment_token

    def mc01(who: Principal = LOCAL) -> Any:
        return next(q for q in svc.assessment_profile(who, ref).questions if q.question_id == "MC-01")

    assert mc01().level == 3  # level 4 needs a record the assessor has seen
    assert [r.field for r in mc01().missing_for_next if not r.met] == ["records_seen"]
    with pytest.raises(AssistantError, match="Enter your name"):
        svc.reviews.mark_seen(LOCAL, ref, "MC-01", ["Objectives cascade 2026"])
    svc.reviews.mark_seen(LOCAL, ref, "MC-01", ["Objectives cascade 2026, site to team, seen 2026-11-18", " "],
                          who="Asa Assessor")  # fmt: skip
    assert mc01().level == 4
    seen = svc.reviews.seen(LOCAL, ref)["MC-01"]["records"]
    assert seen == ["Objectives cascade 2026, site to team, seen 2026-11-18"]
    event = [e for e in svc.store.audit() if e["action"] == "record_seen"][-1]
    assert event["who"] == "Asa Assessor"
    assert event["after"] == {"records": ["Objectives cascade 2026, site to team, seen 2026-11-18"]}
    with pytest.raises(AssistantError, match="no field for records"):
        svc.reviews.mark_seen(LOCAL, ref, "XX-99", ["x"], who="Asa Assessor")
    # a site staff account may answer but not mark records as seen; an assessor may
    users = svc.users
    users.add(Principal.operator(), "Sam Staff", "long enough password")
    users.grant(Principal.operator(), "Sam Staff", "Harford", "site_staff")
    users.add(Principal.operator(), "Asa Assessor", "long enough password")
    users.grant(Principal.operator(), "Asa Assessor", "Harford", "assessor")
    staff = svc.session_principal("Sam Staff", "token-staff")
    assessor = svc.session_principal("Asa Assessor", "token-assessor")
    with pytest.raises(AccessDenied, match="assessors only"):
        svc.reviews.mark_seen(staff, ref, "MC-01", ["x"])
    svc.reviews.mark_seen(assessor, ref, "MC-01", ["Objectives cascade 2026", "2025 objectives with results"])
    assert mc01(assessor).level == 4  # level 5 also needs 75% of objectives met (70 stated)


# --- the compliance gate -------------------------------------------------------------------------------------------
def test_the_gate_is_reported_beside_the_profile_and_never_scored(tmp_path: Path) -> None:
    svc = service(tmp_path / "data")
    turn = confirm_mc01(svc, svc.start_interview(LOCAL, "Harford", "Ann", "qa_head"), MC01_V2, MC01_V2_FORM)
    ref = turn.assessment_token
    before = svc.assessment_profile(LOCAL, ref)
    assert before.gate_summary is not None
    assert before.gate_summary.eligibility == "unknown"
    with pytest.raises(AssistantError) as bad:
        svc.reviews.set_gate(LOCAL, ref, {"last_inspection_classification": "excellent",
                                          "last_inspection_date": "last spring", "nonsense": "yes"})  # fmt: skip
    message = str(bad.value)
    assert "Nothing was saved" in message
    assert all(w in message for w in ("unknown option 'excellent'", "not a date", "no gate item 'nonsense'"))
    assert svc.reviews.gate(LOCAL, ref)[1] == {}
    svc.reviews.set_gate(LOCAL, ref, {"last_inspection_classification": "OAI", "last_inspection_date": "2024-05-02",
                                      "us_commercial_product": "Yes", "open_enforcement": "no",
                                      "data_integrity_basics": "No"})  # fmt: skip
    after = svc.assessment_profile(LOCAL, ref)
    assert after.gate_summary is not None
    assert after.gate_summary.eligibility == "not_eligible"
    problems = after.gate_summary.problems
    assert any(p.startswith("Classification of the last FDA surveillance inspection") for p in problems)
    assert any("Data-integrity basics" in p and "not maturity" in p for p in problems)
    # the scores do not move
    assert [a.score for a in after.areas] == [a.score for a in before.areas]
    assert after.overall == before.overall
    event = [e for e in svc.store.audit() if e["action"] == "set_gate"][-1]
    assert event["before"] == {}
    assert event["after"]["last_inspection_classification"] == "oai"
    svc.reviews.set_gate(LOCAL, ref, {"last_inspection_classification": "VAI", "open_enforcement": ""})
    assert svc.reviews.gate(LOCAL, ref)[1]["last_inspection_classification"] == "vai"
    assert "open_enforcement" not in svc.reviews.gate(LOCAL, ref)[1]  # an empty answer clears the item


def test_answers_file_gate_is_checked_as_of_its_date(tmp_path: Path) -> None:
    svc = service(tmp_path / "data")
    base = {"protocol": V2, "facts": {"supplies_506c_products": "no"},
            "gate": {"last_inspection_classification": "nai", "last_inspection_date": "2021-06-01"}, "answers": {}}
    assert svc.score_answers({**base, "assessed_on": "2026-05-31"}).gate_summary.problems == []  # type: ignore[union-attr]
    late = svc.score_answers({**base, "assessed_on": "2026-06-02"}).gate_summary
    assert late is not None
    assert [p.split(":")[0] for p in late.problems] == ["Date of the last FDA surveillance inspection"]
    assert "Risk management plans for covered products" not in late.unanswered  # 506C items do not apply
    with pytest.raises(AssistantError, match=r"unknown key 'gates'"):
        svc.score_answers({**base, "gates": {}})


# --- versions side by side -----------------------------------------------------------------------------------------
def test_a_v1_assessment_keeps_its_version_when_the_default_moves_on(tmp_path: Path) -> None:
    data = tmp_path / "data"
    old = service(data, V1)
    turn = confirm_mc01(old, old.start_interview(LOCAL, "Harford", "Ann", "qa_head"), RICH, RICH_FORM)
    new = service(data, V2)
    profile = new.assessment_profile(LOCAL, turn.assessment_token)
    assert profile.protocol == V1
    assert profile.gate_summary is None  # version 1 has no gate
    assert next(q for q in profile.questions if q.question_id == "MC-01").status == "scored"
    resumed = new.resume_interview(LOCAL, turn.interview_token)
    assert resumed.state.protocol == V1
    assert resumed.state.current != "MC-01"  # it continues where it stopped, on v1's questions
    fresh = new.start_interview(LOCAL, "Harford", "Bea", "qa_head")
    assert fresh.state.protocol == V2
    assert fresh.assessment_token != turn.assessment_token  # a v2 assessment of its own
    assert len(fresh.state.pending_facts) == 4  # v2's site facts


# --- qmm assessment upgrade ----------------------------------------------------------------------------------------
def _v1_with_two_interviewees(data: Path) -> tuple[AssessmentService, Turn]:
    old = service(data, V1)
    first = confirm_mc01(old, old.start_interview(LOCAL, "Harford", "Ann QA", "qa_head"), RICH, RICH_FORM)
    second = old.start_interview(LOCAL, "Harford", "Bo Head", "site_head")
    confirm_mc01(old, second, POOR, POOR_FORM)
    return old, first


def _snapshot(svc: AssessmentService, assessment_id: int) -> list[Any]:
    with svc.store.engine.begin() as conn:
        rows = conn.execute(text("SELECT id, interview_id, question_id, version, status, answer, who FROM answers "
                                 "WHERE assessment_id = :a ORDER BY id"), {"a": assessment_id}).all()  # fmt: skip
        interviews = conn.execute(text("SELECT id, state, revision FROM interviews WHERE assessment_id = :a"),
                                  {"a": assessment_id}).all()  # fmt: skip
    return [list(r) for r in rows] + [list(i) for i in interviews]


def test_upgrade_carries_what_keeps_its_meaning_and_changes_nothing_old(tmp_path: Path) -> None:
    data = tmp_path / "data"
    old, first = _v1_with_two_interviewees(data)
    old_id = first.state.assessment_id
    before = _snapshot(old, old_id)
    new = service(data, V2)
    report = new.reviews.upgrade_assessment(LOCAL, first.assessment_token, 2)
    assert _snapshot(new, old_id) == before  # nothing of the v1 assessment changed
    assert (report.old_protocol, report.new_protocol) == (V1, V2)
    assert report.carried_answers == 2
    assert [i["interviewee"] for i in report.interviews] == ["Ann QA", "Bo Head"]
    mc01 = next(q for q in report.questions if q.question_id == "MC-01")
    assert "Written quality objectives" in mc01.carried
    assert "Quality objectives met last year" in mc01.needs
    assert "Records the assessor has seen" not in mc01.needs + mc01.carried  # the assessor's, never carried
    # the carried answers are drafts of the new assessment, never scored until reconfirmed
    profile = new.assessment_profile(LOCAL, report.assessment)
    assert profile.protocol == V2
    assert all(q.status != "scored" for q in profile.questions)
    with pytest.raises(AssistantError, match="already has an open"):
        new.reviews.upgrade_assessment(LOCAL, first.assessment_token, 2)
    with pytest.raises(AssistantError, match="later version"):
        new.reviews.upgrade_assessment(LOCAL, report.assessment, 2)

    # Ann continues in v2: the new site facts first, then MC-01 with her v1 values to reconfirm and only what is new
    turn = new.resume_interview(LOCAL, report.interviews[0]["token"])
    assert "carried over" in turn.transcript[0]["content"]
    turn = through_facts(new, turn)
    assert turn.state.current == "MC-01"
    assert any("carried over" in m for m in turn.messages)
    assert {f.id for f in turn.form} == {"objectives_met_share"} | {
        f for f, v in turn.state.draft.values.items() if v.value is None and f not in ("records_seen",)  # type: ignore[union-attr]
    }  # fmt: skip
    assert turn.state.draft is not None
    assert turn.state.draft.values["objectives_defined"].source == "carried"
    turn = new.submit_form(LOCAL, turn.state, {f.id: "Don't know" for f in turn.form} | {"objectives_met_share": "80"})
    assert "(carried over: please reconfirm)" in turn.messages[-1]
    turn = new.turn(LOCAL, turn.state, "confirm")
    profile = new.assessment_profile(LOCAL, report.assessment)
    assert next(q for q in profile.questions if q.question_id == "MC-01").status == "scored"
    assert count(new, "SELECT count(*) FROM audit_events WHERE action = 'upgrade'") == 1
    checked = new.audit_trail.verify()  # the upgrade, its carried drafts and the new interviews are in the chain
    assert checked.ok, checked.findings
    trail = new.audit_trail.export(turn.assessment_token)
    assert {"upgrade", "create", "draft", "confirmed"} <= {e["action"] for e in trail}


def test_qmm_assessment_list_and_upgrade(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    data = tmp_path / "data"
    _, first = _v1_with_two_interviewees(data)
    monkeypatch.setenv("QMM_DATA_DIR", str(data))
    monkeypatch.setenv("QMM_EMBEDDINGS", "fake")
    assert main(["assessment", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(a["protocol"], a["interviews"], a["site"]) for a in listed] == [(V1, 2, "Harford")]
    assert main(["assessment", "upgrade", str(listed[0]["id"]), "--to", "2"]) == 0
    out = capsys.readouterr().out
    assert "2 answer(s) carried over" in out
    assert "MC-01 Quality objectives: " in out
    assert "Quality objectives met last year" in out
    assert main(["assessment", "list"]) == 0
    assert V2 in capsys.readouterr().out
    assert main(["assessment", "upgrade", first.assessment_token, "--to", "7"]) == 1
    assert "Cannot upgrade to qmm-self-assessment@7" in capsys.readouterr().err

"""The assessor's workspace end to end through the service: two interviewees who disagree, a resolution, evidence
(a file kept by its SHA-256, a named record, marked seen), a validated answer, findings drafted and edited, an
improvement plan, the report, and the whole assessment exported as JSON and imported into another database with
the identical profile."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from assistant.auth import AccessDenied
from assistant.errors import AssistantError
from assistant.evidence_files import EvidenceRefused
from assistant.service import AssessmentService, Principal
from tests.test_review import MC01_V2, MC01_V2_FORM, confirm_mc01, service
from tests.test_service import LOCAL, POOR, POOR_FORM

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
WHO = "Asa Assessor"


@pytest.fixture
def assessed(tmp_path: Path) -> tuple[AssessmentService, str, dict[str, str]]:
    """Two interviewees answer MC-01 differently: a conflict."""
    svc = service(tmp_path / "one")
    qa = confirm_mc01(svc, svc.start_interview(LOCAL, "Harford", "Ann QA", "qa_head"), MC01_V2, MC01_V2_FORM)
    head = confirm_mc01(svc, svc.start_interview(LOCAL, "Harford", "Bo Head", "site_head"), POOR, POOR_FORM)
    return svc, qa.assessment_token, {"qa": qa.interview_token, "head": head.interview_token}


def level(svc: AssessmentService, ref: str, qid: str = "MC-01") -> Any:
    return next(q for q in svc.assessment_profile(LOCAL, ref).questions if q.question_id == qid).level


def test_answers_side_by_side_conflicts_first(assessed: tuple[AssessmentService, str, dict[str, str]]) -> None:
    svc, ref, _ = assessed
    views = svc.assessor.review(LOCAL, ref)
    assert views[0].question_id == "MC-01"
    assert views[0].conflict
    assert [a.interviewee for a in views[0].answers] == ["Ann QA", "Bo Head"]
    labels = dict((label, value) for label, value, _ in views[0].answers[0].fields)
    assert labels["Leadership review of progress"] == "Every quarter"  # by its label, never an id
    assert views[0].answers[0].history[-1]["status"] == "confirmed"
    assert "Records the assessor has seen" not in labels  # the assessor's own field is not an interviewee's answer


def test_validation_is_final_and_audited(assessed: tuple[AssessmentService, str, dict[str, str]]) -> None:
    svc, ref, tokens = assessed
    conservative = level(svc, ref)
    assert conservative == 2  # the conflict scores the lower answer
    with pytest.raises(AssistantError, match="Give a reason"):
        svc.assessor.validate(LOCAL, ref, "MC-01", "", chosen=tokens["qa"], who=WHO)
    svc.assessor.validate(LOCAL, ref, "MC-01", "Read the objectives register", chosen=tokens["qa"], who=WHO)
    assert level(svc, ref) == 3
    assert svc.assessment_profile(LOCAL, ref).validated == ["MC-01"]
    # the assessor's own consolidated answer (labels accepted); a bad value saves nothing
    with pytest.raises(AssistantError, match="Nothing was saved"):
        svc.assessor.validate(LOCAL, ref, "MC-01", "x", values={"review_frequency": "sometimes"}, who=WHO)
    svc.assessor.validate(LOCAL, ref, "MC-01", "Objectives exist but are not measurable", who=WHO,
                          values={"Written quality objectives": "Yes", "measurable": "No"})  # fmt: skip
    assert level(svc, ref) == 2
    event = [e for e in svc.store.audit() if e["action"] == "validate"][-1]
    assert event["who"] == WHO
    assert event["after"]["values"] == {"objectives_defined": "yes", "measurable": "no"}
    assert svc.audit_trail.verify().ok


def test_evidence_register(assessed: tuple[AssessmentService, str, dict[str, str]], tmp_path: Path) -> None:
    svc, ref, tokens = assessed
    svc.assessor.validate(LOCAL, ref, "MC-01", "Read the register", chosen=tokens["qa"], who=WHO)
    item = svc.assessor.add_file(LOCAL, ref, "MC-01", "../../etc/passwd objectives.pdf", PDF)
    again = svc.assessor.add_file(LOCAL, ref, "MC-01", "copy.pdf", PDF)  # the same content: stored once
    sha = hashlib.sha256(PDF).hexdigest()
    stored = list((svc.settings.data_dir / "evidence").rglob("*"))
    assert [p.name for p in stored if p.is_file()] == [sha]  # a file name is never a path
    for bad, why in ((b"", "empty"), (b"MZ\x90\x00\x03", "not a PDF"), (b"x" * (21 * 1024 * 1024), "at most")):
        with pytest.raises(EvidenceRefused, match=why):
            svc.assessor.add_file(LOCAL, ref, "MC-01", "bad.bin", bad)
    named = svc.assessor.add_record(LOCAL, ref, "MC-01", "Objectives cascade 2026, site to team")
    listed = {e["id"]: e for e in svc.assessor.evidence(LOCAL, ref)}
    assert listed[item]["media_type"] == "application/pdf"
    assert listed[item]["sha256"] == listed[again]["sha256"] == sha
    assert {listed[i]["status"] for i in (item, again, named)} == {"claimed"}
    assert svc.assessor.file(LOCAL, ref, item) == ("../../etc/passwd objectives.pdf", "application/pdf", PDF)
    assert level(svc, ref) == 3  # level 4 needs a record the assessor has seen
    with pytest.raises(AssistantError, match="Enter your name"):
        svc.assessor.set_status(LOCAL, ref, named, "seen")
    svc.assessor.set_status(LOCAL, ref, named, "seen", who=WHO)
    assert level(svc, ref) == 4
    requests = svc.assessor.requests(LOCAL, ref)
    assert requests
    assert all(r["items"] for r in requests)
    assert any(i["question_id"] == "MC-01" and i["level"] == 5 for r in requests for i in r["items"])


def test_findings_plan_report_and_the_json_round_trip(assessed: tuple[AssessmentService, str, dict[str, str]],
                                                      tmp_path: Path) -> None:  # fmt: skip
    svc, ref, tokens = assessed
    svc.resolve_conflict(LOCAL, ref, "MC-01", tokens["qa"], "QA's register matches", who=WHO)
    svc.assessor.add_record(LOCAL, ref, "MC-01", "Objectives cascade 2026")
    findings = svc.reports.findings(LOCAL, ref)
    opportunity = next(f for f in findings if f.kind == "opportunity" and f.question_id == "MC-01")
    with pytest.raises(AssistantError, match="Enter your name"):
        svc.reports.edit_finding(LOCAL, ref, opportunity.id, changes={"owner": "QA head"})
    after = svc.reports.edit_finding(LOCAL, ref, opportunity.id, changes={"owner": "QA head", "due": "2027-03-31"},
                                     who=WHO)  # fmt: skip
    edited = next(f for f in after if f.id == opportunity.id)
    assert (edited.owner, edited.due, edited.origin) == ("QA head", "2027-03-31", "edited")
    added = svc.reports.edit_finding(LOCAL, ref, "", "add", {"area": "technical_excellence", "title": "Balances "
                                     "overdue for calibration", "observation": "Two of six balances."}, who=WHO)
    assert any(f.id == "F-A1" and f.origin == "added" for f in added)
    dropped = next(f for f in added if f.id != opportunity.id)
    assert dropped.id not in {f.id for f in svc.reports.edit_finding(LOCAL, ref, dropped.id, "drop", who=WHO)}
    assert next(f for f in svc.reports.findings(LOCAL, ref) if f.id == opportunity.id).owner == "QA head"  # kept
    with pytest.raises(AssistantError, match="two different findings"):
        svc.reports.edit_finding(LOCAL, ref, opportunity.id, "merge", {"with": opportunity.id}, who=WHO)
    merged = svc.reports.edit_finding(LOCAL, ref, opportunity.id, "merge", {"with": "F-A1"}, who=WHO)
    kept = next(f for f in merged if f.id == opportunity.id)
    assert "Two of six balances." in kept.observation
    assert "F-A1" not in {f.id for f in merged}

    with pytest.raises(AssistantError, match="needs its measure"):
        svc.reports.save_plan_item(LOCAL, ref, {"finding_id": opportunity.id, "goal": "Team goals"})
    item = svc.reports.save_plan_item(LOCAL, ref, {"finding_id": opportunity.id, "goal": "Every team has goals",
                                                   "measure": "Teams with goals traced to site objectives",
                                                   "baseline": "0 of 12", "target": "12 of 12", "owner": "QA head",
                                                   "due": "2027-06-30"})  # fmt: skip
    assert item.id == "P-1"
    assert item.opportunity.startswith("MC-01 Quality objectives")
    assert item.follow_up is not None
    late = svc.reports.save_plan_item(LOCAL, ref, {"opportunity": "Overdue CAPAs", "goal": "No CAPA overdue",
                                                   "measure": "Overdue CAPAs", "due": "2026-01-31"})  # fmt: skip
    plan = svc.reports.plan(LOCAL, ref, today=date(2026, 12, 4))
    assert [(p.id, p.overdue) for p in plan] == [("P-1", False), (late.id, True)]

    report = svc.reports.for_assessment(LOCAL, ref)
    assert report.site == "Harford"
    assert report.assessment == ref
    assert {name for name, _ in report.interviewees} == {"Ann QA", "Bo Head"}
    assert WHO in report.assessors
    assert report.provisional  # two questions answered of many
    mc01 = next(q for q in report.questions if q.question_id == "MC-01")
    assert len(mc01.answers) == 2
    assert {e.title for e in mc01.evidence} >= {"Objectives cascade 2026", "2026 quality objectives"}
    assert [p.id for p in report.plan] == ["P-1", "P-2"]

    exported = json.loads(json.dumps(svc.reports.export(LOCAL, ref)))  # as it travels: plain JSON
    other = service(tmp_path / "two")
    token = other.reports.import_(Principal.operator(), exported)
    before = svc.assessment_profile(LOCAL, ref).model_dump_json(exclude={"gate_summary"})
    assert other.assessment_profile(LOCAL, token).model_dump_json(exclude={"gate_summary"}) == before
    assert other.reports.plan(LOCAL, token) == svc.reports.plan(LOCAL, ref)
    assert [f.id for f in other.reports.findings(LOCAL, token)] == [f.id for f in svc.reports.findings(LOCAL, ref)]
    resumed = other.resume_interview(LOCAL, other.review.interviews_of(other.store.assessment(token)["id"])[0]["token"])
    assert resumed.state.assessment_id == other.store.assessment(token)["id"]
    assert other.audit_trail.verify().ok, other.audit_trail.verify().findings
    with pytest.raises(AssistantError, match="already has an open"):
        other.reports.import_(Principal.operator(), exported)
    with pytest.raises(AssistantError, match="Not an assessment export"):
        other.reports.import_(Principal.operator(), {"format": "something else"})


def test_who_may_do_what(assessed: tuple[AssessmentService, str, dict[str, str]]) -> None:
    svc, ref, _ = assessed
    svc.users.add(Principal.operator(), "Sam Staff", "long enough password")
    svc.users.grant(Principal.operator(), "Sam Staff", "Harford", "site_staff")
    staff = svc.session_principal("Sam Staff", "t-staff")
    item = svc.assessor.add_record(staff, ref, "MC-01", "Quality plan 2026")  # site staff add evidence
    svc.reports.save_plan_item(staff, ref, {"opportunity": "x", "goal": "y", "measure": "z"})  # and make the plan
    for call in (lambda: svc.assessor.set_status(staff, ref, item, "seen"),
                 lambda: svc.assessor.validate(staff, ref, "MC-01", "because", values={"measurable": "yes"}),
                 lambda: svc.reports.edit_finding(staff, ref, "F-A1", "add", {"title": "t", "area": "x",
                                                                              "observation": "o"}),
                 lambda: svc.reports.import_(staff, {})):  # fmt: skip
        with pytest.raises((AccessDenied, AssistantError)):
            call()


def test_a_finalised_assessment_is_locked_and_the_next_one_shows_the_change(
    assessed: tuple[AssessmentService, str, dict[str, str]],
) -> None:
    from assistant.service import AssessmentLocked

    svc, ref, tokens = assessed
    svc.reports.save_plan_item(LOCAL, ref, {"opportunity": "Team goals", "goal": "Teams have goals",
                                            "measure": "Teams with goals"})  # fmt: skip
    with pytest.raises(AssistantError, match="Enter your name"):
        svc.reviews.finalise(LOCAL, ref)
    svc.reviews.finalise(LOCAL, ref, "Assessment complete", who=WHO)
    qa = svc.resume_interview(LOCAL, tokens["qa"])
    for write in (lambda: svc.turn(LOCAL, qa.state, "back"),
                  lambda: svc.assessor.add_record(LOCAL, ref, "MC-01", "Late record"),
                  lambda: svc.reports.save_plan_item(LOCAL, ref, {"opportunity": "x", "goal": "y", "measure": "z"}),
                  lambda: svc.reviews.set_gate(LOCAL, ref, {"us_commercial_product": "yes"})):  # fmt: skip
        with pytest.raises(AssessmentLocked, match="finalised"):
            write()
    assert svc.assessment_profile(LOCAL, ref).questions  # still readable
    with pytest.raises(AssistantError, match="Give a reason"):
        svc.reviews.finalise(LOCAL, ref, who=WHO, reopen=True)

    # a year on: a new interview at the site starts a new assessment, whose report shows the change
    again = confirm_mc01(svc, svc.start_interview(LOCAL, "Harford", "Ann QA", "qa_head"), MC01_V2, MC01_V2_FORM)
    assert again.assessment_token != ref
    delta = svc.reports.for_assessment(LOCAL, again.assessment_token).delta
    assert delta is not None
    assert (delta.previous, delta.comparable) == (ref, True)
    assert (delta.overall_before, delta.overall_after) == (2.0, 3.0)  # MC-01 was scored on the lower answer
    assert [(q.question_id, q.before, q.after) for q in delta.questions] == [("MC-01", 2, 3)]
    assert [p.goal for p in delta.plan] == ["Teams have goals"]
    with pytest.raises(AssistantError, match="another open"):
        svc.reviews.finalise(LOCAL, ref, "a late record", who=WHO, reopen=True)
    svc.reviews.finalise(LOCAL, again.assessment_token, "done", who=WHO)
    svc.reviews.finalise(LOCAL, ref, "a late record arrived", who=WHO, reopen=True)
    svc.assessor.add_record(LOCAL, ref, "MC-01", "Late record")
    actions = [e["action"] for e in svc.store.audit() if e["action"] in ("finalise", "reopen")]
    assert actions == ["finalise", "finalise", "reopen"]
    assert svc.audit_trail.verify().ok


def test_the_reports_of_a_scripted_assessment_open_in_word_and_excel(
    assessed: tuple[AssessmentService, str, dict[str, str]],
) -> None:
    import io

    import openpyxl
    from docx import Document

    from assistant.reports.render import render

    svc, ref, tokens = assessed
    svc.resolve_conflict(LOCAL, ref, "MC-01", tokens["qa"], "QA's register matches", who=WHO)
    svc.reports.save_plan_item(LOCAL, ref, {"opportunity": "Team goals", "goal": "Teams have goals",
                                            "measure": "Teams with goals", "due": "2027-06-30"})  # fmt: skip
    report = svc.reports.for_assessment(LOCAL, ref)
    doc = Document(io.BytesIO(render(report, "docx")))
    headings = [p.text for p in doc.paragraphs if p.style is not None and p.style.name == "Heading 1"]
    assert headings[:3] == ["Executive summary", "Compliance gate", "Practice-area scores"]
    assert "Improvement plan" in headings
    assert len(doc.inline_shapes) == 1  # the area chart
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Harford" in text
    assert "MC-01 Quality objectives: toward level 4" in text
    assert any("Teams have goals" in c.text for t in doc.tables for r in t.rows for c in r.cells)
    book = openpyxl.load_workbook(io.BytesIO(render(report, "xlsx")))
    assert book.sheetnames == ["Profile", "Answers", "Findings", "Evidence", "Plan", "Gate"]
    answers = book["Answers"]
    assert answers.freeze_panes == "A2"
    assert {r[7] for r in answers.iter_rows(min_row=2, values_only=True)} >= {"Ann QA", "Bo Head"}  # Interviewee
    assert [r[:1] for r in book["Plan"].iter_rows(min_row=2, values_only=True)] == [("P-1",)]


def test_qmm_report_json_then_qmm_import_into_another_database(
    assessed: tuple[AssessmentService, str, dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    from assistant.cli import main

    svc, ref, _ = assessed
    monkeypatch.setenv("QMM_DATA_DIR", str(svc.settings.data_dir))
    monkeypatch.setenv("QMM_EMBEDDINGS", "fake")
    out = tmp_path / "assessment.json"
    assert main(["report", ref, "--format", "json", "-o", str(out)]) == 0
    assert main(["evidence", "list", ref]) == 0
    monkeypatch.setenv("QMM_DATA_DIR", str(tmp_path / "elsewhere"))
    assert main(["import", str(out)]) == 0
    token = capsys.readouterr().out.strip().split()[-1]
    other = service(tmp_path / "elsewhere")
    assert other.assessment_profile(LOCAL, token).model_dump_json(exclude={"gate_summary"}) == \
        svc.assessment_profile(LOCAL, ref).model_dump_json(exclude={"gate_summary"})  # fmt: skip
    assert main(["report", token, "--format", "docx", "-o", str(tmp_path / "r.docx")]) == 0
    out.write_text("[1, 2", encoding="utf-8")
    assert main(["import", str(out)]) == 1
    assert "is not valid JSON" in capsys.readouterr().err


def test_qmm_assessment_review_and_validate(assessed: tuple[AssessmentService, str, dict[str, str]],
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    from assistant.cli import main

    svc, ref, tokens = assessed
    monkeypatch.setenv("QMM_DATA_DIR", str(svc.settings.data_dir))
    monkeypatch.setenv("QMM_EMBEDDINGS", "fake")
    assert main(["assessment", "review", ref]) == 0
    out = capsys.readouterr().out
    assert out.startswith("MC-01 Quality objectives CONFLICT")
    assert f"interview {tokens['head']}" in out
    assert "Leadership review of progress: Every quarter" in out
    assert main(["assessment", "validate", ref, "MC-01", "--choose", tokens["qa"], "--reason", "register read",
                 "--who", WHO]) == 0  # fmt: skip
    assert main(["assessment", "validate", ref, "MC-01", "--value", "measurable=No", "--value",
                 "Written quality objectives=Yes", "--reason", "no targets", "--who", WHO]) == 0  # fmt: skip
    assert main(["assessment", "review", ref, "--json"]) == 0
    views = json.loads(capsys.readouterr().out.split("\n", 2)[-1])
    assert views[0]["validated"]["values"] == {"measurable": "no", "objectives_defined": "yes"}

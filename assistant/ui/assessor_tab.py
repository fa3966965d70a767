"""The Assessor tab: answers side by side, validation, the evidence register and requests, findings, the
improvement plan, and the report as a download. Layout and service calls only; every check is in the service."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.service import AssessmentService
from assistant.ui.access import Access
from assistant.ui.assessor_views import (
    PLAN_HEADERS,
    evidence_markdown,
    findings_markdown,
    plan_rows,
    requests_markdown,
    review_markdown,
)
from assistant.ui.interview_tab import service_call

NO_TARGET = "Start or resume an interview, or enter an assessment reference, first."
OWN_ANSWER = "My own consolidated answer (below)"
FORMATS = [("Word report (.docx)", "docx"), ("Spreadsheet (.xlsx)", "xlsx"), ("Markdown (.md)", "md"),
           ("JSON: the whole assessment, for qmm import (.json)", "json")]  # fmt: skip
MAX_UPLOAD = 21 * 1024 * 1024


def assessment_target(service: AssessmentService, principal: Any, interview: str | None,
                      assessment: str | None) -> str:  # fmt: skip
    """The assessment's token: the one typed, else the current interview's ('' when neither)."""
    if assessment and str(assessment).strip():
        return str(assessment).strip()[:100]
    if interview and str(interview).strip():
        return str(service_call(service.assessment_ref, principal, str(interview).strip()[:100]))
    return ""


def parse_values(text: str) -> dict[str, str]:
    """'Field: value; Field: value' (one per line or separated by ';') -> {field: value}."""
    out = {}
    for part in re.split(r"[;\n]", text or ""):
        name, sep, value = part.partition(":")
        if sep and name.strip():
            out[name.strip()] = value.strip()
    return out


class AssessorTab:
    def __init__(self, service: AssessmentService, access: Access) -> None:
        self.service, self.access = service, access

    def _target(self, request: gr.Request, interview: str | None, assessment: str | None) -> tuple[Any, str]:
        me = self.access.principal(request)
        target = assessment_target(self.service, me, interview, assessment)
        if not target:
            raise gr.Error(NO_TARGET, print_exception=False)
        return me, target

    # --- what the tab shows --------------------------------------------------------------------------------------
    def show(self, interview: str | None, assessment: str | None, request: gr.Request) -> tuple[Any, ...]:
        me, target = self._target(request, interview, assessment)
        views = service_call(self.service.assessor.review, me, target)
        evidence = service_call(self.service.assessor.evidence, me, target)
        requests = service_call(self.service.assessor.requests, me, target)
        findings = service_call(self.service.reports.findings, me, target)
        plan = service_call(self.service.reports.plan, me, target)
        questions = [(f"{v.question_id} · {v.topic}", v.question_id) for v in views]
        return (
            f"Assessment reference: `{target}`", review_markdown(views), evidence_markdown(evidence),
            requests_markdown(requests), findings_markdown(findings), plan_rows(plan),
            gr.update(choices=questions), gr.update(choices=questions),
            gr.update(choices=[(f"{f.id} · {f.title}", f.id) for f in findings]),
            gr.update(choices=[("(none)", "")] + [(f"{f.id} · {f.title}", f.id) for f in findings
                                                  if f.kind == "opportunity"]),
        )  # fmt: skip

    def quiet(self, interview: str | None, assessment: str | None, request: gr.Request) -> tuple[Any, ...]:
        """On opening the tab: the workspace if there is an assessment, else a hint (never an error popup)."""
        try:
            return self.show(interview, assessment, request)
        except gr.Error:
            return (NO_TARGET, *([gr.skip()] * 9))

    def choices_for(self, interview: str | None, assessment: str | None, question: str | None,
                    request: gr.Request) -> Any:  # fmt: skip
        """Whose answer to validate: each interviewee who answered the question, or the assessor's own."""
        me, target = self._target(request, interview, assessment)
        views = service_call(self.service.assessor.review, me, target)
        view = next((v for v in views if v.question_id == question), None)
        people = [(f"{a.interviewee} ({a.role}): L{a.level or '-'}", a.interview) for a in view.answers] if view else []
        return gr.update(choices=[*people, (OWN_ANSWER, "")], value=None)

    # --- what the assessor does ----------------------------------------------------------------------------------
    def validate(self, interview: str | None, assessment: str | None, question: str | None, chosen: str | None,
                 own: str, reason: str, who: str, request: gr.Request) -> tuple[Any, ...]:  # fmt: skip
        me, target = self._target(request, interview, assessment)
        if not question:
            raise gr.Error("Pick the question to validate.", print_exception=False)
        values = None if chosen else parse_values(own)
        if not chosen and not values:
            raise gr.Error("Pick an interviewee's answer, or write your own as 'Field: value; Field: value'.",
                           print_exception=False)  # fmt: skip
        service_call(self.service.assessor.validate, me, target, question, reason or "", chosen or None, values,
                     who or "")  # fmt: skip
        gr.Info(f"Validated {question}.")
        return self.show(interview, assessment, request)

    def add_evidence(self, interview: str | None, assessment: str | None, question: str | None, upload: Any,
                     title: str, who: str, request: gr.Request) -> tuple[Any, ...]:  # fmt: skip
        me, target = self._target(request, interview, assessment)
        if not question:
            raise gr.Error("Pick the question the evidence is for.", print_exception=False)
        if upload:
            path = Path(upload if isinstance(upload, str) else upload.name)
            if path.stat().st_size > MAX_UPLOAD:
                raise gr.Error("The file is too large for evidence (20 MB at most).", print_exception=False)
            name = title.strip() or re.sub(r"^[0-9a-f]{8,}[-_]", "", path.name)  # the upload's name, as a label only
            service_call(self.service.assessor.add_file, me, target, question, name, path.read_bytes(), who or "")
        else:
            service_call(self.service.assessor.add_record, me, target, question, title or "", None, who or "")
        gr.Info("Evidence added (claimed).")
        return self.show(interview, assessment, request)

    def mark_seen(self, interview: str | None, assessment: str | None, item: float | None, who: str,
                  request: gr.Request) -> tuple[Any, ...]:  # fmt: skip
        me, target = self._target(request, interview, assessment)
        if not item:
            raise gr.Error("Give the evidence item's id (first column).", print_exception=False)
        service_call(self.service.assessor.set_status, me, target, int(item), "seen", who or "")
        gr.Info(f"Evidence item {int(item)} marked seen.")
        return self.show(interview, assessment, request)

    def edit_finding(self, interview: str | None, assessment: str | None, finding: str | None, action: str,
                     owner: str, due: str, observation: str, who: str,
                     request: gr.Request) -> tuple[Any, ...]:  # fmt: skip
        me, target = self._target(request, interview, assessment)
        if not finding:
            raise gr.Error("Pick a finding first.", print_exception=False)
        changes = {k: v.strip() for k, v in (("owner", owner), ("due", due), ("observation", observation)) if v and
                   v.strip()} if action == "edit" else None  # fmt: skip
        service_call(self.service.reports.edit_finding, me, target, finding, action, changes, who or "")
        gr.Info(f"{'Saved' if action == 'edit' else 'Dropped'} {finding}.")
        return self.show(interview, assessment, request)

    def add_finding(self, interview: str | None, assessment: str | None, area: str | None, title: str,
                    observation: str, who: str, request: gr.Request) -> tuple[Any, ...]:  # fmt: skip
        me, target = self._target(request, interview, assessment)
        changes = {"area": area or "", "title": title.strip(), "observation": observation.strip()}
        if not all(changes.values()):
            raise gr.Error("A new finding needs its area, title and observation.", print_exception=False)
        service_call(self.service.reports.edit_finding, me, target, "", "add", changes, who or "")
        gr.Info("Finding added.")
        return self.show(interview, assessment, request)

    def save_plan(self, interview: str | None, assessment: str | None, finding: str | None, goal: str, measure: str,
                  baseline: str, target_value: str, owner: str, due: str,
                  request: gr.Request) -> tuple[Any, ...]:  # fmt: skip
        me, target = self._target(request, interview, assessment)
        item = {"finding_id": finding or None, "goal": goal, "measure": measure, "baseline": baseline or None,
                "target": target_value or None, "owner": owner or None, "due": due or None}  # fmt: skip
        if not finding:
            item["opportunity"] = goal
        saved = service_call(self.service.reports.save_plan_item, me, target, item)
        gr.Info(f"Plan item {saved.id} saved; follow-up check on {saved.follow_up}.")
        return self.show(interview, assessment, request)

    def finalise(self, interview: str | None, assessment: str | None, reopen: bool, reason: str, who: str,
                 request: gr.Request) -> tuple[Any, ...]:  # fmt: skip
        me, target = self._target(request, interview, assessment)
        service_call(self.service.reviews.finalise, me, target, reason or "", who or "", reopen)
        gr.Info("Reopened the assessment." if reopen else "Finalised: the assessment is locked.")
        return self.show(interview, assessment, request)

    def download(self, interview: str | None, assessment: str | None, fmt: str, request: gr.Request) -> str:
        import json

        from assistant.reports.render import FORMATS as KNOWN
        from assistant.reports.render import render

        me, target = self._target(request, interview, assessment)
        if fmt not in KNOWN:
            raise gr.Error("Pick a report format.", print_exception=False)
        if fmt == "json":
            data = json.dumps(service_call(self.service.reports.export, me, target), indent=2,
                              ensure_ascii=False).encode("utf-8")  # fmt: skip
            site = service_call(self.service.reports.for_assessment, me, target).site
        else:
            report = service_call(self.service.reports.for_assessment, me, target)
            data, site = render(report, fmt), report.site  # fmt was checked against the known formats above
        safe = re.sub(r"[^A-Za-z0-9]+", "-", site).strip("-")[:60] or "site"  # a user's text, never a path
        folder = Path(tempfile.mkdtemp(prefix="qmm-report-"))
        path = folder / f"QMM-report-{safe}{KNOWN[fmt].suffix}"
        path.write_bytes(data)
        return str(path)

    # --- layout ------------------------------------------------------------------------------------------------------
    def build(self, interview_ref: Any, protocol_areas: list[tuple[str, str]], local: bool) -> Any:
        private: dict[str, Any] = {"api_visibility": "private"}
        assessment = gr.Textbox(value="", label="Assessment reference (empty: the current interview's)",
                                max_length=100)  # fmt: skip
        refresh = gr.Button("Open the workspace", elem_id="assessor-open")
        where = gr.Markdown()
        who = gr.Textbox(label="Your name (assessor; goes in the audit log)", visible=local, max_length=200)
        with gr.Accordion("Answers side by side (conflicts first)", open=True):
            review = gr.Markdown(elem_id="assessor-review")
        with gr.Accordion("Validate an answer", open=False):
            with gr.Row():
                v_question = gr.Dropdown(choices=[], label="Question", elem_id="validate-question")
                v_choice = gr.Dropdown(choices=[], label="Use this answer", elem_id="validate-choice")
            v_own = gr.Textbox(label="Or your own consolidated answer: 'Field: value; Field: value'", lines=2)
            v_reason = gr.Textbox(label="Reason (goes in the audit log)", lines=2)
            v_btn = gr.Button("Validate", variant="primary", elem_id="validate")
        with gr.Accordion("Evidence register", open=False):
            evidence = gr.Markdown(elem_id="evidence-list")
            with gr.Row():
                e_question = gr.Dropdown(choices=[], label="Question", elem_id="evidence-question")
                e_title = gr.Textbox(label="Record name (title, number, date)", elem_id="evidence-title")
            e_file = gr.File(label="Or upload the record (PDF, Word, Excel, PNG, JPEG, text; 20 MB)",
                             file_types=[".pdf", ".docx", ".xlsx", ".png", ".jpg", ".jpeg", ".txt", ".csv"])
            e_btn = gr.Button("Add evidence", elem_id="add-evidence")
            with gr.Row():
                e_item = gr.Number(label="Evidence item id", precision=0, elem_id="evidence-item")
                e_seen = gr.Button("Mark seen by me (assessor)", elem_id="mark-evidence-seen")
        with gr.Accordion("Evidence requests (before an on-site visit)", open=False):
            requests = gr.Markdown(elem_id="evidence-requests")
        with gr.Accordion("Findings", open=False):
            findings = gr.Markdown(elem_id="findings")
            with gr.Row():
                f_pick = gr.Dropdown(choices=[], label="Finding", elem_id="finding-pick")
                f_owner = gr.Textbox(label="Owner")
                f_due = gr.Textbox(label="Due (YYYY-MM-DD)")
            f_obs = gr.Textbox(label="Observation (replaces the drafted one)", lines=2)
            with gr.Row():
                f_save = gr.Button("Save finding", elem_id="save-finding")
                f_drop = gr.Button("Drop finding", elem_id="drop-finding")
            with gr.Row():
                n_area = gr.Dropdown(choices=protocol_areas, label="New finding: area")
                n_title = gr.Textbox(label="Title")
            n_obs = gr.Textbox(label="Observation", lines=2)
            n_btn = gr.Button("Add finding", elem_id="add-finding")
        with gr.Accordion("Improvement plan", open=False):
            plan = gr.Dataframe(headers=PLAN_HEADERS, interactive=False, wrap=True, elem_id="plan")
            with gr.Row():
                p_finding = gr.Dropdown(choices=[], label="Opportunity (a finding)", elem_id="plan-finding")
                p_owner = gr.Textbox(label="Owner")
                p_due = gr.Textbox(label="Due (YYYY-MM-DD)")
            with gr.Row():
                p_goal = gr.Textbox(label="Goal")
                p_measure = gr.Textbox(label="Measure")
            with gr.Row():
                p_base = gr.Textbox(label="Baseline")
                p_target = gr.Textbox(label="Target")
            p_btn = gr.Button("Add to the plan", elem_id="save-plan")
        with gr.Accordion("Finalise or reopen", open=False):
            gr.Markdown("A finalised assessment is locked: no answer, evidence, finding or plan changes; a new "
                        "interview at the site starts a new assessment. Reopening needs a reason.")  # fmt: skip
            lock_reason = gr.Textbox(label="Reason (goes in the audit log)", elem_id="lock-reason")
            with gr.Row():
                lock = gr.Button("Finalise the assessment", elem_id="finalise")
                unlock = gr.Button("Reopen it", elem_id="reopen")
        with gr.Accordion("Report", open=True):
            with gr.Row():
                fmt = gr.Dropdown(choices=FORMATS, value="docx", label="Format", elem_id="report-format")
                make = gr.Button("Make the report", variant="primary", elem_id="make-report")
            report_file = gr.File(label="Download", interactive=False, elem_id="report-file")
        refs = [interview_ref, assessment]
        outs = [where, review, evidence, requests, findings, plan, v_question, e_question, f_pick, p_finding]
        refresh.click(self.show, refs, outs, api_name="assessor_workspace")
        v_question.change(self.choices_for, [*refs, v_question], v_choice, **private)
        v_btn.click(self.validate, [*refs, v_question, v_choice, v_own, v_reason, who], outs, api_name="validate")
        e_btn.click(self.add_evidence, [*refs, e_question, e_file, e_title, who], outs, api_name="add_evidence")
        e_seen.click(self.mark_seen, [*refs, e_item, who], outs, api_name="mark_evidence_seen")
        def save_finding(i: str | None, a: str | None, f: str | None, owner: str, due: str, obs: str, w: str,
                         request: gr.Request) -> tuple[Any, ...]:  # fmt: skip
            return self.edit_finding(i, a, f, "edit", owner, due, obs, w, request)

        def drop_finding(i: str | None, a: str | None, f: str | None, w: str, request: gr.Request) -> tuple[Any, ...]:
            return self.edit_finding(i, a, f, "drop", "", "", "", w, request)

        f_save.click(save_finding, [*refs, f_pick, f_owner, f_due, f_obs, who], outs, api_name="edit_finding")
        f_drop.click(drop_finding, [*refs, f_pick, who], outs, api_name="drop_finding")
        n_btn.click(self.add_finding, [*refs, n_area, n_title, n_obs, who], outs, api_name="add_finding")
        p_btn.click(self.save_plan, [*refs, p_finding, p_goal, p_measure, p_base, p_target, p_owner, p_due], outs,
                    api_name="save_plan_item")  # fmt: skip
        make.click(self.download, [*refs, fmt], report_file, api_name="download_report")

        def finalise(i: str | None, a: str | None, reason: str, w: str, request: gr.Request) -> tuple[Any, ...]:
            return self.finalise(i, a, False, reason, w, request)

        def reopen(i: str | None, a: str | None, reason: str, w: str, request: gr.Request) -> tuple[Any, ...]:
            return self.finalise(i, a, True, reason, w, request)

        lock.click(finalise, [*refs, lock_reason, who], outs, api_name="finalise_assessment")
        unlock.click(reopen, [*refs, lock_reason, who], outs, api_name="reopen_assessment")
        return refs, outs

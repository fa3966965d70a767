"""The Gradio app: Interview, Guidance, Results, Protocol and Score tabs. Layout and service calls only.

Per-user state lives in ``gr.State`` (see ``interview_tab``); nothing per-user lives in module globals. Every event
a client needs has a stable ``api_name``: start_interview, resume_interview, send, submit_form, save_edits, confirm
(Interview tab), results, resolve_conflict (Results), ask_guidance (Guidance), score_file (Score a file); pure UI
events are private. The README shows a ``gradio_client`` session.
"""

import os
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.report import render_profile
from assistant.service import AssessmentService
from assistant.ui.views import (
    NO_CONFLICTS,
    conflict_choices,
    conflicts_markdown,
    guidance_answer_markdown,
    passages_markdown,
    profile_rows,
    profile_summary,
    question_traces,
    radar_svg,
)


def question_markdown(service: AssessmentService, question_id: str) -> str:
    """The question, its guidance, fields and level criteria as Markdown (Protocol tab)."""
    protocol = service.protocol
    q = protocol.question(question_id)
    if q is None:
        return f"No question {question_id!r} in {protocol.ref}."
    lines = [
        f"### {q.id} · {q.topic}",
        f"**{q.text}**",
        f"*Answered by:* {', '.join(q.roles)}",
        f"**What a complete answer covers.** {q.respondent_guidance}",
        f"**How an assessor would verify it.** {q.assessor_guidance}",
        "#### Answer fields",
    ]
    for f in q.fields:
        options = f" — options: {', '.join(o.label for o in f.options)}" if f.options else ""
        lines.append(f"- **{f.label}** (`{f.type}`){options}  \n  follow-up: *{f.follow_up}*")
    lines.append("#### What each level needs (all lower levels too)")
    for level, crits in sorted(q.levels.items()):
        name = protocol.level_text(q.area, level).name
        lines.append(f"- **Level {level} · {name}:** " + "; ".join(c.why or f"{c.field} {c.op}" for c in crits))
    lines.append(f"\n*Sources:* {', '.join(q.sources)} · {protocol.ref} (our interpretation, not FDA's protocol)")
    return "\n\n".join(lines)


def question_guidance(service: AssessmentService, question_id: str) -> str:
    return "#### Guidance\n\n" + passages_markdown(service.guidance(question_id))


def ask_guidance(service: AssessmentService, query: str, area: str | None) -> str:
    return guidance_answer_markdown(service.ask(query, area or None))


class ResultsTab:
    """The Results tab's handlers: the profile of an assessment, its conflicts, and an assessor's choice."""

    def __init__(self, service: AssessmentService) -> None:
        self.service = service

    def _target(self, interview_id: float | None, assessment: float | None) -> int:
        if assessment:
            return int(assessment)
        if interview_id:
            return self._call(self.service.assessment_of, int(interview_id))  # type: ignore[no-any-return]
        return 0

    @staticmethod
    def _call(fn: Any, *args: Any) -> Any:
        from assistant.ui.interview_tab import service_call

        return service_call(fn, *args)

    def results(self, interview_id: float | None, assessment: float | None, strict: bool = True) -> tuple[Any, ...]:
        import gradio as gr

        target = self._target(interview_id, assessment)
        if not target:
            message = "Start or resume an interview, or enter an assessment id, to see results."
            if strict:
                raise gr.Error(message, print_exception=False)
            return message, [], "", "", "", gr.update(choices=[], value=None)
        profile = self._call(self.service.assessment_profile, target)
        conflicts = self._call(self.service.conflicts, target)
        prefixes = {a.id: a.prefix for a in self.service.protocol.meta.areas}
        return (
            profile_summary(profile),
            profile_rows(profile),
            radar_svg(profile, prefixes),
            question_traces(profile),
            conflicts_markdown(self.service.protocol, conflicts),
            gr.update(choices=conflict_choices(conflicts), value=None),
        )

    def resolve(self, interview_id: float | None, assessment: float | None, choice: str | None, reason: str,
                who: str) -> tuple[Any, ...]:  # fmt: skip
        import gradio as gr

        target = self._target(interview_id, assessment)
        if not target:
            raise gr.Error("Start or resume an interview, or enter an assessment id, first.", print_exception=False)
        if not choice or ":" not in choice:
            raise gr.Error("Pick the answer to use (question and interviewee) first.", print_exception=False)
        question_id, chosen = choice.split(":", 1)
        self._call(self.service.resolve_conflict, target, question_id, int(chosen), reason or "", who or "")
        gr.Info(f"Saved: {question_id} now uses the answer you chose.")
        return self.results(interview_id, assessment)


def build_app(service: AssessmentService):  # type: ignore[no-untyped-def]
    import gradio as gr

    from assistant.ui.interview_tab import InterviewTab, service_call

    protocol = service.protocol
    interview = InterviewTab(service)
    results = ResultsTab(service)
    choices = [(f"{q.id} · {q.topic}", q.id) for q in protocol.active_questions]
    private: dict[str, Any] = {"api_visibility": "private"}

    def score_upload(path: str | None) -> str:
        if not path:
            return "Upload a YAML or JSON file of structured answers keyed by question id."
        try:
            return render_profile(service.score_file(Path(path)))
        except AssistantError as exc:
            return f"Could not score this file:\n{exc}"

    def guidance_answer(query: str, area: str | None) -> str:
        if not (query or "").strip():
            raise gr.Error("Type a question about QMM first.", print_exception=False)
        return service_call(ask_guidance, service, query, area)  # type: ignore[no-any-return]

    with gr.Blocks(title="QMM Assessment Assistant", analytics_enabled=False) as app:
        gr.Markdown(
            f"# QMM Assessment Assistant\n{protocol.meta.title} · `{protocol.ref}` · "
            f"{len(protocol.active_questions)} questions in {len(protocol.meta.areas)} practice areas. "
            "*Our own self-assessment (our interpretation of QMM), not FDA's protocol.*"
        )
        with gr.Tab("Interview"):
            interview.build()
        with gr.Tab("Guidance"):
            areas = [("All practice areas", "")] + [(a.name, a.id) for a in protocol.meta.areas]
            with gr.Row():
                query = gr.Textbox(label="Ask about QMM", placeholder="e.g. what does FDA mean by QMM?", scale=4)
                area = gr.Dropdown(choices=areas, value="", label="Practice area", scale=1)
            answer = gr.Markdown()
            query.submit(guidance_answer, inputs=[query, area], outputs=answer, api_name="ask_guidance")
        with gr.Tab("Results") as results_tab:
            assessment = gr.Number(value=0, precision=0, label="Assessment id (0 = the current interview's)")
            refresh = gr.Button("Refresh results")
            summary = gr.Markdown()
            with gr.Row():
                table = gr.Dataframe(headers=["Practice area", "Score", "Level", "Assessed", "N/A", "Levels"],
                                     interactive=False, scale=3)  # fmt: skip
                radar = gr.HTML()
            conflicts = gr.Markdown(elem_id="conflicts")
            with gr.Accordion("Resolve a conflict (assessor)", open=True, visible=False) as resolve_box:
                with gr.Row():
                    chosen = gr.Dropdown(choices=[], label="Use this answer", scale=3, min_width=200,
                                         elem_id="conflict-choice")  # fmt: skip
                    assessor = gr.Textbox(label="Your name (assessor)", scale=2, min_width=160)
                reason = gr.Textbox(label="Reason (goes in the audit log)", lines=2)
                resolve_btn = gr.Button("Use this answer", variant="primary", elem_id="resolve")
            traces = gr.Markdown()
        with gr.Tab("Protocol"):
            pick_q = gr.Dropdown(choices=choices, value=choices[0][1], label="Question")
            with gr.Row():
                shown = gr.Markdown(question_markdown(service, choices[0][1]))
                q_guidance = gr.Markdown()
            pick_q.change(lambda qid: question_markdown(service, qid), inputs=pick_q, outputs=shown, **private)
            pick_q.change(lambda qid: question_guidance(service, qid), inputs=pick_q, outputs=q_guidance, **private)
        with gr.Tab("Score a file"):
            upload = gr.File(label="Structured answers (YAML or JSON)", file_types=[".yaml", ".yml", ".json"])
            scored = gr.Textbox(label="Site profile", lines=30, buttons=["copy"])
            upload.change(score_upload, inputs=upload, outputs=scored, api_name="score_file")

        interview.wire_load(app)
        result_outputs = [summary, table, radar, traces, conflicts, chosen]
        for event in (
            refresh.click(results.results, [interview.interview_id, assessment], result_outputs, api_name="results"),
            results_tab.select(lambda i, a: results.results(i, a, strict=False), [interview.interview_id, assessment],
                               result_outputs, **private),
            resolve_btn.click(results.resolve, [interview.interview_id, assessment, chosen, reason, assessor],
                              result_outputs, api_name="resolve_conflict"),
        ):  # fmt: skip
            event.then(lambda shown: gr.update(visible=bool(shown) and shown != NO_CONFLICTS), conflicts,
                       resolve_box, **private)  # fmt: skip
    return app


def launch(service: AssessmentService) -> None:
    """Prepare what is missing (the guidance index), then serve. `qmm serve` and `python app.py` both land here."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    report = service.index.ensure(show_progress=True)
    if report is not None:
        print(f"built the guidance index: {report.notes} notes in {report.seconds:.1f} s")
    for warning in service.warnings:
        print(f"warning: {warning}")
    settings = service.settings
    print(f"QMM Assessment Assistant: {service.protocol.ref} on http://{settings.host}:{settings.port}")
    from assistant.ui.interview_tab import CSS

    build_app(service).launch(server_name=settings.host, server_port=settings.port, footer_links=[], css=CSS)

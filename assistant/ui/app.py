"""The Gradio app: Interview, Guidance, Results, Protocol and Score tabs. Layout and service calls only.

Per-user state is the interview state in ``gr.State``; nothing per-user lives in module globals. The interview id
is also written into the page URL (``?interview=N``), so a reload or a server restart resumes from the database.
"""

import os
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.interview import InterviewState
from assistant.report import render_profile
from assistant.service import AssessmentService, Turn
from assistant.ui.views import (
    CARD_HEADERS,
    card_rows,
    chat_messages,
    guidance_answer_markdown,
    passages_markdown,
    profile_rows,
    profile_summary,
    progress_markdown,
    question_panel,
    question_traces,
    radar_svg,
)

SET_URL_JS = """(id) => {
  if (id) { const u = new URL(window.location); u.searchParams.set('interview', id);
            window.history.replaceState(null, '', u); }
  return [];
}"""
COMMAND_BUTTONS = [
    ("Skip", "skip"),
    ("Back", "back"),
    ("N/A", "n/a"),
    ("Why this question?", "why"),
    ("How would this score?", "score"),
    ("Pause", "pause"),
    ("Resume", "resume"),
]


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


class InterviewView:
    """Turns a service Turn into the values of the Interview tab's components (in a fixed order)."""

    def __init__(self, service: AssessmentService) -> None:
        self.service = service

    def outputs(self, turn: Turn | None, chat: list[dict[str, str]], keep_text: str = "") -> tuple[Any, ...]:
        import gradio as gr

        state = turn.state if turn else None
        protocol = self.service.protocol
        progress = self.service.engine.progress(state) if state else {}
        if turn is not None:
            chat = [*chat, *chat_messages(turn.messages)]
        guidance = gr.skip()
        if turn is not None and turn.guidance is not None:
            guidance = "#### Guidance\n\n" + passages_markdown(turn.guidance)
        elif state is not None and state.current:
            guidance = "#### Guidance\n\n" + passages_markdown(self.service.guidance(state.current))
        quick = turn.quick_replies if turn else []
        return (
            chat,
            keep_text,
            state.model_dump(mode="json") if state else None,
            state.interview_id if state else 0,
            question_panel(protocol, state),
            progress_markdown(protocol, state, progress),
            card_rows(protocol, state),
            guidance,
            gr.update(choices=quick, value=None, visible=bool(quick)),
        )


def build_app(service: AssessmentService):  # type: ignore[no-untyped-def]
    import gradio as gr

    protocol = service.protocol
    view = InterviewView(service)
    choices = [(f"{q.id} · {q.topic}", q.id) for q in protocol.active_questions]

    def resume_choices() -> list[tuple[str, int]]:
        return [(f"#{i['id']} {i['site']} · {i['interviewee']} ({i['role']})", i["id"]) for i in service.interviews()]

    def start(site: str, name: str, role: str) -> tuple[Any, ...]:
        try:
            turn = service.start_interview(site, name, role)
        except AssistantError as exc:
            gr.Warning(str(exc))
            return view.outputs(None, [])
        return view.outputs(turn, [])

    def resume(interview_id: int | None) -> tuple[Any, ...]:
        if not interview_id:
            return view.outputs(None, [])
        try:
            turn = service.resume_interview(int(interview_id))
        except AssistantError as exc:
            gr.Warning(str(exc))
            return view.outputs(None, [])
        return view.outputs(turn, [])

    def on_load(request: gr.Request) -> tuple[Any, ...]:
        raw = request.query_params.get("interview") if request else None
        if raw and raw.isdigit():
            return resume(int(raw))
        return view.outputs(None, [])

    def send(message: str, state: dict[str, Any] | None, chat: list[dict[str, str]]) -> tuple[Any, ...]:
        if state is None:
            gr.Warning("Start or resume an interview first.")
            return view.outputs(None, chat, keep_text=message)
        if not message.strip():
            return view.outputs(None, chat)
        current = InterviewState.model_validate(state)
        try:
            turn = service.turn(current, message)
        except AssistantError as exc:
            gr.Warning(str(exc))
            return view.outputs(None, chat, keep_text=message)
        shown = [*chat, {"role": "user", "content": message}]
        return view.outputs(turn, shown, keep_text=turn.kept_text)

    def save_edits(rows: Any, state: dict[str, Any] | None, chat: list[dict[str, str]]) -> tuple[Any, ...]:
        if state is None:
            return view.outputs(None, chat)
        current = InterviewState.model_validate(state)
        shown = {r[0]: r[1] for r in card_rows(protocol, current)}
        table = rows.values.tolist() if hasattr(rows, "values") else rows
        edits = {
            str(row[0]): str(row[1]).strip()
            for row in table or []
            if str(row[0]) in shown and row[1] is not None and str(row[1]).strip() not in ("", shown[str(row[0])])
        }
        try:
            turn = service.apply_edits(current, edits)
        except AssistantError as exc:
            gr.Warning(str(exc))
            return view.outputs(None, chat)
        if turn is None:
            return view.outputs(None, chat)
        chat = [*chat, *({"role": "user", "content": f"edit {k} = {v}"} for k, v in edits.items())]
        return view.outputs(turn, chat)

    def results(interview_id: int, assessment: int | None) -> tuple[str, list[list[str]], str, str]:
        target = assessment
        if not target and interview_id:
            raw_state = service.resume_interview(int(interview_id)).state
            target = raw_state.assessment_id
        if not target:
            return "Start or resume an interview, or pick an assessment.", [], "", ""
        profile = service.assessment_profile(int(target))
        prefixes = {a.id: a.prefix for a in protocol.meta.areas}
        return profile_summary(profile), profile_rows(profile), radar_svg(profile, prefixes), question_traces(profile)

    def score_upload(path: str | None) -> str:
        if not path:
            return "Upload a YAML or JSON file of structured answers keyed by question id."
        try:
            return render_profile(service.score_file(Path(path)))
        except AssistantError as exc:
            return f"Could not score this file:\n{exc}"

    with gr.Blocks(title="QMM Assessment Assistant", analytics_enabled=False) as app:
        state = gr.State(None)
        interview_id = gr.Number(value=0, visible=False, precision=0, elem_id="interview-id")
        gr.Markdown(
            f"# QMM Assessment Assistant\n{protocol.meta.title} · `{protocol.ref}` · "
            f"{len(protocol.active_questions)} questions in {len(protocol.meta.areas)} practice areas. "
            "*Our own self-assessment (our interpretation of QMM), not FDA's protocol.*"
        )
        with gr.Tab("Interview"):
            with gr.Row():
                site = gr.Textbox(label="Site", placeholder="e.g. Harford tablet plant", scale=2)
                name = gr.Textbox(label="Your name", scale=2)
                role = gr.Dropdown(choices=service.roles(), value="qa_head", label="Your role", scale=2)
                start_btn = gr.Button("Start interview", variant="primary", scale=1)
            with gr.Row():
                pick = gr.Dropdown(choices=resume_choices(), label="Or resume an interview", scale=4)
                resume_btn = gr.Button("Resume", scale=1)
            with gr.Row():
                with gr.Column(scale=3):
                    chat = gr.Chatbot(label="Interview", height=460)
                    quick = gr.Radio(choices=[], label="Quick replies", visible=False)
                    with gr.Row():
                        text = gr.Textbox(label="Your answer", placeholder="Answer in your own words",
                                          lines=2, scale=5, elem_id="answer-box")  # fmt: skip
                        send_btn = gr.Button("Send", variant="primary", scale=1, elem_id="send")
                    with gr.Row():
                        buttons = [gr.Button(label, size="sm") for label, _ in COMMAND_BUTTONS]
                with gr.Column(scale=2):
                    question = gr.Markdown(question_panel(protocol, None))
                    progress = gr.Markdown()
                    card = gr.Dataframe(headers=CARD_HEADERS, label="Structured answer (edit the value column)",
                                        interactive=True, wrap=True, elem_id="card")  # fmt: skip
                    with gr.Row():
                        edit_btn = gr.Button("Save edits", size="sm")
                        confirm_btn = gr.Button("Confirm answer", variant="primary", size="sm", elem_id="confirm")
                    guidance = gr.Markdown()
        with gr.Tab("Guidance"):
            areas = [("All practice areas", "")] + [(a.name, a.id) for a in protocol.meta.areas]
            with gr.Row():
                query = gr.Textbox(label="Ask about QMM", placeholder="e.g. what does FDA mean by QMM?", scale=4)
                area = gr.Dropdown(choices=areas, value="", label="Practice area", scale=1)
            answer = gr.Markdown()
            query.submit(lambda q, a: ask_guidance(service, q, a), inputs=[query, area], outputs=answer)
        with gr.Tab("Results") as results_tab:
            assessment = gr.Number(value=0, precision=0, label="Assessment id (0 = the current interview's)")
            refresh = gr.Button("Refresh results")
            summary = gr.Markdown()
            with gr.Row():
                table = gr.Dataframe(headers=["Practice area", "Score", "Level", "Assessed", "N/A", "Levels"],
                                     interactive=False, scale=3)  # fmt: skip
                radar = gr.HTML()
            traces = gr.Markdown()
        with gr.Tab("Protocol"):
            pick_q = gr.Dropdown(choices=choices, value=choices[0][1], label="Question")
            with gr.Row():
                shown = gr.Markdown(question_markdown(service, choices[0][1]))
                q_guidance = gr.Markdown()
            pick_q.change(lambda qid: question_markdown(service, qid), inputs=pick_q, outputs=shown)
            pick_q.change(lambda qid: question_guidance(service, qid), inputs=pick_q, outputs=q_guidance)
        with gr.Tab("Score a file"):
            upload = gr.File(label="Structured answers (YAML or JSON)", file_types=[".yaml", ".yml", ".json"])
            scored = gr.Textbox(label="Site profile", lines=30, buttons=["copy"])
            upload.change(score_upload, inputs=upload, outputs=scored)

        outputs = [chat, text, state, interview_id, question, progress, card, guidance, quick]
        for event in (
            start_btn.click(start, [site, name, role], outputs),
            resume_btn.click(resume, [pick], outputs),
        ):
            event.then(None, [interview_id], None, js=SET_URL_JS)
        app.load(on_load, None, outputs)
        for trigger in (send_btn.click, text.submit):
            trigger(send, [text, state, chat], outputs)
        quick.input(send, [quick, state, chat], outputs)
        for button, (_, command) in zip(buttons, COMMAND_BUTTONS, strict=True):
            button.click(lambda s, c, cmd=command: send(cmd, s, c), [state, chat], outputs)
        confirm_btn.click(lambda s, c: send("confirm", s, c), [state, chat], outputs)
        edit_btn.click(save_edits, [card, state, chat], outputs)
        result_outputs = [summary, table, radar, traces]
        refresh.click(results, [interview_id, assessment], result_outputs)
        results_tab.select(results, [interview_id, assessment], result_outputs)
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
    build_app(service).launch(server_name=settings.host, server_port=settings.port, footer_links=[])

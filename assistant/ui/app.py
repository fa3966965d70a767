"""The Gradio app. Tabs only lay out what ``AssessmentService`` returns; per-user state would live in gr.State."""

from __future__ import annotations

import html
import os

from assistant.errors import AssistantError
from assistant.report import render_profile
from assistant.retrieval.index import NO_STRONG_GUIDANCE
from assistant.retrieval.models import Passage
from assistant.service import AssessmentService


def question_markdown(service: AssessmentService, question_id: str) -> str:
    """The question, its guidance, fields and level criteria as Markdown."""
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


def passages_markdown(passages: list[Passage], message: str | None = None) -> str:
    """Passages with their citations; each opens on the passage text (a collapsible block)."""
    if not passages:
        return message or NO_STRONG_GUIDANCE
    blocks = []
    for p in passages:
        tag = "linked to this question" if p.linked else f"similarity {p.dense:.2f}" if p.dense is not None else ""
        blocks.append(
            f"<details><summary><b>{html.escape(p.title, quote=False)}</b> · {html.escape(p.citation(), quote=False)}"
            f" <small>({tag})</small></summary>\n\n{html.escape(p.text, quote=False)}\n\n"
            f"<small>{html.escape(p.path, quote=False)}</small></details>"
        )
    return "\n\n".join(blocks)


def question_guidance(service: AssessmentService, question_id: str) -> str:
    question = service.protocol.question(question_id)
    if question is None:
        return ""
    return "#### Guidance\n\n" + passages_markdown(service.ready_index().for_question(question, k=3))


def ask_guidance(service: AssessmentService, query: str, area: str | None) -> str:
    result = service.ready_index().search(query, k=5, area=area or None)
    return passages_markdown(result.passages, result.message)


def build_app(service: AssessmentService):  # type: ignore[no-untyped-def]
    import gradio as gr

    protocol = service.protocol
    choices = [(f"{q.id} · {q.topic}", q.id) for q in protocol.active_questions]

    def score_upload(path: str | None) -> str:
        if not path:
            return "Upload a YAML or JSON file of structured answers keyed by question id."
        try:
            from pathlib import Path

            return render_profile(service.score_file(Path(path)))
        except AssistantError as exc:
            return f"Could not score this file:\n{exc}"

    with gr.Blocks(title="QMM Assessment Assistant", analytics_enabled=False) as app:
        gr.Markdown(
            f"# QMM Assessment Assistant\n{protocol.meta.title} · `{protocol.ref}` · "
            f"{len(protocol.active_questions)} questions in {len(protocol.meta.areas)} practice areas.  \n"
            f"*{protocol.meta.interpretation_note}*"
        )
        with gr.Tab("Protocol"):
            pick = gr.Dropdown(choices=choices, value=choices[0][1], label="Question")
            with gr.Row():
                shown = gr.Markdown(question_markdown(service, choices[0][1]))
                guidance = gr.Markdown(question_guidance(service, choices[0][1]))
            pick.change(lambda qid: question_markdown(service, qid), inputs=pick, outputs=shown)
            pick.change(lambda qid: question_guidance(service, qid), inputs=pick, outputs=guidance)
        with gr.Tab("Guidance"):
            areas = [("All practice areas", "")] + [(a.name, a.id) for a in protocol.meta.areas]
            with gr.Row():
                query = gr.Textbox(label="Ask about QMM", placeholder="e.g. what does FDA mean by QMM?", scale=4)
                area = gr.Dropdown(choices=areas, value="", label="Practice area", scale=1)
            answer = gr.Markdown()
            query.submit(lambda q, a: ask_guidance(service, q, a), inputs=[query, area], outputs=answer)
        with gr.Tab("Score"):
            upload = gr.File(label="Structured answers (YAML or JSON)", file_types=[".yaml", ".yml", ".json"])
            result = gr.Textbox(label="Site profile", lines=30, buttons=["copy"])
            upload.change(score_upload, inputs=upload, outputs=result)
    return app


def launch(service: AssessmentService) -> None:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    settings = service.settings
    build_app(service).launch(server_name=settings.host, server_port=settings.port, footer_links=[])

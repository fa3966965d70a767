"""The Gradio app: Interview, Guidance, Results, Protocol and Score tabs. Layout and service calls only.

Per-user state lives in ``gr.State`` (see ``interview_tab``); nothing per-user lives in module globals. Every event
a client needs has a stable ``api_name``: start_interview, resume_interview, send, submit_form, save_edits, confirm
(Interview tab), results, resolve_conflict (Results), ask_guidance (Guidance), score_file (Score a file); pure UI
events are private. The README shows a ``gradio_client`` session.

Access: with no account in the database the app runs in local single-user mode (loopback only, said on the page);
once an account exists Gradio's login form guards it (``auth=`` backed by our user table) and every handler passes
the caller's principal to the service, which checks it. Interviews and assessments appear only as tokens.
"""

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.auth import is_loopback
from assistant.errors import AssistantError
from assistant.report import render_profile
from assistant.service import AssessmentService
from assistant.ui.views import (
    NO_CONFLICTS,
    conflict_choices,
    conflicts_markdown,
    esc,
    gate_choices,
    gate_markdown,
    gate_shown,
    guidance_answer_markdown,
    passages_markdown,
    profile_rows,
    profile_summary,
    question_traces,
    radar_svg,
    role_label,
)


def area_table_markdown(rows: Any) -> str:
    """The Results tab's area table as Markdown (a Dataframe does not print)."""
    data = rows.values.tolist() if hasattr(rows, "values") else (rows or {}).get("data", rows) or []
    if not data:
        return ""
    lines = ["| Practice area | Score | Level | Assessed | N/A | Levels |", "|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(esc(str(c)).replace("|", "\\|") for c in row) + " |" for row in data]
    return "\n".join(lines)


def question_markdown(service: AssessmentService, question_id: str) -> str:
    """The question, who answers it, its level criteria (level 1 too), its sources by name and the notes to read
    first, as Markdown (Protocol tab)."""
    from assistant.ui.learn_views import question_notes_markdown

    protocol = service.protocol
    q = protocol.question(question_id)
    if q is None:
        return f"No question {question_id!r} in {protocol.ref}."
    lines = [
        f"### {q.id} · {q.topic}",
        f"**{q.text}**",
        f"*Answered by:* {', '.join(role_label(protocol, r) for r in q.roles)}",
        f"**What a complete answer covers.** {q.respondent_guidance}",
        f"**How an assessor would verify it.** {q.assessor_guidance}",
        "#### Answer fields",
    ]
    for f in q.fields:
        options = f" — options: {', '.join(o.label for o in f.options)}" if f.options else ""
        lines.append(f"- **{f.label}** (`{f.type}`){options}  \n  follow-up: *{f.follow_up}*")
    lines.append("#### What each level needs (all lower levels too)")
    first = protocol.level_text(q.area, 1)
    lines.append(f"- **Level 1 · {first.name}:** where level 2 is not met. {first.description}")
    for level, crits in sorted(q.levels.items()):
        name = protocol.level_text(q.area, level).name
        needs = "; ".join((c.why or f"{c.field} {c.op}").rstrip(".") for c in crits)
        lines.append(f"- **Level {level} · {name}:** {needs}.")
    named = [title for title, _ in service.learning.source_titles(q.sources)]
    lines.append(f"*Sources:* {'; '.join(named)} · {protocol.ref} (our interpretation, not FDA's protocol)")
    lines.append(question_notes_markdown(service.learning.question_notes(q.id)))
    return "\n\n".join(lines)


def question_guidance(service: AssessmentService, question_id: str) -> str:
    return "#### Guidance\n\n" + passages_markdown(service.guidance(question_id))


def ask_guidance(service: AssessmentService, principal: Any, query: str, area: str | None) -> str:
    return guidance_answer_markdown(service.ask(principal, query, area or None))


class ResultsTab:
    """The Results tab's handlers: the profile of an assessment, its conflicts, and an assessor's choice."""

    def __init__(self, service: AssessmentService, access: Any) -> None:
        self.service, self.access = service, access

    def _target(self, principal: Any, interview: str | None, assessment: str | None) -> str:
        from assistant.ui.assessor_tab import assessment_target

        return assessment_target(self.service, principal, interview, assessment)

    @staticmethod
    def _call(fn: Any, *args: Any) -> Any:
        from assistant.ui.interview_tab import service_call

        return service_call(fn, *args)

    def results(self, interview: str | None, assessment: str | None, request: Any = None,
                strict: bool = True) -> tuple[Any, ...]:  # fmt: skip
        import gradio as gr

        me = self.access.principal(request)
        target = self._target(me, interview, assessment)
        if not target:
            message = "Start or resume an interview, or enter an assessment reference, to see results."
            if strict:
                raise gr.Error(message, print_exception=False)
            return message, [], "", "", "", gr.update(choices=[], value=None)
        profile = self._call(self.service.assessment_profile, me, target)
        conflicts = self._call(self.service.conflicts, me, target)
        protocol = self._call(self.service.assessment_protocol, me, target)
        prefixes = {a.id: a.prefix for a in protocol.meta.areas}
        gate = gate_markdown(profile)
        info = self._call(self.service.assessment_info, me, target)
        heard = self._call(self.service.heard, me, target)
        people = sorted({(a.interviewee, role_label(protocol, a.role)) for answers in heard.values() for a in answers})
        who = ", ".join(f"{esc(name)} ({esc(role)})" for name, role in people) or "nobody yet"
        head = (f"**{esc(info['site'])}** · assessment begun {info['created_at'][:10]} · {info['status']} · "
                f"reference `{target}`\n\nAnswered by: {who}\n\n")  # fmt: skip
        return (
            head + profile_summary(profile) + (f"\n\n{gate}" if gate else ""),
            profile_rows(profile),
            radar_svg(profile, prefixes),
            question_traces(profile),
            conflicts_markdown(protocol, conflicts),
            gr.update(choices=conflict_choices(conflicts), value=None),
        )

    def gate_controls(self, interview: str | None, assessment: str | None, request: Any = None) -> tuple[Any, ...]:
        """The gate answers' box: shown for an assessment on the active protocol's gate, with its saved answers."""
        import gradio as gr

        items = self.gate_items()
        me = self.access.principal(request)
        try:
            target = self._target(me, interview, assessment)
            protocol, saved = self.service.reviews.gate(me, target) if target else (None, {})
        except AssistantError:
            protocol, saved = None, {}
        gate = protocol.meta.gate if protocol is not None else None
        same = gate is not None and [i.id for i in gate.items] == [i.id for i in items]
        return (gr.update(visible=same), *(gr.update(value=gate_shown(i, saved.get(i.id))) for i in items))

    def gate_items(self) -> list[Any]:
        gate = self.service.protocol.meta.gate
        return list(gate.items) if gate else []

    def save_gate(self, interview: str | None, assessment: str | None, *values: Any, request: Any = None) -> Any:
        import gradio as gr

        me = self.access.principal(request)
        target = self._target(me, interview, assessment)
        if not target:
            raise gr.Error("Start or resume an interview, or enter an assessment reference, first.",
                           print_exception=False)  # fmt: skip
        answers = {item.id: ("" if v is None else v) for item, v in zip(self.gate_items(), values, strict=True)}
        self._call(self.service.reviews.set_gate, me, target, answers)
        gr.Info("Saved the compliance gate answers.")
        return self.results(interview, assessment, request)

    def seen_text(self, interview: str | None, assessment: str | None, question: str | None,
                  request: Any = None) -> str:  # fmt: skip
        me = self.access.principal(request)
        target = self._target(me, interview, assessment)
        if not target or not question:
            return ""
        records = self._call(self.service.reviews.seen, me, target).get(question, {}).get("records", [])
        return "\n".join(records)

    def save_seen(self, interview: str | None, assessment: str | None, question: str | None, text: str, who: str,
                  request: Any = None) -> Any:  # fmt: skip
        import gradio as gr

        me = self.access.principal(request)
        target = self._target(me, interview, assessment)
        if not target or not question:
            raise gr.Error("Pick a question (and open an assessment) first.", print_exception=False)
        records = [line.strip() for line in (text or "").splitlines() if line.strip()]
        self._call(self.service.reviews.mark_seen, me, target, question, records, who or "")
        gr.Info(f"Saved {len(records)} record(s) seen for {question}.")
        return self.results(interview, assessment, request)

    def resolve(self, interview: str | None, assessment: str | None, choice: str | None, reason: str,
                who: str, request: Any = None) -> tuple[Any, ...]:  # fmt: skip
        import gradio as gr

        me = self.access.principal(request)
        target = self._target(me, interview, assessment)
        if not target:
            raise gr.Error("Start or resume an interview, or enter an assessment reference, first.",
                           print_exception=False)  # fmt: skip
        if not choice or ":" not in choice:
            raise gr.Error("Pick the answer to use (question and interviewee) first.", print_exception=False)
        question_id, chosen = choice.split(":", 1)
        self._call(self.service.resolve_conflict, me, target, question_id, chosen, reason or "", who or "")
        gr.Info(f"Saved: {question_id} now uses the answer you chose.")
        return self.results(interview, assessment, request)


def build_app(service: AssessmentService, local: bool | None = None):  # type: ignore[no-untyped-def]
    """The Blocks app; ``local``: single-user local mode (default: when no account exists)."""
    import gradio as gr

    from assistant.ui.access import LOCAL_BANNER, Access
    from assistant.ui.assessor_tab import AssessorTab
    from assistant.ui.interview_tab import InterviewTab, service_call
    from assistant.ui.learn_tab import LearnTab
    from assistant.ui.portfolio_tab import PortfolioTab

    protocol = service.protocol
    access = Access(service, service.local_mode() if local is None else local)
    interview = InterviewTab(service, access)
    results = ResultsTab(service, access)
    assessor_ui = AssessorTab(service, access)
    portfolio_ui = PortfolioTab(service, access)
    learn_ui = LearnTab(service, access)
    choices = [(f"{q.id} · {q.topic}", q.id) for q in protocol.active_questions]
    private: dict[str, Any] = {"api_visibility": "private"}

    def score_upload(path: str | None) -> str:
        if not path:
            return "Upload a YAML or JSON file of structured answers keyed by question id."
        try:
            return render_profile(service.score_file(Path(path)))
        except AssistantError as exc:
            return f"Could not score this file:\n{exc}"

    def guidance_answer(query: str, area: str | None, request: gr.Request) -> str:
        if not (query or "").strip():
            raise gr.Error("Type a question about QMM first.", print_exception=False)
        return service_call(ask_guidance, service, access.principal(request), query, area)  # type: ignore[no-any-return]

    def results_handler(interview_ref: str | None, assessment_ref: str | None, request: gr.Request) -> Any:
        return results.results(interview_ref, assessment_ref, request)

    def results_quiet(interview_ref: str | None, assessment_ref: str | None, request: gr.Request) -> Any:
        return results.results(interview_ref, assessment_ref, request, strict=False)

    def resolve_handler(interview_ref: str | None, assessment_ref: str | None, choice: str | None, why: str,
                        who: str, request: gr.Request) -> Any:  # fmt: skip
        return results.resolve(interview_ref, assessment_ref, choice, why, who, request)

    def print_header(interview_ref: str | None, assessment_ref: str | None, request: gr.Request) -> str:
        """The line printed at the top of every page of the Results and Assessor tabs."""
        try:
            me = access.principal(request)
            target = results._target(me, interview_ref, assessment_ref)
            info = service.assessment_info(me, target) if target else None
        except (gr.Error, AssistantError):
            info = None
        if info is None:
            return ""
        today = datetime.now(UTC).date().isoformat()
        return (f"{esc(info['site'])} · {info['protocol']} · assessment `{info['token']}` begun "
                f"{info['created_at'][:10]} · printed {today} · our self-assessment rubric, not an FDA rating")

    def gate_refresh(interview_ref: str | None, assessment_ref: str | None, request: gr.Request) -> Any:
        return results.gate_controls(interview_ref, assessment_ref, request)

    def gate_handler(request: gr.Request, interview_ref: str | None, assessment_ref: str | None, *values: Any) -> Any:
        # the request comes first: Gradio injects it only among the parameters before *values
        return results.save_gate(interview_ref, assessment_ref, *values, request=request)

    def seen_handler(interview_ref: str | None, assessment_ref: str | None, question: str | None, text: str,
                     who: str, request: gr.Request) -> Any:  # fmt: skip
        return results.save_seen(interview_ref, assessment_ref, question, text, who, request)

    def seen_load(interview_ref: str | None, assessment_ref: str | None, question: str | None,
                  request: gr.Request) -> str:  # fmt: skip
        return results.seen_text(interview_ref, assessment_ref, question, request)

    seen_questions = [(f"{q.id} · {q.topic}", q.id) for q in protocol.active_questions
                      if any(f.evidence_status == "seen" for f in q.fields)]  # fmt: skip

    with gr.Blocks(title="QMM Assessment Assistant", analytics_enabled=False) as app:
        print_head = gr.Markdown(elem_classes="print-head")
        gr.Markdown(
            f"# QMM Assessment Assistant\n{protocol.meta.title} · `{protocol.ref}` · "
            f"{len(protocol.active_questions)} questions in {len(protocol.meta.areas)} practice areas. "
            "*Our own self-assessment (our interpretation of QMM), not FDA's protocol.*"
        )
        with gr.Row(equal_height=True):
            banner = gr.Markdown(LOCAL_BANNER if access.local else "", elem_id="who")
            logout = gr.Button("Log out", size="sm", scale=0, min_width=90, visible=not access.local,
                               elem_id="logout")  # fmt: skip
        with gr.Tab("Interview"):
            interview.build()
        with gr.Tab("Guidance"):
            areas = [("All practice areas", "")] + [(a.name, a.id) for a in protocol.meta.areas]
            with gr.Row():
                query = gr.Textbox(label="Ask about QMM", placeholder="e.g. what does FDA mean by QMM?", scale=4)
                area = gr.Dropdown(choices=areas, value="", label="Practice area", scale=1)
            answer = gr.Markdown()
            query.submit(guidance_answer, inputs=[query, area], outputs=answer, api_name="ask_guidance")
        with gr.Tab("Learn") as learn_tab:
            learn_overview, learn_score = learn_ui.build([(a.name, a.id) for a in protocol.meta.areas])
        with gr.Tab("Results") as results_tab:
            assessment = gr.Textbox(value="", label="Assessment reference (empty: the current interview's)",
                                    max_length=100)  # fmt: skip
            refresh = gr.Button("Refresh results")
            summary = gr.Markdown(elem_id="summary")
            with gr.Row():
                table = gr.Dataframe(headers=["Practice area", "Score", "Level", "Assessed", "N/A", "Levels"],
                                     interactive=False, scale=3, elem_id="results-table")  # fmt: skip
                radar = gr.HTML(elem_id="radar")
            print_areas = gr.Markdown(elem_classes="print-only")  # the area table as text, for printing
            with gr.Accordion("Compliance gate answers (never scored)", open=False, visible=False) as gate_box:
                gate_controls: list[Any] = []
                for item in results.gate_items():
                    options = gate_choices(item)
                    info = f"{item.text} ({item.kind.replace('_', ' ')})"
                    if options is None:
                        gate_controls.append(gr.Textbox(label=item.label, info=info, max_length=200,
                                                        placeholder="YYYY-MM-DD" if item.type == "date" else "",
                                                        elem_id=f"gate-{item.id}"))  # fmt: skip
                    else:
                        gate_controls.append(gr.Radio(choices=options, label=item.label, info=info,
                                                      elem_id=f"gate-{item.id}"))  # fmt: skip
                gate_btn = gr.Button("Save gate answers", elem_id="save-gate")
            with gr.Accordion("Records the assessor has seen (assessor)", open=False, visible=bool(seen_questions)):
                gr.Markdown("Levels 4 and 5 of this protocol need records an assessor has seen. List the ones you "
                            "have seen for a question, one per line (title, number, date).")  # fmt: skip
                with gr.Row():
                    seen_q = gr.Dropdown(choices=seen_questions, value=None, label="Question", scale=3,
                                         min_width=200, elem_id="seen-question")  # fmt: skip
                    seen_who = gr.Textbox(label="Your name (assessor)", scale=2, min_width=160, elem_id="seen-who",
                                          visible=access.local)  # fmt: skip
                seen_text = gr.Textbox(label="Records seen, one per line", lines=4, max_length=16000,
                                       elem_id="seen-records")  # fmt: skip
                seen_btn = gr.Button("Save records seen", elem_id="save-seen")
            conflicts = gr.Markdown(elem_id="conflicts")
            with gr.Accordion("Resolve a conflict (assessor)", open=True, visible=False) as resolve_box:
                with gr.Row():
                    chosen = gr.Dropdown(choices=[], label="Use this answer", scale=3, min_width=200,
                                         elem_id="conflict-choice")  # fmt: skip
                    assessor = gr.Textbox(label="Your name (assessor)", scale=2, min_width=160, elem_id="resolve-who",
                                          visible=access.local)  # an account's own name is recorded
                reason = gr.Textbox(label="Reason (goes in the audit log)", lines=2, elem_id="resolve-reason")
                resolve_btn = gr.Button("Use this answer", variant="primary", elem_id="resolve")
            traces = gr.Markdown()
        with gr.Tab("Assessor") as assessor_tab:
            assessor_refs, assessor_outs = assessor_ui.build(interview.interview_id, [(a.name, a.id) for a in
                                                                                   protocol.meta.areas], access.local)
        with gr.Tab("Portfolio"):
            portfolio_ui.build()
        with gr.Tab("Protocol"):
            pick_q = gr.Dropdown(choices=choices, value=choices[0][1], label="Question")
            with gr.Row():
                shown = gr.Markdown(question_markdown(service, choices[0][1]))
                q_guidance = gr.Markdown(elem_id="protocol-guidance")
            pick_q.change(lambda qid: question_markdown(service, qid), inputs=pick_q, outputs=shown, **private)
            pick_q.change(lambda qid: question_guidance(service, qid), inputs=pick_q, outputs=q_guidance, **private)
        app.load(lambda qid: question_guidance(service, qid), inputs=pick_q, outputs=q_guidance, **private)
        with gr.Tab("Score a file"):
            upload = gr.File(label="Structured answers (YAML or JSON)", file_types=[".yaml", ".yml", ".json"])
            scored = gr.Textbox(label="Site profile", lines=30, buttons=["copy"])
            upload.change(score_upload, inputs=upload, outputs=scored, api_name="score_file")

        interview.wire_load(app)
        learn_tab.select(learn_ui.opened, None, [learn_overview, learn_score], api_name="learn_overview")
        if not access.local:
            app.load(access.banner, None, banner, api_visibility="private")
            logout.click(access.log_out, None, None, api_visibility="private").then(
                None, None, None, js="() => { window.location.assign('logout'); }", api_visibility="private"
            )  # our session row ends, then Gradio's /logout clears its cookie
        assessor_tab.select(assessor_ui.quiet, assessor_refs, assessor_outs, **private).then(
            print_header, assessor_refs, print_head, **private)
        result_outputs = [summary, table, radar, traces, conflicts, chosen]
        refs = [interview.interview_id, assessment]
        seen_q.change(seen_load, [*refs, seen_q], seen_text, **private)
        for event in (
            refresh.click(results_handler, [interview.interview_id, assessment], result_outputs, api_name="results"),
            results_tab.select(results_quiet, [interview.interview_id, assessment], result_outputs, **private),
            resolve_btn.click(resolve_handler, [interview.interview_id, assessment, chosen, reason, assessor],
                              result_outputs, api_name="resolve_conflict"),
            gate_btn.click(gate_handler, [*refs, *gate_controls], result_outputs, api_name="set_gate"),
            seen_btn.click(seen_handler, [*refs, seen_q, seen_text, seen_who], result_outputs, api_name="mark_seen"),
        ):  # fmt: skip
            event.then(lambda shown: gr.update(visible=bool(shown) and shown != NO_CONFLICTS), conflicts,
                       resolve_box, **private)  # fmt: skip
            event.then(gate_refresh, refs, [gate_box, *gate_controls], **private)
            event.then(print_header, refs, print_head, **private)
            event.then(lambda rows: area_table_markdown(rows), table, print_areas, **private)
    return app


NOT_LOOPBACK = ("No accounts exist yet, so the app would run in local single-user mode, where anyone who can reach it "
                "has full access; that mode only binds to 127.0.0.1. Add an admin first (qmm user add NAME --admin), "
                "or leave QMM_HOST at 127.0.0.1.")  # fmt: skip
LOGIN_MESSAGE = "QMM Assessment Assistant: log in with your account (an admin adds accounts with qmm user add)."


def check_bind(service: AssessmentService) -> bool:
    """Local mode (no accounts) or not; refuses local mode on any address but loopback."""
    local = service.local_mode()
    if local and not is_loopback(service.settings.host):
        raise AssistantError(NOT_LOOPBACK)
    return local


def launch(service: AssessmentService) -> None:
    """Prepare what is missing (the guidance index), then serve. `qmm serve` and `python app.py` both land here."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from assistant.logs import configure

    print(f"logging errors and refusals to {configure(service.settings.data_dir)}")
    local = check_bind(service)
    report = service.index.ensure(show_progress=True)
    if report is not None:
        print(f"built the guidance index: {report.notes} notes in {report.seconds:.1f} s")
    for warning in service.warnings:
        print(f"warning: {warning}")
    settings = service.settings
    mode = "local single-user mode (no accounts)" if local else "login required"
    print(f"QMM Assessment Assistant: {service.protocol.ref} on http://{settings.host}:{settings.port} ({mode})")
    from assistant.ui.interview_tab import CSS

    app = build_app(service, local)
    app.launch(server_name=settings.host, server_port=settings.port, footer_links=[], css=CSS,
               auth=None if local else service.login, auth_message=LOGIN_MESSAGE)

"""The Interview tab: its components, and one service call per event (no logic here).

Per-user state is the interview state in ``gr.State``; the interview's unguessable token is written into the page URL
(``?interview=TOKEN``; the numeric id never leaves the server) so a reload or a server restart resumes from the
database, with the whole chat. Every handler passes the caller's principal (``ui.access``) to the service, which
decides what it may see and do. Every event a
client needs has a stable ``api_name`` (see the README's API section); an error from the service becomes a
``gr.Error`` sentence and leaves the session as it was.
"""

from __future__ import annotations

import logging
from typing import Any

import gradio as gr

from assistant.errors import AssistantError
from assistant.interview import FormField, InterviewState
from assistant.protocol import Protocol
from assistant.service import AssessmentService, Turn
from assistant.ui.access import Access
from assistant.ui.views import (
    CARD_HEADERS,
    card_field_ids,
    card_rows,
    chat_message,
    chat_messages,
    passages_markdown,
    progress_markdown,
    question_choices,
    question_panel,
    turn_summary,
)

log = logging.getLogger(__name__)

N_SLOTS = 8  # a follow-up form asks for at most this many fields at once (the protocol's questions have <= 7)
DONT_KNOW = "Don't know"
NO_INTERVIEW = "Start an interview (or resume one) first: there is no interview in this session."
SET_URL_JS = """(ref) => {
  if (ref) { const u = new URL(window.location); u.searchParams.set('interview', ref);
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
CSS = """
#heatmap { border-collapse: collapse; }
#heatmap td, #heatmap th { border: 1px solid #ccc; padding: 4px 8px; text-align: center; font-size: 0.9em; }
#heatmap td.thin { opacity: 0.6; } #heatmap th[scope=row] { text-align: left; }
#portfolio-detail table { width: auto; font-size: 0.85em; }
#portfolio-detail td, #portfolio-detail th { white-space: nowrap; padding: 2px 5px !important; }
#card td, #card th, #card td *, #card th *, #card .body-cell, #card .body-cell *, #assessor-review td,
#assessor-review th, #plan td, #plan td * {
  font-family: var(--font) !important; word-break: normal !important; overflow-wrap: break-word !important;
  hyphens: auto;
}
@media print {  /* Results and Assessor print as a report: no controls, every accordion open, a header on each page */
  button, input, textarea, select, [role="tablist"], .form, .upload-container, #who, #logout {
    display: none !important;
  }
  details, .accordion, .hidden-accordion { display: block !important; }
  details > *, .accordion > * { display: block !important; }
  .print-head { display: block !important; position: fixed; top: 0; left: 0; right: 0; font-size: 8pt;
                border-bottom: 1px solid #999; background: white; z-index: 10; padding: 2px 0; }
  .print-only { display: block !important; }
  .gradio-container { padding-top: 4.5em !important; }
  #results-table, #radar, .block:has(> .wrap > input), .block:has(textarea) { display: none !important; }
  table { page-break-inside: auto; } tr { page-break-inside: avoid; }
}
.print-head, .print-only { display: none; }
"""  # the answer card reads as text (Gradio's table default is monospace, broken mid-word on a phone)


def service_call(fn: Any, *args: Any) -> Any:
    """Call the service; its errors become a sentence for the user (the session is left as it was), logged with
    their kind and the call (not the text the user typed); anything unexpected is logged with its traceback."""
    name = getattr(fn, "__qualname__", getattr(fn, "__name__", "call"))
    try:
        return fn(*args)
    except AssistantError as exc:
        log.info("refused %s: %s: %s", name, type(exc).__name__, str(exc).splitlines()[0][:200] if str(exc) else "")
        raise gr.Error(str(exc), print_exception=False) from None
    except Exception:
        log.exception("%s failed", name)
        raise


def slot_kind(field: FormField | None) -> str | None:
    if field is None:
        return None
    return ("multi" if field.multi else "choice") if field.options else "text"


class InterviewTab:
    def __init__(self, service: AssessmentService, access: Access) -> None:
        self.service = service
        self.access = access

    def protocol(self, state: InterviewState | None) -> Protocol:
        """The interview's own protocol version (the active one before an interview is open)."""
        return self.service.protocol_for(state.protocol) if state is not None else self.service.protocol

    # --- what the tab shows after a turn -------------------------------------------------------------------------
    def outputs(self, turn: Turn | None, chat: list[dict[str, str]], keep_text: str = "") -> tuple[Any, ...]:
        state = turn.state if turn else None
        refs = {"interview": turn.interview_token, "assessment": turn.assessment_token} if turn else {}
        protocol = self.protocol(state)
        progress = self.service.engine_for(state.protocol).progress(state) if state else {}
        if turn is not None:
            chat = [*chat, *chat_messages(turn.messages)]
        guidance: Any = gr.skip()
        if turn is not None and turn.guidance is not None:
            guidance = "#### Guidance\n\n" + passages_markdown(turn.guidance)
        elif state is not None and state.current:
            guidance = "#### Guidance\n\n" + passages_markdown(self.service.guidance(state.current,
                                                                                    protocol=state.protocol))
        quick = turn.quick_replies if turn else []
        form = turn.form[:N_SLOTS] if turn else []
        jump = question_choices(protocol, state)
        slots: list[Any] = []
        for i in range(N_SLOTS):
            field = form[i] if i < len(form) else None
            kind = slot_kind(field)
            label = field.label if field else ""
            prompt = field.prompt if field else ""
            choices = [*field.options, DONT_KNOW] if field else []
            hint = field.suggested if field else None  # read from the answer, not sure enough to propose
            if hint:  # shown, never pre-selected: an unchecked wrong value must not slip into the answer
                prompt += f" Your answer seemed to say: {', '.join(hint) if isinstance(hint, list) else hint}."
            slots += [
                gr.update(visible=kind == "choice", label=label, info=prompt, choices=choices if kind == "choice"
                          else [], value=None),
                gr.update(visible=kind == "multi", label=label, info=prompt, choices=choices if kind == "multi"
                          else [], value=[]),
                gr.update(visible=kind == "text", label=label, info=prompt, value="",
                          placeholder="Leave empty if you don't know"),
            ]  # fmt: skip
        return (
            chat,
            keep_text,
            state.model_dump(mode="json") if state else None,
            refs,
            refs.get("interview", ""),
            question_panel(protocol, state),
            progress_markdown(protocol, state, progress),
            card_rows(protocol, state),
            guidance,
            gr.update(choices=quick, value=None, visible=bool(quick)),
            gr.update(choices=jump, value=state.current if state else None, visible=bool(jump)),
            gr.update(visible=bool(form)),
            [f.model_dump() for f in form],
            *slots,
            turn_summary(protocol, state, turn.messages if turn else [], quick, form, refs),
        )

    # --- events: one service call each ---------------------------------------------------------------------------
    def _state(self, raw: dict[str, Any] | None) -> InterviewState:
        if not raw:
            raise gr.Error(NO_INTERVIEW, print_exception=False)
        return InterviewState.model_validate(raw)

    def start(self, site: str | None, name: str, role: str, request: gr.Request) -> tuple[Any, ...]:
        me = self.access.principal(request)
        turn: Turn = service_call(self.service.start_interview, me, site or "", name or "", role or "")
        return self.outputs(turn, [])

    def resume(self, interview: str | None, request: gr.Request) -> tuple[Any, ...]:
        if not interview or not str(interview).strip():
            raise gr.Error("Pick an interview from the list to resume it.", print_exception=False)
        me = self.access.principal(request)
        turn: Turn = service_call(self.service.resume_interview, me, str(interview).strip()[:100])
        return self.outputs(turn, [chat_message(m["role"], m["content"]) for m in turn.transcript])

    def on_load(self, request: gr.Request) -> tuple[Any, ...]:
        raw = request.query_params.get("interview") if request else None
        if raw and raw.strip():
            try:
                turn = self.service.resume_interview(self.access.principal(request), raw.strip()[:100])
            except (AssistantError, gr.Error) as exc:
                gr.Warning(exc.message if isinstance(exc, gr.Error) else str(exc))
                return self.outputs(None, [])
            return self.outputs(turn, [chat_message(m["role"], m["content"]) for m in turn.transcript])
        return self.outputs(None, [])

    def send(self, message: str, state: dict[str, Any] | None, chat: list[dict[str, str]] | None,
             request: gr.Request) -> tuple[Any, ...]:  # fmt: skip
        current = self._state(state)
        if not (message or "").strip():
            raise gr.Error("Type an answer first, or use one of the buttons.", print_exception=False)
        turn: Turn = service_call(self.service.turn, self.access.principal(request), current, message)
        return self.outputs(turn, [*(chat or []), chat_message("user", turn.said)], keep_text=turn.kept_text)

    def confirm(self, state: dict[str, Any] | None, chat: list[dict[str, str]] | None,
                request: gr.Request) -> tuple[Any, ...]:  # fmt: skip
        return self.send("confirm", state, chat, request)

    def command(self, command: str) -> Any:
        """A handler for one command button (or the question list: 'go to' + the picked question)."""

        def handler(state: dict[str, Any] | None, chat: list[dict[str, str]] | None,
                    request: gr.Request) -> tuple[Any, ...]:  # fmt: skip
            return self.send(command, state, chat, request)

        return handler

    def jump_to(self, question: str, state: dict[str, Any] | None, chat: list[dict[str, str]] | None,
                request: gr.Request) -> tuple[Any, ...]:  # fmt: skip
        return self.send(f"go to {question}", state, chat, request)

    def submit_form(self, values: dict[str, Any] | None, confirm: bool | None, state: dict[str, Any] | None,
                    chat: list[dict[str, str]] | None, request: gr.Request) -> tuple[Any, ...]:  # fmt: skip
        current = self._state(state)
        if not isinstance(values, dict) or not values:
            raise gr.Error("Send the form's answers as {field id or label: value}; "
                           "'Don't know' leaves a field not stated.", print_exception=False)  # fmt: skip
        me = self.access.principal(request)
        turn: Turn = service_call(self.service.submit_form, me, current, values, bool(confirm))
        return self.outputs(turn, [*(chat or []), chat_message("user", turn.said)])

    def form_button(self, confirm: bool) -> Any:
        def handler(spec: list[dict[str, Any]], state: dict[str, Any] | None, chat: list[dict[str, str]] | None,
                    request: gr.Request, *slot_values: Any) -> tuple[Any, ...]:  # fmt: skip
            return self.send_form(confirm, spec, state, chat, request, *slot_values)

        return handler

    def send_form(self, confirm: bool, spec: list[dict[str, Any]], state: dict[str, Any] | None,
                  chat: list[dict[str, str]] | None, request: gr.Request,
                  *slot_values: Any) -> tuple[Any, ...]:  # fmt: skip
        """The form's buttons: the value of each shown control ("Don't know" when left empty)."""
        values: dict[str, Any] = {}
        for i, raw in enumerate(spec or []):
            field = FormField.model_validate(raw)
            choice, several, typed = slot_values[3 * i : 3 * i + 3]
            kind = slot_kind(field)
            if kind == "multi":
                values[field.id] = DONT_KNOW if not several or DONT_KNOW in several else list(several)
            elif kind == "choice":
                values[field.id] = choice or DONT_KNOW
            else:
                values[field.id] = (typed or "").strip() or DONT_KNOW
        return self.submit_form(values, confirm, state, chat, request)

    def save_edits(self, rows: Any, state: dict[str, Any] | None, refs: dict[str, str] | None,
                   chat: list[dict[str, str]] | None, request: gr.Request) -> tuple[Any, ...]:  # fmt: skip
        current = self._state(state)
        shown, ids = card_rows(self.protocol(current), current), card_field_ids(self.protocol(current), current)
        table = rows.values.tolist() if hasattr(rows, "values") else (rows or [])
        if isinstance(table, dict):  # an API client may send {"headers": [...], "data": [...]}
            table = table.get("data", [])
        edits = {
            ids[i]: str(row[1]).strip()
            for i, row in enumerate(table)
            if i < len(ids) and len(row) > 1 and row[1] is not None and str(row[1]).strip() not in ("", shown[i][1])
        }
        if not edits:
            gr.Info("Nothing changed on the card: edit a value in the value column first.")
            same = Turn(state=current, messages=[], interview_token=(refs or {}).get("interview", ""),
                        assessment_token=(refs or {}).get("assessment", ""))  # fmt: skip
            return self.outputs(same, chat or [])
        me = self.access.principal(request)
        turn: Turn | None = service_call(self.service.apply_edits, me, current, edits)
        assert turn is not None
        said = [chat_message("user", f"edit {k} = {v}") for k, v in edits.items()]
        return self.outputs(turn, [*(chat or []), *said])

    # --- layout and wiring ---------------------------------------------------------------------------------------
    def resume_choices(self, request: gr.Request) -> Any:
        """The resume list: only the interviews of the caller's sites (the service scopes it)."""
        try:
            rows = self.service.interviews(self.access.principal(request))
        except (AssistantError, gr.Error):
            rows = []
        return gr.update(choices=[(f"{i['site']} · {i['interviewee']} ({i['role']}, {i['updated_at'][:16]})",
                                   i["token"]) for i in rows])  # fmt: skip

    def site_choices(self, request: gr.Request) -> Any:
        """The sites the caller may see, to pick from (a new one can still be typed)."""
        try:
            names = [s["site"] for s in self.service.portfolio.sites(self.access.principal(request))]
        except (AssistantError, gr.Error):
            names = []
        return gr.update(choices=names)

    def build(self) -> None:
        """The tab's components (call inside ``gr.Tab``) and its events; ``app.load`` is wired by ``wire_load``."""
        self.state = gr.State(None)
        self.refs = gr.State({})  # the interview's and assessment's tokens (for the API turn and the Results tab)
        self.form_spec = gr.State([])
        self.interview_id = gr.Textbox(value="", visible=False, elem_id="interview-ref")  # the token, never the id
        with gr.Row():
            self.site = site = gr.Dropdown(choices=[], value=None, label="Site", allow_custom_value=True, scale=2,
                                           min_width=160, info="Pick your site, or type a new one",
                                           elem_id="site")  # fmt: skip
            name = gr.Textbox(label="Your name", scale=2, min_width=160)
            role = gr.Dropdown(choices=self.service.roles(), value="qa_head", label="Your role", scale=2,
                               min_width=160)  # fmt: skip
            start_btn = gr.Button("Start interview", variant="primary", scale=1, min_width=120)
        with gr.Row():
            self.pick = pick = gr.Dropdown(choices=[], label="Or resume an interview", scale=4, min_width=200,
                                             allow_custom_value=True)  # an API client passes an interview token
            resume_btn = gr.Button("Resume", scale=1, min_width=120)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                chat = gr.Chatbot(label="Interview", height=460, elem_id="chat")
                quick = gr.Radio(choices=[], label="Quick replies", visible=False, elem_id="quick")
                with gr.Group(visible=False, elem_id="interview-form") as form_box:
                    gr.Markdown("**A few more details.** Answer what you know; leave the rest as *Don't know*.",
                                padding=True)  # fmt: skip
                    slots: list[Any] = []
                    for i in range(N_SLOTS):
                        slots += [
                            gr.Radio(choices=[], visible=False, elem_id=f"form-{i}-choice", elem_classes="form-slot"),
                            gr.CheckboxGroup(choices=[], visible=False, elem_id=f"form-{i}-multi",
                                             elem_classes="form-slot"),
                            gr.Textbox(visible=False, lines=1, elem_id=f"form-{i}-text", elem_classes="form-slot"),
                        ]  # fmt: skip
                    with gr.Row():
                        form_btn = gr.Button("Send answers", variant="primary", elem_id="send-form", min_width=120)
                        form_confirm_btn = gr.Button("Send and confirm", elem_id="send-confirm", min_width=120)
                with gr.Row():
                    text = gr.Textbox(label="Your answer", placeholder="Answer in your own words", lines=2, scale=5,
                                      min_width=200, elem_id="answer-box")  # fmt: skip
                    send_btn = gr.Button("Send", variant="primary", scale=1, min_width=80, elem_id="send")
                with gr.Row():
                    buttons = [gr.Button(label, size="sm", min_width=60) for label, _ in COMMAND_BUTTONS]
            with gr.Column(scale=2, min_width=320):
                jump = gr.Dropdown(choices=[], label="Questions (pick one to go to it)", visible=False,
                                   elem_id="jump")  # fmt: skip
                question = gr.Markdown(question_panel(self.service.protocol, None))
                progress = gr.Markdown()
                card = gr.Dataframe(headers=CARD_HEADERS, label="Your answer as I understood it (edit a value, "
                                    "then Save edits)", interactive=True, wrap=True, elem_id="card",
                                    column_widths=["34%", "36%", "30%"], max_height=900)  # fmt: skip
                with gr.Row():
                    edit_btn = gr.Button("Save edits", size="sm", elem_id="save-edits")
                    confirm_btn = gr.Button("Confirm answer", variant="primary", size="sm", elem_id="confirm")
                guidance = gr.Markdown()
            form_values = gr.JSON(visible=False)
            form_confirm = gr.Checkbox(value=False, visible=False, label="confirm")
            form_api = gr.Button(visible=False)
            api_turn = gr.JSON(visible=False)

        outputs = [chat, text, self.state, self.refs, self.interview_id, question, progress, card, guidance, quick,
                   jump, form_box, self.form_spec, *slots, api_turn]  # fmt: skip
        private: dict[str, Any] = {"api_visibility": "private"}
        for event in (
            start_btn.click(self.start, [site, name, role], outputs, api_name="start_interview"),
            resume_btn.click(self.resume, [pick], outputs, api_name="resume_interview"),
        ):
            event.then(self.resume_choices, None, pick, **private)
            event.then(None, [self.interview_id], None, js=SET_URL_JS, **private)
        gr.on([send_btn.click, text.submit], self.send, [text, self.state, chat], outputs, api_name="send")
        quick.input(self.send, [quick, self.state, chat], outputs, **private)
        jump.input(self.jump_to, [jump, self.state, chat], outputs, **private)
        for button, (_, command) in zip(buttons, COMMAND_BUTTONS, strict=True):
            button.click(self.command(command), [self.state, chat], outputs, **private)
        confirm_btn.click(self.confirm, [self.state, chat], outputs, api_name="confirm")
        edit_btn.click(self.save_edits, [card, self.state, self.refs, chat], outputs, api_name="save_edits")
        for button, confirm in ((form_btn, False), (form_confirm_btn, True)):
            button.click(self.form_button(confirm), [self.form_spec, self.state, chat, *slots], outputs, **private)
        form_api.click(self.submit_form, [form_values, form_confirm, self.state, chat], outputs,
                       api_name="submit_form")  # fmt: skip
        self.outputs_list = outputs

    def wire_load(self, app: gr.Blocks) -> None:
        """On page load: resume the interview in the URL, and list the interviews as they are now."""
        app.load(self.on_load, None, self.outputs_list, api_visibility="private")
        app.load(self.resume_choices, None, self.pick, api_visibility="private")
        app.load(self.site_choices, None, self.site, api_visibility="private")

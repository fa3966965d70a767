"""The Learn tab: the start-here overview, a reading path per practice area (each note with the questions it
informs), a note opened in full, practice rounds on the example sites, and a mock interview playing one of them.
Layout and service calls only; the card being practised and the mock interview's reference live in ``gr.State``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.interview_service import MAX_MESSAGE_CHARS
from assistant.learning_mock import MockState
from assistant.service import AssessmentService
from assistant.ui.access import Access
from assistant.ui.interview_tab import service_call
from assistant.ui.learn_views import (
    agreement_markdown,
    card_markdown,
    level_choices,
    mock_question_markdown,
    mock_result_markdown,
    note_markdown,
    overview_markdown,
    path_markdown,
    result_markdown,
)

if TYPE_CHECKING:
    from assistant.learning_service import LearningService


class LearnTab:
    def __init__(self, service: AssessmentService, access: Access) -> None:
        self.service, self.access = service, access

    @property
    def learning(self) -> LearningService:
        return self.service.learning

    def overview(self, request: gr.Request) -> str:
        me = self.access.principal(request)
        sections = service_call(self.learning.overview, me)
        return overview_markdown(sections, [self.learning.source_titles(s.sources) for s, _ in sections])

    def path(self, area: str | None, request: gr.Request) -> str:
        if not area:
            return ""
        return path_markdown(service_call(self.learning.path, self.access.principal(request), area))

    def note(self, note_id: str | None, request: gr.Request) -> str:
        if not note_id:
            return ""
        found = service_call(self.learning.note, self.access.principal(request), note_id)
        return note_markdown(found, self.service.protocol)

    def new_card(self, area: str | None, request: gr.Request) -> tuple[Any, ...]:
        card = service_call(self.learning.practice_card, self.access.principal(request), area or None)
        return card.id, card_markdown(card), gr.update(value=None, interactive=True), ""

    def check(self, card_id: str | None, predicted: int | None, request: gr.Request) -> tuple[Any, ...]:
        if not card_id or predicted is None:  # said in place: a toast would cover the levels on a phone
            missing = "Ask for a new example answer first." if not card_id else "Pick the level you predict first."
            return f"**{missing}**", gr.update(), gr.update()
        me = self.access.principal(request)
        result = service_call(self.learning.practice_check, me, card_id, int(predicted))
        score = service_call(self.learning.practice_score, me)
        return result_markdown(result), agreement_markdown(score), gr.update(interactive=False)

    def score(self, request: gr.Request) -> str:
        return agreement_markdown(service_call(self.learning.practice_score, self.access.principal(request)))

    def opened(self, request: gr.Request) -> tuple[str, str]:
        """The tab opened: the overview and this learner's agreement so far."""
        return self.overview(request), self.score(request)

    # --- mock interview -------------------------------------------------------------------------------------------
    def _mock_view(self, state: MockState) -> str:
        return mock_question_markdown(state, self.service.protocol, self.learning.personas.get(state.example))

    def mock_start(self, example: str | None, area: str | None, request: gr.Request) -> tuple[Any, ...]:
        if not example or not area:
            return gr.update(), "**Pick the example site you will play and a practice area first.**", "", gr.update()
        state = service_call(self.learning.mock_start, self.access.principal(request), example, area)
        return state.token, self._mock_view(state), "", gr.update(value="", interactive=True)

    def mock_send(self, token: str | None, text: str | None, request: gr.Request) -> tuple[Any, ...]:
        if not token:
            return gr.update(), "**Start a mock interview first.**", gr.update()
        if not (text or "").strip():
            raise gr.Error("Type your answer as the site's staff would give it.", print_exception=False)
        state = service_call(self.learning.mock_reply, self.access.principal(request), token, text or "")
        return token, self._mock_view(state), ""  # the answer is saved: the box is cleared only now

    def mock_finish(self, token: str | None, request: gr.Request) -> tuple[Any, ...]:
        if not token:
            return gr.update(), "**Start a mock interview first.**", gr.update()
        me = self.access.principal(request)
        result = service_call(self.learning.mock_finish, me, token)
        state = service_call(self.learning.mock, me, token)
        return self._mock_view(state), mock_result_markdown(result), gr.update(interactive=False)

    def mock_resume(self, token: str | None, request: gr.Request) -> tuple[Any, ...]:
        """The sub-tab opened: carry on with this learner's unfinished mock interview (after a reload too)."""
        me = self.access.principal(request)
        sites = gr.update(choices=service_call(self.learning.mock_personas, me))
        state = service_call(self.learning.mock, me, token) if token else service_call(self.learning.mock_latest, me)
        if state is None:
            return None, ("*Pick an example site to play and a practice area, then start. You answer each question "
                          "as that site's staff would; at the end you see how your answers scored beside the "
                          "site's own, and which details would have raised each level.*"), gr.update(), sites
        return state.token, self._mock_view(state), gr.update(interactive=not state.finished), sites

    def build(self, areas: list[tuple[str, str]]) -> tuple[Any, Any]:
        """The tab's layout and events; returns the overview and the score (filled when the tab is opened)."""
        protocol = self.service.protocol
        with gr.Tab("Start here"):
            overview = gr.Markdown(elem_id="learn-overview")
        with gr.Tab("Reading paths"):
            with gr.Row():
                area = gr.Dropdown(choices=areas, value=None, label="Reading path for a practice area", scale=2,
                                   min_width=200, elem_id="learn-area")  # fmt: skip
                notes = sorted((link.title, link.note_id) for link in self.learning.links.values())
                pick = gr.Dropdown(choices=notes, value=None, label="Open a note", scale=3, min_width=200,
                                   elem_id="learn-note")  # fmt: skip
            with gr.Row():
                path = gr.Markdown(elem_id="learn-path")
                opened = gr.Markdown(elem_id="learn-opened")
        with gr.Tab("Practice"):
            gr.Markdown("Read how an example site answered a question, predict the level our rubric "
                        f"({protocol.ref}) gives it, then see the rubric's level, why, and what the next level "
                        "needs. Your rounds are kept, with your agreement per practice area.")  # fmt: skip
            card_id = gr.State(None)
            with gr.Row():
                practice_area = gr.Dropdown(choices=[("All practice areas", ""), *areas], value="", scale=3,
                                            min_width=200, label="Practise on", elem_id="practice-area")  # fmt: skip
                new = gr.Button("New example answer", scale=1, min_width=160, elem_id="practice-new")
            card = gr.Markdown(elem_id="practice-card")
            guess = gr.Radio(choices=level_choices(protocol), label="Your level", interactive=False,
                             elem_id="practice-level")  # fmt: skip
            check = gr.Button("Check my level", variant="primary", elem_id="practice-check")
            result = gr.Markdown(elem_id="practice-result")
            score = gr.Markdown(elem_id="practice-score")

        with gr.Tab("Mock interview") as mock_tab:
            mock_token = gr.State(None)
            with gr.Row():  # the sites are filled in when the tab opens: the page's config names no site
                persona = gr.Dropdown(choices=[], value=None, label="Play the staff of", scale=3, min_width=200,
                                      elem_id="mock-persona")  # fmt: skip
                mock_area = gr.Dropdown(choices=areas, value=None, label="Practice area", scale=2, min_width=200,
                                        elem_id="mock-area")  # fmt: skip
                start = gr.Button("Start the mock interview", scale=1, min_width=160, elem_id="mock-start")
            mock_view = gr.Markdown(elem_id="mock-question")
            mock_answer = gr.Textbox(label="Your answer", lines=3, max_lines=12, max_length=MAX_MESSAGE_CHARS,
                                     interactive=False, elem_id="mock-answer")  # fmt: skip
            with gr.Row():
                send = gr.Button("Send answer", variant="primary", min_width=140, elem_id="mock-send")
                finish = gr.Button("Finish and see how I scored", min_width=180, elem_id="mock-finish")
            mock_result = gr.Markdown(elem_id="mock-result")

        area.change(self.path, area, path, api_name="reading_path")
        pick.change(self.note, pick, opened, api_name="open_note")
        new.click(self.new_card, practice_area, [card_id, card, guess, result], api_name="practice_card")
        check.click(self.check, [card_id, guess], [result, score, guess], api_name="practice_check")
        start.click(self.mock_start, [persona, mock_area], [mock_token, mock_view, mock_result, mock_answer],
                    api_name="mock_start")  # fmt: skip
        send.click(self.mock_send, [mock_token, mock_answer], [mock_token, mock_view, mock_answer],
                   api_name="mock_answer")  # fmt: skip
        mock_answer.submit(self.mock_send, [mock_token, mock_answer], [mock_token, mock_view, mock_answer],
                           api_visibility="private")  # fmt: skip
        finish.click(self.mock_finish, mock_token, [mock_view, mock_result, mock_answer], api_name="mock_finish")
        mock_tab.select(self.mock_resume, mock_token, [mock_token, mock_view, mock_answer, persona],
                        api_visibility="private")  # fmt: skip
        return overview, score

"""Learning (``AssessmentService.learning``): the Learn tab's overview and reading paths, the notes behind each
protocol question, a note opened in full, and practice rounds on the example sites with each learner's agreement
score. Everyone who may read guidance may learn and practise; rounds are kept per learner.
"""

from __future__ import annotations

from collections import Counter
from functools import cached_property
from typing import TYPE_CHECKING

from pydantic import BaseModel

from assistant.answers import read_answers, read_answers_file
from assistant.auth import Principal, new_token
from assistant.errors import AnswerError, AssistantError
from assistant.interview_service import MAX_MESSAGE_CHARS, utcnow
from assistant.learning import (
    LEARN_FILE,
    AreaAgreement,
    Attempt,
    LearnContent,
    NoteLink,
    OverviewSection,
    PracticeCard,
    PracticeResult,
    ReadingPath,
    agreement,
    load_learn,
    next_card,
    note_links,
    practice_cards,
    practice_result,
    question_notes,
    reading_path,
)
from assistant.learning_mock import MockReply, MockResult, MockState, Persona, mock_questions, mock_result
from assistant.retrieval.notes import Note, load_sources, require_notes, split_source
from assistant.rubric import QuestionScore, score_site
from assistant.store_learning import (
    finish_mock,
    latest_mock,
    load_mock,
    practice_attempts,
    save_mock,
    save_mock_reply,
    save_practice,
)

if TYPE_CHECKING:
    from assistant.service import AssessmentService

LEVELS = (1, 2, 3, 4, 5)


class OpenNote(BaseModel):
    link: NoteLink
    body: str
    areas: list[str]


def learner_key(principal: Principal) -> str:
    return f"user:{principal.user_id}" if principal.user_id is not None else principal.kind


class LearningService:
    def __init__(self, service: AssessmentService) -> None:
        self.service = service

    # --- content (loaded once, checked at first use) ---------------------------------------------------------------
    @cached_property
    def _notes(self) -> dict[str, Note]:
        areas = {a.id for a in self.service.protocol.meta.areas}
        return {n.meta.id: n for n in require_notes(self.service.settings.corpus_dir, areas)}

    @cached_property
    def _sources(self) -> dict[str, tuple[str, str | None]]:
        """Source key -> (document name, public URL or None), read once."""
        return {k: split_source(v) for k, v in load_sources(self.service.settings.corpus_dir).items()}

    @cached_property
    def content(self) -> LearnContent:
        return load_learn(self.service.settings.corpus_dir / LEARN_FILE, self._notes, set(self._sources),
                          [a.id for a in self.service.protocol.meta.areas])  # fmt: skip

    @cached_property
    def links(self) -> dict[str, NoteLink]:
        return note_links(self._notes.values(), self.service.protocol, self._sources)

    def overview(self, principal: Principal) -> list[tuple[OverviewSection, list[NoteLink]]]:
        self.service.check(principal, "guidance")
        return [(s, [self.links[n] for n in s.notes]) for s in self.content.overview]

    def source_titles(self, keys: list[str]) -> list[tuple[str, str | None]]:
        return [self._sources[k] for k in keys if k in self._sources]

    def path(self, principal: Principal, area: str) -> ReadingPath:
        self.service.check(principal, "guidance")
        return reading_path(self.content, self.links, self.service.protocol, area)

    def question_notes(self, question_id: str) -> list[NoteLink]:
        """The notes that inform a protocol question (public content, like the protocol and its guidance)."""
        return question_notes(self.links, question_id)

    def note(self, principal: Principal, note_id: str) -> OpenNote:
        self.service.check(principal, "guidance")
        note = self._notes.get(note_id)
        if note is None:
            raise AssistantError(f"no guidance note {note_id[:100]!r}")
        return OpenNote(link=self.links[note_id], body=note.body.strip(), areas=list(note.meta.areas))

    # --- practice -----------------------------------------------------------------------------------------------
    @cached_property
    def personas(self) -> dict[str, Persona]:
        """Every example site answered on the active protocol (file name -> site, facts and answers)."""
        protocol = self.service.protocol
        folder = self.service.settings.examples_dir
        out = {}
        for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
            try:
                data = read_answers_file(path)
                if data.get("protocol") != protocol.ref:
                    continue
                parsed = read_answers(protocol, data)
            except AnswerError as exc:
                self.service.warnings.append(f"example site {path.name} skipped: {str(exc)[:200]}")
                continue
            out[path.stem] = Persona(example=path.stem, site=(parsed.site or path.stem).split(" - ")[0],
                                     facts=dict(parsed.facts), answers=parsed.answers)  # fmt: skip
        return out

    @cached_property
    def _practice(self) -> tuple[list[PracticeCard], dict[str, dict[str, QuestionScore]]]:
        """Cards from every example site answered on the active protocol, with the rubric's score of each."""
        protocol = self.service.protocol
        examples, scores = {}, {}
        for name, persona in self.personas.items():
            profile = score_site(protocol, persona.answers, persona.facts)
            examples[name] = (persona.site, persona.answers)
            scores[name] = {q.question_id: q for q in profile.questions}
        return practice_cards(protocol, examples, scores), scores

    @property
    def cards(self) -> list[PracticeCard]:
        return self._practice[0]

    def practice_card(self, principal: Principal, area: str | None = None) -> PracticeCard:
        """The next example answer for this learner: the one tried least often, in a fixed mixed order."""
        self.service.check(principal, "guidance")
        if not self.cards:
            folder = self.service.settings.examples_dir
            raise AssistantError(f"no example sites on {self.service.protocol.ref} in {folder}, "
                                 "so there is nothing to practise on")  # fmt: skip
        tried = practice_attempts(self.service.store, learner_key(principal), self.service.protocol.ref)
        card = next_card(self.cards, Counter(t.card for t in tried), area)
        if card is None:
            raise AssistantError(f"no example answers for practice area {str(area)[:60]!r}")
        return card

    def practice_check(self, principal: Principal, card_id: str, predicted: int) -> PracticeResult:
        """Save the learner's prediction, then show the rubric's level, its criterion trace and the next step."""
        self.service.check(principal, "guidance")
        card = next((c for c in self.cards if c.id == card_id), None)
        if card is None:
            raise AssistantError(f"no practice example {str(card_id)[:100]!r}; ask for a new one")
        if predicted not in LEVELS:
            raise AssistantError("pick the level you predict, 1 to 5")
        score = self._practice[1][card.example][card.question_id]
        attempt = Attempt(card=card.id, area=card.area, predicted=predicted, level=score.level or 1)
        save_practice(self.service.store, learner_key(principal), self.service.protocol.ref, attempt, utcnow())
        return practice_result(card, predicted, score)

    def practice_score(self, principal: Principal) -> list[AreaAgreement]:
        """This learner's agreement with the rubric, per practice area (active protocol)."""
        self.service.check(principal, "guidance")
        return agreement(
            self.service.protocol,
            practice_attempts(self.service.store, learner_key(principal), self.service.protocol.ref),
        )

    # --- mock interview -----------------------------------------------------------------------------------------
    def mock_personas(self, principal: Principal) -> list[tuple[str, str]]:
        """(label, example) of each example site a learner can play."""
        self.service.check(principal, "guidance")
        return [(f"{p.site} ({p.example})", p.example) for p in self.personas.values()]

    def mock_start(self, principal: Principal, example: str, area: str) -> MockState:
        """A new mock interview: the learner plays the example site ``example`` through the practice area ``area``
        (the area's questions that apply to the site and that its file answers). Saved before it is shown."""
        self.service.check(principal, "guidance")
        persona = self.personas.get(example)
        if persona is None:
            known = ", ".join(self.personas) or f"none on {self.service.protocol.ref}"
            raise AssistantError(f"no example site {str(example)[:60]!r} to play (known: {known})")
        protocol = self.service.protocol
        if protocol.area(area) is None:
            raise AssistantError(f"no practice area {str(area)[:60]!r}; pick one from the list")
        questions = mock_questions(protocol, persona, area)
        if not questions:
            raise AssistantError(f"{persona.site} has no answered questions in that practice area to play")
        state = MockState(token=new_token(), example=example, site=persona.site, area=area,
                          protocol=protocol.ref, questions=questions)  # fmt: skip
        save_mock(self.service.store, learner_key(principal), state, utcnow())
        return state

    def mock(self, principal: Principal, token: str) -> MockState:
        """The learner's own mock interview by its reference (another learner's reference finds nothing)."""
        self.service.check(principal, "guidance")
        state = load_mock(self.service.store, learner_key(principal), str(token)[:60])
        if state is None:
            raise AssistantError("no such mock interview of yours; start a new one")
        return state

    def mock_latest(self, principal: Principal) -> MockState | None:
        """The learner's latest unfinished mock interview on the active protocol (to carry on after a reload)."""
        self.service.check(principal, "guidance")
        token = latest_mock(self.service.store, learner_key(principal), self.service.protocol.ref)
        return self.mock(principal, token) if token else None

    def mock_reply(self, principal: Principal, token: str, text: str) -> MockState:
        """The learner's answer to the current question: the values are heard by the interview's extractor, and
        the reply is saved (as typed, with what was heard) before it is acknowledged; then the next question."""
        state = self.mock(principal, token)
        if state.finished:
            raise AssistantError("this mock interview is finished; start a new one")
        qid = state.current
        if qid is None:
            raise AssistantError("every question has a reply; finish to see how your answers scored")
        text = text.strip()[:MAX_MESSAGE_CHARS]
        if not text:
            raise AssistantError("type your answer as the site's staff would give it")
        question = self.service.protocol.question(qid)
        assert question is not None  # the mock's questions are the active protocol's
        try:
            heard = self.service.extractor.extract(question, text).stated_values()
        except Exception:  # noqa: BLE001 - the reply is kept with nothing heard; the result says so
            heard = {}
        reply = MockReply(question_id=qid, text=text, heard=dict(heard))
        try:
            save_mock_reply(self.service.store, learner_key(principal), state.token, reply, utcnow())
        except LookupError:
            raise AssistantError("this mock interview is finished; start a new one") from None
        state.replies.append(reply)
        return state

    def mock_finish(self, principal: Principal, token: str) -> MockResult:
        """End the mock interview (questions left without a reply count as not answered) and score it: your level
        and the site's for each question, and which details you left out would have raised your level."""
        state = self.mock(principal, token)
        if not state.finished:
            finish_mock(self.service.store, learner_key(principal), state.token, utcnow())
            state.finished = True
        return self.mock_result(state)

    def mock_result(self, state: MockState) -> MockResult:
        persona = self.personas.get(state.example)
        if persona is None or state.protocol != self.service.protocol.ref:
            raise AssistantError(f"the example site {state.example!r} on {state.protocol} is no longer available")
        return mock_result(self.service.protocol, persona, state)

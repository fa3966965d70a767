"""AssessmentService: the one API the CLI, the Gradio app and eval call.

It owns the settings and loads what each call needs on first use (protocol, store, extractor, embedding model,
guidance index), so a command that needs none of them pays for none of them. One interviewee message is one
``turn``: extract, step the pure interview engine, commit the effects and the new state in one transaction, and only
then return the reply.
"""

from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.answers import parse_answers, read_answers_file
from assistant.conflicts import Conflict, HeardAnswer, differ, heard_answers, scored_answer, versions_of
from assistant.conflicts import conflicts as find_conflicts
from assistant.errors import AssistantError, ExtractionError
from assistant.interview import InterviewEngine, InterviewState
from assistant.interview_service import MAX_MESSAGE_CHARS, InterviewFlow, Turn, utcnow
from assistant.protocol import Protocol, load_protocol, resolve_protocol_dir
from assistant.retrieval.models import Passage
from assistant.retrieval.notes import load_note_ids
from assistant.rubric import ConfirmedAnswer, SiteProfile, score_site
from assistant.settings import Settings
from assistant.store import Store, database_url

if TYPE_CHECKING:
    from assistant.extraction.models import Extractor
    from assistant.guidance import GuidanceAnswer
    from assistant.retrieval.embeddings import Embedder
    from assistant.retrieval.index import GuidanceIndex

__all__ = ["MAX_MESSAGE_CHARS", "AssessmentService", "Turn"]


class AssessmentService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.warnings: list[str] = []
        self._index_lock = threading.Lock()

    @cached_property
    def protocol(self) -> Protocol:
        """The active protocol, fully validated."""
        folder = resolve_protocol_dir(self.settings.protocols_dir, self.settings.protocol)
        return load_protocol(folder, load_note_ids(self.settings.corpus_dir))

    @cached_property
    def index(self) -> GuidanceIndex:
        """The guidance index (embedding model and vector store load here, on first use)."""
        from assistant.retrieval.index import GuidanceIndex
        from assistant.retrieval.store import ChromaStore, MemoryStore, VectorStore

        folder = self.settings.data_dir / "index"
        store: VectorStore = ChromaStore(folder / "chroma") if self.settings.vector_store == "chroma" else MemoryStore()
        return GuidanceIndex(
            store=store,
            embedder=self.embedder,
            corpus_dir=self.settings.corpus_dir,
            manifest_path=folder / f"manifest-{self.settings.vector_store}.json",
            floor=self.settings.retrieval_floor,
            area_ids={a.id for a in self.protocol.meta.areas},
        )

    @cached_property
    def embedder(self) -> Embedder:
        from assistant.retrieval.embeddings import make_embedder

        return make_embedder(self.settings.embeddings)

    @cached_property
    def extractor(self) -> Extractor:
        """The rules extractor (default), or the LLM extractor with the rules one as its fallback."""
        from assistant.extraction.rules import RulesExtractor

        rules = RulesExtractor(self.embedder)
        if self.settings.llm_provider == "none":
            return rules
        from assistant.extraction.llm import LLMExtractor

        model = self.chat_model
        if model is None:
            self.warnings.append("Using the offline extractor.")
            return rules
        return LLMExtractor(model, fallback=rules)

    def ready_index(self, show_progress: bool = False) -> GuidanceIndex:
        """The index, built first if it is missing or the corpus changed."""
        with self._index_lock:  # one build, even when several sessions ask at once
            self.index.ensure(show_progress)
        return self.index

    def score_answers(self, data: Any) -> SiteProfile:
        """Score raw structured answers (already parsed from YAML/JSON) against the active protocol."""
        answers, facts = parse_answers(self.protocol, data)
        return score_site(self.protocol, answers, facts)

    def score_file(self, path: Path) -> SiteProfile:
        return self.score_answers(read_answers_file(path))

    # --- the guided interview ------------------------------------------------------------------------------------
    @cached_property
    def store(self) -> Store:
        return Store(database_url(self.settings.data_dir, self.settings.database_url))

    @cached_property
    def engine(self) -> InterviewEngine:
        return InterviewEngine(self.protocol)

    @cached_property
    def flow(self) -> InterviewFlow:
        return InterviewFlow(self)

    def roles(self) -> list[tuple[str, str]]:
        """(label, id) of the roles an interviewee can take, plus 'all questions'."""
        return [(r.label, r.id) for r in self.protocol.meta.roles] + [("Whole protocol (all questions)", "all")]

    def start_interview(self, site: str, interviewee: str, role: str) -> Turn:
        """A new interview: site, assessment, interview, first state and first messages saved in one transaction."""
        return self.flow.start(site, interviewee, role)

    def resume_interview(self, interview_id: int) -> Turn:
        """Where an interview stopped, with its whole chat (``Turn.transcript``); a broken state is repaired."""
        return self.flow.resume(interview_id)

    def interviews(self) -> list[dict[str, Any]]:
        return self.store.list_interviews()

    def assessment_of(self, interview_id: int) -> int:
        """The assessment an interview belongs to."""
        return int(self.store.interview(interview_id)["assessment_id"])

    def turn(self, state: InterviewState, message: str) -> Turn:
        """One interviewee message: extract, step the engine, persist (state, effects, chat), then reply.

        Raises ``StaleInterview`` when another tab saved first (nothing is saved)."""
        return self.flow.turn(state, message)

    def submit_form(self, state: InterviewState, values: dict[str, str | list[str]], confirm: bool = False) -> Turn:
        """The follow-up form's answers (field id -> label(s) or text), saved like a turn; ``confirm``: also confirm
        the card when nothing is left to ask ("Send and confirm")."""
        return self.flow.submit_form(state, values, confirm)

    def apply_edits(self, state: InterviewState, edits: dict[str, str]) -> Turn | None:
        """Edits from the answer card, field by field (each one a saved turn); None when nothing changed."""
        return self.flow.apply_edits(state, edits)

    # --- results: every interviewee heard ------------------------------------------------------------------------
    def heard(self, assessment_id: int) -> dict[str, list[HeardAnswer]]:
        return heard_answers(self.protocol, self.store.confirmed_answers(assessment_id))

    def conflicts(self, assessment_id: int) -> list[Conflict]:
        """Questions whose interviewees' confirmed answers differ, with who said what (and any assessor choice)."""
        return find_conflicts(self.protocol, self.heard(assessment_id), self.store.resolutions(assessment_id))

    def resolve_conflict(
        self, assessment_id: int, question_id: str, chosen_interview_id: int, reason: str, who: str
    ) -> list[Conflict]:
        """An assessor chooses one interviewee's answer; stored and audited (who, when, before, after, reason)."""
        reason, who = " ".join(reason.split())[:2000], " ".join(who.split())[:200]
        if not who:
            raise AssistantError("Enter your name to resolve a conflict (it goes in the audit log).")
        if not reason:
            raise AssistantError("Give a reason for choosing this answer (it goes in the audit log).")
        answers = self.heard(assessment_id).get(question_id, [])
        if not differ(answers):
            raise AssistantError(f"{question_id} has no conflicting answers to resolve.")
        chosen = next((a for a in answers if a.interview_id == chosen_interview_id), None)
        if chosen is None:
            raise AssistantError(f"Interview {chosen_interview_id} has no confirmed answer to {question_id}.")
        previous = self.store.resolutions(assessment_id).get(question_id)
        before = {"answers": {str(a.interview_id): {"who": a.interviewee, "values": a.values, "level": a.level,
                                                    "version": a.version, "status": a.status} for a in answers},
                  "resolution": previous}  # fmt: skip
        after = {"chosen_interview_id": chosen.interview_id, "chosen_who": chosen.interviewee,
                 "values": chosen.values, "level": chosen.level, "reason": reason}  # fmt: skip
        self.store.resolve_conflict(assessment_id, question_id, chosen_interview_id, versions_of(answers), reason,
                                    who, utcnow(), before, after)  # fmt: skip
        return self.conflicts(assessment_id)

    @cached_property
    def chat_model(self) -> Any | None:
        """The configured LLM, or None (the default, or when it cannot be loaded: see ``warnings``)."""
        if self.settings.llm_provider == "none":
            return None
        from assistant.extraction.llm import make_chat_model

        try:
            return make_chat_model(self.settings)
        except ExtractionError as exc:
            self.warnings.append(f"No written answers: {exc}")
            return None

    def ask(self, query: str, area: str | None = None, k: int = 5) -> GuidanceAnswer:
        """The Guidance tab: best passages, the answering sentence of each, and an LLM answer only if configured."""
        from assistant.guidance import GuidanceAnswer, best_sentences, written_answer

        result = self.ready_index().search(query, k=k, area=area or None)
        answer = GuidanceAnswer(result=result)
        if not result.passages:
            return answer
        answer.highlights = best_sentences(self.embedder, result.query, result.passages)
        if self.chat_model is not None:
            answer.written, answer.note = written_answer(self.chat_model, result.query, result.passages)
        return answer

    def guidance(self, question_id: str, answer: str = "") -> list[Passage]:
        question = self.protocol.question(question_id)
        if question is None:
            return []
        return self.ready_index().for_question(question, answer=answer, k=3)

    def assessment_profile(self, assessment_id: int) -> SiteProfile:
        """The site profile from the confirmed answers in the store; a conflict scores its most conservative answer
        until an assessor resolves it."""
        resolutions = self.store.resolutions(assessment_id)
        answers: dict[str, ConfirmedAnswer] = {
            qid: scored_answer(heard, resolutions.get(qid)).confirmed()
            for qid, heard in self.heard(assessment_id).items()
        }
        facts = self.store.assessment_facts(assessment_id)
        return score_site(self.protocol, answers, facts)

"""AssessmentService: the one API the CLI, the Gradio app and eval call.

It owns the settings and loads what each call needs on first use (protocol, store, extractor, embedding model,
guidance index), so a command that needs none of them pays for none of them. One interviewee message is one
``turn``: extract, step the pure interview engine, commit the effects and the new state in one transaction, and only
then return the reply.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from assistant.answers import parse_answers, read_answers_file
from assistant.errors import AssistantError, ExtractionError, StoreError
from assistant.extraction.models import StructuredAnswer, empty_answer
from assistant.interview import InterviewEngine, InterviewState, Phase, ShowGuidance, parse_command
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


MAX_MESSAGE_CHARS = 20_000


class Turn(BaseModel):
    """What the UI shows after one message: the saved state, the assistant's messages, quick replies, guidance."""

    state: InterviewState
    messages: list[str]
    quick_replies: list[str] = Field(default_factory=list)
    guidance: list[Passage] | None = None
    error: str | None = None


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class AssessmentService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.warnings: list[str] = []

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

    def roles(self) -> list[tuple[str, str]]:
        """(label, id) of the roles an interviewee can take, plus 'all questions'."""
        return [(r.label, r.id) for r in self.protocol.meta.roles] + [("Whole protocol (all questions)", "all")]

    def start_interview(self, site: str, interviewee: str, role: str) -> Turn:
        site, interviewee = " ".join(site.split())[:200], " ".join(interviewee.split())[:200]
        if not site or not interviewee:
            raise AssistantError("Enter the site name and your name to start.")
        if role not in {r for _, r in self.roles()}:
            raise AssistantError(f"Unknown role {role!r}.")
        now = utcnow()
        assessment_id, facts = self.store.get_or_create_assessment(site, self.protocol.ref, now)
        state = InterviewState(
            interview_id=0, assessment_id=assessment_id, interviewee=interviewee, role=role,
            protocol=self.protocol.ref, facts=facts,
        )  # fmt: skip
        if facts and all(f.id in facts for f in self.protocol.meta.site_facts):
            state.order = self.engine.questions_for(role, facts)
            state.phase = Phase.ANSWER
        state.interview_id = self.store.create_interview(
            assessment_id, interviewee, role, self.protocol.ref, state.model_dump_json(), now
        )
        step = self.engine.start(state)
        return self._commit(
            state, step.state, step.messages, step.quick_replies, [e.model_dump() for e in step.effects]
        )

    def resume_interview(self, interview_id: int) -> Turn:
        raw, revision = self.store.load_interview(interview_id)
        state = InterviewState.model_validate_json(raw)
        state.revision = revision
        if state.protocol != self.protocol.ref:
            raise AssistantError(
                f"This interview uses protocol {state.protocol}; the app runs {self.protocol.ref}. "
                "Start the app with that protocol version to continue it."
            )
        step = self.engine.resume(state)
        return Turn(state=state, messages=step.messages, quick_replies=step.quick_replies)

    def interviews(self) -> list[dict[str, Any]]:
        return self.store.list_interviews()

    def turn(self, state: InterviewState, message: str) -> Turn:
        """One interviewee message: extract, step the engine, persist, then reply."""
        message = message[:MAX_MESSAGE_CHARS]
        command = parse_command(message)
        if command is not None:
            step = self.engine.on_command(state, command[0], command[1])
        else:
            step = self.engine.on_text(state, message, self._extract(state, message))
        effects = [e.model_dump() for e in step.effects]
        turn = self._commit(state, step.state, step.messages, step.quick_replies, effects)
        guidance = [e for e in step.effects if isinstance(e, ShowGuidance)]
        if guidance and turn.error is None:
            turn.guidance = self.guidance(guidance[0].question_id)
        return turn

    def apply_edits(self, state: InterviewState, edits: dict[str, str]) -> Turn | None:
        """Edits from the answer card, field by field (each one a saved turn); None when nothing changed."""
        turn: Turn | None = None
        messages: list[str] = []
        for field, value in edits.items():
            turn = self.turn(turn.state if turn else state, f"edit {field} = {value}")
            messages += turn.messages
            if turn.error:
                return turn
        if turn is not None:
            turn.messages = messages
        return turn

    def _extract(self, state: InterviewState, message: str) -> StructuredAnswer | None:
        if state.current is None or state.phase not in (Phase.ANSWER, Phase.FOLLOW_UP, Phase.CONFIRM):
            return None
        question = self.protocol.question(state.current)
        if question is None:
            return None
        target = state.pending_field if state.phase is Phase.FOLLOW_UP else None
        try:
            return self.extractor.extract(question, message, target_field=target)
        except Exception as exc:  # noqa: BLE001 - an extractor failure must never lose the answer
            answer = empty_answer(question, [message])
            answer.notes.append(f"extraction failed ({type(exc).__name__}); the text is kept, fields not stated")
            return answer

    def _commit(
        self,
        before: InterviewState,
        after: InterviewState,
        messages: list[str],
        quick: list[str],
        effects: list[dict[str, Any]],
    ) -> Turn:
        after = after.model_copy(update={"revision": before.revision + 1})
        try:
            after.revision = self.store.commit_turn(
                before.interview_id, before.revision, after.model_dump_json(), effects, before.interviewee, utcnow()
            )
        except StoreError as exc:
            return Turn(state=before, messages=[str(exc)], error=str(exc))
        return Turn(state=after, messages=messages, quick_replies=quick)

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
        """The site profile from the confirmed answers in the store."""
        current = self.store.current_answers(assessment_id)
        answers: dict[str, ConfirmedAnswer] = {}
        for qid, row in current.items():
            if row["protocol"] != self.protocol.ref:
                continue
            if row["status"] == "na":
                answers[qid] = ConfirmedAnswer(question_id=qid, na_justification=row["na_justification"] or "")
                continue
            structured = StructuredAnswer.model_validate(row["answer"])
            spans = {k: v.span for k, v in structured.values.items() if v.span}
            answers[qid] = ConfirmedAnswer(question_id=qid, values=structured.stated_values(), spans=spans)
        facts = self.store.assessment_facts(assessment_id)
        return score_site(self.protocol, answers, facts)

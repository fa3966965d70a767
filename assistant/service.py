"""AssessmentService: the one API the CLI, the Gradio app and eval call.

It owns the settings and loads what each call needs on first use (protocol, store, extractor, embedding model,
guidance index), so a command that needs none of them pays for none of them. One interviewee message is one
``turn``: extract, step the pure interview engine, commit the effects and the new state in one transaction, and only
then return the reply.

Access is checked here, never in the UI: every call that reads or writes assessment data takes a ``Principal``
(an account with its (site, role) grants, or the local single user while no account exists) and raises
``AccessDenied`` (or ``SessionExpired``) before touching anything it may not. The table is ``assistant.auth.can``.
Interviews and assessments are reached by id (server side) or by their unguessable token (what URLs and API
clients carry); the audit log's ``who`` is the account's name.
"""

from __future__ import annotations

import threading
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.account_service import UserAdmin, denied
from assistant.answers import read_answers, read_answers_file
from assistant.assessor_service import AssessorService, scored_final
from assistant.auth import AccessDenied, Action, Principal, can
from assistant.conflicts import Conflict, HeardAnswer, differ, heard_answers, versions_of
from assistant.conflicts import conflicts as find_conflicts
from assistant.errors import AnswerError, AssistantError, ExtractionError, ProtocolError
from assistant.interview import InterviewEngine, InterviewState
from assistant.interview_service import MAX_MESSAGE_CHARS, InterviewFlow, Turn, utcnow
from assistant.portfolio_service import PortfolioService
from assistant.protocol import Protocol, available_protocols, load_protocol, resolve_protocol_dir
from assistant.report_service import ReportService
from assistant.retrieval.models import Passage
from assistant.retrieval.notes import load_note_ids
from assistant.review_service import ReviewService
from assistant.rubric import ConfirmedAnswer, SiteProfile, score_site, with_gate, with_seen
from assistant.settings import Settings
from assistant.store import Store
from assistant.store_accounts import Accounts
from assistant.store_audit import AuditTrail
from assistant.store_review import Review

if TYPE_CHECKING:
    from assistant.extraction.models import Extractor
    from assistant.guidance import GuidanceAnswer
    from assistant.learning_service import LearningService
    from assistant.retrieval.embeddings import Embedder
    from assistant.retrieval.index import GuidanceIndex

# Calls that change an assessment: refused once it is finalised.
WRITES: frozenset[str] = frozenset({"answer", "resolve_conflict", "record_gate", "mark_seen", "validate",
                                    "edit_findings", "add_evidence", "edit_plan"})  # fmt: skip


class AssessmentLocked(AssistantError):
    """The assessment is finalised; reopening it needs an assessor and a reason."""


__all__ = ["MAX_MESSAGE_CHARS", "AccessDenied", "AssessmentService", "Principal", "Turn"]


class AssessmentService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.warnings: list[str] = []
        self._index_lock = threading.Lock()
        self._protocols: dict[str, Protocol] = {}
        self._engines: dict[str, InterviewEngine] = {}
        self._protocols_lock = threading.Lock()

    @cached_property
    def protocol(self) -> Protocol:
        """The active protocol (what new assessments use), fully validated."""
        return self.protocol_for(self.settings.protocol)

    def protocol_for(self, ref: str) -> Protocol:
        """A protocol version by ``id@version``, loaded and validated once. Every saved assessment, interview and
        answer is stamped with its version and keeps being read, asked and scored on it."""
        with self._protocols_lock:
            if ref not in self._protocols:
                folder = resolve_protocol_dir(self.settings.protocols_dir, ref)
                self._protocols[ref] = load_protocol(folder, load_note_ids(self.settings.corpus_dir))
            return self._protocols[ref]

    def engine_for(self, ref: str) -> InterviewEngine:
        """The interview engine over one protocol version (an interview continues on the version it started on)."""
        protocol = self.protocol_for(ref)
        with self._protocols_lock:
            return self._engines.setdefault(ref, InterviewEngine(protocol))

    @cached_property
    def index(self) -> GuidanceIndex:
        """The guidance index (embedding model and vector store load here, on first use)."""
        from assistant.components import vector_store
        from assistant.retrieval.index import GuidanceIndex

        folder = self.settings.data_dir / "index"
        store = vector_store(self.settings, folder)
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

    def answers_protocol(self, data: Any) -> Protocol:
        """The protocol an answers file names (``protocol: id@version``), or the active one when it names none."""
        declared = data.get("protocol") if isinstance(data, dict) and "answers" in data else None
        if not isinstance(declared, str) or declared == self.protocol.ref:
            return self.protocol
        try:
            return self.protocol_for(declared)
        except ProtocolError:
            raise AnswerError(f"the answers file is for protocol {declared[:60]!r}, which this tool does not have "
                              f"(it has {', '.join(available_protocols(self.settings.protocols_dir))})") from None

    def score_answers(self, data: Any) -> SiteProfile:
        """Score raw structured answers (already parsed from YAML/JSON) against the protocol they name; the
        compliance gate (if the file answers it) is checked as of the file's ``assessed_on`` date, else today."""
        protocol = self.answers_protocol(data)
        parsed = read_answers(protocol, data)
        profile = score_site(protocol, parsed.answers, parsed.facts)
        return with_gate(protocol, profile, parsed.gate, parsed.facts, parsed.assessed_on or utcnow().date())

    def score_file(self, path: Path) -> SiteProfile:
        return self.score_answers(read_answers_file(path))

    # --- the guided interview ------------------------------------------------------------------------------------
    @cached_property
    def store(self) -> Store:
        from assistant.components import database

        return database(self.settings)

    @cached_property
    def audit_trail(self) -> AuditTrail:
        """Verify, export and the head of the audit trail (the operator's, at the command line)."""
        return AuditTrail(self.store)

    @property
    def engine(self) -> InterviewEngine:
        """The engine over the active protocol (new interviews)."""
        return self.engine_for(self.protocol.ref)

    @cached_property
    def flow(self) -> InterviewFlow:
        return InterviewFlow(self)

    def roles(self) -> list[tuple[str, str]]:
        """(label, id) of the roles an interviewee can take, plus 'all questions'."""
        return [(r.label, r.id) for r in self.protocol.meta.roles] + [("Whole protocol (all questions)", "all")]

    # --- who is calling (every call below checks its principal first; see assistant.auth) ------------------------
    @cached_property
    def accounts(self) -> Accounts:
        return Accounts(self.store)

    @cached_property
    def users(self) -> UserAdmin:
        """Account management (admins and the command line)."""
        return UserAdmin(self)

    def local_mode(self) -> bool:
        """Single-user local mode: no account exists yet, so nobody logs in (the app then binds to loopback only)."""
        return self.accounts.count() == 0

    def login(self, name: str, password: str) -> bool:
        """The password check behind the app's login form; a disabled or unknown account is refused."""
        return self.users.login(name, password)

    def session_principal(self, name: str, token: str, now: datetime | None = None) -> Principal:
        """The principal of a logged-in browser or client: ``name`` as the login form checked it, ``token`` the
        login's secret (its hash identifies the session row, opened the first time it is seen)."""
        return self.users.session_principal(name, token, now or utcnow())

    def logout(self, principal: Principal) -> None:
        """End the principal's session: later calls with it are refused."""
        self.users.logout(principal, utcnow())

    def check(self, principal: Principal, action: Action, site: str | None = None) -> Principal:
        """The principal as the database knows it now (session alive, account enabled, current grants), if it may
        do ``action`` at ``site``; else ``AccessDenied`` (``SessionExpired`` for an ended session)."""
        current = self.users.current(principal, utcnow())
        if not can(current, action, site):
            raise AccessDenied(denied(action, site))
        return current

    def _interview(self, principal: Principal, ref: int | str, action: Action) -> tuple[Principal, dict[str, Any]]:
        row = self.store.interview(ref)
        current = self.check(principal, action, row["site"])
        if action == "answer" and current.is_account and not current.admin and row["owner_id"] != current.user_id:
            raise AccessDenied("Only the person who started this interview can answer in it; you can read it.")
        if action in WRITES:
            self._unlocked(row["assessment_id"])
        return current, row

    def assessment_access(self, principal: Principal, ref: int | str, action: Action) -> tuple[Principal, int]:
        """The caller as it may ``action`` on the assessment's site, and the assessment's id; a write to a
        finalised assessment is refused (``AssessmentLocked``)."""
        row = self.store.assessment(ref)
        current = self.check(principal, action, row["site"])
        if action in WRITES:
            self._unlocked(int(row["id"]))
        return current, int(row["id"])

    def _unlocked(self, assessment_id: int) -> None:
        if self.store.assessment(assessment_id)["status"] == "final":
            raise AssessmentLocked("This assessment is finalised, so it is locked: nothing was changed. An assessor "
                                   "can reopen it, with a reason (qmm assessment reopen).")  # fmt: skip

    @staticmethod
    def who_for(principal: Principal, fallback: str) -> str:
        """The name the audit log records: the account's; in local mode (no accounts) the name typed."""
        return principal.name if principal.is_account else (fallback or principal.name)

    def _tokens(self, turn: Turn, row: dict[str, Any]) -> Turn:
        turn.interview_token, turn.assessment_token = row["token"] or "", row["assessment_token"] or ""
        return turn

    # --- the guided interview ------------------------------------------------------------------------------------
    def start_interview(self, principal: Principal, site: str, interviewee: str, role: str) -> Turn:
        """A new interview: site, assessment, interview, first state and first messages saved in one transaction.
        An account may leave ``interviewee`` empty (its own name is used)."""
        site = " ".join(site.split())[:200]
        current = self.check(principal, "start_interview", site or None)
        if current.is_account and not interviewee.strip():
            interviewee = current.name
        turn = self.flow.start(site, interviewee, role, current.user_id, self.who_for(current, interviewee))
        return self._tokens(turn, self.store.interview(turn.state.interview_id))

    def resume_interview(self, principal: Principal, interview: int | str) -> Turn:
        """Where an interview stopped (by id, or by its token from a URL), with its whole chat
        (``Turn.transcript``); a broken state is repaired."""
        _, row = self._interview(principal, interview, "read_interview")
        return self._tokens(self.flow.resume(int(row["id"])), row)

    def interviews(self, principal: Principal) -> list[dict[str, Any]]:
        """The interviews this principal may open (its sites only), newest first."""
        current = self.users.current(principal, utcnow())
        return self.store.list_interviews(current.sites("read_interview"))

    def assessment_ref(self, principal: Principal, interview: int | str) -> str:
        """The token of the assessment an interview belongs to."""
        _, row = self._interview(principal, interview, "read_results")
        return str(row["assessment_token"])

    def turn(self, principal: Principal, state: InterviewState, message: str) -> Turn:
        """One interviewee message: extract, step the engine, persist (state, effects, chat), then reply.

        Raises ``StaleInterview`` when another tab saved first (nothing is saved)."""
        current, row = self._interview(principal, state.interview_id, "answer")
        return self._tokens(self.flow.turn(state, message, self.who_for(current, state.interviewee)), row)

    def submit_form(self, principal: Principal, state: InterviewState, values: dict[str, str | list[str]],
                    confirm: bool = False) -> Turn:  # fmt: skip
        """The follow-up form's answers (field id -> label(s) or text), saved like a turn; ``confirm``: also confirm
        the card when nothing is left to ask ("Send and confirm")."""
        current, row = self._interview(principal, state.interview_id, "answer")
        turn = self.flow.submit_form(state, values, confirm, self.who_for(current, state.interviewee))
        return self._tokens(turn, row)

    def apply_edits(self, principal: Principal, state: InterviewState, edits: dict[str, str]) -> Turn | None:
        """Edits from the answer card, field by field (each one a saved turn); None when nothing changed."""
        current, row = self._interview(principal, state.interview_id, "answer")
        turn = self.flow.apply_edits(state, edits, self.who_for(current, state.interviewee))
        return self._tokens(turn, row) if turn else None

    # --- results: every interviewee heard ------------------------------------------------------------------------
    def heard(self, principal: Principal, assessment: int | str) -> dict[str, list[HeardAnswer]]:
        _, assessment_id = self.assessment_access(principal, assessment, "read_results")
        return self.heard_answers(assessment_id)

    def heard_answers(self, assessment_id: int, protocol: Protocol | None = None) -> dict[str, list[HeardAnswer]]:
        """Each question's confirmed answers with their levels, on ``protocol`` (the assessment's own version; the
        caller may pass it when it has it already)."""
        protocol = protocol or self.protocol_of(assessment_id)
        return heard_answers(protocol, self.store.confirmed_answers(assessment_id))

    def protocol_of(self, assessment_id: int) -> Protocol:
        """The protocol version an assessment was started on (it is read and scored on it for good)."""
        return self.protocol_for(self.store.assessment(assessment_id)["protocol"])

    def assessment_info(self, principal: Principal, assessment: int | str) -> dict[str, Any]:
        """The assessment's site, protocol version, status, start date and token."""
        _, assessment_id = self.assessment_access(principal, assessment, "read_results")
        return self.store.assessment(assessment_id)

    def assessment_protocol(self, principal: Principal, assessment: int | str) -> Protocol:
        _, assessment_id = self.assessment_access(principal, assessment, "read_results")
        return self.protocol_of(assessment_id)

    def conflicts(self, principal: Principal, assessment: int | str) -> list[Conflict]:
        """Questions whose interviewees' confirmed answers differ, with who said what (and any assessor choice)."""
        _, assessment_id = self.assessment_access(principal, assessment, "read_results")
        return find_conflicts(self.protocol_of(assessment_id), self.heard_answers(assessment_id),
                              self.store.resolutions(assessment_id))  # fmt: skip

    def resolve_conflict(self, principal: Principal, assessment: int | str, question_id: str, chosen: int | str,
                         reason: str, who: str = "") -> list[Conflict]:  # fmt: skip
        """An assessor chooses one interviewee's answer (``chosen``: the interview's id or token); stored and
        audited (who, when, before, after, reason). ``who`` is the name typed in local mode; an account is its own
        name."""
        current, assessment_id = self.assessment_access(principal, assessment, "resolve_conflict")
        reason, who = " ".join(reason.split())[:2000], self.who_for(current, " ".join(who.split())[:200])
        if not current.is_account and who == current.name:
            raise AssistantError("Enter your name to resolve a conflict (it goes in the audit log).")
        if not reason:
            raise AssistantError("Give a reason for choosing this answer (it goes in the audit log).")
        answers = self.heard_answers(assessment_id).get(question_id, [])
        if not differ(answers):
            raise AssistantError(f"{question_id} has no conflicting answers to resolve.")
        chosen_id = chosen if isinstance(chosen, int) else next(
            (a.interview_id for a in answers if a.interview_token == chosen), -1)  # fmt: skip
        picked = next((a for a in answers if a.interview_id == chosen_id), None)
        if picked is None:
            raise AssistantError(f"That interview has no confirmed answer to {question_id}.")
        previous = self.store.resolutions(assessment_id).get(question_id)
        before = {"answers": {str(a.interview_id): {"who": a.interviewee, "values": a.values, "level": a.level,
                                                    "version": a.version, "status": a.status} for a in answers},
                  "resolution": previous}  # fmt: skip
        after = {"chosen_interview_id": picked.interview_id, "chosen_who": picked.interviewee,
                 "values": picked.values, "level": picked.level, "reason": reason}  # fmt: skip
        self.store.resolve_conflict(assessment_id, question_id, picked.interview_id, versions_of(answers), reason,
                                    who, utcnow(), before, after)  # fmt: skip
        return find_conflicts(self.protocol_of(assessment_id), self.heard_answers(assessment_id),
                              self.store.resolutions(assessment_id))  # fmt: skip

    def assessment_profile(self, principal: Principal, assessment: int | str) -> SiteProfile:
        """The site profile from the confirmed answers in the store, on the assessment's protocol version; a
        conflict scores its most conservative answer until an assessor resolves it; the records an assessor has
        seen join each answer; the compliance gate is checked beside it (never scored)."""
        _, assessment_id = self.assessment_access(principal, assessment, "read_results")
        protocol = self.protocol_of(assessment_id)
        resolutions = self.store.resolutions(assessment_id)
        seen = self.review.seen_records(assessment_id)
        validations = self.assessor.workspace.validations(assessment_id)
        register = self.assessor.workspace.evidence(assessment_id)
        answers: dict[str, ConfirmedAnswer] = {}
        validated = []
        for qid, heard in self.heard_answers(assessment_id, protocol).items():
            answer, final = scored_final(protocol, qid, heard, validations.get(qid), resolutions.get(qid),
                                         [e for e in register if e["question_id"] == qid])  # fmt: skip
            answers[qid] = with_seen(protocol, answer, seen.get(qid))
            validated += [qid] if final else []
        facts = self.store.assessment_facts(assessment_id)
        profile = score_site(protocol, answers, facts).model_copy(update={"validated": validated})
        return with_gate(protocol, profile, self.review.gate_answers(assessment_id), facts, utcnow().date())

    @cached_property
    def review(self) -> Review:
        return Review(self.store)

    @cached_property
    def assessor(self) -> AssessorService:
        """The assessor's workspace: answers side by side, validation, the evidence register, evidence requests."""
        return AssessorService(self)

    @cached_property
    def portfolio(self) -> PortfolioService:
        """A company's sites: records, eligibility, benchmark, enrolment order, history and roadmap."""
        return PortfolioService(self)

    @cached_property
    def reports(self) -> ReportService:
        """Findings reports of an assessment or an answers file."""
        return ReportService(self)

    @cached_property
    def learning(self) -> LearningService:
        """The Learn tab: overview, reading paths, notes per question, practice rounds on the example sites."""
        from assistant.learning_service import LearningService

        return LearningService(self)

    @cached_property
    def reviews(self) -> ReviewService:
        """What belongs to an assessment beside its interviews: list, upgrade, compliance gate, records seen."""
        return ReviewService(self)

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

    def ask(self, principal: Principal, query: str, area: str | None = None, k: int = 5) -> GuidanceAnswer:
        """``qmm ask`` and the Guidance tab: the short cited answer (a glossary entry for "what is X"), the best
        passages with the answering sentence of each, and an LLM answer only if configured."""
        from assistant.answering import respond
        from assistant.guidance import GuidanceAnswer, best_sentences, written_answer

        self.check(principal, "guidance")
        found = respond(self.ready_index(), self.embedder, query, k=k, area=area or None)
        result = found.result
        answer = GuidanceAnswer(result=result, answer=found.answer, glossary=found.glossary)
        if not result.passages:
            return answer
        answer.highlights = best_sentences(self.embedder, result.query, result.passages)
        for sentence in reversed(answer.answer):  # a passage's answering sentence is highlighted (the best wins)
            answer.highlights[sentence.note_id] = sentence.text
        if self.chat_model is not None:
            answer.written, answer.note = written_answer(self.chat_model, result.query, result.passages)
        return answer

    def guidance(self, question_id: str, answer: str = "", protocol: str | None = None) -> list[Passage]:
        question = self.protocol_for(protocol or self.protocol.ref).question(question_id)
        if question is None:
            return []
        return self.ready_index().for_question(question, answer=answer, k=3)

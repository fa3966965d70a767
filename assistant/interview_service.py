"""The guided interview's service half: what happens around the pure engine for one message.

``InterviewFlow`` is what ``AssessmentService.start_interview / resume_interview / turn / submit_form /
apply_edits`` delegate to. For each message: parse a command (the engine knows the current question's fields),
otherwise extract, step the engine, and save the new state, its effects and the two chat lines (the interviewee's
message and the assistant's reply) in one transaction before anything is shown. A failing extractor is logged (the
cause only, never the answer) and the interviewee is asked to send the answer again; the text is kept.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from assistant.errors import AssistantError, ExtractionError
from assistant.extraction.models import StructuredAnswer
from assistant.interview import FormField, InterviewEngine, InterviewState, Phase, ShowGuidance, Step
from assistant.retrieval.models import Passage
from assistant.store import TurnWrite

if TYPE_CHECKING:
    from assistant.service import AssessmentService

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 20_000
UNREADABLE = "I could not read that answer; please send it again."


class Turn(BaseModel):
    """What the UI shows after one message: the saved state, the assistant's messages, quick replies, the follow-up
    form, guidance, and (on start and resume) the interview's whole chat so far."""

    state: InterviewState
    messages: list[str]
    quick_replies: list[str] = Field(default_factory=list)
    form: list[FormField] = Field(default_factory=list, description="The follow-up form's fields while it is open.")
    guidance: list[Passage] | None = None
    transcript: list[dict[str, str]] = Field(default_factory=list, description="Earlier chat: {'role', 'content'}.")
    said: str = Field(default="", description="The interviewee's message as saved in the chat (a form as text).")
    interview_token: str = Field(default="", description="The interview's unguessable reference (for URLs).")
    assessment_token: str = Field(default="", description="Its assessment's unguessable reference.")
    kept_text: str = Field(default="", description="Text to put back in the answer box (it could not be read).")


class UnreadableAnswer(ExtractionError):
    """The extractor failed on an answer; the interviewee is asked to send it again."""


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class InterviewFlow:
    def __init__(self, service: AssessmentService) -> None:
        self.service = service

    def engine(self, state: InterviewState) -> InterviewEngine:
        """The engine over the interview's own protocol version."""
        return self.service.engine_for(state.protocol)

    # --- start and resume ------------------------------------------------------------------------------------------
    def start(self, site: str, interviewee: str, role: str, owner_id: int | None = None, who: str = "") -> Turn:
        site, interviewee = " ".join(site.split())[:200], " ".join(interviewee.split())[:200]
        if not site or not interviewee:
            raise AssistantError("Enter the site name and your name to start.")
        if role not in {r for _, r in self.service.roles()}:
            raise AssistantError(f"Unknown role {role!r}.")
        protocol = self.service.protocol.ref
        steps: list[Step] = []

        def first_turn(assessment_id: int, interview_id: int, facts: dict[str, str]) -> TurnWrite:
            state = InterviewState(interview_id=interview_id, assessment_id=assessment_id, interviewee=interviewee,
                                   role=role, protocol=protocol, facts=facts)  # fmt: skip
            self.plan(state)
            step = self.engine(state).start(state)
            step.state.revision = 1
            steps.append(step)
            return TurnWrite(step.state.model_dump_json(), [e.model_dump() for e in step.effects],
                             [("assistant", m) for m in step.messages if m])  # fmt: skip

        self.service.store.start_interview(site, interviewee, role, protocol, utcnow(), first_turn, owner_id,
                                           who or interviewee)  # fmt: skip
        step = steps[-1]
        return Turn(state=step.state, messages=step.messages, quick_replies=step.quick_replies, form=_form(step))

    def plan(self, state: InterviewState) -> None:
        """Known site facts decide the questions at once; missing ones are asked first."""
        site_facts = self.service.protocol_for(state.protocol).meta.site_facts
        if all(f.id in state.facts for f in site_facts):
            state.order = self.engine(state).questions_for(state.role, state.facts)
            state.pending_facts = []
            if state.phase is Phase.FACTS:
                state.phase = Phase.ANSWER
        else:
            state.pending_facts = [f.id for f in site_facts if f.id not in state.facts]
            state.phase = Phase.FACTS

    def resume(self, interview_id: int) -> Turn:
        store = self.service.store
        row = store.interview(interview_id)
        state = self._repaired(row)  # an interview continues on the protocol version it was started on
        step = self.engine(state).resume(state)
        chat = [{"role": t["who"], "content": t["text"]} for t in store.transcript(interview_id)]
        return Turn(state=step.state, messages=step.messages, quick_replies=step.quick_replies, form=_form(step),
                    transcript=chat)  # fmt: skip

    def _repaired(self, row: dict[str, Any]) -> InterviewState:
        """The saved state; one that cannot continue (unreadable, or facts known but no questions planned, e.g. from
        a start interrupted by an older version) is rebuilt from the interview row and the site facts, and saved."""
        try:
            state = InterviewState.model_validate_json(row["state"])
            broken = state.interview_id != row["id"] or (
                state.phase is not Phase.FACTS and not state.order and state.resume_phase is not Phase.FACTS
            ) or (state.phase is Phase.FACTS and not state.pending_facts)  # fmt: skip
        except ValueError:
            state = InterviewState(
                interview_id=row["id"], assessment_id=row["assessment_id"], interviewee=row["interviewee"],
                role=row["role"], protocol=row["protocol"],
            )  # fmt: skip
            broken = True
        state.revision = row["revision"]
        if not broken:
            return state
        log.warning("interview %s had a state that could not continue; repaired on resume", row["id"])
        state.facts = {**self.service.store.assessment_facts(row["assessment_id"]), **state.facts}
        self.plan(state)
        if state.current not in state.order:
            state.current, state.draft = None, None
        repaired = state.model_copy(update={"revision": state.revision + 1})
        repaired.revision = self.service.store.commit_turn(
            state.interview_id, state.revision, repaired.model_dump_json(), [], "system", utcnow()
        )
        return repaired

    # --- one message -----------------------------------------------------------------------------------------------
    def turn(self, state: InterviewState, message: str, who: str = "") -> Turn:
        message = message[:MAX_MESSAGE_CHARS]
        who = who or state.interviewee
        engine = self.engine(state)
        command = engine.parse(state, message)
        if command is not None:
            step = engine.on_command(state, command[0], command[1])
        else:
            try:
                extracted = self._extract(state, message)
            except UnreadableAnswer:
                again = engine.resume(state)
                unread = Step(state=state, messages=[UNREADABLE], quick_replies=again.quick_replies, form=again.form)
                turn = self._commit(state, unread, message, who)
                turn.kept_text = message
                return turn
            step = engine.on_text(state, message, extracted)
        turn = self._commit(state, step, message, who)
        guidance = [e for e in step.effects if isinstance(e, ShowGuidance)]
        if guidance:
            turn.guidance = self.service.guidance(guidance[0].question_id, protocol=state.protocol)
        return turn

    def submit_form(self, state: InterviewState, values: dict[str, str | list[str]], confirm: bool = False,
                    who: str = "") -> Turn:  # fmt: skip
        step = self.engine(state).on_form(state, values, confirm=confirm)
        return self._commit(state, step, self._form_text(state, values), who or state.interviewee)

    def _form_text(self, state: InterviewState, values: dict[str, str | list[str]]) -> str:
        question = self.service.protocol_for(state.protocol).question(state.current or "")
        labels = {f.id: f.label for f in question.fields} if question else {}
        parts = [f"{labels.get(k, k)}: {', '.join(v) if isinstance(v, list) else v}" for k, v in values.items()]
        return "; ".join(parts) or "(no answers in the form)"

    def apply_edits(self, state: InterviewState, edits: dict[str, str], who: str = "") -> Turn | None:
        turn: Turn | None = None
        messages: list[str] = []
        for field, value in edits.items():
            turn = self.turn(turn.state if turn else state, f"edit {field} = {value}", who)
            messages += turn.messages
        if turn is not None:
            turn.messages = messages
        return turn

    def _extract(self, state: InterviewState, message: str) -> StructuredAnswer | None:
        if state.current is None or state.phase not in (Phase.ANSWER, Phase.FOLLOW_UP, Phase.CONFIRM):
            return None
        question = self.service.protocol_for(state.protocol).question(state.current)
        if question is None:
            return None
        targets = list(state.pending_fields) if state.phase is Phase.FOLLOW_UP else None
        target = targets[0] if targets and len(targets) == 1 else None
        try:
            return self.service.extractor.extract(question, message, target_field=target, targets=targets or None)
        except Exception as exc:  # noqa: BLE001 - logged and told; the text is kept, never silently emptied
            frame = exc.__traceback__
            while frame is not None and frame.tb_next is not None:
                frame = frame.tb_next
            where = f"{frame.tb_frame.f_code.co_filename}:{frame.tb_lineno}" if frame else "?"
            log.error("extractor %s failed on an answer to %s: %s at %s", self.service.extractor.name,
                      question.id, type(exc).__name__, where)  # fmt: skip
            raise UnreadableAnswer(UNREADABLE) from None

    def _commit(self, before: InterviewState, step: Step, user_text: str, who: str) -> Turn:
        after = step.state.model_copy(update={"revision": before.revision + 1})
        lines = ([("user", user_text)] if user_text else []) + [("assistant", m) for m in step.messages if m]
        after.revision = self.service.store.commit_turn(
            before.interview_id, before.revision, after.model_dump_json(), [e.model_dump() for e in step.effects],
            who, utcnow(), lines,
        )  # fmt: skip
        return Turn(state=after, messages=step.messages, quick_replies=step.quick_replies, form=_form(step),
                    said=user_text)  # fmt: skip


def _form(step: Step) -> list[FormField]:
    return list(step.form)

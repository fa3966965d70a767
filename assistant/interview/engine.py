"""The interview engine: a pure state machine over a protocol. No I/O, no clock, no model calls.

The service reads a message with ``parse`` (a command, or None for an answer), extracts an answer's values first
(the extractor is an outside service) and passes them in; the engine decides what happens next and returns the new
state, the messages to show, quick replies, the open follow-up form, and the effects the service must persist
*before* it shows anything (draft saved, answer confirmed, N/A, site facts).

Flow per question: ask -> free-text answer -> one follow-up form listing every field still missing (each field
asked once; "don't know" accepted) -> the structured answer as a card -> confirm, or edit fields. A reply to the
follow-up fills only the fields asked; any change to a value already on the draft is said in the reply.
Commands (typed alone or as buttons): skip, back, n/a, why, score, pause, resume, confirm, don't know, ask a
colleague, go to ID, end, edit FIELD = VALUE. A question back ("what do you mean by ...?") is explained, not saved.
Text in an answer is only ever data: a command must be the whole message, never a phrase inside an answer.
"""

from __future__ import annotations

from assistant.extraction.models import FieldValue, StructuredAnswer, empty_answer, merge
from assistant.interview import flow, moves
from assistant.interview import navigation as nav
from assistant.interview.commands import EDIT_WORD, fact_reply, is_dont_know, is_question, match_edit, parse_command
from assistant.interview.editing import edit_field, submit_form
from assistant.interview.forms import corrected, with_values
from assistant.interview.replies import (
    COLLEAGUE_LABEL,
    MAX_ANSWER_CHARS,
    card_text,
    change_notes,
    criterion_text,
    explain_question,
    label_value,
    noted,
    quick_value,
)
from assistant.interview.state import (
    ANSWERING,
    ConfirmAnswer,
    Effect,
    InterviewState,
    MarkNA,
    Phase,
    SaveDraft,
    SetFacts,
    ShowGuidance,
    Step,
)
from assistant.protocol.models import Protocol, Question
from assistant.rubric import ConfirmedAnswer, applies, score_question

YES_OR_NO = "Please answer yes or no (or ask me what it means)."
PAUSED = "The interview is paused. Say 'resume' to continue."


class InterviewEngine:
    def __init__(self, protocol: Protocol) -> None:
        self.protocol = protocol

    # --- building blocks -------------------------------------------------------------------------------------
    def questions_for(self, role: str, facts: dict[str, str]) -> list[str]:
        """Active questions the role answers and the site facts allow, in protocol order (by practice area)."""
        return [
            q.id for q in self.protocol.active_questions if (role == "all" or role in q.roles) and applies(q, facts)
        ]

    def question(self, qid: str) -> Question:
        q = self.protocol.question(qid)
        if q is None:
            raise KeyError(qid)
        return q

    def progress(self, state: InterviewState) -> dict[str, tuple[int, int]]:
        """Per practice area: (answered, total) over this interview's questions."""
        out: dict[str, tuple[int, int]] = {}
        for area in self.protocol.meta.areas:
            mine = [q for q in state.order if self.question(q).area == area.id]
            done = [q for q in mine if q in state.confirmed or q in state.na]
            out[area.id] = (len(done), len(mine))
        return out

    def open_questions(self, state: InterviewState) -> list[str]:
        """Question ids of this interview with no confirmed answer and no N/A yet, in order (for a question list)."""
        return nav.open_questions(state)

    def parse(self, state: InterviewState, text: str) -> tuple[str, str | None] | None:
        """(command, arg) when the message is a command for the current state, else None: an answer.

        Exact commands and ``go to ID`` as in ``parse_command``; a question back -> ('ask', text); an edit only
        when FIELD names a field of the current question (id or label) and there is a draft or card. A message
        starting with the literal word "edit" that is no valid edit -> ('edit', rest): the engine explains the form.
        """
        command = parse_command(text)
        if state.phase is Phase.FACTS and fact_reply(text) in ("yes", "no"):
            return None  # "yes, confirm", "not applicable": a plain answer to the site question
        if command is not None and command[0] != "edit":
            return command
        if state.phase in (*ANSWERING, Phase.FACTS) and is_question(text):
            return "ask", text.strip()
        if state.current is not None and state.phase in ANSWERING and state.draft is not None:
            edit = match_edit(self.question(state.current).fields, text)
            if edit is not None:
                return "edit", f"{edit[0].id}={edit[1]}"
        if command is not None:  # edit NAME = VALUE: the engine says what is wrong with it
            return command
        word = EDIT_WORD.match(text)
        return ("edit", word.group(1).strip()) if word else None

    # --- start and resume ------------------------------------------------------------------------------------
    def start(self, state: InterviewState) -> Step:
        """First prompt of an interview: the site facts still unknown, then the first question."""
        state = state.model_copy(deep=True)
        if not state.pending_facts:
            state.pending_facts = [f.id for f in self.protocol.meta.site_facts if f.id not in state.facts]
        if state.pending_facts:
            state.phase = Phase.FACTS
            return Step(
                state=state,
                messages=[
                    f"Welcome, {state.interviewee}. First, {_count(len(state.pending_facts), 'quick question')} "
                    "about the site; they decide which questions apply.",
                    self._fact_prompt(state.pending_facts[0]),
                ],
                quick_replies=["Yes", "No"],
            )
        if not state.order:
            state.order = self.questions_for(state.role, state.facts)
        if state.confirmed or state.na or state.history:
            return self._finish(self._advance(state, [f"Welcome back, {state.interviewee}."]))
        lines = [f"Welcome, {state.interviewee}."]
        facts = nav.facts_text(self.protocol, state.facts)
        if facts:
            lines += ["The site facts are already recorded:", *facts]
        lines.append(f"{_count(len(state.order), 'question')} for your role; one at a time.")
        return self._finish(self._advance(state, ["\n".join(lines)]))

    def resume(self, state: InterviewState) -> Step:
        """Where the interview stopped, shown again after a reload or restart."""
        state = state.model_copy(deep=True)
        if state.phase is Phase.FACTS and state.pending_facts:
            return Step(state=state, messages=[self._fact_prompt(state.pending_facts[0])], quick_replies=["Yes", "No"])
        if state.phase is Phase.PAUSED:
            return Step(state=state, messages=[PAUSED], quick_replies=["Resume"])
        if state.phase is Phase.DONE or state.current is None:
            return self._finish(self._advance(state, ["Welcome back."]))
        return self._finish(moves.where(self.protocol, state, "Welcome back: we stopped here."))

    # --- events ----------------------------------------------------------------------------------------------
    def on_text(self, state: InterviewState, text: str, extracted: StructuredAnswer | None = None) -> Step:
        """A message that is not a command: a fact answer, an answer, a follow-up reply or a justification."""
        return self._finish(self._on_text(state.model_copy(deep=True), text[:MAX_ANSWER_CHARS], extracted))

    def on_form(self, state: InterviewState, values: dict[str, str | list[str]], confirm: bool = False) -> Step:
        """The follow-up form submitted: values by field id (or label), as the labels shown or typed text; "Don't
        know" declines a field. Invalid values are named and stay asked; the rest go on the draft. ``confirm``: the
        interviewee also confirmed the card shown beside the form ("Send and confirm"): when every value was
        accepted and nothing is left to ask, the answer is saved as confirmed in the same step."""
        step = submit_form(self.protocol, state.model_copy(deep=True), values)
        if not confirm or step.state.phase is not Phase.CONFIRM or step.state.current is None:
            return self._finish(step)
        question = self.question(step.state.current)
        card = card_text(question, step.state.draft) if step.state.draft is not None else None
        kept = [m for m in step.messages if m != card]  # the card was on screen: no "reply confirm" after saving
        confirmed = self._confirm(step.state, question)
        confirmed.messages = [*kept, *confirmed.messages]
        confirmed.effects = [*step.effects, *confirmed.effects]
        return self._finish(confirmed)

    def on_command(self, state: InterviewState, command: str, arg: str | None = None) -> Step:
        return self._finish(self._on_command(state.model_copy(deep=True), command, arg))

    def explain(self, question: Question, draft: StructuredAnswer | None) -> str:
        """The level the current answer would get now, and what the next level needs."""
        values = draft.stated_values() if draft else {}
        score = score_question(self.protocol, question, ConfirmedAnswer(question_id=question.id, values=values))
        text = f"As it stands this answer is level {score.level} ({score.level_name})"
        if score.next_level is None:
            return text + ", the top level."
        needs = "; ".join((r.why or criterion_text(question, r)).rstrip(".") for r in score.missing_for_next)
        return f"{text}. Level {score.next_level} would need: {needs}."

    # --- text ------------------------------------------------------------------------------------------------
    def _on_text(self, state: InterviewState, text: str, extracted: StructuredAnswer | None) -> Step:
        if not text.strip():
            return Step(state=state, messages=["I did not get any text. Type your answer, or use a button."],
                        quick_replies=self._quick(state))  # fmt: skip
        if state.phase is Phase.FACTS and state.pending_facts:
            return self._ask(state, text) if is_question(text) else self._on_fact(state, text)
        if state.phase is Phase.PAUSED:
            return Step(state=state, messages=[PAUSED], quick_replies=["Resume"])
        if state.current is None:
            return moves.no_open_question(self.protocol, state)
        question = self.question(state.current)
        if state.phase is Phase.NA_REASON:
            state.na[question.id] = text.strip()
            state.confirmed.pop(question.id, None)
            step = self._advance(state, [f"Marked {question.id} as not applicable: \u201c{text.strip()}\u201d."])
            step.effects = [MarkNA(question_id=question.id, justification=text.strip()), *step.effects]
            return step
        if is_question(text):
            return self._ask(state, text)
        if is_dont_know(text) and state.phase in (Phase.ANSWER, Phase.FOLLOW_UP):
            return self._decline(state, question)
        new = extracted if extracted is not None and extracted.question_id == question.id else None
        new = new or empty_answer(question, [text])
        if state.phase is Phase.FOLLOW_UP and state.pending_fields:
            return self._follow_up_reply(state, question, text, new)
        before = state.draft
        if before is None:
            state.draft = new
        else:
            state.draft = corrected(before, new) if state.phase is Phase.CONFIRM else merge(before, new)
        effects: list[Effect] = [SaveDraft(question_id=question.id, answer=state.draft)]
        messages = change_notes(question, before, state.draft)
        got = noted(question, before, state.draft)
        if got or not messages:
            messages.append(got or "Thanks. I could not pick out a value from that.")
        if state.phase is Phase.CONFIRM:
            messages.append(card_text(question, state.draft))
            return Step(state=state, messages=messages, quick_replies=self._quick(state), effects=effects)
        return self._follow_up_or_confirm(state, messages, effects)

    def _follow_up_reply(self, state: InterviewState, question: Question, text: str, new: StructuredAnswer) -> Step:
        """A free-text reply to the follow-up: only the fields asked are taken from it."""
        pending = [f for f in question.fields if f.id in state.pending_fields]
        quick = [(f, v) for f in pending if (v := quick_value(f, text)) is not None]
        values = dict(new.values)
        if len(quick) == 1:  # a quick reply, or a label typed exactly, that fits one asked field only
            values[quick[0][0].id] = quick[0][1]
        taken = {f.id: values[f.id] for f in pending if f.id in values and values[f.id].value is not None}
        reply = StructuredAnswer(question_id=question.id, texts=new.texts or [text], values=taken,
                                 extractor=new.extractor, notes=new.notes)  # fmt: skip
        before = state.draft or empty_answer(question)
        state.draft = merge(before, reply)
        messages = [noted(question, before, state.draft) or "Thanks. I could not pick out the details asked from that."]
        for f in question.fields:
            old, other = before.values.get(f.id), values.get(f.id)
            if f.id in taken or old is None or old.value is None or other is None or other.value is None:
                continue
            if other.value != old.value:
                messages.append(f"I left {f.label} as {label_value(f, old.value)}: it was not asked here. "
                                f"To change it: edit {f.label} = {label_value(f, other.value)}")  # fmt: skip
        state.pending_fields = []
        return self._follow_up_or_confirm(state, messages, [SaveDraft(question_id=question.id, answer=state.draft)])

    def _on_fact(self, state: InterviewState, text: str) -> Step:
        fact = state.pending_facts[0]
        value = fact_reply(text)
        if value is None or value == "unsure":
            return Step(state=state, messages=[YES_OR_NO, self._fact_prompt(fact)], quick_replies=["Yes", "No"])
        state.facts[fact] = value
        state.pending_facts = state.pending_facts[1:]
        effects: list[Effect] = [SetFacts(facts=dict(state.facts))]
        if state.pending_facts:
            return Step(state=state, messages=[self._fact_prompt(state.pending_facts[0])], quick_replies=["Yes", "No"],
                        effects=effects)  # fmt: skip
        state.order = self.questions_for(state.role, state.facts)
        step = self._advance(
            state, [f"Thank you. {_count(len(state.order), 'question')} for your role; one at a time."]
        )
        step.effects = [*effects, *step.effects]
        return step

    def _ask(self, state: InterviewState, text: str) -> Step:
        """A question back from the interviewee: explained; the question stays open and nothing is saved."""
        if state.phase is Phase.FACTS:
            return Step(state=state, messages=[nav.explain_fact(self.protocol, state.pending_facts[0])],
                        quick_replies=["Yes", "No"])  # fmt: skip
        if state.current is None or state.phase not in ANSWERING:
            return moves.no_open_question(self.protocol, state)
        question = self.question(state.current)
        again = {
            Phase.ANSWER: "When you are ready, answer the question (or 'skip').",
            Phase.FOLLOW_UP: "When you are ready, give the details asked above (or 'don't know').",
            Phase.CONFIRM: "The card is unchanged: 'confirm' it or edit a field.",
        }[state.phase]
        return Step(state=state, messages=[explain_question(question, text), again], quick_replies=self._quick(state),
                    effects=[ShowGuidance(question_id=question.id)])  # fmt: skip

    # --- commands --------------------------------------------------------------------------------------------
    def _on_command(self, state: InterviewState, command: str, arg: str | None) -> Step:
        if command == "resume" or state.phase is Phase.PAUSED:
            if command != "resume":
                return Step(state=state, messages=[PAUSED], quick_replies=["Resume"])
            state.phase = state.resume_phase or Phase.ANSWER
            state.resume_phase = None
            return self.resume(state)
        if command == "pause":
            state.resume_phase, state.phase = state.phase, Phase.PAUSED
            return Step(state=state, messages=["Paused. Everything so far is saved; say 'resume' when ready."],
                        quick_replies=["Resume"])  # fmt: skip
        if state.phase is Phase.FACTS:
            if command in ("ask", "why"):
                return self._ask(state, arg or "")
            first = "" if command == "decline" else "Please answer the site questions first. "
            return Step(state=state, messages=[first + YES_OR_NO, self._fact_prompt(state.pending_facts[0])],
                        quick_replies=["Yes", "No"])  # fmt: skip
        if command == "back":
            return moves.back(self.protocol, state)
        if command == "goto":
            return moves.goto(self.protocol, state, arg or "")
        if command == "end":
            return moves.end(self.protocol, state)
        if state.current is None:
            return moves.no_open_question(self.protocol, state)
        question = self.question(state.current)
        if command in ("skip", "colleague"):
            return moves.skip(self.protocol, state, question, for_colleague=command == "colleague")
        if command == "na":
            state.phase = Phase.NA_REASON
            return Step(state=state, messages=["Why does this question not apply to your site? (A short reason is "
                                               "needed; N/A answers are left out of the scores.)"])  # fmt: skip
        if command == "why":
            return Step(state=state, messages=[f"Why we ask: {question.respondent_guidance}",
                                               "The guidance panel shows what FDA and the standards say."],
                        quick_replies=self._quick(state), effects=[ShowGuidance(question_id=question.id)])  # fmt: skip
        if command == "ask":
            return self._ask(state, arg or "")
        if command == "score":
            return Step(state=state, messages=[self.explain(question, state.draft)], quick_replies=self._quick(state))
        if command == "decline" and state.phase in (Phase.ANSWER, Phase.FOLLOW_UP):
            return self._decline(state, question)
        if command == "edit" and state.phase in ANSWERING:
            return edit_field(self.protocol, state, question, arg or "")
        if command == "confirm" and state.phase in ANSWERING:
            return self._confirm(state, question)
        if command == "decline" and state.phase is Phase.CONFIRM:
            return Step(state=state, messages=["Nothing is being asked now. Reply 'confirm' to save the card, or "
                                               "correct a field: edit FIELD = Don't know"],
                        quick_replies=self._quick(state))  # fmt: skip
        return Step(state=state, messages=["That command does not apply here."], quick_replies=self._quick(state))

    def _confirm(self, state: InterviewState, question: Question) -> Step:
        if state.draft is None:
            return Step(state=state, messages=["There is no answer to confirm yet: please answer the question."],
                        quick_replies=self._quick(state))  # fmt: skip
        state.confirmed[question.id] = state.draft
        state.na.pop(question.id, None)
        state.carried = [q for q in state.carried if q != question.id]
        effects: list[Effect] = [ConfirmAnswer(question_id=question.id, answer=state.draft)]
        level = self.explain(question, state.draft).split(".")[0]
        step = self._advance(state, [f"Saved {question.id}. {level}."])
        step.effects = [*effects, *step.effects]
        return step

    def _decline(self, state: InterviewState, question: Question) -> Step:
        """ "Don't know": in a follow-up, the fields asked are left as not stated; as a first reply, nothing is saved
        and the interviewee can skip, leave the question for a colleague, or mark it N/A."""
        if state.phase is Phase.FOLLOW_UP and state.draft is not None and state.pending_fields:
            unknown = {f: FieldValue(field=f, source="declined") for f in state.pending_fields}
            state.draft = with_values(state.draft, unknown)
            state.pending_fields = []
            return self._follow_up_or_confirm(state, ["Fine, left as not stated."],
                                              [SaveDraft(question_id=question.id, answer=state.draft)])  # fmt: skip
        roles = " or ".join(nav.role_labels(self.protocol, question))
        return Step(
            state=state,
            messages=[f"That's fine; nothing is saved for {question.id}. You can skip it for now, leave it for a "
                      f"colleague who knows ({roles}), or mark it N/A if it does not apply to your site."],
            quick_replies=["Skip", COLLEAGUE_LABEL, "N/A"],
        )  # fmt: skip

    def _fact_prompt(self, fact_id: str) -> str:
        return flow.fact_prompt(self.protocol, fact_id)

    def _ask_text(self, question: Question) -> str:
        return flow.ask_text(self.protocol, question)

    def _quick(self, state: InterviewState) -> list[str]:
        return flow.quick_replies(self.protocol, state)

    def _advance(self, state: InterviewState, messages: list[str], left: str | None = None) -> Step:
        return flow.advance(self.protocol, state, messages, left)

    def _follow_up_or_confirm(self, state: InterviewState, messages: list[str], effects: list[Effect]) -> Step:
        return flow.follow_up_or_confirm(self.protocol, state, messages, effects)

    def _finish(self, step: Step) -> Step:
        return flow.with_form(self.protocol, step)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"

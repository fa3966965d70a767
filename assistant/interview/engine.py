"""The interview engine: a pure state machine over a protocol. No I/O, no clock, no model calls.

The service extracts the interviewee's text first (the extractor is an outside service) and passes the result in;
the engine decides what happens next and returns the new state, the messages to show, quick replies, and the
effects the service must persist *before* it shows anything (draft saved, answer confirmed, N/A, site facts).

Flow per question: ask -> free-text answer -> follow-up for each field still missing (options as quick replies; each
field asked once, "don't know" accepted) -> the structured answer as a card -> confirm or edit field by field.
Commands (typed alone or as buttons): skip, back, n/a, why, score, pause, resume, confirm, edit FIELD = VALUE.
Text in an answer is only ever data: a command must be the whole message, never a phrase inside an answer.
"""

from __future__ import annotations

from assistant.answers import coerce_value
from assistant.extraction.models import FieldValue, StructuredAnswer, empty_answer, merge
from assistant.interview.replies import (
    DECLINE_LABEL,
    MAX_ANSWER_CHARS,
    NO_WORDS,
    YES_WORDS,
    card_text,
    option_labels,
    quick_value,
    show_value,
)
from assistant.interview.state import (
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
from assistant.protocol.models import FieldType, Protocol, Question
from assistant.rubric import ConfirmedAnswer, applies, score_question


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

    def start(self, state: InterviewState) -> Step:
        """First prompt of a new interview: the site facts, then the first question."""
        state = state.model_copy(deep=True)
        if state.pending_facts or (not state.facts and self.protocol.meta.site_facts):
            state.pending_facts = state.pending_facts or [
                f.id for f in self.protocol.meta.site_facts if f.id not in state.facts
            ]
        if state.pending_facts:
            state.phase = Phase.FACTS
            return Step(
                state=state,
                messages=[
                    f"Welcome, {state.interviewee}. First, {len(state.pending_facts)} quick questions about the site; "
                    "they decide which questions apply.",
                    self._fact_prompt(state.pending_facts[0]),
                ],
                quick_replies=["Yes", "No"],
            )
        return self._advance(state, [f"Welcome back, {state.interviewee}."])

    def resume(self, state: InterviewState) -> Step:
        """Where the interview stopped, shown again after a reload or restart."""
        state = state.model_copy(deep=True)
        if state.phase is Phase.FACTS and state.pending_facts:
            return Step(state=state, messages=[self._fact_prompt(state.pending_facts[0])], quick_replies=["Yes", "No"])
        if state.phase is Phase.PAUSED:
            return Step(state=state, messages=["The interview is paused. Say 'resume' to continue."],
                        quick_replies=["Resume"])  # fmt: skip
        if state.phase is Phase.DONE or state.current is None:
            return self._advance(state, ["Welcome back."])
        question = self.question(state.current)
        messages = ["Welcome back: we stopped here.", self._ask_text(question)]
        if state.phase is Phase.FOLLOW_UP and state.pending_field:
            field = next(f for f in question.fields if f.id == state.pending_field)
            messages.append(field.follow_up or "")
            return Step(state=state, messages=messages, quick_replies=[*option_labels(field), DECLINE_LABEL])
        if state.phase is Phase.CONFIRM and state.draft is not None:
            messages.append(card_text(question, state.draft))
            return Step(state=state, messages=messages, quick_replies=["Confirm"])
        if state.phase is Phase.NA_REASON:
            messages.append("Why does this question not apply to your site?")
        return Step(state=state, messages=messages)

    def _fact_prompt(self, fact_id: str) -> str:
        fact = next(f for f in self.protocol.meta.site_facts if f.id == fact_id)
        return fact.question

    def _ask_text(self, question: Question) -> str:
        area = self.protocol.area(question.area)
        return f"{question.id} · {area.name if area else question.area} · {question.topic}\n{question.text}"

    def _next_question(self, state: InterviewState) -> str | None:
        open_ = [q for q in state.order if q not in state.confirmed and q not in state.na]
        fresh = [q for q in open_ if q not in state.skipped]
        if fresh:
            return fresh[0]
        if open_:  # only skipped questions are left: come back to them
            state.skipped = [q for q in state.skipped if q != open_[0]]
            return open_[0]
        return None

    def _advance(self, state: InterviewState, messages: list[str]) -> Step:
        nxt = self._next_question(state)
        state.asked, state.pending_field = [], None
        if nxt is None:
            state.phase, state.current, state.draft = Phase.DONE, None, None
            messages.append(
                f"All {len(state.order)} questions for your role are answered. Thank you! The Results tab shows the "
                "site profile; you can still go 'back' to change an answer."
            )
            return Step(state=state, messages=messages, quick_replies=["Back"])
        return self._open(state, nxt, messages)

    def _open(self, state: InterviewState, qid: str, messages: list[str]) -> Step:
        question = self.question(qid)
        state.current, state.phase = qid, Phase.ANSWER
        if not state.history or state.history[-1] != qid:
            state.history.append(qid)
        state.asked, state.pending_field = [], None
        if qid in state.confirmed:
            state.draft = state.confirmed[qid].model_copy(deep=True)
            state.phase = Phase.CONFIRM
            messages += [self._ask_text(question), "Your confirmed answer:", card_text(question, state.draft)]
            return Step(state=state, messages=messages, quick_replies=["Confirm", "Skip", "Back"])
        state.draft = None
        messages.append(self._ask_text(question))
        return Step(state=state, messages=messages, quick_replies=["Why this question?", "Skip", "N/A"])

    def _follow_up_or_confirm(self, state: InterviewState, messages: list[str], effects: list[Effect]) -> Step:
        question = self.question(state.current or "")
        assert state.draft is not None
        for field in question.fields:
            v = state.draft.values.get(field.id)
            if (v is None or v.value is None) and field.id not in state.asked and not (v and v.source == "declined"):
                state.phase, state.pending_field = Phase.FOLLOW_UP, field.id
                state.asked.append(field.id)
                messages.append(field.follow_up or f"What about {field.label.lower()}?")
                return Step(state=state, messages=messages, quick_replies=[*option_labels(field), DECLINE_LABEL],
                            effects=effects)  # fmt: skip
        state.phase, state.pending_field = Phase.CONFIRM, None
        messages.append(card_text(question, state.draft))
        return Step(state=state, messages=messages, quick_replies=["Confirm", "How would this score?"], effects=effects)

    # --- events ----------------------------------------------------------------------------------------------
    def on_text(self, state: InterviewState, text: str, extracted: StructuredAnswer | None = None) -> Step:
        """A message that is not a command: a fact answer, an answer, a follow-up reply or a justification."""
        state = state.model_copy(deep=True)
        text = text[:MAX_ANSWER_CHARS]
        if not text.strip():
            return Step(state=state, messages=["I did not get any text. Type your answer, or use a button."])
        if state.phase is Phase.FACTS and state.pending_facts:
            return self._on_fact(state, text)
        if state.phase is Phase.PAUSED:
            return Step(state=state, messages=["The interview is paused. Say 'resume' to continue."],
                        quick_replies=["Resume"])  # fmt: skip
        if state.phase is Phase.DONE or state.current is None:
            return Step(state=state, messages=["All questions are answered. Use 'back' to change an answer."])
        question = self.question(state.current)
        if state.phase is Phase.NA_REASON:
            state.na[question.id] = text.strip()
            effects: list[Effect] = [MarkNA(question_id=question.id, justification=text.strip())]
            state.confirmed.pop(question.id, None)
            step = self._advance(state, [f"Marked {question.id} as not applicable: \u201c{text.strip()}\u201d."])
            step.effects = effects
            return step
        new = extracted or empty_answer(question, [text])
        if state.phase is Phase.FOLLOW_UP and state.pending_field:
            field = next(f for f in question.fields if f.id == state.pending_field)
            quick = quick_value(field, text)
            if quick is not None:
                new = new.model_copy(update={"values": {**new.values, field.id: quick}})
        draft = new if state.draft is None else merge(state.draft, new)
        state.draft = draft
        effects = [SaveDraft(question_id=question.id, answer=draft)]
        got = [f.label for f in question.fields if new.values.get(f.id) and new.values[f.id].value is not None]
        messages = [f"Noted: {', '.join(got)}." if got else "Thanks. I could not pick out a value from that."]
        if state.phase is Phase.CONFIRM:
            state.phase = Phase.CONFIRM
            messages.append(card_text(question, draft))
            return Step(state=state, messages=messages, quick_replies=["Confirm"], effects=effects)
        return self._follow_up_or_confirm(state, messages, effects)

    def _on_fact(self, state: InterviewState, text: str) -> Step:
        fact = state.pending_facts[0]
        if YES_WORDS.match(text):
            value = "yes"
        elif NO_WORDS.match(text):
            value = "no"
        else:
            return Step(state=state, messages=["Please answer yes or no.", self._fact_prompt(fact)],
                        quick_replies=["Yes", "No"])  # fmt: skip
        state.facts[fact] = value
        state.pending_facts = state.pending_facts[1:]
        effects: list[Effect] = [SetFacts(facts=dict(state.facts))]
        if state.pending_facts:
            return Step(state=state, messages=[self._fact_prompt(state.pending_facts[0])], quick_replies=["Yes", "No"],
                        effects=effects)  # fmt: skip
        state.order = self.questions_for(state.role, state.facts)
        step = self._advance(state, [f"Thank you. {len(state.order)} questions apply to your role; one at a time."])
        step.effects = effects
        return step

    def on_command(self, state: InterviewState, command: str, arg: str | None = None) -> Step:
        state = state.model_copy(deep=True)
        if command == "resume" or state.phase is Phase.PAUSED:
            if command != "resume":
                return Step(state=state, messages=["The interview is paused. Say 'resume' to continue."],
                            quick_replies=["Resume"])  # fmt: skip
            state.phase = state.resume_phase or Phase.ANSWER
            state.resume_phase = None
            return self.resume(state)
        if command == "pause":
            state.resume_phase, state.phase = state.phase, Phase.PAUSED
            return Step(state=state, messages=["Paused. Everything so far is saved; say 'resume' when ready."],
                        quick_replies=["Resume"])  # fmt: skip
        if state.phase is Phase.FACTS:
            return Step(
                state=state,
                messages=["Please answer yes or no first.", self._fact_prompt(state.pending_facts[0])],
                quick_replies=["Yes", "No"],
            )
        if command == "back":
            return self._back(state)
        if state.current is None:
            return Step(state=state, messages=["There is no open question. Use 'back' to change an answer."])
        question = self.question(state.current)
        if command == "skip":
            if question.id not in state.skipped:
                state.skipped.append(question.id)
            effects: list[Effect] = [SaveDraft(question_id=question.id, answer=state.draft)] if state.draft else []
            step = self._advance(state, [f"Skipped {question.id}; we will come back to it."])
            step.effects = effects
            return step
        if command == "na":
            state.phase = Phase.NA_REASON
            return Step(state=state, messages=["Why does this question not apply to your site? (A short reason is "
                                               "needed; N/A answers are left out of the scores.)"])  # fmt: skip
        if command == "why":
            return Step(state=state, messages=[f"Why we ask: {question.respondent_guidance}",
                                               "The guidance panel shows what FDA and the standards say."],
                        effects=[ShowGuidance(question_id=question.id)])  # fmt: skip
        if command == "score":
            return Step(state=state, messages=[self.explain(question, state.draft)])
        if command == "decline" and state.phase is Phase.FOLLOW_UP and state.pending_field and state.draft:
            values = dict(state.draft.values)
            values[state.pending_field] = FieldValue(field=state.pending_field, source="declined")
            state.draft = state.draft.model_copy(update={"values": values})
            return self._follow_up_or_confirm(
                state, ["Fine, left as not stated."], [SaveDraft(question_id=question.id, answer=state.draft)]
            )
        if command == "edit":
            return self._edit(state, question, arg or "")
        if command == "confirm":
            if state.draft is None:
                return Step(state=state, messages=["There is no answer to confirm yet: please answer the question."])
            state.confirmed[question.id] = state.draft
            state.na.pop(question.id, None)
            effects = [ConfirmAnswer(question_id=question.id, answer=state.draft)]
            level = self.explain(question, state.draft).split(".")[0]
            step = self._advance(state, [f"Saved {question.id}. {level}."])
            step.effects = effects
            return step
        return Step(state=state, messages=["That command does not apply here."])

    def _back(self, state: InterviewState) -> Step:
        """Back to the question visited before this one (the history is a visit log)."""
        history = list(state.history)
        if history and history[-1] == state.current:
            history.pop()
        if not history:
            return Step(state=state, messages=["This is the first question."])
        previous = history[-1]
        state.history = history
        if state.current and state.current not in state.confirmed and state.current not in state.na:
            state.skipped = [q for q in state.skipped if q != state.current]
        step = self._open(state, previous, ["Going back."])
        if previous in state.na:
            step.messages.append(f"It is marked N/A: \u201c{state.na[previous]}\u201d. Answer it to replace that.")
        return step

    def _edit(self, state: InterviewState, question: Question, arg: str) -> Step:
        name, _, raw = arg.partition("=")
        field = next((f for f in question.fields if f.id == name.strip()), None)
        if field is None:
            names = ", ".join(f.id for f in question.fields)
            return Step(state=state, messages=[f"There is no field '{name.strip()}' here. Fields: {names}."])
        items: object = [i.strip() for i in raw.split(",") if i.strip()] if field.type in (
            FieldType.MULTI_CHOICE, FieldType.EVIDENCE_LIST) else raw.strip()  # fmt: skip
        try:
            value = coerce_value(field, items)
        except ValueError as exc:
            return Step(state=state, messages=[f"Could not set {field.id}: {exc}."])
        draft = state.draft or empty_answer(question)
        values = dict(draft.values)
        values[field.id] = FieldValue(field=field.id, value=value, span=raw.strip() or None, confidence=1.0,
                                      source="edited")  # fmt: skip
        state.draft = draft.model_copy(update={"values": values})
        if state.phase is not Phase.CONFIRM:
            return self._follow_up_or_confirm(
                state,
                [f"Set {field.label} to {show_value(value)}."],
                [SaveDraft(question_id=question.id, answer=state.draft)],
            )
        return Step(state=state, messages=[f"Set {field.label} to {show_value(value)}.", card_text(question,
                    state.draft)], quick_replies=["Confirm"],
                    effects=[SaveDraft(question_id=question.id, answer=state.draft)])  # fmt: skip

    def explain(self, question: Question, draft: StructuredAnswer | None) -> str:
        """The level the current answer would get now, and what the next level needs."""
        values = draft.stated_values() if draft else {}
        score = score_question(self.protocol, question, ConfirmedAnswer(question_id=question.id, values=values))
        text = f"As it stands this answer is level {score.level} ({score.level_name})"
        if score.next_level is None:
            return text + ", the top level."
        needs = "; ".join(
            (r.why or f"{r.field} {r.op} {show_value(r.expected)}").rstrip(".") for r in score.missing_for_next
        )
        return f"{text}. Level {score.next_level} would need: {needs}."

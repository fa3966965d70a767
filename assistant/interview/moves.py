"""The commands that move between questions: skip (or leave for a colleague), go to, back, end; and the open
question shown again as it stands. Pure functions over the protocol and a state the caller owns."""

from __future__ import annotations

from assistant.interview import flow
from assistant.interview import navigation as nav
from assistant.interview.replies import card_text, form_text
from assistant.interview.state import ANSWERING, Effect, InterviewState, Phase, SaveDraft, Step
from assistant.protocol.models import Protocol, Question


def where(protocol: Protocol, state: InterviewState, greeting: str) -> Step:
    """The open question shown again as it stands: the question, and its form, card or N/A prompt."""
    question = flow.question_of(protocol, state.current or "")
    messages = [greeting, flow.ask_text(protocol, question)]
    if state.phase is Phase.FOLLOW_UP and state.pending_fields:
        messages.append(form_text(question, state.pending_fields, state.draft))
    elif state.phase is Phase.CONFIRM and state.draft is not None:
        messages.append(card_text(question, state.draft))
    elif state.phase is Phase.NA_REASON:
        messages.append("Why does this question not apply to your site?")
    return Step(state=state, messages=messages, quick_replies=flow.quick_replies(protocol, state))


def skip(protocol: Protocol, state: InterviewState, question: Question, for_colleague: bool = False) -> Step:
    effects: list[Effect] = [SaveDraft(question_id=question.id, answer=state.draft)] if state.draft else []
    if question.id in state.confirmed or question.id in state.na:
        message = f"{question.id} is already answered; moving on."
    elif for_colleague:
        roles = " or ".join(nav.role_labels(protocol, question))
        message = f"Left {question.id} open for a colleague ({roles}); it stays on the open list."
    else:
        message = f"Skipped {question.id}; " + (
            "it stays open." if question.id in state.revisited else "we will come back to it at the end."
        )
    if question.id not in state.skipped and question.id not in state.confirmed and question.id not in state.na:
        state.skipped.append(question.id)
    step = flow.advance(protocol, state, [message], left=question.id)
    step.effects = [*effects, *step.effects]
    return step


def leave_current(state: InterviewState) -> list[Effect]:
    """Leaving an unanswered question for another one: it counts as skipped; its draft is saved."""
    qid = state.current
    if qid is None or qid in state.confirmed or qid in state.na:
        return []
    if qid not in state.skipped:
        state.skipped.append(qid)
    return [SaveDraft(question_id=qid, answer=state.draft)] if state.draft else []


def goto(protocol: Protocol, state: InterviewState, arg: str) -> Step:
    qid = next((q for q in state.order if q.lower() == arg.strip().lower()), None)
    if qid is None:
        still_open = nav.open_questions(state)
        listed = f" Open: {', '.join(still_open)}." if still_open else ""
        return Step(state=state, messages=[f"{arg.strip()} is not one of this interview's questions.{listed}"],
                    quick_replies=flow.quick_replies(protocol, state))  # fmt: skip
    if qid == state.current and state.phase in ANSWERING:
        return where(protocol, state, f"We are on {qid}.")
    effects = leave_current(state)
    step = flow.open_question(protocol, state, qid, [])
    if qid in state.na:
        step.messages.append(f"It is marked N/A: \u201c{state.na[qid]}\u201d. Answer it to replace that.")
    step.effects = effects
    return step


def end(protocol: Protocol, state: InterviewState) -> Step:
    """End with questions open; the question open now is not skipped, so 'resume' starts there again."""
    effects: list[Effect] = [SaveDraft(question_id=state.current, answer=state.draft)] if (
        state.current and state.draft and state.phase in ANSWERING) else []  # fmt: skip
    flow.keep_draft(state)
    state.phase, state.current, state.draft, state.asked, state.pending_fields = Phase.DONE, None, None, [], []
    still_open = nav.open_questions(state)
    if still_open:
        message = nav.end_text(protocol, still_open)
    else:
        message = f"All {len(state.order)} questions for your role are answered. Thank you!"
    return Step(state=state, messages=[message], quick_replies=flow.quick_replies(protocol, state), effects=effects)


def back(protocol: Protocol, state: InterviewState) -> Step:
    """Back to the question visited before this one (the history is a visit log)."""
    history = list(state.history)
    if history and history[-1] == state.current:
        history.pop()
    if not history:
        return Step(
            state=state, messages=["This is the first question."], quick_replies=flow.quick_replies(protocol, state)
        )
    previous = history[-1]
    state.history = history
    if state.current and state.current not in state.confirmed and state.current not in state.na:
        state.skipped = [q for q in state.skipped if q != state.current]
    step = flow.open_question(protocol, state, previous, ["Going back."])
    if previous in state.na:
        step.messages.append(f"It is marked N/A: \u201c{state.na[previous]}\u201d. Answer it to replace that.")
    return step


def no_open_question(protocol: Protocol, state: InterviewState) -> Step:
    still_open = nav.open_questions(state)
    if still_open:
        message = nav.open_left_text(protocol, still_open)
    else:
        message = "All questions are answered. Use 'back' to change an answer."
    return Step(state=state, messages=[message], quick_replies=flow.quick_replies(protocol, state))

"""Moving through the interview: open a question, ask the follow-up form or show the card, go to the next one.
Pure functions over the protocol and the state (the state passed in is a copy the caller owns and may change)."""

from __future__ import annotations

from assistant.interview import navigation as nav
from assistant.interview.replies import (
    DECLINE_ALL_LABEL,
    DECLINE_LABEL,
    card_text,
    form_fields,
    form_text,
    option_labels,
)
from assistant.interview.state import Effect, InterviewState, Phase, Step
from assistant.protocol.models import Protocol, Question, interviewee_fields

CARRIED = ("Your answer to the earlier version of this question was carried over: please check each value, fill in "
           "what this version adds, then confirm.")


def question_of(protocol: Protocol, qid: str) -> Question:
    question = protocol.question(qid)
    if question is None:
        raise KeyError(qid)
    return question


def ask_text(protocol: Protocol, question: Question) -> str:
    area = protocol.area(question.area)
    return f"{question.id} · {area.name if area else question.area} · {question.topic}\n{question.text}"


def fact_prompt(protocol: Protocol, fact_id: str) -> str:
    return next(f for f in protocol.meta.site_facts if f.id == fact_id).question


def quick_replies(protocol: Protocol, state: InterviewState) -> list[str]:
    """The buttons that fit where the interview stands."""
    if state.phase is Phase.FACTS:
        return ["Yes", "No"]
    if state.phase is Phase.PAUSED:
        return ["Resume"]
    if state.current is None:
        still_open = nav.open_questions(state)
        if not still_open:
            return ["Back"]
        last = "Back" if state.phase is Phase.DONE else "End interview"
        return [*(f"Go to {q}" for q in still_open[:4]), last]
    if state.phase is Phase.FOLLOW_UP and state.pending_fields:
        if len(state.pending_fields) == 1:
            field = next(f for f in question_of(protocol, state.current).fields if f.id == state.pending_fields[0])
            return [*option_labels(field), DECLINE_LABEL]
        return [DECLINE_ALL_LABEL]
    if state.phase is Phase.CONFIRM:
        return ["Confirm", "How would this score?"]
    if state.phase is Phase.ANSWER:
        return ["Why this question?", "Skip", "N/A"]
    return []


def with_form(protocol: Protocol, step: Step) -> Step:
    """Sets ``step.form``: the open follow-up's fields while one is open, else empty."""
    state = step.state
    if state.phase is Phase.FOLLOW_UP and state.pending_fields and state.current is not None:
        step.form = form_fields(question_of(protocol, state.current), state.pending_fields, state.draft)
    else:
        step.form = []
    return step


def keep_draft(state: InterviewState) -> None:
    """Leaving the open question unanswered: its draft is kept for when it is opened again."""
    qid = state.current
    if qid is not None and state.draft is not None and qid not in state.confirmed and qid not in state.na:
        state.drafts[qid] = state.draft


def open_question(protocol: Protocol, state: InterviewState, qid: str, messages: list[str]) -> Step:
    """Show a question: a confirmed one on its card (for editing), one left with a draft on that draft's card,
    else asked afresh."""
    question = question_of(protocol, qid)
    keep_draft(state)
    state.current, state.phase = qid, Phase.ANSWER
    if not state.history or state.history[-1] != qid:
        state.history.append(qid)
    state.asked, state.pending_fields = [], []
    if qid in state.confirmed:
        state.draft = state.confirmed[qid].model_copy(deep=True)
        state.phase = Phase.CONFIRM
        messages += [ask_text(protocol, question), "Your confirmed answer:", card_text(question, state.draft)]
        return Step(state=state, messages=messages, quick_replies=["Confirm", "Skip", "Back"])
    state.draft = state.drafts.pop(qid, None)
    if state.draft is not None and qid in state.carried:  # from an earlier version: reconfirm, then what is new
        messages += [ask_text(protocol, question), CARRIED]
        return follow_up_or_confirm(protocol, state, messages, [])
    if state.draft is not None:
        state.phase = Phase.CONFIRM
        messages += [ask_text(protocol, question), "Your answer so far:", card_text(question, state.draft)]
        return Step(state=state, messages=messages, quick_replies=quick_replies(protocol, state))
    messages.append(ask_text(protocol, question))
    return Step(state=state, messages=messages, quick_replies=quick_replies(protocol, state))


def advance(protocol: Protocol, state: InterviewState, messages: list[str], left: str | None = None) -> Step:
    """Open the next question (never ``left``, the one just left); or say what is still open; or finish."""
    nxt = nav.next_question(state, left)
    state.asked, state.pending_fields = [], []
    if nxt is not None:
        return open_question(protocol, state, nxt, messages)
    keep_draft(state)
    state.current, state.draft = None, None
    still_open = nav.open_questions(state)
    if still_open:
        state.phase = Phase.ANSWER
        messages.append(nav.open_left_text(protocol, still_open))
    else:
        state.phase = Phase.DONE
        messages.append(
            f"All {len(state.order)} questions for your role are answered. Thank you! The Results tab shows the "
            "site profile; you can still go 'back' to change an answer."
        )
    return Step(state=state, messages=messages, quick_replies=quick_replies(protocol, state))


def follow_up_or_confirm(protocol: Protocol, state: InterviewState, messages: list[str], effects: list[Effect]) -> Step:
    """Ask, in one form, every field still missing that was not asked yet and not declined; else show the card."""
    question = question_of(protocol, state.current or "")
    assert state.draft is not None
    missing = []
    for field in interviewee_fields(question):  # the assessor's seen records are never asked of the interviewee
        v = state.draft.values.get(field.id)
        if (v is None or v.value is None) and field.id not in state.asked and not (v and v.source == "declined"):
            missing.append(field.id)
    if missing:
        state.phase, state.pending_fields = Phase.FOLLOW_UP, missing
        state.asked += missing
        messages.append(form_text(question, missing, state.draft))
    else:
        state.phase, state.pending_fields = Phase.CONFIRM, []
        messages.append(card_text(question, state.draft))
    return Step(state=state, messages=messages, quick_replies=quick_replies(protocol, state), effects=effects)


def show_card(protocol: Protocol, state: InterviewState, messages: list[str], effects: list[Effect]) -> Step:
    assert state.draft is not None
    state.phase, state.pending_fields = Phase.CONFIRM, []
    messages.append(card_text(question_of(protocol, state.current or ""), state.draft))
    return Step(state=state, messages=messages, quick_replies=quick_replies(protocol, state), effects=effects)

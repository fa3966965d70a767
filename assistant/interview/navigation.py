"""Where the interview goes next, and what is still open: pure functions over the protocol and the state.

Skipped questions come back once, after the fresh ones; a question skipped again is not brought back, so skipping
never loops. When only skipped questions are left, the interviewee is told which ones are open and can jump to one
(``go to MC-03``) or end the interview with them open (``end``).
"""

from __future__ import annotations

from assistant.interview.state import InterviewState
from assistant.protocol.models import Protocol, Question


def open_questions(state: InterviewState) -> list[str]:
    """This interview's questions with neither a confirmed answer nor N/A, in interview order."""
    return [q for q in state.order if q not in state.confirmed and q not in state.na]


def next_question(state: InterviewState, left: str | None = None) -> str | None:
    """The next question to open (fresh first, then each skipped one once), never ``left``, the question just left.
    Marks a skipped question as revisited when it is brought back. None when nothing is left to bring back."""
    open_ = open_questions(state)
    fresh = [q for q in open_ if q not in state.skipped and q != left]
    if fresh:
        return fresh[0]
    again = [q for q in open_ if q not in state.revisited and q != left]
    if again:
        state.revisited.append(again[0])
        return again[0]
    return None


def role_labels(protocol: Protocol, question: Question) -> list[str]:
    names = {r.id: r.label for r in protocol.meta.roles}
    return [names.get(r, r) for r in question.roles]


def open_lines(protocol: Protocol, qids: list[str], with_roles: bool = False) -> list[str]:
    lines = []
    for qid in qids:
        question = protocol.question(qid)
        if question is None:
            continue
        roles = f" ({'; '.join(role_labels(protocol, question))})" if with_roles else ""
        lines.append(f"- {qid} {question.topic}{roles}")
    return lines


def open_left_text(protocol: Protocol, qids: list[str]) -> str:
    """Only skipped questions are left: which ones, and what to do."""
    lines = [f"No other questions are waiting. Still open ({len(qids)}):", *open_lines(protocol, qids)]
    lines.append("Say 'go to ID' to answer one now, or 'end' to finish with them open.")
    return "\n".join(lines)


def end_text(protocol: Protocol, qids: list[str]) -> str:
    """The interview ends with questions open: which ones, and the roles still needed for them."""
    lines = [f"Interview ended with {len(qids)} question(s) still open:", *open_lines(protocol, qids, True)]
    roles: list[str] = []
    for qid in qids:
        question = protocol.question(qid)
        roles += [r for r in (role_labels(protocol, question) if question else []) if r not in roles]
    if roles:
        lines.append(f"Roles still needed: {'; '.join(roles)}.")
    lines.append("Everything so far is saved. Say 'resume' or 'go to ID' to continue later.")
    return "\n".join(lines)


def facts_text(protocol: Protocol, facts: dict[str, str]) -> list[str]:
    """The site facts already recorded, one short line each."""
    return [f"- {f.question} {facts[f.id].capitalize()}" for f in protocol.meta.site_facts if f.id in facts]


def explain_fact(protocol: Protocol, fact_id: str) -> str:
    """Why a site fact is asked: the questions it adds or removes."""
    fact = next(f for f in protocol.meta.site_facts if f.id == fact_id)
    lines = [f"\u201c{fact.question}\u201d decides which questions apply to your site."]
    for answer in ("yes", "no"):
        qs = [
            q for q in protocol.active_questions if q.applies_when and q.applies_when.fact == fact_id
            and q.applies_when.is_ == answer
        ]  # fmt: skip
        if qs:
            lines.append(f"If {answer}, these are asked too: {', '.join(f'{q.id} {q.topic}' for q in qs)}.")
    lines.append("Please answer yes or no; if you are not sure, a colleague who knows can answer it.")
    return "\n".join(lines)

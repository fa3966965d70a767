"""Values the interviewee sets directly: the follow-up form and ``edit FIELD = VALUE``. Pure functions.

Both accept fields by id or label and values by the labels shown (or ids); "Don't know" declines a field. Every
change to a value already on the draft is said in the reply ("Changed Review from Every quarter to Every month.").
"""

from __future__ import annotations

from assistant.extraction.models import FieldValue, empty_answer
from assistant.interview import flow
from assistant.interview.commands import match_edit
from assistant.interview.forms import declined, entered, find_field, is_declined, read_value, with_values
from assistant.interview.replies import change_notes, field_list, form_text, label_value, noted
from assistant.interview.state import ANSWERING, Effect, InterviewState, Phase, SaveDraft, Step
from assistant.protocol.models import Protocol, Question, assessor_only

ASSESSOR_ONLY = "{label} is filled in by the assessor (Results tab), not in the interview."


def _given(raw: str | list[str]) -> bool:
    return any(str(r).strip() for r in (raw if isinstance(raw, list) else [raw]))


def _as_text(raw: str | list[str]) -> str:
    return ", ".join(raw) if isinstance(raw, list) else raw


def submit_form(protocol: Protocol, state: InterviewState, values: dict[str, str | list[str]]) -> Step:
    """The follow-up form: valid values go on the draft, declined fields are left as not stated, invalid ones are
    named and stay asked; then the card (or the form again with only the invalid fields)."""
    if state.current is None or state.phase not in ANSWERING:
        return Step(state=state, messages=["There is no open form to fill in here."],
                    quick_replies=flow.quick_replies(protocol, state))  # fmt: skip
    question = flow.question_of(protocol, state.current)
    before = state.draft or empty_answer(question)
    updates: dict[str, FieldValue] = {}
    problems: dict[str, str] = {}
    unknown: list[str] = []
    for name, raw in values.items():
        field = find_field(question, name)
        if field is None or assessor_only(field):
            unknown.append(name)
        elif is_declined(raw):
            updates[field.id] = declined(field)
        elif _given(raw):
            try:
                updates[field.id] = entered(field, read_value(field, raw), _as_text(raw))
            except ValueError as exc:
                problems[field.id] = f"- {field.label}: {exc}."
    state.draft = with_values(before, updates)
    messages = change_notes(question, before, state.draft)
    if got := noted(question, before, state.draft):
        messages.append(got)
    left_out = [f.label for f in question.fields if f.id in updates and updates[f.id].source == "declined"]
    if left_out:
        messages.append(f"Left as not stated: {', '.join(left_out)}.")
    if unknown:
        messages.append(f"There is no field {', '.join(repr(u) for u in unknown)} in {question.id}. "
                        f"Fields: {field_list(question)}.")  # fmt: skip
    if problems:
        messages += ["Please check (the other values are kept):", *problems.values()]
    if not messages:
        messages.append("Nothing was filled in.")
    effects: list[Effect] = [SaveDraft(question_id=question.id, answer=state.draft)] if updates else []
    if state.phase is Phase.FOLLOW_UP:
        state.pending_fields = [fid for fid in state.pending_fields if fid in problems]
        if state.pending_fields:
            messages.append(form_text(question, state.pending_fields, state.draft))
            return Step(state=state, messages=messages, quick_replies=flow.quick_replies(protocol, state),
                        effects=effects)  # fmt: skip
    if state.phase is Phase.CONFIRM:
        return flow.show_card(protocol, state, messages, effects)
    return flow.follow_up_or_confirm(protocol, state, messages, effects)


def edit_field(protocol: Protocol, state: InterviewState, question: Question, arg: str) -> Step:
    """``edit FIELD = VALUE`` (arg is "FIELD=VALUE", or the text after the word edit): one field set or declined."""
    if state.draft is None:
        return Step(state=state, messages=["There is no answer to correct yet. Answer the question first; then "
                                           "you can correct a field with: edit FIELD = VALUE"],
                    quick_replies=flow.quick_replies(protocol, state))  # fmt: skip
    name, sep, raw = arg.partition("=")
    field = find_field(question, name) if sep else None
    if field is None and (edit := match_edit(question.fields, f"edit {arg}")) is not None:
        field, raw = edit
    if field is None:
        asked = name.strip() if sep else arg.strip()
        return Step(state=state, messages=[f"There is no field '{asked}' here. Fields: {field_list(question)}. "
                                           "Write: edit FIELD = VALUE"],
                    quick_replies=flow.quick_replies(protocol, state))  # fmt: skip
    if assessor_only(field):
        return Step(state=state, messages=[ASSESSOR_ONLY.format(label=field.label)],
                    quick_replies=flow.quick_replies(protocol, state))  # fmt: skip
    before = state.draft
    if is_declined(raw):
        new = declined(field)
    else:
        try:
            new = entered(field, read_value(field, raw), raw)
        except ValueError as exc:
            return Step(state=state, messages=[f"Could not set {field.label}: {exc}."],
                        quick_replies=flow.quick_replies(protocol, state))  # fmt: skip
    state.draft = with_values(before, {field.id: new})
    effects: list[Effect] = [SaveDraft(question_id=question.id, answer=state.draft)]
    messages = change_notes(question, before, state.draft)
    if not messages:
        shown = "not stated" if new.source == "declined" else label_value(field, new.value)
        messages.append(f"Set {field.label} to {shown}.")
    if state.phase is Phase.FOLLOW_UP:
        state.pending_fields = [f for f in state.pending_fields if f != field.id]
        if state.pending_fields:
            return Step(state=state, messages=messages, quick_replies=flow.quick_replies(protocol, state),
                        effects=effects)  # fmt: skip
        return flow.follow_up_or_confirm(protocol, state, messages, effects)
    return flow.show_card(protocol, state, messages, effects)

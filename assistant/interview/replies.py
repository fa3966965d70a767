"""The engine's words: quick replies, the follow-up form, the answer card, change notes, explanations. Pure functions.

Everything the interviewee reads names fields and values by their labels ("Leadership review of progress: Every
quarter"), never by ids, in short lines that fit a phone chat.
"""

from __future__ import annotations

import re

from assistant.extraction.models import FieldValue, StructuredAnswer
from assistant.interview.state import FormField
from assistant.protocol.models import (
    FREQUENCIES,
    FREQUENCY_LABELS,
    TARGET_KEY,
    TREND_LABELS,
    AnswerField,
    FieldType,
    Question,
    interviewee_fields,
)
from assistant.rubric import CriterionResult, trend_of

DECLINE_LABEL = "Don't know / skip this field"
DECLINE_ALL_LABEL = "Don't know / skip these fields"
COLLEAGUE_LABEL = "Ask a colleague"
MAX_ANSWER_CHARS = 20_000
# Values the extractor is less sure of than this are marked "(please check)" on the card (threshold from issue 7).
# The rules extractor proposes untargeted values only from 0.8 (ExtractionConfig.min_confidence) but keeps a reply
# to a follow-up down to 0.5, so on the card this mostly marks those targeted guesses.
LOW_CONFIDENCE = 0.85  # calibrated confidence (a rule's precision on dev): below this, "please check"


def option_labels(field: AnswerField) -> list[str]:
    if field.type is FieldType.YES_NO:
        extra = (["Partly"] if field.allow_partly else []) + (["Planned"] if field.allow_planned else [])
        return ["Yes", "No", *extra]
    if field.type is FieldType.FREQUENCY:
        return [FREQUENCY_LABELS[f] for f in FREQUENCIES]
    if field.options:
        return [o.label for o in field.options]
    return []


def quick_value(field: AnswerField, text: str) -> FieldValue | None:
    """The value of a quick reply clicked (or typed exactly): deterministic, the reply itself is the span."""
    key = text.strip().lower()
    if field.type is FieldType.YES_NO and key in {"yes", "no", "partly", "planned"}:
        if key in {"partly", "planned"} and not (field.allow_partly if key == "partly" else field.allow_planned):
            return None
        return FieldValue(field=field.id, value=key, span=text.strip(), confidence=1.0)
    if field.type is FieldType.FREQUENCY:
        for fid, label in FREQUENCY_LABELS.items():
            if key == label.lower():
                return FieldValue(field=field.id, value=fid, span=text.strip(), confidence=1.0)
    for option in field.options or []:
        if key == option.label.lower():
            value: str | list[str] = [option.id] if field.type is FieldType.MULTI_CHOICE else option.id
            return FieldValue(field=field.id, value=value, span=text.strip(), confidence=1.0)
    return None


def show_value(value: object) -> str:
    """A stored value as plain text (ids as stored); ``label_value`` shows it by its labels."""
    if value is None:
        return "not stated"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{k}{' ' if k == TARGET_KEY else ': '}{show_value(v)}" for k, v in value.items())
    if isinstance(value, float) and value.is_integer():
        return f"{int(value)}"
    return str(value)


def label_value(field: AnswerField, value: object) -> str:
    """A field's value as the interviewee sees it: option and frequency labels, "Yes", "85%"."""
    if value is None:
        return "not stated"
    names = {o.id: o.label for o in field.options or []}
    if field.type is FieldType.FREQUENCY:
        names = FREQUENCY_LABELS
    if field.type is FieldType.YES_NO:
        return str(value).capitalize()
    if field.type is FieldType.PERCENTAGE:
        return f"{show_value(value)}%"
    if field.type is FieldType.YEARLY_VALUES:
        if not isinstance(value, dict):  # a direction named by a criterion
            return TREND_LABELS.get(str(value), str(value))
        unit = field.unit if field.unit == "%" else ""
        parts = "; ".join(f"{k}{' ' if k == TARGET_KEY else ': '}{show_value(v)}{unit}" for k, v in value.items())
        return f"{parts} ({TREND_LABELS.get(trend_of(field, value) or '', '')})"
    if isinstance(value, list):
        return ", ".join(names.get(str(v), str(v)) for v in value) or "none"
    return names.get(str(value), show_value(value))


def shown(field: AnswerField, v: FieldValue | None) -> str:
    """A field's value on the card, with "(please check)" when the extractor was unsure of it."""
    if v is not None and v.source == "declined":
        return "not stated (you did not know)"
    if v is None or v.value is None:
        return "not stated"
    if v.source == "carried":
        return label_value(field, v.value) + " (carried over: please reconfirm)"
    check = " (please check)" if v.source == "extracted" and v.confidence < LOW_CONFIDENCE else ""
    return label_value(field, v.value) + check


def card_text(question: Question, answer: StructuredAnswer) -> str:
    lines = [f"Here is what I understood for {question.id} ({question.topic}):"]
    lines += [f"- {f.label}: {shown(f, answer.values.get(f.id))}" for f in interviewee_fields(question)]
    lines.append("Reply 'confirm' to save it.")
    lines.append("To correct a field: edit FIELD = VALUE")
    return "\n".join(lines)


OPERATOR_WORDS = {
    "is": "is", "in": "is one of", "at_least": "at least", "at_most": "at most", "includes": "includes",
    "includes_any": "includes one of", "count_at_least": "has at least this many items:", "stated": "is stated",
}  # fmt: skip


def criterion_text(question: Question, result: CriterionResult) -> str:
    """A rubric criterion in the interviewee's words: "Review at least Every quarter"."""
    field = next((f for f in question.fields if f.id == result.field), None)
    if field is None:
        return f"{result.field} {result.op} {show_value(result.expected)}"
    words = OPERATOR_WORDS.get(result.op, result.op)
    if result.expected is None:
        return f"{field.label} {words}"
    if result.op == "count_at_least" or field.type in (FieldType.COUNT, FieldType.EVIDENCE_LIST):
        return f"{field.label} {words} {show_value(result.expected)}"
    return f"{field.label} {words} {label_value(field, result.expected)}"


def suggested_input(field: AnswerField, value: object) -> str | list[str]:
    """A value as the form control shows it: the label(s) picked, or the text typed."""
    if field.type is FieldType.MULTI_CHOICE and isinstance(value, list):
        return [label_value(field, [v]) for v in value]
    if field.type in (FieldType.COUNT, FieldType.PERCENTAGE, FieldType.EVIDENCE_LIST, FieldType.FREE_TEXT,
                      FieldType.YEARLY_VALUES):  # fmt: skip
        return show_value(value)
    return label_value(field, value)


def form_fields(question: Question, ids: list[str], draft: StructuredAnswer | None = None) -> list[FormField]:
    """The form's fields; a value the extractor read without enough confidence to propose comes pre-filled."""
    hints = draft.suggestions if draft is not None else {}
    return [
        FormField(
            id=f.id,
            label=f.label,
            type=f.type.value,
            options=option_labels(f),
            multi=f.type is FieldType.MULTI_CHOICE,
            prompt=f.follow_up or f"What about {f.label.lower()}?",
            suggested=suggested_input(f, hints[f.id].value) if f.id in hints and hints[f.id].value is not None
            else None,
        )
        for f in question.fields
        if f.id in ids
    ]


def form_text(question: Question, ids: list[str], draft: StructuredAnswer | None = None) -> str:
    """The follow-up as one chat message: a short line per missing field (label: prompt, options, and what the
    answer seemed to say, to check)."""
    fields = form_fields(question, ids, draft)
    if len(fields) == 1:
        head = "One more detail (or 'don't know'):"
    else:
        head = f"A few more details ({len(fields)}); answer the ones you know in one reply, or 'don't know':"
    lines = [head]
    for f in fields:
        line = f"- {f.label}: {f.prompt}"
        if f.options:  # frequency labels without their explanation in brackets, to keep the line short
            short = [o.split(" (")[0] for o in f.options] if f.type == FieldType.FREQUENCY else f.options
            line += f" ({' / '.join(short)}{'; several allowed' if f.multi else ''})"
        if f.suggested:
            shown_value = ", ".join(f.suggested) if isinstance(f.suggested, list) else f.suggested
            line += f" Your answer seemed to say: {shown_value}; is that right?"
        lines.append(line)
    return "\n".join(lines)


def change_notes(question: Question, before: StructuredAnswer | None, after: StructuredAnswer) -> list[str]:
    """One sentence per field whose stated value changed: "Changed Methods from A, B to A."."""
    if before is None:
        return []
    notes = []
    for f in question.fields:
        old, new = before.values.get(f.id), after.values.get(f.id)
        if old is None or old.value is None or new is None or new.value == old.value:
            continue
        notes.append(f"Changed {f.label} from {label_value(f, old.value)} to {label_value(f, new.value)}.")
    return notes


def noted(question: Question, before: StructuredAnswer | None, after: StructuredAnswer) -> str | None:
    """ "Noted: Label: value; ..." for fields that were not stated before and are now."""
    got = []
    for f in question.fields:
        old, new = before.values.get(f.id) if before else None, after.values.get(f.id)
        if new is not None and new.value is not None and (old is None or old.value is None):
            got.append(f"{f.label}: {label_value(f, new.value)}")
    return f"Noted: {'; '.join(got)}." if got else None


_STOPWORD_TEXT = """
    a an and are as at be by can count counts do does for from has have how i in is it its mean meant of on or our
    should so that the their there these this to was we what when where which who why will with you your
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def words(text: str) -> set[str]:
    """Content words, lower case, a plural "s" dropped ("documents" ~ "document")."""
    found = re.findall(r"[a-z0-9]+", text.lower())
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in found if w not in STOPWORDS}


def explain_question(question: Question, asked: str) -> str:
    """An answer to the interviewee's question about this question: the fields (and options) their words name,
    else the question's respondent guidance."""
    wanted = words(asked)
    lines = []
    for f in question.fields:
        options = [o for o in f.options or [] if wanted & words(o.label)]
        if options:
            lines += [f"- {f.label}, \u201c{o.label}\u201d: {o.description}" for o in options]
        elif wanted & words(f.label):
            extra = f" Options: {', '.join(option_labels(f))}." if f.options else ""
            lines.append(f"- {f.label}: {f.follow_up or ''}{extra}".rstrip())
    head = f"About {question.id}: {question.respondent_guidance}"
    if not lines:
        return head
    return "\n".join([head, "The part you asked about:", *lines])


def field_list(question: Question) -> str:
    return ", ".join(f.label for f in interviewee_fields(question))

"""Values typed or picked by the interviewee (form, edit, quick reply) read as field values. Pure functions.

The interviewee sees labels ("Every quarter", "Teams", "Yes"); the answer stores ids (quarterly, teams, yes). Both
are accepted, case-insensitive; the result goes through ``assistant.answers.coerce_value`` so a form, an edit and an
answers file agree on what is valid.
"""

from __future__ import annotations

import re

from assistant.answers import NOT_STATED, coerce_value
from assistant.extraction.models import FieldValue, StructuredAnswer
from assistant.interview.commands import COMMANDS, normalise
from assistant.interview.replies import option_labels
from assistant.protocol.models import FREQUENCY_LABELS, AnswerField, FieldType, Question
from assistant.rubric import Value

NUMBER_WITH_UNIT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:%|percent|per cent|[a-z][a-z /-]*)?\s*$", re.IGNORECASE)
DONT_KNOW_VALUES = frozenset({"don't know", "dont know", "do not know"})


def find_field(question: Question, name: str) -> AnswerField | None:
    """The question's field named by id or by label, case-insensitive."""
    key = " ".join(name.strip().lower().split())
    return next((f for f in question.fields if key in (f.id.lower(), f.label.lower())), None)


def is_declined(raw: str | list[str]) -> bool:
    """The "Don't know" choice (the decline label, or any "don't know" phrase)."""
    if isinstance(raw, list):
        return len(raw) == 1 and is_declined(raw[0])
    key = normalise(raw)
    return key in DONT_KNOW_VALUES or COMMANDS.get(key) == "decline"


def label_ids(field: AnswerField) -> dict[str, str]:
    """Shown label (lower case) -> stored id, for the fields chosen from a list."""
    if field.type is FieldType.YES_NO:
        return {label.lower(): label.lower() for label in option_labels(field)}
    if field.type is FieldType.FREQUENCY:
        out = {label.lower(): fid for fid, label in FREQUENCY_LABELS.items()}
        out.update({label.split(" (")[0].lower(): fid for fid, label in FREQUENCY_LABELS.items()})
        return out
    return {o.label.lower(): o.id for o in field.options or []}


def _one_id(field: AnswerField, item: str) -> str:
    """The id of a label or id typed for a field chosen from a list; ValueError naming the choices otherwise."""
    key = " ".join(item.strip().split()).lower()
    ids = label_ids(field)
    if key in ids:
        return ids[key]
    if key.replace(" ", "_").replace("-", "_") in ids.values():
        return key.replace(" ", "_").replace("-", "_")
    raise ValueError(f"{item.strip()!r} is not one of: {', '.join(option_labels(field))}")


def read_value(field: AnswerField, raw: str | list[str]) -> Value | None:
    """The value typed or picked for a field (labels or ids; comma-separated or a list for several items), as the
    field's type; None when empty or "not stated". Raises ValueError saying what is wrong."""
    if (raw if isinstance(raw, str) else " ".join(raw)).strip().lower() in NOT_STATED:
        return None
    if field.type in (FieldType.MULTI_CHOICE, FieldType.EVIDENCE_LIST):
        items = raw if isinstance(raw, list) else _split_items(field, raw)
        items = [i for i in items if i.strip()]
        if not items:
            return None
        if field.type is FieldType.MULTI_CHOICE:
            return coerce_value(field, [_one_id(field, i) for i in items])
        return coerce_value(field, items)
    text = ", ".join(raw) if isinstance(raw, list) else raw
    if field.type in (FieldType.COUNT, FieldType.PERCENTAGE):
        number = NUMBER_WITH_UNIT.match(text)
        return coerce_value(field, number.group(1) if number else text)
    if field.type in (FieldType.YES_NO, FieldType.FREQUENCY, FieldType.SINGLE_CHOICE):
        return coerce_value(field, _one_id(field, text))
    return coerce_value(field, text.strip())


def _split_items(field: AnswerField, raw: str) -> list[str]:
    if field.type is FieldType.MULTI_CHOICE and raw.strip().lower() in label_ids(field):
        return [raw]  # one label, even if it holds a comma
    return [i.strip() for i in re.split(r"[,;\n]", raw)]


def entered(field: AnswerField, value: Value | None, raw: str) -> FieldValue:
    """A value the interviewee set themselves (form, edit): its own support, full confidence."""
    return FieldValue(field=field.id, value=value, span=raw.strip() or None, confidence=1.0, source="edited")


def declined(field: AnswerField) -> FieldValue:
    return FieldValue(field=field.id, source="declined")


def with_values(answer: StructuredAnswer, values: dict[str, FieldValue]) -> StructuredAnswer:
    """The answer with these fields set (or declined); a field set is no longer a suggestion."""
    suggestions = {k: v for k, v in answer.suggestions.items() if k not in values}
    return answer.model_copy(update={"values": {**answer.values, **values}, "suggestions": suggestions})


def corrected(answer: StructuredAnswer, new: StructuredAnswer) -> StructuredAnswer:
    """Free text on the card: every value it states replaces the card's (an earlier edit too; the reply says so)."""
    stated = {k: v for k, v in new.values.items() if v.value is not None and k in answer.values}
    return answer.model_copy(
        update={
            "values": {**answer.values, **stated},
            "texts": answer.texts + [t for t in new.texts if t not in answer.texts],
            "notes": answer.notes + new.notes,
        }
    )

"""The engine's words: commands typed in the chat, quick replies, the answer card. Pure functions."""

from __future__ import annotations

import re

from assistant.extraction.models import FieldValue, StructuredAnswer
from assistant.protocol.models import FREQUENCIES, FREQUENCY_LABELS, AnswerField, FieldType, Question

COMMANDS = {
    "skip": "skip", "skip question": "skip", "skip this question": "skip", "later": "skip", "come back later": "skip",
    "back": "back", "go back": "back", "previous": "back", "previous question": "back",
    "n/a": "na", "na": "na", "not applicable": "na", "mark n/a": "na",
    "why": "why", "why this question": "why", "why this question?": "why", "guidance": "why",
    "score": "score", "how would this score": "score", "how would this score?": "score",
    "pause": "pause", "stop": "pause", "resume": "resume", "continue": "resume",
    "confirm": "confirm", "confirm answer": "confirm", "ok": "confirm", "looks good": "confirm",
    "yes, confirm": "confirm", "accept": "confirm",
    "don't know": "decline", "dont know": "decline", "not sure": "decline", "skip field": "decline",
    "don't know / skip this field": "decline", "i don't know": "decline", "unknown": "decline",
}  # fmt: skip
EDIT = re.compile(r"^\s*(?:edit|set|change)\s+([a-z_][a-z0-9_]*)\s*(?:=|:|to)\s*(.+)$", re.IGNORECASE | re.DOTALL)
DECLINE_LABEL = "Don't know / skip this field"
YES_WORDS = re.compile(r"^\s*(yes|y|yep|yeah|correct|true|we do|it is|they do)\b", re.IGNORECASE)
NO_WORDS = re.compile(r"^\s*(no|n|nope|false|we don'?t|not)\b", re.IGNORECASE)
MAX_ANSWER_CHARS = 20_000


def parse_command(text: str) -> tuple[str, str | None] | None:
    """A command when the whole message is one; ('edit', 'field=value') for an edit; else None."""
    key = " ".join(text.strip().lower().split())
    if key in COMMANDS:
        return COMMANDS[key], None
    match = EDIT.match(text)
    if match:
        return "edit", f"{match.group(1).lower()}={match.group(2).strip()}"
    return None


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
    if value is None:
        return "not stated"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value)}"
    return str(value)


def card_text(question: Question, answer: StructuredAnswer) -> str:
    lines = [f"Here is what I understood for {question.id} ({question.topic}):"]
    for f in question.fields:
        v = answer.values.get(f.id)
        shown = "not stated" if v is None or v.value is None else show_value(v.value)
        if v is not None and v.source == "declined":
            shown = "not stated (you did not know)"
        lines.append(f"- {f.label} [{f.id}]: {shown}")
    lines.append("Reply 'confirm' to save it, or correct a field with 'edit FIELD = VALUE'.")
    return "\n".join(lines)

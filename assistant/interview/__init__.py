"""The guided interview: a pure state machine (engine), its data (state), how messages are read (commands) and its
words (replies); follow-up forms and edits (forms, editing), moving through the questions (flow, navigation)."""

from assistant.interview.commands import fact_reply, is_question, parse_command
from assistant.interview.engine import InterviewEngine
from assistant.interview.replies import card_text, label_value, show_value
from assistant.interview.state import (
    ConfirmAnswer,
    Effect,
    FormField,
    InterviewState,
    MarkNA,
    Phase,
    SaveDraft,
    SetFacts,
    ShowGuidance,
    Step,
)

__all__ = [
    "ConfirmAnswer",
    "Effect",
    "FormField",
    "InterviewEngine",
    "InterviewState",
    "MarkNA",
    "Phase",
    "SaveDraft",
    "SetFacts",
    "ShowGuidance",
    "Step",
    "card_text",
    "fact_reply",
    "is_question",
    "label_value",
    "parse_command",
    "show_value",
]

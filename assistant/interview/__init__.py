"""The guided interview: a pure state machine (engine), its data (state) and its words (replies)."""

from assistant.interview.engine import InterviewEngine
from assistant.interview.replies import parse_command, show_value
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

__all__ = [
    "ConfirmAnswer",
    "Effect",
    "InterviewEngine",
    "InterviewState",
    "MarkNA",
    "Phase",
    "SaveDraft",
    "SetFacts",
    "ShowGuidance",
    "Step",
    "parse_command",
    "show_value",
]

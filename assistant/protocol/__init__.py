"""The protocol as data: models, loader, semantic validator."""

from assistant.protocol.loader import available_protocols, load_protocol, resolve_protocol_dir
from assistant.protocol.models import AnswerField, Criterion, FieldType, Operator, Protocol, Question

__all__ = [
    "AnswerField",
    "Criterion",
    "FieldType",
    "Operator",
    "Protocol",
    "Question",
    "available_protocols",
    "load_protocol",
    "resolve_protocol_dir",
]

"""The assistant's exception tree.

AssistantError              any error the user should see as a sentence, not a traceback
 +-- ProtocolError          a protocol file is unreadable or invalid (carries every issue found)
 +-- AnswerError            an answers file names an unknown question, field or option, or a bad value
 +-- ExtractionError        free text could not be turned into a structured answer
 +-- RetrievalError         the guidance index or a document could not be read
 +-- StoreError             the database refused or failed a write
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    """One problem found in a content file, with where it is."""

    file: str
    location: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        loc = f" {self.location}" if self.location else ""
        return f"{where}{loc}: {self.message}"


class AssistantError(Exception):
    """Base of every error the assistant raises on purpose."""


class ProtocolError(AssistantError):
    """A protocol could not be loaded; ``issues`` lists every problem found, not just the first."""

    def __init__(self, message: str, issues: list[Issue] | None = None) -> None:
        self.issues = issues or []
        details = "".join(f"\n  {issue}" for issue in self.issues)
        super().__init__(f"{message}{details}")


class AnswerError(AssistantError):
    """Answers do not fit the protocol; ``problems`` lists every one."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = problems or []
        details = "".join(f"\n  {p}" for p in self.problems)
        super().__init__(f"{message}{details}")


class ExtractionError(AssistantError):
    """Free text could not be turned into a structured answer."""


class RetrievalError(AssistantError):
    """The guidance index or a document could not be used."""


class StoreError(AssistantError):
    """The answer store refused or failed an operation."""

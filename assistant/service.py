"""AssessmentService: the one API the CLI, the Gradio app and eval call.

It owns the settings and loads what each call needs on first use (the protocol now; the retriever, the extractor
and the store as they arrive), so a command that needs none of them pays for none of them.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

from assistant.answers import parse_answers, read_answers_file
from assistant.protocol import Protocol, load_protocol, resolve_protocol_dir
from assistant.rubric import SiteProfile, score_site
from assistant.settings import Settings


class AssessmentService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def protocol(self) -> Protocol:
        """The active protocol, fully validated."""
        return load_protocol(resolve_protocol_dir(self.settings.protocols_dir, self.settings.protocol))

    def score_answers(self, data: Any) -> SiteProfile:
        """Score raw structured answers (already parsed from YAML/JSON) against the active protocol."""
        answers, facts = parse_answers(self.protocol, data)
        return score_site(self.protocol, answers, facts)

    def score_file(self, path: Path) -> SiteProfile:
        return self.score_answers(read_answers_file(path))

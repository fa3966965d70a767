"""AssessmentService: the one API the CLI, the Gradio app and eval call.

It owns the settings and loads what each call needs on first use (the protocol now; the retriever, the extractor
and the store as they arrive), so a command that needs none of them pays for none of them.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.answers import parse_answers, read_answers_file
from assistant.protocol import Protocol, load_protocol, resolve_protocol_dir
from assistant.retrieval.notes import load_note_ids
from assistant.rubric import SiteProfile, score_site
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.retrieval.index import GuidanceIndex


class AssessmentService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def protocol(self) -> Protocol:
        """The active protocol, fully validated."""
        folder = resolve_protocol_dir(self.settings.protocols_dir, self.settings.protocol)
        return load_protocol(folder, load_note_ids(self.settings.corpus_dir))

    @cached_property
    def index(self) -> GuidanceIndex:
        """The guidance index (embedding model and vector store load here, on first use)."""
        from assistant.retrieval.embeddings import make_embedder
        from assistant.retrieval.index import GuidanceIndex
        from assistant.retrieval.store import ChromaStore, MemoryStore, VectorStore

        folder = self.settings.data_dir / "index"
        store: VectorStore = ChromaStore(folder / "chroma") if self.settings.vector_store == "chroma" else MemoryStore()
        return GuidanceIndex(
            store=store,
            embedder=make_embedder(self.settings.embeddings),
            corpus_dir=self.settings.corpus_dir,
            manifest_path=folder / f"manifest-{self.settings.vector_store}.json",
            floor=self.settings.retrieval_floor,
            area_ids={a.id for a in self.protocol.meta.areas},
        )

    def ready_index(self, show_progress: bool = False) -> GuidanceIndex:
        """The index, built first if it is missing or the corpus changed."""
        self.index.ensure(show_progress)
        return self.index

    def score_answers(self, data: Any) -> SiteProfile:
        """Score raw structured answers (already parsed from YAML/JSON) against the active protocol."""
        answers, facts = parse_answers(self.protocol, data)
        return score_site(self.protocol, answers, facts)

    def score_file(self, path: Path) -> SiteProfile:
        return self.score_answers(read_answers_file(path))

"""Data passed around by retrieval: chunks (what is indexed) and passages (what a search returns)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Collection = Literal["guidance", "site"]
COLLECTIONS: tuple[Collection, ...] = ("guidance", "site")


class Chunk(BaseModel):
    """One indexed passage with everything a citation needs."""

    model_config = ConfigDict(frozen=True)

    id: str
    collection: Collection
    text: str
    title: str = Field(description="Note title, or the document's file name.")
    source: str = Field(description="Source key for guidance notes; 'site-document' for the site's own files.")
    section: str | None = None
    page: int | None = None
    heading: str | None = None
    path: str = Field(description="File the passage comes from, for opening it.")
    areas: tuple[str, ...] = ()
    file_hash: str | None = None


class Passage(BaseModel):
    """A search result: the chunk, its citation and its scores."""

    id: str
    collection: Collection
    source: str
    source_title: str = Field(description="The document the source key stands for.")
    url: str | None = Field(default=None, description="The source document's public link, where one is confirmed.")
    title: str
    section: str | None = None
    page: int | None = None
    heading: str | None = None
    path: str
    score: float = Field(description="Fused score: 0.7 x cosine + 0.3 x normalised BM25.")
    dense: float | None = Field(default=None, description="Cosine similarity of the query and passage embeddings.")
    bm25: float | None = None
    linked: bool = Field(default=False, description="Pre-linked to the protocol question by the protocol.")
    text: str

    def citation(self) -> str:
        """'Source document, section / p. N, heading' as shown beside a passage."""
        parts = [self.source_title]
        if self.section and self.section.split(" (")[0] not in self.source_title:  # "90 FR 17069 (23 April 2025)"
            parts.append(self.section)
        if self.page is not None:
            parts.append(f"p. {self.page}")
        if self.heading and self.heading != self.section:
            parts.append(self.heading)
        return ", ".join(parts)


class SearchResult(BaseModel):
    query: str
    passages: list[Passage]
    floor: float
    message: str | None = Field(default=None, description="Set when nothing clears the relevance floor.")

"""The guidance index: keeps the vector store in step with the corpus and the site's documents, and searches it.

Search is hybrid: dense cosine similarity (Chroma) and BM25 over the same chunks, fused as a weighted sum
(0.7 x cosine + 0.3 x BM25 divided by the query's best BM25 score; chosen on eval/retrieval_gold.jsonl, where it beat
reciprocal rank fusion: see eval/README.md). A
relevance floor on the dense similarity keeps weak passages from being dressed up as answers: below it the caller
gets "no strong guidance found". For a protocol question, the notes the protocol pre-links come first.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np

from assistant.protocol.models import Question
from assistant.retrieval.bm25 import BM25
from assistant.retrieval.documents import SITE_SOURCE, DocumentError, file_hash, read_document
from assistant.retrieval.embeddings import Embedder
from assistant.retrieval.models import COLLECTIONS, Chunk, Collection, Passage, SearchResult
from assistant.retrieval.notes import corpus_fingerprint, load_sources, note_chunk, require_notes, split_source
from assistant.retrieval.store import VectorStore

INDEX_VERSION = 3  # bump when chunking changes: the index then rebuilds (3: a note's list keeps one line per item)
BM25_WEIGHT = 0.3
DENSE_CANDIDATES = 100
NO_STRONG_GUIDANCE = (
    "No strong guidance found for this question in the corpus. Try other words, or ask about a QMM practice area, "
    "ICH Q9/Q10 or FDA's QMM program."
)
T = TypeVar("T")


def progress(items: Iterable[T], desc: str, total: int, show: bool) -> Iterator[T]:
    """A progress bar on stderr for long runs; a plain iterator otherwise."""
    if not show:
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, desc=desc, total=total, file=sys.stderr, unit="item")


@dataclass
class BuildReport:
    notes: int
    seconds: float


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    chunks: int = 0


class GuidanceIndex:
    def __init__(
        self,
        store: VectorStore,
        embedder: Embedder,
        corpus_dir: Path,
        manifest_path: Path,
        floor: float,
        area_ids: set[str] | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.corpus_dir = corpus_dir
        self.manifest_path = manifest_path
        self.floor = floor
        self.area_ids = area_ids
        self.sources = load_sources(corpus_dir)
        self._chunks: dict[Collection, dict[str, Chunk]] = {}
        self._bm25: dict[Collection, tuple[list[str], BM25]] = {}
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()  # query -> vector (a pure function of the text)
        self._vectors_lock = threading.Lock()
        self.stamp_path = manifest_path.parent / "index.stamp"  # rewritten by any process that changes the index
        self._stamp: tuple[int, int] | None = self._read_stamp()

    # --- several processes: a change made by one is seen by the others ------------------------------------------
    def _read_stamp(self) -> tuple[int, int] | None:
        try:
            info = self.stamp_path.stat()
        except OSError:
            return None
        return info.st_mtime_ns, info.st_size

    def _touch(self) -> None:
        """Tell other processes serving the same index that it changed (they drop their cached chunks and BM25)."""
        self.stamp_path.parent.mkdir(parents=True, exist_ok=True)
        self.stamp_path.write_text(f"{time.time_ns()} {os.getpid()} {uuid.uuid4().hex}\n", encoding="utf-8")
        self._stamp = self._read_stamp()

    def _check_stamp(self) -> None:
        stamp = self._read_stamp()
        if stamp != self._stamp:
            self._stamp = stamp
            self._chunks.clear()
            self._bm25.clear()

    # --- keeping the index fresh -------------------------------------------------------------------------------
    def _wanted_manifest(self) -> dict[str, object]:
        return {"version": INDEX_VERSION, "embedder": self.embedder.name, "corpus": corpus_fingerprint(self.corpus_dir)}

    def status(self) -> str:
        """'missing', 'stale' (corpus, model or format changed) or 'fresh'."""
        if not self.manifest_path.is_file() or not self.chunks("guidance"):
            return "missing"
        try:
            current = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return "stale"
        return "fresh" if current == self._wanted_manifest() else "stale"

    def build(self, show_progress: bool = False) -> BuildReport:
        """(Re)build the guidance collection from the corpus notes."""
        start = time.perf_counter()
        notes = require_notes(self.corpus_dir, self.area_ids)
        chunks = [note_chunk(n) for n in notes]
        self.store.clear("guidance")
        batches = [chunks[i : i + 32] for i in range(0, len(chunks), 32)]
        for batch in progress(batches, "embedding guidance notes", len(batches), show_progress):
            vectors = self.embedder.embed([f"{c.title}. {c.text}" for c in batch])
            self.store.add("guidance", batch, vectors)
        self.manifest_path.parent.mkdir(parents=True, exist_ok=True)
        self.manifest_path.write_text(json.dumps(self._wanted_manifest(), indent=2), encoding="utf-8")
        self._forget("guidance")
        self._touch()
        return BuildReport(notes=len(chunks), seconds=time.perf_counter() - start)

    def ensure(self, show_progress: bool = False) -> BuildReport | None:
        """Build the index when it is missing or stale; None when it was already fresh."""
        return None if self.status() == "fresh" else self.build(show_progress)

    def _forget(self, collection: Collection) -> None:
        self._chunks.pop(collection, None)
        self._bm25.pop(collection, None)

    def chunks(self, collection: Collection) -> dict[str, Chunk]:
        self._check_stamp()
        if collection not in self._chunks:
            self._chunks[collection] = {c.id: c for c in sorted(self.store.chunks(collection), key=lambda c: c.id)}
        return self._chunks[collection]

    def _bm25_for(self, collection: Collection) -> tuple[list[str], BM25]:
        if collection not in self._bm25:
            chunks = self.chunks(collection)
            ids = list(chunks)
            self._bm25[collection] = (ids, BM25([f"{chunks[i].title} {chunks[i].text}" for i in ids]))
        return self._bm25[collection]

    # --- the site's own documents ------------------------------------------------------------------------------
    def site_files(self) -> dict[str, str]:
        """Ingested file path -> content hash."""
        return {c.path: c.file_hash or "" for c in self.chunks("site").values()}

    def ingest(self, paths: list[Path], show_progress: bool = False) -> IngestReport:
        """Add or refresh site documents. Same file twice adds nothing; a changed file replaces its chunks."""
        report = IngestReport()
        files = _expand(paths, report)
        known = self.site_files()
        for path in progress(files, "ingesting documents", len(files), show_progress or len(files) > 20):
            resolved = str(path.resolve())
            try:
                digest = file_hash(path)
                if known.get(resolved) == digest:
                    report.unchanged.append(resolved)
                    continue
                chunks = read_document(path)
            except DocumentError as exc:
                report.failed.append((str(path), str(exc)))
                continue
            except OSError as exc:
                report.failed.append((str(path), f"cannot read the file ({exc.strerror})"))
                continue
            self._delete_file(resolved)
            self.store.add("site", chunks, self.embedder.embed([f"{c.title}. {c.text}" for c in chunks]))
            (report.replaced if resolved in known else report.added).append(resolved)
            report.chunks += len(chunks)
            self._forget("site")
            known[resolved] = digest
        if report.added or report.replaced:
            self._touch()
        return report

    def remove(self, paths: list[Path]) -> IngestReport:
        report = IngestReport()
        known = self.site_files()
        for path in paths:
            resolved = str(path.resolve())
            if resolved in known:
                self._delete_file(resolved)
                report.removed.append(resolved)
            else:
                report.failed.append((str(path), "not in the index"))
        if report.removed:
            self._touch()
        return report

    def _delete_file(self, resolved: str) -> None:
        ids = [c.id for c in self.chunks("site").values() if c.path == resolved]
        self.store.delete("site", ids)
        self._forget("site")

    # --- searching ---------------------------------------------------------------------------------------------
    def search(
        self,
        query: str,
        k: int = 5,
        area: str | None = None,
        source: str | None = None,
        collection: Collection | None = None,
        exclude: set[str] | None = None,
    ) -> SearchResult:
        query = " ".join(query.split())[:2000]
        if not query:
            return SearchResult(query=query, passages=[], floor=self.floor, message="Type a question to search.")
        scope = [collection] if collection else list(COLLECTIONS)
        candidates = {
            cid: chunk
            for c in scope
            for cid, chunk in self.chunks(c).items()
            if (area is None or area in chunk.areas)
            and (source is None or chunk.source == source)
            and cid not in (exclude or set())
        }
        if not candidates:
            return SearchResult(query=query, passages=[], floor=self.floor, message=NO_STRONG_GUIDANCE)
        vector = self.query_vector(query)
        ranked = self.rank(query, vector, scope, candidates)
        passages = [self.passage(candidates[cid], score, dense, bm) for cid, score, dense, bm in ranked[:k]]
        strong = [p for p in passages if p.dense is not None and p.dense >= self.floor]
        return SearchResult(
            query=query, passages=strong, floor=self.floor, message=None if strong else NO_STRONG_GUIDANCE
        )

    def query_vector(self, query: str) -> np.ndarray:
        """The query's embedding, kept for the most recent 1,024 queries (every interview asks the same questions,
        and the guidance for a question is searched with the same text each time)."""
        with self._vectors_lock:
            found = self._vectors.get(query)
            if found is not None:
                self._vectors.move_to_end(query)
                return found
        vector: np.ndarray = self.embedder.embed([query])[0]
        vector.setflags(write=False)
        with self._vectors_lock:
            self._vectors[query] = vector
            while len(self._vectors) > 1024:
                self._vectors.popitem(last=False)
        return vector

    def rank(
        self, query: str, vector: np.ndarray, scope: list[Collection], candidates: dict[str, Chunk], mode: str = "fused"
    ) -> list[tuple[str, float, float | None, float | None]]:
        """(id, score, dense cosine, bm25) best first. ``mode``: fused, dense or bm25 (the last two for evaluation)."""
        dense: dict[str, float] = {}
        lexical: dict[str, float] = {}
        for c in scope:
            for cid, cos in self.store.query(c, vector, DENSE_CANDIDATES):
                if cid in candidates:
                    dense[cid] = cos
            ids, bm25 = self._bm25_for(c)
            for cid, s in zip(ids, bm25.scores(query), strict=True):
                if s > 0 and cid in candidates:
                    lexical[cid] = float(s)
        top = max(lexical.values(), default=0.0) or 1.0
        weights = {"fused": BM25_WEIGHT, "dense": 0.0, "bm25": 1.0}[mode]
        fused = {
            cid: (1 - weights) * dense.get(cid, 0.0) + weights * lexical.get(cid, 0.0) / top
            for cid in set(dense) | set(lexical)
        }
        order = sorted(fused, key=lambda i: (-fused[i], i))
        return [(cid, fused[cid], dense.get(cid), lexical.get(cid)) for cid in order]

    def passage(
        self, chunk: Chunk, score: float, dense: float | None, bm25: float | None, linked: bool = False
    ) -> Passage:
        raw = chunk.title if chunk.source == SITE_SOURCE else self.sources.get(chunk.source, chunk.source)
        source_title, url = split_source(raw)
        return Passage(
            id=chunk.id,
            collection=chunk.collection,
            source=chunk.source,
            source_title=source_title,
            url=url,
            title=chunk.title,
            section=chunk.section,
            page=chunk.page,
            heading=chunk.heading,
            path=chunk.path,
            score=round(score, 6),
            dense=None if dense is None else round(dense, 4),
            bm25=None if bm25 is None else round(bm25, 4),
            linked=linked,
            text=chunk.text,
        )

    def for_question(self, question: Question, answer: str = "", k: int = 5) -> list[Passage]:
        """The question's pre-linked notes first, then passages retrieved for the question and the answer so far."""
        notes = self.chunks("guidance")
        linked = [self.passage(notes[n], 0.0, None, None, linked=True) for n in question.guidance_refs if n in notes]
        query = f"{question.topic}. {question.text} {answer}".strip()
        found = self.search(query, k=k, exclude={p.id for p in linked})
        return linked + found.passages


def _expand(paths: list[Path], report: IngestReport) -> list[Path]:
    """Files named, and every file under folders named, in a stable order; missing paths are reported."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        elif path.is_file():
            files.append(path)
        else:
            report.failed.append((str(path), "no such file or folder"))
    return files

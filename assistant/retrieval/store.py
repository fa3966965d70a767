"""Vector stores behind one small interface: Chroma on disk (the real one) and an in-memory fake for fast tests.

Embeddings are always computed by our ``Embedder`` and passed in explicitly: Chroma's default embedding function
would try to download a model, which must never happen here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.retrieval.models import COLLECTIONS, Chunk, Collection


class VectorStore(Protocol):
    def add(self, collection: Collection, chunks: list[Chunk], vectors: np.ndarray) -> None: ...
    def delete(self, collection: Collection, ids: list[str]) -> None: ...
    def clear(self, collection: Collection) -> None: ...
    def chunks(self, collection: Collection) -> list[Chunk]: ...
    def query(self, collection: Collection, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity), best first."""
        ...


def _metadata(chunk: Chunk) -> dict[str, Any]:
    meta: dict[str, Any] = {"title": chunk.title, "source": chunk.source, "path": chunk.path}
    for key in ("section", "page", "heading", "file_hash"):
        value = getattr(chunk, key)
        if value is not None:
            meta[key] = value
    if chunk.areas:
        meta["areas"] = "|".join(chunk.areas)
    return meta


def _chunk(collection: Collection, chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
    areas = str(meta.get("areas") or "")
    return Chunk(
        id=chunk_id,
        collection=collection,
        text=text,
        title=str(meta.get("title", "")),
        source=str(meta.get("source", "")),
        section=meta.get("section"),
        page=meta.get("page"),
        heading=meta.get("heading"),
        path=str(meta.get("path", "")),
        areas=tuple(a for a in areas.split("|") if a),
        file_hash=meta.get("file_hash"),
    )


class ChromaStore:
    """Chroma, telemetry off, cosine space: a ``PersistentClient`` under the data directory, or (``remote``) a
    Chroma server that several app processes share."""

    NAMES = {"guidance": "qmm-guidance", "site": "qmm-site-documents"}

    def __init__(self, path: Path | None, client: Any = None) -> None:
        os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        if client is None:
            assert path is not None
            path.mkdir(parents=True, exist_ok=True)
            client = chromadb.PersistentClient(
                path=str(path), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=True)
            )
        self._client = client
        self._collections = {name: self._open(name) for name in COLLECTIONS}

    @classmethod
    def remote(cls, host: str, port: int, ssl: bool = False) -> ChromaStore:
        """A Chroma server (``chroma run --path DIR --port PORT``); a clear error when it does not answer."""
        os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        from assistant.errors import RetrievalError

        address = f"{'https' if ssl else 'http'}://{host}:{port}"
        try:
            client = chromadb.HttpClient(host=host, port=port, ssl=ssl,
                                         settings=ChromaSettings(anonymized_telemetry=False))  # fmt: skip
            client.heartbeat()
            return cls(None, client)
        except Exception as exc:  # noqa: BLE001 - connection refused, timeout, not a Chroma server...
            raise RetrievalError(f"cannot reach the Chroma server at {address} ({type(exc).__name__}); start it "
                                 f"with `chroma run --path DIR --port {port}` or unset QMM_CHROMA_URL") from None

    def _open(self, name: Collection) -> Any:
        return self._client.get_or_create_collection(
            self.NAMES[name], embedding_function=None, metadata={"hnsw:space": "cosine"}
        )

    def add(self, collection: Collection, chunks: list[Chunk], vectors: np.ndarray) -> None:
        for start in range(0, len(chunks), 1000):
            part = chunks[start : start + 1000]
            self._collections[collection].add(
                ids=[c.id for c in part],
                documents=[c.text for c in part],
                metadatas=[_metadata(c) for c in part],
                embeddings=vectors[start : start + 1000].tolist(),
            )

    def delete(self, collection: Collection, ids: list[str]) -> None:
        if ids:
            self._collections[collection].delete(ids=ids)

    def clear(self, collection: Collection) -> None:
        self._client.delete_collection(self.NAMES[collection])
        self._collections[collection] = self._open(collection)

    def chunks(self, collection: Collection) -> list[Chunk]:
        got = self._collections[collection].get(include=["documents", "metadatas"])
        return [
            _chunk(collection, i, d or "", m or {})
            for i, d, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        ]

    def query(self, collection: Collection, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        col = self._collections[collection]
        count = col.count()
        if count == 0:
            return []
        got = col.query(query_embeddings=[vector.tolist()], n_results=min(n, count), include=["distances"])
        return [(i, 1.0 - float(d)) for i, d in zip(got["ids"][0], got["distances"][0], strict=True)]


class MemoryStore:
    """In-memory fake with the same behaviour (exact cosine search); used by the fast tests."""

    def __init__(self) -> None:
        self._data: dict[Collection, dict[str, tuple[Chunk, np.ndarray]]] = {c: {} for c in COLLECTIONS}

    def add(self, collection: Collection, chunks: list[Chunk], vectors: np.ndarray) -> None:
        for chunk, vector in zip(chunks, vectors, strict=True):
            self._data[collection][chunk.id] = (chunk, vector)

    def delete(self, collection: Collection, ids: list[str]) -> None:
        for i in ids:
            self._data[collection].pop(i, None)

    def clear(self, collection: Collection) -> None:
        self._data[collection] = {}

    def chunks(self, collection: Collection) -> list[Chunk]:
        return [c for c, _ in self._data[collection].values()]

    def query(self, collection: Collection, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        items = list(self._data[collection].items())
        if not items:
            return []
        matrix = np.stack([v for _, (_, v) in items])
        sims = matrix @ vector
        order = np.argsort(-sims, kind="stable")[:n]
        return [(items[i][0], float(sims[i])) for i in order]

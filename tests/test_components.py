"""Backends picked from the settings (components), and what several processes over one index need: a change one
process makes is seen by the others, and the same query is embedded once."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.components import chroma_address, database, vector_store
from assistant.errors import AssistantError, RetrievalError, StoreError
from assistant.retrieval.embeddings import HashEmbedder
from assistant.retrieval.index import GuidanceIndex
from assistant.retrieval.store import ChromaStore, MemoryStore
from assistant.settings import REPO_ROOT, Settings
from tests.served import free_port


def test_the_default_backends_are_embedded(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, embeddings="fake")
    assert isinstance(vector_store(settings, tmp_path / "index"), ChromaStore)
    assert isinstance(vector_store(settings.model_copy(update={"vector_store": "memory"}), tmp_path), MemoryStore)
    store = database(settings)
    assert store.url == f"sqlite:///{tmp_path / 'qmm.sqlite3'}"
    store.close()


def test_a_missing_database_driver_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if the postgres extra were not installed
    settings = Settings(data_dir=tmp_path, database_url="postgresql+psycopg://qmm@127.0.0.1/qmm")
    with pytest.raises(StoreError, match=r"driver for postgresql\+psycopg is not installed .*\[postgres\]"):
        database(settings)


@pytest.mark.parametrize(
    ("url", "expected"),
    [("http://127.0.0.1:8000", ("127.0.0.1", 8000, False)),
     ("https://vectors.internal", ("vectors.internal", 443, True)), ("localhost:9001", ("localhost", 9001, False))],
)  # fmt: skip
def test_chroma_urls(url: str, expected: tuple[str, int, bool]) -> None:
    assert chroma_address(url) == expected


@pytest.mark.parametrize("url", ["ftp://x:1", "http://", "http://host:port"])
def test_bad_chroma_urls_are_sentences(url: str) -> None:
    with pytest.raises(AssistantError, match="QMM_CHROMA_URL"):
        chroma_address(url)


def test_a_chroma_server_that_does_not_answer_says_how_to_start_one(tmp_path: Path) -> None:
    port = free_port()
    settings = Settings(data_dir=tmp_path, chroma_url=f"http://127.0.0.1:{port}")
    with pytest.raises(RetrievalError, match=rf"cannot reach the Chroma server .*chroma run --path DIR --port {port}"):
        vector_store(settings, tmp_path)


class CountingEmbedder(HashEmbedder):
    def __init__(self) -> None:
        self.texts: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.texts += texts
        return super().embed(texts)


def _index(store: MemoryStore, embedder: HashEmbedder, folder: Path) -> GuidanceIndex:
    return GuidanceIndex(store=store, embedder=embedder, corpus_dir=REPO_ROOT / "corpus",
                         manifest_path=folder / "manifest.json", floor=0.0)  # fmt: skip


def test_a_document_one_process_ingests_is_found_by_the_others(tmp_path: Path) -> None:
    shared = MemoryStore()  # one vector store, as a Chroma server is for several processes
    one, other = _index(shared, HashEmbedder(), tmp_path), _index(shared, HashEmbedder(), tmp_path)
    one.build()
    assert other.search("tier board zebra escalation", collection="site").passages == []  # "site" now cached empty
    doc = tmp_path / "sop.md"
    doc.write_text("# Escalation\n\nOur zebra tier board escalates quality signals within one shift.\n")
    assert one.ingest([doc]).added
    found = other.search("tier board zebra escalation", collection="site").passages
    assert [p.title for p in found] == ["Escalation"]  # seen without a restart
    one.remove([doc])
    assert other.search("tier board zebra escalation", collection="site").passages == []


def test_the_same_query_is_embedded_once(tmp_path: Path) -> None:
    embedder = CountingEmbedder()
    index = _index(MemoryStore(), embedder, tmp_path)
    index.build()
    embedder.texts.clear()
    first = index.search("management review frequency")
    second = index.search("management review frequency")
    assert first == second
    assert embedder.texts == ["management review frequency"]

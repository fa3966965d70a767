"""Extraction evaluation: the default (rules) extractor against the gold answers.

Splits are by QUESTION, assigned by a hash of the question id (``split_of``), so they cannot drift and a test
question is never seen while tuning: ``dev`` (about 60% of the questions: tune here, look at its errors) and ``test``
(the other questions of ``extraction_gold.jsonl``: figures only). ``fresh`` is ``extraction_fresh.jsonl``, answers
written after the extractor was frozen, by someone who did not look at it: figures only.

Per split it prints precision (share of proposed values that are right), recall on stated fields (share of the fields
the gold states that come out right), the invention rate (a value where the gold says not stated), field accuracy
(not stated included) by type, level agreement exact and within one (the rubric on extracted vs gold values), the
share of values without a verbatim span, and the expected calibration error of the confidences. Per-case results go
to ``eval/results/<git sha>/extraction-<split>.jsonl`` so two runs can be compared case by case.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from assistant.extraction.models import Extractor
from assistant.protocol.models import AnswerField, FieldType, Protocol
from assistant.rubric import ConfirmedAnswer, score_question
from eval.metrics import percentile

EVAL_DIR = Path(__file__).parent
GOLD_PROTOCOL = "qmm-self-assessment@1"  # the version whose questions the gold and fresh answers answer
GOLD = EVAL_DIR / "extraction_gold.jsonl"
FRESH = EVAL_DIR / "extraction_fresh.jsonl"
RESULTS = EVAL_DIR / "results"
TEST_SHARE = 40  # percent of the questions held out as test


def split_of(question_id: str) -> str:
    """dev or test, from a hash of the question id: stable, and independent of the cases' order or ids."""
    bucket = int(hashlib.sha256(question_id.encode()).hexdigest(), 16) % 100
    return "test" if bucket < TEST_SHARE else "dev"


def load_cases(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def stated(value: Any) -> bool:
    return value not in (None, [])


def same(field: AnswerField, got: Any, gold: Any) -> bool:
    if not stated(gold):
        return not stated(got)
    if not stated(got):
        return False
    t = field.type
    if t is FieldType.PERCENTAGE:
        return abs(float(got) - float(gold)) <= 1.0
    if t is FieldType.MULTI_CHOICE:
        return set(got) == set(gold)
    if t is FieldType.EVIDENCE_LIST:
        if len(got) != len(gold):
            return False
        return all(any(g.lower() in x.lower() or x.lower() in g.lower() for x in got) for g in gold)
    if t is FieldType.FREE_TEXT:
        return True  # stated on both sides
    return bool(got == gold)


def calibration_error(pairs: list[tuple[float, bool]], bins: int = 10) -> float:
    """Expected calibration error: the mean |confidence - accuracy| over equal-width confidence bins, weighted by
    the share of values in each bin."""
    if not pairs:
        return float("nan")
    total = 0.0
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        inside = [(c, ok) for c, ok in pairs if low <= c < high or (b == bins - 1 and c == 1.0)]
        if inside:
            conf = sum(c for c, _ in inside) / len(inside)
            acc = sum(ok for _, ok in inside) / len(inside)
            total += len(inside) / len(pairs) * abs(conf - acc)
    return round(total, 3)


def evaluate(protocol: Protocol, extractor: Extractor, cases: list[dict[str, Any]]) -> dict[str, Any]:
    by_type: dict[str, dict[str, list[bool]]] = defaultdict(lambda: {"all": [], "proposed": []})
    proposed: list[bool] = []  # per proposed value: right?
    recall: list[bool] = []  # per gold-stated field: right?
    invented: list[bool] = []  # per gold-not-stated field: a value proposed?
    fields_ok: list[bool] = []
    levels_exact: list[bool] = []
    levels_near: list[bool] = []
    confidences: list[tuple[float, bool]] = []
    unsupported = 0
    latencies: list[float] = []
    rows: list[dict[str, Any]] = []
    for case in cases:
        question = protocol.question(case["question"])
        assert question is not None, case["id"]
        start = time.perf_counter()
        answer = extractor.extract(question, case["text"])
        latencies.append((time.perf_counter() - start) * 1000)
        unsupported += len(answer.unsupported())
        row: dict[str, Any] = {"id": case["id"], "question": question.id, "fields": {}}
        for field in question.fields:
            gold = case["fields"].get(field.id)
            value = answer.values[field.id]
            got = value.value
            ok = same(field, got, gold)
            kind = str(field.type)
            by_type[kind]["all"].append(ok)
            fields_ok.append(ok)
            if stated(got):
                right = stated(gold) and ok
                proposed.append(right)
                by_type[kind]["proposed"].append(right)
                confidences.append((value.confidence, right))
            if stated(gold):
                recall.append(ok)
            else:
                invented.append(stated(got))
            row["fields"][field.id] = {"gold": gold, "got": got, "ok": ok, "confidence": value.confidence,
                                       "span": value.span}  # fmt: skip
        gold_values = {k: v for k, v in case["fields"].items() if stated(v)}
        level_gold = score_question(protocol, question, ConfirmedAnswer(question_id=question.id, values=gold_values))
        level_got = score_question(
            protocol, question, ConfirmedAnswer(question_id=question.id, values=answer.stated_values())
        )
        levels_exact.append(level_gold.level == level_got.level)
        levels_near.append(abs(level_gold.level - level_got.level) <= 1)
        row["level"] = {"gold": level_gold.level, "got": level_got.level}
        rows.append(row)

    def mean(xs: list[bool]) -> float:
        return round(sum(xs) / len(xs), 3) if xs else float("nan")

    values = len(proposed)
    return {
        "cases": len(cases),
        "precision": mean(proposed),
        "recall_stated": mean(recall),
        "invention_rate": mean(invented),
        "field_accuracy": mean(fields_ok),
        "level_exact": mean(levels_exact),
        "level_within_one": mean(levels_near),
        "unsupported_span_rate": round(unsupported / values, 4) if values else 0.0,
        "calibration_error": calibration_error(confidences),
        "values": values,
        "by_type": {
            t: {"accuracy": mean(v["all"]), "precision": mean(v["proposed"]), "n": len(v["all"])}
            for t, v in sorted(by_type.items())
        },
        "latency_ms": {"p50": round(percentile(latencies, 50), 1), "p95": round(percentile(latencies, 95), 1)},
        "rows": rows,
    }


ROWS = [
    ("cases", "cases"),
    ("precision", "precision"),
    ("recall on stated fields", "recall_stated"),
    ("invention rate", "invention_rate"),
    ("field accuracy", "field_accuracy"),
    ("level agreement exact", "level_exact"),
    ("level agreement within 1", "level_within_one"),
    ("values without span", "unsupported_span_rate"),
    ("calibration error (ECE)", "calibration_error"),
]


def report(results: dict[str, dict[str, Any]], extractor: str) -> str:
    lines = [f"Extraction evaluation, extractor {extractor}", ""]
    lines.append(f"{'':<28}" + "".join(f"{split:>16}" for split in results))
    for label, key in ROWS:
        lines.append(f"{label:<28}" + "".join(f"{r[key]:>16}" for r in results.values()))
    types = sorted({t for r in results.values() for t in r["by_type"]})
    lines.append("by type: accuracy / precision (fields)")
    for t in types:
        cells = ""
        for r in results.values():
            x = r["by_type"].get(t)
            cells += f"{x['accuracy']:>6}/{x['precision']:<5}({x['n']:>3})" if x else f"{'-':>16}"
        lines.append(f"  {t:<26}{cells}")
    lat = next(iter(results.values()))["latency_ms"]
    lines.append(f"extraction latency per answer (first split): p50 {lat['p50']} ms, p95 {lat['p95']} ms")
    return "\n".join(lines)


def git_sha() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True,
                             cwd=EVAL_DIR)  # fmt: skip
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "assistant", "protocols"], capture_output=True,
                               text=True, cwd=EVAL_DIR).stdout.strip()  # fmt: skip
        return out.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def write_rows(results: dict[str, dict[str, Any]]) -> Path:
    folder = RESULTS / git_sha()
    folder.mkdir(parents=True, exist_ok=True)
    for split, r in results.items():
        with (folder / f"extraction-{split}.jsonl").open("w", encoding="utf-8") as out:
            for row in r["rows"]:
                out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        summary = {k: v for k, v in r.items() if k != "rows"}
        (folder / f"extraction-{split}-summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return folder


def splits(include_fresh: bool = True) -> dict[str, list[dict[str, Any]]]:
    cases = load_cases(GOLD)
    out = {s: [c for c in cases if split_of(c["question"]) == s] for s in ("dev", "test")}
    if include_fresh and FRESH.is_file():
        out["fresh"] = load_cases(FRESH)
    return out


def main(show_errors: bool = False, dev_only: bool = False) -> int:
    from assistant.service import AssessmentService
    from assistant.settings import Settings

    service = AssessmentService(Settings())
    extractor = service.extractor
    protocol = service.protocol_for(GOLD_PROTOCOL)  # the gold answers answer v1's questions and fields
    chosen = {s: cs for s, cs in splits().items() if cs and (s == "dev" or not dev_only)}
    results = {s: evaluate(protocol, extractor, cs) for s, cs in chosen.items()}
    print(f"gold set: {protocol.ref}")
    print(report(results, extractor.name))
    print(f"per-case results: {write_rows(results)}")
    if show_errors:  # the dev split only: test and fresh errors are never shown
        for row in results["dev"]["rows"]:
            for fid, f in row["fields"].items():
                if not f["ok"]:
                    print(json.dumps({"id": row["id"], "field": fid, "gold": f["gold"], "got": f["got"],
                                      "conf": f["confidence"], "span": f["span"]}, ensure_ascii=False))  # fmt: skip
    return 0

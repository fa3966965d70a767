"""Extraction evaluation: the default (rules) extractor against eval/extraction_gold.jsonl.

Prints, per split (dev: what the extractor was tuned on; test: held out): field accuracy by type (a field is right
when the extracted value equals the gold value, "not stated" included), accuracy on the fields the gold states,
the invention rate (a value where the gold says not stated), exact-answer match (every field right), level agreement
(the rubric on extracted values vs on gold values) and the rate of values without a verbatim supporting span.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from assistant.extraction.models import Extractor
from assistant.protocol.models import AnswerField, FieldType, Protocol
from assistant.rubric import ConfirmedAnswer, score_question
from eval.metrics import percentile

EVAL_DIR = Path(__file__).parent
GOLD = EVAL_DIR / "extraction_gold.jsonl"


def same(field: AnswerField, got: Any, gold: Any) -> bool:
    if gold is None or gold == []:
        return got is None or got == []
    if got is None:
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


def evaluate(protocol: Protocol, extractor: Extractor, cases: list[dict[str, Any]]) -> dict[str, Any]:
    by_type: dict[str, list[bool]] = defaultdict(list)
    stated: list[bool] = []
    invented: list[bool] = []
    exact: list[bool] = []
    levels: list[bool] = []
    unsupported = 0
    values = 0
    latencies: list[float] = []
    errors: list[dict[str, Any]] = []
    for case in cases:
        question = protocol.question(case["question"])
        assert question is not None, case["id"]
        start = time.perf_counter()
        answer = extractor.extract(question, case["text"])
        latencies.append((time.perf_counter() - start) * 1000)
        unsupported += len(answer.unsupported())
        values += sum(v.value is not None for v in answer.values.values())
        all_right = True
        for field in question.fields:
            gold = case["fields"].get(field.id)
            got = answer.values[field.id].value
            ok = same(field, got, gold)
            by_type[str(field.type)].append(ok)
            if gold not in (None, []):
                stated.append(ok)
            else:
                invented.append(got not in (None, []))
            if not ok:
                all_right = False
                errors.append({"id": case["id"], "field": field.id, "gold": gold, "got": got})
        exact.append(all_right)
        gold_values = {k: v for k, v in case["fields"].items() if v not in (None, [])}
        extracted = answer.stated_values()
        level_gold = score_question(protocol, question, ConfirmedAnswer(question_id=question.id, values=gold_values))
        level_got = score_question(protocol, question, ConfirmedAnswer(question_id=question.id, values=extracted))
        levels.append(level_gold.level == level_got.level)
    fields = [ok for oks in by_type.values() for ok in oks]

    def mean(xs: list[bool]) -> float:
        return round(sum(xs) / len(xs), 3) if xs else float("nan")

    return {
        "cases": len(cases),
        "field_accuracy": mean(fields),
        "by_type": {t: {"accuracy": mean(v), "n": len(v)} for t, v in sorted(by_type.items())},
        "stated_accuracy": mean(stated),
        "invention_rate": mean(invented),
        "exact_answer": mean(exact),
        "level_agreement": mean(levels),
        "unsupported_span_rate": round(unsupported / values, 4) if values else 0.0,
        "values": values,
        "latency_ms": {"p50": round(percentile(latencies, 50), 1), "p95": round(percentile(latencies, 95), 1)},
        "errors": errors,
    }


def report(results: dict[str, dict[str, Any]], extractor: str) -> str:
    lines = [f"Extraction evaluation, extractor {extractor}", ""]
    header = f"{'':<26}" + "".join(f"{split:>12}" for split in results)
    lines.append(header)
    rows = [
        ("cases", "cases"),
        ("field accuracy", "field_accuracy"),
        ("accuracy on stated fields", "stated_accuracy"),
        ("invention rate", "invention_rate"),
        ("exact-answer match", "exact_answer"),
        ("level agreement", "level_agreement"),
        ("values without span", "unsupported_span_rate"),
    ]
    for label, key in rows:
        lines.append(f"{label:<26}" + "".join(f"{r[key]:>12}" for r in results.values()))
    types = sorted({t for r in results.values() for t in r["by_type"]})
    lines.append("field accuracy by type:")
    for t in types:
        cells = "".join(
            f"{r['by_type'][t]['accuracy']:>7} (n={r['by_type'][t]['n']:>3})" if t in r["by_type"] else f"{'-':>12}"
            for r in results.values()
        )
        lines.append(f"  {t:<24}{cells}")
    lat = next(iter(results.values()))["latency_ms"]
    lines.append(f"extraction latency per answer (first split): p50 {lat['p50']} ms, p95 {lat['p95']} ms")
    return "\n".join(lines)


def main(show_errors: bool = False) -> int:
    from assistant.service import AssessmentService
    from assistant.settings import Settings

    service = AssessmentService(Settings())
    extractor = service.extractor
    cases = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    splits = {s: [c for c in cases if c.get("split") == s] for s in ("dev", "test")}
    splits["all"] = cases
    results = {s: evaluate(service.protocol, extractor, cs) for s, cs in splits.items() if cs}
    print(report(results, extractor.name))
    if show_errors:
        for e in results["dev"]["errors"]:
            print(json.dumps(e, ensure_ascii=False))
    return 0

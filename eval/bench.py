"""Per-turn latency of the default interview path, as the app runs it: extract (rules + MiniLM) + engine + follow-up
+ commit to SQLite + guidance passages for the current question. A scripted interview over the first questions of
the protocol, with answers taken from eval/extraction_gold.jsonl. Prints p50/p95 (warm, after one warm-up turn)."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from assistant.service import AssessmentService, Principal
from assistant.settings import Settings
from eval.metrics import percentile

LOCAL = Principal.local()  # local single-user mode: no accounts in these databases

GOLD = Path(__file__).parent / "extraction_gold.jsonl"


def main(questions: int = 25) -> int:
    answers: dict[str, str] = {}
    for line in GOLD.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        answers.setdefault(case["question"], case["text"])
    with tempfile.TemporaryDirectory() as tmp:
        service = AssessmentService(Settings(data_dir=Path(tmp)))
        t0 = time.perf_counter()
        service.ready_index()
        service.extractor.extract(service.protocol.active_questions[0], "warm up")
        startup = time.perf_counter() - t0
        turn = service.start_interview(LOCAL, "Bench site", "Bench", "all")
        while turn.state.phase.value == "facts":  # the site facts of the default protocol
            turn = service.turn(LOCAL, turn.state, "yes")
        answer_ms: list[float] = []
        all_ms: list[float] = []
        for _ in range(questions):
            qid = turn.state.current
            if qid is None:
                break
            for message in (answers.get(qid, "Yes, every quarter, see the 2025 report."), "don't know", "confirm"):
                start = time.perf_counter()
                turn = service.turn(LOCAL, turn.state, message)
                if turn.state.current:
                    service.guidance(turn.state.current)
                elapsed = (time.perf_counter() - start) * 1000
                all_ms.append(elapsed)
                if message not in ("don't know", "confirm"):
                    answer_ms.append(elapsed)
                if turn.state.current != qid:
                    break
    print(
        f"Interview turn latency, {len(answer_ms)} questions, {len(all_ms)} turns (model load + index {startup:.1f} s)"
    )
    print(f"  free-text answer turns: p50 {percentile(answer_ms, 50):.0f} ms, p95 {percentile(answer_ms, 95):.0f} ms")
    print(f"  all turns:              p50 {percentile(all_ms, 50):.0f} ms, p95 {percentile(all_ms, 95):.0f} ms")
    return 0

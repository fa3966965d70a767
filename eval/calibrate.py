"""Calibrate the rules extractor's confidences on the DEV split only: ``python -m eval calibrate``.

Every value a rule proposes on the dev answers (before the confidence floor) is compared with the gold value; a rule's
confidence is its precision there, shrunk toward its family's (see ``shrunk``), so a rule seen 3 times and right 3
times does not get 1.0. Written to ``assistant/extraction/calibration.json`` (data, reviewed in the diff like any other
content). The test and fresh splits are never read here.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from assistant.extraction.rules import CALIBRATION, RulesExtractor
from eval.extraction import GOLD_PROTOCOL, same, splits, stated


def measure(extractor: RulesExtractor, protocol: Any, cases: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    counts: dict[str, list[bool]] = defaultdict(list)
    for case in cases:
        question = protocol.question(case["question"])
        answer = extractor.propose(question, case["text"])
        for field in question.fields:
            value = answer.values[field.id]
            if value.value is None:
                continue
            gold = case["fields"].get(field.id)
            counts[value.rule or "?"].append(stated(gold) and same(field, value.value, gold))
    return shrunk(counts)


def shrunk(counts: dict[str, list[bool]], strength: float = 2.0) -> dict[str, dict[str, Any]]:
    """Each rule's precision shrunk toward its parent's ("yes_no:partly:similar" -> "yes_no:partly" -> "yes_no"
    -> all values), so a rule seen twice does not get 1.0 and a rare variant leans on its family."""
    def pooled(prefix: str) -> list[bool]:
        return [ok for rule, oks in counts.items() if rule == prefix or rule.startswith(prefix + ":") for ok in oks]

    everything = [ok for oks in counts.values() for ok in oks]
    base = (sum(everything) + 1) / (len(everything) + 2)

    def confidence(prefix: str) -> float:
        parts = prefix.split(":")
        prior = base if len(parts) == 1 else confidence(":".join(parts[:-1]))
        oks = pooled(prefix)
        return (sum(oks) + strength * prior) / (len(oks) + strength)

    return {
        rule: {"proposed": len(oks), "right": sum(oks), "confidence": round(confidence(rule), 3)}
        for rule, oks in sorted(counts.items())
    }


def main() -> int:
    from assistant.service import AssessmentService
    from assistant.settings import Settings

    service = AssessmentService(Settings())
    extractor = RulesExtractor(service.embedder, calibration={})
    dev = splits(include_fresh=False)["dev"]
    rules = measure(extractor, service.protocol_for(GOLD_PROTOCOL), dev)
    CALIBRATION.write_text(
        json.dumps({"split": "dev", "cases": len(dev), "rules": rules}, indent=1, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    width = max(len(r) for r in rules)
    for rule, r in rules.items():
        print(f"{rule:<{width}}  {r['right']:>3}/{r['proposed']:<3}  confidence {r['confidence']}")
    print(f"wrote {CALIBRATION} from {len(dev)} dev answers")
    return 0

"""Write the example portfolio (``eval/portfolio/``): a dozen fictional sites of different types and inspection
histories, and answers files whose question levels follow a per-area maturity profile. Deterministic: run it again
and the files are the same (``python -m eval.portfolio.generate``).

For each question the generator picks, field by field, the lowest representative value that meets every criterion
up to the target level (the protocol validator's ``candidate_values``), then breaks one criterion of the next level,
so the rubric gives exactly the target. Targets are the site's area profile plus a small fixed jitter per question.
The answers are not what any real site said: they exist to exercise import, benchmark, ranking and history.
"""

from __future__ import annotations

import csv
import hashlib
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from assistant.protocol import Protocol, load_protocol
from assistant.protocol.models import FieldType, Question
from assistant.protocol.validator import candidate_values
from assistant.rubric import ConfirmedAnswer, criterion_holds, score_question
from assistant.settings import REPO_ROOT

HERE = Path(__file__).parent
AREAS = ("management_commitment", "business_continuity", "advanced_pqs", "technical_excellence", "employee_engagement")

# site, company, type, country, inspection date, class, US, warning letter, import alert, critical, notes
SITES = [
    ("Harbor Ridge API", "Meridian Pharma", "api", "India", "2023-08-14", "vai", 1, 0, 0, 0, "Two assessments."),
    ("Norvale Tablets", "Meridian Pharma", "finished_dosage", "United States", "2024-05-02", "nai", 1, 0, 0, 1, ""),
    ("Sterilis Aseptic", "Meridian Pharma", "sterile", "Ireland", "2022-11-21", "vai", 1, 0, 0, 1,
     "Three assessments."),
    ("Kestrel Biologics", "Meridian Pharma", "biologic", "United States", "2025-03-11", "nai", 1, 0, 0, 1, ""),
    ("Pinecrest Packaging", "Meridian Pharma", "packaging", "United States", "2021-03-09", "vai", 1, 0, 0, 0,
     "Last inspection more than five years ago."),
    ("Ostrava API", "Meridian Pharma", "api", "Czechia", "2024-02-19", "oai", 1, 1, 0, 0, "Warning letter open."),
    ("Lumen Oral Solids", "Meridian Pharma", "finished_dosage", "India", "2023-10-04", "vai", 1, 0, 1, 0,
     "Import alert since 2025."),
    ("Greenfield Generics", "Meridian Pharma", "finished_dosage", "Canada", "2024-09-30", "nai", 0, 0, 0, 0,
     "Supplies Canada and the EU only."),
    ("Marlow Sterile", "Meridian Pharma", "sterile", "United Kingdom", "", "none", 1, 0, 0, 0,
     "New site, never inspected by FDA."),
    ("Aldwych Biologics", "Meridian Pharma", "biologic", "Germany", "2024-06-17", "vai", 1, 0, 0, 1,
     "Strong quality system, weak business continuity."),
    ("Cobalt API", "Meridian Pharma", "api", "China", "2023-04-25", "nai", 1, 0, 0, 0, "Assessment half done."),
    ("Riverbend Fill-Finish", "Meridian Pharma", "sterile", "United States", "2025-07-08", "vai", 1, 0, 0, 1,
     "Not assessed yet."),
]
# site -> [(assessed_on, area targets in AREAS order, share of questions answered)]
ASSESSMENTS: dict[str, list[tuple[str, tuple[float, ...], float]]] = {
    "Harbor Ridge API": [("2025-06-10", (2.4, 2.6, 2.5, 2.3, 2.2), 1.0),
                         ("2026-09-15", (3.0, 3.1, 3.0, 2.8, 2.7), 1.0)],
    "Norvale Tablets": [("2026-08-20", (3.7, 3.5, 3.8, 3.4, 3.6), 1.0)],
    "Sterilis Aseptic": [("2024-10-01", (2.2, 2.5, 2.6, 2.4, 2.1), 1.0), ("2025-10-06", (2.8, 3.0, 3.1, 2.9, 2.6), 1.0),
                         ("2026-10-12", (3.3, 3.4, 3.5, 3.2, 3.0), 1.0)],
    "Kestrel Biologics": [("2026-07-01", (4.3, 4.1, 4.4, 4.2, 4.0), 1.0)],
    "Pinecrest Packaging": [("2026-05-18", (2.9, 2.7, 2.8, 2.6, 2.9), 1.0)],
    "Ostrava API": [("2026-04-22", (1.8, 2.0, 1.9, 1.7, 1.6), 1.0)],
    "Lumen Oral Solids": [("2026-03-30", (2.5, 2.3, 2.6, 2.2, 2.4), 1.0)],
    "Greenfield Generics": [("2026-06-05", (3.1, 3.0, 3.2, 2.9, 3.0), 1.0)],
    "Marlow Sterile": [("2026-09-01", (2.7, 2.4, 2.8, 2.6, 2.5), 1.0)],
    "Aldwych Biologics": [("2026-08-12", (4.0, 1.3, 4.1, 3.9, 3.8), 1.0)],
    "Cobalt API": [("2026-10-20", (2.3, 2.1, 2.4, 2.2, 2.0), 0.5)],
}


def jitter(site: str, qid: str) -> int:
    """-1, 0 or +1, fixed per site and question."""
    return int(hashlib.sha256(f"{site}/{qid}".encode()).hexdigest(), 16) % 3 - 1


def _file_value(field: Any, value: Any, qid: str) -> Any:
    if field.type is FieldType.EVIDENCE_LIST and isinstance(value, list):
        kind = "seen by the assessor" if field.evidence_status == "seen" else "named"
        return [f"{qid} record {n + 1} ({kind}), 2026" for n in range(len(value))]
    if field.type is FieldType.FREE_TEXT:
        return f"Example practice for {qid}." if value else value
    if field.type is FieldType.YEARLY_VALUES and isinstance(value, dict):
        return {(int(k) if k.isdigit() else k): v for k, v in value.items()}
    return value


def answer_at(protocol: Protocol, question: Question, target: int) -> dict[str, Any]:
    """Field values that score exactly ``target`` (or as close as the criteria allow)."""
    fields = {f.id: f for f in question.fields}
    values: dict[str, Any] = {}
    for f in question.fields:
        crits = [c for lvl, cs in question.levels.items() for c in cs if c.field == f.id]
        needed = [c for lvl, cs in question.levels.items() if lvl <= target for c in cs if c.field == f.id]
        options = [v for v in candidate_values(f, crits) if v is not None]
        good = [v for v in options if all(criterion_holds(f, c, v) for c in needed)]
        if good:
            values[f.id] = good[0]
    nxt = question.levels.get(target + 1, [])
    for crit in nxt:  # break one criterion of the next level, keeping the lower ones
        f = fields[crit.field]
        lower = [c for lvl, cs in question.levels.items() if lvl <= target for c in cs if c.field == f.id]
        options = [v for v in candidate_values(f, lower + [crit]) if v is not None]
        bad = [v for v in options if all(criterion_holds(f, c, v) for c in lower) and not criterion_holds(f, crit, v)]
        if bad:
            values[f.id] = bad[0]
            break
        if not lower:
            values.pop(f.id, None)  # not stated: the criterion fails
            break
    assert score_question(protocol, question, ConfirmedAnswer(question_id=question.id, values=values)).level
    return {k: _file_value(fields[k], v, question.id) for k, v in values.items()}


def write() -> None:
    protocol = load_protocol(REPO_ROOT / "protocols" / "qmm-self-assessment" / "2")
    rows = []
    for site, company, kind, country, inspected, cls, us, wl, ia, critical, notes in SITES:
        slug = "-".join(site.lower().split())
        history = ASSESSMENTS.get(site) or [("", (), 0.0)]
        for when, targets, share in history:
            name = f"{slug}-{when}.yaml" if when else ""
            if when:
                questions = protocol.active_questions
                kept = questions[: max(1, round(len(questions) * share))] if share < 1 else questions
                answers = {}
                for q in kept:
                    area_target = targets[AREAS.index(q.area)]
                    level = max(1, min(5, round(area_target) + jitter(site, q.id)))
                    answers[q.id] = answer_at(protocol, q, level)
                facts = {"uses_contract_organisations": "yes", "part_of_multi_site_company": "yes",
                         "previously_assessed": "yes" if history.index((when, targets, share)) else "no",
                         "supplies_506c_products": "yes" if critical else "no"}
                if facts["previously_assessed"] == "no":
                    answers.pop("MC-11", None)
                doc = {"protocol": protocol.ref, "site": site, "assessed_on": date.fromisoformat(when),
                       "facts": facts, "answers": answers}
                text = ("# Example portfolio answers: fictional, generated by eval/portfolio/generate.py from an area "
                        "profile (not what any site said).\n" + yaml.safe_dump(doc, sort_keys=False, width=120,
                                                                               allow_unicode=True))
                (HERE / name).write_text(text, encoding="utf-8")
            rows.append({"site": site, "company": company, "site_type": kind, "country": country,
                         "last_inspection_date": inspected, "last_inspection_classification": cls.upper(),
                         "us_distribution": "yes" if us else "no", "open_warning_letter": "yes" if wl else "no",
                         "import_alert": "yes" if ia else "no", "critical_products": "yes" if critical else "no",
                         "answers": name, "assessed_on": when, "notes": notes})
    with (HERE / "sites.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    write()

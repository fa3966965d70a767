"""Portfolio at scale: 500 fictional sites with 3 assessments each (1,500 answers files' worth), imported into a fresh
SQLite database, then benchmarked, ranked, and the Portfolio tab's contents rendered. Prints seconds for each (a
benchmark, not a test: ``python -m eval bench-portfolio``). The answers are 15 generated answer sets (3 per maturity
level band) reused across sites, so generating them is not what is measured."""

from __future__ import annotations

import csv
import tempfile
import time
from pathlib import Path

import yaml

from assistant.service import AssessmentService, Principal
from assistant.settings import Settings
from eval.portfolio.generate import AREAS, answer_at

SITES, DATES = 500, ("2024-09-01", "2025-09-01", "2026-09-01")
OPERATOR = Principal.operator()


def _sets(svc: AssessmentService, folder: Path) -> list[str]:
    protocol = svc.protocol
    names = []
    for n, base in enumerate((1.6, 2.0, 2.4, 2.8, 3.2, 3.6, 4.0, 4.4, 1.8, 2.6, 3.0, 3.4, 3.8, 4.2, 2.2)):
        answers = {q.id: answer_at(protocol, q, max(1, min(5, round(base + 0.3 * (AREAS.index(q.area) - 2)))))
                   for q in protocol.active_questions if q.id != "MC-11"}  # fmt: skip
        doc = {"protocol": protocol.ref, "facts": {"uses_contract_organisations": "yes",
               "part_of_multi_site_company": "yes", "previously_assessed": "no", "supplies_506c_products": "no"},
               "answers": answers}  # fmt: skip
        name = f"set-{n:02d}.yaml"
        (folder / name).write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        names.append(name)
    return names


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = root / "portfolio"
        folder.mkdir()
        svc = AssessmentService(Settings(data_dir=root / "data", embeddings="fake", vector_store="memory"))
        sets = _sets(svc, folder)
        with (folder / "sites.csv").open("w", newline="", encoding="utf-8") as out:
            w = csv.writer(out)
            w.writerow(["site", "company", "site_type", "country", "last_inspection_date",
                        "last_inspection_classification", "us_distribution", "open_warning_letter", "import_alert",
                        "critical_products", "answers", "assessed_on"])  # fmt: skip
            for s in range(SITES):
                for d, when in enumerate(DATES):
                    w.writerow([f"Site {s:03d}", "Bench Pharma", "api", "US", "2023-05-01", "VAI" if s % 7 else "OAI",
                                "yes", "no", "no", "yes" if s % 5 == 0 else "no", sets[(s + 3 * d) % len(sets)], when])
        t = time.perf_counter()
        counts = svc.portfolio.import_dir(OPERATOR, folder)
        imported = time.perf_counter() - t
        t = time.perf_counter()
        bench = svc.portfolio.benchmark(OPERATOR)
        cold = time.perf_counter() - t  # every profile scored once, then cached
        t = time.perf_counter()
        bench = svc.portfolio.benchmark(OPERATOR)
        benchmarked = time.perf_counter() - t
        t = time.perf_counter()
        ranks = svc.portfolio.rank(OPERATOR)
        ranked = time.perf_counter() - t
        from assistant.ui.portfolio_views import heatmap_html, ranking_markdown, spread_markdown

        t = time.perf_counter()  # what the tab does: both from one read, then rendered
        bench, ranks = svc.portfolio.overview(OPERATOR)
        page = heatmap_html(bench) + spread_markdown(bench) + ranking_markdown(ranks)
        tab = time.perf_counter() - t
        t = time.perf_counter()
        svc.portfolio.site(OPERATOR, "Site 042")
        one_site = time.perf_counter() - t
    print(f"portfolio of {SITES} sites x {len(DATES)} assessments ({counts['assessments_added']} imported, "
          f"{len(bench.rows)} benchmarked, {len(ranks)} ranked):")
    print(f"  import {imported:.1f} s; first benchmark (scores every latest assessment, fills the profile cache) "
          f"{cold:.1f} s; then benchmark {benchmarked:.2f} s, rank {ranked:.2f} s, Portfolio tab (both from one read, "
          f"rendered) {tab:.2f} s ({len(page):,} characters); one "
          f"site's history {one_site:.1f} s")
    return 0

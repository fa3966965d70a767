"""``qmm portfolio``: a company's sites from the command line (import, sites, rank, benchmark, site).

Whoever can run this owns the database file, so it acts as the operator (``Principal.operator()``). JSON output is
deterministic: the same database and the same day give the same bytes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from assistant.settings import Settings

__all__ = ["add_portfolio_parser"]


def _dump(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True))


def _cell(c: Any) -> str:
    score = "-" if c.score is None else f"{c.score:.2f}"
    evidence = "-" if c.evidence_share is None else f"{c.evidence_share * 100:.0f}%"
    return f"{score:>6} {c.completeness * 100:>3.0f}%/{evidence:>4}"


def cmd_portfolio(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.auth import Principal
    from assistant.service import AssessmentService

    portfolio = AssessmentService(settings).portfolio
    me, command = Principal.operator(), args.portfolio_command
    if command == "import":
        counts = portfolio.import_dir(me, Path(args.dir))
        print(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in counts.items()))
    elif command == "sites":
        rows = portfolio.sites(me)
        if args.json:
            _dump(rows)
        for site in rows if not args.json else []:
            mark = "eligible" if site["eligibility"]["eligible"] else "NOT eligible"
            print(f"{site['site']:<28} {site['record']['site_type'] or '-':<16} {mark:<13} {site['assessments']} "
                  f"assessment(s), latest {site['latest'] or '-'}")  # fmt: skip
    elif command == "rank":
        ranks = portfolio.rank(me)
        if args.json:
            _dump([r.model_dump(mode="json") for r in ranks])
        for rank in ranks if not args.json else []:
            points = "-" if rank.points is None else f"{rank.points:.2f}"
            print(f"{rank.place:>3}. {rank.site:<28} {'eligible' if rank.eligible else 'NOT eligible':<13} "
                  f"points {points}")  # fmt: skip
            for reason in rank.reasons:
                print(f"       {reason}")
    elif command == "benchmark":
        bench = portfolio.benchmark(me)
        if args.json:
            _dump(bench.model_dump(mode="json"))
        else:
            note = f"; {bench.note}" if bench.note else ""
            print(f"Benchmark on {bench.protocol}: {len(bench.rows)} site(s); cells: score completeness/evidence{note}")
            head = "".join(f"{name[:12]:>14}" for _, name in bench.areas)
            print(f"{'site':<28}{head}")
            for row in bench.rows:
                cells = "".join(_cell(c) for c in row.cells.values())
                print(f"{row.site:<28}{cells}")
            print("differs most: " + ", ".join(bench.differs_most))
            for w in bench.weak_spots[:10]:
                print(f"  {w.question_id} {w.topic}: weak at {', '.join(w.weak_sites)}; learn from {w.best_site} "
                      f"(level {w.highest})")  # fmt: skip
    else:
        history = portfolio.site(me, args.name)
        if args.json:
            _dump(history.model_dump(mode="json"))
            return 0
        rec, e = history.record, history.eligibility
        print(f"{rec.name} ({rec.company}, {rec.site_type or '-'}, {rec.country}): "
              f"{'eligible' if e.eligible else 'NOT eligible'}" + (f" until {e.runs_out}" if e.runs_out else ""))
        for reason in e.reasons:
            print(f"  - {reason}")
        for p in history.points:
            print(f"  {p.date} {p.protocol} overall {p.overall}  completeness {p.completeness:.0%}")
        if history.overall_change is not None:
            print(f"  change since the one before: {history.overall_change:+.2f}")
        print(f"  {history.reevaluation_note}")
        for item in history.plan_due:
            print(f"  plan {item.id}: {item.goal} (due {item.due or '-'}{', OVERDUE' if item.overdue else ''})")
        for horizon, areas in history.roadmap.items():
            print(f"  roadmap, {horizon}:")
            for area, actions in areas.items():
                print(f"    {area}: {len(actions)} action(s), e.g. {actions[0]}")
    return 0


def add_portfolio_parser(sub: Any) -> None:
    parser = sub.add_parser("portfolio", help="a company's sites: import, sites, rank, benchmark, site")
    psub = parser.add_subparsers(dest="portfolio_command", required=True)
    imp = psub.add_parser("import", help="DIR/sites.csv and its answers files (all checked first; idempotent)")
    imp.add_argument("dir")
    for verb, what in (
        ("sites", "every site, its record and eligibility"),
        ("rank", "the sites in the order they should enrol, with the figures behind each place"),
        ("benchmark", "practice-area scores across sites, spread per question, who to learn from"),
    ):
        psub.add_parser(verb, help=what).add_argument("--json", action="store_true")
    site = psub.add_parser("site", help="one site over time: assessments, change, plan, re-evaluation, roadmap")
    site.add_argument("name")
    site.add_argument("--json", action="store_true")
    parser.set_defaults(func=cmd_portfolio)

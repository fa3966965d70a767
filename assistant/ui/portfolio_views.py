"""What the Portfolio tab shows, as HTML and Markdown (pure functions, no Gradio: a benchmark can time them)."""

from __future__ import annotations

from assistant.portfolio.benchmark import Benchmark, Cell
from assistant.portfolio.rules import Rank
from assistant.portfolio_service import SiteHistory
from assistant.ui.assessor_views import cell as md
from assistant.ui.views import esc


def _colour(score: float | None) -> str:
    """Red at 1, amber at 3, green at 5; grey when not assessed."""
    if score is None:
        return "#eeeeee"
    t = max(0.0, min(1.0, (score - 1) / 4))
    hue = int(120 * t)
    return f"hsl({hue}, 65%, 78%)"


def _cell_html(c: Cell) -> str:
    score = "not assessed" if c.score is None else f"<b>{c.score:.2f}</b>"
    evidence = "-" if c.evidence_share is None else f"{c.evidence_share * 100:.0f}%"
    thin = " thin" if c.completeness < 0.5 else ""
    return (f'<td class="hm{thin}" style="background:{_colour(c.score)}" title="completeness '
            f'{c.completeness * 100:.0f}%, evidence {evidence}">{score}<br><small>{c.completeness * 100:.0f}% '
            f"answered · {evidence} evidence</small></td>")  # fmt: skip


def heatmap_html(bench: Benchmark) -> str:
    if not bench.areas:
        return "<p>No site has a scored assessment yet: import a portfolio (qmm portfolio import DIR).</p>"
    head = "".join(f"<th>{esc(name)}</th>" for _, name in bench.areas)
    rows = "".join(
        f"<tr><th scope='row'>{esc(r.site)}<br><small>{r.assessed_on or 'not assessed yet'}</small></th>"
        + "".join(_cell_html(r.cells[a]) for a, _ in bench.areas)
        + "</tr>"
        for r in bench.rows
    )
    note = f"<p><i>{esc(bench.note)}</i></p>" if bench.note else ""
    return (f'<div id="heatmap-wrap" style="overflow-x:auto"><table id="heatmap"><caption>Practice-area scores '
            f"on {esc(bench.protocol or '')} (this tool's rubric, not an FDA rating): score, share of questions "
            f"answered, share of answers with a record</caption><thead><tr><th>Site</th>{head}</tr></thead>"
            f"<tbody>{rows}</tbody></table></div>{note}")  # fmt: skip


def spread_markdown(bench: Benchmark) -> str:
    if not bench.spreads:
        return ""
    lines = ["**Where the network differs most** (levels across sites):"]
    for s in bench.spreads[:8]:
        lines.append(f"- {s.question_id} {md(s.topic)}: levels {s.lowest} to {s.highest} (mean {s.mean:.2f}) over "
                     f"{s.sites} sites")  # fmt: skip
    if bench.weak_spots:
        lines.append("\n**Learn from a peer** (a weak spot, and the site that does it best):")
        for w in bench.weak_spots[:8]:
            lines.append(f"- {w.question_id} {md(w.topic)}: weak at {md(', '.join(w.weak_sites))}; ask "
                         f"**{md(w.best_site)}** (level {w.highest})")  # fmt: skip
    return "\n".join(lines)


def ranking_markdown(ranks: list[Rank]) -> str:
    if not ranks:
        return "No sites yet."
    lines = ["**Which site enrols first** (our rule: `protocols/qmm-self-assessment/portfolio.yaml`):", ""]
    for r in ranks:
        points = "not ranked" if r.points is None else f"{r.points:.2f} points"
        status = "eligible" if r.eligible else "**not eligible**"
        lines.append(f"{r.place}. **{md(r.site)}** · {status} · {points}")
        lines += [f"   - {md(reason)}" for reason in r.reasons]
    return "\n".join(lines)


def area_abbreviation(name: str) -> str:
    """'Management Commitment to Quality' -> 'MCQ', 'Advanced Pharmaceutical Quality System' -> 'APQS'."""
    return "".join(w[0] for w in name.split() if w[:1].isupper()) or name[:4]


def site_markdown(h: SiteHistory) -> str:
    r, e = h.record, h.eligibility
    lines = [f"### {md(r.name)}", f"{md(r.company)} · {md(r.site_type or '-')} · {md(r.country)} · last FDA "
             f"surveillance inspection {r.last_inspection_date or 'none'} ({r.last_inspection_classification.upper()})"]
    lines.append(("\n**Eligible** for FDA's QMM program" + (f" until {e.runs_out}" if e.runs_out else "")) if e.eligible
                 else "\n**Not eligible** for FDA's QMM program:")  # fmt: skip
    lines += [f"- {md(x)}" for x in e.reasons]
    lines.append(f"\n*{md(e.note)}*")
    if h.points:  # short area headings and the protocol beside the table: it stays readable on a phone
        names = list(h.points[-1].areas)
        short = {n: area_abbreviation(n) for n in names}
        protocols = list(dict.fromkeys(p.protocol for p in h.points))
        one = len(protocols) == 1
        head = " | ".join(short[n] for n in names) + ("" if one else " | protocol")
        lines += ["", f"| date | overall | {head} |", "|---|---|" + "---|" * len(names) + ("" if one else "---|")]
        for p in h.points:
            scores = " | ".join("-" if p.areas.get(n) is None else f"{p.areas[n]:.2f}" for n in names)
            lines.append(f"| {p.date} | {'-' if p.overall is None else f'{p.overall:.2f}'} | {scores}"
                         + ("" if one else f" | {p.protocol}") + " |")  # fmt: skip
        legend = "; ".join(f"{short[n]} {md(n)}" for n in names)
        lines.append(f"\n<small>{legend}" + (f"; all on {md(protocols[0])}" if one else "") + "</small>")
        if h.overall_change is not None:
            lines.append(f"\nChange since the assessment before: {h.overall_change:+.2f} overall.")
        lines.append(f"\n{md(h.reevaluation_note)}")
    if h.plan_due:
        lines.append("\n**Improvement plan, open items:**")
        lines += [f"- {p.id} {md(p.goal)} · due {p.due or '-'}" + (" · **overdue**" if p.overdue else "")
                  for p in h.plan_due]  # fmt: skip
    if h.roadmap:
        lines.append("\n**Roadmap** (next-level actions by horizon and practice area):")
        for horizon, areas in h.roadmap.items():
            lines.append(f"- **{horizon}**")
            lines += [f"  - {md(area)}: {len(actions)} action(s), first: {md(actions[0])}"
                      for area, actions in areas.items()]  # fmt: skip
    return "\n".join(lines)

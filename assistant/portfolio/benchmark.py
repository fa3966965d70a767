"""Benchmark a company's sites: practice-area scores (sites x areas, each with its completeness and evidence share, so a
thin assessment never passes for a strong one), the spread per question, the questions where the network differs
most, and for each weak spot the site that does it best. Pure: site names and their latest profiles in.

Only comparable assessments are compared: the protocol version most sites use forms the benchmark; sites on another
version are listed apart with a note.
"""

from __future__ import annotations

from collections import Counter
from statistics import mean

from pydantic import BaseModel, Field

from assistant.rubric import SiteProfile

WEAK = 2  # a question at or below this level, at some site, is a weak spot to learn about from a peer
TOP_SPREAD = 10


class Cell(BaseModel):
    score: float | None
    level_name: str | None
    completeness: float = Field(description="Answered (confirmed or N/A) / applicable questions of the area.")
    evidence_share: float | None = Field(description="Share of the area's assessed answers with a record.")
    assessed: int
    applicable: int


class SiteRow(BaseModel):
    site: str
    assessed_on: str | None
    overall: float | None
    completeness: float
    evidence_share: float | None
    cells: dict[str, Cell] = Field(description="Area id -> the site's cell.")


class Spread(BaseModel):
    question_id: str
    topic: str
    area: str
    sites: int
    lowest: int
    highest: int
    mean: float
    best_site: str = Field(description="The site with the highest level (ties by name): who to learn from.")
    weak_sites: list[str] = Field(default_factory=list, description=f"Sites at level {WEAK} or below.")


class Benchmark(BaseModel):
    protocol: str | None
    areas: list[tuple[str, str]] = Field(description="(area id, name) in protocol order.")
    rows: list[SiteRow]
    spreads: list[Spread] = Field(description="Every question scored at two or more sites, most spread first.")
    differs_most: list[str] = Field(description="The questions with the widest spread.")
    weak_spots: list[Spread] = Field(description="Questions some site is weak at, with the site that does it best.")
    apart: list[tuple[str, str]] = Field(default_factory=list, description="(site, protocol) not comparable.")
    note: str | None = None


def _cell(profile: SiteProfile, area: str) -> Cell:
    a = next(x for x in profile.areas if x.area == area)
    mine = [q for q in profile.questions if q.area == area and q.status != "not_applicable"]
    scored = [q for q in mine if q.status == "scored"]
    done = sum(q.status in ("scored", "na") for q in mine)
    return Cell(score=a.score, level_name=a.level_name, completeness=round(done / len(mine), 2) if mine else 0.0,
                evidence_share=round(sum(q.has_evidence for q in scored) / len(scored), 2) if scored else None,
                assessed=a.assessed, applicable=a.applicable)  # fmt: skip


def benchmark(sites: list[tuple[str, SiteProfile | None, str | None]]) -> Benchmark:
    """``sites``: (name, latest profile or None, the profile's date)."""
    profiled = [(n, p, d) for n, p, d in sites if p is not None]
    versions = Counter(p.protocol for _, p, _ in profiled)
    main = max(versions, key=lambda v: (versions[v], v)) if versions else None
    same = sorted(((n, p, d) for n, p, d in profiled if p.protocol == main), key=lambda x: x[0])
    apart = sorted((n, p.protocol) for n, p, _ in profiled if p.protocol != main)
    areas = [(a.area, a.name) for a in same[0][1].areas] if same else []
    rows = [SiteRow(site=n, assessed_on=d, overall=p.overall, completeness=p.completeness,
                    evidence_share=p.evidence_share, cells={a: _cell(p, a) for a, _ in areas})
            for n, p, d in same]  # fmt: skip
    nothing = Cell(score=None, level_name=None, completeness=0.0, evidence_share=None, assessed=0, applicable=0)
    rows += [SiteRow(site=n, assessed_on=None, overall=None, completeness=0.0, evidence_share=None,
                     cells={a: nothing for a, _ in areas}) for n, p, _ in sites if p is None]  # fmt: skip
    rows.sort(key=lambda r: r.site)  # a site not assessed yet has its row too: every cell "not assessed", 0%
    levels: dict[str, list[tuple[str, int]]] = {}
    topics: dict[str, tuple[str, str]] = {}
    for name, profile, _ in same:
        for q in profile.questions:
            if q.status == "scored" and q.level is not None:
                levels.setdefault(q.question_id, []).append((name, q.level))
                topics[q.question_id] = (q.topic, q.area)
    spreads = []
    for qid, got in levels.items():
        if len(got) < 2:
            continue
        high = max(lv for _, lv in got)
        spreads.append(Spread(
            question_id=qid, topic=topics[qid][0], area=topics[qid][1], sites=len(got),
            lowest=min(lv for _, lv in got), highest=high, mean=round(mean(lv for _, lv in got), 2),
            best_site=min(n for n, lv in got if lv == high), weak_sites=sorted(n for n, lv in got if lv <= WEAK),
        ))  # fmt: skip
    spreads.sort(key=lambda s: (-(s.highest - s.lowest), s.mean, s.question_id))
    weak = [s for s in spreads if s.weak_sites and s.highest > WEAK]
    note = None
    if apart:
        note = (f"{len(apart)} site(s) were assessed on another protocol version than {main}: their scores are not "
                "comparable and are listed apart.")  # fmt: skip
    return Benchmark(protocol=main, areas=areas, rows=rows, spreads=spreads,
                     differs_most=[s.question_id for s in spreads[:TOP_SPREAD] if s.highest > s.lowest],
                     weak_spots=weak, apart=apart, note=note)  # fmt: skip

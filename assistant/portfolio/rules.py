"""The portfolio rules (``protocols/<id>/portfolio.yaml``): FDA's QMM program entry rule as we read it, and the order
in which a company's sites should enrol. Pure functions over site records and profiles; the rules are data.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from assistant.errors import ProtocolError
from assistant.portfolio.records import SiteRecord
from assistant.rubric import SiteProfile


class Message(BaseModel):
    message: str
    source: str


class EligibilityRule(BaseModel):
    note: str
    sources: list[str]
    inspection_within_years: int = Field(ge=1)
    ok_classifications: list[str]
    messages: dict[str, Message]


class Weights(BaseModel):
    overall: float
    lowest_area: float
    completeness: float
    evidence_share: float


class RankingRule(BaseModel):
    note: str
    readiness: Weights
    adverse_risk: dict[str, float]
    thin_assessment: dict[str, float]
    strategic_value: dict[str, float]
    reevaluation_months: int = Field(ge=1)


class PortfolioRules(BaseModel):
    eligibility: EligibilityRule
    ranking: RankingRule


CHECKS = ("no_recent_inspection", "classification", "no_us_distribution", "open_warning_letter", "import_alert")


def load_rules(protocols_dir: Path, protocol_id: str) -> PortfolioRules:
    path = protocols_dir / protocol_id / "portfolio.yaml"
    try:
        rules = PortfolioRules.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValueError) as exc:
        raise ProtocolError(f"cannot read the portfolio rules {path}: {str(exc).splitlines()[0]}") from None
    missing = [c for c in CHECKS if c not in rules.eligibility.messages]
    if missing:
        raise ProtocolError(f"{path}: eligibility.messages lacks {', '.join(missing)}")
    return rules


class Eligibility(BaseModel):
    eligible: bool
    reasons: list[str] = Field(default_factory=list, description="Every reason it is not, with its source.")
    runs_out: str | None = Field(default=None, description="The day the last inspection leaves the window.")
    note: str


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def eligibility(rule: EligibilityRule, site: SiteRecord, today: date) -> Eligibility:
    """Eligible for FDA's QMM program, or not with every reason; and when eligibility runs out."""
    failed = []
    inspected = date.fromisoformat(site.last_inspection_date) if site.last_inspection_date else None
    runs_out = _years_after(inspected, rule.inspection_within_years) if inspected else None
    if runs_out is None or runs_out <= today or (inspected is not None and inspected > today):
        failed.append("no_recent_inspection")
    if site.last_inspection_classification not in rule.ok_classifications:
        failed.append("classification")
    if not site.us_distribution:
        failed.append("no_us_distribution")
    if site.open_warning_letter:
        failed.append("open_warning_letter")
    if site.import_alert:
        failed.append("import_alert")
    reasons = [f"{rule.messages[c].message} [{rule.messages[c].source}]" for c in failed]
    return Eligibility(eligible=not failed, reasons=reasons, note=rule.note,
                       runs_out=runs_out.isoformat() if runs_out and not failed else None)  # fmt: skip


class Rank(BaseModel):
    """One site's place in the enrolment order, with the figures that produced it."""

    place: int
    site: str
    eligible: bool
    points: float | None
    reasons: list[str] = Field(default_factory=list, description="Why not eligible, and what the points rest on.")
    overall: float | None = None
    lowest_area: float | None = None
    completeness: float | None = None
    evidence_share: float | None = None
    adverse_risk: bool = False
    critical_products: bool = False
    assessed_on: str | None = None
    protocol: str | None = None


Ranked = tuple[SiteRecord, Eligibility, SiteProfile | None, str | None]


def rank_sites(rule: RankingRule, sites: list[Ranked]) -> list[Rank]:
    """Sites in enrolment order: eligible first, then by points (readiness, less adverse risk and thin
    assessments, plus strategic value); ties by name. ``sites``: (record, eligibility, latest profile, its date)."""
    w, out = rule.readiness, []
    for record, elig, profile, when in sites:
        row = Rank(place=0, site=record.name, eligible=elig.eligible, points=None, reasons=list(elig.reasons),
                   critical_products=record.critical_products, assessed_on=when)  # fmt: skip
        if profile is None or profile.overall is None:
            row.reasons.append("No scored self-assessment yet: assess the site before ranking it.")
            out.append(row)
            continue
        scores = [a.score for a in profile.areas if a.score is not None]
        lowest = min(scores)
        evidence = profile.evidence_share or 0.0
        points = (w.overall * profile.overall + w.lowest_area * lowest + w.completeness * profile.completeness
                  + w.evidence_share * evidence)  # fmt: skip
        parts = [f"overall {profile.overall:.2f} x {w.overall:g}", f"lowest area {lowest:.2f} x {w.lowest_area:g}",
                 f"completeness {profile.completeness:.2f} x {w.completeness:g}",
                 f"evidence share {evidence:.2f} x {w.evidence_share:g}"]  # fmt: skip
        risk = lowest < rule.adverse_risk["area_below"]
        if risk:
            points -= rule.adverse_risk["penalty"]
            parts.append(f"an area below {rule.adverse_risk['area_below']:g} (likely adverse rating) "
                         f"-{rule.adverse_risk['penalty']:g}")  # fmt: skip
        if profile.completeness < rule.thin_assessment["completeness_below"]:
            points -= rule.thin_assessment["penalty"]
            parts.append(f"assessment too thin (completeness below {rule.thin_assessment['completeness_below']:g}) "
                         f"-{rule.thin_assessment['penalty']:g}")  # fmt: skip
        if record.critical_products:
            points += rule.strategic_value["critical_products"]
            parts.append(f"critical or shortage-listed products +{rule.strategic_value['critical_products']:g}")
        row.points = round(points, 2)
        row.reasons.append("Points: " + ", ".join(parts) + f" = {row.points:.2f}")
        row.overall, row.lowest_area, row.completeness = profile.overall, lowest, profile.completeness
        row.evidence_share, row.adverse_risk, row.protocol = profile.evidence_share, risk, profile.protocol
        out.append(row)
    out.sort(key=lambda r: (not r.eligible, r.points is None, -(r.points or 0.0), r.site))
    for n, row in enumerate(out, start=1):
        row.place = n
    return out

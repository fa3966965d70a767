"""The portfolio (``AssessmentService.portfolio``): a company's sites as records, FDA's QMM program eligibility
pre-screen, the cross-site benchmark, which site enrols first, each site over time and its roadmap. Every call is
scoped to the sites the caller may see; importing is for admins (the operator at the command line).
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from assistant.auth import AccessDenied, Principal
from assistant.errors import AssistantError
from assistant.interview import InterviewState, Phase
from assistant.interview_service import utcnow
from assistant.portfolio.benchmark import Benchmark, benchmark
from assistant.portfolio.records import PortfolioRow, SiteRecord, read_portfolio
from assistant.portfolio.rules import Eligibility, PortfolioRules, Rank, eligibility, load_rules, rank_sites
from assistant.reports.model import EFFORT_LABELS, PlanItem
from assistant.rubric import SiteProfile
from assistant.store_portfolio import cached_profiles, import_portfolio, last_events, save_profiles, site_records

if TYPE_CHECKING:
    from assistant.service import AssessmentService


class SitePoint(BaseModel):
    """One assessment of a site, as its history shows it."""

    assessment: str
    date: str
    protocol: str
    status: str
    overall: float | None
    areas: dict[str, float | None]
    completeness: float


class SiteHistory(BaseModel):
    record: SiteRecord
    eligibility: Eligibility
    points: list[SitePoint] = Field(default_factory=list, description="Oldest first.")
    change: dict[str, float | None] = Field(default_factory=dict, description="Area -> change since the one before.")
    overall_change: float | None = None
    reevaluation_due: bool = False
    reevaluation_note: str = ""
    plan_due: list[PlanItem] = Field(default_factory=list, description="The latest plan's open items, overdue first.")
    roadmap: dict[str, dict[str, list[str]]] = Field(
        default_factory=dict, description="Horizon label -> area name -> next-level actions, from the latest findings.")


@cache
def _protocol_hash(folder: Path) -> str:
    from assistant.protocol.versions import content_hash

    return content_hash(folder)[7:23]


def protocol_hash(service: AssessmentService, ref: str) -> str:
    """A protocol version's content hash (short), computed once per process."""
    from assistant.protocol import resolve_protocol_dir

    return _protocol_hash(resolve_protocol_dir(service.settings.protocols_dir, ref))


def _months_ago(today: date, months: int) -> date:
    month = today.month - 1 - months
    year, month = today.year + month // 12, month % 12 + 1
    return today.replace(year=year, month=month, day=min(today.day, 28))


@contextmanager
def _no_gc_pauses() -> Iterator[None]:
    """Cyclic garbage collection off while a bulk import builds its many short-lived objects (it otherwise rescans
    them again and again: a third of a large import's time), back on afterwards."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class PortfolioService:
    def __init__(self, service: AssessmentService) -> None:
        self.svc = service

    @cached_property
    def rules(self) -> PortfolioRules:
        return load_rules(self.svc.settings.protocols_dir, self.svc.protocol.meta.id)

    def _visible(self, principal: Principal) -> set[str] | None:
        current = self.svc.users.current(principal, utcnow())
        return current.sites("read_results")

    # --- import ----------------------------------------------------------------------------------------------------
    def import_dir(self, principal: Principal, folder: Path) -> dict[str, int]:
        """``folder/sites.csv`` and its answers files, all checked first, then written in one transaction."""
        current = self.svc.users.current(principal, utcnow())
        if not current.admin:
            raise AccessDenied("Only an admin (or the operator at the command line) may import a portfolio.")
        if not folder.is_dir():
            raise AssistantError(f"{folder} is not a folder (it should hold sites.csv and the answers files).")
        with _no_gc_pauses():
            return self._import(folder, current)

    def _import(self, folder: Path, current: Principal) -> dict[str, int]:
        rows = read_portfolio(folder, self.svc.answers_protocol)

        def state_of(interview_id: int, assessment_id: int, row: PortfolioRow) -> str:
            state = InterviewState(interview_id=interview_id, assessment_id=assessment_id,
                                   interviewee=f"answers file {row.answers_file}", role="all",
                                   protocol=row.protocol or "", facts=dict(row.parsed.facts), phase=Phase.DONE,
                                   revision=1)  # fmt: skip
            return state.model_dump_json()

        return import_portfolio(self.svc.store, rows, self.svc.protocol_for, self.svc.who_for(current, ""), utcnow(),
                                state_of)  # fmt: skip

    # --- what the portfolio shows -------------------------------------------------------------------------------
    def _sites(self, principal: Principal) -> list[dict[str, Any]]:
        return site_records(self.svc.store, self._visible(principal))

    @cached_property
    def code_fingerprint(self) -> str:
        """The scoring code's own hash: a cached profile from other code is scored again."""
        import assistant.assessor_service
        import assistant.conflicts
        import assistant.rubric

        digest = hashlib.sha256()
        for module in (assistant.rubric, assistant.conflicts, assistant.assessor_service):
            digest.update(Path(str(module.__file__)).read_bytes())
        return digest.hexdigest()[:16]

    def profiles(self, principal: Principal, ids: list[int], refs: dict[int, str] | None = None
                 ) -> dict[int, SiteProfile]:  # fmt: skip
        """The profiles of many assessments for the portfolio (no criterion traces, no gate), from the profile
        cache while each assessment's latest audit event, its protocol's content and the scoring code are
        unchanged; scored (and cached) otherwise. The caller has already been limited to its sites; ``refs``
        (assessment id -> protocol version, when the caller has them) saves a lookup per assessment."""
        store = self.svc.store
        events = last_events(store, ids)
        cached = cached_profiles(store, ids)
        out: dict[int, SiteProfile] = {}
        fresh: dict[int, tuple[str, dict[str, Any]]] = {}
        for aid in ids:
            protocol = self.svc.protocol_for(refs[aid]) if refs and aid in refs else self.svc.protocol_of(aid)
            key = f"{events.get(aid, 0)}|{protocol.ref}|{protocol_hash(self.svc, protocol.ref)}|{self.code_fingerprint}"
            hit = cached.get(aid)
            if hit is not None and hit[0] == key:
                out[aid] = SiteProfile.model_validate(hit[1])
                continue
            full = self.svc.assessment_profile(principal, aid)
            slim = full.model_copy(update={"gate": [], "gate_summary": None, "questions": [
                q.model_copy(update={"trace": [], "missing_for_next": []}) for q in full.questions]})  # fmt: skip
            out[aid] = slim
            fresh[aid] = (key, slim.model_dump(mode="json"))
        save_profiles(store, fresh)
        return out

    def _latest_all(self, principal: Principal, sites: list[dict[str, Any]]) -> list[tuple[SiteProfile | None,
                                                                                             str | None]]:  # fmt: skip
        latest = {s["assessments"][-1]["id"]: s["assessments"][-1]["protocol"] for s in sites if s["assessments"]}
        got = self.profiles(principal, list(latest), latest)
        return [(got[s["assessments"][-1]["id"]], s["assessments"][-1]["created_at"][:10]) if s["assessments"]
                else (None, None) for s in sites]  # fmt: skip

    def sites(self, principal: Principal, today: date | None = None) -> list[dict[str, Any]]:
        """Every site the caller may see: record, eligibility, number of assessments, latest date."""
        today = today or utcnow().date()
        return [{"site": s["name"], "record": s["record"].model_dump(mode="json"),
                 "eligibility": eligibility(self.rules.eligibility, s["record"], today).model_dump(mode="json"),
                 "assessments": len(s["assessments"]),
                 "latest": s["assessments"][-1]["created_at"][:10] if s["assessments"] else None}
                for s in self._sites(principal)]  # fmt: skip

    def benchmark(self, principal: Principal) -> Benchmark:
        return self.overview(principal)[0]

    def rank(self, principal: Principal, today: date | None = None) -> list[Rank]:
        return self.overview(principal, today)[1]

    def overview(self, principal: Principal, today: date | None = None) -> tuple[Benchmark, list[Rank]]:
        """The benchmark and the enrolment order together, from one read of the sites and their latest profiles
        (what the Portfolio tab shows)."""
        today = today or utcnow().date()
        sites = self._sites(principal)
        latest = self._latest_all(principal, sites)
        bench = benchmark([(s["name"], *pair) for s, pair in zip(sites, latest, strict=True)])
        rows = [(s["record"], eligibility(self.rules.eligibility, s["record"], today), profile, when)
                for s, (profile, when) in zip(sites, latest, strict=True)]  # fmt: skip
        return bench, rank_sites(self.rules.ranking, rows)

    def site(self, principal: Principal, name: str, today: date | None = None) -> SiteHistory:
        """One site over time: its assessments, the change since the one before, the latest plan's due items,
        whether re-evaluation is due, and a roadmap of next-level actions by horizon and practice area."""
        today = today or utcnow().date()
        found = next((s for s in self._sites(principal) if s["name"] == name), None)
        if found is None:
            raise AssistantError(f"There is no site {name[:60]!r} among the sites you may see.")
        record = found["record"]
        out = SiteHistory(record=record, eligibility=eligibility(self.rules.eligibility, record, today))
        for a in found["assessments"]:
            p = self.svc.assessment_profile(principal, a["id"])
            out.points.append(SitePoint(assessment=str(a["token"]), date=a["created_at"][:10], protocol=a["protocol"],
                                        status=a["status"], overall=p.overall, areas={x.name: x.score for x in p.areas},
                                        completeness=p.completeness))  # fmt: skip
        if len(out.points) >= 2:
            last, before = out.points[-1], out.points[-2]
            if last.protocol == before.protocol:
                out.change = {}
                for k, v in last.areas.items():
                    old = before.areas.get(k)
                    out.change[k] = round(v - old, 2) if v is not None and old is not None else None
                out.overall_change = round(last.overall - before.overall, 2) if last.overall is not None and \
                    before.overall is not None else None  # fmt: skip
        months = self.rules.ranking.reevaluation_months
        if out.points:
            latest = found["assessments"][-1]
            due = date.fromisoformat(out.points[-1].date) <= _months_ago(today, months)
            out.reevaluation_due = due
            last_day = date.fromisoformat(out.points[-1].date)
            out.reevaluation_note = (f"Re-evaluation due: the last self-assessment ({last_day}) is more than {months} "
                                     f"months old." if due else f"Next re-evaluation by "
                                     f"{_months_ago(last_day, -months)}.")  # fmt: skip
            plan = self.svc.reports.plan(principal, latest["id"], today)
            out.plan_due = sorted((p for p in plan if p.status in ("planned", "in_progress")),
                                  key=lambda p: (not p.overdue, p.due or "9999"))  # fmt: skip
            areas = {a.id: a.name for a in self.svc.protocol_of(latest["id"]).meta.areas}
            for f in self.svc.reports.findings(principal, latest["id"]):
                if f.kind != "opportunity" or not f.recommendation:
                    continue
                horizon = EFFORT_LABELS.get(f.effort or "", "Unsized")
                out.roadmap.setdefault(horizon, {}).setdefault(areas.get(f.area, f.area), []).append(
                    f"{f.question_id}: {f.recommendation}")  # fmt: skip
        order = [*EFFORT_LABELS.values(), "Unsized"]
        out.roadmap = {h: out.roadmap[h] for h in order if h in out.roadmap}
        return out

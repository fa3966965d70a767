"""The portfolio: sites as records, the example portfolio imported (idempotent, all or nothing), FDA's QMM program
eligibility pre-screen, the enrolment order with its reasons, the benchmark, and a site over time."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.errors import AssistantError
from assistant.portfolio.records import SiteRecord, site_key
from assistant.portfolio.rules import eligibility, load_rules
from assistant.service import AssessmentService, Principal
from assistant.settings import REPO_ROOT, Settings
from tests.test_service import LOCAL

PORTFOLIO = REPO_ROOT / "eval" / "portfolio"
OPERATOR = Principal.operator()


@pytest.fixture
def svc(tmp_path: Path) -> AssessmentService:
    service = AssessmentService(Settings(data_dir=tmp_path / "data", embeddings="fake", vector_store="memory"))
    service.portfolio.import_dir(OPERATOR, PORTFOLIO)
    return service


def test_import_is_idempotent_and_all_or_nothing(svc: AssessmentService, tmp_path: Path) -> None:
    assert svc.portfolio.import_dir(OPERATOR, PORTFOLIO) == {"sites_added": 0, "sites_updated": 0,
                                                             "assessments_added": 0, "assessments_skipped": 14}
    assert len(svc.portfolio.sites(OPERATOR)) == 12
    bad = tmp_path / "bad"
    shutil.copytree(PORTFOLIO, bad)
    lines = (bad / "sites.csv").read_text(encoding="utf-8").splitlines()
    lines.append("New Site,Meridian Pharma,tablets,US,2024-13-01,VAI,maybe,no,no,no,../etc/passwd,")
    lines.append("Other New Site,Meridian Pharma,api,US,2024-01-01,VAI,yes,no,no,no,missing.yaml,2026-01-01")
    (bad / "sites.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    fresh = AssessmentService(Settings(data_dir=tmp_path / "fresh", embeddings="fake", vector_store="memory"))
    with pytest.raises(AssistantError) as err:
        fresh.portfolio.import_dir(OPERATOR, bad)
    message = str(err.value)
    for expected in ("sites.csv:17: site_type must be one of", "sites.csv:17: last_inspection_date must be a date",
                     "sites.csv:17: us_distribution must be yes or no",
                     "sites.csv:17: answers must be a file name in the folder",
                     "sites.csv:18: missing.yaml", "nothing was imported"):  # fmt: skip
        assert expected in message, expected
    assert fresh.portfolio.sites(OPERATOR) == []  # nothing half-imported
    with pytest.raises(AssistantError, match="Only an admin"):
        fresh.portfolio.import_dir(_staff(fresh), PORTFOLIO)


def _staff(svc: AssessmentService) -> Principal:
    svc.users.add(OPERATOR, "Sam Staff", "long enough password")
    return svc.session_principal("Sam Staff", "t-staff")


def test_eligibility_is_explained_and_runs_out(svc: AssessmentService) -> None:
    rules = load_rules(REPO_ROOT / "protocols", "qmm-self-assessment").eligibility
    site = SiteRecord(name="A", last_inspection_date="2022-11-21", last_inspection_classification="vai",
                      us_distribution=True)  # fmt: skip
    ok = eligibility(rules, site, date(2026, 12, 4))
    assert (ok.eligible, ok.runs_out, ok.reasons) == (True, "2027-11-21", [])
    late = eligibility(rules, site, date(2027, 11, 21))
    assert not late.eligible
    assert late.reasons[0].startswith("No FDA human-drug surveillance inspection in the last five years")
    worst = eligibility(rules, SiteRecord(name="B", last_inspection_classification="oai", open_warning_letter=True,
                                          import_alert=True), date(2026, 12, 4))  # fmt: skip
    assert len(worst.reasons) == 5  # every reason, each with its source
    assert all(r.endswith("]") for r in worst.reasons)


def test_ineligible_sites_rank_after_every_eligible_one_with_reasons(svc: AssessmentService) -> None:
    ranks = svc.portfolio.rank(OPERATOR, today=date(2026, 12, 4))
    eligible = [r.eligible for r in ranks]
    assert eligible == sorted(eligible, reverse=True)  # every eligible site first
    assert [r.site for r in ranks if not r.eligible] == ["Pinecrest Packaging", "Greenfield Generics",
                                                         "Marlow Sterile", "Ostrava API", "Lumen Oral Solids"]
    by_site = {r.site: r for r in ranks}
    assert any("classified NAI or VAI" in x for x in by_site["Ostrava API"].reasons)
    assert any("open warning letter" in x for x in by_site["Ostrava API"].reasons)
    assert any("import alert" in x for x in by_site["Lumen Oral Solids"].reasons)
    assert any("U.S. commercial distribution" in x for x in by_site["Greenfield Generics"].reasons)
    assert any("last five years" in x for x in by_site["Pinecrest Packaging"].reasons)
    assert by_site["Kestrel Biologics"].place == 1
    assert by_site["Aldwych Biologics"].adverse_risk
    assert "likely adverse rating" in by_site["Aldwych Biologics"].reasons[-1]
    assert by_site["Riverbend Fill-Finish"].points is None  # eligible but not assessed: after the assessed ones
    assert by_site["Riverbend Fill-Finish"].place == 7
    for r in ranks:
        if r.points is not None:
            assert r.reasons[-1].startswith("Points: overall")
            assert r.reasons[-1].endswith(f"= {r.points:.2f}")


def test_the_benchmark_has_every_cell_and_who_to_learn_from(svc: AssessmentService) -> None:
    bench = svc.portfolio.benchmark(OPERATOR)
    assert bench.protocol == "qmm-self-assessment@2"
    assert len(bench.rows) == 12  # every site, Riverbend (no assessment yet) too
    riverbend = next(r for r in bench.rows if r.site == "Riverbend Fill-Finish")
    assert riverbend.assessed_on is None
    assert all(c.score is None and c.completeness == 0.0 for c in riverbend.cells.values())
    assert "Riverbend" not in {s.best_site for s in bench.spreads}
    for row in bench.rows:
        assert set(row.cells) == {a for a, _ in bench.areas}
        for cell in row.cells.values():
            assert 0 <= cell.completeness <= 1
    cobalt = next(r for r in bench.rows if r.site == "Cobalt API")
    assert cobalt.cells["technical_excellence"].score is None  # half done: shown as such, never as strong
    assert cobalt.cells["technical_excellence"].completeness == 0.0
    assert bench.differs_most
    spot = bench.weak_spots[0]
    assert spot.weak_sites
    assert spot.best_site not in spot.weak_sites
    assert spot.highest > 2


def test_cli_rank_and_benchmark_are_deterministic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    monkeypatch.setenv("QMM_DATA_DIR", str(tmp_path / "data"))
    assert main(["portfolio", "import", str(PORTFOLIO)]) == 0
    assert "assessments added: 14" in capsys.readouterr().out
    outputs = []
    for _ in range(2):
        assert main(["portfolio", "rank", "--json"]) == 0
        assert main(["portfolio", "benchmark", "--json"]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert main(["portfolio", "site", "Sterilis Aseptic"]) == 0
    out = capsys.readouterr().out
    assert "2024-10-01" in out
    assert "2026-10-12" in out
    assert "change since the one before: +0.20" in out
    assert main(["portfolio", "rank", "--json"]) == 0
    ranks = json.loads(capsys.readouterr().out)
    assert [r["place"] for r in ranks] == list(range(1, 13))


def test_a_site_over_time(svc: AssessmentService) -> None:
    history = svc.portfolio.site(OPERATOR, "Sterilis Aseptic", today=date(2026, 12, 4))
    assert [p.date for p in history.points] == ["2024-10-01", "2025-10-06", "2026-10-12"]
    assert history.overall_change == round(history.points[-1].overall - history.points[-2].overall, 2)  # type: ignore[operator]
    assert not history.reevaluation_due
    assert list(history.roadmap) == ["Weeks", "Months", "A year or more"]
    old = svc.portfolio.site(OPERATOR, "Pinecrest Packaging", today=date(2027, 6, 1))
    assert old.reevaluation_due
    assert "more than 12 months old" in old.reevaluation_note
    with pytest.raises(AssistantError, match="no site"):
        svc.portfolio.site(OPERATOR, "Nowhere")


def test_one_site_however_it_is_typed(svc: AssessmentService) -> None:
    assert site_key("Harbor Ridge API") == site_key(" harbor ridge, API ")
    turn = svc.start_interview(LOCAL, "harbor ridge,  API", "Ann", "qa_head")
    assert svc.store.interview(turn.interview_token)["site"] == "Harbor Ridge API"


def test_a_staff_member_sees_only_their_sites(svc: AssessmentService) -> None:
    svc.users.add(OPERATOR, "Sam Staff", "long enough password")
    svc.users.grant(OPERATOR, "Sam Staff", "Norvale Tablets", "site_staff")
    staff = svc.session_principal("Sam Staff", "t")
    assert [s["site"] for s in svc.portfolio.sites(staff)] == ["Norvale Tablets"]
    assert [r.site for r in svc.portfolio.rank(staff)] == ["Norvale Tablets"]
    with pytest.raises(AssistantError, match="no site"):
        svc.portfolio.site(staff, "Kestrel Biologics")


def test_an_import_leaves_a_record_that_verifies(svc: AssessmentService) -> None:
    report = svc.audit_trail.verify()
    assert report.ok, [f.message for f in report.findings]
    assert report.answers > 100  # the answers were written in bulk, each with its own event
    assert report.events > report.answers
    turn = svc.start_interview(LOCAL, "Norvale Tablets", "Ann", "qa_head")  # events appended after the bulk ones
    turn = svc.turn(LOCAL, turn.state, "We review quality metrics monthly with the site head.")
    svc.turn(LOCAL, turn.state, "confirm")
    assert svc.audit_trail.verify().ok
    with svc.store.engine.begin() as conn:  # an answer edited behind the app's back is caught
        conn.exec_driver_sql("UPDATE answers SET answer = '{}' WHERE id = (SELECT min(id) FROM answers)")
    assert not svc.audit_trail.verify().ok


def test_a_sites_history_table_is_narrow_enough_for_a_phone(svc: AssessmentService) -> None:
    from assistant.ui.portfolio_views import area_abbreviation, site_markdown

    assert area_abbreviation("Advanced Pharmaceutical Quality System") == "APQS"
    shown = site_markdown(svc.portfolio.site(OPERATOR, "Sterilis Aseptic", today=date(2026, 12, 4)))
    assert "| date | overall | MCQ | BC | APQS | TE | EEE |" in shown
    assert "MCQ Management Commitment to Quality" in shown
    assert "all on qmm-self-assessment@2" in shown

"""The Assessor tab in Chromium, as an assessor would use it after two interviews of one site (local mode): answers
side by side with the conflict first, validation, evidence added and marked seen, a finding given an owner, an
item put in the improvement plan, and the Word report downloaded and opened.

Set SCREENSHOT_DIR to keep screenshots of the workspace at 1280 and 390 px wide."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from assistant.service import AssessmentService
from assistant.settings import Settings
from tests.served import Server, free_port, shoot
from tests.test_browser import browser, page  # noqa: F401 - the fixtures
from tests.test_review import MC01_V2, MC01_V2_FORM, confirm_mc01
from tests.test_service import LOCAL, POOR, POOR_FORM

pytestmark = pytest.mark.slow


@pytest.fixture
def assessed_server(tmp_path: Path) -> Any:
    """Two interviewees of one site who disagree on MC-01, then the app served on that data."""
    data = tmp_path / "data"
    svc = AssessmentService(Settings(data_dir=data, embeddings="fake", vector_store="memory"))
    qa = confirm_mc01(svc, svc.start_interview(LOCAL, "Harford tablet plant", "Ann QA", "qa_head"), MC01_V2,
                      MC01_V2_FORM)  # fmt: skip
    confirm_mc01(svc, svc.start_interview(LOCAL, "Harford tablet plant", "Bo Head", "site_head"), POOR, POOR_FORM)
    svc.store.close()
    srv = Server(data, free_port())
    srv.start()
    yield srv, qa.interview_token, qa.assessment_token
    srv.stop()


def test_an_assessor_reviews_validates_adds_evidence_plans_and_downloads(assessed_server: Any, page: Any) -> None:  # noqa: F811
    from docx import Document

    srv, interview, assessment = assessed_server
    page.goto(srv.url + f"?interview={interview}")
    page.get_by_text("Welcome back").first.wait_for()
    page.get_by_role("tab", name="Assessor").click()
    review = page.locator("#assessor-review").first
    review.get_by_text("MC-01 · Quality objectives").first.wait_for()
    assert "conflict" in review.inner_text()
    assert "Ann QA" in review.inner_text()
    assert "Bo Head" in review.inner_text()
    shoot(page, "assessor-1280.png")

    page.get_by_label("Your name (assessor; goes in the audit log)").fill("Asa Assessor")
    page.get_by_text("Validate an answer").click()
    page.locator("#validate-question input").first.click()
    page.get_by_role("option", name="MC-01 · Quality objectives").click()
    page.locator("#validate-choice input").first.click()
    page.get_by_role("option", name="Ann QA", exact=False).first.click()
    page.get_by_label("Reason (goes in the audit log)").fill("The objectives register matches QA's answer")
    page.locator("#validate").click()
    page.get_by_text("Validated MC-01").first.wait_for()
    review.get_by_text("validated by Asa Assessor").first.wait_for()

    page.get_by_text("Evidence register").click()
    page.locator("#evidence-question input").first.click()
    page.get_by_role("option", name="MC-01 · Quality objectives").click()
    page.locator("#evidence-title input, #evidence-title textarea").first.fill("Objectives cascade 2026 <b>bold</b>")
    page.locator("#add-evidence").click()
    evidence = page.locator("#evidence-list").first
    evidence.get_by_text("Objectives cascade 2026").first.wait_for()
    assert "<b>bold</b>" in evidence.inner_text()  # a typed name is shown as typed, never as markup
    page.locator("#evidence-item input").first.fill("1")
    page.locator("#mark-evidence-seen").click()
    evidence.get_by_text("seen by Asa Assessor").first.wait_for()

    page.get_by_text("Findings", exact=True).click()
    findings = page.locator("#findings").first
    findings.get_by_text("Opportunity").first.wait_for()
    page.locator("#finding-pick input").first.click()
    page.get_by_role("option").first.click()
    page.get_by_label("Owner").first.fill("QA head")
    page.get_by_label("Due (YYYY-MM-DD)").first.fill("2027-03-31")
    page.locator("#save-finding").click()
    findings.get_by_text("Owner: QA head").first.wait_for()

    page.get_by_role("button", name="Improvement plan").click()
    page.get_by_label("Goal").fill("Every team has goals traced to the site objectives")
    page.get_by_label("Measure").fill("Teams with traced goals")
    page.locator("#save-plan").click()
    page.get_by_text("Plan item P-1 saved").first.wait_for()
    plan = page.locator("#plan").first  # the table fills a moment after the message
    expect(plan).to_contain_text("Every team has goals traced", use_inner_text=True)
    assert "Every team has goals traced" in plan.inner_text()

    page.locator("#make-report").click()
    link = page.locator("#report-file a").first
    link.wait_for()
    with page.expect_download() as caught:
        link.click()
    body = Path(caught.value.path()).read_bytes()
    doc = Document(io.BytesIO(body))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Harford tablet plant" in text
    assert "Improvement plan" in text
    shoot(page, "assessor-done-1280.png")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "assessor-390.png")


@pytest.fixture
def portfolio_server(tmp_path: Path) -> Any:
    from tests.test_portfolio import OPERATOR, PORTFOLIO

    data = tmp_path / "data"
    svc = AssessmentService(Settings(data_dir=data, embeddings="fake", vector_store="memory"))
    svc.portfolio.import_dir(OPERATOR, PORTFOLIO)
    svc.store.close()
    srv = Server(data, free_port())
    srv.start()
    yield srv
    srv.stop()


def test_the_portfolio_tab_shows_the_heatmap_and_the_ranking_with_reasons(portfolio_server: Any, page: Any) -> None:  # noqa: F811
    page.goto(portfolio_server.url)
    page.get_by_role("tab", name="Portfolio").click()
    page.locator("#portfolio-show").click()
    heatmap = page.locator("#heatmap").first
    heatmap.wait_for()
    text = heatmap.inner_text()
    assert "Kestrel Biologics" in text
    assert "Business Continuity" in text
    assert "answered" in text  # every cell says how complete it is
    ranking = page.locator("#portfolio-ranking").first
    assert ranking.inner_text().index("Kestrel Biologics") < ranking.inner_text().index("Ostrava API")
    assert "not eligible" in ranking.inner_text()
    assert "open warning letter" in ranking.inner_text()
    shoot(page, "portfolio-1280.png")
    page.locator("#portfolio-site input").first.click()
    page.get_by_role("option", name="Sterilis Aseptic").click()
    detail = page.locator("#portfolio-detail").first
    detail.get_by_text("2026-10-12").first.wait_for()
    assert "Roadmap" in detail.inner_text()
    assert "MCQ Management Commitment to Quality" in detail.inner_text()  # short headings, explained below
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    table = detail.locator("table").first
    assert table.evaluate("t => t.getBoundingClientRect().width") <= 390  # the history fits a phone's width
    assert table.locator("td").first.evaluate("c => c.getBoundingClientRect().height") < 60  # no letter-per-line
    shoot(page, "portfolio-390.png")
    shoot(page, "portfolio-site-390.png", "#portfolio-detail")

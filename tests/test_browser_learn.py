"""The Learn tab in Chromium, as a new team member would use it (local mode): the start-here overview, a reading
path, a note opened in full, one practice round (an example answer, a predicted level, the rubric's level with its
reasons and the next step, the agreement score) kept across a reload; and the Protocol tab, whose first question
shows its guidance and level 1 on load.

Set SCREENSHOT_DIR to keep screenshots of the Learn tab at 1280 and 390 px wide."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.served import Server, free_port, shoot
from tests.test_browser import browser, page  # noqa: F401 - the fixtures

pytestmark = pytest.mark.slow


@pytest.fixture
def learn_server(tmp_path: Path) -> Any:
    (tmp_path / "data").mkdir()
    srv = Server(tmp_path / "data", free_port())
    srv.start()
    yield srv
    srv.stop()


def pick(pg: Any, dropdown: str, option: str) -> None:
    pg.locator(f"{dropdown} input").first.click()
    pg.get_by_role("option", name=option).first.click()


def open_learn(pg: Any, url: str) -> None:
    pg.goto(url)
    pg.get_by_role("tab", name="Learn").click()
    pg.locator("#learn-overview").get_by_text("What it is not").first.wait_for()


def test_a_learner_reads_the_overview_a_path_a_note_and_practises_one_round(learn_server: Any, page: Any) -> None:  # noqa: F811
    srv = learn_server
    open_learn(page, srv.url)
    overview = page.locator("#learn-overview").first
    text = overview.inner_text()
    assert "Start here" in text
    assert "The five practice areas" in text
    assert "Federal Register 89 FR 4950" in text  # sources by name
    assert "/corpus/" not in text  # never a server path
    assert overview.locator("a[href^='https://']").count() >= 5  # sources link to their public pages
    shoot(page, "learn-1280.png")

    page.get_by_role("tab", name="Reading paths").click()
    pick(page, "#learn-area", "Business Continuity")
    path = page.locator("#learn-path").first
    path.get_by_text("Reading path: Business Continuity").wait_for()
    assert "Informs:" in path.inner_text()
    assert "BC-01" in path.inner_text()
    pick(page, "#learn-note", "The five QMM practice areas named by CDER in 2023")
    opened = page.locator("#learn-opened").first
    opened.get_by_text("Employee Engagement and Empowerment").first.wait_for()
    assert opened.locator("li").count() >= 5  # the list renders as a list
    shoot(page, "learn-path-1280.png", "#learn-path")

    page.get_by_role("tab", name="Practice").click()
    page.locator("#practice-new").click()
    card = page.locator("#practice-card").first
    card.get_by_text("fictional example site").wait_for()
    asked = card.inner_text()
    page.locator("#practice-level").get_by_text("3 ·").click()
    page.locator("#practice-check").click()
    result = page.locator("#practice-result").first
    result.get_by_text("Why level").first.wait_for()
    assert "You agree with the rubric" in result.inner_text() or "you said 3" in result.inner_text()
    assert "criterion trace" in result.inner_text()
    score = page.locator("#practice-score").first
    score.get_by_text("of 1 round exactly").wait_for()
    shoot(page, "practice-1280.png", "#practice-card")
    shoot(page, "practice-result-1280.png", "#practice-result")

    open_learn(page, srv.url)  # a reload keeps the round
    page.get_by_role("tab", name="Practice").click()
    page.locator("#practice-score").get_by_text("of 1 round exactly").wait_for()
    page.locator("#practice-new").click()
    page.locator("#practice-card").get_by_text("fictional example site").wait_for()
    assert page.locator("#practice-card").first.inner_text() != asked  # the next round is a new example

    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("#practice-check").click()  # the next round, on a phone: no level picked yet is refused
    page.get_by_text("Pick the level you predict first.").first.wait_for()
    page.locator("#practice-level").get_by_text("2 ·").click()
    page.locator("#practice-check").click()
    page.locator("#practice-score").get_by_text("of 2 rounds exactly").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 2  # nothing runs off a phone's screen
    shoot(page, "practice-390.png")
    page.get_by_role("tab", name="Start here").click()
    shoot(page, "learn-390.png")


def test_the_protocol_tab_shows_the_first_questions_guidance_and_level_1_on_load(learn_server: Any, page: Any) -> None:  # noqa: F811
    page.goto(learn_server.url)
    page.get_by_role("tab", name="Protocol").click()
    page.get_by_text("Level 1 · ").first.wait_for()
    page.get_by_text("Read first").first.wait_for()
    guidance = page.locator("#protocol-guidance").first
    guidance.get_by_text("Guidance").first.wait_for()
    assert guidance.locator("details, strong").count() >= 1  # at least one passage, before any question is picked
    body = page.locator("body").inner_text()
    assert "ICH Q10 Pharmaceutical Quality System" in body
    assert "qa_head" not in body  # roles by their labels
    shoot(page, "protocol-1280.png")


def test_a_learner_plays_an_example_site_in_a_mock_interview(learn_server: Any, page: Any) -> None:  # noqa: F811
    """Start, answer two questions (one well, one thinly), reload and carry on, finish: the result shows each level
    beside the site's own and the details that would have raised it; then the same on a phone."""
    open_learn(page, learn_server.url)
    page.get_by_role("tab", name="Mock interview").click()
    view = page.locator("#mock-question").first
    view.get_by_text("Pick an example site to play").wait_for()
    page.locator("#mock-start").click()  # nothing picked yet: said in place, nothing started
    view.get_by_text("Pick the example site you will play").wait_for()
    pick(page, "#mock-persona", "Corvane Pharma Services, Halden site (middling)")
    pick(page, "#mock-area", "Advanced Pharmaceutical Quality System")
    page.locator("#mock-start").click()
    view.get_by_text("0 of 10 questions answered").wait_for()
    assert "What you know, as this site's staff" in view.inner_text()
    assert "Statistical control charts" in view.inner_text()
    shoot(page, "mock-1280.png")
    box = page.locator("#mock-answer textarea").first
    box.fill("We run statistical control charts on 60% of our commercial products and review them quarterly; "
             "process capability is calculated and every signal triggers a documented evaluation under "
             "SOP-QA-040.")  # fmt: skip
    page.locator("#mock-send").click()
    view.get_by_text("1 of 10 questions answered").wait_for()
    assert "Heard in your answer to PQS-01" in view.inner_text()
    assert box.input_value() == ""  # cleared once saved
    box.fill("We check some CAPAs.")
    page.locator("#mock-send").click()
    view.get_by_text("2 of 10 questions answered").wait_for()

    open_learn(page, learn_server.url)  # a reload carries on where it stopped
    page.get_by_role("tab", name="Mock interview").click()
    page.locator("#mock-question").get_by_text("2 of 10 questions answered").wait_for()
    assert "PQS-03" in page.locator("#mock-question").first.inner_text()
    page.locator("#mock-finish").click()
    result = page.locator("#mock-result").first
    result.get_by_text("How your answers scored").wait_for()
    text = result.inner_text()
    assert "PQS-01" in text
    assert "PQS-02" in text
    assert "the site's" in text
    assert "would have raised your level" in text or "Together, the details you left out" in text
    assert "Not answered" in text
    shoot(page, "mock-result-1280.png", "#mock-result")

    page.set_viewport_size({"width": 390, "height": 844})
    pick(page, "#mock-persona", "Brightwell Generics, Harford plant (low)")
    pick(page, "#mock-area", "Business Continuity")
    page.locator("#mock-start").click()
    page.locator("#mock-question").get_by_text("Brightwell Generics").first.wait_for()
    page.locator("#mock-answer textarea").first.fill("We have a business continuity plan, tested once a year.")
    page.locator("#mock-send").click()
    page.locator("#mock-question").get_by_text("1 of").first.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 2  # nothing runs off a phone's screen
    shoot(page, "mock-390.png")
    page.locator("#mock-finish").click()
    page.locator("#mock-result").get_by_text("How your answers scored").wait_for()
    shoot(page, "mock-result-390.png", "#mock-result")

"""The app's layout helpers and construction (no browser)."""

from __future__ import annotations

from assistant.service import AssessmentService
from assistant.settings import Settings
from assistant.ui.app import build_app, question_markdown


def test_question_markdown_shows_guidance_fields_and_levels(settings: Settings) -> None:
    service = AssessmentService(settings)
    text = question_markdown(service, "MC-01")
    assert "MC-01" in text
    assert "What a complete answer covers" in text
    assert "How an assessor would verify it" in text
    assert "Level 5 · Leading" in text
    assert "our interpretation" in text
    assert "No question" in question_markdown(service, "ZZ-01")


def test_app_builds_with_its_tabs(settings: Settings) -> None:
    app = build_app(AssessmentService(settings))
    config = app.get_config_file()
    labels = {c.get("props", {}).get("label") for c in config["components"]}
    assert {"Protocol", "Score"} <= labels

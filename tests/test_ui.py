"""The app's layout helpers and construction (no browser; fake embeddings)."""

from __future__ import annotations

from assistant.service import AssessmentService
from assistant.ui.app import ask_guidance, build_app, question_guidance, question_markdown
from assistant.ui.views import profile_rows, question_traces, radar_svg


def test_question_markdown_shows_guidance_fields_and_levels(service: AssessmentService) -> None:
    text = question_markdown(service, "MC-01")
    assert "MC-01" in text
    assert "What a complete answer covers" in text
    assert "How an assessor would verify it" in text
    assert "Level 5 · Leading" in text
    assert "our interpretation" in text
    assert "No question" in question_markdown(service, "ZZ-01")


def test_guidance_panels_cite_their_sources(service: AssessmentService) -> None:
    panel = question_guidance(service, "PQS-02")
    question = service.protocol.question("PQS-02")
    assert question is not None
    first_note = service.ready_index().chunks("guidance")[question.guidance_refs[0]]
    assert first_note.title in panel
    assert "linked to this question" in panel
    assert "<details>" in panel
    assert "No strong guidance" in ask_guidance(service, "zebra xylophone quokka", "")
    assert "ICH Q10" in ask_guidance(service, "CAPA effectiveness", "advanced_pqs")


def test_app_builds_with_its_tabs(service: AssessmentService) -> None:
    app = build_app(service)
    config = app.get_config_file()
    labels = {c.get("props", {}).get("label") for c in config["components"]}
    assert {"Interview", "Guidance", "Results", "Protocol", "Score a file"} <= labels


def test_results_views(service: AssessmentService) -> None:
    from assistant.settings import REPO_ROOT

    profile = service.score_file(REPO_ROOT / "eval" / "sites" / "middling.yaml")
    rows = profile_rows(profile)
    assert [r[1] for r in rows] == ["3.00", "2.90", "2.90", "3.00", "2.78"]
    svg = radar_svg(profile, {a.id: a.prefix for a in service.protocol.meta.areas})
    assert svg.startswith("<svg")
    assert "MC 3.0" in svg
    traces = question_traces(profile)
    assert "Next level needs" in traces
    assert "not assessed" in traces

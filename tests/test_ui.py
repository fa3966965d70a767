"""The app's layout helpers and construction (no browser; fake embeddings)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from assistant.auth import Principal
from assistant.service import AssessmentService
from assistant.ui.app import ask_guidance, build_app, question_guidance, question_markdown
from assistant.ui.views import profile_rows, question_traces, radar_svg

LOCAL = Principal.local()


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
    assert "No strong guidance" in ask_guidance(service, LOCAL, "zebra xylophone quokka", "")
    assert "ICH Q10" in ask_guidance(service, LOCAL, "CAPA effectiveness", "advanced_pqs")


def test_app_builds_with_its_tabs(service: AssessmentService) -> None:
    app = build_app(service)
    config = app.get_config_file()
    labels = {c.get("props", {}).get("label") for c in config["components"]}
    assert {"Interview", "Guidance", "Results", "Protocol", "Score a file"} <= labels


def test_results_views(service: AssessmentService) -> None:
    from assistant.settings import REPO_ROOT

    profile = service.score_file(REPO_ROOT / "eval" / "sites" / "v1" / "middling.yaml")
    rows = profile_rows(profile)
    assert [r[1] for r in rows] == ["3.00", "2.90", "2.90", "3.00", "2.78"]
    svg = radar_svg(profile, {a.id: a.prefix for a in service.protocol.meta.areas})
    assert svg.startswith("<svg")
    assert "MC 3.0" in svg
    traces = question_traces(profile)
    assert "Next level needs" in traces
    assert "not assessed" in traces


# --- the served app through its API (in-process server, fake embeddings) -------------------------------------------
@pytest.fixture
def client(service: AssessmentService) -> Iterator[Any]:
    import socket

    from gradio_client import Client

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    app = build_app(service)
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, footer_links=[], quiet=True)
    try:
        yield Client(f"http://127.0.0.1:{port}/", verbose=False)
    finally:
        app.close()


def said_lines(chat: list[dict[str, Any]], role: str = "user") -> list[str]:
    """The text of the chat's messages from ``role`` (Gradio 6 sends content as [{"type": "text", "text"}])."""
    def text(content: Any) -> str:
        return "".join(c.get("text", "") for c in content) if isinstance(content, list) else str(content)

    return [text(m["content"]) for m in chat if m["role"] == role]


API_NAMES = {"/start_interview", "/resume_interview", "/send", "/submit_form", "/save_edits", "/confirm", "/results",
             "/resolve_conflict", "/set_gate", "/mark_seen", "/ask_guidance", "/score_file", "/assessor_workspace",
             "/validate", "/add_evidence", "/mark_evidence_seen", "/edit_finding", "/drop_finding", "/add_finding",
             "/save_plan_item", "/download_report", "/finalise_assessment", "/reopen_assessment",
             "/portfolio", "/portfolio_site", "/learn_overview", "/reading_path", "/open_note", "/practice_card",
             "/practice_check", "/mock_start", "/mock_answer", "/mock_finish"}  # fmt: skip


def test_every_client_event_has_a_stable_name_and_ui_events_are_private(client: Any) -> None:
    api = client.view_api(return_format="dict", print_info=False)
    assert set(api["named_endpoints"]) == API_NAMES
    assert api["unnamed_endpoints"] == {}


def test_calls_without_an_interview_are_sentences_not_empty_outputs(client: Any) -> None:
    for args, name in ((("hi",), "/send"), ((), "/confirm"), (({"x": "y"},), "/submit_form"), ((), "/save_edits")):
        with pytest.raises(Exception, match="Start an interview"):
            client.predict(*args, api_name=name)
    with pytest.raises(Exception, match="Pick an interview"):
        client.predict(None, api_name="/resume_interview")
    with pytest.raises(Exception, match="enter an assessment reference"):
        client.predict("", "", api_name="/results")


def test_no_button_wipes_the_session(client: Any) -> None:
    client.predict("Harford", "Ann", "qa_head", api_name="/start_interview")
    for fact in ("no", "no", "no", "no"):
        out = client.predict(fact, api_name="/send")
    out = client.predict("We have written quality objectives, reviewed every quarter.", api_name="/send")
    turn = out[-1]
    if turn["form"]:
        out = client.predict({f["id"]: "Don't know" for f in turn["form"]}, api_name="/submit_form")
    before = out[-1]
    assert before["phase"] == "confirm"
    assert before["card"][2][:2] == ["Leadership review of progress", "Every quarter"]  # labels, never ids
    same = client.predict({"headers": ["field", "value", "from"], "data": before["card"]}, out[0],
                          api_name="/save_edits")  # fmt: skip
    assert same[-1]["revision"] == before["revision"]  # nothing written
    assert same[0] == out[0]  # the chat is kept
    with pytest.raises(Exception, match="Pick an interview"):
        client.predict(None, api_name="/resume_interview")
    card = [list(row) for row in before["card"]]
    card[2][1] = "Every month"  # edited by its label
    edited = client.predict({"headers": ["field", "value", "from"], "data": card}, out[0], api_name="/save_edits")
    assert edited[-1]["card"][2][1] == "Every month"
    assert edited[-1]["revision"] == before["revision"] + 1
    assert len(edited[0]) > len(out[0])
    done = client.predict(api_name="/confirm")[-1]
    assert done["question"] == "MC-02"
    assert "interview_id" not in done
    assert not done["interview"].isdigit()
    resumed = client.predict(done["interview"], api_name="/resume_interview")
    said = said_lines(resumed[0])
    assert said[:5] == ["no", "no", "no", "no", "We have written quality objectives, reviewed every quarter."]
    assert said[-1] == "confirm"


def test_conflicts_show_who_said_what_by_labels(service: AssessmentService) -> None:
    from assistant.conflicts import Conflict, HeardAnswer, Resolution
    from assistant.ui.views import conflict_choices, conflicts_markdown

    said = [
        HeardAnswer(question_id="MC-01", interview_id=1, interview_token="t0kA", interviewee="Ann QA", role="qa_head",
                    status="confirmed",
                    values={"review_frequency": "quarterly", "cascaded_to": ["teams"]}, level=3, version=2, at="t"),
        HeardAnswer(question_id="MC-01", interview_id=2, interviewee="Sam", role="site_head", status="na",
                    na_justification="not here", version=3, at="t"),
    ]  # fmt: skip
    text = conflicts_markdown(service.protocol, [Conflict(question_id="MC-01", topic="Quality objectives",
                                                          answers=said)])  # fmt: skip
    assert "(1 open)" in text
    assert ("**Ann QA** (Head of quality assurance), level 3: Leadership review of progress: Every quarter; "
            "Cascaded to: Teams") in text  # fmt: skip
    assert "**Sam** (Site head / general manager): N/A: not here" in text
    assert "qa_head" not in text
    assert "quarterly" not in text
    resolved = Conflict(question_id="MC-01", topic="Quality objectives", answers=said,
                        resolution=Resolution(chosen_interview_id=1, versions={}, reason="saw it", who="Dana", at="t"))
    assert "resolved by Dana: Ann QA's answer (\u201csaw it\u201d)" in conflicts_markdown(service.protocol, [resolved])
    choice = ("MC-01: Ann QA's answer (level 3)", "MC-01:t0kA")  # a token, not the id
    assert conflict_choices([resolved])[0] == choice


def test_send_and_confirm_saves_the_answer_in_one_step(client: Any) -> None:
    client.predict("Harford", "Ann", "qa_head", api_name="/start_interview")
    for fact in ("no", "no", "no", "no"):
        client.predict(fact, api_name="/send")
    turn = client.predict("We have written quality objectives, reviewed every quarter.", api_name="/send")[-1]
    assert turn["form"]
    values = {f["id"]: ("Yes" if "Yes" in f["options"] else "Don't know") for f in turn["form"]}
    done = client.predict(values, True, api_name="/submit_form")[-1]
    assert done["question"] == "MC-02"
    assert "MC-01" not in done["open_questions"]


def test_a_practice_round_through_the_api_keeps_the_card_in_the_session(client: Any) -> None:
    overview, score = client.predict(api_name="/learn_overview")
    assert "### What QMM is" in overview
    assert "after your first round" in score
    path = client.predict("advanced_pqs", api_name="/reading_path")
    assert "### Reading path" in path
    assert "1. **" in path
    assert "/work/" not in path
    assert "*Source:*" in client.predict("ich-q10-pqs-model-overview", api_name="/open_note")
    result, score, _ = client.predict(3, api_name="/practice_check")
    assert "new example answer first" in result  # said in place, nothing saved
    card, _, _ = client.predict("business_continuity", api_name="/practice_card")
    assert "BC-" in card
    result, score, _ = client.predict(1, api_name="/practice_check")
    assert "Why level" in result
    assert "criterion trace" in result
    assert "of 1 round exactly" in score

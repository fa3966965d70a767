"""The Guidance tab's answers: highlighted answering sentences; an LLM answer only when configured, every claim
citing a passage shown."""

from __future__ import annotations

from assistant.auth import Principal
from assistant.extraction.llm import ScriptedChatModel
from assistant.guidance import written_answer
from assistant.service import AssessmentService
from assistant.ui.views import guidance_answer_markdown

LOCAL = Principal.local()


def test_passages_come_with_their_answering_sentence(service: AssessmentService) -> None:
    answer = service.ask(LOCAL, "Which inspection classification does a site need, NAI or VAI?")
    assert answer.result.passages
    assert answer.written == []  # no LLM configured: passages only
    for passage in answer.result.passages:
        sentence = answer.highlights[passage.id]
        assert sentence in passage.text
    shown = guidance_answer_markdown(answer)
    assert "<mark>" in shown
    assert "[1]" in shown


def test_llm_claims_must_cite_a_passage_shown(service: AssessmentService) -> None:
    passages = service.ask(LOCAL, "CAPA effectiveness").result.passages[:2]
    model = ScriptedChatModel([{"claims": [
        {"text": "ICH Q10 expects CAPA to be checked for effectiveness.", "passage": 1},
        {"text": "Sites must hire a CAPA officer.", "passage": 7},
    ]}])  # fmt: skip
    claims, note = written_answer(model, "CAPA effectiveness", passages)
    assert [c.passage for c in claims] == [1]
    assert note is not None
    assert "1 claim" in note


def test_llm_failure_still_shows_the_passages(service: AssessmentService) -> None:
    passages = service.ask(LOCAL, "CAPA effectiveness").result.passages
    claims, note = written_answer(ScriptedChatModel([TimeoutError("slow")]), "CAPA", passages)
    assert claims == []
    assert note is not None
    assert "passages below" in note


def test_the_guidance_tab_shows_the_cited_answer_first_with_source_links_and_no_server_path(
    service: AssessmentService,
) -> None:
    shown = guidance_answer_markdown(service.ask(LOCAL, "what is KASA"))
    assert shown.startswith("**Answer**")
    assert shown.index("KASA, Knowledge-aided Assessment") < shown.index("**Passages**")
    assert "[source](https://doi.org/10.1016/j.ijpx.2019.100010)" in shown
    assert "*Notes that use the term:*" in shown
    assert "/corpus/" not in shown
    assert ".md" not in shown
    listed = guidance_answer_markdown(service.ask(LOCAL, "the five QMM practice areas named by CDER in 2023"))
    assert "\n1. Management Commitment to Quality\n2. Business Continuity" in listed  # a list stays a list

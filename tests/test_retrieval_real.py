"""The real thing: the offline MiniLM model and a persistent Chroma store in a temporary data directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.service import AssessmentService
from assistant.settings import Settings
from tests.docgen import write_docx, write_pdf

pytestmark = pytest.mark.slow

ACCEPTANCE_QUERY = "which inspection classification is needed to join the QMM program"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("real-index")


@pytest.fixture
def service(data_dir: Path) -> AssessmentService:
    return AssessmentService(Settings(data_dir=data_dir, embeddings="minilm", vector_store="chroma"))


def test_index_builds_persists_and_answers_the_acceptance_query(service: AssessmentService, data_dir: Path) -> None:
    index = service.ready_index()
    assert (data_dir / "index" / "chroma").is_dir()
    result = index.search(ACCEPTANCE_QUERY, k=5)
    assert result.passages
    top = result.passages[0]
    assert top.source.startswith("fr-") or top.source == "fda-qa-2024"
    assert "NAI" in top.text
    assert top.dense is not None
    assert top.dense > 0.4
    # a second service on the same data directory finds the index fresh: nothing is rebuilt
    again = AssessmentService(Settings(data_dir=data_dir, embeddings="minilm", vector_store="chroma")).index
    assert again.status() == "fresh"
    assert again.search(ACCEPTANCE_QUERY, k=5).passages[0].id == top.id


def test_off_topic_questions_get_no_guidance(service: AssessmentService) -> None:
    index = service.ready_index()
    for query in ("best lasagna recipe", "who won the football world cup", "how to train a puppy"):
        assert index.search(query).passages == [], query


def test_cli_search_json_names_federal_register_or_fda_qa(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QMM_DATA_DIR", str(data_dir))
    assert main(["search", "--json", ACCEPTANCE_QUERY]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert results
    assert results[0]["source"].startswith("fr-") or results[0]["source"] == "fda-qa-2024"
    assert results[0]["citation"].startswith("Federal Register") or "questions and answers" in results[0]["citation"]


def test_ingest_real_documents_with_page_and_heading_citations(service: AssessmentService, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    write_pdf(
        folder / "Quality_Manual.pdf",
        [
            ["Quality Manual", "1 Scope", "This manual applies to the Harford tablet plant."],
            [
                "4.2 Management review",
                "The site leadership team reviews quality performance every month.",
                "The review covers deviation trends, CAPA effectiveness, complaints and supplier performance.",
            ],
        ],
    )
    write_docx(
        folder / "SOP-QA-014.docx",
        [
            ("Purpose", ["This procedure describes how suppliers are qualified and monitored."]),
            ("5 Supplier risk tiers", ["Critical suppliers are audited every two years and scored every quarter."]),
        ],
        title="Supplier Qualification SOP",
    )
    (folder / "gemba.md").write_text(
        "# Gemba walk standard\n\n## Frequency\n\nLeaders walk the packaging "
        "floor every week and log the actions they agree.\n",
        encoding="utf-8",
    )
    (folder / "corrupt.pdf").write_bytes(b"%PDF-1.7\nthis is not really a pdf")
    index = service.ready_index()
    report = index.ingest([folder])
    assert sorted(Path(p).name for p in report.added) == ["Quality_Manual.pdf", "SOP-QA-014.docx", "gemba.md"]
    assert [Path(p).name for p, _ in report.failed] == ["corrupt.pdf"]

    review = index.search("how often does leadership review quality performance", collection="site", k=3)
    assert review.passages[0].citation() == "Quality Manual, p. 2, 4.2 Management review"
    supplier = index.search("how are critical suppliers audited", collection="site", k=3)
    assert supplier.passages[0].citation() == "Supplier Qualification SOP, 5 Supplier risk tiers"
    assert index.ingest([folder / "gemba.md"]).unchanged


# The corpus refresh (issue 8): each question a learner or a QA head would ask finds its new note in the top 3.
NEW_NOTE_QUERIES = [
    ("how do we notify FDA of a permanent discontinuance or an interruption under 506C",
     {"fda-506c-notification-duty"}),
    ("what goes into a risk management plan for drug supply", {"fda-rmp-draft-2022-risk-management-plans"}),
    ("what does FDA expect on data integrity and audit trail review", {"fda-data-integrity-2018-cgmp-qa"}),
    ("what should a quality agreement with a contract manufacturer cover",
     {"fda-quality-agreements-2016-contract-manufacturing"}),
    ("what is FDA PreCheck", {"fda-precheck-2025-new-facilities"}),
    ("what is KASA", {"fda-kasa-2019-structured-assessment", "project-glossary-qmm-terms"}),
    ("what happens after an FDA QMM assessment", {"fr-2025-after-assessment-report-improvement-plan"}),
]


@pytest.mark.parametrize(("query", "notes"), NEW_NOTE_QUERIES, ids=[q for q, _ in NEW_NOTE_QUERIES])
def test_the_new_notes_answer_their_questions_in_the_top_3(service: AssessmentService, query: str,
                                                          notes: set[str]) -> None:  # fmt: skip
    top = [p.id for p in service.ready_index().search(query, k=3).passages]
    assert notes & set(top), top


@pytest.mark.parametrize(
    ("question", "note", "words"),
    [("what is KASA", "project-glossary-qmm-terms", "Knowledge-aided Assessment"),
     ("what are the five QMM practice areas", "fda-practice-areas-2023-five-areas", "five practice areas"),
     ("what happens after an FDA QMM assessment", "fr-2025-after-assessment-report-improvement-plan",
      "after the assessment"),
     ("does a QMM assessment replace a CGMP inspection", "fda-qmm-webpage-not-cgmp-compliance",
      "not part of FDA's inspection authority")],
)  # fmt: skip
def test_the_learner_acceptance_questions_are_answered_in_the_first_sentence_with_a_link(
    service: AssessmentService, question: str, note: str, words: str
) -> None:
    from assistant.auth import Principal

    answer = service.ask(Principal.operator(), question).answer
    first = answer[0]
    assert first.note_id == note
    assert words in first.text
    assert first.url
    assert first.url.startswith("https://")
    if note == "fda-practice-areas-2023-five-areas":  # the list comes with the sentence that opens it
        assert first.list_items == ["Management Commitment to Quality", "Business Continuity",
                                    "Advanced Pharmaceutical Quality System", "Technical Excellence",
                                    "Employee Engagement and Empowerment"]  # fmt: skip
    if note.startswith("fr-2025-after"):  # the report, the plan and the follow-up are in the answer shown
        items = " ".join(i for s in answer for i in s.list_items)
        assert "report with a score" in items
        assert "six months" in items

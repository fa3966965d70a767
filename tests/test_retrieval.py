"""Retrieval with the deterministic fakes (hash embeddings, in-memory store): index life cycle, search, filters,
the relevance floor, question guidance, ingestion of site documents and the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.retrieval.bm25 import BM25, tokenize
from assistant.retrieval.documents import read_document
from assistant.retrieval.index import NO_STRONG_GUIDANCE, GuidanceIndex
from assistant.retrieval.models import Passage
from assistant.service import AssessmentService
from assistant.settings import REPO_ROOT, Settings
from tests.docgen import write_docx, write_encrypted_pdf, write_pdf


@pytest.fixture
def index(fake_settings: Settings) -> GuidanceIndex:
    return AssessmentService(fake_settings).ready_index()


@pytest.fixture
def site_docs(tmp_path: Path) -> Path:
    folder = tmp_path / "site_docs"
    folder.mkdir()
    write_pdf(
        folder / "Quality_Manual.pdf",
        [
            ["Quality Manual", "1 Scope", "This manual covers the Harford site."],
            [
                "4.2 Management review",
                "Site leadership holds a management review every month.",
                "Inputs include deviation trends, CAPA effectiveness and complaint rates.",
            ],
        ],
    )
    write_docx(
        folder / "SOP-QA-014.docx",
        [
            ("Purpose", ["This SOP defines the supplier qualification process."]),
            ("5 Supplier risk tiers", ["Critical suppliers are audited every two years and scored quarterly."]),
        ],
        title="Supplier Qualification SOP",
    )
    (folder / "gemba.md").write_text(
        "# Gemba walk standard\n\n## Frequency\n\nLeaders walk the packaging floor weekly and log actions.\n",
        encoding="utf-8",
    )
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog garbage")
    return folder


def test_bm25_prefers_documents_with_rare_query_terms() -> None:
    bm = BM25(["capa effectiveness checks", "management review minutes", "capa capa capa training"])
    scores = bm.scores("CAPA effectiveness")
    assert scores[0] > scores[2] > scores[1] == 0
    assert tokenize("Reviews of the reviewed CAPAs") == ["review", "review", "capa"]


def test_index_builds_when_missing_and_reports_freshness(fake_settings: Settings) -> None:
    index = AssessmentService(fake_settings).index
    assert index.status() == "missing"
    report = index.ensure()
    assert report is not None
    assert report.notes >= 60
    assert index.status() == "fresh"
    assert index.ensure() is None


def test_index_is_stale_when_the_corpus_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO_ROOT / "corpus", corpus)
    monkeypatch.setenv("QMM_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("QMM_EMBEDDINGS", "fake")
    monkeypatch.setenv("QMM_VECTOR_STORE", "memory")
    index = AssessmentService(Settings()).ready_index()
    assert index.status() == "fresh"
    note = corpus / "ich-q10-capa-system.md"
    note.write_text(note.read_text(encoding="utf-8") + "\nOne more sentence about CAPA.\n", encoding="utf-8")
    assert index.status() == "stale"
    index.ensure()
    assert "One more sentence" in index.chunks("guidance")["ich-q10-capa-system"].text


def test_search_returns_cited_passages(index: GuidanceIndex) -> None:
    result = index.search("CAPA effectiveness verification", k=5)
    assert result.message is None
    assert result.passages
    top = result.passages[0]
    assert top.source_title
    assert top.title
    assert top.text
    assert Path(top.path).is_file()
    assert top.path.endswith(f"{top.id}.md")
    assert top.dense is not None
    assert top.dense >= index.floor
    scores = [p.score for p in result.passages]
    assert scores == sorted(scores, reverse=True)
    assert any("capa" in p.id for p in result.passages)


def test_filters_by_area_source_and_collection(index: GuidanceIndex) -> None:
    by_area = index.search("risk to the supply of medicines", area="business_continuity", k=10)
    assert by_area.passages
    assert all("business_continuity" in index.chunks("guidance")[p.id].areas for p in by_area.passages)
    by_source = index.search("management review", source="ich-q10", k=10)
    assert by_source.passages
    assert {p.source for p in by_source.passages} == {"ich-q10"}
    assert index.search("management review", collection="site").passages == []


def test_relevance_floor_refuses_weak_matches(index: GuidanceIndex) -> None:
    result = index.search("zebra xylophone quokka")
    assert result.passages == []
    assert result.message == NO_STRONG_GUIDANCE
    assert index.search("   ").message == "Type a question to search."


def test_same_query_same_results(index: GuidanceIndex) -> None:
    first = index.search("quality culture survey", k=5).model_dump_json()
    assert index.search("quality culture survey", k=5).model_dump_json() == first


def test_question_guidance_puts_linked_notes_first(fake_settings: Settings) -> None:
    service = AssessmentService(fake_settings)
    question = service.protocol.question("PQS-02")
    assert question is not None
    passages = service.ready_index().for_question(question, answer="we check CAPAs after 90 days")
    linked = [p for p in passages if p.linked]
    assert [p.id for p in linked] == question.guidance_refs
    assert passages[: len(linked)] == linked
    assert len({p.id for p in passages}) == len(passages)


def test_citation_text() -> None:
    p = Passage(
        id="x",
        collection="site",
        source="site-document",
        source_title="Quality Manual",
        title="Quality Manual",
        page=12,
        heading="4.2 Management review",
        path="/x.pdf",
        score=1.0,
        text="t",
    )
    assert p.citation() == "Quality Manual, p. 12, 4.2 Management review"


class TestDocuments:
    def test_pdf_pages_and_headings(self, site_docs: Path) -> None:
        chunks = read_document(site_docs / "Quality_Manual.pdf")
        assert [c.page for c in chunks] == [1, 2]
        assert chunks[1].heading == "4.2 Management review"
        assert chunks[1].title == "Quality Manual"
        assert "monthly" not in chunks[0].text
        assert "every month" in chunks[1].text

    def test_docx_headings_and_title(self, site_docs: Path) -> None:
        chunks = read_document(site_docs / "SOP-QA-014.docx")
        assert [c.heading for c in chunks] == ["Purpose", "5 Supplier risk tiers"]
        assert {c.title for c in chunks} == {"Supplier Qualification SOP"}

    def test_markdown_html_and_text(self, tmp_path: Path, site_docs: Path) -> None:
        md = read_document(site_docs / "gemba.md")
        assert (md[0].title, md[0].heading) == ("Gemba walk standard", "Frequency")
        html = tmp_path / "page.html"
        html.write_text(
            "<html><head><title>Audit report</title><style>p{}</style></head><body><h2>Findings</h2>"
            "<p>Three minor findings on &amp; around line clearance.</p><script>x()</script></body></html>",
            encoding="utf-8",
        )
        [chunk] = read_document(html)
        assert (chunk.title, chunk.heading, chunk.text) == (
            "Audit report",
            "Findings",
            "Three minor findings on & around line clearance.",
        )
        text = tmp_path / "notes.txt"
        text.write_text("Plain notes about the site.", encoding="utf-8")
        assert read_document(text)[0].text == "Plain notes about the site."

    def test_long_text_is_split_into_passages(self, tmp_path: Path) -> None:
        path = tmp_path / "long.md"
        path.write_text(
            "# Long\n\n" + "\n\n".join(f"Paragraph {i} " + "word " * 60 for i in range(10)), encoding="utf-8"
        )
        chunks = read_document(path)
        assert len(chunks) > 3
        assert all(len(c.text.split()) <= 200 for c in chunks)
        assert len({c.id for c in chunks}) == len(chunks)


class TestIngest:
    def test_good_files_go_in_and_bad_ones_are_named(
        self, index: GuidanceIndex, site_docs: Path, tmp_path: Path
    ) -> None:
        write_encrypted_pdf(site_docs / "locked.pdf", site_docs / "Quality_Manual.pdf")
        (site_docs / "empty.txt").write_text("", encoding="utf-8")
        (site_docs / "image.png").write_bytes(b"\x89PNG\r\n")
        report = index.ingest([site_docs, tmp_path / "missing.docx"])
        assert sorted(Path(p).name for p in report.added) == ["Quality_Manual.pdf", "SOP-QA-014.docx", "gemba.md"]
        failed = {Path(p).name: why for p, why in report.failed}
        assert "not a readable PDF" in failed["broken.pdf"]
        assert "encrypted" in failed["locked.pdf"]
        assert "empty" in failed["empty.txt"]
        assert "unsupported file type '.png'" in failed["image.png"]
        assert "no such file" in failed["missing.docx"]
        found = index.search("how often does leadership hold the management review", collection="site", k=3)
        top = found.passages[0]
        assert top.citation() == "Quality Manual, p. 2, 4.2 Management review"
        assert top.source == "site-document"

    def test_ingest_is_idempotent_replaces_changed_files_and_removes(
        self, index: GuidanceIndex, site_docs: Path
    ) -> None:
        md = site_docs / "gemba.md"
        index.ingest([md])
        before = len(index.chunks("site"))
        again = index.ingest([md])
        assert again.unchanged == [str(md.resolve())]
        assert len(index.chunks("site")) == before
        md.write_text(
            "# Gemba walk standard\n\nLeaders walk the floor daily.\n\n## Follow-up\n\nActions in 48 h.\n",
            encoding="utf-8",
        )
        changed = index.ingest([md])
        assert changed.replaced == [str(md.resolve())]
        texts = [c.text for c in index.chunks("site").values()]
        assert any("daily" in t for t in texts)
        assert not any("weekly" in t for t in texts)
        removed = index.remove([md])
        assert removed.removed == [str(md.resolve())]
        assert index.chunks("site") == {}

    def test_guidance_rebuild_keeps_site_documents(self, index: GuidanceIndex, site_docs: Path) -> None:
        index.ingest([site_docs / "gemba.md"])
        index.build()
        assert index.site_files()


class TestCli:
    def test_search_json(self, fake_settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["search", "--json", "--k", "3", "CAPA effectiveness"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert len(data["results"]) <= 3
        first = data["results"][0]
        assert {"id", "source", "source_title", "title", "section", "page", "score", "text", "path", "citation"} <= set(
            first
        )

    def test_search_batch(self, fake_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        batch = tmp_path / "q.jsonl"
        batch.write_text(
            '{"id": "a", "query": "management review"}\n\n{"id": "b", "query": "supplier risk"}\n', encoding="utf-8"
        )
        assert main(["search", "--batch", str(batch), "--json"]) == 0
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert [line["id"] for line in lines] == ["a", "b"]
        assert all(line["results"] for line in lines)
        batch.write_text('{"id": "a"}\nnot json\n', encoding="utf-8")
        assert main(["search", "--batch", str(batch), "--json"]) == 1
        err = capsys.readouterr().err
        assert "q.jsonl:1" in err
        assert "q.jsonl:2" in err

    def test_ingest_exit_status(
        self, fake_settings: Settings, site_docs: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main(["ingest", str(site_docs / "gemba.md")]) == 0
        assert main(["ingest", str(site_docs)]) == 1
        captured = capsys.readouterr()
        assert "FAILED" in captured.err
        assert "broken.pdf" in captured.err
        assert "added" in captured.out

"""Content tests of the guidance corpus and its links to the protocol."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.protocol import Protocol
from assistant.retrieval.notes import load_notes, load_sources, note_files
from assistant.settings import REPO_ROOT

CORPUS = REPO_ROOT / "corpus"
SHARED_SOURCES = REPO_ROOT.parent / "shared" / "domain" / "sources.md"


@pytest.fixture(scope="module")
def notes():  # type: ignore[no-untyped-def]
    found, issues = load_notes(CORPUS)
    assert issues == []
    return found


def test_every_note_is_valid(qmm_protocol: Protocol) -> None:
    found, issues = load_notes(CORPUS, {a.id for a in qmm_protocol.meta.areas})
    assert [str(i) for i in issues] == []
    assert len(found) >= 60


def test_every_source_key_but_interpretation_has_a_note(notes) -> None:  # type: ignore[no-untyped-def]
    keys = set(load_sources(CORPUS)) - {"project-interpretation"}
    assert keys - {n.meta.source for n in notes} == set()


@pytest.mark.skipif(not SHARED_SOURCES.is_file(), reason="shared/ is not beside this checkout")
def test_source_registry_matches_the_shared_source_list() -> None:
    text = SHARED_SOURCES.read_text(encoding="utf-8")
    shared = {line.split("|")[1].strip() for line in text.splitlines() if line.startswith("| ") and "key" not in line}
    shared.discard("---")
    registry = load_sources(CORPUS)
    assert shared <= set(registry)
    # a source the corpus added since the shared list was written must say where to read it
    for key in set(registry) - shared:
        assert key.startswith("project-") or "<http" in registry[key], key


def test_every_source_the_protocol_names_is_registered(qmm_protocol: Protocol) -> None:
    assert set(qmm_protocol.meta.sources) <= set(load_sources(CORPUS))


def test_every_practice_area_is_covered(notes, qmm_protocol: Protocol) -> None:  # type: ignore[no-untyped-def]
    for area in qmm_protocol.meta.areas:
        assert sum(area.id in n.meta.areas for n in notes) >= 5, area.id


def test_every_question_links_at_least_two_notes_and_links_are_mutual(  # type: ignore[no-untyped-def]
    notes, qmm_protocol: Protocol
) -> None:
    by_id = {n.meta.id: n for n in notes}
    for q in qmm_protocol.active_questions:
        assert len(q.guidance_refs) >= 2, q.id
        for ref in q.guidance_refs:
            assert ref in by_id, (q.id, ref)
            assert q.id in by_id[ref].meta.questions, (q.id, ref)
    for n in notes:
        for qid in n.meta.questions:
            q = qmm_protocol.question(qid)
            assert q is not None, (n.meta.id, qid)
            assert n.meta.id in q.guidance_refs, (n.meta.id, qid)


def test_notes_mark_uncertainty_and_interpretation(notes) -> None:  # type: ignore[no-untyped-def]
    for n in notes:
        if n.meta.confidence != "primary":
            body = n.body.lower()
            assert any(
                w in body
                for w in ("secondary", "uncertain", "unverified", "not confirm", "could not", "as we read", "check")
            ), n.meta.id


def test_broken_notes_are_all_reported(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "sources.yaml", corpus)
    good = note_files(CORPUS)[0]
    shutil.copy(good, corpus / good.name)
    (corpus / "no-front-matter.md").write_text("Just text.\n", encoding="utf-8")
    (corpus / "bad-source.md").write_text(
        "---\nid: other-id\ntitle: A title here\nsource: made-up\nyear: 2020\nareas: [nowhere]\n---\n" + "word " * 60,
        encoding="utf-8",
    )
    (corpus / "bad-yaml.md").write_text("---\nid: [unclosed\n---\nbody\n", encoding="utf-8")
    _, issues = load_notes(
        corpus,
        {"advanced_pqs", "management_commitment", "business_continuity", "technical_excellence", "employee_engagement"},
    )
    text = "\n".join(str(i) for i in issues)
    assert "no YAML front-matter" in text
    assert "unknown source key 'made-up'" in text
    assert "differs from the file name 'bad-source'" in text
    assert "unknown practice area 'nowhere'" in text
    assert "malformed YAML" in text
    assert good.name not in text

"""Answers that answer (issue 12): sentences split as a reader would, lists kept with the sentence that opens them,
the glossary read from its note and used for "what is X", abbreviations searched with their expansion, and
``qmm ask`` printing the cited answer first with its link and never a server path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.answering import (
    defined_term,
    expand_query,
    glossary_entries,
    glossary_lookup,
    split_sentences,
)
from assistant.auth import Principal
from assistant.cli import main
from assistant.retrieval.models import Chunk
from assistant.retrieval.notes import load_notes, unwrap
from assistant.service import AssessmentService

ROOT = Path(__file__).resolve().parent.parent


def glossary_chunk() -> Chunk:
    notes, issues = load_notes(ROOT / "corpus")
    assert not issues
    note = next(n for n in notes if n.meta.source == "project-glossary")
    text = "\n\n".join(unwrap(p) for p in note.body.split("\n\n") if p.strip())
    return Chunk(id=note.meta.id, collection="guidance", text=text, title=note.meta.title, source=note.meta.source,
                 path=str(note.path))  # fmt: skip


def test_sentences_end_where_a_reader_would_and_lists_stay_with_their_opening_sentence() -> None:
    text = (
        "FDA's U.S. program, e.g. the 2024 round, took nine sites. It describes five practice areas:\n\n"
        "1. Management Commitment to Quality\n2. Business Continuity\n\n"
        "- A point of one sentence. And a second one. [ich-q10]\n"
        "Closing prose."
    )
    split = split_sentences(text)
    sentences = [s for s, _ in split]
    assert sentences[0] == "FDA's U.S. program, e.g. the 2024 round, took nine sites."  # no cut after U.S. or e.g.
    opening = dict(split)["It describes five practice areas:"]
    assert opening == ["Management Commitment to Quality", "Business Continuity"]
    assert "A point of one sentence." in sentences
    assert "And a second one." in sentences
    assert not any("[ich-q10]" in s for s in sentences)  # a glossary source key is not text
    assert "Closing prose." in sentences


def test_the_glossary_is_read_from_its_note_with_each_entry_naming_its_source() -> None:
    entries = glossary_entries([glossary_chunk()])
    by_term = {t: e for e in entries for t in e.terms}
    for term in ("kasa", "nai", "vai", "oai", "pqs", "capa", "pqr", "apr", "oos", "rmp", "mrm", "qrm", "cmo",
                 "form 483", "risk management plan", "corrective and preventive action"):  # fmt: skip
        assert term in by_term, term
    assert by_term["kasa"].source == "fda-kasa-2019"
    assert by_term["qrm"].source == "ich-q9r1"
    assert by_term["kasa"].text.startswith("KASA, Knowledge-aided Assessment")
    assert "[" not in by_term["kasa"].text
    assert by_term["pqr"] is by_term["annual product review"]


@pytest.mark.parametrize(
    ("question", "term"),
    [("what is KASA", "kasa"), ("What does CAPA stand for?", "capa"), ("what is an rmp", "rmp"), ("KASA?", "kasa"),
     ("whats a 483", "form 483"), ("define quality risk management", "quality risk management"),
     ("what are CMOs", "cmo"), ("what's a vai", "vai")],
)  # fmt: skip
def test_what_is_x_finds_the_glossary_entry_however_it_is_asked(question: str, term: str) -> None:
    found = glossary_lookup(question, glossary_entries([glossary_chunk()]))
    assert found is not None
    assert found[0] == term


@pytest.mark.parametrize("question", ["what are the five QMM practice areas", "when is the deadline to apply",
                                      "how long is the assessment", "what is the st gallen ppsm model"])  # fmt: skip
def test_questions_that_are_not_about_a_glossary_term_are_not_answered_from_it(question: str) -> None:
    assert glossary_lookup(question, glossary_entries([glossary_chunk()])) is None


def test_abbreviations_are_searched_with_what_they_stand_for() -> None:
    entries = glossary_entries([glossary_chunk()])
    assert expand_query("what should a quality agreement with a cmo include", entries).endswith(
        "(contract manufacturing organisation)"
    )
    assert expand_query("how mature are we", entries) == "how mature are we"
    assert defined_term("what does FDA mean by management commitment to quality") is None  # too long to be a term


def test_ask_what_is_kasa_answers_with_the_glossary_entry_cited_to_its_source(service: AssessmentService) -> None:
    found = service.ask(Principal.local(), "what is KASA")
    first = found.answer[0]
    assert first.text.startswith("KASA, Knowledge-aided Assessment and Structured Application:")
    assert "Knowledge-aided assessment & structured applications" in first.citation  # the paper the facts are from
    assert first.url == "https://doi.org/10.1016/j.ijpx.2019.100010"
    assert found.result.passages[0].id == first.note_id == "project-glossary-qmm-terms"  # opens on the glossary
    assert found.glossary is not None
    assert "fda-kasa-2019-structured-assessment" in [note_id for note_id, _ in found.glossary.used_in]


def test_qmm_ask_prints_the_answer_first_with_links_and_no_server_path(
    fake_settings: object, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ask", "what is an rmp"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("1. RMP, risk management plan:")
    assert "https://www.law.cornell.edu/uscode/text/21/356c" in out.split("\n")[1]  # the first sentence's source link
    assert str(ROOT) not in out
    assert "/corpus/" not in out
    assert main(["ask", "what is an rmp", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["answer"][0]["url"] == "https://www.law.cornell.edu/uscode/text/21/356c"
    assert data["glossary"]["term"] == "rmp"
    assert all("path" not in p for p in data["passages"])

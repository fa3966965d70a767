"""Hostile answers to the extractor: no crash, no value without a span, and no answer that takes seconds (a hang or
a regex that backtracks is the failure; the time bound is loose on purpose)."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.extraction.rules import RulesExtractor
from assistant.protocol import load_protocol
from assistant.retrieval.embeddings import HashEmbedder
from tests.conftest import V1_DIR

PROTOCOL = load_protocol(V1_DIR)
EXTRACTOR = RulesExtractor(HashEmbedder())
QUESTIONS = [PROTOCOL.question(q) for q in ("MC-01", "BC-03", "PQS-04", "TE-05", "EE-03")]

HOSTILE = {
    "dashes": "a-" * 10_000,
    "digits": "9" * 5000 + " suppliers",
    "long fraction": "12." + "1" * 5000 + "%",
    "huge ratio": "1" * 30 + " of " + "2" * 40,
    "huge every": "every " + "9" * 5000 + " days",
    "huge times": "9" * 5000 + " times a year",
    "negations": "we do not " * 2000,
    "dots": ". " * 10_000,
    "doc ids": "SOP-" * 5000,
    "brackets": "(" * 10_000,
    "percent signs": "% " * 10_000,
    "assignments": "a_b = " * 3000,
    "no spaces": "x" * 20_000,
    "numbers": "1 " * 10_000,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_answers_are_read_quickly_and_safely(name: str) -> None:
    text = HOSTILE[name]
    for question in QUESTIONS:
        assert question is not None
        start = time.perf_counter()
        answer = EXTRACTOR.extract(question, text)
        assert time.perf_counter() - start < 3.0, (name, question.id)
        assert answer.unsupported() == []


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=2000))
def test_any_text_gives_an_answer_with_verbatim_spans(text: str) -> None:
    for question in QUESTIONS:
        assert question is not None
        answer = EXTRACTOR.extract(question, text)
        assert answer.unsupported() == []
        assert answer.texts == [text]

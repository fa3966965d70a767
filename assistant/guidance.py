"""Answers for the Guidance tab: the best passages with the sentence that answers highlighted, and, only when an LLM
is configured, a short written answer in which every claim cites one of the passages shown (claims that cite
nothing shown are dropped)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from assistant.answering import AnswerSentence, GlossaryHit
from assistant.retrieval.embeddings import Embedder
from assistant.retrieval.models import Passage, SearchResult

SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?](?=\s|$))?")


class Claim(BaseModel):
    text: str = Field(description="One sentence of the answer.")
    passage: int = Field(description="Number of the passage (1-based) that supports the sentence.")


class WrittenAnswer(BaseModel):
    claims: list[Claim] = Field(description="The answer, one supported sentence per claim.")


class GuidanceAnswer(BaseModel):
    result: SearchResult
    answer: list[AnswerSentence] = Field(default_factory=list, description="The 1-3 sentences that answer, cited.")
    glossary: GlossaryHit | None = Field(default=None, description="Set when the question asks what a term means.")
    highlights: dict[str, str] = Field(default_factory=dict, description="Passage id -> the sentence that answers.")
    written: list[Claim] = Field(default_factory=list)
    note: str | None = None


def best_sentences(embedder: Embedder, query: str, passages: list[Passage]) -> dict[str, str]:
    """For each passage, its sentence closest in meaning to the query (verbatim from the passage)."""
    out: dict[str, str] = {}
    query_vec = embedder.embed([query])[0]
    for p in passages:
        sentences = [m.group(0).strip() for m in SENTENCE.finditer(p.text) if len(m.group(0).split()) >= 4]
        if not sentences:
            continue
        sims = embedder.embed(sentences) @ query_vec
        out[p.id] = sentences[int(np.argmax(sims))]
    return out


def written_answer(model: Any, query: str, passages: list[Passage]) -> tuple[list[Claim], str | None]:
    """An LLM answer whose every claim cites a passage shown; (claims, note on what was dropped or failed)."""
    numbered = "\n\n".join(f"[{i}] {p.citation()}\n{p.text}" for i, p in enumerate(passages, start=1))
    messages = [
        (
            "system",
            "Answer only from the numbered passages. Each claim is one sentence and names the passage that "
            "supports it. If the passages do not answer the question, return no claims.",
        ),  # fmt: skip
        ("human", f"Question: {query}\n\nPassages:\n{numbered}"),
    ]
    try:
        raw = model.with_structured_output(WrittenAnswer).invoke(messages)
        answer = raw if isinstance(raw, WrittenAnswer) else WrittenAnswer.model_validate(raw)
    except Exception as exc:  # noqa: BLE001 - the passages are still shown
        return [], f"The written answer is unavailable ({type(exc).__name__}); the passages below are the answer."
    kept = [c for c in answer.claims if 1 <= c.passage <= len(passages) and c.text.strip()]
    dropped = len(answer.claims) - len(kept)
    return kept, (f"{dropped} claim(s) without a passage shown were left out." if dropped else None)


def answer_json(found: GuidanceAnswer) -> dict[str, Any]:
    """``qmm ask --json``: the answer sentences, the glossary entry, and the passages, each with citation and link."""
    result = found.result
    return {
        "question": result.query,
        "answer": [s.model_dump() for s in found.answer],
        "glossary": found.glossary.model_dump() if found.glossary else None,
        "message": result.message,
        "passages": [
            {"id": p.id, "title": p.title, "citation": p.citation(), "url": p.url, "text": p.text,
             "answering_sentence": found.highlights.get(p.id)}
            for p in result.passages
        ],  # fmt: skip
    }


def answer_text(found: GuidanceAnswer) -> str:
    """``qmm ask``: the answer (each sentence with its citation and link), related notes, then the passages."""
    lines: list[str] = []
    if not found.answer:
        lines.append(found.result.message or "No guidance answers this question.")
    for n, s in enumerate(found.answer, start=1):
        lines.append(f"{n}. {s.text}")
        lines += [f"     - {item}" for item in s.list_items]
        lines.append(f"   [{s.citation}]" + (f" {s.url}" if s.url else ""))
    if found.glossary and found.glossary.used_in:
        lines.append("")
        term = found.glossary.term
        lines.append(f"Notes that use {term.upper() if len(term) <= 5 else term}:")
        lines += [f"  - {title} ({note_id})" for note_id, title in found.glossary.used_in]
    if found.result.passages:
        lines.append("")
        lines.append("Passages:")
        for rank, p in enumerate(found.result.passages, start=1):
            lines.append(f"  {rank}. {p.title}  [{p.citation()}]" + (f" {p.url}" if p.url else ""))
    return "\n".join(lines)

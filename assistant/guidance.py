"""Answers for the Guidance tab: the best passages with the sentence that answers highlighted, and, only when an LLM
is configured, a short written answer in which every claim cites one of the passages shown (claims that cite
nothing shown are dropped)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

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

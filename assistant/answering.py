"""Answers that answer, without an LLM: the one to three sentences of the best guidance passages that answer a
learner's question, each cited. Pure apart from the embedder passed in.

A "what is X" question (or a bare term) that names a glossary entry is answered by that entry, with the notes that
use the term; the glossary is the list in the corpus note whose source is ``project-glossary``. Otherwise a sentence
is scored by its meaning (MiniLM cosine between the question and the sentence with its note's title in front), the
question's words it holds and the rank of its passage.
The weights (``AnswerConfig``) were chosen on the dev split of ``eval/answers_gold.jsonl`` only. A sentence that
introduces a list ("... five practice areas:") is shown with its list. Abbreviations in a question are searched with
their glossary expansion too ("cmo" also as "contract manufacturing organisation").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from pydantic import BaseModel, Field

from assistant.retrieval.embeddings import Embedder
from assistant.retrieval.models import Chunk, Collection, Passage, SearchResult
from assistant.retrieval.notes import split_source
from assistant.text import tokenize

ABBREVIATIONS = ("U.S.", "e.g.", "i.e.", "No.", "St.", "vs.", "al.", "approx.", "Dr.", "Inc.", "Ltd.", "cf.")
LIST_ITEM = re.compile(r"^\s*(?:[-*]|\d{1,2}[.)])\s+")
BOUNDARY = re.compile(r"(?<=[.!?])[\"”)]?\s+(?=[\"“(]?[A-Z0-9])")
DEFINE = re.compile(r"^\s*(?:what(?:'s| is| are| does)|whats|define|meaning of|explain)\s+(?:an?\s+|the\s+)?(.+?)"
                    r"(?:\s+(?:mean|stand for|in qmm|in pharma))?\s*\??\s*$", re.IGNORECASE)  # fmt: skip


class AnswerConfig(BaseModel):
    """Weights of the sentence scorer, chosen on the dev split of eval/answers_gold.jsonl (2026-12-04 grid)."""

    cosine: float = Field(1.0, description="Weight of the MiniLM cosine between question and sentence.")
    words: float = Field(0.3, description="Weight of the share of the question's words the sentence holds.")
    rank: float = Field(0.15, description="Weight of the passage's rank (1 for the first, 1/2 for the second...).")
    margin: float = Field(0.25, description="Sentences within this of the best are shown too (up to three).")
    passages: int = Field(5, description="Sentences are taken from this many top passages.")
    context: bool = Field(True, description="Embed each sentence with its note's title in front ('It lasts...').")


@dataclass
class Sentence:
    text: str
    passage: int  # index in the passages list
    list_items: list[str]


class AnswerSentence(BaseModel):
    text: str = Field(description="Verbatim from the passage (a list it introduces follows in ``list_items``).")
    list_items: list[str] = Field(default_factory=list)
    note_id: str
    citation: str
    url: str | None = None
    score: float


GLOSSARY_SOURCE = "project-glossary"


ENTRY_SOURCE = re.compile(r"\s*\[([a-z0-9][a-z0-9-]*)\]\s*$")


@dataclass(frozen=True)
class GlossaryEntry:
    terms: tuple[str, ...]  # lower case: the abbreviations, then what they stand for
    text: str  # the entry as written in the note, without its source key
    note_id: str
    title: str
    source: str | None  # the source key in brackets at the end of the entry: where its facts come from


class GlossaryHit(BaseModel):
    term: str
    entry: str = Field(description="The glossary entry, verbatim.")
    note_id: str
    used_in: list[tuple[str, str]] = Field(default_factory=list, description="(note id, title) of notes using it.")


def glossary_entries(chunks: Iterable[Chunk]) -> list[GlossaryEntry]:
    """The entries of the glossary note: list items written 'ABBR, what it stands for: definition'."""
    out: list[GlossaryEntry] = []
    for chunk in chunks:
        if chunk.source != GLOSSARY_SOURCE:
            continue
        for line in chunk.text.splitlines():
            if not LIST_ITEM.match(line):
                continue
            item = LIST_ITEM.sub("", line).strip()
            key = ENTRY_SOURCE.search(item)
            item = ENTRY_SOURCE.sub("", item)
            head, sep, _ = item.partition(":")
            if not sep:
                continue
            terms: list[str] = []
            for part in (p.strip() for p in head.split(",")):
                abbreviations = re.fullmatch(r"[A-Z0-9/ ]+(?:\s+(?:or|and)\s+[A-Z0-9/ ]+)*|Form \d+", part)
                pieces = re.split(r"\s+(?:or|and)\s+", part) if abbreviations else re.split(r"\s+or\s+", part)
                terms += [t.strip().lower() for t in pieces if t.strip()]
            out.append(GlossaryEntry(terms=tuple(dict.fromkeys(terms)), text=item, note_id=chunk.id, title=chunk.title,
                                     source=key.group(1) if key else None))  # fmt: skip
    return out


def _singular(term: str) -> str:
    return term[:-1] if term.endswith("s") and len(term) > 3 and not term.endswith("ss") else term


def glossary_lookup(question: str, entries: list[GlossaryEntry]) -> tuple[str, GlossaryEntry] | None:
    """(term, entry) when the question asks what a glossary term is, or is the bare term ('KASA?')."""
    term = defined_term(question)
    if term is None:
        bare = " ".join(question.strip(" ?.!").lower().split())
        term = bare if 0 < len(bare.split()) <= 3 else None
    if term is None:
        return None
    for candidate in (term, _singular(term), re.sub(r"^(?:fda'?s?|the)\s+", "", term), f"form {term}"):
        for entry in entries:
            if candidate in entry.terms:
                return candidate, entry
    return None


def expand_query(question: str, entries: list[GlossaryEntry]) -> str:
    """The question with what each glossary abbreviation in it stands for appended (for the search only)."""
    words = set(re.findall(r"[a-z0-9]+", question.lower()))
    extra = [next((x for x in e.terms if " " in x), "") for e in entries for t in e.terms if t in words]
    extra = [x for x in dict.fromkeys(extra) if x]
    return f"{question} ({'; '.join(extra)})" if extra else question


def notes_using(term: str, entry: GlossaryEntry, chunks: Iterable[Chunk], limit: int = 8) -> list[tuple[str, str]]:
    """(id, title) of the guidance notes that name the term (its abbreviation or what it stands for)."""
    forms = [re.escape(t) for t in entry.terms if len(t) >= 3]
    if not forms:
        return []
    pattern = re.compile(rf"\b(?:{'|'.join(forms)})\b", re.IGNORECASE)
    found = [(c.id, c.title) for c in chunks if c.id != entry.note_id and pattern.search(c.text)]
    return sorted(set(found))[:limit]


def split_sentences(text: str) -> list[tuple[str, list[str]]]:
    """(sentence, the list items it introduces) of a passage: sentences end at '.', '?' or '!' before a capital,
    never after an abbreviation (U.S., e.g.); each list item's sentences are sentences of their own too. A list
    belongs to the sentence just before it that ends with ':' (in the same paragraph or the one before)."""
    out: list[tuple[str, list[str]]] = []
    for para in re.split(r"\n\s*\n", text):
        lines = [ln for ln in para.split("\n") if ln.strip()]
        items = [ENTRY_SOURCE.sub("", LIST_ITEM.sub("", ln)).strip() for ln in lines if LIST_ITEM.match(ln)]
        prose = " ".join(ln.strip() for ln in lines if not LIST_ITEM.match(ln))
        for s in _sentences(prose):
            out.append((s, []))
        if items and out and out[-1][0].endswith(":") and not out[-1][1]:
            out[-1] = (out[-1][0], items)
        out += [(s, []) for item in items for s in _sentences(item)]
    return out


def _sentences(prose: str) -> list[str]:
    protected = prose
    for n, abbr in enumerate(ABBREVIATIONS):
        protected = protected.replace(abbr, f"\x00{n}\x00")
    pieces = BOUNDARY.split(protected)
    restore = re.compile(r"\x00(\d+)\x00")
    return [restore.sub(lambda m: ABBREVIATIONS[int(m.group(1))], p).strip() for p in pieces if p.strip()]


def defined_term(question: str) -> str | None:
    """X of "what is X" / "what does X mean" / "define X", lower case; None otherwise."""
    m = DEFINE.match(question)
    if not m:
        return None
    term = m.group(1).strip(" ?.").lower()
    return term if 0 < len(term.split()) <= 4 else None


def answer(embedder: Embedder, question: str, passages: list[Passage], config: AnswerConfig | None = None,
           urls: dict[str, str] | None = None) -> list[AnswerSentence]:  # fmt: skip
    """The one to three sentences that answer ``question`` best, from the top passages; [] when there are none."""
    config = config or AnswerConfig()
    candidates = [Sentence(text=s, passage=i, list_items=items)
                  for i, p in enumerate(passages[: config.passages])
                  for s, items in split_sentences(p.text) if len(s.split()) >= 3]  # fmt: skip
    if not candidates:
        return []
    titles = [passages[c.passage].title for c in candidates]
    texts = [f"{t}: {c.text}" if config.context else c.text for t, c in zip(titles, candidates, strict=True)]
    vecs = embedder.embed([question] + texts)
    cos = vecs[1:] @ vecs[0]
    words = set(tokenize(question))
    scores = []
    for c, sim in zip(candidates, cos, strict=True):
        overlap = len(words & set(tokenize(c.text))) / len(words) if words else 0.0
        scores.append(config.cosine * float(sim) + config.words * overlap + config.rank / (c.passage + 1))
    order = np.argsort(-np.array(scores), kind="stable")
    best = scores[int(order[0])]
    out: list[AnswerSentence] = []
    for i in order[:3]:
        c = candidates[int(i)]
        if scores[int(i)] < best - config.margin and out:
            break
        p = passages[c.passage]
        out.append(AnswerSentence(text=c.text, list_items=c.list_items, note_id=p.id, citation=p.citation(),
                                  url=(urls or {}).get(p.source) or p.url, score=round(scores[int(i)], 4)))  # fmt: skip
    return out


class SearchIndex(Protocol):
    sources: dict[str, str]  # source key -> 'document name <url>'

    def search(self, query: str, k: int = 5, area: str | None = None) -> SearchResult: ...

    def chunks(self, collection: Collection) -> dict[str, Chunk]: ...

    def passage(self, chunk: Chunk, score: float, dense: float | None, bm25: float | None) -> Passage: ...


@dataclass
class Response:
    result: SearchResult
    answer: list[AnswerSentence]
    glossary: GlossaryHit | None


def respond(index: SearchIndex, embedder: Embedder, question: str, k: int = 5, area: str | None = None,
            config: AnswerConfig | None = None) -> Response:  # fmt: skip
    """The whole of ``qmm ask`` and the Guidance tab's answer: glossary first, then the best sentences."""
    chunks = index.chunks("guidance")
    entries = glossary_entries(chunks.values())
    result = index.search(expand_query(question, entries), k=k, area=area)
    result = result.model_copy(update={"query": " ".join(question.split())[:2000]})
    found = glossary_lookup(question, entries)
    if found is None:
        sentences = answer(embedder, result.query, result.passages, config) if result.passages else []
        return Response(result=result, answer=sentences, glossary=None)
    term, entry = found
    note = chunks[entry.note_id]
    shown = next((p for p in result.passages if p.id == note.id), None)
    glossary_passage = shown or index.passage(note, 1.0, None, None)
    passages = [glossary_passage] + [p for p in result.passages if p.id != note.id][: k - 1]
    hit = GlossaryHit(term=term, entry=entry.text, note_id=note.id, used_in=notes_using(term, entry, chunks.values()))
    citation, url = glossary_passage.citation(), glossary_passage.url
    if entry.source and entry.source in index.sources:  # the entry names where its facts come from
        document, url = split_source(index.sources[entry.source])
        citation = f"{document}, in our glossary"
    first = AnswerSentence(text=entry.text, note_id=note.id, citation=citation, url=url, score=1.0)
    others = answer(embedder, result.query, passages[1:], config)[:2] if len(passages) > 1 else []
    result = result.model_copy(update={"passages": passages, "message": None})
    return Response(result=result, answer=[first, *others], glossary=hit)

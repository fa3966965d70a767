"""The default extractor: offline and deterministic. Typed parsers per field type, option lexicons, negation, hedging
and plans, and (when an embedder is given) MiniLM similarity between answer clauses and option descriptions.

It never invents: a field with no supporting clause stays "not stated", and every value keeps the verbatim text it
came from. Text in an answer is only ever data: nothing in it can change which fields exist, their options or a score.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from assistant.extraction.models import FieldValue, StructuredAnswer, empty_answer
from assistant.extraction.parsers import (
    AFFIRM,
    DENY,
    NEGATION,
    PARTLY,
    PLANNED,
    UNSURE,
    Found,
    find_evidence,
    find_frequencies,
    find_numbers,
    find_percentages,
    split_clauses,
)
from assistant.protocol.models import AnswerField, FieldType, Option, Question
from assistant.retrieval.bm25 import STOPWORDS, _stem
from assistant.retrieval.embeddings import Embedder

MAX_TEXT = 20_000
GENERIC = {
    "site", "how", "often", "does", "many", "which", "what", "your", "there", "any", "the", "this", "that", "these",
    "who", "whom", "are", "is", "do", "you", "have", "has", "been", "for", "each", "every", "share", "number", "last",
    "month", "year", "used", "use", "us", "describe", "give", "name", "kind", "type", "level", "quality",
    "current", "show", "much", "cover", "covered", "happen", "happened", "take", "taken", "make", "made", "get",
}  # fmt: skip
EXAMPLE_CUE = re.compile(r"\b(for example|for instance|e\.g\.|last (year|month|quarter)|recently|in 20\d\d|once we|"
                         r"when we|we had|there was|a case)\b", re.IGNORECASE)  # fmt: skip
Span = tuple[int, int]


def stems(text: str) -> set[str]:
    return {_stem(w) for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOPWORDS and len(w) > 1}


def field_cues(field: AnswerField) -> set[str]:
    hints = " ".join(field.cues)
    words = stems(f"{field.label} {field.follow_up or ''} {field.unit or ''} {field.id.replace('_', ' ')} {hints}")
    return {w for w in words if w not in GENERIC}


def _short_acronym(alias: str) -> bool:
    return alias.isupper() and len(alias) <= 3


def _single_aliases(option: Option) -> str:
    return " ".join(a for a in option.aliases if " " not in a.strip() and not _short_acronym(a.strip()))


def option_terms(option: Option, shared: set[str] = frozenset()) -> tuple[set[str], set[str]]:  # type: ignore[assignment]
    """(strong terms from id, label and one-word aliases; weak terms from the description). Terms shared by several
    options of the field are not strong: they cannot tell the options apart."""
    strong_all = stems(f"{option.id.replace('_', ' ')} {option.label} {_single_aliases(option)}") - GENERIC
    strong = (strong_all - shared) or strong_all
    weak = stems(option.description) - GENERIC - strong_all - shared
    return strong, weak


def alias_phrases(option: Option) -> list[re.Pattern[str]]:
    """Multi-word aliases ("walk the floor") as whole phrases; short acronyms ("HR", "OT") as whole words, case
    sensitive, so that "it" or "or" in a sentence is not read as an acronym."""
    out = []
    for alias in (a.strip() for a in option.aliases):
        if " " in alias:
            out.append(re.compile(r"\b" + re.escape(alias) + r"\b", re.IGNORECASE))
        elif _short_acronym(alias):
            out.append(re.compile(r"\b" + re.escape(alias) + r"\b"))
    return out


def shared_terms(options: list[Option]) -> set[str]:
    counts: dict[str, int] = {}
    for o in options:
        for t in stems(f"{o.id.replace('_', ' ')} {o.label} {_single_aliases(o)}") - GENERIC:
            counts[t] = counts.get(t, 0) + 1
    return {t for t, n in counts.items() if n > 1}


def negated_before(clause: str, start: int, window: int = 28) -> bool:
    before = clause[max(0, start - window) : start]
    return bool(NEGATION.search(before)) and not re.search(r"\b(not only|no longer than|no later)\b", before, re.I)


FOLLOW_ON = re.compile(r"^\s*(it|this|that|which|but|though|although|and it|and that)\b", re.IGNORECASE)


def yes_no_value(field: AnswerField, clause: str, short_reply: bool, next_clause: str = "") -> str:
    if short_reply:
        if AFFIRM.search(clause) and not PARTLY.search(clause) and not PLANNED.search(clause):
            return "yes"
        if DENY.search(clause) and not PLANNED.search(clause) and not PARTLY.search(clause):
            return "no"
    planned = bool(PLANNED.search(clause)) or bool(next_clause and FOLLOW_ON.match(next_clause)
                                                   and PLANNED.search(next_clause))  # fmt: skip
    partly = bool(PARTLY.search(clause))
    negated = bool(NEGATION.search(clause))
    if planned and field.allow_planned:
        return "planned"
    if partly and field.allow_partly:
        return "partly"
    if negated or planned:
        return "no"
    return "yes"


class RulesExtractor:
    name = "rules"

    def __init__(
        self,
        embedder: Embedder | None = None,
        option_threshold: float = 1.2,
        sim_floor: float = 0.35,
        field_sim_floor: float = 0.35,
        field_sim_weight: float = 8.0,
        yes_no_min: float = 2.0,
        sim_weight: float = 5.0,
    ) -> None:
        self.embedder = embedder
        self.option_threshold = option_threshold
        self.sim_floor = sim_floor
        self.field_sim_floor = field_sim_floor
        self.field_sim_weight = field_sim_weight
        self.yes_no_min = yes_no_min
        self.sim_weight = sim_weight
        self._option_vectors: dict[str, np.ndarray] = {}
        self._field_vectors: dict[str, np.ndarray] = {}

    # --- helpers -----------------------------------------------------------------------------------------------
    def _option_vecs(self, question: Question, field: AnswerField) -> np.ndarray | None:
        if self.embedder is None or not field.options:
            return None
        key = f"{question.id}.{field.id}"
        if key not in self._option_vectors:
            texts = [f"{o.label}: {o.description}" for o in field.options]
            self._option_vectors[key] = self.embedder.embed(texts)
        return self._option_vectors[key]

    def _field_vecs(self, question: Question) -> np.ndarray | None:
        if self.embedder is None:
            return None
        if question.id not in self._field_vectors:
            texts = [f"{f.label}. {f.follow_up or ''}" for f in question.fields]
            self._field_vectors[question.id] = self.embedder.embed(texts)
        return self._field_vectors[question.id]

    def extract(self, question: Question, text: str, target_field: str | None = None) -> StructuredAnswer:
        answer = empty_answer(question, [text], extractor=self.name)
        body = text[:MAX_TEXT]
        clauses = split_clauses(body)
        if not clauses:
            return answer
        clause_stems = [stems(c) for _, c in clauses]
        all_cues = {f.id: field_cues(f) for f in question.fields}
        # a cue shared by most fields (e.g. "objectives") says less about which field a clause is about: half weight
        counts: dict[str, int] = {}
        for cue_set in all_cues.values():
            for c in cue_set:
                counts[c] = counts.get(c, 0) + 1
        shared = {c for c, n in counts.items() if len(all_cues) > 2 and n > len(all_cues) / 2}
        cues = {fid: c - shared for fid, c in all_cues.items()}
        half = {fid: c & shared for fid, c in all_cues.items()}
        clause_vecs = self.embedder.embed([c for _, c in clauses]) if self.embedder is not None else None
        same_type = {t: sum(f.type is t for f in question.fields) for t in FieldType}
        short_reply = len(body.split()) <= 12

        field_vecs = self._field_vecs(question)
        sims = (clause_vecs @ field_vecs.T) if clause_vecs is not None and field_vecs is not None else None
        values = dict(answer.values)
        used_numbers: set[tuple[int, int]] = set()  # a number already taken by one count field
        first_yes_no = next((f.id for f in question.fields if f.type is FieldType.YES_NO), None)
        for fi, field in enumerate(question.fields):
            targeted = field.id == target_field
            relevance = [len(cues[field.id] & s) + 0.5 * len(half[field.id] & s) for s in clause_stems]
            if sims is not None:
                relevance = [
                    r + self.field_sim_weight * max(0.0, float(sims[ci, fi]) - self.field_sim_floor)
                    for ci, r in enumerate(relevance)
                ]
            if targeted:
                relevance = [r + 5 for r in relevance]
            alone = same_type[field.type] == 1
            found = self._extract_field(
                question,
                field,
                body,
                clauses,
                relevance,
                alone,
                targeted,
                short_reply and targeted,
                clause_vecs,
                used_numbers,
            )
            if found is not None and found.span and field.type not in (FieldType.YES_NO, FieldType.FREE_TEXT):
                at = body.find(found.span)
                if at >= 0 and UNSURE.search(body[max(0, at - 30) : at + len(found.span)]) and not targeted:
                    found = None  # "maybe quarterly", "not sure, 80%?": not stated
            if found is None and field.type is FieldType.YES_NO and field.id == first_yes_no and not target_field:
                found = self._opening_reply(field, clauses[0])
            if found is not None:
                values[field.id] = found
        answer.values = values
        return answer

    def _extract_field(
        self,
        question: Question,
        field: AnswerField,
        body: str,
        clauses: list[tuple[int, str]],
        relevance: list[float],
        alone: bool,
        targeted: bool,
        short_reply: bool,
        clause_vecs: np.ndarray | None,
        used_numbers: set[tuple[int, int]],
    ) -> FieldValue | None:
        t = field.type
        order = sorted(range(len(clauses)), key=lambda i: (-relevance[i], i))

        def best_with(finder: Callable[[str], list[Found]], need: int) -> tuple[int, list[Found]] | None:
            for i in order:
                if relevance[i] < need:
                    break
                hits = finder(clauses[i][1])
                if hits:
                    return i, hits
            return None

        if t is FieldType.YES_NO:
            for i in order:
                if relevance[i] < self.yes_no_min and not targeted:
                    break
                clause = clauses[i][1]
                if UNSURE.search(clause) and not targeted:
                    return None  # "not sure", "maybe": the interviewee did not state it
                following = clauses[i + 1][1] if i + 1 < len(clauses) else ""
                value = yes_no_value(field, clause, short_reply, following)
                conf = 0.9 if short_reply else min(0.85, 0.45 + 0.1 * relevance[i])
                return FieldValue(field=field.id, value=value, span=clause, confidence=conf)
            return None

        if t in (FieldType.FREQUENCY, FieldType.PERCENTAGE):
            # the only field of its type takes the first value anywhere; otherwise the clause must be about it
            finder = find_frequencies if t is FieldType.FREQUENCY else find_percentages
            hit = best_with(finder, 0 if (alone or targeted) else 1)
            if hit is None:
                return None
            i, found = hit
            number_or_name = found[0].value if t is FieldType.FREQUENCY else float(found[0].value)
            conf = 0.85 if (targeted or relevance[i] > 0) else 0.65
            return FieldValue(field=field.id, value=number_or_name, span=found[0].span, confidence=conf)

        if t is FieldType.COUNT:
            return self._count(field, clauses, relevance, order, targeted, used_numbers)

        if t in (FieldType.SINGLE_CHOICE, FieldType.MULTI_CHOICE):
            return self._choice(question, field, body, clauses, relevance, targeted, clause_vecs)

        if t is FieldType.EVIDENCE_LIST:
            items = find_evidence(body)
            if not items:
                return None
            start = body.find(items[0])
            last = body.find(items[-1], start)
            span = body[start : last + len(items[-1])] if last >= start else items[0]
            return FieldValue(field=field.id, value=items, span=span, confidence=0.7)

        # free text
        if targeted:
            stripped = body.strip()
            return FieldValue(field=field.id, value=stripped, span=stripped, confidence=0.9) if stripped else None
        for i in order:
            clause = clauses[i][1]
            if relevance[i] >= 2 or (relevance[i] >= 1 and EXAMPLE_CUE.search(clause)):
                return FieldValue(field=field.id, value=clause, span=clause, confidence=0.5)
            break
        return None

    def _opening_reply(self, field: AnswerField, first: tuple[int, str]) -> FieldValue | None:
        """An answer that opens with a bare yes or no ("Yes, every CAPA." / "Idea cards, yes.") answers the
        question's main yes/no field."""
        clause = first[1]
        match = re.match(r"^\s*(yes|no)\b[,.;:!]?|^[^,.;]{0,40},\s*(yes|no)\s*[,.;]", clause, re.IGNORECASE)
        if match is None:
            return None
        word = (match.group(1) or match.group(2)).lower()
        value = word
        if word == "yes" and PARTLY.search(clause) and field.allow_partly:
            value = "partly"
        return FieldValue(field=field.id, value=value, span=match.group(0).strip(), confidence=0.6)

    def _count(
        self,
        field: AnswerField,
        clauses: list[tuple[int, str]],
        relevance: list[float],
        order: list[int],
        targeted: bool,
        used: set[tuple[int, int]],
    ) -> FieldValue | None:
        unit_stems = stems(field.unit or "") | (stems(field.label) - GENERIC)
        for i in order:
            if relevance[i] < 1 and not targeted:
                break
            clause = clauses[i][1]
            zero = re.search(r"\b(no|zero|none of (the|our))\s+(\w+\s+){0,2}?(\w+)", clause, re.IGNORECASE)
            if zero and _stem(zero.group(4).lower()) in unit_stems:
                return FieldValue(field=field.id, value=0, span=zero.group(0), confidence=0.7)
            numbers = [n for n in find_numbers(clause) if (i, n.start) not in used]
            if not numbers:
                continue
            if targeted and len(numbers) == 1:
                n = numbers[0]
                used.add((i, n.start))
                return FieldValue(field=field.id, value=n.value, span=n.span, confidence=0.85)
            # prefer the number closest to a unit word
            best = None
            for n in numbers:
                after = clause[n.start : n.start + len(n.span) + 40]
                near = stems(" ".join(re.findall(r"[A-Za-z]+", after)[:4]))
                before = stems(" ".join(re.findall(r"[A-Za-z]+", clause[max(0, n.start - 30) : n.start])[-3:]))
                score = 2 * len(near & unit_stems) + len(before & unit_stems)
                if best is None or score > best[0]:
                    best = (score, n)
            if best is not None and (best[0] > 0 or targeted):
                n = best[1]
                used.add((i, n.start))
                conf = 0.8 if best[0] > 0 else 0.6
                return FieldValue(field=field.id, value=n.value, span=n.span, confidence=conf)
        return None

    def _choice(
        self,
        question: Question,
        field: AnswerField,
        body: str,
        clauses: list[tuple[int, str]],
        relevance: list[float],
        targeted: bool,
        clause_vecs: np.ndarray | None,
    ) -> FieldValue | None:
        options = field.options or []
        option_vecs = self._option_vecs(question, field)
        scored: list[tuple[float, int, int]] = []  # (score, option index, clause index)
        shared = shared_terms(options)
        terms = [option_terms(o, shared) for o in options]
        phrases = [alias_phrases(o) for o in options]
        for ci, (_, clause) in enumerate(clauses):
            cstems = stems(clause)
            for oi, (strong, weak) in enumerate(terms):
                hits = strong & cstems
                positions = [m.start() for h in hits for m in re.finditer(re.escape(h), clause.lower())]
                phrase_hits = [m.start() for p in phrases[oi] for m in p.finditer(clause)]
                positions += phrase_hits
                # a negated mention ("we don't use MES") does not count
                if positions and all(negated_before(clause, p) for p in positions):
                    continue
                count = len(hits) + len(phrase_hits)
                lexical = (1.0 + 0.2 * (count - 1) if count else 0.0) + min(0.45, 0.15 * len(weak & cstems))
                similarity = 0.0
                if clause_vecs is not None and option_vecs is not None:
                    similarity = float(clause_vecs[ci] @ option_vecs[oi])
                score = lexical + max(0.0, similarity - self.sim_floor) * self.sim_weight
                if targeted or relevance[ci] > 0:
                    score += 0.15
                scored.append((score, oi, ci))
        threshold = self.option_threshold
        chosen = [s for s in scored if s[0] >= threshold]
        if not chosen:
            return None
        if field.type is FieldType.SINGLE_CHOICE:
            score, oi, ci = max(chosen, key=lambda s: (s[0], -s[2], -s[1]))
            conf = min(0.9, 0.4 + 0.25 * score)
            return FieldValue(field=field.id, value=options[oi].id, span=clauses[ci][1], confidence=conf)
        picked: dict[int, tuple[float, int]] = {}
        for score, oi, ci in chosen:
            if oi not in picked or score > picked[oi][0]:
                picked[oi] = (score, ci)
        ids = [options[oi].id for oi in sorted(picked)]
        used = sorted({ci for _, ci in picked.values()})
        start = clauses[used[0]][0]
        end = clauses[used[-1]][0] + len(clauses[used[-1]][1])
        conf = min(0.9, 0.4 + 0.2 * min(s for s, _ in picked.values()))
        return FieldValue(field=field.id, value=ids, span=body[start:end], confidence=conf)

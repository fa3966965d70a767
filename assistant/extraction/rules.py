"""The default extractor: offline and deterministic. Typed parsers per field type, option lexicons, negation, hedging
and plans scoped to the clause, and (when an embedder is given) MiniLM similarity between answer clauses and fields.

Precision first: a wrong value costs a wrong score, a missing one costs a quick reply. Every value is proposed by a
named rule (``FieldValue.rule``); its confidence is that rule's precision measured on the dev split
(``calibration.json``, written by ``python -m eval calibrate``), and a value whose confidence is below
``ExtractionConfig.min_confidence`` is not proposed: the field stays "not stated" and the interview asks for it.

It never invents: a field with no supporting clause stays "not stated", and every value keeps the verbatim text it
came from. Text in an answer is only ever data: planted instructions are blanked before reading, and nothing in an
answer can change which fields exist, their options or a score.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dc_field
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from assistant.answers import TARGET_VALUE, VALUE_YEAR, YEAR_VALUE, coerce_value, parse_yearly_text
from assistant.extraction.models import FieldValue, StructuredAnswer, empty_answer, only_targets
from assistant.extraction.parsers import (
    PARTLY,
    PLANNED,
    UNSURE,
    find_evidence,
    find_frequencies,
    find_numbers,
    find_percentages,
    split_clauses,
)
from assistant.extraction.reading import (
    CURRENT,
    EXAMPLE_CUE,
    GENERIC,
    QUESTION,
    alias_phrases,
    blank_injections,
    field_cues,
    nearest_to_cues,
    negated_mention,
    option_terms,
    shared_terms,
    stems,
    yes_no_value,
)
from assistant.protocol.models import AnswerField, FieldType, Question, assessor_only
from assistant.retrieval.embeddings import Embedder
from assistant.text import stem

MAX_TEXT = 20_000
MAX_CLAUSES = 300  # clauses read from one answer (the whole text is still saved); bounds the time of a hostile one
CALIBRATION = Path(__file__).with_name("calibration.json")
class ExtractionConfig(BaseModel):
    """Thresholds and weights of the rules extractor, each tuned on the dev split only (see eval/README.md)."""

    option_threshold: float = Field(1.2, description="Least score for an option (lexical + similarity); dev grid.")
    sim_floor: float = Field(0.35, description="Cosine below which an option's similarity adds nothing; dev grid.")
    field_sim_floor: float = Field(0.35, description="Cosine below which a clause is not about a field; dev grid.")
    field_sim_weight: float = Field(8.0, description="Weight of field similarity in clause relevance; dev grid.")
    yes_no_min: float = Field(2.0, description="Least clause relevance to read a yes/no field from it; dev grid.")
    sim_weight: float = Field(5.0, description="Weight of option similarity in an option's score; dev grid.")
    choice_margin: float = Field(0.3, description="Single choice: best option must beat the next by this; dev run.")
    min_confidence: float = Field(
        0.75,
        description="Values whose calibrated confidence is lower are not proposed (precision first). Chosen by "
        "two-fold cross-validation over the dev questions (2026-11-29, calibrated on one fold, measured on the "
        "other): 0.70 gave precision 0.84 / recall 0.59, 0.75 gave 0.85 / 0.46, 0.80 gave 0.87 / 0.38.",
    )
    targeted_confidence: float = Field(
        0.5, description="A reply to a follow-up about the field is kept down to this confidence."
    )
    suggest_confidence: float = Field(
        0.5,
        description="Below the floor but at least this: shown as a hint beside the follow-up form's field, never "
        "pre-selected. Dev run (2026-11-29, eval dialogue): 0.5 gave 1.0 hint a question, a third of them wrong.",
    )


def load_calibration(path: Path = CALIBRATION) -> dict[str, float]:
    """Rule -> precision measured on the dev split; empty (raw confidences) when the file is missing."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): float(v["confidence"]) for k, v in data.get("rules", {}).items()}


@dataclass
class FieldContext:
    """What one field's strategy needs to read the answer."""

    question: Question
    field: AnswerField
    body: str
    clauses: list[tuple[int, str]]
    relevance: list[float]
    cue_hits: list[int]
    alone: bool
    targeted: bool
    short_reply: bool
    clause_vecs: np.ndarray | None
    used_numbers: set[tuple[int, int]] = dc_field(default_factory=set)
    rival: list[float] = dc_field(default_factory=list)  # per clause: the highest relevance of another same-type field

    @property
    def order(self) -> list[int]:
        return sorted(range(len(self.clauses)), key=lambda i: (-self.relevance[i], i))


class RulesExtractor:
    name = "rules"

    def __init__(
        self,
        embedder: Embedder | None = None,
        config: ExtractionConfig | None = None,
        calibration: dict[str, float] | None = None,
    ) -> None:
        self.embedder = embedder
        self.config = config or ExtractionConfig()
        self.calibration = load_calibration() if calibration is None else calibration
        self._option_vectors: dict[str, np.ndarray] = {}
        self._field_vectors: dict[str, np.ndarray] = {}
        self._lexicons: dict[str, tuple[list[tuple[set[str], set[str]]], list[list[re.Pattern[str]]]]] = {}
        self.strategies: dict[FieldType, Callable[[FieldContext], FieldValue | None]] = {
            FieldType.YES_NO: self._yes_no,
            FieldType.FREQUENCY: self._frequency_or_percentage,
            FieldType.PERCENTAGE: self._frequency_or_percentage,
            FieldType.COUNT: self._count,
            FieldType.SINGLE_CHOICE: self._choice,
            FieldType.MULTI_CHOICE: self._choice,
            FieldType.EVIDENCE_LIST: self._evidence,
            FieldType.FREE_TEXT: self._free_text,
            FieldType.YEARLY_VALUES: self._yearly,
        }

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

    def _lexicon(
        self, question: Question, field: AnswerField
    ) -> tuple[list[tuple[set[str], set[str]]], list[list[re.Pattern[str]]]]:
        """Per option of a choice field: (strong, weak) terms and alias patterns, built once per field."""
        key = f"{question.id}.{field.id}"
        if key not in self._lexicons:
            options = field.options or []
            shared = shared_terms(options)
            self._lexicons[key] = ([option_terms(o, shared) for o in options], [alias_phrases(o) for o in options])
        return self._lexicons[key]

    def confidence(self, value: FieldValue) -> float:
        """The measured precision of the value's rule (a rule the dev split never saw fire: at most 0.5)."""
        default = min(value.confidence, 0.5) if self.calibration else value.confidence
        return round(self.calibration.get(value.rule or "", default), 3)

    def calibrated(self, value: FieldValue, targeted: bool) -> FieldValue | None:
        """The value with its rule's measured precision as confidence, or None when that is too low to propose."""
        conf = self.confidence(value)
        floor = self.config.targeted_confidence if targeted else self.config.min_confidence
        return value.model_copy(update={"confidence": conf}) if conf >= floor else None

    def extract(
        self, question: Question, text: str, target_field: str | None = None, targets: list[str] | None = None
    ) -> StructuredAnswer:
        answer = self.propose(question, text, target_field, targets)
        asked = set(targets or ([target_field] if target_field else []))
        values, suggestions = {}, {}
        for fid, v in answer.values.items():
            kept = self.calibrated(v, fid in asked) if v.value is not None else None
            values[fid] = kept or FieldValue(field=fid)
            if v.value is not None and kept is None and self.confidence(v) >= self.config.suggest_confidence:
                suggestions[fid] = v.model_copy(update={"confidence": self.confidence(v)})
        answer = answer.model_copy(update={"values": values, "suggestions": suggestions})
        return only_targets(answer, targets)

    def propose(
        self, question: Question, text: str, target_field: str | None = None, targets: list[str] | None = None
    ) -> StructuredAnswer:
        """Every value a rule finds, with its rule and raw confidence, before calibration and the confidence floor
        (what ``python -m eval calibrate`` measures)."""
        answer = empty_answer(question, [text], extractor=self.name)
        body = blank_injections(text[:MAX_TEXT])
        clauses = [(i, c) for i, c in split_clauses(body) if re.search(r"\w", c) and not QUESTION.match(c)]
        clauses = clauses[:MAX_CLAUSES]
        if not clauses:
            return answer
        asked = list(targets or ([target_field] if target_field else []))
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
        hits_of: dict[str, list[int]] = {}
        relevance_of: dict[str, list[float]] = {}
        for fi, field in enumerate(question.fields):
            cue_hits = [len(cues[field.id] & s) for s in clause_stems]
            relevance = [hits + 0.5 * len(half[field.id] & s) for hits, s in zip(cue_hits, clause_stems, strict=True)]
            if sims is not None:
                relevance = [
                    r + self.config.field_sim_weight * max(0.0, float(sims[ci, fi]) - self.config.field_sim_floor)
                    for ci, r in enumerate(relevance)
                ]
            hits_of[field.id], relevance_of[field.id] = cue_hits, relevance
        for field in question.fields:
            if assessor_only(field):
                continue  # the records the assessor has seen are never read from an interviewee's answer
            targeted = field.id in asked
            relevance = [r + 5 for r in relevance_of[field.id]] if targeted else relevance_of[field.id]
            others = [relevance_of[f.id] for f in question.fields if f.type is field.type and f.id != field.id]
            rival = [max((o[ci] for o in others), default=0.0) for ci in range(len(clauses))]
            ctx = FieldContext(
                question=question, field=field, body=body, clauses=clauses, relevance=relevance,
                cue_hits=hits_of[field.id], alone=same_type[field.type] == 1, targeted=targeted,
                short_reply=short_reply and len(asked) == 1 and targeted, clause_vecs=clause_vecs,
                used_numbers=used_numbers, rival=rival,
            )  # fmt: skip
            found = self.strategies[field.type](ctx)
            if found is not None and found.span and field.type not in (FieldType.YES_NO, FieldType.FREE_TEXT):
                at = body.find(found.span)
                if at >= 0 and UNSURE.search(body[max(0, at - 30) : at + len(found.span)]) and not targeted:
                    found = None  # "maybe quarterly", "not sure, 80%?": not stated
            if found is None and field.type is FieldType.YES_NO and field.id == first_yes_no and not asked:
                found = self._opening_reply(field, clauses[0])
            if found is not None:
                values[field.id] = found
        answer.values = values
        return answer

    # --- one strategy per field type ---------------------------------------------------------------------------
    def _yes_no(self, ctx: FieldContext) -> FieldValue | None:
        for i in ctx.order:
            if ctx.relevance[i] < self.config.yes_no_min and not ctx.targeted:
                break
            clause = ctx.clauses[i][1]
            if UNSURE.search(clause) and not ctx.targeted:
                return None  # "not sure", "maybe": the interviewee did not state it
            # later clauses about the field too ("No written plan. ... it is on our plan for next year")
            about = [c for j, (_, c) in enumerate(ctx.clauses) if j > i and (j <= i + 2 or ctx.cue_hits[j] > 0)]
            value, rule = yes_no_value(ctx.field, clause, ctx.short_reply, " ".join(about))
            if ctx.targeted:
                rule = "yes_no:targeted" if ctx.short_reply else f"{rule}:targeted"
            elif ctx.cue_hits[i] == 0:
                rule += ":similar"  # the clause is about the field by meaning only, no cue word
            elif ctx.rival[i] > ctx.relevance[i]:
                rule += ":contested"  # the clause is more about another yes/no field of the question
            elif ctx.cue_hits[i] == 1:
                rule += ":one_cue"
            conf = 0.9 if ctx.short_reply else min(0.85, 0.45 + 0.1 * ctx.relevance[i])
            return FieldValue(field=ctx.field.id, value=value, span=clause, confidence=conf, rule=rule)
        return None

    def _frequency_or_percentage(self, ctx: FieldContext) -> FieldValue | None:
        # the only field of its type takes the first value anywhere; otherwise the clause must be about it
        is_freq = ctx.field.type is FieldType.FREQUENCY
        finder = find_frequencies if is_freq else find_percentages
        need = 0 if (ctx.alone or ctx.targeted) else 1
        kind = "frequency" if is_freq else "percentage"
        for i in ctx.order:
            if ctx.relevance[i] < need:
                break
            found = finder(ctx.clauses[i][1])
            if not found:
                continue
            pick = found[0]
            rule = f"{kind}:{'targeted' if ctx.targeted else 'relevant' if ctx.relevance[i] >= 1 else 'alone'}"
            if len({f.value for f in found}) > 1:  # "nearly 40% in 2023, down to about 15% now": the current one
                clause = ctx.clauses[i][1]
                current = [f for f in found if CURRENT.search(clause[max(0, f.start - 25) : f.start])]
                if current:
                    pick, rule = current[-1], rule + ":current"
                else:  # "tested quarterly ..., and a full DR test once a year": the value nearest the field's words
                    pick, rule = nearest_to_cues(clause, found, field_cues(ctx.field)), rule + ":several"
            if not is_freq and re.fullmatch(r"(?i)(about |around |roughly |nearly |almost )?[a-z ]+", pick.span):
                rule += ":fraction"  # "half", "a third": often not a measured share
            value = pick.value if is_freq else float(pick.value)
            conf = 0.85 if (ctx.targeted or ctx.relevance[i] > 0) else 0.65
            return FieldValue(field=ctx.field.id, value=value, span=pick.span, confidence=conf, rule=rule)
        return None

    def _opening_reply(self, field: AnswerField, first: tuple[int, str]) -> FieldValue | None:
        """An answer that opens with a bare yes or no ("Yes, every CAPA." / "Idea cards, yes.") answers the
        question's main yes/no field."""
        clause = first[1]
        match = re.match(r"^\s*(yes|no)\b[,.;:!]?|^[^,.;]{0,40},\s*(yes|no)\s*[,.;]", clause, re.IGNORECASE)
        if match is None:
            return None
        word = (match.group(1) or match.group(2)).lower()
        value, rule = word, f"yes_no:opening_{word}"
        if word == "yes" and PARTLY.search(clause) and field.allow_partly:
            value, rule = "partly", "yes_no:opening_partly"
        if word == "no" and PLANNED.search(clause) and field.allow_planned:
            value, rule = "planned", "yes_no:opening_planned"
        return FieldValue(field=field.id, value=value, span=match.group(0).strip(), confidence=0.6, rule=rule)

    def _count(self, ctx: FieldContext) -> FieldValue | None:
        field = ctx.field
        unit_stems = stems(field.unit or "") | (stems(field.label) - GENERIC)
        in_label = {w.lower() for w in re.findall(r"[A-Za-z0-9]+", f"{field.label} {field.unit or ''}")}
        durations = bool(re.search(r"\b(days?|weeks?|months?|years?|hours?)\b", field.unit or "", re.I)) and not (
            re.search(r"\b(in|over) the (last|past)\b", field.unit or "", re.I)
        )
        for i in ctx.order:
            if ctx.relevance[i] < 1 and not ctx.targeted:
                break
            clause = ctx.clauses[i][1]
            zero = re.search(r"\b(no|zero|none of (the|our))\s+(\w+\s+){0,2}?(\w+)", clause, re.IGNORECASE)
            if zero and stem(zero.group(4).lower()) in unit_stems:
                rule = "count:targeted" if ctx.targeted else "count:zero"
                return FieldValue(field=field.id, value=0, span=zero.group(0), confidence=0.7, rule=rule)
            numbers = [
                n for n in find_numbers(clause, durations=durations)
                if (i, n.start) not in ctx.used_numbers and n.span.lower() not in in_label
            ]  # fmt: skip
            if not numbers:
                continue
            if ctx.targeted and len(numbers) == 1:
                n = numbers[0]
                ctx.used_numbers.add((i, n.start))
                return FieldValue(field=field.id, value=n.value, span=n.span, confidence=0.85, rule="count:targeted")
            # prefer the number closest to a unit word
            scored = []
            for n in numbers:
                after = clause[n.start : n.start + len(n.span) + 40]
                near = stems(" ".join(re.findall(r"[A-Za-z]+", after)[:4]))
                before = stems(" ".join(re.findall(r"[A-Za-z]+", clause[max(0, n.start - 30) : n.start])[-3:]))
                scored.append((2 * len(near & unit_stems) + len(before & unit_stems), n))
            best_score = max(s for s, _ in scored)
            best = [n for s, n in scored if s == best_score]
            if best_score > 0 or ctx.targeted:
                n = best[0]
                ctx.used_numbers.add((i, n.start))
                rule = "count:targeted" if ctx.targeted else "count:unit" if best_score > 0 else "count:any"
                if len(best) > 1:
                    rule += ":tie"
                conf = 0.8 if best_score > 0 else 0.6
                return FieldValue(field=field.id, value=n.value, span=n.span, confidence=conf, rule=rule)
        return None

    def _evidence(self, ctx: FieldContext) -> FieldValue | None:
        items = find_evidence(ctx.body)
        if not items:
            return None
        start = ctx.body.find(items[0])
        last = ctx.body.find(items[-1], start)
        span = ctx.body[start : last + len(items[-1])] if last >= start else items[0]
        ids = sum(bool(re.fullmatch(r"[A-Z]{2,6}(?:[-_][A-Z]{1,6})?[-_]?\d{2,5}(?:[-.]\d+)?", i)) for i in items)
        rule = "evidence:ids" if ids == len(items) else "evidence:one" if len(items) == 1 else "evidence:several"
        if ctx.targeted:
            rule = "evidence:targeted"
        return FieldValue(field=ctx.field.id, value=items, span=span, confidence=0.7, rule=rule)

    def _free_text(self, ctx: FieldContext) -> FieldValue | None:
        if ctx.targeted:
            stripped = ctx.body.strip()
            if not stripped:
                return None
            return FieldValue(field=ctx.field.id, value=stripped, span=stripped, confidence=0.9, rule="free:targeted")
        for i in ctx.order:
            clause = ctx.clauses[i][1]
            if ctx.relevance[i] >= 2 or (ctx.relevance[i] >= 1 and EXAMPLE_CUE.search(clause)):
                rule = "free:example" if EXAMPLE_CUE.search(clause) else "free:relevant"
                return FieldValue(field=ctx.field.id, value=clause, span=clause, confidence=0.5, rule=rule)
            break
        return None

    def _yearly(self, ctx: FieldContext) -> FieldValue | None:
        """Values per year ("2023: 1.2; 2024: 0.9; 2025: 0.7; target 1.0", "0.9% in 2024"), read from the whole
        answer only when it was asked for this field or the question has no other yearly field and the answer
        gives at least three years; the span runs from the first year-value pair (or target) to the last."""
        others = sum(f.type is FieldType.YEARLY_VALUES for f in ctx.question.fields) > 1
        if others and not ctx.targeted:
            return None
        body = ctx.body
        found = parse_yearly_text(body)
        if not ctx.targeted and len([k for k in found if k.isdigit()]) < 3:
            return None
        try:
            value = coerce_value(ctx.field, found)
        except ValueError:
            return None
        if not value:
            return None
        marks = [m.span() for rx in (YEAR_VALUE, VALUE_YEAR, TARGET_VALUE) for m in rx.finditer(body)]
        span = body[min(a for a, _ in marks) : max(b for _, b in marks)]
        rule = "yearly:targeted" if ctx.targeted else "yearly:alone"
        return FieldValue(field=ctx.field.id, value=value, span=span, confidence=0.6, rule=rule)

    def _choice(self, ctx: FieldContext) -> FieldValue | None:
        field = ctx.field
        options = field.options or []
        option_vecs = self._option_vecs(ctx.question, field)
        scored: list[tuple[float, int, int, bool]] = []  # (score, option index, clause index, named lexically)
        terms, phrases = self._lexicon(ctx.question, field)
        for ci, (_, clause) in enumerate(ctx.clauses):
            cstems = stems(clause)
            lowered = clause.lower()
            for oi, (strong, weak) in enumerate(terms):
                hits = strong & cstems
                mentions = [(m.start(), len(m.group(0))) for h in hits
                            for m in re.finditer(r"\b" + re.escape(h), lowered)]  # fmt: skip
                mentions += [(m.start(), len(m.group(0))) for p in phrases[oi] for m in p.finditer(clause)]
                # a negated mention ("we don't use MES", "invalidated OOS not tracked") does not count
                if mentions and all(negated_mention(clause, p, n) for p, n in mentions):
                    continue
                named = bool(mentions)
                count = len(hits) + sum(1 for p in phrases[oi] for _ in p.finditer(clause))
                lexical = (1.0 + 0.2 * (count - 1) if count else 0.0) + min(0.45, 0.15 * len(weak & cstems))
                similarity = 0.0
                if ctx.clause_vecs is not None and option_vecs is not None:
                    similarity = float(ctx.clause_vecs[ci] @ option_vecs[oi])
                score = lexical + max(0.0, similarity - self.config.sim_floor) * self.config.sim_weight
                if ctx.targeted or ctx.relevance[ci] > 0:
                    score += 0.15
                scored.append((score, oi, ci, named))
        chosen = [s for s in scored if s[0] >= self.config.option_threshold]
        if field.type is FieldType.MULTI_CHOICE and not ctx.targeted:
            chosen = [s for s in chosen if s[3]]  # an option is only added when the answer names it
        if not chosen:
            return None
        if field.type is FieldType.SINGLE_CHOICE:
            best_by_option: dict[int, tuple[float, int, int, bool]] = {}
            for s in chosen:
                if s[1] not in best_by_option or s[0] > best_by_option[s[1]][0]:
                    best_by_option[s[1]] = s
            ranked = sorted(best_by_option.values(), key=lambda s: (-s[0], s[2], s[1]))
            score, oi, ci, named = ranked[0]
            close = len(ranked) > 1 and score - ranked[1][0] < self.config.choice_margin
            rule = "single:targeted" if ctx.targeted else f"single:{'named' if named else 'similar'}"
            others_named = [s for s in ranked[1:] if s[3]] if named else []
            if field.ordered and others_named:  # "assessed on the job ... and requalified": which step of the scale?
                rule += ":ambiguous"
            elif close:
                rule += ":close"
            elif ctx.rival and ctx.rival[ci] > ctx.relevance[ci]:
                rule += ":contested"
            conf = min(0.9, 0.4 + 0.25 * score)
            return FieldValue(field=field.id, value=options[oi].id, span=ctx.clauses[ci][1], confidence=conf,
                              rule=rule)  # fmt: skip
        picked: dict[int, tuple[float, int, bool]] = {}
        for score, oi, ci, named in chosen:
            if oi not in picked or score > picked[oi][0]:
                picked[oi] = (score, ci, named)
        ids = [options[oi].id for oi in sorted(picked)]
        used = sorted({ci for _, ci, _ in picked.values()})
        start = ctx.clauses[used[0]][0]
        end = ctx.clauses[used[-1]][0] + len(ctx.clauses[used[-1]][1])
        conf = min(0.9, 0.4 + 0.2 * min(s for s, _, _ in picked.values()))
        all_named = all(n for _, _, n in picked.values())
        rule = "multi:targeted" if ctx.targeted else f"multi:{'named' if all_named else 'similar'}"
        rule += f":{min(len(ids), 3)}"
        return FieldValue(field=field.id, value=ids, span=ctx.body[start:end], confidence=conf, rule=rule)

"""Reading an answer, piece by piece: clause stems, field cues, option terms and aliases, negation with a scope,
planted instructions, yes/no polarity. Pure functions used by the rules extractor's strategies (rules.py)."""

from __future__ import annotations

import re

from assistant.extraction.parsers import AFFIRM, DENY, INJECTION, NEGATION, PARTLY, PLANNED, SCOPED_PARTLY, Found
from assistant.protocol.models import AnswerField, Option
from assistant.text import STOPWORDS, stem

GENERIC = {
    "site", "how", "often", "does", "many", "which", "what", "your", "there", "any", "the", "this", "that", "these",
    "who", "whom", "are", "is", "do", "you", "have", "has", "been", "for", "each", "every", "share", "number", "last",
    "month", "year", "used", "use", "us", "describe", "give", "name", "kind", "type", "level", "quality",
    "current", "show", "much", "cover", "covered", "happen", "happened", "take", "taken", "make", "made", "get",
}  # fmt: skip
EXAMPLE_CUE = re.compile(r"\b(for example|for instance|e\.g\.|last (year|month|quarter)|recently|in 20\d\d|once we|"
                         r"when we|we had|there was|a case)\b", re.IGNORECASE)  # fmt: skip
QUESTION = re.compile(
    r"^\s*(are|is|do|does|did|what|how|why|who|can|could|should|would|will|was|were|have|has)\b.*\?\s*$",
    re.IGNORECASE | re.DOTALL,
)
NEGATED_AFTER = re.compile(
    r"[\w\s-]{0,25}?\b(is|are|was|were)?\s*(not|n't|never|isn'?t|aren'?t|wasn'?t|weren'?t)\s+"
    r"(yet\s+)?(tracked|trended|calculated|measured|used|reviewed|done|covered|included|monitored|recorded|in place|"
    r"written|defined|available|part)\b",
    re.IGNORECASE,
)
CURRENT = re.compile(r"\b(now|currently|today|at present|these days|this year|down to|up to|latest|most recent)\b",
                     re.IGNORECASE)  # fmt: skip


def stems(text: str) -> set[str]:
    return {stem(w) for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOPWORDS and len(w) > 1}


def field_cues(field: AnswerField) -> set[str]:
    hints = " ".join(field.cues)
    words = stems(f"{field.label} {field.follow_up or ''} {field.unit or ''} {field.id.replace('_', ' ')} {hints}")
    return {w for w in words if w not in GENERIC}


def _short_acronym(alias: str) -> bool:
    return alias.isupper() and len(alias) <= 3


def _single_aliases(option: Option) -> str:
    return " ".join(a for a in option.aliases if " " not in a.strip() and not _short_acronym(a.strip()))


def option_terms(option: Option, shared: frozenset[str] = frozenset()) -> tuple[set[str], set[str]]:
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


def shared_terms(options: list[Option]) -> frozenset[str]:
    counts: dict[str, int] = {}
    for o in options:
        for t in stems(f"{o.id.replace('_', ' ')} {o.label} {_single_aliases(o)}") - GENERIC:
            counts[t] = counts.get(t, 0) + 1
    return frozenset(t for t, n in counts.items() if n > 1)


def negated_before(clause: str, start: int, window: int = 60) -> bool:
    before = clause[max(0, start - window) : start]
    # the negation must be in the same clause part: "we do not X, but we do Y" does not negate Y
    before = re.split(r"(?i)\b(but|although|though|however|whereas|while)\b|[,;:]", before)[-1]
    return bool(NEGATION.search(before)) and not re.search(r"\b(not only|no longer than|no later)\b", before, re.I)


def negated_mention(clause: str, start: int, length: int) -> bool:
    """A mention negated before ("we don't use MES") or after ("invalidated OOS not tracked")."""
    return negated_before(clause, start) or bool(NEGATED_AFTER.match(clause, start + length))


def blank_injections(text: str) -> str:
    """Planted instructions replaced by spaces (same length, so offsets and spans stay those of the answer): tagged
    blocks whole, and otherwise the sentence from the planted words to its end."""
    out = list(text)

    def blank(start: int, end: int) -> None:
        out[start:end] = " " * (end - start)

    for m in re.finditer(r"(?is)<\s*(instruction|instructions|system|sys|prompt)\s*>.*?<\s*/\s*\1\s*>|"
                         r"<<\s*sys\s*>>.*?<<\s*/\s*sys\s*>>", text):  # fmt: skip
        blank(m.start(), m.end())
    for m in INJECTION.finditer(text):
        sentence_start = max(text.rfind(c, 0, m.start()) for c in ".!?\n") + 1
        ends = [i for i in (text.find(c, m.end()) for c in ".!?\n") if i >= 0]
        blank(sentence_start, (min(ends) + 1) if ends else len(text))
    return "".join(out)


def yes_no_value(field: AnswerField, clause: str, short_reply: bool, next_clause: str = "") -> tuple[str, str]:
    """(value, rule) of a yes/no field read from the clause that is about it."""
    if short_reply:
        if DENY.search(clause) and not PLANNED.search(clause) and not PARTLY.search(clause):
            return "no", "yes_no:reply_no"
        if AFFIRM.search(clause) and not PARTLY.search(clause) and not PLANNED.search(clause):
            return "yes", "yes_no:reply_yes"
    scoped = bool(SCOPED_PARTLY.search(clause))
    planned = not scoped and bool(PLANNED.search(clause))
    partly = scoped or bool(PARTLY.search(clause))
    negated = bool(NEGATION.search(clause))
    # "No written definition of a repeat yet; we're adding one in the next revision": not yet, but scheduled
    planned_after = negated and bool(next_clause and PLANNED.search(next_clause))
    if scoped and field.allow_partly:
        return "partly", "yes_no:partly_scoped"
    if (planned or planned_after) and field.allow_planned:
        return "planned", "yes_no:planned" if planned else "yes_no:planned_after"
    if partly and field.allow_partly:
        return "partly", "yes_no:partly_negated" if negated else "yes_no:partly"
    if negated or planned:
        return "no", "yes_no:negated"
    return "yes", "yes_no:affirmed"


def nearest_to_cues(clause: str, found: list[Found], cues: set[str]) -> Found:
    """Of several values in a clause, the one closest (in words) to a word of the field."""
    words = [(m.start(), stem(m.group(0).lower())) for m in re.finditer(r"[A-Za-z0-9]+", clause)]
    spots = [at for at, w in words if w in cues]
    if not spots:
        return found[0]
    return min(found, key=lambda f: (min(abs(f.start - at) for at in spots), f.start))

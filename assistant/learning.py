"""Learning what QMM expects: the Learn tab's overview and reading paths (content from ``corpus/learn.yaml``, checked
here with every problem reported at once), the links between notes and protocol questions, and practice rounds on
the example sites (a learner predicts a question's level; the rubric's level, trace and next step are the answer).

Pure: no I/O beyond reading the one content file handed in; the service loads notes, protocols and example sites.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import Issue, ProtocolError
from assistant.protocol.models import AnswerField, FieldType, Protocol, Question
from assistant.retrieval.notes import Note
from assistant.rubric import ConfirmedAnswer, QuestionScore

LEARN_FILE = "learn.yaml"


class OverviewSection(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    heading: str = Field(min_length=3, max_length=80)
    text: str = Field(min_length=40, max_length=900, description="Our own summary, built from the notes named.")
    sources: list[str] = Field(min_length=1, description="Source keys of corpus/sources.yaml behind the text.")
    notes: list[str] = Field(min_length=1, description="Notes to read next, in order.")


class LearnContent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(ge=1)
    overview: list[OverviewSection] = Field(min_length=1)
    paths: dict[str, list[str]] = Field(description="Practice area id -> note ids in reading order.")


def load_learn(path: Path, notes: Mapping[str, Note], source_keys: set[str], area_ids: Sequence[str]) -> LearnContent:
    """Read and check the Learn content; every problem at once in one ProtocolError."""
    name = path.name
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ProtocolError(f"the Learn content {path} could not be read: {exc.__class__.__name__}") from None
    try:
        content = LearnContent.model_validate(raw)
    except ValidationError as exc:
        issues = [Issue(name, ".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]
        raise ProtocolError(f"the Learn content {path} is not valid", issues) from None
    issues = learn_issues(content, notes, source_keys, area_ids, name)
    if issues:
        raise ProtocolError(f"the Learn content {path} is not valid", issues)
    return content


def learn_issues(content: LearnContent, notes: Mapping[str, Note], source_keys: set[str], area_ids: Sequence[str],
                 name: str = LEARN_FILE) -> list[Issue]:  # fmt: skip
    issues: list[Issue] = []
    for i, section in enumerate(content.overview):
        where = f"overview.{i} ({section.heading})"
        issues += [Issue(name, where, f"unknown source key {k!r}") for k in section.sources if k not in source_keys]
        issues += [Issue(name, where, f"unknown note {n!r}") for n in section.notes if n not in notes]
    for area in area_ids:
        if not content.paths.get(area):
            issues.append(Issue(name, f"paths.{area}", "this practice area has no reading path"))
    for area, ids in content.paths.items():
        if area not in area_ids:
            issues.append(Issue(name, f"paths.{area}", f"unknown practice area (known: {', '.join(area_ids)})"))
            continue
        seen: set[str] = set()
        for n in ids:
            if n in seen:
                issues.append(Issue(name, f"paths.{area}", f"note {n!r} is listed twice"))
            seen.add(n)
            if n not in notes:
                issues.append(Issue(name, f"paths.{area}", f"unknown note {n!r}"))
            elif area not in notes[n].meta.areas:
                issues.append(Issue(name, f"paths.{area}", f"note {n!r} is not about this area (its areas: "
                                                           f"{', '.join(notes[n].meta.areas)})"))  # fmt: skip
    return issues


# --- notes <-> questions -----------------------------------------------------------------------------------------
class NoteLink(BaseModel):
    note_id: str
    title: str
    source: str = Field(description="The source document's name.")
    url: str | None = None
    year: int
    confidence: str
    questions: list[str] = Field(default_factory=list, description="Active protocol questions this note informs.")


def note_links(notes: Iterable[Note], protocol: Protocol,
               sources: Mapping[str, tuple[str, str | None]]) -> dict[str, NoteLink]:  # fmt: skip
    """Every note with its source and the active questions it informs.

    A note informs a question when the note names it (``questions``, written for version 1) or the active
    protocol's question names the note (``guidance_refs``), so a newer protocol's links count too.
    """
    active = [q.id for q in protocol.active_questions]
    refs = {q.id: set(q.guidance_refs) for q in protocol.active_questions}
    out = {}
    for note in notes:
        title, url = sources.get(note.meta.source, (note.meta.source, None))
        linked = [q for q in active if q in note.meta.questions or note.meta.id in refs[q]]
        out[note.meta.id] = NoteLink(note_id=note.meta.id, title=note.meta.title, source=title, url=url,
                                     year=note.meta.year, confidence=note.meta.confidence,
                                     questions=linked)  # fmt: skip
    return out


def question_notes(links: Mapping[str, NoteLink], question_id: str) -> list[NoteLink]:
    """The notes that inform a question, primary sources first, then newest first."""
    found = [link for link in links.values() if question_id in link.questions]
    return sorted(found, key=lambda n: (n.confidence != "primary", -n.year, n.note_id))


class PathStep(BaseModel):
    step: int
    note: NoteLink
    questions: list[tuple[str, str]] = Field(default_factory=list, description="(id, topic) of this area's questions.")


class ReadingPath(BaseModel):
    area: str
    name: str
    steps: list[PathStep]
    unlinked: list[tuple[str, str]] = Field(
        default_factory=list, description="This area's questions no note on the path informs."
    )


def reading_path(content: LearnContent, links: Mapping[str, NoteLink], protocol: Protocol, area: str) -> ReadingPath:
    meta = protocol.area(area)
    if meta is None:
        raise ProtocolError(f"no practice area {area!r} in {protocol.ref}")
    questions = [q for q in protocol.active_questions if q.area == area]
    steps, covered = [], set()
    for step, note_id in enumerate(content.paths.get(area, []), start=1):
        link = links[note_id]
        informed = [(q.id, q.topic) for q in questions if q.id in link.questions]
        covered |= {q for q, _ in informed}
        steps.append(PathStep(step=step, note=link, questions=informed))
    unlinked = [(q.id, q.topic) for q in questions if q.id not in covered]
    return ReadingPath(area=area, name=meta.name, steps=steps, unlinked=unlinked)


# --- practice ----------------------------------------------------------------------------------------------------
class PracticeCard(BaseModel):
    """One example answer to predict the level of: a question of an example site, the values as the site gave them."""

    id: str = Field(description="example:question, e.g. middling:MC-01.")
    example: str
    site: str
    question_id: str
    area: str
    topic: str
    question: str
    lines: list[str] = Field(description="The answer as the site gave it: 'Field label: value', one per field.")


def shown_value(field: AnswerField, value: Any) -> str:
    """A stated value as a reader would say it: option labels, lists joined, yearly values by year with the target."""
    labels = {o.id: o.label for o in field.options or []}
    unit = "" if not field.unit else field.unit if field.unit == "%" else f" {field.unit}"
    if isinstance(value, Mapping):
        years = [f"{k}: {_number(v)}{unit}" for k, v in sorted(value.items(), key=str) if str(k) != "target"]
        target = f" (target {_number(value['target'])}{unit})" if value.get("target") is not None else ""
        return ", ".join(years) + target
    if isinstance(value, list | tuple):
        items = [labels.get(str(v), str(v).replace("_", " ")) for v in value]
        return "; ".join(items) if field.type is FieldType.EVIDENCE_LIST else ", ".join(items)
    if field.type is FieldType.PERCENTAGE:
        return f"{_number(value)}%"
    if field.type is FieldType.COUNT:
        return f"{_number(value)}{unit}"
    if field.type is FieldType.FREE_TEXT:
        return str(value)
    return labels.get(str(value), str(value).replace("_", " "))


def _number(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def card_lines(question: Question, values: Mapping[str, Any]) -> list[str]:
    """'Field label: value' for each stated value, in protocol order (a card, a brief, what was heard)."""
    lines = []
    for f in question.fields:
        value = values.get(f.id)
        if value is None or value == [] or value == {}:
            continue
        lines.append(f"{f.label}: {shown_value(f, value)}")
    return lines


def practice_cards(protocol: Protocol, examples: Mapping[str, tuple[str, dict[str, ConfirmedAnswer]]],
                   scores: Mapping[str, Mapping[str, QuestionScore]]) -> list[PracticeCard]:  # fmt: skip
    """A card for every scored question of every example site (``examples``: name -> (site, answers); ``scores``:
    name -> question id -> score). Questions not applicable, N/A or not assessed make no card."""
    cards = []
    for name, (site, answers) in sorted(examples.items()):
        for q in protocol.active_questions:
            score = scores.get(name, {}).get(q.id)
            if score is None or score.status != "scored" or q.id not in answers:
                continue
            cards.append(PracticeCard(id=f"{name}:{q.id}", example=name, site=site, question_id=q.id, area=q.area,
                                      topic=q.topic, question=q.text,
                                      lines=card_lines(q, answers[q.id].values)))  # fmt: skip
    return cards


def card_order(cards: Sequence[PracticeCard], seed: str = "qmm-practice") -> list[PracticeCard]:
    """A fixed shuffled order (the same for everyone, so sites and levels are mixed, never by file order)."""
    return sorted(cards, key=lambda c: hashlib.sha256(f"{seed}:{c.id}".encode()).hexdigest())


def next_card(cards: Sequence[PracticeCard], done: Mapping[str, int], area: str | None = None) -> PracticeCard | None:
    """The first card in the fixed order this learner has tried least often (of one area when given)."""
    pool = [c for c in card_order(cards) if area in (None, "", c.area)]
    if not pool:
        return None
    least = min(done.get(c.id, 0) for c in pool)
    return next(c for c in pool if done.get(c.id, 0) == least)


class Attempt(BaseModel):
    card: str
    area: str
    predicted: int
    level: int


class AreaAgreement(BaseModel):
    area: str
    name: str
    tried: int
    agreed: int
    within_one: int

    @property
    def share(self) -> float | None:
        return self.agreed / self.tried if self.tried else None


def agreement(protocol: Protocol, attempts: Iterable[Attempt]) -> list[AreaAgreement]:
    """Per practice area: how many rounds, how many with the rubric's level exactly, how many one level off at most."""
    rows = {a.id: AreaAgreement(area=a.id, name=a.name, tried=0, agreed=0, within_one=0) for a in protocol.meta.areas}
    for t in attempts:
        row = rows.get(t.area)
        if row is None:
            continue
        row.tried += 1
        row.agreed += t.predicted == t.level
        row.within_one += abs(t.predicted - t.level) <= 1
    return list(rows.values())


class PracticeResult(BaseModel):
    card: PracticeCard
    predicted: int
    score: QuestionScore
    agreed: bool
    next_needs: list[str] = Field(description="What the next level needs that this answer lacks (the rubric's why).")
    level_needs: list[str] = Field(description="What the rubric's level needed, as met by this answer.")


def practice_result(card: PracticeCard, predicted: int, score: QuestionScore) -> PracticeResult:
    level = score.level or 1
    needs = [r.why or r.describe() for r in score.trace if r.level == level and r.met]
    nxt = [r.why or r.describe() for r in score.missing_for_next]
    return PracticeResult(card=card, predicted=predicted, score=score, agreed=predicted == level,
                          next_needs=list(dict.fromkeys(nxt)), level_needs=list(dict.fromkeys(needs)))  # fmt: skip

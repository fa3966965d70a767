"""Guidance notes in ``corpus/``: Markdown with YAML front-matter, validated with every error reported at once."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from assistant.errors import Issue, ProtocolError
from assistant.retrieval.models import Chunk

SOURCES_FILE = "sources.yaml"
NoteId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*[a-z0-9]$", max_length=100)]
MIN_WORDS, MAX_WORDS = 40, 400


class NoteMeta(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: NoteId
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=5)]
    source: str
    section: str | None = None
    year: int = Field(ge=1990, le=2100)
    areas: list[str] = Field(min_length=1)
    questions: list[str] = Field(default_factory=list)
    confidence: Literal["primary", "secondary", "uncertain"] = "primary"


class Note(BaseModel):
    meta: NoteMeta
    body: str
    path: Path


def note_files(corpus_dir: Path) -> list[Path]:
    return sorted(p for p in corpus_dir.glob("*.md") if p.name.lower() != "readme.md")


def load_note_ids(corpus_dir: Path) -> set[str] | None:
    """Ids of the notes in a corpus folder (file stem = id), or None when the folder has no notes."""
    files = note_files(corpus_dir) if corpus_dir.is_dir() else []
    return {p.stem for p in files} or None


SOURCE_URL = re.compile(r"\s*<(https?://[^>\s]+)>\s*$")


def split_source(raw: str) -> tuple[str, str | None]:
    """'Document name <https://...>' (a sources.yaml value) -> (document name, public URL or None)."""
    m = SOURCE_URL.search(raw)
    return (SOURCE_URL.sub("", raw), m.group(1)) if m else (raw, None)


def load_sources(corpus_dir: Path) -> dict[str, str]:
    """Source key -> document name, from ``corpus/sources.yaml``."""
    path = corpus_dir / SOURCES_FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    return {str(k): str(v) for k, v in (data or {}).items()}


def split_front_matter(text: str) -> tuple[str, str] | None:
    if not text.startswith("---"):
        return None
    parts = text.split("\n---", 2)
    if len(parts) < 2:
        return None
    head = parts[0][3:]
    body = parts[1].split("\n", 1)[1] if "\n" in parts[1] else ""
    return head, body


def load_notes(corpus_dir: Path, area_ids: set[str] | None = None) -> tuple[list[Note], list[Issue]]:
    """Every note, and every problem found (front-matter, unknown source or area, id vs file name, length)."""
    sources = load_sources(corpus_dir)
    notes: list[Note] = []
    issues: list[Issue] = []
    if not sources:
        issues.append(Issue(str(corpus_dir / SOURCES_FILE), "", "missing or empty source-key registry"))
    for path in note_files(corpus_dir):
        label = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            issues.append(Issue(label, "", f"cannot read note: {exc}"))
            continue
        split = split_front_matter(text)
        if split is None:
            issues.append(Issue(label, "", "no YAML front-matter between '---' lines"))
            continue
        head, body = split
        try:
            meta = NoteMeta.model_validate(yaml.safe_load(head))
        except yaml.YAMLError as exc:
            issues.append(Issue(label, "front-matter", f"malformed YAML: {exc}"))
            continue
        except ValidationError as exc:
            issues += [Issue(label, ".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]
            continue
        if meta.id != path.stem:
            issues.append(Issue(label, "id", f"id '{meta.id}' differs from the file name '{path.stem}'"))
        if sources and meta.source not in sources:
            issues.append(Issue(label, "source", f"unknown source key '{meta.source}'"))
        if area_ids is not None:
            issues += [Issue(label, "areas", f"unknown practice area '{a}'") for a in meta.areas if a not in area_ids]
        words = len(body.split())
        if not MIN_WORDS <= words <= MAX_WORDS:
            issues.append(Issue(label, "body", f"{words} words; a note has {MIN_WORDS} to {MAX_WORDS}"))
        notes.append(Note(meta=meta, body=body.strip(), path=path))
    return notes, issues


def note_chunk(note: Note) -> Chunk:
    """A note is one passage: it is written to be cited whole."""
    m = note.meta
    paragraphs = re.split(r"\n\s*\n", note.body)
    text = "\n\n".join(unwrap(p) for p in paragraphs if p.strip())
    return Chunk(
        id=m.id,
        collection="guidance",
        text=text,
        title=m.title,
        source=m.source,
        section=m.section,
        path=str(note.path),
        areas=tuple(m.areas),
    )


LIST_START = re.compile(r"^\s*(?:[-*]|\d{1,2}[.)])\s+")


def unwrap(paragraph: str) -> str:
    """A hard-wrapped paragraph as one line; a list keeps one line per item (its wrapped lines joined)."""
    lines: list[str] = []
    for raw in paragraph.splitlines():
        line = " ".join(raw.split())
        if not line:
            continue
        if LIST_START.match(raw) or not lines:
            lines.append(line)
        else:
            lines[-1] += " " + line
    return "\n".join(lines)


def corpus_fingerprint(corpus_dir: Path) -> str:
    """Hash of every note file and the source registry: the index is stale when it changes."""
    digest = hashlib.sha256()
    for path in [*note_files(corpus_dir), corpus_dir / SOURCES_FILE]:
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def require_notes(corpus_dir: Path, area_ids: set[str] | None = None) -> list[Note]:
    notes, issues = load_notes(corpus_dir, area_ids)
    if issues:
        raise ProtocolError(f"the corpus at {corpus_dir} has {len(issues)} error(s):", issues)
    return notes

"""Guidance notes in ``corpus/``: Markdown files with YAML front-matter (see corpus/README.md)."""

from __future__ import annotations

from pathlib import Path


def note_files(corpus_dir: Path) -> list[Path]:
    return sorted(p for p in corpus_dir.glob("*.md") if p.name.lower() != "readme.md")


def load_note_ids(corpus_dir: Path) -> set[str] | None:
    """Ids of the notes in a corpus folder (file stem = id), or None when the folder has no notes."""
    files = note_files(corpus_dir) if corpus_dir.is_dir() else []
    return {p.stem for p in files} or None

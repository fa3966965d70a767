"""Released protocol versions are frozen: a content hash per version folder, recorded in its CHANGELOG.

The hash covers every file of the version folder (questions, protocol.yaml, the generated schema) except the two
prose files that may still grow after release, ``README.md`` and ``CHANGELOG.md`` at the top of the folder. It is
sha256 over, for each file in sorted relative-path order: the path (POSIX, UTF-8), a NUL byte, the byte length in
decimal, a NUL byte, and the file's bytes. Renaming, adding or removing a file changes it as much as editing one.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

UNHASHED = frozenset({"README.md", "CHANGELOG.md"})
CHANGELOG_HASH = re.compile(r"released content hash: (sha256:[0-9a-f]{64})")


def content_files(folder: Path) -> list[Path]:
    """The files the hash covers, sorted by relative POSIX path."""
    folder = Path(folder)
    files = [p for p in folder.rglob("*") if p.is_file() and p.relative_to(folder).as_posix() not in UNHASHED]
    return sorted(files, key=lambda p: p.relative_to(folder).as_posix())


def content_hash(folder: Path) -> str:
    """``sha256:<hex>`` over the version folder's content (see the module docstring)."""
    folder = Path(folder)
    digest = hashlib.sha256()
    for path in content_files(folder):
        data = path.read_bytes()
        digest.update(path.relative_to(folder).as_posix().encode("utf-8") + b"\0")
        digest.update(str(len(data)).encode("ascii") + b"\0")
        digest.update(data)
    return f"sha256:{digest.hexdigest()}"


def recorded_hash(folder: Path) -> str | None:
    """The released content hash named in the folder's CHANGELOG.md, or None for an unreleased version."""
    changelog = Path(folder) / "CHANGELOG.md"
    if not changelog.is_file():
        return None
    found = CHANGELOG_HASH.findall(changelog.read_text(encoding="utf-8"))
    return found[-1] if found else None

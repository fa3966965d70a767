"""Evidence files: stored by their SHA-256 under the data directory, never overwritten, typed by their content.

A file's name is only a label: it is never used as a path. The bytes land at ``<root>/<sha[:2]>/<sha>`` (written to
a temporary file first and moved into place, so a crash leaves no half file); the same content uploaded twice is
stored once. Accepted types, by their first bytes (never by the name): PDF, DOCX, XLSX, PNG, JPEG, and UTF-8 text.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import zipfile
from io import BytesIO
from pathlib import Path

from assistant.errors import AssistantError

MAX_EVIDENCE_BYTES = 20 * 1024 * 1024  # a scanned SOP or a metrics pack; larger files stay where they are
SHA = re.compile(r"^[0-9a-f]{64}$")


class EvidenceRefused(AssistantError):
    """The file is empty, too large, or not a type we keep."""


def media_type(data: bytes) -> str | None:
    """The file's type from its content, or None when it is not one we keep."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(BytesIO(data)).namelist())
        except (zipfile.BadZipFile, ValueError):
            return None
        if "word/document.xml" in names:
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        if "xl/workbook.xml" in names:
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text/plain" if "\x00" not in text else None


def store_file(root: Path, data: bytes, max_bytes: int = MAX_EVIDENCE_BYTES) -> tuple[str, int, str]:
    """Keep the bytes (once per content); (sha256, size, media type). Raises ``EvidenceRefused``."""
    if not data:
        raise EvidenceRefused("The file is empty.")
    if len(data) > max_bytes:
        raise EvidenceRefused(f"The file is {len(data):,} bytes; evidence files may be at most {max_bytes:,} bytes.")
    kind = media_type(data)
    if kind is None:
        raise EvidenceRefused("The file is not a PDF, Word or Excel document, PNG or JPEG image, or UTF-8 text.")
    sha = hashlib.sha256(data).hexdigest()
    target = root / sha[:2] / sha
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
            tmp.write(data)
        os.replace(tmp.name, target)  # the same content twice lands on the same name: nothing is overwritten
    return sha, len(data), kind


def read_file(root: Path, sha: str) -> bytes:
    if not SHA.match(sha):
        raise EvidenceRefused("Not an evidence file reference.")
    path = root / sha[:2] / sha
    if not path.is_file():
        raise EvidenceRefused("That evidence file is not in this data directory.")
    return path.read_bytes()

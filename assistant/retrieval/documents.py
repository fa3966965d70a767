"""The site's own documents -> chunks that keep file, page and heading for citations.

Readers: Markdown, plain text, HTML, PDF (page numbers), DOCX (headings). Each raises ``DocumentError`` with a one-line
reason for a corrupt, encrypted, empty or unsupported file, so one bad file never stops the others.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from assistant.errors import RetrievalError
from assistant.retrieval.models import Chunk

SUPPORTED = {".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".docx"}
MAX_FILE_BYTES = 50_000_000
CHUNK_WORDS = 180
SITE_SOURCE = "site-document"


class DocumentError(RetrievalError):
    """A document could not be read; the message says why in one line."""


@dataclass(frozen=True)
class Section:
    text: str
    page: int | None = None
    heading: str | None = None


@dataclass
class Document:
    sections: list[Section]
    title: str | None = None


HEADING_LINE = re.compile(r"^(\d+(\.\d+)*\.?|[A-Z]\.)\s+[A-Z][^.!?]{2,80}$")


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def read_markdown(path: Path) -> Document:
    sections: list[Section] = []
    heading: str | None = None
    title: str | None = None
    lines: list[str] = []
    for line in _read_text(path).splitlines():
        match = re.match(r"^\s{0,3}(#{1,6})\s+(.*)$", line)
        if match:
            if "".join(lines).strip():
                sections.append(Section("\n".join(lines).strip(), heading=heading))
            heading, lines = match.group(2).strip().strip("#").strip(), []
            if match.group(1) == "#" and title is None:
                title = heading
        else:
            lines.append(line)
    if "".join(lines).strip():
        sections.append(Section("\n".join(lines).strip(), heading=heading))
    return Document(sections, title)


def read_plain(path: Path) -> Document:
    text = _read_text(path).strip()
    return Document([Section(text)] if text else [])


class _HTMLText(HTMLParser):
    SKIP = {"script", "style", "noscript", "head"}
    HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
    BLOCKS = {"p", "div", "li", "tr", "br", "section", "article", "table", "ul", "ol"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[Section] = []
        self.heading: str | None = None
        self.buffer: list[str] = []
        self.heading_buffer: list[str] | None = None
        self.title: str | None = None
        self.in_title = False
        self.skipping = 0

    def flush(self) -> None:
        text = re.sub(r"[ \t]+", " ", "".join(self.buffer))
        text = re.sub(r"\n\s*\n+", "\n\n", text).strip()
        if text:
            self.sections.append(Section(text, heading=self.heading))
        self.buffer = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self.in_title = True
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.HEADINGS:
            self.flush()
            self.heading_buffer = []
        elif tag in self.BLOCKS:
            self.buffer.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.HEADINGS and self.heading_buffer is not None:
            self.heading = " ".join("".join(self.heading_buffer).split()) or self.heading
            self.heading_buffer = None
        elif tag in self.BLOCKS:
            self.buffer.append("\n")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title = " ".join(f"{self.title or ''} {data}".split()) or None
        if self.skipping:
            return
        if self.heading_buffer is not None:
            self.heading_buffer.append(data)
        else:
            self.buffer.append(data)


def read_html(path: Path) -> Document:
    parser = _HTMLText()
    parser.feed(_read_text(path))
    parser.close()
    parser.flush()
    return Document(parser.sections, parser.title)


def read_pdf(path: Path) -> Document:
    """One section per page with its number; the heading is the first numbered heading line on the page, or the
    last one seen on an earlier page (so a passage can be cited as 'Quality Manual, p. 12, 4.2 Management review')."""
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError("the PDF is encrypted (password protected)")
        meta_title = (reader.metadata.title if reader.metadata else None) or None
        sections = []
        heading: str | None = None
        for number, page in enumerate(reader.pages, start=1):
            text = (page.extract_text() or "").strip()
            if not text:
                continue
            found = [line.strip() for line in text.splitlines() if HEADING_LINE.match(line.strip())]
            heading = found[0] if found else heading
            sections.append(Section(text, page=number, heading=heading))
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(f"not a readable PDF ({type(exc).__name__}: {str(exc)[:80]})") from None
    except Exception as exc:  # pypdf raises many types on damaged files  # noqa: BLE001
        raise DocumentError(f"not a readable PDF ({type(exc).__name__})") from None
    return Document(sections, str(meta_title) if meta_title else None)


def read_docx(path: Path) -> Document:
    import zipfile

    import docx

    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError(f"not a readable DOCX ({type(exc).__name__})") from None
    except Exception as exc:  # noqa: BLE001
        raise DocumentError(f"not a readable DOCX ({type(exc).__name__})") from None
    sections: list[Section] = []
    heading: str | None = None
    title: str | None = document.core_properties.title or None
    lines: list[str] = []
    for para in document.paragraphs:
        style = (para.style.name if para.style is not None else "") or ""
        text = para.text.strip()
        if style.lower() == "title" and text and title is None:
            title = text
        elif style.lower().startswith("heading") and text:
            if lines:
                sections.append(Section("\n".join(lines), heading=heading))
            heading, lines = text, []
        elif text:
            lines.append(text)
    for table in document.tables:
        rows = [" | ".join(cell.text.strip() for cell in row.cells) for row in table.rows]
        if any(r.strip(" |") for r in rows):
            lines.append("\n".join(rows))
    if lines:
        sections.append(Section("\n".join(lines), heading=heading))
    return Document(sections, title)


READERS: dict[str, Callable[[Path], Document]] = {
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".txt": read_plain,
    ".html": read_html,
    ".htm": read_html,
    ".pdf": read_pdf,
    ".docx": read_docx,
}


def _windows(text: str, size: int = CHUNK_WORDS) -> list[str]:
    """Split text into passages of about ``size`` words, keeping paragraphs whole where they fit."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    out: list[str] = []
    current: list[str] = []
    count = 0
    for para in paragraphs:
        words = para.split()
        if len(words) > size:  # a very long paragraph: cut it by words
            if current:
                out.append("\n\n".join(current))
                current, count = [], 0
            out += [" ".join(words[i : i + size]) for i in range(0, len(words), size)]
            continue
        if count + len(words) > size and current:
            out.append("\n\n".join(current))
            current, count = [], 0
        current.append(para)
        count += len(words)
    if current:
        out.append("\n\n".join(current))
    return out


def document_title(path: Path) -> str:
    return re.sub(r"[_-]+", " ", path.stem).strip() or path.name


def read_document(path: Path) -> list[Chunk]:
    """Chunks of one site document, or ``DocumentError`` saying why it cannot be used."""
    suffix = path.suffix.lower()
    if suffix not in READERS:
        raise DocumentError(f"unsupported file type '{suffix or path.name}' (use {', '.join(sorted(SUPPORTED))})")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DocumentError(f"cannot read the file ({exc.strerror})") from None
    if size == 0:
        raise DocumentError("the file is empty")
    if size > MAX_FILE_BYTES:
        raise DocumentError(f"the file is {size // 1_000_000} MB; the limit is {MAX_FILE_BYTES // 1_000_000} MB")
    document = READERS[suffix](path)
    sections = document.sections
    if not sections:
        raise DocumentError("no text found (a scanned image without text, or an empty document)")
    digest = file_hash(path)
    resolved = str(path.resolve())
    prefix = hashlib.sha1(resolved.encode()).hexdigest()[:12]
    title = document.title or document_title(path)
    chunks: list[Chunk] = []
    for section in sections:
        for text in _windows(section.text):
            chunks.append(
                Chunk(
                    id=f"site-{prefix}-{len(chunks):04d}",
                    collection="site",
                    text=text,
                    title=title,
                    source=SITE_SOURCE,
                    page=section.page,
                    heading=section.heading,
                    path=resolved,
                    file_hash=digest,
                )
            )
    return chunks

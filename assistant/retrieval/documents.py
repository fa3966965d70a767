"""The site's own documents -> chunks that keep file, page and heading for citations.

Readers: Markdown, plain text, HTML, PDF (page numbers), DOCX (headings). Any input gives chunks or a
``DocumentError`` with a one-line reason (corrupt, encrypted, empty, unsupported, too big, too slow), so one bad file
never stops the others. The limits (``assistant.safe_input.LIMITS``): only regular files, at most 50 MB each; a DOCX
is refused before python-docx parses it when its parts would inflate past 200 MB or number over 2,000, or its XML
would be over 20 MB or 1,000,000 elements; each reader checks a time budget between pages, paragraphs, table rows
and HTML chunks; any parser exception (a RecursionError from parts that nest without end included) becomes that
file's error.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from assistant.errors import RetrievalError
from assistant.retrieval.models import Chunk
from assistant.safe_input import LIMITS, Deadline, InputLimits, InputRefused, megabytes, read_regular_file

SUPPORTED = {".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".docx"}
CHUNK_WORDS = 180
SITE_SOURCE = "site-document"
MAX_TITLE_CHARS = 200  # titles and headings longer than this are cut (a hostile file can make them megabytes)
HTML_FEED_CHARS = 1_000_000  # the HTML parser is fed this much at a time, with a time check between feeds


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
MARKDOWN_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*)$")


def _cut(text: str | None) -> str | None:
    return text[:MAX_TITLE_CHARS].strip() or None if text else None


def _read_bytes(path: Path, limits: InputLimits = LIMITS) -> bytes:
    """The file's bytes: a regular file of at most ``limits.document_bytes``, else ``DocumentError``."""
    try:
        return read_regular_file(path, limits.document_bytes)
    except InputRefused as exc:
        raise DocumentError(f"the file {exc}") from None


def file_hash(path: Path, limits: InputLimits = LIMITS) -> str:
    return hashlib.sha256(_read_bytes(path, limits)).hexdigest()


def _text(data: bytes) -> str:
    """UTF-8 text (BOM dropped), else Latin-1; a NUL byte means the file is binary, not text."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if "\x00" in text:
        raise DocumentError("the file contains NUL bytes: it is binary, not text")
    return text


def read_markdown(data: bytes, limits: InputLimits, deadline: Deadline) -> Document:
    sections: list[Section] = []
    heading: str | None = None
    title: str | None = None
    lines: list[str] = []
    for number, line in enumerate(_text(data).splitlines()):
        if number % 1000 == 0:
            deadline.check(f"line {number + 1}")
        match = MARKDOWN_HEADING.match(line)
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


def read_plain(data: bytes, limits: InputLimits, deadline: Deadline) -> Document:
    text = _text(data).strip()
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
            self.heading = _cut(" ".join("".join(self.heading_buffer).split())) or self.heading
            self.heading_buffer = None
        elif tag in self.BLOCKS:
            self.buffer.append("\n")

    def handle_data(self, data: str) -> None:
        if self.in_title and len(self.title or "") < MAX_TITLE_CHARS:  # an unclosed <title> must not grow forever
            self.title = _cut(" ".join(f"{self.title or ''} {data[:MAX_TITLE_CHARS]}".split()))
        if self.skipping:
            return
        if self.heading_buffer is not None:
            self.heading_buffer.append(data)
        else:
            self.buffer.append(data)


def read_html(data: bytes, limits: InputLimits, deadline: Deadline) -> Document:
    parser = _HTMLText()
    text = _text(data)
    for start in range(0, len(text), HTML_FEED_CHARS):
        deadline.check(f"character {start:,}")
        parser.feed(text[start : start + HTML_FEED_CHARS])
    parser.close()
    parser.flush()
    return Document(parser.sections, parser.title)


def read_pdf(data: bytes, limits: InputLimits, deadline: Deadline) -> Document:
    """One section per page with its number; the heading is the first numbered heading line on the page, or the
    last one seen on an earlier page (so a passage can be cited as 'Quality Manual, p. 12, 4.2 Management review').

    The time budget is checked between pages and, through pypdf's operator visitor, while a page's text is read.
    """
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted and not reader.decrypt(""):
        raise DocumentError("the PDF is encrypted (password protected)")
    meta_title = (reader.metadata.title if reader.metadata else None) or None
    sections = []
    heading: str | None = None
    for number, page in enumerate(reader.pages, start=1):
        where = f"page {number}"
        deadline.check(where)

        def visit(*_: Any, where: str = where) -> None:
            deadline.check(where)

        text = (page.extract_text(visitor_operand_before=visit) or "").strip()
        if not text:
            continue
        # pypdf keeps every decoded stream in its object cache: up to 75 MB a page, so a small file of many
        # "bomb" pages would add up to gigabytes. Pages are read once, so the cache is dropped after each.
        getattr(reader, "resolved_objects", {}).clear()
        found = [line.strip() for line in text.splitlines() if HEADING_LINE.match(line.strip())]
        heading = found[0] if found else heading
        sections.append(Section(text, page=number, heading=heading))
    return Document(sections, _cut(str(meta_title)) if meta_title else None)


def _check_zip(data: bytes, limits: InputLimits) -> None:
    """Refuse a zip bomb from the zip directory alone, before any part is inflated."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
        if len(members) > limits.docx_members:
            raise DocumentError(f"the DOCX has {len(members):,} parts; the limit is {limits.docx_members:,}")
        inflated = sum(m.file_size for m in members)
        if inflated > limits.docx_inflated_bytes:
            raise DocumentError(
                f"the DOCX would inflate to {megabytes(inflated)}; the limit is {megabytes(limits.docx_inflated_bytes)}"
            )
        xml = [m for m in members if m.filename.lower().endswith((".xml", ".rels"))]
        xml_bytes = sum(m.file_size for m in xml)
        if xml_bytes > limits.docx_xml_bytes:
            limit = megabytes(limits.docx_xml_bytes)
            raise DocumentError(f"the DOCX's XML would inflate to {megabytes(xml_bytes)}; the limit is {limit}")
        elements = sum(archive.read(m).count(b"<") for m in xml)  # at most docx_xml_bytes inflated, in C
        if elements > limits.docx_xml_elements:
            raise DocumentError(
                f"the DOCX has about {elements:,} XML elements; the limit is {limits.docx_xml_elements:,}"
            )


def _paragraph_style_names(styles: Any) -> tuple[dict[str, str], str]:
    """Paragraph style id -> name, and the default paragraph style's name, read once from ``w:styles``."""
    from docx.oxml.ns import qn

    names: dict[str, str] = {}
    default = ""
    for element in styles.iterchildren(qn("w:style")):
        if element.get(qn("w:type"), "paragraph") != "paragraph":
            continue
        name_element = element.find(qn("w:name"))
        name = (name_element.get(qn("w:val")) if name_element is not None else None) or ""
        style_id = element.get(qn("w:styleId"))
        if style_id:
            names.setdefault(style_id, name)  # python-docx also takes the first style with an id
        if element.get(qn("w:default")) in ("1", "true", "on"):
            default = name
    return names, default


def read_docx(data: bytes, limits: InputLimits, deadline: Deadline) -> Document:
    """Paragraphs under their headings, then table rows. Style names are read once per style id (python-docx
    looks a paragraph's style up by scanning every style, which made a 96 KB file take minutes)."""
    import docx

    _check_zip(data, limits)
    document = docx.Document(io.BytesIO(data))
    names, default_name = _paragraph_style_names(document.styles.element)
    sections: list[Section] = []
    heading: str | None = None
    title = _cut(document.core_properties.title)
    lines: list[str] = []
    for number, para in enumerate(document.paragraphs, start=1):
        if number % 100 == 0:
            deadline.check(f"paragraph {number}")
        style_id = para._p.style  # the id only; python-docx's para.style scans all styles per paragraph
        style = (names.get(style_id, default_name) if style_id else default_name).lower()
        text = para.text.strip()
        if style == "title" and text and title is None:
            title = _cut(text)
        elif style.startswith("heading") and text:
            if lines:
                sections.append(Section("\n".join(lines), heading=heading))
            heading, lines = _cut(text), []
        elif text:
            lines.append(text)
    for table in document.tables:
        rows = []
        for number, row in enumerate(table._tbl.tr_lst, start=1):  # row.cells rebuilds the whole grid per row
            if number % 100 == 0:
                deadline.check(f"table row {number}")
            rows.append(" | ".join("\n".join(p.text for p in tc.p_lst).strip() for tc in row.tc_lst))
        if any(r.strip(" |") for r in rows):
            lines.append("\n".join(rows))
    if lines:
        sections.append(Section("\n".join(lines), heading=heading))
    return Document(sections, title)


Reader = Callable[[bytes, InputLimits, Deadline], Document]
READERS: dict[str, Reader] = {
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".txt": read_plain,
    ".html": read_html,
    ".htm": read_html,
    ".pdf": read_pdf,
    ".docx": read_docx,
}
KINDS = {".pdf": "PDF", ".docx": "DOCX", ".html": "HTML", ".htm": "HTML"}


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


def read_document(path: Path, limits: InputLimits = LIMITS) -> list[Chunk]:
    """Chunks of one site document, or ``DocumentError`` saying why it cannot be used (never another exception)."""
    suffix = path.suffix.lower()
    if suffix not in READERS:
        raise DocumentError(f"unsupported file type '{suffix or path.name}' (use {', '.join(sorted(SUPPORTED))})")
    data = _read_bytes(path, limits)
    if not data:
        raise DocumentError("the file is empty")
    kind = KINDS.get(suffix, "text file")
    try:
        document = READERS[suffix](data, limits, Deadline(limits.document_seconds))
    except DocumentError:
        raise
    except InputRefused as exc:
        raise DocumentError(f"the file {exc}") from None
    except RecursionError:
        raise DocumentError(f"not a readable {kind}: its parts nest without end") from None
    except MemoryError:
        raise DocumentError(f"not a readable {kind}: it needs more memory than there is") from None
    except Exception as exc:  # parsers raise many types on damaged files; each is this file's error
        reason = " ".join(str(exc).split())[:80]
        raise DocumentError(f"not a readable {kind} ({type(exc).__name__}{': ' + reason if reason else ''})") from None
    sections = document.sections
    if not sections:
        raise DocumentError("no text found (a scanned image without text, or an empty document)")
    digest = hashlib.sha256(data).hexdigest()
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

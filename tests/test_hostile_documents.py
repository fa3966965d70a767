"""Hostile site documents, built in tmp_path, against ingestion: each gives chunks or a ``DocumentError`` with a
sentence, quickly and without allocating what the file asks for, and ``ingest`` goes on past every one of them.

Timings are printed with ``pytest -s``.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.errors import AssistantError
from assistant.retrieval.documents import DocumentError, read_document
from assistant.retrieval.index import GuidanceIndex
from assistant.safe_input import InputLimits
from assistant.service import AssessmentService
from assistant.settings import Settings
from tests.docgen import write_docx, write_pdf
from tests.test_hostile_files import TIMINGS, make, mib_rss, timed

# --- site documents --------------------------------------------------------------------------------------------
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
TYPES = (
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
BODY = (
    '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>Quality manual text.</w:t></w:r></w:p></w:body></w:document>"
)


def _rels(target: str, kind: str = f"{R}/officeDocument") -> str:
    return (
        '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{kind}" Target="{target}"/></Relationships>'
    )


def _docx(path: Path, parts: dict[str, str], body: str = BODY) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", TYPES)
        archive.writestr("_rels/.rels", _rels("word/document.xml"))
        archive.writestr("word/document.xml", body)
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


def nested_docx(path: Path, depth: int = 990) -> Path:
    """Parts that each point at the next: python-docx walks them by recursion."""
    parts = {"word/_rels/document.xml.rels": _rels("p0.xml", f"{R}/custom")}
    for i in range(depth):
        parts[f"word/p{i}.xml"] = "<x/>"
        if i < depth - 1:
            parts[f"word/_rels/p{i}.xml.rels"] = _rels(f"p{i + 1}.xml", f"{R}/custom")
    return _docx(path, parts)


def bomb_docx(path: Path) -> Path:
    """A 200 KB DOCX with a member that inflates to 210 MB of zeros."""
    _docx(path, {})
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("word/media/bomb.bin", "w", force_zip64=True) as member,
    ):
        chunk = bytes(1 << 20)
        for _ in range(210):
            member.write(chunk)
    return path


def many_elements_docx(path: Path) -> Path:
    """1.2 million empty paragraphs: 7 MB of XML in a 20 KB file, and a tree of millions of objects once parsed."""
    head, tail = BODY.split("<w:body>")
    return _docx(path, {}, head + "<w:body>" + "<w:p/>" * 1_200_000 + tail)


def truncated_pdf(path: Path) -> Path:
    whole = io.BytesIO()
    write_pdf(path, [["1 Scope", "Text on page one."], ["2 Terms", "Text on page two."]])
    whole.write(path.read_bytes())
    path.write_bytes(whole.getvalue()[: len(whole.getvalue()) // 2])
    return path


DOCUMENTS: dict[str, Callable[[Path], Path]] = {
    "nested_parts.docx": nested_docx,
    "zip_bomb.docx": bomb_docx,
    "many_elements.docx": many_elements_docx,
    "odd_root.docx": lambda p: _docx(p, {}, '<?xml version="1.0"?><foo><bar/></foo>'),
    "not_a_zip.docx": lambda p: (p.write_bytes(b"PK\x03\x04 garbage" * 100), p)[1],
    "missing_document.docx": lambda p: (
        zipfile.ZipFile(p, "w").writestr("[Content_Types].xml", TYPES),
        p,
    )[1],
    "truncated.pdf": truncated_pdf,
    "garbage.pdf": lambda p: (p.write_bytes(b"%PDF-1.7\n" + os.urandom(4000)), p)[1],
    "empty.pdf": lambda p: make(p, "empty"),
    "folder.pdf": lambda p: make(p, "folder"),
    "fifo.txt": lambda p: make(p, "fifo"),
    "dev_zero.md": lambda p: make(p, "dev_zero"),
    "huge.txt": lambda p: make(p, "huge"),
    "nul_bytes.txt": lambda p: make(p, "nul_bytes"),
    "unclosed_title.html": lambda p: (p.write_text("<title>" + "word " * 1_000_000), p)[1],
    "unclosed_comment.html": lambda p: (p.write_text("<p>x</p><!--" + "a <b> " * 500_000), p)[1],
    "symlink_loop.txt": lambda p: make(p, "symlink_loop"),
}


READABLE = {"unclosed_title.html", "unclosed_comment.html"}  # the text around the unclosed tag is still text


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_hostile_document_is_a_per_file_error_or_text(tmp_path: Path, name: str) -> None:
    path = DOCUMENTS[name](tmp_path / name)
    before = mib_rss()
    result = timed(f"document/{name}", lambda: read_document(path))
    if name in READABLE:
        assert isinstance(result, list)
        assert result
    else:
        assert isinstance(result, DocumentError), f"{name}: {type(result).__name__}"
    assert mib_rss() - before < 300


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("nested_parts.docx", "nest without end"),
        ("zip_bomb.docx", "inflate to 220.2 MB; the limit is 200.0 MB"),
        ("many_elements.docx", r"about 1,200,0\d\d XML elements; the limit is 1,000,000"),
        ("fifo.txt", "named pipe"),
        ("huge.txt", "the limit is 50.0 MB"),
        ("folder.pdf", "a folder"),
        ("dev_zero.md", "a device"),
    ],
)
def test_document_refusals_say_why(tmp_path: Path, name: str, words: str) -> None:
    path = DOCUMENTS[name](tmp_path / name)
    with pytest.raises(DocumentError, match=words):
        read_document(path)


def test_the_time_budget_stops_a_slow_reader(tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "manual.pdf", [["1 Scope", "Page text."]] * 3)
    docx = write_docx(tmp_path / "sop.docx", [("Purpose", ["Text."] * 300)])
    spent = InputLimits(document_seconds=0)
    for path in (pdf, docx):
        with pytest.raises(DocumentError, match="took longer than the 0 s limit"):
            read_document(path, spent)


def test_the_time_budget_is_checked_inside_a_page(tmp_path: Path) -> None:
    """A clock that moves one second per look: the budget runs out while page 1's operators are read."""
    from assistant.retrieval.documents import read_pdf
    from assistant.safe_input import LIMITS, Deadline

    ticks = iter(range(1_000_000))
    deadline = Deadline(3, clock=lambda: next(ticks))
    pdf = write_pdf(tmp_path / "manual.pdf", [["1 Scope", "Line."] * 20])
    with pytest.raises(AssistantError, match=r"stopped at page 1\)"):
        read_pdf(pdf.read_bytes(), LIMITS, deadline)
    assert next(ticks) > 4  # it got past the check before the page, into the page's operators


def test_a_docx_with_many_styles_reads_quickly(tmp_path: Path) -> None:
    import docx
    from docx.enum.style import WD_STYLE_TYPE

    document = docx.Document()
    for i in range(400):  # python-docx's add_style is itself quadratic: 400 keeps the set-up short
        document.styles.add_style(f"Custom {i}", WD_STYLE_TYPE.PARAGRAPH)
    document.add_heading("4.2 Management review", level=1)
    for i in range(2000):
        document.add_paragraph(f"Paragraph {i} about reviews.")._p.style = f"Custom{i % 400}"  # the id, quickly
    path = tmp_path / "styles.docx"
    document.save(str(path))
    chunks = timed("document/400 styles x 2000 paragraphs", lambda: read_document(path))
    assert chunks[0].heading == "4.2 Management review"
    assert TIMINGS["document/400 styles x 2000 paragraphs"] < 2.0


def test_ingest_goes_on_past_every_hostile_file(fake_settings: Settings, tmp_path: Path) -> None:
    index: GuidanceIndex = AssessmentService(fake_settings).ready_index()
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, build in DOCUMENTS.items():
        if name not in ("zip_bomb.docx", "huge.txt", *READABLE):  # covered above; keep this test quick
            build(folder / name)
    (folder / "unclosed.html").write_text("<title>Gemba <p>walks <!-- weekly", encoding="utf-8")
    (folder / "zz_good.md").write_text("# Gemba walk\n\nLeaders walk the floor weekly.\n", encoding="utf-8")
    report = timed("ingest/hostile folder", lambda: index.ingest([folder]))
    assert [Path(p).name for p in report.added] == ["unclosed.html", "zz_good.md"]
    special = {"folder.pdf", "fifo.txt", "dev_zero.md", "symlink_loop.txt"}  # the folder walk skips these
    expected = set(DOCUMENTS) - {"zip_bomb.docx", "huge.txt"} - READABLE - special
    assert {Path(p).name for p, _ in report.failed} == expected
    named = timed("ingest/special files named", lambda: index.ingest([folder / name for name in sorted(special)]))
    assert {Path(p).name for p, _ in named.failed} == special - {"folder.pdf"}  # a folder named .pdf is walked
    assert all(why for _, why in report.failed)


def test_print_document_timings() -> None:
    """Not a check: with ``pytest -s`` this lists how long each hostile document took (run after the others)."""
    for name, seconds in sorted(TIMINGS.items(), key=lambda kv: -kv[1]):
        if name.startswith(("document/", "ingest/")):
            print(f"{seconds * 1000:8.1f} ms  {name}")


def bomb_pdf(path: Path, pages: int, inflated: int) -> Path:
    """Pages whose content streams each inflate to ``inflated`` bytes of blank lines (a few KB each in the file)."""
    import zlib

    font = 3 + 2 * pages
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode()]
    stream = zlib.compress(b"BT /F1 11 Tf 72 720 Td (Page text) Tj ET\n" + b"\n" * inflated, 9)
    for i in range(pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
    return path


@pytest.mark.slow
def test_a_pdf_of_bomb_pages_does_not_add_up_in_memory(tmp_path: Path) -> None:
    """8 pages of 40 MB each once inflated (a 330 KB file): pypdf's cache is dropped per page, so the peak stays near
    one page (it was every page before: 12 such pages of 60 MB peaked at 729 MB, now 203 MB)."""
    import subprocess
    import sys

    path = bomb_pdf(tmp_path / "bomb.pdf", pages=8, inflated=40_000_000)
    # the peak is VmHWM of the child's own memory map: ru_maxrss would carry the parent's peak over the exec (Linux
    # keeps it), and the parent is a whole test session with models loaded
    script = (
        "import re, sys; from pathlib import Path; from assistant.retrieval.documents import read_document;"
        "chunks = read_document(Path(sys.argv[1]));"
        "hwm = re.search(r'VmHWM:\\s+(\\d+)', Path('/proc/self/status').read_text()).group(1);"
        "print(len(chunks), int(hwm) // 1024)"
    )
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=150)
    assert done.returncode == 0, done.stderr[-2000:]
    chunks, peak_mib = map(int, done.stdout.split())
    assert chunks == 8
    assert peak_mib < 250, f"peak {peak_mib} MiB"

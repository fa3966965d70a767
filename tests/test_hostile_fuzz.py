"""Property-based fuzzing, with a fixed budget (derandomized, so every run tries the same inputs), of the answers-file
reader and the protocol loader (and mutated PDF and DOCX files for ingestion): any text, bytes or structure gives a
result or the project's own error, quickly.

Budget: a fixed 3,300 generated inputs, about 20 s on the 2-core dev machine.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.answers import parse_answers, read_answers_file
from assistant.errors import AnswerError, Issue, ProtocolError
from assistant.protocol import Protocol, load_protocol
from assistant.protocol.loader import check_protocol
from assistant.retrieval.documents import DocumentError, read_document
from assistant.safe_input import InputRefused, parse_json, parse_yaml
from tests.conftest import MINI_DIR

SECONDS = 5.0  # per input; a hang is the failure, so the bound is loose

FUZZ = settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Pieces of YAML syntax (and things that have broken YAML readers) for the text fuzzers to string together.
FRAGMENTS = [
    "a: ",
    "AL-01: ",
    "AL-02:",
    "answers:",
    "facts: {has_contractors: yes}",
    "defined: yes",
    "count: ",
    "share: ",
    "- ",
    "? ",
    "[",
    "]",
    "{",
    "}",
    ", ",
    "&x ",
    "*x",
    "<<: ",
    "!!int ",
    "!!float ",
    "!!binary ",
    "!!timestamp ",
    "!!set ",
    "!!python/object:os.system ",
    "!custom ",
    "'",
    '"',
    "|\n",
    ">-\n",
    "# c\n",
    "%YAML 1.1\n",
    "---\n",
    "...\n",
    "\n",
    "  ",
    "\t",
    "2026-13-45",
    "2026-11-29T25:61:00Z",
    ".inf",
    "-.inf",
    ".nan",
    "0x1F",
    "0o777",
    "1e400",
    "9" * 400,
    "null",
    "~",
    "\x00",
    "\x07",
    "\ufeff",
    "\u2028",
    "\ud7ff",
    "é",
    "\\",
    "%",
    "@",
    "`",
]
yaml_like = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join)
any_text = st.text(max_size=300)


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="qmm-fuzz-") as folder:
        yield Path(folder)


@pytest.fixture(scope="module")
def mini_protocol() -> Protocol:
    return load_protocol(MINI_DIR)


def _outcome(call: Callable[[], Any], allowed: type[Exception]) -> Any:
    """The call's result or the ``allowed`` error it raised, which must say something; anything else fails."""
    start = time.monotonic()
    try:
        result = call()
    except allowed as exc:
        result = exc
    assert time.monotonic() - start < SECONDS
    if isinstance(result, Exception):
        assert str(result).strip()
        assert "Traceback" not in str(result)
    return result


def _score(protocol: Protocol, path: Path) -> Any:
    """Read and check an answers file: the result, or the AnswerError (anything else fails the test)."""
    return _outcome(lambda: parse_answers(protocol, read_answers_file(path)), AnswerError)


# --- the YAML and JSON parsers on their own --------------------------------------------------------------------
@FUZZ
@given(st.one_of(yaml_like, any_text))
def test_any_text_parses_or_is_refused_as_yaml(text: str) -> None:
    _outcome(lambda: parse_yaml(text), InputRefused)


@FUZZ
@given(st.one_of(any_text, yaml_like.map(lambda t: t.replace(": ", '": "'))))
def test_any_text_parses_or_is_refused_as_json(text: str) -> None:
    _outcome(lambda: parse_json(text), InputRefused)


# --- answers files ---------------------------------------------------------------------------------------------
@FUZZ
@given(st.one_of(yaml_like.map(str.encode), st.binary(max_size=300)), st.sampled_from([".yaml", ".json"]))
def test_any_answers_file_scores_or_is_an_answer_error(
    scratch: Path, mini_protocol: Protocol, content: bytes, suffix: str
) -> None:
    path = scratch / f"answers{suffix}"
    path.write_bytes(content)
    _score(mini_protocol, path)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**300, max_value=10**1000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["yes", "no", "partly", "quarterly", "85%", "1e400", "-1", "3.5", "not stated", "teams"]),
    st.dates(),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
FIELDS = ["defined", "review", "share", "cascade", "evidence", "count", "approach", "notes", "can_stop", "stops", "na"]
QIDS = ["AL-01", "AL-02", "BE-01", "MC-01", "al-01", ""]
answer_maps = st.dictionaries(
    st.one_of(st.sampled_from(QIDS), st.text(max_size=10)),
    st.one_of(st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=8)), values, max_size=6), values),
    max_size=4,
)
documents = st.one_of(
    answer_maps,
    st.fixed_dictionaries(
        {"answers": answer_maps},
        optional={
            "facts": st.one_of(st.dictionaries(st.sampled_from(["has_contractors", "other"]), values), values),
            "protocol": st.one_of(st.just("mini@1"), values),
        },
    ),
    values,
)


@FUZZ
@given(documents)
def test_any_answers_structure_scores_or_is_an_answer_error(mini_protocol: Protocol, data: Any) -> None:
    _outcome(lambda: parse_answers(mini_protocol, data), AnswerError)


@settings(FUZZ, max_examples=300)
@given(documents, st.sampled_from([".yaml", ".json"]))
def test_answers_structures_round_trip_through_files(
    scratch: Path, mini_protocol: Protocol, data: Any, suffix: str
) -> None:
    path = scratch / f"structured{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(data, default=str), encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    _score(mini_protocol, path)


# --- protocol folders ------------------------------------------------------------------------------------------
PROTOCOL_FILES = ["protocol.yaml", "questions/alpha.yaml", "questions/beta.yaml"]
ORIGINALS = {name: (MINI_DIR / name).read_bytes() for name in PROTOCOL_FILES}

mutation = st.one_of(
    st.tuples(st.just("delete_line"), st.integers(0, 200)),
    st.tuples(st.just("duplicate_line"), st.integers(0, 200)),
    st.tuples(st.just("insert"), st.integers(0, 5000), st.sampled_from(FRAGMENTS)),
    st.tuples(st.just("byte"), st.integers(0, 5000), st.integers(0, 255)),
    st.tuples(st.just("truncate"), st.integers(0, 5000)),
    st.tuples(st.just("deepen"), st.integers(0, 200), st.integers(1, 3000)),
)


def _mutate(content: bytes, change: tuple[Any, ...]) -> bytes:
    op, at = change[0], change[1]
    lines = content.split(b"\n")
    if op == "delete_line":
        del lines[at % len(lines)]
    elif op == "duplicate_line":
        lines.insert(at % len(lines), lines[at % len(lines)])
    elif op == "deepen":  # a line's value wrapped in n flow sequences
        i = at % len(lines)
        lines[i] = lines[i] + b" " + b"[" * change[2] + b"x" + b"]" * change[2]
    else:
        at %= len(content) + 1
        if op == "insert":
            return content[:at] + change[2].encode() + content[at:]
        if op == "byte":
            return content[:at] + bytes([change[2]]) + content[at + 1 :]
        return content[:at]  # truncate
    return b"\n".join(lines)


@pytest.fixture(scope="module")
def proto_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fuzzed") / "mini" / "1"
    shutil.copytree(MINI_DIR, folder)
    return folder


@settings(FUZZ, max_examples=800)
@given(st.lists(st.tuples(st.sampled_from(PROTOCOL_FILES), mutation), min_size=1, max_size=3))
def test_mutated_protocol_folder_loads_or_lists_its_issues(
    proto_copy: Path, changes: list[tuple[str, tuple[Any, ...]]]
) -> None:
    contents = dict(ORIGINALS)
    for name, change in changes:
        contents[name] = _mutate(contents[name], change)
    for name, content in contents.items():
        (proto_copy / name).write_bytes(content)
    start = time.monotonic()
    protocol, issues = check_protocol(proto_copy)
    assert time.monotonic() - start < SECONDS
    assert all(isinstance(issue, Issue) and str(issue).strip() for issue in issues)
    if protocol is None:
        assert issues
    loaded = _outcome(lambda: load_protocol(proto_copy), ProtocolError)
    assert isinstance(loaded, Protocol) or loaded.issues


# --- site documents --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def good_documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    from tests.docgen import write_docx, write_pdf

    folder = tmp_path_factory.mktemp("docs")
    pdf = write_pdf(folder / "m.pdf", [["1 Scope", "This manual covers the site."], ["4.2 Review", "Monthly."]])
    docx = write_docx(folder / "s.docx", [("Purpose", ["Supplier qualification."]), ("5 Tiers", ["Audits."])])
    with zipfile.ZipFile(docx) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    return {"pdf": pdf.read_bytes(), **{f"docx:{name}": body for name, body in parts.items()}}


byte_changes = st.lists(st.tuples(st.integers(0, 10**6), st.binary(min_size=0, max_size=4)), min_size=1, max_size=4)


def _splice(content: bytes, changes: list[tuple[int, bytes]]) -> bytes:
    for at, new in changes:
        at %= len(content) + 1
        content = content[:at] + new + content[at + len(new) // 2 + 1 :]
    return content


@settings(FUZZ, max_examples=150)
@given(byte_changes)
def test_mutated_pdf_gives_text_or_a_document_error(
    scratch: Path, good_documents: dict[str, bytes], changes: list[tuple[int, bytes]]
) -> None:
    path = scratch / "fuzzed.pdf"
    path.write_bytes(_splice(good_documents["pdf"], changes))
    _outcome(lambda: read_document(path), DocumentError)


@settings(FUZZ, max_examples=150)
@given(st.sampled_from(["word/document.xml", "word/styles.xml", "[Content_Types].xml", "_rels/.rels"]), byte_changes)
def test_mutated_docx_part_gives_text_or_a_document_error(
    scratch: Path, good_documents: dict[str, bytes], part: str, changes: list[tuple[int, bytes]]
) -> None:
    path = scratch / "fuzzed.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for key, body in good_documents.items():
            if key.startswith("docx:"):
                name = key.removeprefix("docx:")
                archive.writestr(name, _splice(body, changes) if name == part else body)
    _outcome(lambda: read_document(path), DocumentError)

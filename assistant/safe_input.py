"""Reading files we did not write: regular files only, bounded size, bounded YAML/JSON, bounded time.

Every reader of user-supplied files (answers files, protocol folders, site documents) goes through here, so a
hostile file is refused with a sentence in milliseconds instead of hanging, recursing or eating memory:

- ``read_regular_file``: refuses a folder, a named pipe (FIFO), a device (also through a symlink, e.g. to
  /dev/zero) or a socket before reading, re-checks the opened descriptor, and reads at most ``limit + 1`` bytes.
- ``decode_text``: UTF-8 (a BOM is allowed) without NUL bytes.
- ``parse_yaml``: libyaml's parser (when installed) with our own composer that counts nodes and nesting depth as it
  goes and refuses any alias (``*name``), the way a "billion laughs" file expands; nothing is built past a limit.
- ``load_yaml``: the data alone, built straight from libyaml's events (about three times faster, for bulk imports
  of answers files); anything out of the ordinary (a limit, an alias, an explicit tag, a merge key, several
  documents, a syntax error) goes to ``parse_yaml``, so the result and every refusal are exactly its own.
- ``parse_json``: the standard parser, deep nesting refused, then nodes and depth counted like YAML.
- ``Deadline``: a time budget a reader checks between pages, paragraphs or chunks (cooperative: no thread, no
  signal, nothing left running when it fires).

Each refusal is an ``InputRefused`` (an ``AssistantError``); callers turn it into their own error type
(``AnswerError``, a protocol ``Issue``, ``DocumentError``) with the file's name. All limits live in ``LIMITS``.
"""

from __future__ import annotations

import json
import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from assistant.errors import AssistantError


@dataclass(frozen=True)
class InputLimits:
    """Every limit on untrusted input, in one place. Figures measured on the 2-core dev machine, 2026-11."""

    # An answers file for all 50 questions is 8-20 KB (eval/sites/*.yaml); 2 MB leaves 100x room.
    answers_file_bytes: int = 2_000_000
    # The largest protocol question file is 78 KB (technical_excellence.yaml); same 2 MB ceiling as before.
    protocol_file_bytes: int = 2_000_000
    # Question files in one protocol folder (5 today).
    protocol_files: int = 200
    # Protocol files nest 9 levels deep and answers files 5; deeper is refused before Python's recursion limit.
    yaml_depth: int = 32
    # A question file has about 4,100 YAML nodes; 50,000 compose in under a second here (400,000 took 6 s).
    yaml_nodes: int = 50_000
    # One site document (kept from the first ingestion release).
    document_bytes: int = 50_000_000
    # A DOCX is a zip: the sum of its members' inflated sizes, and how many members it may have (python-docx
    # writes 17 parts, plus one per image); checked from the zip directory before python-docx reads anything.
    docx_inflated_bytes: int = 200_000_000
    docx_members: int = 2_000
    # The XML parts python-docx parses into trees: 20 MB of tiny elements took 450 MB of memory here, so the XML is
    # bounded by size and by element count (2,400 paragraphs under 300 headings: 34,000 elements in 0.45 MB).
    docx_xml_bytes: int = 20_000_000
    docx_xml_elements: int = 1_000_000
    # Wall-clock budget per document, checked between pages, PDF operators, paragraphs, table rows and HTML chunks.
    # A generated 300-page text PDF reads in 0.7 s here; real manuals with embedded fonts are several times slower,
    # while 12 hostile pages of 60 MB blank content each (a 700 KB file) took 29 s.
    document_seconds: float = 60.0
    # An assessment export (qmm report --format json): the example mature site with two interviewees is ~1 MB and
    # ~60,000 values; 50 MB and 3 million values leave room for dozens of interviewees with long histories.
    export_file_bytes: int = 50_000_000
    export_values: int = 3_000_000


LIMITS = InputLimits()


class InputRefused(AssistantError):
    """A file or text was refused by a limit or could not be parsed; ``line`` is 1-based when known.

    ``syntax`` is the parser's own words when the text is malformed YAML or JSON (None for a limit).
    """

    def __init__(self, message: str, line: int | None = None, syntax: str | None = None) -> None:
        self.line = line
        self.syntax = syntax
        super().__init__(message)


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size:,} bytes"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_regular_file(path: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file (symlinks to one are fine) of at most ``max_bytes``; InputRefused otherwise."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise InputRefused(f"is {_kind(info.st_mode)}, not a regular file")
        if info.st_size > max_bytes:
            raise InputRefused(f"is {megabytes(info.st_size)}; the limit is {megabytes(max_bytes)}")
        # O_NONBLOCK: if the path was swapped for a FIFO since the stat, opening it still returns at once.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputRefused(f"cannot be read ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise InputRefused(f"is {_kind(mode)}, not a regular file")
        try:
            raw = handle.read(max_bytes + 1)
        except OSError as exc:
            raise InputRefused(f"cannot be read ({exc.strerror or exc})") from None
    if len(raw) > max_bytes:
        raise InputRefused(f"is larger than the limit of {megabytes(max_bytes)}")
    return raw


def decode_text(raw: bytes) -> str:
    """UTF-8 text (a leading BOM is dropped); InputRefused for other encodings and for binary data."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputRefused(f"is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    if "\x00" in text:
        raise InputRefused(f"contains a NUL byte (character {text.index(chr(0))}): it is binary, not text")
    return text


class _LimitedComposer(Composer):
    """PyYAML's composer with a node count, a depth limit and no aliases; it stops at the first breach."""

    limits: InputLimits = LIMITS
    check_event: Callable[..., bool]  # both from the parser this is mixed with
    peek_event: Callable[[], Any]
    _nodes = 0
    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(AliasEvent):
            event = self.peek_event()
            raise InputRefused(
                f"uses a YAML alias (*{event.anchor}); aliases are not allowed, write the value out in full",
                event.start_mark.line + 1,
            )
        self._nodes += 1
        if self._nodes > self.limits.yaml_nodes:
            mark = self.peek_event().start_mark
            raise InputRefused(f"has more than {self.limits.yaml_nodes:,} YAML values", mark.line + 1)
        self._depth += 1
        try:
            if self._depth > self.limits.yaml_depth:
                mark = self.peek_event().start_mark
                raise InputRefused(f"nests deeper than {self.limits.yaml_depth} levels", mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


try:  # libyaml scans about 7x faster than pure Python; our composer and the safe constructor stay in Python.
    from yaml._yaml import CParser as _Parser

    HAVE_LIBYAML = True

    class _Loader(_LimitedComposer, _Parser, SafeConstructor, Resolver):
        def __init__(self, stream: str) -> None:
            _Parser.__init__(self, stream)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            Composer.__init__(self)

except ImportError:  # pragma: no cover - PyYAML built without libyaml
    HAVE_LIBYAML = False

    class _Loader(_LimitedComposer, yaml.SafeLoader):  # type: ignore[no-redef]
        pass


def _yaml_problem(exc: yaml.YAMLError) -> InputRefused:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    problem = f"{context}, {problem}" if context else problem
    return InputRefused(f"is not valid YAML: {problem}", mark.line + 1 if mark is not None else None, problem)


def parse_yaml(text: str, limits: InputLimits = LIMITS) -> tuple[Any, yaml.Node | None]:
    """(data, node tree) of one YAML document, within ``limits``; (None, None) for an empty document."""
    loader = _Loader(text)
    loader.limits = limits
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        try:
            data = loader.construct_document(node)
        except yaml.YAMLError as exc:
            raise _yaml_problem(exc) from None
        except Exception as exc:  # PyYAML's constructors raise plain errors: 2026-13-45, a 5,000-digit int, "!!int "
            reason = str(exc).split(";")[0]
            raise InputRefused(f"has a value YAML cannot read: {reason}", node.start_mark.line + 1) from None
        return data, node
    except yaml.YAMLError as exc:
        raise _yaml_problem(exc) from None
    finally:
        loader.dispose()


def _check_shape(data: Any, limits: InputLimits) -> None:
    """Count values and nesting depth of parsed data without recursion."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    count = 0
    while stack:
        value, depth = stack.pop()
        count += 1
        if count > limits.yaml_nodes:
            raise InputRefused(f"has more than {limits.yaml_nodes:,} values")
        if depth > limits.yaml_depth:
            raise InputRefused(f"nests deeper than {limits.yaml_depth} levels")
        if isinstance(value, dict):
            stack += [(v, depth + 1) for kv in value.items() for v in kv]
        elif isinstance(value, list):
            stack += [(v, depth + 1) for v in value]


def parse_json(text: str, limits: InputLimits = LIMITS) -> Any:
    """Parsed JSON within ``limits`` (depth and number of values)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputRefused(f"is not valid JSON: {exc.msg}", exc.lineno, exc.msg) from None
    except RecursionError:
        raise InputRefused(f"nests deeper than {limits.yaml_depth} levels") from None
    except ValueError as exc:  # e.g. an integer longer than 4,300 digits
        raise InputRefused(f"is not valid JSON: {str(exc).split(';')[0]}") from None
    _check_shape(data, limits)
    return data


class Deadline:
    """A wall-clock budget checked between units of work; ``check`` raises InputRefused once it is spent."""

    def __init__(self, seconds: float, clock: Any = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._end = clock() + seconds

    def check(self, where: str) -> None:
        if self._clock() > self._end:
            raise InputRefused(f"took longer than the {self.seconds:g} s limit (stopped at {where})")


_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_NO_KEY = object()


class _Unusual(Exception):
    """The fast path met something only ``parse_yaml`` handles (or refuses) properly."""


def load_yaml(text: str, limits: InputLimits = LIMITS) -> Any:
    """The data of one YAML document, as ``parse_yaml(text, limits)[0]`` gives it, with the same refusals."""
    if HAVE_LIBYAML:
        try:
            return _load_plain(text, limits)
        except _Unusual:
            pass
    return parse_yaml(text, limits)[0]


def _resolve_tag(value: str, plain: bool) -> str:
    """PyYAML's implicit tag of an untagged scalar (str for a quoted one)."""
    return str(Resolver().resolve(ScalarNode, value, (plain, not plain)))  # type: ignore[no-untyped-call]


def _construct(tag: str, value: str, style: str | None) -> Any:
    return SafeConstructor().construct_object(ScalarNode(tag, value, style=style))


# Answers files repeat the same few short scalars (field ids, yes/no, option ids); a value is immutable (a bool,
# number, None, date or str), so one object serves every occurrence. Only short texts are kept, so the caches stay
# small whatever is uploaded.
_cached_tag, _cached_value = lru_cache(maxsize=4096)(_resolve_tag), lru_cache(maxsize=4096)(_construct)
_SHORT = 80


def _scalar_tag(value: str, plain: bool) -> str:
    return _cached_tag(value, plain) if len(value) <= _SHORT else _resolve_tag(value, plain)


def _scalar_value(tag: str, value: str, style: str | None) -> Any:
    return _cached_value(tag, value, style) if len(value) <= _SHORT else _construct(tag, value, style)


def _load_plain(text: str, limits: InputLimits) -> Any:
    """Plain mappings, sequences and implicitly typed scalars, from the event stream, without recursion: the
    scalars are typed by PyYAML's own resolver and safe constructor; anything else raises ``_Unusual``."""
    parser = _Parser(text)
    stack: list[list[Any]] = []  # [container, the key waiting for its value] for each open mapping or sequence
    root: Any = None
    nodes, documents = 0, 0
    try:
        while True:
            event: Any = parser.get_event()
            kind = type(event)
            if kind is ScalarEvent or kind is MappingStartEvent or kind is SequenceStartEvent:
                nodes += 1
                if nodes > limits.yaml_nodes or len(stack) + 1 > limits.yaml_depth:
                    raise _Unusual
            if kind is ScalarEvent:
                if event.tag not in (None, "!"):
                    raise _Unusual
                tag = _scalar_tag(event.value, event.implicit[0])
                if tag == _STR:
                    value: Any = event.value
                elif tag == _MERGE:
                    raise _Unusual
                else:
                    value = _scalar_value(tag, event.value, event.style)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                if event.tag is not None and not event.implicit:
                    raise _Unusual
                stack.append([{} if kind is MappingStartEvent else [], _NO_KEY])
                continue
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                value = stack.pop()[0]
            elif kind is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise _Unusual
                continue
            elif kind is StreamStartEvent or kind is DocumentEndEvent:
                continue
            elif kind is StreamEndEvent:
                return root
            else:  # an alias, or an event this reader does not know
                raise _Unusual
            if not stack:
                root = value
                continue
            top = stack[-1]
            if isinstance(top[0], list):
                top[0].append(value)
            elif top[1] is _NO_KEY:
                if isinstance(value, dict | list):  # a complex key
                    raise _Unusual
                top[1] = value
            else:
                top[0][top[1]] = value
                top[1] = _NO_KEY
    except _Unusual:
        raise
    except Exception:  # a syntax error or a value the constructor refuses: parse_yaml says which, with its line
        raise _Unusual from None
    finally:
        parser.dispose()

"""Load a protocol folder: YAML -> pydantic models, every structural error collected with file and line.

Loading never stops at the first problem: each file is parsed and validated on its own, and every issue found
(unreadable file, malformed YAML, wrong type, unknown key) is gathered into one ``ProtocolError``. The semantic
checks run afterwards in ``validator.validate_protocol``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from assistant.errors import Issue, ProtocolError
from assistant.protocol.models import Protocol, ProtocolMeta, Question, QuestionFile
from assistant.safe_input import LIMITS, InputLimits, InputRefused, decode_text, parse_yaml, read_regular_file

META_FILE = "protocol.yaml"
QUESTIONS_DIR = "questions"


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """1-based line of the YAML node at a pydantic error location, or of its nearest existing parent."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if str(k.value) == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            match = node.value[part]
        else:
            match = None
        if match is None:
            break
        node = match
        line = node.start_mark.line + 1
    return line


def _format_loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def read_yaml(path: Path, label: str, limits: InputLimits = LIMITS) -> tuple[Any, yaml.Node | None, list[Issue]]:
    """Parse one YAML file within ``limits``; return (data, node tree, issues). Never raises for bad content.

    Only a regular file is read (a folder, pipe or device is an issue), at most ``limits.protocol_file_bytes``;
    aliases, deep nesting and too many values are issues with the line where they were found.
    """
    try:
        text = decode_text(read_regular_file(path, limits.protocol_file_bytes))
        data, node = parse_yaml(text, limits)
    except InputRefused as exc:
        message = f"malformed YAML: {exc.syntax}" if exc.syntax else f"file {exc}"
        return None, None, [Issue(label, "", message, exc.line)]
    if data is None:
        return None, None, [Issue(label, "", "file is empty")]
    return data, node, []


def validation_issues(exc: ValidationError, label: str, node: yaml.Node | None) -> list[Issue]:
    issues = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        issues.append(Issue(label, _format_loc(loc), err["msg"], _line_of(node, loc)))
    return issues


def _label(path: Path) -> str:
    """The path as the user would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except (ValueError, OSError, RuntimeError):  # outside the working directory, or a symlink loop
        return str(path)


def load_protocol_unchecked(
    folder: Path, limits: InputLimits = LIMITS
) -> tuple[Protocol | None, list[Issue], list[tuple[str, str]]]:
    """Load a protocol folder. Returns (protocol or None, structural issues, [(question id, file label)]).

    The origins let the validator point at the file a question came from.
    """
    folder = Path(folder)
    issues: list[Issue] = []
    meta_path = folder / META_FILE
    meta: ProtocolMeta | None = None
    if not meta_path.exists() and not meta_path.is_symlink():
        issues.append(Issue(_label(meta_path), "", "missing protocol.yaml"))
    else:
        data, node, found = read_yaml(meta_path, _label(meta_path), limits)
        issues += found
        if data is not None:
            try:
                meta = ProtocolMeta.model_validate(data)
            except ValidationError as exc:
                issues += validation_issues(exc, _label(meta_path), node)

    questions: list[Question] = []
    origin: list[tuple[str, str]] = []
    question_files = sorted((folder / QUESTIONS_DIR).glob("*.yaml"))
    if not question_files:
        issues.append(Issue(_label(folder / QUESTIONS_DIR), "", "no question files (questions/*.yaml)"))
    if len(question_files) > limits.protocol_files:
        issues.append(
            Issue(
                _label(folder / QUESTIONS_DIR),
                "",
                f"{len(question_files)} question files; the limit is {limits.protocol_files} (the rest were not read)",
            )
        )
        question_files = question_files[: limits.protocol_files]
    for path in question_files:
        label = _label(path)
        data, node, found = read_yaml(path, label, limits)
        issues += found
        if data is None:
            continue
        try:
            parsed = QuestionFile.model_validate(data)
        except ValidationError as exc:
            issues += validation_issues(exc, label, node)
            continue
        for q in parsed.questions:
            origin.append((q.id, label))
        questions += parsed.questions

    if meta is None:
        return None, issues, origin
    area_order = {a.id: i for i, a in enumerate(meta.areas)}
    # Stable sort: by practice-area order in protocol.yaml, then file order.
    questions.sort(key=lambda q: area_order.get(q.area, len(area_order)))
    return Protocol(meta=meta, questions=questions), issues, origin


def check_protocol(folder: Path, note_ids: set[str] | None = None) -> tuple[Protocol | None, list[Issue]]:
    """Load a protocol folder and run both validation layers; (protocol or None, every issue)."""
    from assistant.protocol.validator import validate_protocol

    protocol, issues, origin = load_protocol_unchecked(folder)
    if protocol is not None:
        issues += validate_protocol(protocol, origin, note_ids, _label(Path(folder) / META_FILE))
    return protocol, issues


def load_protocol(folder: Path, note_ids: set[str] | None = None) -> Protocol:
    """Load and fully validate a protocol folder; raise ``ProtocolError`` listing every issue."""
    protocol, issues = check_protocol(folder, note_ids)
    if issues or protocol is None:
        raise ProtocolError(f"protocol at {folder} has {len(issues)} error(s):", issues)
    return protocol


PROTOCOL_REF = re.compile(r"^[a-z][a-z0-9-]{0,79}@[1-9][0-9]{0,3}$")


def resolve_protocol_dir(protocols_dir: Path, ref: str) -> Path:
    """``qmm-self-assessment@1`` -> ``protocols/qmm-self-assessment/1`` (a reference is never a path)."""
    name, _, version = ref.partition("@")
    if not PROTOCOL_REF.match(ref):
        shown = ref if len(ref) <= 60 else f"{ref[:57]}..."
        raise ProtocolError(f"protocol reference {shown!r} must look like 'id@version', e.g. 'qmm-self-assessment@2'")
    folder = protocols_dir / name / version
    if not folder.is_dir():
        raise ProtocolError(f"protocol {ref} not found: no folder {folder}")
    return folder


def available_protocols(protocols_dir: Path) -> list[str]:
    """The ``id@version`` of every protocol folder (one holding a protocol.yaml), sorted."""
    found = [f"{p.parent.parent.name}@{p.parent.name}" for p in protocols_dir.glob("*/*/protocol.yaml")]
    return sorted(r for r in found if PROTOCOL_REF.match(r))

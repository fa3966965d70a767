"""Structured answers from a file (YAML or JSON) checked against a protocol, every problem reported at once.

An answers file is either a mapping of question id -> field values, or::

    protocol: qmm-self-assessment@1   # optional; must match the protocol used
    site: Example site                # optional
    facts: {uses_contract_organisations: "no"}   # optional site facts that decide which questions apply
    answers:
      MC-01: {objectives_defined: "yes", review_frequency: quarterly, evidence: [Scorecard Q3]}
      MC-07: {na: "We outsource nothing."}          # N/A needs a justification

Values are normalised (``yes``/``true`` -> "yes", "semi-annually" -> semi_annually, "85%" -> 85.0; a
yearly_values field takes ``{2023: 1.2, 2024: 0.9, 2025: 0.7, target: 1.0}`` or the text
"2023: 1.2; 2024: 0.9; target 1.0"); ``null`` or "not stated" means the field was not stated. An unknown
question, field or option, or a value of the wrong type, is an ``AnswerError`` naming it; nothing is half-scored
silently.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from assistant.errors import AnswerError
from assistant.protocol.models import (
    FREQUENCIES,
    TARGET_KEY,
    AnswerField,
    FieldType,
    GateAnswerType,
    GateItem,
    Protocol,
    allowed_values,
)
from assistant.rubric import ConfirmedAnswer, Value, applies
from assistant.safe_input import (
    LIMITS,
    InputLimits,
    InputRefused,
    decode_text,
    load_yaml,
    parse_json,
    read_regular_file,
)

MAX_PROBLEMS_SHOWN = 50
NOT_STATED = {"", "not stated", "not_stated", "unknown", "n/a not stated"}
MAX_YEARS = 10
YEARLY_EXAMPLE = "2023: 1.2; 2024: 0.9; 2025: 0.7; target 1.0"
_NUMBER = r"(\d{1,9}(?:\.\d{1,6})?)"
YEAR_VALUE = re.compile(rf"\b((?:19|20)\d\d)\b\s*(?:[:=]|-|was|in)?\s*{_NUMBER}(?![\d.])", re.IGNORECASE)
VALUE_YEAR = re.compile(rf"(?<![\d.]){_NUMBER}\s*%?\s*(?:in|for|during)\s+((?:19|20)\d\d)\b", re.IGNORECASE)
TARGET_VALUE = re.compile(rf"\btarget\b\s*(?:[:=]|is|of)?\s*{_NUMBER}(?!\d)", re.IGNORECASE)


def _key(text: str) -> str:
    return text.strip().lower().replace("-", "_").replace(" ", "_")


def _cut(name: Any) -> str:
    """A key from the file for an error message, cut to 60 characters."""
    text = str(name)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _short(raw: Any) -> str:
    """A value for an error message: its repr, cut to 60 characters."""
    text = repr(raw)
    return text if len(text) <= 60 else f"{text[:57]}..."


def coerce_value(field: AnswerField, raw: Any) -> Value | None:
    """A raw value as the field's type, None when not stated. Raises ValueError with a reason."""
    if raw is None or (isinstance(raw, str) and raw.strip().lower() in NOT_STATED):
        return None
    t = field.type
    if t is FieldType.YES_NO:
        value = ("yes" if raw else "no") if isinstance(raw, bool) else _key(str(raw))
        allowed = allowed_values(field) or ()
        if value not in allowed:
            raise ValueError(f"{_short(raw)} is not one of {list(allowed)}")
        return value
    if t is FieldType.FREQUENCY:
        value = _key(str(raw))
        if value not in FREQUENCIES:
            raise ValueError(f"{_short(raw)} is not a frequency; use one of {list(FREQUENCIES)}")
        return value
    if t in (FieldType.COUNT, FieldType.PERCENTAGE):
        if isinstance(raw, bool):
            raise ValueError(f"{_short(raw)} is not a number")
        text = str(raw).strip().rstrip("%").strip()
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{_short(raw)} is not a number") from None
        if not math.isfinite(number):
            raise ValueError(f"{_short(raw)} is not a finite number")
        if t is FieldType.COUNT:
            if number < 0 or number != int(number):
                raise ValueError(f"{_short(raw)} is not a whole number >= 0")
            return int(number)
        if not 0 <= number <= 100:
            raise ValueError(f"{_short(raw)} is not a percentage between 0 and 100")
        return number
    if t is FieldType.SINGLE_CHOICE:
        value = _key(str(raw))
        options = allowed_values(field) or ()
        if value not in options:
            raise ValueError(f"unknown option {_short(raw)}; options: {list(options)}")
        return value
    if t in (FieldType.MULTI_CHOICE, FieldType.EVIDENCE_LIST):
        items = raw if isinstance(raw, list) else [raw]
        if t is FieldType.EVIDENCE_LIST:
            out = [str(i).strip() for i in items if i is not None and str(i).strip()]
            return out
        options = allowed_values(field) or ()
        values = [_key(str(i)) for i in items]
        unknown = [i for i, v in zip(items, values, strict=True) if v not in options]
        if unknown:
            raise ValueError(f"unknown option(s) {_short(unknown)}; options: {list(options)}")
        return sorted(set(values), key=list(options).index)
    if t is FieldType.YEARLY_VALUES:
        return _yearly(field, raw)
    if isinstance(raw, dict | list):
        raise ValueError("free text must be a string")
    return str(raw)


def parse_yearly_text(text: str) -> dict[str, str]:
    """"2023: 1.2; 2024: 0.9; target 1.0" -> {"2023": "1.2", "2024": "0.9", "target": "1.0"} (numbers as typed)."""
    out = {m.group(1): m.group(2) for m in YEAR_VALUE.finditer(text)}
    out.update({m.group(2): m.group(1) for m in VALUE_YEAR.finditer(text) if m.group(2) not in out})
    target = TARGET_VALUE.search(text)
    if target:
        out[TARGET_KEY] = target.group(1)
    return out


def _yearly(field: AnswerField, raw: Any) -> dict[str, float] | None:
    """A yearly_values value: year -> number (plus the site target), years in order, the target last."""
    items = parse_yearly_text(raw) if isinstance(raw, str) else raw
    if not isinstance(items, Mapping):
        raise ValueError(f"{_short(raw)} is not yearly values; write them as {YEARLY_EXAMPLE}")
    if not items:
        if isinstance(raw, str) and raw.strip():
            raise ValueError(f"no year and value found in {_short(raw)}; write them as {YEARLY_EXAMPLE}")
        return None
    values: dict[str, float] = {}
    for key, number in items.items():
        name = str(key).strip().lower()
        if name != TARGET_KEY and not (name.isdigit() and 1990 <= int(name) <= 2100):
            raise ValueError(f"{_cut(key)} is not a year (1990-2100) or 'target'")
        if isinstance(number, bool) or number is None:
            raise ValueError(f"{name}: {_short(number)} is not a number")
        try:
            value = float(str(number).strip().rstrip("%").strip())
        except ValueError:
            raise ValueError(f"{name}: {_short(number)} is not a number") from None
        if not math.isfinite(value) or value < 0 or (field.unit == "%" and value > 100):
            raise ValueError(f"{name}: {_short(number)} is outside the field's range")
        values[name] = value
    years = sorted(k for k in values if k != TARGET_KEY)
    if len(years) > MAX_YEARS:
        raise ValueError(f"at most {MAX_YEARS} years")
    ordered = {k: values[k] for k in years}
    if TARGET_KEY in values:
        ordered[TARGET_KEY] = values[TARGET_KEY]
    return ordered


@dataclass
class AnswersFile:
    """What an answers file holds, checked against a protocol."""

    answers: dict[str, ConfirmedAnswer] = field(default_factory=dict)
    facts: dict[str, str] = field(default_factory=dict)
    gate: dict[str, str] = field(default_factory=dict)  # compliance gate item id -> answer (never scored)
    assessed_on: date | None = None  # the date the answers describe; the gate's date window counts from it
    site: str | None = None


TOP_LEVEL_KEYS = ("protocol", "site", "assessed_on", "facts", "gate", "answers")


def parse_answers(protocol: Protocol, data: Any) -> tuple[dict[str, ConfirmedAnswer], dict[str, str]]:
    """Check raw answers data against a protocol. Returns (answers by question id, site facts)."""
    parsed = read_answers(protocol, data)
    return parsed.answers, parsed.facts


def read_answers(protocol: Protocol, data: Any) -> AnswersFile:
    """Check raw answers data (a parsed YAML or JSON file) against a protocol, every problem reported at once."""
    if not isinstance(data, Mapping):
        raise AnswerError("an answers file must hold a mapping of question id -> field values")
    problems: list[str] = []
    out = AnswersFile()
    if "answers" in data:
        raw_answers = data.get("answers") or {}
        declared = data.get("protocol")
        if declared is not None and str(declared) != protocol.ref:
            problems.append(f"file is for protocol {_cut(declared)}, but the active protocol is {protocol.ref}")
        raw_facts = data.get("facts") or {}
        raw_gate = data.get("gate") or {}
        problems += [f"unknown key '{_cut(k)}' (keys: {', '.join(TOP_LEVEL_KEYS)})" for k in data
                     if k not in TOP_LEVEL_KEYS]  # fmt: skip
        out.site = str(data["site"])[:200] if data.get("site") is not None else None
        if data.get("assessed_on") is not None:
            try:
                out.assessed_on = _date(data["assessed_on"])
            except ValueError:
                problems.append(f"assessed_on: {_short(data['assessed_on'])} is not a date (YYYY-MM-DD)")
    else:
        raw_answers, raw_facts, raw_gate = data, {}, {}
    if not isinstance(raw_answers, Mapping) or not isinstance(raw_facts, Mapping) or not isinstance(raw_gate, Mapping):
        raise AnswerError("'answers', 'facts' and 'gate' must be mappings")

    fact_ids = {f.id for f in protocol.meta.site_facts}
    for name, value in raw_facts.items():
        normal = ("yes" if value else "no") if isinstance(value, bool) else _key(str(value))
        if name not in fact_ids:
            problems.append(f"facts: unknown site fact '{_cut(name)}' (known: {sorted(fact_ids)})")
        elif normal not in ("yes", "no"):
            problems.append(f"facts.{_cut(name)}: {_short(value)} must be yes or no")
        else:
            out.facts[str(name)] = normal
    out.gate = _gate_answers(protocol, raw_gate, problems)
    out.answers = _question_answers(protocol, raw_answers, out.facts, problems)
    if problems:
        shown = problems[:MAX_PROBLEMS_SHOWN]
        if len(problems) > len(shown):
            shown.append(f"... and {len(problems) - len(shown)} more")
        raise AnswerError(f"{len(problems)} problem(s) in the answers:", shown)
    return out


def _date(raw: Any) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    return date.fromisoformat(str(raw).strip())


def gate_value(item: GateItem, raw: Any) -> str | None:
    """A compliance-gate answer as stored (an option id, "yes"/"no", an ISO date, or text); None when not given.
    Raises ValueError saying what is wrong."""
    if raw is None or (isinstance(raw, str) and raw.strip().lower() in NOT_STATED):
        return None
    if item.type is GateAnswerType.YES_NO:
        value = ("yes" if raw else "no") if isinstance(raw, bool) else _key(str(raw))
        if value not in ("yes", "no"):
            raise ValueError(f"{_short(raw)} must be yes or no")
        return value
    if item.type is GateAnswerType.SINGLE_CHOICE:
        options = {o.id: o.id for o in item.options or []} | {o.label.lower(): o.id for o in item.options or []}
        key = str(raw).strip().lower()
        option = options.get(key) or options.get(_key(key))
        if option is None:
            raise ValueError(f"unknown option {_short(raw)}; options: {[o.id for o in item.options or []]}")
        return option
    if item.type is GateAnswerType.DATE:
        try:
            return _date(raw).isoformat()
        except ValueError:
            raise ValueError(f"{_short(raw)} is not a date (YYYY-MM-DD)") from None
    if isinstance(raw, dict | list):
        raise ValueError("must be text")
    return " ".join(str(raw).split())[:2000]


def _gate_answers(protocol: Protocol, raw: Mapping[Any, Any], problems: list[str]) -> dict[str, str]:
    items = {i.id: i for i in protocol.meta.gate.items} if protocol.meta.gate else {}
    out: dict[str, str] = {}
    for name, value in raw.items():
        item = items.get(str(name))
        if item is None:
            known = sorted(items) or "none: this protocol has no compliance gate"
            problems.append(f"gate: unknown item '{_cut(name)}' (known: {known})")
            continue
        try:
            got = gate_value(item, value)
        except ValueError as exc:
            problems.append(f"gate.{item.id}: {exc}")
            continue
        if got is not None:
            out[item.id] = got
    return out


def _question_answers(
    protocol: Protocol, raw_answers: Mapping[Any, Any], facts: dict[str, str], problems: list[str]
) -> dict[str, ConfirmedAnswer]:
    answers: dict[str, ConfirmedAnswer] = {}
    for qid, raw in raw_answers.items():
        question = protocol.question(str(qid))
        if question is None:
            problems.append(f"{_cut(qid)}: unknown question id")
            continue
        if question.status != "active":
            problems.append(f"{qid}: question is retired in {protocol.ref}")
            continue
        if not applies(question, facts):
            cond = question.applies_when
            problems.append(
                f"{qid}: does not apply to this site ({cond.fact if cond else ''} is not '{cond and cond.is_}')"
            )
            continue
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping):
            problems.append(f"{qid}: answer must be a mapping of field -> value")
            continue
        if "na" in raw:
            why = raw.get("na")
            if not isinstance(why, str) or not why.strip():
                problems.append(f"{qid}: N/A needs a justification, e.g. na: 'we have no sterile products'")
            elif len(raw) > 1:
                problems.append(f"{qid}: an N/A answer cannot also give field values")
            else:
                answers[question.id] = ConfirmedAnswer(question_id=question.id, na_justification=why.strip())
            continue
        fields = {f.id: f for f in question.fields}
        values: dict[str, Value] = {}
        for name, value in raw.items():
            fdef = fields.get(str(name))
            if fdef is None:
                problems.append(f"{qid}.{_cut(name)}: unknown field (fields: {sorted(fields)})")
                continue
            try:
                coerced = coerce_value(fdef, value)
            except ValueError as exc:
                problems.append(f"{qid}.{name}: {exc}")
                continue
            if coerced is not None:
                values[fdef.id] = coerced
        answers[question.id] = ConfirmedAnswer(question_id=question.id, values=values)
    return answers


def read_answers_file(path: Path, limits: InputLimits = LIMITS) -> dict[str, Any]:
    """Parse a YAML or JSON answers file within ``limits``; raise AnswerError with a clear reason otherwise.

    Only a regular file is read (not a folder, pipe or device), at most ``limits.answers_file_bytes`` of it; YAML
    aliases are refused and nodes and nesting depth are bounded, so a "billion laughs" file is refused at once.
    """
    name = path.name or str(path)
    is_json = path.suffix.lower() == ".json"
    try:
        text = decode_text(read_regular_file(path, limits.answers_file_bytes))
        data = parse_json(text, limits) if is_json else load_yaml(text, limits)
    except InputRefused as exc:
        where = f"{name}:{exc.line}" if exc.line else name
        raise AnswerError(f"cannot read the answers file {where}: it {exc}") from None
    if not isinstance(data, Mapping):
        found = "nothing" if data is None else "a list" if isinstance(data, list) else "a single value"
        raise AnswerError(
            f"cannot use the answers file {name}: it must hold a mapping of question id -> field values, "
            f"but it holds {found}"
        )
    return {str(key): value for key, value in data.items()}

"""Semantic checks of a protocol (the meaning layer), reporting every issue at once.

Checks: duplicate ids (questions, fields, options, areas, roles); dangling references (area, role, source key, site
fact, guidance note); id prefix vs practice area; options and flags that do not fit a field type; a missing follow-up;
levels other than 2..5 or empty; criteria on unknown fields, with operators or values that do not fit the field; and,
per level, whether the level can be reached at all (criteria do not contradict lower levels) and whether it adds
anything over the levels below (non-increasing levels); a criterion ``source`` or gate source that is not a known
source key; ``evidence_status`` on a field that is not an evidence list; the compliance gate (duplicate ids, answer
types, options, ok values, site facts).

With ``requires_recommendations: true`` in protocol.yaml (version 2 on), the rubric rules of the 2026-11 review apply:
every criterion carries a ``recommendation`` and an ``effort``; level 3 of every question has a criterion on an
evidence list; level 4 has one on an evidence list the assessor has seen (``evidence_status: seen``), so level 5 is
reached only through it; and no criterion at level 3 or above is ``stated`` (any value would pass).

Reachability is decided exactly by enumerating a small set of representative values per field (every closed value,
every subset of a multi-choice, the thresholds of numeric fields), and evaluating the rubric's own ``criterion_holds``
on them, so the validator and the scorer can never disagree about what a criterion means.
"""

from __future__ import annotations

from collections import Counter
from itertools import combinations

from assistant.errors import Issue
from assistant.protocol.models import (
    FREQUENCIES,
    YES_NO_BASE,
    AnswerField,
    Criterion,
    FieldType,
    GateAnswerType,
    GateItem,
    Operator,
    Protocol,
    Question,
    allowed_values,
)
from assistant.rubric import LEVELS, Value, criterion_holds

OPS_BY_TYPE: dict[FieldType, set[Operator]] = {
    FieldType.YES_NO: {Operator.IS, Operator.IN, Operator.AT_LEAST, Operator.STATED},
    FieldType.FREQUENCY: {Operator.IS, Operator.IN, Operator.AT_LEAST, Operator.AT_MOST, Operator.STATED},
    FieldType.COUNT: {Operator.AT_LEAST, Operator.AT_MOST, Operator.STATED},
    FieldType.PERCENTAGE: {Operator.AT_LEAST, Operator.AT_MOST, Operator.STATED},
    FieldType.SINGLE_CHOICE: {Operator.IS, Operator.IN, Operator.STATED},
    FieldType.MULTI_CHOICE: {Operator.INCLUDES, Operator.INCLUDES_ANY, Operator.COUNT_AT_LEAST, Operator.STATED},
    FieldType.EVIDENCE_LIST: {Operator.COUNT_AT_LEAST, Operator.STATED},
    FieldType.FREE_TEXT: {Operator.STATED},
    # criteria on a yearly_values field compare its computed direction (``TRENDS``), never a raw number
    FieldType.YEARLY_VALUES: {Operator.IS, Operator.IN, Operator.AT_LEAST, Operator.AT_MOST, Operator.STATED},
}
MAX_SUBSET_OPTIONS = 12  # 4096 subsets: beyond this a multi_choice is checked without enumeration


def _dupes(ids: list[str]) -> list[str]:
    return sorted(k for k, n in Counter(ids).items() if n > 1)


def _ops_for(field: AnswerField) -> set[Operator]:
    ops = set(OPS_BY_TYPE[field.type])
    if field.type is FieldType.SINGLE_CHOICE and field.ordered:
        ops |= {Operator.AT_LEAST, Operator.AT_MOST}
    return ops


def _check_value(field: AnswerField, crit: Criterion) -> str | None:
    """Why a criterion's value does not fit its field, or None."""
    op, value = crit.op, crit.value
    closed = allowed_values(field)
    if op is Operator.STATED:
        return None if value is None else "'stated' takes no value"
    if op in (Operator.IN, Operator.INCLUDES_ANY):
        if not isinstance(value, list) or not value:
            return f"'{op}' needs a non-empty list of values"
        bad = [v for v in value if closed is not None and v not in closed]
        return f"unknown value(s) {bad}; allowed: {list(closed or [])}" if bad else None
    if op is Operator.COUNT_AT_LEAST:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            return "'count_at_least' needs a whole number >= 1"
        if field.type is FieldType.MULTI_CHOICE and value > len(field.options or []):
            return f"count {value} is more than the field's {len(field.options or [])} options"
        return None
    if field.type in (FieldType.COUNT, FieldType.PERCENTAGE):
        if not isinstance(value, int | float) or isinstance(value, bool):
            return f"'{op}' on a {field.type} field needs a number"
        if value < 0 or (field.type is FieldType.PERCENTAGE and value > 100):
            return f"{value} is outside the field's range"
        return None
    if closed is not None and value not in closed:
        return f"unknown value {value!r}; allowed: {list(closed)}"
    return None


def _field_issues(field: AnswerField) -> list[str]:
    problems = []
    choice = field.type in (FieldType.SINGLE_CHOICE, FieldType.MULTI_CHOICE)
    if choice and not field.options:
        problems.append(f"{field.type} field needs options")
    if not choice and field.options:
        problems.append(f"options are only for single_choice and multi_choice, not {field.type}")
    if field.options:
        problems += [f"duplicate option id '{d}'" for d in _dupes([o.id for o in field.options])]
    if (field.allow_partly or field.allow_planned) and field.type is not FieldType.YES_NO:
        problems.append("allow_partly / allow_planned are only for yes_no fields")
    if field.ordered and field.type is not FieldType.SINGLE_CHOICE:
        problems.append("ordered is only for single_choice fields")
    if not (field.follow_up or "").strip():
        problems.append("follow-up prompt missing")
    if field.evidence_status is not None and field.type is not FieldType.EVIDENCE_LIST:
        problems.append("evidence_status is only for evidence_list fields")
    if field.type is FieldType.YEARLY_VALUES and field.better is None:
        problems.append("a yearly_values field needs better: higher or better: lower")
    if field.better is not None and field.type is not FieldType.YEARLY_VALUES:
        problems.append("better is only for yearly_values fields")
    return problems


def candidate_values(field: AnswerField, criteria: list[Criterion]) -> list[Value | None]:
    """Representative values: enough to decide satisfiability and implication of the criteria exactly."""
    out: list[Value | None] = [None]
    if field.type is FieldType.FREE_TEXT:
        return [*out, "", "stated"]
    if field.type in (FieldType.YES_NO, FieldType.FREQUENCY, FieldType.SINGLE_CHOICE):
        return [*out, *(allowed_values(field) or FREQUENCIES)]
    if field.type is FieldType.YEARLY_VALUES:  # one series for each direction it can take
        up = 1.0 if field.better != "lower" else -1.0
        series = [[5.0], [7.0, 6.0, 5.0], [5.0, 5.0, 5.0], [5.0, 6.0, 7.0]]
        out += [{str(2020 + i): up * v + 50 for i, v in enumerate(s)} for s in series]
        return [*out, {"2020": 50.0, "2021": 50.0, "2022": 50.0, "target": 50.0}]
    if field.type in (FieldType.COUNT, FieldType.PERCENTAGE):
        top = 100 if field.type is FieldType.PERCENTAGE else 10**9
        nums = {0, top} | {c.value for c in criteria if isinstance(c.value, int | float)}
        return [*out, *sorted(nums)]
    if field.type is FieldType.MULTI_CHOICE:
        ids = [o.id for o in field.options or []]
        if len(ids) > MAX_SUBSET_OPTIONS:
            return [*out, [], ids]
        return [*out, *([list(c) for r in range(len(ids) + 1) for c in combinations(ids, r)])]
    # evidence_list: lists of every length up to the largest count asked for, plus one
    longest = max([c.value for c in criteria if isinstance(c.value, int)] + [0]) + 1
    return [*out, *[[f"item {i}" for i in range(n)] for n in range(longest + 1)]]


def _level_issues(question: Question, fields: dict[str, AnswerField]) -> list[tuple[str, str]]:
    """(location, message) for unreachable and non-increasing levels."""
    out: list[tuple[str, str]] = []
    by_field: dict[str, list[Criterion]] = {}
    for lvl in LEVELS:
        for c in question.levels.get(lvl, []):
            by_field.setdefault(c.field, []).append(c)
    domains = {fid: candidate_values(fields[fid], crits) for fid, crits in by_field.items()}
    for lvl in LEVELS:
        new = question.levels.get(lvl, [])
        implied = 0
        for c in new:
            field = fields[c.field]
            before = domains[c.field]
            if before and all(criterion_holds(field, c, v) for v in before):
                implied += 1
            domains[c.field] = [v for v in before if criterion_holds(field, c, v)]
            if before and not domains[c.field]:
                out.append(
                    (f"levels.{lvl}", f"level {lvl} cannot be reached: criteria on '{c.field}' contradict each other")
                )
        if new and implied == len(new):
            out.append((f"levels.{lvl}", f"level {lvl} adds nothing over the levels below it (non-increasing)"))
    return out


def _question_issues(protocol: Protocol, q: Question, note_ids: set[str] | None) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    meta = protocol.meta
    area = protocol.area(q.area)
    if area is None:
        out.append(("area", f"unknown practice area '{q.area}'"))
    elif not q.id.startswith(area.prefix + "-"):
        out.append(("id", f"id '{q.id}' should start with '{area.prefix}-' for area {q.area}"))
    roles = {r.id for r in meta.roles}
    out += [("roles", f"unknown role '{r}'") for r in q.roles if r not in roles]
    out += [("sources", f"unknown source key '{s}'") for s in q.sources if s not in meta.sources]
    if q.applies_when and q.applies_when.fact not in {f.id for f in meta.site_facts}:
        out.append(("applies_when.fact", f"unknown site fact '{q.applies_when.fact}'"))
    if note_ids is not None:
        out += [("guidance_refs", f"no corpus note with id '{n}'") for n in q.guidance_refs if n not in note_ids]
    out += [("fields", f"duplicate field id '{d}'") for d in _dupes([f.id for f in q.fields])]
    fields = {f.id: f for f in q.fields}
    for i, f in enumerate(q.fields):
        out += [(f"fields[{i}]", p) for p in _field_issues(f)]

    wrong_levels = sorted(set(q.levels) - set(LEVELS))
    if wrong_levels:
        out.append(("levels", f"levels must be 2 to 5; found {wrong_levels}"))
    out += [(f"levels.{lvl}", f"level {lvl} has no criteria") for lvl in LEVELS if not q.levels.get(lvl)]
    criteria_ok = True
    for lvl, crits in sorted(q.levels.items()):
        for j, c in enumerate(crits):
            where = f"levels.{lvl}[{j}]"
            field = fields.get(c.field)
            if field is None:
                out.append((where, f"criterion names unknown field '{c.field}'"))
                criteria_ok = False
                continue
            if c.op not in _ops_for(field):
                allowed = ", ".join(sorted(str(o) for o in _ops_for(field)))
                out.append((where, f"operator '{c.op}' does not fit {field.type} field '{c.field}' (use: {allowed})"))
                criteria_ok = False
                continue
            problem = _check_value(field, c)
            if problem:
                out.append((where, problem))
                criteria_ok = False
            if c.source is not None and c.source not in meta.sources:
                out.append((where, f"unknown source key '{c.source}'"))
    if criteria_ok and not wrong_levels:
        out += _level_issues(q, fields)
    if meta.requires_recommendations:
        out += _strict_rubric_issues(q, fields)
    return out


def _strict_rubric_issues(q: Question, fields: dict[str, AnswerField]) -> list[tuple[str, str]]:
    """The version-2 rules (see the module docstring)."""
    out: list[tuple[str, str]] = []

    def on_evidence(lvl: int, seen: bool) -> bool:
        for c in q.levels.get(lvl, []):
            f = fields.get(c.field)
            is_evidence = f is not None and f.type is FieldType.EVIDENCE_LIST and c.op is Operator.COUNT_AT_LEAST
            if is_evidence and f is not None and (not seen or f.evidence_status == "seen"):
                return True
        return False

    if not on_evidence(3, seen=False):
        out.append(("levels.3", "level 3 needs an evidence criterion (count_at_least on an evidence_list field)"))
    if not on_evidence(4, seen=True):
        out.append(("levels.4", "level 4 needs a criterion on an evidence_list field with evidence_status: seen"))
    for lvl, crits in sorted(q.levels.items()):
        for j, c in enumerate(crits):
            where = f"levels.{lvl}[{j}]"
            if c.recommendation is None:
                out.append((where, f"criterion on '{c.field}' needs a recommendation"))
            if c.effort is None:
                out.append((where, f"criterion on '{c.field}' needs an effort (weeks, months, year_plus)"))
            if lvl >= 3 and c.op is Operator.STATED:
                out.append((where, f"'stated' on '{c.field}' at level {lvl}: any answer would pass; use a threshold"))
    return out


def _gate_issues(protocol: Protocol) -> list[tuple[str, str]]:
    gate = protocol.meta.gate
    if gate is None:
        return []
    meta = protocol.meta
    out: list[tuple[str, str]] = [
        ("gate.items", f"duplicate gate item id '{d}'") for d in _dupes([i.id for i in gate.items])
    ]
    facts = {f.id for f in meta.site_facts}
    for n, item in enumerate(gate.items):
        where = f"gate.items[{n}]"
        out += [(where, f"{item.id}: {p}") for p in _gate_item_problems(item)]
        if item.applies_when and item.applies_when.fact not in facts:
            out.append((where, f"{item.id}: unknown site fact '{item.applies_when.fact}'"))
        out += [(where, f"{item.id}: unknown source key '{s}'") for s in item.sources if s not in meta.sources]
    return out


def _gate_item_problems(item: GateItem) -> list[str]:
    problems = []
    if item.type is GateAnswerType.SINGLE_CHOICE:
        ids = [o.id for o in item.options or []]
        if not ids:
            problems.append("single_choice gate item needs options")
        problems += [f"duplicate option id '{d}'" for d in _dupes(ids)]
        allowed: list[str] | None = ids
    else:
        if item.options:
            problems.append("options are only for single_choice gate items")
        allowed = list(YES_NO_BASE) if item.type is GateAnswerType.YES_NO else None
    if allowed is not None:
        if not item.ok:
            problems.append("needs the answers that pass (ok)")
        problems += [f"ok value '{v}' is not one of {allowed}" for v in item.ok if v not in allowed]
    elif item.ok:
        problems.append(f"ok values do not apply to a {item.type} gate item")
    if item.within_years is not None and item.type is not GateAnswerType.DATE:
        problems.append("within_years is only for date gate items")
    return problems


def validate_protocol(
    protocol: Protocol,
    origins: list[tuple[str, str]] | None = None,
    note_ids: set[str] | None = None,
    meta_file: str = "protocol.yaml",
) -> list[Issue]:
    """Every semantic issue in a structurally valid protocol.

    ``origins`` lists (question id, file label) in load order, so issues name the file a question came from.
    """
    origins = origins or []
    origin: dict[str, str] = {}
    for qid, label in origins:
        origin.setdefault(qid, label)
    meta = protocol.meta
    issues: list[Issue] = []
    if set(meta.levels) != {1, 2, 3, 4, 5}:
        issues.append(Issue(meta_file, "levels", f"the scale needs levels 1 to 5; found {sorted(meta.levels)}"))
    for i, area in enumerate(meta.areas):
        bad = sorted(set(area.levels) - {1, 2, 3, 4, 5})
        if bad:
            issues.append(Issue(meta_file, f"areas[{i}].levels", f"unknown level(s) {bad}"))
    for what, ids in (
        ("area id", [a.id for a in meta.areas]),
        ("area prefix", [a.prefix for a in meta.areas]),
        ("role id", [r.id for r in meta.roles]),
        ("site fact id", [f.id for f in meta.site_facts]),
    ):
        issues += [Issue(meta_file, "", f"duplicate {what} '{d}'") for d in _dupes(ids)]

    first: dict[str, str] = {}
    for qid, label in origins:
        if qid in first:
            issues.append(Issue(label, qid, f"duplicate question id (first defined in {first[qid]})"))
        first.setdefault(qid, label)
    issues += [Issue(meta_file, loc, msg) for loc, msg in _gate_issues(protocol)]
    for q in protocol.questions:
        label = origin.get(q.id, "questions")
        issues += [Issue(label, f"{q.id}.{loc}", msg) for loc, msg in _question_issues(protocol, q, note_ids)]
    return issues

"""Carrying answers from one protocol version to the next: the mapping file and its checks.

A mapping file (``protocols/<id>/<new>/mapping-from-<old>.yaml``) says, per question of the new version, which
fields keep their meaning from the old version (their confirmed answers may be carried over, marked "carried over
from version N, please reconfirm") and which need a new answer. Fields are matched by id; a field is only carried
when its type is unchanged and every old option still exists, so a carried value is always valid in the new version.
Only a field listed under ``carry`` is ever carried.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import Field

from assistant.errors import Issue
from assistant.protocol.models import Id, Protocol, QuestionId, Strict


class QuestionMapping(Strict):
    carry: list[Id] = Field(default_factory=list, description="Fields whose old answers keep their meaning.")
    new: list[Id] = Field(default_factory=list, description="Fields that need a new answer.")


class VersionMapping(Strict):
    old: str = Field(alias="from", description="id@version answers come from")
    new: str = Field(alias="to", description="id@version answers go to")
    questions: dict[QuestionId, QuestionMapping]


def mapping_path(new_folder: Path, old_version: int) -> Path:
    return Path(new_folder) / f"mapping-from-{old_version}.yaml"


def load_mapping(path: Path) -> VersionMapping:
    return VersionMapping.model_validate(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


def derive_mapping(old: Protocol, new: Protocol) -> VersionMapping:
    """The mapping the field definitions allow: same id, same type, no old option lost."""
    questions: dict[str, QuestionMapping] = {}
    for q in new.questions:
        before = old.question(q.id)
        old_fields = {f.id: f for f in before.fields} if before else {}
        carry: list[str] = []
        fresh: list[str] = []
        for f in q.fields:
            o = old_fields.get(f.id)
            same = o is not None and o.type == f.type
            if same and o is not None and o.options is not None:
                same = {x.id for x in o.options} <= {x.id for x in f.options or []}
            (carry if same else fresh).append(f.id)
        questions[q.id] = QuestionMapping(carry=carry, new=fresh)
    return VersionMapping.model_validate({"from": old.ref, "to": new.ref, "questions": questions})


def check_mapping(mapping: VersionMapping, old: Protocol, new: Protocol, label: str = "mapping") -> list[Issue]:
    """Every way the mapping disagrees with the two protocols, all at once."""
    issues: list[Issue] = []
    if (mapping.old, mapping.new) != (old.ref, new.ref):
        issues.append(Issue(label, "", f"maps {mapping.old} -> {mapping.new}, not {old.ref} -> {new.ref}"))
    allowed = derive_mapping(old, new).questions
    for q in new.questions:
        if q.id not in mapping.questions:
            issues.append(Issue(label, q.id, "question missing from the mapping"))
            continue
        m, ok = mapping.questions[q.id], allowed[q.id]
        listed = m.carry + m.new
        issues += [Issue(label, q.id, f"field '{f}' listed twice") for f in {x for x in listed if listed.count(x) > 1}]
        issues += [Issue(label, q.id, f"field '{f.id}' not listed") for f in q.fields if f.id not in listed]
        issues += [Issue(label, q.id, f"unknown field '{f}'") for f in listed if f not in {x.id for x in q.fields}]
        issues += [
            Issue(label, q.id, f"field '{f}' cannot be carried (new, retyped, or an old option is gone)")
            for f in m.carry
            if f not in ok.carry
        ]
    issues += [
        Issue(label, qid, "no such question in the new version")
        for qid in mapping.questions
        if new.question(qid) is None
    ]
    return issues

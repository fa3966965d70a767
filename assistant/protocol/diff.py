"""What changed between two protocol versions: questions, fields, options, criteria, gate items and metadata.

Objects are matched by id (questions, fields, options, areas, roles, site facts, gate items); criteria have no id and
are matched within a level by (field, operator), so a criterion whose value moved is "changed", and one that moved to
another level is "removed" at the old level and "added" at the new one. Extraction hints (option ``aliases``, field
``cues``) are reported as their own kind, because they never change a score.
Pure: two ``Protocol`` objects in, a ``ProtocolDiff`` out.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant.protocol.models import Protocol

What = Literal["added", "removed", "changed"]
Kind = Literal["question", "field", "option", "criterion", "gate_item", "hint", "meta"]
PLURAL: dict[str, str] = {
    "question": "questions",
    "field": "fields",
    "option": "options",
    "criterion": "criteria",
    "gate_item": "gate items",
    "hint": "extraction hints",
    "meta": "protocol metadata",
}
HINT_KEYS = frozenset({"aliases", "cues"})


class Change(BaseModel):
    """One difference. ``path`` locates it, e.g. ``MC-01.fields.review.options.monthly`` or ``MC-01.levels.3``."""

    what: What
    kind: Kind
    path: str
    detail: str = Field(description="What changed, in words: the object added or removed, or old -> new values.")


class ProtocolDiff(BaseModel):
    old: str
    new: str
    questions_added: list[str]
    questions_removed: list[str]
    questions_changed: list[str]
    changes: list[Change]

    def summary(self) -> dict[str, dict[str, int]]:
        """Objects added, removed or changed per kind, e.g. {"criterion": {"added": 3, "changed": 1}}.

        A question, field, option or gate item with several changed attributes counts once; each criterion entry
        is one criterion; metadata and hints count per attribute.
        """
        objects = {(c.kind, c.what, _object_of(c)) for c in self.changes}
        counts: dict[str, dict[str, int]] = {}
        for (kind, what), n in sorted(Counter((kind, what) for kind, what, _ in objects).items()):
            counts.setdefault(kind, {})[what] = n
        return counts


def _object_of(change: Change) -> str:
    """The path of the object a change belongs to (a criterion entry is its own object)."""
    if change.kind == "criterion":
        return f"{change.path} {change.detail}"
    parts = change.path.split(".")
    anchor = {"question": 1, "field": 3, "option": 5}.get(change.kind)
    if change.kind == "gate_item":
        anchor = parts.index("items") + 2 if "items" in parts else len(parts)
    return ".".join(parts[:anchor]) if anchor else change.path


def _short(value: Any, limit: int = 90) -> str:
    if isinstance(value, dict) and "id" in value:
        text = str(value["id"])
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        text = "[" + ", ".join(value) + "]"
    else:
        text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _criterion_text(c: dict[str, Any]) -> str:
    value = "" if c.get("value") is None else f" {_short(c['value'])}"
    return f"{c['field']} {c['op']}{value}"


class _Differ:
    def __init__(self) -> None:
        self.changes: list[Change] = []

    def add(self, what: What, kind: Kind, path: str, detail: str) -> None:
        self.changes.append(Change(what=what, kind=kind, path=path, detail=detail))

    def attrs(self, path: str, kind: Kind, old: dict[str, Any], new: dict[str, Any], skip: set[str]) -> None:
        """Compare the plain attributes of two objects; one 'changed' entry per differing attribute."""
        for key in sorted((set(old) | set(new)) - skip):
            a, b = old.get(key), new.get(key)
            if a == b:
                continue
            if key in HINT_KEYS:
                self.strings(f"{path}.{key}", "hint", a or [], b or [])
            elif isinstance(a, list) and isinstance(b, list) and all(isinstance(v, str) for v in a + b):
                self.strings(f"{path}.{key}", kind, a, b)
            elif isinstance(a, list | type(None)) and isinstance(b, list | type(None)) and _has_ids(a, b):
                self.by_id(f"{path}.{key}", _kind_of(key, kind), a or [], b or [])
            elif isinstance(a, dict | type(None)) and isinstance(b, dict | type(None)) and key != "applies_when":
                self.attrs(f"{path}.{key}", kind, a or {}, b or {}, set())
            else:
                self.add("changed", kind, f"{path}.{key}", f"{_short(a)} -> {_short(b)}")

    def strings(self, path: str, kind: Kind, old: list[str], new: list[str]) -> None:
        added = [v for v in new if v not in old]
        removed = [v for v in old if v not in new]
        parts = ([f"added {_short(added)}"] if added else []) + ([f"removed {_short(removed)}"] if removed else [])
        if not parts and old != new:
            parts = ["reordered"]
        self.add("changed", kind, path, "; ".join(parts))

    def by_id(self, path: str, kind: Kind, old: list[dict[str, Any]], new: list[dict[str, Any]]) -> None:
        olds = {o["id"]: o for o in old}
        news = {n["id"]: n for n in new}
        for oid in olds:
            if oid not in news:
                self.add("removed", kind, f"{path}.{oid}", _describe(olds[oid]))
        for nid, n in news.items():
            if nid not in olds:
                self.add("added", kind, f"{path}.{nid}", _describe(n))
            elif olds[nid] != n:
                self.attrs(f"{path}.{nid}", kind, olds[nid], n, {"id"})

    def levels(self, path: str, old: dict[str, list[dict[str, Any]]], new: dict[str, list[dict[str, Any]]]) -> None:
        for lvl in sorted(set(old) | set(new), key=int):
            where = f"{path}.levels.{lvl}"
            a, b = list(old.get(lvl, [])), list(new.get(lvl, []))
            unmatched_new = list(b)
            for crit in a:
                match = next((c for c in unmatched_new if (c["field"], c["op"]) == (crit["field"], crit["op"])), None)
                if match is None:
                    self.add("removed", "criterion", where, _criterion_text(crit))
                    continue
                unmatched_new.remove(match)
                if match != crit:
                    diffs = [
                        f"{k}: {_short(crit.get(k))} -> {_short(match.get(k))}"
                        for k in sorted(set(crit) | set(match))
                        if crit.get(k) != match.get(k)
                    ]
                    self.add("changed", "criterion", where, f"{crit['field']} {crit['op']}: " + "; ".join(diffs))
            for crit in unmatched_new:
                self.add("added", "criterion", where, _criterion_text(crit))


def _has_ids(*lists: list[Any] | None) -> bool:
    items = [x for lst in lists for x in (lst or [])]
    return bool(items) and all(isinstance(x, dict) and "id" in x for x in items)


def _kind_of(key: str, parent: Kind) -> Kind:
    return {"fields": "field", "options": "option", "items": "gate_item"}.get(key, parent)  # type: ignore[return-value]


def _describe(obj: dict[str, Any]) -> str:
    label = obj.get("label") or obj.get("topic") or obj.get("name") or obj.get("question") or ""
    extra = f" ({obj['type']})" if "type" in obj else ""
    return f"{obj['id']}{extra}: {label}".rstrip(": ")


def diff_protocols(old: Protocol, new: Protocol) -> ProtocolDiff:
    """Every difference from ``old`` to ``new`` (retired questions included; status changes are reported)."""
    d = _Differ()
    old_meta = old.meta.model_dump(mode="json", by_alias=True)
    new_meta = new.meta.model_dump(mode="json", by_alias=True)
    d.attrs("meta", "meta", old_meta, new_meta, {"id"})
    olds = {q.id: q.model_dump(mode="json", by_alias=True) for q in old.questions}
    news = {q.id: q.model_dump(mode="json", by_alias=True) for q in new.questions}
    added = [qid for qid in news if qid not in olds]
    removed = [qid for qid in olds if qid not in news]
    changed = []
    for qid in removed:
        d.add("removed", "question", qid, _describe(olds[qid]))
    for qid in added:
        d.add("added", "question", qid, _describe(news[qid]))
    for qid, q in news.items():
        if qid in olds and olds[qid] != q:
            changed.append(qid)
            d.attrs(qid, "question", olds[qid], q, {"id", "levels"})
            d.levels(qid, olds[qid]["levels"], q["levels"])
    return ProtocolDiff(
        old=old.ref,
        new=new.ref,
        questions_added=added,
        questions_removed=removed,
        questions_changed=changed,
        changes=d.changes,
    )


def render_diff(diff: ProtocolDiff, hints: bool = True) -> str:
    """Plain-text report: a summary line, then every change grouped by question (metadata first)."""
    lines = [f"{diff.old} -> {diff.new}"]
    summary = diff.summary()
    counts = ", ".join(
        f"{PLURAL[kind]} " + " ".join(f"{what} {n}" for what, n in summary[kind].items())
        for kind in PLURAL
        if kind in summary
    )
    lines.append(f"  {counts}" if counts else "  no differences")
    group = None
    for c in diff.changes:
        if c.kind == "hint" and not hints:
            continue
        head = c.path.split(".")[0]
        if head != group:
            group = head
            lines.append("")
            lines.append(f"{head}:")
        rest = c.path[len(head) + 1 :] if "." in c.path else ""
        where = f" {rest}" if rest else ""
        lines.append(f"  {c.what} {c.kind}{where}: {c.detail}")
    if not hints:
        n = sum(c.kind == "hint" for c in diff.changes)
        if n:
            lines.append(f"\n({n} extraction-hint changes not shown; --hints to list them)")
    return "\n".join(lines)

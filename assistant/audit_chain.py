"""The audit trail's hash chain and the checks of ``qmm audit verify``: pure functions over rows (no database).

Every audit event carries ``prev_hash``, the ``hash`` of the event before it (``GENESIS`` for the first), and its
own ``hash``: HMAC-SHA256 of its canonical form (``canonical``: the fields in ``HASHED`` as sorted-key JSON with an
ISO timestamp, so SQLite and PostgreSQL give the same bytes), keyed by the audit key, which is kept outside the
database (``assistant.audit_key``). Events are chained in id order, so changing, removing, inserting or reordering
an event breaks the chain at that event or the one after it; an event forged without the key does not recompute.

The key makes a forged event detectable by someone who does NOT hold the key; it does not stop someone who holds
both the database and the key from rewriting the whole history and re-chaining it. What anchors the history then is
a head recorded elsewhere: ``qmm audit head`` (the latest event's id and hash) copied into a signed report or
another system; ``qmm audit verify --head HASH`` checks that event is still in the chain. The chain alone also
cannot show that the LAST events were removed: only a recorded head can.

Checks, each returning ``Finding``s in the order they are met (the first one is what ``verify`` reports):
  ``chain_findings``   the chain: every hash recomputes and links to the event before it, from GENESIS on
  ``head_findings``    a recorded head is still an event of the chain
  ``record_findings``  answers and conflict resolutions against the events their writes produced
  ``trigger_findings`` the append-only triggers on audit_events are in place
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = [
    "ANSWER_ACTIONS",
    "GENESIS",
    "HASHED",
    "AuditReport",
    "Finding",
    "canonical",
    "chain_findings",
    "derive_assessment",
    "event_hash",
    "head_findings",
    "record_findings",
    "trigger_findings",
]

GENESIS = "0" * 64  # the prev_hash of the first event
HASHED = ("at", "who", "action", "entity", "entity_id", "assessment_id", "before", "after", "protocol", "prev_hash")
ANSWER_ACTIONS = ("draft", "confirmed", "na")  # the actions of an answer version's event (``Store._apply``)
LABELS = {"event": "event", "answer": "answer row", "resolution": "conflict resolution row", "trigger": "trigger",
          "head": "recorded head"}  # fmt: skip


@dataclass(frozen=True)
class Finding:
    """One event, row or trigger that does not fit, and what is wrong with it."""

    kind: Literal["event", "answer", "resolution", "trigger", "head"]
    id: int | str
    message: str

    def __str__(self) -> str:
        return f"{LABELS[self.kind]} {self.id}: {self.message}"


@dataclass
class AuditReport:
    events: int
    answers: int
    resolutions: int
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def _plain(value: Any) -> Any:
    """The value as it reads back from a JSON column (tuples become lists, keys strings)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return json.loads(json.dumps(value, allow_nan=False))


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def canonical(event: Mapping[str, Any]) -> bytes:
    """The bytes an event's hash covers: the ``HASHED`` fields, sorted-key compact JSON, ``at`` in ISO form."""
    content = {name: event.get(name) for name in HASHED}
    if isinstance(content["at"], datetime):
        content["at"] = content["at"].isoformat()
    content["before"], content["after"] = _plain(content["before"]), _plain(content["after"])
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def event_hash(key: bytes, event: Mapping[str, Any]) -> str:
    return hmac.new(key, canonical(event), hashlib.sha256).hexdigest()


def derive_assessment(event: Mapping[str, Any], assessment_of: Mapping[int, int]) -> int | None:
    """The assessment an event written before schema 4 is about, from its content (``assessment_of``: interview id
    -> assessment id); None for account events or when it cannot be told."""
    entity, entity_id = event.get("entity"), str(event.get("entity_id"))
    if entity == "assessment" and entity_id.isdigit():
        return int(entity_id)
    if entity == "interview" and entity_id.isdigit():
        return assessment_of.get(int(entity_id))
    if entity == "answer":
        for side in (event.get("after"), event.get("before")):
            if isinstance(side, dict):
                interview = side.get("interview", side.get("chosen_interview_id"))
                if isinstance(interview, int):
                    return assessment_of.get(interview)
    return None


# --- (a) the chain -------------------------------------------------------------------------------------------------
def chain_findings(key: bytes, events: Sequence[Mapping[str, Any]]) -> list[Finding]:
    """Events in id order: each hash recomputes, each prev_hash is the hash of the event before (GENESIS first)."""
    found: list[Finding] = []
    expected, before_id = GENESIS, None
    unreadable = 0
    for e in events:
        if not e.get("hash") or not e.get("prev_hash"):
            found.append(Finding("event", e["id"], "has no hash: it was added outside this tool"))
            continue
        if e["prev_hash"] != expected:
            where = f"the hash of event {before_id}, the event before it" if before_id else "the genesis value"
            found.append(Finding("event", e["id"], f"its prev_hash is not {where}: an event between them was "
                                 "removed, or this one was inserted or moved"))  # fmt: skip
        elif not hmac.compare_digest(e["hash"], event_hash(key, e)):
            unreadable += 1
            found.append(Finding("event", e["id"], "its hash does not recompute: its content was changed after it "
                                 "was written, or it was written without the audit key"))  # fmt: skip
        expected, before_id = e["hash"], e["id"]
    if len(events) > 1 and unreadable == len(events):
        return [Finding("event", events[0]["id"], "no event's hash recomputes with this key: the audit key file is "
                        "not the one this trail was written with (restore audit.key from its backup)")]  # fmt: skip
    return found


def head_findings(events: Sequence[Mapping[str, Any]], head: str | None) -> list[Finding]:
    """A head recorded elsewhere (``qmm audit head``) must still be the hash of an event of the chain."""
    if head is None or any(e.get("hash") == head for e in events):
        return []
    return [Finding("head", head, "is not the hash of any event: events were removed from the end of the trail, "
                    "or the history was rewritten since it was recorded")]  # fmt: skip


# --- (b) answers and conflict resolutions against their events ----------------------------------------------------
def record_findings(events: Sequence[Mapping[str, Any]], answers: Sequence[Mapping[str, Any]],
                    resolutions: Sequence[Mapping[str, Any]]) -> list[Finding]:  # fmt: skip
    """Every answer row has exactly the event its write produced (its ``after`` is the row's summary) and every
    answer event's version is still a row with those values; likewise conflict resolutions.

    ``answers``: {"id", "assessment_id", "question_id", "version", "summary"}; ``resolutions``: {"id",
    "assessment_id", "question_id", "chosen_interview_id", "versions", "reason", "who", "at"}."""
    return _answer_findings(events, answers) + _resolution_findings(events, resolutions)


def _differences(now: Mapping[str, Any], recorded: Mapping[str, Any], prefix: str = "") -> list[str]:
    """'name is X, recorded Y' for each field that differs (one level into nested objects, as ``values``)."""
    out: list[str] = []
    for name in sorted(set(now) | set(recorded)):
        a, b = now.get(name), recorded.get(name)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict) and not prefix:
            out += _differences(a, b, f"{name}.")
        else:
            out.append(f"{prefix}{name} is {a!r}, recorded {b!r}")
    return out


def _answer_findings(events: Sequence[Mapping[str, Any]], answers: Sequence[Mapping[str, Any]]) -> list[Finding]:
    found: list[Finding] = []
    rows = {(a["assessment_id"], a["question_id"], a["version"]): a for a in answers}
    seen: dict[tuple[Any, ...], Any] = {}
    for e in events:
        if e.get("entity") != "answer" or e.get("action") not in ANSWER_ACTIONS:
            continue
        after = _dict(e.get("after"))
        key = (e.get("assessment_id"), e.get("entity_id"), after.get("version"))
        what = f"{key[1]} version {key[2]} of assessment {key[0]}"
        if key in seen:
            found.append(Finding("event", e["id"], f"records {what} again (event {seen[key]} already did)"))
            continue
        seen[key] = e["id"]
        row = rows.get(key)
        if row is None:
            found.append(Finding("event", e["id"], f"records {what}, but that answer row is missing: it was deleted "
                                 "or its question, version or assessment was changed"))  # fmt: skip
            continue
        differences = _differences(_plain(row["summary"]), after)
        if differences:
            found.append(Finding("answer", row["id"], f"{what} differs from its audit event {e['id']}: "
                                 + "; ".join(differences)))  # fmt: skip
    for key, row in rows.items():
        if key not in seen:
            found.append(Finding("answer", row["id"], f"{key[1]} version {key[2]} of assessment {key[0]} has no "
                                 "audit event: it was added outside this tool"))  # fmt: skip
    return found


def _resolution_findings(events: Sequence[Mapping[str, Any]],
                         resolutions: Sequence[Mapping[str, Any]]) -> list[Finding]:  # fmt: skip
    found: list[Finding] = []
    unmatched = list(resolutions)
    for e in events:
        if e.get("action") != "resolve_conflict":
            continue
        key = (e.get("assessment_id"), e.get("entity_id"), e.get("at"))
        row = next((r for r in unmatched if (r["assessment_id"], r["question_id"], r["at"]) == key), None)
        what = f"the resolution of {key[1]} in assessment {key[0]}"
        if row is None:
            found.append(Finding("event", e["id"], f"records {what}, but that row is missing: it was deleted or its "
                                 "question, assessment or time was changed"))  # fmt: skip
            continue
        unmatched.remove(row)
        after, before = _dict(e.get("after")), _dict(e.get("before"))
        recorded = {"chosen_interview_id": after.get("chosen_interview_id"), "reason": after.get("reason"),
                    "who": e.get("who"), "versions": {i: _dict(a).get("version")
                                                      for i, a in _dict(before.get("answers")).items()}}  # fmt: skip
        differences = _differences({name: _plain(row[name]) for name in recorded}, recorded)
        if differences:
            found.append(Finding("resolution", row["id"], f"{what} differs from its audit event {e['id']}: "
                                 + "; ".join(differences)))  # fmt: skip
    for row in unmatched:
        found.append(Finding("resolution", row["id"], f"the resolution of {row['question_id']} in assessment "
                             f"{row['assessment_id']} has no audit event: it was added outside this tool"))  # fmt: skip
    return found


# --- (c) the append-only triggers ---------------------------------------------------------------------------------
def trigger_findings(expected: Sequence[str], found: Mapping[str, bool]) -> list[Finding]:
    """``found``: trigger name -> whether it is enabled and still refuses the change it was made to refuse."""
    out: list[Finding] = []
    for name in expected:
        if name not in found:
            out.append(Finding("trigger", name, "is missing: audit_events no longer refuses UPDATE and DELETE "
                               "(it was dropped outside this tool)"))  # fmt: skip
        elif not found[name]:
            out.append(Finding("trigger", name, "was disabled or replaced: it no longer refuses what it was made "
                               "to refuse"))  # fmt: skip
    return out

"""``qmm audit``: check the audit trail (``verify``), export one assessment's trail (``export``), print its head.

Whoever can run this owns the database file (and can read the audit key), like ``qmm user``; the logic is in
``assistant.store_audit`` and ``assistant.audit_chain``, this module only prints.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.store_audit import AuditTrail

__all__ = ["add_audit_parser", "cmd_audit"]


def _verify(args: argparse.Namespace, trail: AuditTrail) -> int:
    report = trail.verify(head=args.head)
    if report.ok:
        plural = "" if report.resolutions == 1 else "s"
        print(f"ok: {report.events} events, {report.answers} answers verified ({report.resolutions} conflict "
              f"resolution{plural}; append-only triggers in place)")  # fmt: skip
        return 0
    shown = report.findings if args.all else report.findings[:1]
    for finding in shown:
        print(f"FAILED: {finding}", file=sys.stderr)
    if len(report.findings) > len(shown):
        print(f"({len(report.findings) - len(shown)} more finding(s) after this first one; --all lists them)",
              file=sys.stderr)  # fmt: skip
    return 1


def _cell(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if isinstance(value, dict | list) else value


def _write_csv(events: list[dict[str, Any]], out: IO[str]) -> None:
    from assistant.store_audit import EXPORT_COLUMNS

    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for event in events:
        writer.writerow([_cell(event[c]) if c in ("before", "after") else event[c] for c in EXPORT_COLUMNS])


def _export(args: argparse.Namespace, trail: AuditTrail) -> int:
    reference: int | str = int(args.assessment) if args.assessment.isdigit() else args.assessment
    events = trail.export(reference)
    target = Path(args.output) if args.output else None
    with open(target, "w", newline="", encoding="utf-8") if target else nullcontext(sys.stdout) as out:
        if args.format == "json":
            out.write(json.dumps(events, indent=2, ensure_ascii=False) + "\n")
        else:
            _write_csv(events, out)
    if target:
        print(f"wrote {len(events)} events of assessment {args.assessment} to {target}")
    return 0


def _head(args: argparse.Namespace, trail: AuditTrail) -> int:
    head = trail.head()
    if head is None:
        print("no audit events yet", file=sys.stderr)
    elif args.json:
        print(json.dumps(head))
    else:
        print(f"{head['id']} {head['hash']}")
    return 0


def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.service import AssessmentService

    service = AssessmentService(settings)
    commands = {"verify": _verify, "export": _export, "head": _head}
    try:
        return commands[args.audit_command](args, service.audit_trail)
    finally:
        service.store.close()


def add_audit_parser(sub: Any) -> None:
    audit = sub.add_parser("audit", help="the audit trail: verify its hash chain, export an assessment's, its head")
    asub = audit.add_subparsers(dest="audit_command", required=True)
    verify = asub.add_parser("verify", help="check the chain, answers and resolutions against it, and the triggers")
    verify.add_argument("--head", help="a hash recorded earlier with `qmm audit head`: it must still be in the chain")
    verify.add_argument("--all", action="store_true", help="list every finding, not only the first")
    export = asub.add_parser("export", help="every audit event about one assessment, in order, with its hashes")
    export.add_argument("--assessment", required=True, metavar="REF", help="the assessment's id or token")
    export.add_argument("--format", choices=["csv", "json"], default="csv", help="csv (default) or json")
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    head = asub.add_parser("head", help="the latest event's id and hash (record it elsewhere to anchor the trail)")
    head.add_argument("--json", action="store_true", help='{"id", "hash", "at"}')
    audit.set_defaults(func=cmd_audit)

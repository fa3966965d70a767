"""``qmm report``, ``qmm import`` and ``qmm evidence``: the assessor's outputs from the command line.

Whoever can run these owns the database file, so they act as the operator (``Principal.operator()``).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.safe_input import LIMITS, decode_text, parse_json, read_regular_file
from assistant.settings import Settings

__all__ = ["add_report_parsers"]

FORMATS = ("docx", "xlsx", "json", "md")
EXPORT_LIMITS = replace(LIMITS, yaml_nodes=LIMITS.export_values)


def _ref(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def _write(data: bytes, out: str | None, fmt: str) -> None:
    if out:
        Path(out).write_bytes(data)
        print(f"wrote {out} ({len(data):,} bytes)", file=sys.stderr)
    elif fmt in ("json", "md"):
        sys.stdout.write(data.decode("utf-8"))
    else:
        raise AssistantError(f"A {fmt} report is binary: give a file with -o FILE.")


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.auth import Principal
    from assistant.reports.render import render
    from assistant.service import AssessmentService

    svc = AssessmentService(settings)
    if bool(args.answers) == bool(args.ref):
        raise AssistantError("Name an assessment (its number or token) or an answers file (--answers FILE).")
    if args.answers:
        report = svc.reports.from_answers_file(Path(args.answers))
        data = render(report, args.format)
    elif args.format == "json":  # the report and the whole assessment, which qmm import restores
        data = json.dumps(svc.reports.export(Principal.operator(), _ref(args.ref)), indent=2,
                          ensure_ascii=False).encode("utf-8")  # fmt: skip
    else:
        data = render(svc.reports.for_assessment(Principal.operator(), _ref(args.ref)), args.format)
    _write(data, args.output, args.format)
    return 0


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.auth import Principal
    from assistant.safe_input import InputRefused
    from assistant.service import AssessmentService

    try:
        data = parse_json(decode_text(read_regular_file(Path(args.file), LIMITS.export_file_bytes)), EXPORT_LIMITS)
    except InputRefused as exc:
        raise AssistantError(f"cannot read {args.file}: it {exc}") from None
    token = AssessmentService(settings).reports.import_(Principal.operator(), data)
    print(f"imported as assessment {token}")
    return 0


def cmd_evidence(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.auth import Principal
    from assistant.service import AssessmentService

    assessor = AssessmentService(settings).assessor
    me, ref = Principal.operator(), _ref(args.ref)
    if args.evidence_command == "list":
        rows: Any = assessor.evidence(me, ref)
        if args.json:
            print(json.dumps(rows, indent=2, ensure_ascii=False))
        for e in rows if not args.json else []:
            sha = f" sha256:{e['sha256'][:12]}" if e["sha256"] else ""
            print(f"{e['id']:>4}  {e['question_id']:<7} {e['status']:<7} {e['kind']:<7} {e['title']}{sha}")
    elif args.evidence_command == "add":
        if args.file:
            path = Path(args.file)
            item = assessor.add_file(me, ref, args.question, args.title or path.name, read_regular_file(path, 21 << 20))
        else:
            item = assessor.add_record(me, ref, args.question, args.title or "", passage=args.passage)
        print(f"added evidence item {item} to {args.question} (claimed)")
    elif args.evidence_command == "seen":
        assessor.set_status(me, ref, args.item, "claimed" if args.undo else "seen", who=args.who or "")
        print(f"evidence item {args.item} is {'claimed' if args.undo else 'seen'}")
    else:
        for group in assessor.requests(me, ref):
            print(group["role"])
            for i in group["items"]:
                print(f"  {i['question_id']} {i['topic']} (for level {i['level']}): {i['need']}")
    return 0


def add_report_parsers(sub: Any) -> None:
    report = sub.add_parser("report", help="the findings report of an assessment or an answers file")
    report.add_argument("ref", nargs="?", help="the assessment's number or token (qmm assessment list)")
    report.add_argument("--answers", help="an answers file instead of an assessment (no database needed)")
    report.add_argument("--format", choices=FORMATS, default="md")
    report.add_argument("-o", "--output", help="the file to write (required for docx and xlsx)")
    report.set_defaults(func=cmd_report)
    imp = sub.add_parser("import", help="restore an assessment from its JSON report (qmm report REF --format json)")
    imp.add_argument("file")
    imp.set_defaults(func=cmd_import)
    ev = sub.add_parser("evidence", help="the evidence register of an assessment: list, add, seen, requests")
    esub = ev.add_subparsers(dest="evidence_command", required=True)
    listing = esub.add_parser("list", help="every evidence item: id, question, status, kind, title")
    listing.add_argument("ref")
    listing.add_argument("--json", action="store_true")
    add = esub.add_parser("add", help="a file, a named record or a site-document passage, as claimed evidence")
    add.add_argument("ref")
    add.add_argument("--question", required=True)
    what = add.add_mutually_exclusive_group(required=True)
    what.add_argument("--file", help="a PDF, DOCX, XLSX, PNG, JPEG or text file (kept by its SHA-256)")
    what.add_argument("--title", help="a named record: title, number, date")
    what.add_argument("--passage", help="a passage id of an ingested site document (qmm search --collection site)")
    seen = esub.add_parser("seen", help="mark an item seen by the assessor (--undo: back to claimed)")
    seen.add_argument("ref")
    seen.add_argument("item", type=int)
    seen.add_argument("--who", help="the assessor's name, for the audit log")
    seen.add_argument("--undo", action="store_true")
    requests = esub.add_parser("requests", help="the records each question's next level still needs, per owner")
    requests.add_argument("ref")
    for parser in (ev,):
        parser.set_defaults(func=cmd_evidence)

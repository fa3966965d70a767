"""``qmm assessment``: assessments from the command line (list, finalise, reopen, upgrade to a newer version).

Whoever can run this owns the database file, so it acts as the operator (``Principal.operator()``).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from assistant.settings import Settings

__all__ = ["add_assessment_parser", "cmd_assessment"]


def _ref(text: str) -> int | str:
    """An assessment by its number (server side) or its token."""
    return int(text) if text.isdigit() else text


def cmd_assessment(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.auth import Principal
    from assistant.service import AssessmentService

    svc = AssessmentService(settings)
    reviews = svc.reviews
    me = Principal.operator()
    if args.assessment_command == "list":
        rows = reviews.assessments(me)
        if args.json:
            print(json.dumps(rows, indent=2, ensure_ascii=False))
            return 0
        for a in rows:
            print(f"{a['id']:>4}  {a['token']}  {a['protocol']:<24} {a['status']:<7} {a['interviews']} interview(s)  "
                  f"{a['site']}  ({a['created_at'][:10]})")  # fmt: skip
        if not rows:
            print("no assessments yet")
        return 0
    if args.assessment_command == "review":
        views = svc.assessor.review(me, _ref(args.ref))
        if args.json:
            print(json.dumps([v.model_dump(mode="json") for v in views], indent=2, ensure_ascii=False))
            return 0
        for v in views:
            flag = " CONFLICT" if v.conflict else ""
            flag += f" validated by {v.validated['who']}" if v.validated else ""
            print(f"{v.question_id} {v.topic}{flag}")
            for answer in v.answers:
                print(f"  {answer.interviewee} ({answer.role}), {answer.status}, level {answer.level}, version "
                      f"{answer.version}, {answer.at[:16]}, interview {answer.interview}")  # fmt: skip
                for label, value, quote in answer.fields:
                    print(f"    {label}: {value}" + (f'  "{quote}"' if quote else ""))
        return 0
    if args.assessment_command == "validate":
        values = dict(v.split("=", 1) for v in args.value) if args.value else None
        svc.assessor.validate(me, _ref(args.ref), args.question, args.reason, args.choose, values, args.who)
        print(f"validated {args.question}")
        return 0
    if args.assessment_command in ("finalise", "reopen"):
        reopen = args.assessment_command == "reopen"
        reviews.finalise(me, _ref(args.ref), args.reason or "", args.who, reopen=reopen)
        print(f"assessment {args.ref} is {'open again' if reopen else 'finalised (locked)'}")
        return 0
    report = reviews.upgrade_assessment(me, _ref(args.ref), args.to)
    if args.json:
        print(json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return 0
    print(f"new assessment {report.assessment} on {report.new_protocol} (from {report.source} on "
          f"{report.old_protocol}, which is unchanged): {report.carried_answers} answer(s) carried over, marked "
          "'carried over: please reconfirm'")  # fmt: skip
    for i in report.interviews:
        print(f"  interview {i['token']}: {i['interviewee']} ({i['role']})")
    print("needs new answers:")
    for q in report.questions:
        if q.needs:
            was = f" (N/A in the old version: {'; '.join(q.was_na)})" if q.was_na else ""
            print(f"  {q.question_id} {q.topic}: {', '.join(q.needs)}{was}")
    return 0


def add_assessment_parser(sub: Any) -> None:
    parser = sub.add_parser("assessment", help="assessments: list, finalise, reopen, upgrade to a newer protocol")
    asub = parser.add_subparsers(dest="assessment_command", required=True)
    listing = asub.add_parser("list", help="every assessment: number, token, protocol, status, site")
    listing.add_argument("--json", action="store_true")
    review = asub.add_parser("review", help="every answered question with each interviewee's answer side by side")
    review.add_argument("ref")
    review.add_argument("--json", action="store_true")
    validate = asub.add_parser("validate", help="make one question's answer final, with a reason (assessors)")
    validate.add_argument("ref")
    validate.add_argument("question")
    how = validate.add_mutually_exclusive_group(required=True)
    how.add_argument("--choose", help="the interview token whose answer to take (qmm assessment review shows it)")
    how.add_argument("--value", action="append", help="FIELD=VALUE of your own consolidated answer (repeat)")
    validate.add_argument("--reason", required=True)
    validate.add_argument("--who", required=True, help="the assessor's name, for the audit log")
    for verb, what in (("finalise", "lock an assessment: no answer, evidence, finding or plan changes; a new "
                                    "interview at the site starts a new assessment"),
                       ("reopen", "unlock a finalised assessment (a reason is required)")):  # fmt: skip
        cmd = asub.add_parser(verb, help=what)
        cmd.add_argument("ref", help="the assessment's number or token")
        cmd.add_argument("--who", required=True, help="the assessor's name, for the audit log")
        cmd.add_argument("--reason", required=verb == "reopen", help="why (goes in the audit log)")
    upgrade = asub.add_parser(
        "upgrade", help="a new assessment of the same site on a newer protocol version, with the answers that carry "
        "over marked 'please reconfirm' (the old assessment is unchanged)")  # fmt: skip
    upgrade.add_argument("ref", help="the assessment's number or token (qmm assessment list)")
    upgrade.add_argument("--to", type=int, required=True, help="the protocol version to move to, e.g. 2")
    upgrade.add_argument("--json", action="store_true")
    parser.set_defaults(func=cmd_assessment)

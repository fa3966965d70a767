"""``qmm user``: accounts from the command line (add, list, disable/enable, passwd, grant/revoke).

Whoever can run this owns the database file, so it acts as the operator (``Principal.operator()``). A password is
read from a prompt that does not echo (asked twice) or from the first line of stdin, never from the command line.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from assistant.errors import AssistantError
from assistant.settings import Settings

__all__ = ["add_user_parser", "cmd_user"]


def _read_password(args: argparse.Namespace, prompt: str = "Password: ") -> str:
    """From stdin (``--password-stdin``: the first line) or a prompt that does not echo; never from argv."""
    if getattr(args, "password_stdin", False):
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass(prompt)
    if getpass.getpass("Again: ") != first:
        raise AssistantError("The two passwords differ; nothing was changed.")
    return first


def cmd_user(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.auth import Principal
    from assistant.service import AssessmentService

    users = AssessmentService(settings).users
    me = Principal.operator()  # whoever can run this owns the database file
    if args.user_command == "add":
        users.add(me, args.name, _read_password(args), admin=args.admin)
        print(f"added {args.name}{' (admin)' if args.admin else ''}; login is now required in the app")
    elif args.user_command == "list":
        rows = users.list(me)
        if args.json:
            print(json.dumps(rows, indent=2, ensure_ascii=False))
        for u in rows if not args.json else []:
            flags = ", ".join(f for f, on in (("admin", u["admin"]), ("disabled", u["disabled"])) if on)
            grants = ", ".join(f"{role}@{site}" for site, role in u["grants"]) or "no site grants"
            print(f"{u['name']}{f' ({flags})' if flags else ''}: {grants}")
    elif args.user_command in ("disable", "enable"):
        users.disable(me, args.name, disabled=args.user_command == "disable")
        print(f"{args.user_command}d {args.name}")
    elif args.user_command == "passwd":
        users.passwd(me, args.name, _read_password(args, "New password: "))
        print(f"changed the password of {args.name}; their sessions ended")
    else:
        revoke = args.user_command == "revoke"
        changed = users.grant(me, args.name, args.site, args.role, revoke=revoke)
        verb = "revoked" if revoke else "granted"
        print(f"{verb} {args.role} at {args.site!r} {'from' if revoke else 'to'} {args.name}" if changed
              else f"nothing to change: {args.name} {'has no' if revoke else 'already has'} {args.role} at "
                   f"{args.site!r}")  # fmt: skip
    return 0


def add_user_parser(sub: Any) -> None:
    user = sub.add_parser("user", help="accounts: add, list, disable, passwd, grant, revoke")
    usub = user.add_subparsers(dest="user_command", required=True)
    add = usub.add_parser("add", help="add a user (password from a prompt, or --password-stdin)")
    add.add_argument("name")
    add.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    add.add_argument("--admin", action="store_true", help="an admin: every site, and manages users")
    listing = usub.add_parser("list", help="users, their flags and (site, role) grants")
    listing.add_argument("--json", action="store_true")
    for verb, what in (("disable", "refuse this user's logins and end their access"), ("enable", "allow again")):
        usub.add_parser(verb, help=what).add_argument("name")
    passwd = usub.add_parser("passwd", help="set a new password (ends the user's sessions)")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true")
    for verb in ("grant", "revoke"):
        g = usub.add_parser(verb, help=f"{verb} a role at a site")
        g.add_argument("name")
        g.add_argument("--site", required=True, help="the site's name, as interviews name it")
        g.add_argument("--role", required=True, choices=["assessor", "site_staff", "learner"])
    user.set_defaults(func=cmd_user)

"""Accounts: password hashing, sessions, and the role x site permission table. Pure except for hashing.

Roles are granted per site as (site, role) pairs; ``admin`` is a flag on the user and holds everywhere.

| action             | admin | assessor (site) | site_staff (site) | learner | local single user |
|--------------------|-------|-----------------|-------------------|---------|-------------------|
| guidance           | yes   | yes             | yes               | yes     | yes               |
| start_interview    | yes   | yes             | yes               | no      | yes               |
| read_interview     | yes   | yes             | yes               | no      | yes               |
| answer             | yes   | own interviews  | own interviews    | no      | yes               |
| read_results       | yes   | yes             | yes               | no      | yes               |
| resolve_conflict   | yes   | yes             | no                | no      | yes               |
| record_gate        | yes   | yes             | yes               | no      | yes               |
| mark_seen          | yes   | yes             | no                | no      | yes               |
| upgrade_assessment | yes   | yes             | no                | no      | yes               |
| validate           | yes   | yes             | no                | no      | yes               |
| edit_findings      | yes   | yes             | no                | no      | yes               |
| add_evidence       | yes   | yes             | yes               | no      | yes               |
| edit_plan          | yes   | yes             | yes               | no      | yes               |
| finalise           | yes   | yes             | no                | no      | yes               |
| manage_users       | yes   | no              | no                | no      | yes (no users yet) |

"own interviews": an account answers only in interviews it started (an admin in any). ``can`` is the table; the
service calls it before every read and write and raises ``AccessDenied`` when it says no. A session is identified by
a random token (its SHA-256 is stored, never the token), and ends after ``SESSION_IDLE`` without a call.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, get_args

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from assistant.errors import AssistantError

__all__ = [
    "LOCAL_NAME",
    "ROLES",
    "SESSION_IDLE",
    "AccessDenied",
    "Action",
    "Principal",
    "Role",
    "SessionExpired",
    "can",
    "hash_password",
    "hash_token",
    "is_loopback",
    "new_token",
    "session_expired",
    "verify_password",
]

Role = Literal["admin", "assessor", "site_staff", "learner"]
ROLES: tuple[str, ...] = get_args(Role)
Action = Literal["guidance", "start_interview", "read_interview", "answer", "read_results", "resolve_conflict",
                 "record_gate", "mark_seen", "upgrade_assessment", "validate", "edit_findings", "add_evidence",
                 "edit_plan", "finalise", "manage_users"]  # fmt: skip
SESSION_IDLE = timedelta(hours=12)  # a working day plus margin; a call after this much idle time is refused
LOCAL_NAME = "local user"
MIN_PASSWORD = 10

# What each site role may do on its own sites (admin: everything, everywhere; learner: guidance only).
SITE_ACTIONS: dict[str, frozenset[str]] = {
    "assessor": frozenset({"start_interview", "read_interview", "answer", "read_results", "resolve_conflict",
                           "record_gate", "mark_seen", "upgrade_assessment", "validate", "edit_findings",
                           "add_evidence", "edit_plan", "finalise"}),
    "site_staff": frozenset({"start_interview", "read_interview", "answer", "read_results", "record_gate",
                             "add_evidence", "edit_plan"}),
    "learner": frozenset(),
}


class AccessDenied(AssistantError):
    """The signed-in account may not do this (wrong role, another site, a disabled account)."""


class SessionExpired(AccessDenied):
    """The session ended (idle too long, or the account was disabled); log in again."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: an account (id, name, admin flag, (site, role) grants, session token hash), or the single
    user of local mode (no accounts exist), or the operator at the command line (owns the database file)."""

    name: str
    user_id: int | None = None
    admin: bool = False
    grants: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    session: str | None = None  # SHA-256 of the session token
    kind: Literal["account", "local", "operator"] = "account"

    @classmethod
    def local(cls) -> Principal:
        return cls(name=LOCAL_NAME, admin=True, kind="local")

    @classmethod
    def operator(cls) -> Principal:
        return cls(name="operator (command line)", admin=True, kind="operator")

    @property
    def is_account(self) -> bool:
        return self.kind == "account"

    def roles_at(self, site: str) -> set[str]:
        return {role for s, role in self.grants if s == site}

    def sites(self, action: Action) -> set[str] | None:
        """The sites where ``action`` is allowed; None means every site."""
        if self.admin:
            return None
        return {s for s, role in self.grants if action in SITE_ACTIONS.get(role, frozenset())}


def can(principal: Principal, action: Action, site: str | None = None) -> bool:
    """The permission table: may ``principal`` do ``action`` at ``site`` (None: an action not tied to a site)."""
    if principal.admin:
        return True
    if action == "guidance":
        return True
    if action == "manage_users" or site is None:
        return False
    return any(action in SITE_ACTIONS.get(role, frozenset()) for role in principal.roles_at(site))


# --- passwords -----------------------------------------------------------------------------------------------------
_hasher = PasswordHasher()  # argon2id with the library's current defaults (RFC 9106 low-memory profile)
_DUMMY = _hasher.hash("not a password: equalises the time of an unknown user's login")


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AssistantError(f"A password needs at least {MIN_PASSWORD} characters.")
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored``; an unknown user (None) costs the same time and is refused."""
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# --- sessions and references ---------------------------------------------------------------------------------------
def new_token() -> str:
    """An unguessable reference (128 random bits, URL-safe) for sessions, interviews and assessments. Never one
    that starts with '-': on a command line (``qmm report TOKEN``) it would read as an option."""
    while True:
        token = secrets.token_urlsafe(16)
        if not token.startswith("-"):
            return token


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_expired(last_seen: datetime, now: datetime, idle: timedelta = SESSION_IDLE) -> bool:
    return now - last_seen > idle


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False

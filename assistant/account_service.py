"""Account management and session checks for ``AssessmentService`` (its ``users`` part).

Admins (and the operator at the command line) add, list, disable and re-password users and grant (site, role)
pairs. ``current`` turns a principal into what the database says now: a session that ended, idled past
``SESSION_IDLE`` or belongs to a disabled account is refused; grants are read fresh, so a revoke holds at once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from assistant.auth import (
    ROLES,
    AccessDenied,
    Action,
    Principal,
    SessionExpired,
    can,
    hash_password,
    hash_token,
    session_expired,
    verify_password,
)
from assistant.errors import AssistantError

if TYPE_CHECKING:
    from assistant.service import AssessmentService
    from assistant.store_accounts import Accounts

__all__ = ["EXPIRED", "UserAdmin", "denied"]

log = logging.getLogger(__name__)
EXPIRED = "Your session has expired; log in again (Log out, then log in)."
LOCAL_ENDED = ("Accounts exist now, so local single-user mode has ended: restart the app (qmm serve) and log in "
               "with an account.")  # fmt: skip
TOUCH_EVERY = timedelta(minutes=1)  # last_seen is written at most this often (a write per call would cost turns)
WHAT = {
    "guidance": "use guidance",
    "start_interview": "start interviews",
    "read_interview": "open interviews",
    "answer": "answer in interviews",
    "read_results": "see results",
    "resolve_conflict": "resolve conflicts (assessors only)",
    "record_gate": "answer the compliance gate",
    "mark_seen": "record the records an assessor has seen (assessors only)",
    "upgrade_assessment": "upgrade assessments to a new protocol version (assessors only)",
    "validate": "validate answers (assessors only)",
    "edit_findings": "edit findings (assessors only)",
    "add_evidence": "add evidence",
    "edit_plan": "edit the improvement plan",
    "finalise": "finalise or reopen assessments (assessors only)",
    "manage_users": "manage users (admins only)",
}


def denied(action: Action, site: str | None) -> str:
    where = f" for the site {site!r}" if site else ""
    return f"Your account may not {WHAT[action]}{where}. Ask an admin for a grant (qmm user grant)."


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise AssistantError("A user name needs 1 to 200 characters.")
    return name


class UserAdmin:
    def __init__(self, service: AssessmentService) -> None:
        self.service = service

    @property
    def accounts(self) -> Accounts:
        return self.service.accounts

    # --- who is calling --------------------------------------------------------------------------------------------
    def current(self, principal: Principal, now: datetime) -> Principal:
        if principal.kind == "operator":
            return principal
        if principal.kind == "local":
            if self.accounts.count():
                raise AccessDenied(LOCAL_ENDED)
            return principal
        key = principal.session or ""
        session = self.accounts.session(key) if key else None
        if session is None or session["ended"] or session_expired(session["last_seen"], now):
            raise SessionExpired(EXPIRED)
        user = self.accounts.user_by_id(session["user_id"])
        if user is None or user["id"] != principal.user_id:
            raise SessionExpired(EXPIRED)
        if user["disabled"]:
            raise SessionExpired("This account is disabled; ask an admin.")
        if now - session["last_seen"] > TOUCH_EVERY:
            self.accounts.touch(key, now)
        return Principal(name=user["name"], user_id=user["id"], admin=user["admin"],
                         grants=frozenset((s, r) for s, r in user["grants"]), session=principal.session)  # fmt: skip

    def login(self, name: str, password: str) -> bool:
        user = self.accounts.user(" ".join(name.split()))
        ok = verify_password(user["password_hash"] if user else None, password)
        if ok and user and user["disabled"]:
            ok = False
        if not ok:
            log.warning("login refused for an account name of %d characters", len(name))
        return ok

    def session_principal(self, name: str, token: str, now: datetime) -> Principal:
        if not token:
            raise SessionExpired(EXPIRED)
        user = self.accounts.user(name)
        if user is None or user["disabled"]:
            raise SessionExpired("This account is disabled or gone; ask an admin.")
        key = hash_token(token)
        session = self.accounts.session(key)
        if session is None:
            self.accounts.open_session(key, user["id"], now)
        elif session["user_id"] != user["id"]:
            raise SessionExpired(EXPIRED)
        return self.current(Principal(name=user["name"], user_id=user["id"], session=key), now)

    def logout(self, principal: Principal, now: datetime) -> None:
        if principal.session:
            self.accounts.end_session(principal.session, now)

    # --- management (admins) ---------------------------------------------------------------------------------------
    def _admin(self, principal: Principal, now: datetime) -> Principal:
        current = self.current(principal, now)
        if not can(current, "manage_users"):
            raise AccessDenied(denied("manage_users", None))
        return current

    def add(self, principal: Principal, name: str, password: str, admin: bool = False,
            now: datetime | None = None) -> int:  # fmt: skip
        now = now or _now()
        who = self._admin(principal, now).name
        return int(self.accounts.add(_clean_name(name), hash_password(password), admin, who, now))

    def list(self, principal: Principal) -> list[dict[str, Any]]:
        """Users without their hashes: name, admin, disabled, grants."""
        self._admin(principal, _now())
        return [{k: v for k, v in u.items() if k != "password_hash"} for u in self.accounts.users()]

    def disable(self, principal: Principal, name: str, disabled: bool = True) -> None:
        now = _now()
        self.accounts.update(name, self._admin(principal, now).name, now, disabled=disabled)

    def passwd(self, principal: Principal, name: str, password: str) -> None:
        """A new password; every session of the user ends."""
        now = _now()
        who = self._admin(principal, now).name
        self.accounts.update(name, who, now, password_hash=hash_password(password))

    def grant(self, principal: Principal, name: str, site: str, role: str, revoke: bool = False) -> bool:
        if role not in ROLES or role == "admin":
            raise AssistantError(f"Unknown site role {role!r}: use assessor, site_staff or learner "
                                 "(admin is global: qmm user add NAME --admin).")  # fmt: skip
        site = " ".join(site.split())[:200]
        if not site:
            raise AssistantError("Name the site (--site).")
        now = _now()
        return bool(self.accounts.grant(name, site, role, self._admin(principal, now).name, now, revoke))


def _now() -> datetime:
    from assistant.interview_service import utcnow

    return utcnow()

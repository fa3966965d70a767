"""Accounts in the database: users (argon2 hashes only), (site, role) grants, and sessions (token hashes).

Every change is audited (who did it, what changed; never a password or a hash). Reads return plain dicts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from assistant.errors import StoreError
from assistant.store import Store
from assistant.store_schema import GrantRow, SessionRow, UserRow, audit

__all__ = ["Accounts"]


class Accounts:
    def __init__(self, store: Store) -> None:
        self.store = store

    # --- users -----------------------------------------------------------------------------------------------------
    def count(self) -> int:
        with self.store.session() as s:
            return int(s.scalar(select(func.count()).select_from(UserRow)) or 0)

    def add(self, name: str, password_hash: str, admin: bool, who: str, now: datetime) -> int:
        def work(s: Session) -> int:
            if s.scalar(select(UserRow).where(UserRow.name == name)) is not None:
                raise StoreError(f"There is already a user {name!r}.")
            row = UserRow(name=name, password_hash=password_hash, admin=admin, disabled=False, created_at=now)
            s.add(row)
            s.flush()
            s.add(audit(now, who, "add_user", "user", name, None, {"admin": admin}, None))
            return row.id

        return self.store.write(work)

    def user(self, name: str) -> dict[str, Any] | None:
        """{"id", "name", "admin", "disabled", "password_hash", "grants": [(site, role)]}, or None."""
        with self.store.session() as s:
            row = s.scalar(select(UserRow).where(UserRow.name == name))
            return _user(s, row) if row else None

    def user_by_id(self, user_id: int) -> dict[str, Any] | None:
        with self.store.session() as s:
            row = s.get(UserRow, user_id)
            return _user(s, row) if row else None

    def users(self) -> list[dict[str, Any]]:
        with self.store.session() as s:
            return [_user(s, row) for row in s.scalars(select(UserRow).order_by(UserRow.name)).all()]

    def update(self, name: str, who: str, now: datetime, **changes: Any) -> None:
        """Set ``disabled``, ``admin`` or ``password_hash``; audited (a new password shows as 'changed')."""

        def work(s: Session) -> None:
            row = _existing(s, name)
            before = {k: getattr(row, k) for k in changes if k != "password_hash"}
            for key, value in changes.items():
                setattr(row, key, value)
            after = {k: v for k, v in changes.items() if k != "password_hash"}
            if "password_hash" in changes:
                after["password"] = "changed"
                s.execute(delete(SessionRow).where(SessionRow.user_id == row.id))  # log out everywhere
            s.add(audit(now, who, "change_user", "user", name, before, after, None))

        self.store.write(work)

    def grant(self, name: str, site: str, role: str, who: str, now: datetime, revoke: bool = False) -> bool:
        """Add (or with ``revoke`` remove) one (site, role) pair; False when there was nothing to change."""

        def work(s: Session) -> bool:
            row = _existing(s, name)
            found = s.scalar(select(GrantRow).where(GrantRow.user_id == row.id, GrantRow.site == site,
                                                    GrantRow.role == role))  # fmt: skip
            if revoke == (found is None):
                return False
            if revoke:
                s.delete(found)
            else:
                s.add(GrantRow(user_id=row.id, site=site, role=role))
            s.add(audit(now, who, "revoke" if revoke else "grant", "user", name, None, {"site": site, "role": role},
                        None))  # fmt: skip
            return True

        return self.store.write(work)

    # --- sessions --------------------------------------------------------------------------------------------------
    def open_session(self, token_hash: str, user_id: int, now: datetime) -> None:
        """Open the session once: several first calls of one login (a page's load events) race to it; the losers
        find it made (the unique token hash collides, the write is retried and finds the row)."""

        def work(s: Session) -> None:
            if s.scalar(select(SessionRow.id).where(SessionRow.token_hash == token_hash)) is None:
                s.add(SessionRow(token_hash=token_hash, user_id=user_id, created_at=now, last_seen=now))
                s.flush()

        self.store.write(work)

    def session(self, token_hash: str) -> dict[str, Any] | None:
        """{"user_id", "created_at", "last_seen", "ended"} of a session, or None."""
        with self.store.session() as s:
            row = s.scalar(select(SessionRow).where(SessionRow.token_hash == token_hash))
            if row is None:
                return None
            return {"user_id": row.user_id, "created_at": row.created_at, "last_seen": row.last_seen,
                    "ended": row.ended_at is not None}  # fmt: skip

    def touch(self, token_hash: str, now: datetime) -> None:
        with self.store.session() as s:
            row = s.scalar(select(SessionRow).where(SessionRow.token_hash == token_hash))
            if row is not None:
                row.last_seen = now

    def end_session(self, token_hash: str, now: datetime) -> None:
        with self.store.session() as s:
            row = s.scalar(select(SessionRow).where(SessionRow.token_hash == token_hash))
            if row is not None and row.ended_at is None:
                row.ended_at = now


def _existing(s: Session, name: str) -> UserRow:
    row = s.scalar(select(UserRow).where(UserRow.name == name))
    if row is None:
        raise StoreError(f"There is no user {name!r}.")
    return row


def _user(s: Session, row: UserRow) -> dict[str, Any]:
    grants = s.execute(select(GrantRow.site, GrantRow.role).where(GrantRow.user_id == row.id)
                       .order_by(GrantRow.site, GrantRow.role)).all()  # fmt: skip
    return {"id": row.id, "name": row.name, "admin": bool(row.admin), "disabled": bool(row.disabled),
            "password_hash": row.password_hash, "grants": [(g.site, g.role) for g in grants]}  # fmt: skip

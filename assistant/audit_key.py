"""The audit key: 32 random bytes in a file outside the database (``audit.key``, mode 0600), made on first use.

Where it is: ``QMM_AUDIT_KEY_FILE`` when set, else ``audit.key`` in the data directory (``Settings.data_dir``; the
service passes that path to the store). A ``Store(url)`` given no key file uses ``audit.key`` beside its SQLite
database file (for the default database that is the same file); any other database (PostgreSQL, SQLite in memory)
must be given its key file, so that no audit trail is ever chained with a key nobody knows where to find.

A missing key is made only while the database holds no chained event: once events were chained with a key, a
missing key file is an error saying to restore it from the backup (a new key would make every earlier event fail
``qmm audit verify``).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from sqlalchemy.engine import make_url

from assistant.errors import StoreError

__all__ = ["KEY_BYTES", "key_file_beside", "load_key"]

KEY_BYTES = 32


def key_file_beside(url: str) -> Path:
    """``audit.key`` in the folder of a SQLite database file; a StoreError for any other database."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
        raise StoreError(
            f"the database at {parsed.render_as_string(hide_password=True)} needs its audit key file passed in "
            "(Store(url, audit_key_file=...); the app uses QMM_AUDIT_KEY_FILE or audit.key in QMM_DATA_DIR)"
        )
    return Path(database).resolve().parent / "audit.key"


def load_key(path: Path, create: bool) -> bytes:
    """The key in ``path``; made (32 random bytes, mode 0600) when missing and ``create`` allows it."""
    if not path.exists():
        if not create:
            raise StoreError(
                f"the audit key file {path} is missing, but this database's audit trail was written with a key: "
                "restore audit.key from its backup (or point QMM_AUDIT_KEY_FILE at it). Nothing was changed."
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_bytes(KEY_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(draft, path)  # atomic, and never replaces a key another process made first
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    key = path.read_bytes()
    if len(key) < KEY_BYTES:
        raise StoreError(f"the audit key file {path} holds {len(key)} bytes, not {KEY_BYTES}: it is not an audit key")
    return key

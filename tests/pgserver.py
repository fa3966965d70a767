"""A throwaway PostgreSQL cluster for tests: initdb in a temporary folder, a Unix socket only, stopped afterwards."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _as_owner(cmd: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root: run them as the postgres system user when we are root
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """Yield a SQLAlchemy URL of a fresh, empty database; everything is removed afterwards."""
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if not initdb or not pg_ctl:
        raise RuntimeError("PostgreSQL is not installed: `make test` installs Debian's postgresql")
    root = Path(tempfile.mkdtemp(prefix="qmm-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
    try:
        subprocess.run(_as_owner([initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"]),
                       check=True, capture_output=True)  # fmt: skip
        options = f"-k {sock} -c listen_addresses='' -c fsync=off"
        subprocess.run(_as_owner([pg_ctl, "-D", str(data), "-o", options, "-w", "-l", str(root / "log"), "start"]),
                       check=True, capture_output=True)  # fmt: skip
        try:
            yield f"postgresql+psycopg://postgres@/postgres?host={sock}"
        finally:
            subprocess.run(_as_owner([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]), capture_output=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)

"""Which backend serves each outside service, picked from the settings in one place.

- The database: SQLite in the data directory by default; any SQLAlchemy URL in ``QMM_DATABASE_URL`` (PostgreSQL:
  ``postgresql+psycopg://user@host/qmm``, driver from the ``postgres`` extra).
- The vectors: embedded Chroma under the data directory by default; a Chroma server (``chroma run``, from the
  chromadb package) at ``QMM_CHROMA_URL``; the in-memory fake for tests (``QMM_VECTOR_STORE=memory``).

A driver that is not installed, or a server that does not answer, is a sentence naming what to do.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from assistant.errors import AssistantError, StoreError
from assistant.retrieval.store import ChromaStore, MemoryStore, VectorStore
from assistant.settings import Settings
from assistant.store import Store, database_url

EXTRAS = {"psycopg": "postgres"}  # driver module -> the extra of pyproject.toml that installs it


def database(settings: Settings) -> Store:
    url = database_url(settings.data_dir, settings.database_url)
    key_file = settings.audit_key_file or settings.data_dir / "audit.key"
    try:
        return Store(url, audit_key_file=key_file)
    except ModuleNotFoundError as exc:
        extra = EXTRAS.get((exc.name or "").split(".")[0])
        how = f"pip install -e '.[{extra}]'" if extra else f"install the Python package {exc.name}"
        scheme = url.split(":", 1)[0]
        raise StoreError(f"the database driver for {scheme} is not installed (no module {exc.name}): {how}") from None


def chroma_address(url: str) -> tuple[str, int, bool]:
    """(host, port, ssl) of a Chroma server URL such as http://127.0.0.1:8000."""
    parsed = urlparse(url if "://" in url else f"http://{url}")
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise AssistantError(f"QMM_CHROMA_URL must look like http://host:port (got {url[:100]!r})")
    try:
        port = parsed.port or (443 if parsed.scheme == "https" else 8000)
    except ValueError:
        raise AssistantError(f"QMM_CHROMA_URL has a port that is not a number ({url[:100]!r})") from None
    return parsed.hostname, port, parsed.scheme == "https"


def vector_store(settings: Settings, folder: Path) -> VectorStore:
    if settings.vector_store == "memory":
        return MemoryStore()
    if settings.chroma_url:
        host, port, ssl = chroma_address(settings.chroma_url)
        return ChromaStore.remote(host, port, ssl)
    return ChromaStore(folder / "chroma")

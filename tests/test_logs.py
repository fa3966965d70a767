"""The operator's log: errors and refusals with their cause, never the text a user typed."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import gradio as gr
import pytest
from sqlalchemy import text

from assistant.errors import AssistantError, StoreError
from assistant.logs import configure
from assistant.store import Store
from assistant.ui.interview_tab import service_call


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    path = configure(tmp_path / "data")
    yield path
    root = logging.getLogger("assistant")
    for h in list(root.handlers):
        if h.get_name() in ("qmm-file", "qmm-console"):
            root.removeHandler(h)
            h.close()


def _read(path: Path) -> str:
    for h in logging.getLogger("assistant").handlers:
        h.flush()
    return path.read_text(encoding="utf-8")


def test_a_refusal_shown_to_the_user_is_logged_with_its_kind_and_call(log_file: Path) -> None:
    def start_interview(site: str) -> None:
        raise AssistantError("Only an admin may import a portfolio.")

    with pytest.raises(gr.Error):
        service_call(start_interview, "Harford")
    logged = _read(log_file)
    assert "INFO assistant.ui.interview_tab: refused" in logged
    assert "start_interview: AssistantError: Only an admin" in logged


def test_an_unexpected_failure_is_logged_with_its_traceback(log_file: Path) -> None:
    def turn(message: str) -> None:
        raise ZeroDivisionError("boom")

    with pytest.raises(ZeroDivisionError):
        service_call(turn, "We review metrics monthly (CONFIDENTIAL-ANSWER)")
    logged = _read(log_file)
    assert "ERROR assistant.ui.interview_tab:" in logged
    assert "Traceback" in logged
    assert "ZeroDivisionError: boom" in logged
    assert "CONFIDENTIAL-ANSWER" not in logged  # the arguments are not logged


def test_a_database_refusal_is_logged_with_the_databases_reason_not_the_values(log_file: Path, tmp_path: Path
                                                                              ) -> None:  # fmt: skip
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    with pytest.raises(StoreError, match="nothing was saved"):
        store.write(lambda s: s.execute(text("INSERT INTO no_such_table VALUES (:a)"), {"a": "CONFIDENTIAL-ANSWER"}))
    store.close()
    logged = _read(log_file)
    assert "write refused by the database: OperationalError: no such table: no_such_table" in logged
    assert "CONFIDENTIAL-ANSWER" not in logged

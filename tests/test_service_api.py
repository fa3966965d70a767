"""The README's gradio_client example, run as written against a served app (real model, Chroma, SQLite): in local
single-user mode, and with accounts (the client logs in)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from assistant.settings import REPO_ROOT
from tests.served import Server, add_user, free_port
from tests.test_ui import said_lines

pytestmark = pytest.mark.slow


def readme_example() -> str:
    text = (REPO_ROOT / "README.md").read_text()
    section = text.split("## The app's API (gradio_client)", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "the README's API section has no python example"
    return match.group(1)


def run_example(code: str) -> tuple[str, dict[str, object]]:
    out = io.StringIO()
    scope: dict[str, object] = {}
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), scope)  # noqa: S102 - our own README, run as documented
    return out.getvalue(), scope


def test_the_readme_client_example_runs_a_short_interview(server: Server) -> None:
    printed, scope = run_example(readme_example().replace("http://127.0.0.1:7860/", server.url))
    assert "MC-01" in printed
    assert "**Overall" in printed
    turn = scope["turn"]
    assert isinstance(turn, dict)
    assert turn["question"] == "MC-02"
    client = scope["client"]
    again = client.predict(turn["interview"], api_name="/resume_interview")  # type: ignore[attr-defined]
    chat = said_lines(again[0], "user") + said_lines(again[0], "assistant")
    assert "confirm" in chat
    assert any("MC-01" in m for m in chat)


def test_a_call_without_an_interview_is_a_sentence(server: Server) -> None:
    from gradio_client import Client

    client = Client(server.url, verbose=False)
    with pytest.raises(Exception, match="Start an interview"):
        client.predict("hello", api_name="/send")
    with pytest.raises(Exception, match="Start an interview"):
        client.predict(api_name="/confirm")
    with pytest.raises(Exception, match="Pick an interview"):
        client.predict(0, api_name="/resume_interview")


def test_the_readme_client_example_logs_in_when_accounts_exist(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    add_user(data, "Ann Lee", "ann's long password", "Harford tablet plant", "site_staff")
    server = Server(data, free_port())
    server.start()
    try:
        code = readme_example()
        anonymous = 'Client("http://127.0.0.1:7860/")'
        assert anonymous in code
        with pytest.raises(Exception, match="(?i)login|401|auth"):
            run_example(code.replace("http://127.0.0.1:7860/", server.url))
        printed, scope = run_example(code.replace(anonymous, f'Client("{server.url}", auth=("Ann Lee", '
                                                             '"ann\'s long password"))'))  # fmt: skip
        assert "**Overall" in printed
        turn = scope["turn"]
        assert isinstance(turn, dict)
        assert turn["question"] == "MC-02"
    finally:
        server.stop()

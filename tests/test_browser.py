"""End to end in Debian's chromium, driven by Python playwright, against the served app (real model, Chroma, SQLite):
start an assessment, answer two questions in free text, correct an extracted field, confirm, reload the page and
resume at the right question, restart the server and resume again, and see the profile."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir, self.port = data_dir, port
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("QMM_")}
        env.update(QMM_DATA_DIR=str(self.data_dir), GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1")
        with (self.data_dir / "server.log").open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "assistant", "serve", "--port", str(self.port)], env=env, stdout=log, stderr=log
            )
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError((self.data_dir / "server.log").read_text(errors="replace")[-2000:]) from None
                time.sleep(0.5)
        raise RuntimeError("server did not start in 120 s")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path / "data", free_port())
    srv.data_dir.mkdir()
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def page() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `make test` installs Debian's chromium; run it, or apt-get install chromium"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        pg = browser.new_page()
        pg.set_default_timeout(30_000)
        yield pg
        browser.close()


def say(page, text: str) -> None:  # type: ignore[no-untyped-def]
    box = page.locator("#answer-box textarea")
    box.fill(text)
    page.locator("#send").click()


def wait_chat(page, text: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_text(text).last.wait_for()


def test_interview_end_to_end(server: Server, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    outside: list[str] = []  # the page must not fetch anything from elsewhere (fonts, analytics, CDNs)
    page.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else
            outside.append(r.url))  # fmt: skip
    page.goto(server.url)
    page.get_by_label("Site").fill("Harford tablet plant")
    page.get_by_label("Your name").fill("Ann Lee")
    page.get_by_role("button", name="Start interview").click()
    wait_chat(page, "quick questions about the site")
    for answer, prompt_after in (("no", "several manufacturing sites"), ("no", "computerised control"),
                                 ("yes", "MC-01")):  # fmt: skip
        say(page, answer)
        wait_chat(page, prompt_after)
    assert "interview=" in page.url

    say(page, "We have written quality objectives with measurable targets. Leadership reviews them every quarter, "
              "and they are cascaded to departments and teams. They are linked to our business plan. "
              "See the 2025 quality scorecard.")  # fmt: skip
    wait_chat(page, "Here is what I understood for MC-01")
    say(page, "edit review_frequency = monthly")
    wait_chat(page, "Set Leadership review of progress to monthly")
    page.locator("#confirm").click()
    wait_chat(page, "Saved MC-01")
    wait_chat(page, "MC-02")

    say(page, "Quality decisions go to the QA head. We documented 3 cases last year where we held batches despite "
              "delivery pressure, recorded in the deviation system.")  # fmt: skip
    page.get_by_text("Noted:").last.wait_for()

    page.reload()
    wait_chat(page, "Welcome back: we stopped here.")
    assert page.get_by_text("MC-02").count() > 0

    server.stop()
    server.start()
    page.reload()
    wait_chat(page, "Welcome back: we stopped here.")
    assert page.get_by_text("MC-02").count() > 0

    page.get_by_role("tab", name="Results").click()
    page.get_by_text("Overall").first.wait_for()
    shot = tmp_path / "results.png"
    page.screenshot(path=str(shot), full_page=True)
    keep = os.environ.get("SCREENSHOT_DIR")
    if keep:
        shutil.copy(shot, Path(keep) / "results.png")
    summary = page.get_by_text("MC-01 · Quality objectives").first
    summary.wait_for()
    assert "level" in summary.inner_text()
    assert page.get_by_text("Management Commitment to Quality").count() > 0
    assert outside == []

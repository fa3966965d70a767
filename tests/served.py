"""The app served in a subprocess on a free loopback port, for the browser and API tests (the ``server`` fixture is
in conftest.py), and accounts made through the ``qmm user`` commands."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, data_dir: Path, port: int, env: dict[str, str] | None = None) -> None:
        self.data_dir, self.port, self.env = data_dir, port, env or {}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("QMM_")}
        env.update(QMM_DATA_DIR=str(self.data_dir), GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1")
        env.update(self.env)
        with (self.data_dir / f"server-{self.port}.log").open("ab") as log:
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
                    log_file = self.data_dir / f"server-{self.port}.log"
                    raise RuntimeError(log_file.read_text(errors="replace")[-2000:]) from None
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


def add_user(data_dir: Path, name: str, password: str, *grant: str, admin: bool = False) -> None:
    """``qmm user add`` (password on stdin) and ``qmm user grant`` against the server's data directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QMM_")}
    env.update(QMM_DATA_DIR=str(data_dir))
    run = [sys.executable, "-m", "assistant", "user"]
    subprocess.run([*run, "add", name, "--password-stdin", *(["--admin"] if admin else [])], input=password + "\n",
                   text=True, env=env, check=True, capture_output=True)  # fmt: skip
    if grant:
        subprocess.run([*run, "grant", name, "--site", grant[0], "--role", grant[1]], env=env, check=True,
                       capture_output=True)  # fmt: skip


def shoot(pg: Any, name: str, element: str | None = None) -> None:
    """A screenshot of the page (or one element) under SCREENSHOT_DIR; nothing is kept when it is not set."""
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        target = pg.locator(element).first if element else pg
        target.screenshot(path=str(Path(folder) / name), **({} if element else {"full_page": True}))

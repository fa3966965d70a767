"""Load benchmark: simulated interviewees through the documented API (``gradio_client``, as in the README) against
the app served on 127.0.0.1 by ``qmm serve`` in a fresh data directory. Bounded: a fixed number of interviewees,
turns each and seconds between turns; prints p50/p95 latency of starts and turns, errors, and answers lost (sent,
acknowledged, but not in the database afterwards). A benchmark, not a test: ``python -m eval bench-load [--users N]
[--turns T] [--interval S] [--processes P]`` (``make bench-load`` runs the defaults).

With ``--processes 2`` or more, each process serves on its own port over the same SQLite database (state lives in
the database) and one Chroma server (``chroma run``), and interviewee ``n`` talks to process ``n % P``; the guidance
index is built once by ``qmm index`` before they start and the servers only read it. The simulated interviewees run
in this process, on the same two cores as the servers: their own CPU time is part of what is measured.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ANSWERS = (
    "We have written quality objectives with measurable targets; leadership reviews them every quarter.",
    "Quality is on the agenda of the monthly site leadership meeting, with the metrics trend.",
    "Not really, we do that only after an inspection.",
    "About 12 people in QA, and we review deviations weekly.",
    "I'd have to check that with the site head.",
    "Yes, every change goes through change control with a risk assessment.",
)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(data: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QMM_")}
    env.update(QMM_DATA_DIR=str(data), GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False", **extra)  # fmt: skip
    return env


def _serve(data: Path, port: int, log: Path, extra: dict[str, str]) -> subprocess.Popen[bytes]:
    env = _env(data, extra)
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--port", str(port)], env=env,
                                stdout=out, stderr=out)  # fmt: skip


def _wait(port: int, proc: subprocess.Popen[bytes], log: Path, seconds: float = 180) -> None:
    import socket

    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(log.read_text(errors="replace")[-2000:]) from None
            time.sleep(0.5)
    raise RuntimeError(f"the server on port {port} did not start in {seconds:.0f} s")


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.connects: list[float] = []
        self.starts: list[float] = []
        self.turns: list[float] = []
        self.errors: list[str] = []
        self.sent: list[tuple[str, str]] = []  # (interview token, message) acknowledged by the app

    def add(self, kind: str, seconds: float) -> None:
        with self.lock:
            {"connect": self.connects, "start": self.starts, "turn": self.turns}[kind].append(seconds)


def _interviewee(n: int, url: str, turns: int, interval: float, tally: Tally, begin: float, ramp: float) -> None:
    from gradio_client import Client

    rng = random.Random(n)
    time.sleep(max(0.0, begin - time.time()) + rng.uniform(0, ramp))  # people arrive over the ramp, not at once
    try:
        t = time.perf_counter()
        client = Client(url, verbose=False)
        tally.add("connect", time.perf_counter() - t)
        t = time.perf_counter()
        turn = client.predict(f"Load site {n % 7}", f"Person {n}", "qa_head", api_name="/start_interview")[-1]
        tally.add("start", time.perf_counter() - t)
        token = str(turn.get("interview") or "")
        messages = ["no"] * 4 + [ANSWERS[(n + i) % len(ANSWERS)] for i in range(turns)]
        for i, message in enumerate(messages[:turns]):
            if i:
                time.sleep(interval * rng.uniform(0.8, 1.2))
            t = time.perf_counter()
            client.predict(message, api_name="/send")
            tally.add("turn", time.perf_counter() - t)
            with tally.lock:
                tally.sent.append((token, message))
    except Exception as exc:  # noqa: BLE001 - counted and shown, the run goes on
        with tally.lock:
            tally.errors.append(f"interviewee {n}: {type(exc).__name__}: {str(exc)[:160]}")


def _lost(db: Path, sent: list[tuple[str, str]]) -> int:
    """Acknowledged messages that are not in the interview's saved chat."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT i.token, t.text FROM turns t JOIN interviews i ON i.id = t.interview_id "
                            "WHERE t.who = 'user'").fetchall()  # fmt: skip
    saved: dict[str, list[str]] = {}
    for token, text in rows:
        saved.setdefault(token, []).append(text)
    lost = 0
    for token, message in sent:
        if message in saved.get(token, []):
            saved[token].remove(message)
        else:
            lost += 1
    return lost


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval bench-load")
    ap.add_argument("--users", type=int, default=50, help="simulated interviewees (at most 400)")
    ap.add_argument("--turns", type=int, default=5, help="messages each sends after starting (at most 20)")
    ap.add_argument("--interval", type=float, default=10.0, help="seconds between one interviewee's messages")
    ap.add_argument("--processes", type=int, default=1, help="app processes (at most 4)")
    ap.add_argument("--ramp", type=float, default=60.0, help="seconds over which the interviewees arrive")
    args = ap.parse_args(argv)
    users, turns = max(1, min(args.users, 400)), max(1, min(args.turns, 20))
    processes, interval = max(1, min(args.processes, 4)), max(0.0, min(args.interval, 60.0))
    ramp = max(0.0, min(args.ramp, 600.0))
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        extra: dict[str, str] = {}
        procs: list[subprocess.Popen[bytes]] = []
        if processes > 1:  # one vector store for every process
            chroma_port = _free_port()
            with (data / "chroma.log").open("ab") as out:
                procs.append(subprocess.Popen([str(Path(sys.executable).parent / "chroma"), "run", "--path",
                                               str(data / "vectors"), "--host", "127.0.0.1", "--port",
                                               str(chroma_port)], stdout=out, stderr=out))  # fmt: skip
            _wait(chroma_port, procs[0], data / "chroma.log")
            extra["QMM_CHROMA_URL"] = f"http://127.0.0.1:{chroma_port}"
        subprocess.run([sys.executable, "-m", "assistant", "index"], env=_env(data, extra), check=True,
                       capture_output=True)  # fmt: skip
        ports = [_free_port() for _ in range(processes)]
        servers = [_serve(data, p, data / f"server-{p}.log", extra) for p in ports]
        procs += servers
        try:
            for port, proc in zip(ports, servers, strict=True):
                _wait(port, proc, data / f"server-{port}.log")
            tally = Tally()
            begin = time.time() + 2.0
            threads = [threading.Thread(target=_interviewee, daemon=True,
                                        args=(n, f"http://127.0.0.1:{ports[n % processes]}/", turns, interval, tally,
                                              begin, ramp)) for n in range(users)]  # fmt: skip
            t0 = time.perf_counter()
            for th in threads:
                th.start()
            for th in threads:
                th.join(timeout=ramp + turns * interval * 2 + 300)
            wall = time.perf_counter() - t0
        finally:
            for proc in reversed(procs):
                proc.terminate()
                proc.wait(timeout=30)
        lost = _lost(data / "qmm.sqlite3", tally.sent)
    print(f"load: {users} interviewees arriving over {ramp:g} s, {turns} messages each, one every {interval:g} s, "
          f"{processes} process{'es' * (processes > 1)}, {wall:.0f} s wall")  # fmt: skip
    print(f"  connect (the client reads the app's config) p50 {_pct(tally.connects, 50):.2f} s, "
          f"p95 {_pct(tally.connects, 95):.2f} s")  # fmt: skip
    print(f"  start p50 {_pct(tally.starts, 50):.2f} s, p95 {_pct(tally.starts, 95):.2f} s ({len(tally.starts)} "
          f"started); turn p50 {_pct(tally.turns, 50):.2f} s, p95 {_pct(tally.turns, 95):.2f} s "
          f"({len(tally.turns)} turns, {len(tally.turns) / wall:.1f} turns/s)")  # fmt: skip
    print(f"  errors {len(tally.errors)}; acknowledged messages lost {lost} of {len(tally.sent)}")
    for line in tally.errors[:5]:
        print(f"    {line}")
    return 0


"""Several app processes behind one address: PostgreSQL for the database, a Chroma server (``chroma run``) for the
vectors, the index built once by ``qmm index``, and two ``qmm serve`` processes on their own ports. An interview is
carried on alternately in both (through the documented API); both see the same state, nothing is lost, and a
document ingested by a third process is found by both servers without a restart."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.pgserver import postgres_cluster
from tests.served import Server, free_port

pytestmark = pytest.mark.slow

CHROMA = Path(sys.executable).parent / "chroma"


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = (tmp_path / "chroma.log").open("wb")
    proc = subprocess.Popen([str(CHROMA), "run", "--path", str(tmp_path / "vectors"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=log, stderr=log)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.time() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline or proc.poll() is not None:
                raise RuntimeError((tmp_path / "chroma.log").read_text(errors="replace")[-2000:])
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def _qmm(env: dict[str, str], *args: str) -> str:
    full = {k: v for k, v in os.environ.items() if not k.startswith("QMM_")}
    full.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False", **env)
    done = subprocess.run([sys.executable, "-m", "assistant", *args], env=full, capture_output=True, text=True,
                          timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_two_processes_share_one_interview_and_one_index(tmp_path: Path, chroma_url: str) -> None:
    from gradio_client import Client

    with postgres_cluster() as db_url:
        data = tmp_path / "data"
        data.mkdir()
        env = {"QMM_DATA_DIR": str(data), "QMM_DATABASE_URL": db_url, "QMM_CHROMA_URL": chroma_url}
        assert "indexed" in _qmm(env, "index")  # built once, by a job; the servers only read it
        servers = [Server(data, free_port(), env) for _ in range(2)]
        for srv in servers:
            srv.start()
        try:
            a, b = (Client(srv.url, verbose=False) for srv in servers)
            turn: dict[str, Any] = a.predict("Twin Plant", "Ann Lee", "qa_head", api_name="/start_interview")[-1]
            token = turn["interview"]
            sent = ["no", "no", "no", "no",
                    "We have written quality objectives with measurable targets, reviewed every quarter.",
                    "Don't know"]  # fmt: skip
            b.predict(token, api_name="/resume_interview")
            for n, message in enumerate(sent):  # alternate: each message goes to the other process
                client = a if n % 2 else b
                if n:
                    client.predict(token, api_name="/resume_interview")  # what a reload on that process does
                turn = client.predict(message, api_name="/send")[-1]
            seen = []
            for client in (a, b):
                resumed = client.predict(token, api_name="/resume_interview")[-1]
                seen.append((resumed["question"], resumed.get("phase")))
            assert seen[0] == seen[1]  # both processes see the same state
            engine = create_engine(db_url)
            with engine.connect() as conn:
                said = [r[0] for r in conn.execute(text(
                    "SELECT t.text FROM turns t JOIN interviews i ON i.id = t.interview_id "
                    "WHERE i.token = :t AND t.who = 'user' ORDER BY t.seq"), {"t": token})]  # fmt: skip
                assert conn.execute(text("SELECT count(*) FROM interviews")).scalar() == 1
            engine.dispose()
            assert [s for s in said if s in sent] == sent  # every message, once, in order: nothing lost

            doc = tmp_path / "sop.md"
            doc.write_text("# Tier board escalation\n\nOur zebra-stripe tier board escalates every quality signal "
                           "to the site head within one shift.\n", encoding="utf-8")  # fmt: skip
            _qmm(env, "ingest", str(doc))  # a third process changes the index
            for client in (a, b):  # both servers see it at once, without a restart
                found = client.predict("zebra-stripe tier board escalation", "", api_name="/ask_guidance")
                assert "zebra-stripe" in str(found)
        finally:
            for srv in servers:
                srv.stop()

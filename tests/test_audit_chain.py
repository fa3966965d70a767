"""The audit trail shows tampering: a real history verifies and exports; each way of changing it with plain SQL is
caught and named (fast on SQLite, slow on PostgreSQL); a recorded head shows events cut from the end. Concurrency,
the upgrade and the key: tests/test_audit_store.py."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Connection

from assistant.audit_chain import canonical
from assistant.cli import main
from assistant.service import AssessmentService, Principal
from assistant.settings import Settings
from assistant.store_audit import EXPORT_COLUMNS
from assistant.store_schema import AuditRow
from tests.pgserver import postgres_cluster
from tests.test_service import POOR, POOR_FORM, RICH, RICH_FORM, answer_and_confirm, to_question

LOCAL = Principal.local()  # local single-user mode until the history's last step adds an account


# --- a small real history, through the service -------------------------------------------------------------------
def history_settings(data_dir: Path, database_url: str | None = None) -> Settings:
    return Settings(data_dir=data_dir, database_url=database_url, audit_key_file=None, embeddings="fake",
                    vector_store="memory", retrieval_floor=0.1)  # fmt: skip


def build_history(settings: Settings) -> dict[str, Any]:
    """Two interviewees answer MC-01 differently (drafts, then confirmed), one leaves a draft, an assessor resolves
    the conflict, another site answers MC-01 too (same question id and version, another assessment), and an admin
    account is added."""
    svc = AssessmentService(settings)
    qa = answer_and_confirm(svc, to_question(svc, svc.start_interview(LOCAL, "Harford", "Ann QA", "qa_head")), RICH,
                            RICH_FORM)  # fmt: skip
    start = svc.start_interview(LOCAL, "Harford", "Pat Production", "site_head")
    prod = answer_and_confirm(svc, to_question(svc, start, ()), POOR, POOR_FORM)
    svc.turn(LOCAL, prod.state, POOR)  # a draft of the next question, never confirmed
    aid = qa.state.assessment_id
    svc.resolve_conflict(LOCAL, aid, "MC-01", qa.state.interview_id, "QA head showed the scorecard", "Dana Assessor")
    other = to_question(svc, svc.start_interview(LOCAL, "Corvane", "Bo", "qa_head"))
    svc.turn(LOCAL, other.state, POOR)
    svc.users.add(Principal.operator(), "Ada Admin", "a long enough password", admin=True)
    with svc.store.engine.begin() as conn:
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in ("audit_events", "answers")}
        drafts = conn.execute(text("SELECT count(*) FROM answers WHERE status = 'draft'")).scalar()
    assert (drafts or 0) >= 2, "the history needs draft versions as well as confirmed ones"
    svc.store.close()
    return {"assessment_id": aid, "other_assessment_id": other.state.assessment_id, "events": counts["audit_events"],
            "answers": counts["answers"]}  # fmt: skip


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Built once on SQLite; each test gets a copy (``copy_history``)."""
    folder = tmp_path_factory.mktemp("history") / "data"
    info = build_history(history_settings(folder))
    with closing(sqlite3.connect(folder / "qmm.sqlite3")) as db:
        info["assessment_token"] = db.execute("SELECT token FROM assessments WHERE id = ?",
                                              (info["assessment_id"],)).fetchone()[0]  # fmt: skip
    return {**info, "folder": folder}


def copy_history(history: dict[str, Any], target: Path) -> str:
    """A fresh copy of the history's database and key file in ``target``; its SQLAlchemy URL."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(history["folder"] / "audit.key", target / "audit.key")
    with closing(sqlite3.connect(history["folder"] / "qmm.sqlite3")) as src, \
            closing(sqlite3.connect(target / "qmm.sqlite3")) as dst:  # fmt: skip
        src.backup(dst)
    return f"sqlite:///{target / 'qmm.sqlite3'}"


def verify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """``qmm audit verify`` on the test's data directory: (exit status, its first line of output)."""
    capsys.readouterr()
    code = main(["audit", "verify", *args])
    captured = capsys.readouterr()
    return code, (captured.out + captured.err).splitlines()[0]


# --- tampering with plain SQL --------------------------------------------------------------------------------------
def as_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def json_param(conn: Connection, name: str) -> str:
    return f"CAST(:{name} AS JSON)" if conn.dialect.name == "postgresql" else f":{name}"


def drop_triggers(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("DROP TRIGGER audit_no_change ON audit_events"))
    else:
        conn.execute(text("DROP TRIGGER audit_no_update"))
        conn.execute(text("DROP TRIGGER audit_no_delete"))


def answer_event(conn: Connection, assessment_id: int, question_id: str, version: int) -> int:
    rows = conn.execute(text("SELECT id, \"after\" FROM audit_events WHERE entity = 'answer' AND assessment_id = :a "
                             "AND entity_id = :q AND action IN ('draft', 'confirmed', 'na')"),
                        {"a": assessment_id, "q": question_id}).all()  # fmt: skip
    [event_id] = [i for i, after in rows if as_json(after)["version"] == version]
    return int(event_id)


def confirmed_answer(conn: Connection) -> tuple[int, int, str, int, dict[str, Any]]:
    row = conn.execute(text("SELECT id, assessment_id, question_id, version, answer FROM answers "
                            "WHERE status = 'confirmed' ORDER BY id LIMIT 1")).one()  # fmt: skip
    return row[0], row[1], row[2], row[3], as_json(row[4])


Tamper = Callable[[Connection], tuple[str, str]]  # does it; returns (what the first finding names, a word of why)


def update_answer_values(conn: Connection) -> tuple[str, str]:
    answer_id, *_, answer = confirmed_answer(conn)
    field = next(f for f, v in answer["values"].items() if v.get("value") is not None)
    answer["values"][field]["value"] = "tampered"
    conn.execute(text(f"UPDATE answers SET answer = {json_param(conn, 'a')} WHERE id = :i"),
                 {"a": json.dumps(answer), "i": answer_id})  # fmt: skip
    return f"answer row {answer_id}:", "values"


def delete_answer_version(conn: Connection) -> tuple[str, str]:
    answer_id, aid, qid, version = conn.execute(text("SELECT id, assessment_id, question_id, version FROM answers "
                                                     "WHERE status = 'draft' ORDER BY id LIMIT 1")).one()  # fmt: skip
    event_id = answer_event(conn, aid, qid, version)
    conn.execute(text("DELETE FROM answers WHERE id = :i"), {"i": answer_id})
    return f"event {event_id}:", "answer row is missing"


def insert_forged_answer(conn: Connection) -> tuple[str, str]:
    answer_id, *_ = confirmed_answer(conn)
    columns = "assessment_id, interview_id, question_id, status, raw_text, answer, na_justification, who, protocol, " \
              "created_at"  # fmt: skip
    conn.execute(text(f"INSERT INTO answers ({columns}, version) SELECT {columns}, version + 100 FROM answers "
                      "WHERE id = :i"), {"i": answer_id})  # fmt: skip
    forged = conn.execute(text("SELECT max(id) FROM answers")).scalar()
    return f"answer row {forged}:", "has no audit event"


def update_event_after(conn: Connection) -> tuple[str, str]:
    drop_triggers(conn)
    _, aid, qid, version, _ = confirmed_answer(conn)
    event_id = answer_event(conn, aid, qid, version)
    after = as_json(conn.execute(text("SELECT \"after\" FROM audit_events WHERE id = :i"), {"i": event_id}).scalar())
    after["values"] = {name: "tampered" for name in after["values"]}
    conn.execute(text(f"UPDATE audit_events SET \"after\" = {json_param(conn, 'a')} WHERE id = :i"),
                 {"a": json.dumps(after), "i": event_id})  # fmt: skip
    return f"event {event_id}:", "does not recompute"


def delete_event_in_the_middle(conn: Connection) -> tuple[str, str]:
    drop_triggers(conn)
    ids = list(conn.execute(text("SELECT id FROM audit_events ORDER BY id")).scalars())
    middle = len(ids) // 2
    conn.execute(text("DELETE FROM audit_events WHERE id = :i"), {"i": ids[middle]})
    return f"event {ids[middle + 1]}:", "prev_hash"


def forge_event(copy_hash: bool) -> Tamper:
    def forge(conn: Connection) -> tuple[str, str]:
        last = conn.execute(select(AuditRow.__table__).order_by(AuditRow.id.desc()).limit(1)).mappings().one()
        forged = {**last, "who": "Mallory", "prev_hash": last["hash"]}
        digest = last["hash"] if copy_hash else hashlib.sha256(canonical(forged)).hexdigest()  # no key to hand
        conn.execute(text("INSERT INTO audit_events (at, who, action, entity, entity_id, assessment_id, \"before\", "
                          "\"after\", protocol, prev_hash, hash) SELECT at, 'Mallory', action, entity, entity_id, "
                          "assessment_id, \"before\", \"after\", protocol, hash, :h FROM audit_events WHERE id = :i"),
                     {"h": digest, "i": last["id"]})  # fmt: skip
        return f"event {last['id'] + 1}:", "does not recompute"

    forge.__name__ = "insert_forged_event_" + ("with_a_copied_hash" if copy_hash else "hashed_without_the_key")
    return forge


def drop_the_triggers_alone(conn: Connection) -> tuple[str, str]:
    drop_triggers(conn)
    return ("trigger audit_no_change:" if conn.dialect.name == "postgresql" else "trigger audit_no_update:"), "missing"


def update_resolution_reason(conn: Connection) -> tuple[str, str]:
    resolution_id = conn.execute(text("SELECT id FROM conflict_resolutions")).scalar()
    conn.execute(text("UPDATE conflict_resolutions SET reason = 'never said' WHERE id = :i"), {"i": resolution_id})
    return f"conflict resolution row {resolution_id}:", "reason"


def replace_a_trigger(conn: Connection) -> tuple[str, str]:
    """SQLite: a trigger of the same name that guards one column only (an UPDATE of "after" passes)."""
    conn.execute(text("DROP TRIGGER audit_no_update"))
    conn.execute(text("CREATE TRIGGER audit_no_update BEFORE UPDATE OF who ON audit_events "
                      "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"))  # fmt: skip
    return "trigger audit_no_update:", "replaced"


def disable_a_trigger(conn: Connection) -> tuple[str, str]:
    """PostgreSQL: the trigger is still there, but disabled."""
    conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_no_change"))
    return "trigger audit_no_change:", "disabled"


TAMPERS: list[Tamper] = [update_answer_values, delete_answer_version, insert_forged_answer, update_event_after,
                         delete_event_in_the_middle, forge_event(copy_hash=False), forge_event(copy_hash=True),
                         drop_the_triggers_alone, update_resolution_reason]  # fmt: skip


def tamper_and_expect(url: str, tamper: Tamper, capsys: pytest.CaptureFixture[str]) -> None:
    assert verify(capsys)[0] == 0  # the copy is sound before it is changed
    engine = create_engine(url)
    with engine.begin() as conn:
        names, why = tamper(conn)
    engine.dispose()
    code, first = verify(capsys)
    assert code == 1
    assert first.startswith(f"FAILED: {names}"), first
    assert why in first, first


@pytest.mark.parametrize("tamper", [*TAMPERS, replace_a_trigger], ids=lambda t: t.__name__)
def test_verify_names_what_was_changed_with_plain_sql(history: dict[str, Any], clean_env: Path, tamper: Tamper,
                                                      capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    tamper_and_expect(copy_history(history, clean_env), tamper, capsys)


def test_a_real_history_verifies_and_its_trail_exports(history: dict[str, Any], clean_env: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    copy_history(history, clean_env)
    code, line = verify(capsys)
    assert (code, line) == (0, f"ok: {history['events']} events, {history['answers']} answers verified (1 conflict "
                               "resolution; append-only triggers in place)")  # fmt: skip
    assert main(["audit", "head"]) == 0
    head_id, head_hash = capsys.readouterr().out.split()
    assert int(head_id) == history["events"]
    assert verify(capsys, "--head", head_hash)[0] == 0

    assert main(["audit", "export", "--assessment", history["assessment_token"], "--format", "json"]) == 0
    events = json.loads(capsys.readouterr().out)
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    assert {e["assessment_id"] for e in events} == {history["assessment_id"]}
    actions = Counter(e["action"] for e in events)
    # the assessment and its two interviews, two confirmed answers, one resolution
    assert (actions["create"], actions["confirmed"], actions["resolve_conflict"]) == (3, 2, 1)
    assert actions["draft"] >= 2
    assert "add_user" not in actions
    with closing(sqlite3.connect(clean_env / "qmm.sqlite3")) as db:
        answers = db.execute("SELECT count(*) FROM answers WHERE assessment_id = ?",
                             (history["assessment_id"],)).fetchone()[0]  # fmt: skip
    assert sum(actions[a] for a in ("draft", "confirmed", "na")) == answers  # another site's MC-01 is not in it
    assert all(len(e["hash"]) == 64 and len(e["prev_hash"]) == 64 for e in events)

    out = tmp_path / "trail.csv"
    assert main(["audit", "export", "--assessment", str(history["assessment_id"]), "-o", str(out)]) == 0
    assert capsys.readouterr().out == f"wrote {len(events)} events of assessment {history['assessment_id']} to {out}\n"
    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert [(int(r["id"]), r["hash"], r["prev_hash"]) for r in rows] == [(e["id"], e["hash"], e["prev_hash"])
                                                                        for e in events]  # fmt: skip
    assert [json.loads(r["after"]) for r in rows] == [e["after"] for e in events]
    assert main(["audit", "export", "--assessment", str(history["other_assessment_id"]), "--format", "json"]) == 0
    other = json.loads(capsys.readouterr().out)
    assert [e["action"] for e in other if e["entity"] == "answer"] == ["draft"]
    assert main(["audit", "export", "--assessment", "no-such-reference"]) == 1


def test_a_recorded_head_shows_events_removed_from_the_end(history: dict[str, Any], clean_env: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    url = copy_history(history, clean_env)
    main(["audit", "head"])
    head_hash = capsys.readouterr().out.split()[1]
    engine = create_engine(url)
    with engine.begin() as conn:  # the last event (the new account) goes, and the triggers are put back
        triggers = conn.execute(text("SELECT sql FROM sqlite_master WHERE type = 'trigger'")).scalars().all()
        drop_triggers(conn)
        conn.execute(text("DELETE FROM audit_events WHERE id = (SELECT max(id) FROM audit_events)"))
        for sql in triggers:
            conn.execute(text(sql))
    engine.dispose()
    assert verify(capsys)[0] == 0  # the chain alone cannot tell: the limit a recorded head answers
    code, first = verify(capsys, "--head", head_hash)
    assert code == 1
    assert first.startswith(f"FAILED: recorded head {head_hash}: is not the hash of any event")


# --- PostgreSQL -----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with postgres_cluster() as url:
        yield url


def empty_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("tamper", [*TAMPERS, disable_a_trigger], ids=lambda t: t.__name__)
def test_verify_names_what_was_changed_on_postgresql(postgres_url: str, clean_env: Path, tamper: Tamper,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    empty_postgres(postgres_url)
    build_history(history_settings(clean_env, postgres_url))
    monkeypatch.setenv("QMM_DATABASE_URL", postgres_url)
    tamper_and_expect(postgres_url, tamper, capsys)

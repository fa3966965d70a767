"""The audit trail in the store: concurrent writers keep one chain (a fork is refused), a schema-3 database is
chained once at its upgrade, and the key lives outside the database and is never silently replaced."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from assistant.audit_chain import GENESIS
from assistant.cli import main
from assistant.errors import StoreError
from assistant.service import AssessmentService
from assistant.settings import Settings
from assistant.store import SCHEMA_VERSION, Store, TurnWrite
from assistant.store_accounts import Accounts
from assistant.store_audit import AuditTrail
from tests.pgserver import postgres_cluster
from tests.test_audit_chain import empty_postgres, verify
from tests.test_store import NOW, new_interview


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with postgres_cluster() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        store = Store(f"sqlite:///{tmp_path / 'qmm.sqlite3'}")
    else:
        url = request.getfixturevalue("postgres_url")
        empty_postgres(url)
        store = Store(url, audit_key_file=tmp_path / "audit.key")
    yield store
    store.close()


def test_concurrent_writers_leave_one_valid_chain(store: Store) -> None:
    interviews = [new_interview(store, who=f"P{n}") for n in range(8)]
    trail = AuditTrail(store)
    barrier = threading.Barrier(len(interviews) + 1)
    errors: list[BaseException] = []
    seen: list[str] = []  # what a verifier running alongside the writers found
    writing = threading.Event()
    writing.set()

    def write(iid: int) -> None:
        try:
            barrier.wait()
            for rev in range(3):  # two answer events in one flush each time: drafted MC-02, confirmed MC-01
                effects = [{"kind": "draft", "question_id": "MC-02", "answer": {"texts": [f"{iid}-{rev}"]}},
                           {"kind": "confirm", "question_id": "MC-01", "answer": {"texts": [f"{iid}-{rev}"]}}]
                store.commit_turn(iid, rev, "{}", effects, f"P{iid}", NOW, [("user", f"{iid}-{rev}")])  # fmt: skip
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    def check() -> None:
        barrier.wait()
        while writing.is_set():
            seen.extend(str(f) for f in trail.verify().findings)

    threads = [threading.Thread(target=write, args=(iid,)) for _, iid in interviews]
    checker = threading.Thread(target=check)
    for thread in [*threads, checker]:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    writing.clear()
    checker.join(timeout=60)
    assert errors == []
    assert seen == []  # a verify during the writes sees each one whole or not at all
    report = trail.verify()
    assert report.ok, report.findings[:3]
    assert (report.events, report.answers) == (1 + 8 + 8 * 3 * 2, 8 * 3 * 2)  # assessment, interviews, answers


def test_a_second_event_onto_the_same_previous_one_is_refused(store: Store) -> None:
    new_interview(store)
    with pytest.raises(IntegrityError), store.engine.begin() as conn:  # a fork: what a stale writer would add
        conn.execute(text("INSERT INTO audit_events (at, who, action, entity, entity_id, prev_hash, hash) "
                          "SELECT at, who, action, entity, entity_id, prev_hash, hash FROM audit_events "
                          "WHERE id = (SELECT max(id) FROM audit_events)"))  # fmt: skip
    assert AuditTrail(store).verify().ok


def to_schema_3(store: Store) -> None:
    """What a schema-3 database looks like: audit events with neither chain nor assessment, and no key file."""
    with store.engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_audit_events_prev_hash"))
        for column in ("prev_hash", "hash", "assessment_id"):
            conn.execute(text(f"ALTER TABLE audit_events DROP COLUMN {column}"))
        conn.execute(text("UPDATE schema_info SET version = 3"))
    store.close()
    store.key_file.unlink()


def test_a_schema_3_database_is_chained_once_at_its_upgrade(store: Store) -> None:
    aid, iid = new_interview(store)
    draft = {"texts": ["first"], "values": {"a": {"field": "a", "value": "yes"}}}
    store.commit_turn(iid, 0, "{}", [{"kind": "draft", "question_id": "MC-01", "answer": draft},
                                     {"kind": "facts", "facts": {"x": "no"}}], "Ann", NOW)  # fmt: skip
    store.commit_turn(iid, 1, "{}", [{"kind": "confirm", "question_id": "MC-01", "answer": draft}], "Ann", NOW)
    Accounts(store).add("Ada", "argon2-hash", True, "operator", NOW)
    before = store.audit()
    to_schema_3(store)

    upgraded = Store(store.url, store.key_file)  # a new key is made: the database holds no chained event yet
    assert store.key_file.stat().st_mode & 0o777 == 0o600
    with upgraded.engine.begin() as conn:
        assert conn.execute(text("SELECT version FROM schema_info")).scalar() == SCHEMA_VERSION
        first = conn.execute(text("SELECT prev_hash FROM audit_events ORDER BY id LIMIT 1")).scalar()
    assert first == GENESIS
    trail = AuditTrail(upgraded)
    report = trail.verify()
    assert report.ok, report.findings
    assert (report.events, report.answers) == (len(before), 2)
    assert upgraded.audit() == before  # chained, not changed
    exported = trail.export(aid)
    assert [e["action"] for e in exported] == ["create", "create", "draft", "set_facts", "confirmed"]
    head = trail.head()
    upgraded.close()

    again = Store(store.url, store.key_file)  # an ordinary open chains nothing again
    assert AuditTrail(again).head() == head
    again.commit_turn(iid, 2, "{}", [{"kind": "na", "question_id": "MC-02", "justification": "n/a"}], "Ann", NOW)
    assert AuditTrail(again).verify().events == len(before) + 1
    assert AuditTrail(again).verify().ok
    with pytest.raises(Exception, match="append-only"), again.engine.begin() as conn:  # the triggers are back
        conn.execute(text("UPDATE audit_events SET who = 'mallory'"))
    again.close()


def test_the_key_is_made_once_beside_a_sqlite_file_and_a_lost_one_is_never_replaced(tmp_path: Path,
                                                                                    capsys: pytest.CaptureFixture[str]
                                                                                    ) -> None:  # fmt: skip
    url = f"sqlite:///{tmp_path / 'qmm.sqlite3'}"
    key_file = tmp_path / "audit.key"
    store = Store(url)
    assert store.key_file == key_file
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert len(key_file.read_bytes()) == 32
    new_interview(store)
    store.close()
    assert Store(url).audit_key == key_file.read_bytes()  # the same key next time

    key = key_file.read_bytes()
    key_file.unlink()
    with pytest.raises(StoreError, match="restore audit.key from its backup"):
        Store(url)
    assert not key_file.exists()

    key_file.write_bytes(bytes(32))  # a different key: nothing recomputes
    report = AuditTrail(Store(url)).verify()
    assert [str(f) for f in report.findings] == [
        "event 1: no event's hash recomputes with this key: the audit key file is not the one this trail was written "
        "with (restore audit.key from its backup)"]
    key_file.write_bytes(key)
    assert AuditTrail(Store(url)).verify().ok


@pytest.mark.parametrize("url", ["postgresql+psycopg://qmm@/qmm?host=/nonexistent", "sqlite://"])
def test_a_database_that_is_not_a_file_must_be_given_its_key_file(url: str) -> None:
    with pytest.raises(StoreError, match="needs its audit key file passed in"):
        Store(url)


def test_the_app_keeps_its_key_where_qmm_audit_key_file_says(clean_env: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    elsewhere = tmp_path / "keys" / "qmm-audit.key"
    monkeypatch.setenv("QMM_AUDIT_KEY_FILE", str(elsewhere))
    service = AssessmentService(Settings())
    service.store.start_interview("Harford", "Ann", "qa_head", "p@1", NOW, lambda a, i, f: TurnWrite("{}"))
    service.store.close()
    assert elsewhere.is_file()
    assert not (clean_env / "audit.key").exists()
    assert verify(capsys) == (0, "ok: 2 events, 0 answers verified (0 conflict resolutions; append-only triggers "
                                 "in place)")  # fmt: skip
    monkeypatch.delenv("QMM_AUDIT_KEY_FILE")
    capsys.readouterr()
    assert main(["audit", "verify"]) == 1  # data/audit.key is not there and events are chained: refused
    assert "is missing" in capsys.readouterr().err

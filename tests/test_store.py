"""Persistence: versions, append-only audit, stale writes, schema guard, and resuming after a restart."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from assistant.errors import StoreError
from assistant.service import AssessmentService, Principal
from assistant.settings import Settings
from assistant.store import SCHEMA_VERSION, StaleInterview, Store, TurnWrite
from assistant.store_audit import AuditTrail
from tests.pgserver import postgres_cluster

LOCAL = Principal.local()  # local single-user mode: no accounts in these databases

NOW = datetime(2026, 11, 25, 12, 0)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with postgres_cluster() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The same tests against SQLite (default) and a real PostgreSQL server (slow tier)."""
    if request.param == "sqlite":
        yield Store(f"sqlite:///{tmp_path / 'qmm.sqlite3'}")
        return
    url = request.getfixturevalue("postgres_url")
    store = Store(url, audit_key_file=tmp_path / "audit.key")  # a database that is not a file needs its key file
    yield store
    with store.engine.begin() as conn:  # a clean database for the next test
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    store.engine.dispose()


def reopen(store: Store) -> Store:
    """The same database opened again (as after a restart), with the same audit key."""
    return Store(store.url, store.key_file)


def new_interview(store: Store, site: str = "Harford", who: str = "Ann") -> tuple[int, int]:
    """An interview whose first state is "{}" (revision 0 for these store-level tests)."""
    aid, iid = store.start_interview(
        site, who, "qa_head", "p@1", NOW, lambda a, i, facts: TurnWrite("{}", [], [("assistant", f"hello {i}")])
    )
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE interviews SET revision = 0 WHERE id = :i"), {"i": iid})
    return aid, iid


def test_turns_version_answers_and_audit_every_change(store: Store) -> None:
    aid, iid = new_interview(store)
    assert store.assessment_facts(aid) == {}
    draft = {"question_id": "MC-01", "texts": ["first"], "values": {"a": {"field": "a", "value": "yes"}}}
    rev = store.commit_turn(
        iid, 0, '{"s": 1}', [{"kind": "draft", "question_id": "MC-01", "answer": draft}], "Ann", NOW,
        [("user", "first"), ("assistant", "Noted")],
    )
    confirmed = {**draft, "values": {"a": {"field": "a", "value": "no"}}}
    rev = store.commit_turn(iid, rev, '{"s": 2}', [{"kind": "confirm", "question_id": "MC-01", "answer": confirmed}],
                            "Ann", NOW)  # fmt: skip
    assert rev == 2
    assert store.load_interview(iid) == ('{"s": 2}', 2)
    history = store.answer_history(aid, "MC-01")
    assert [(h["version"], h["status"]) for h in history] == [(1, "draft"), (2, "confirmed")]
    assert history[0]["raw_text"] == "first"
    current = store.current_answers(aid)
    assert current["MC-01"]["status"] == "confirmed"
    assert current["MC-01"]["version"] == 2
    events = [e for e in store.audit() if e["entity"] == "answer"]
    assert [(e["action"], e["before"] and e["before"]["values"], e["after"]["values"]) for e in events] == [
        ("draft", None, {"a": "yes"}),
        ("confirmed", {"a": "yes"}, {"a": "no"}),
    ]
    assert all(e["who"] == "Ann" and e["protocol"] == "p@1" for e in events)
    assert [(t["who"], t["text"]) for t in store.transcript(iid)] == [
        ("assistant", f"hello {iid}"), ("user", "first"), ("assistant", "Noted")]


def test_audit_log_is_append_only(store: Store) -> None:
    new_interview(store)
    with pytest.raises(Exception, match="append-only"), store.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET who = 'mallory'"))
    with pytest.raises(Exception, match="append-only"), store.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events"))


def test_a_stale_write_is_refused_and_changes_nothing(store: Store) -> None:
    aid, iid = new_interview(store)
    store.commit_turn(iid, 0, '{"tab": 1}', [], "Ann", NOW)
    with pytest.raises(StaleInterview, match="another tab"):
        store.commit_turn(iid, 0, '{"tab": 2}', [{"kind": "na", "question_id": "MC-02", "justification": "x"}],
                          "Ann", NOW)  # fmt: skip
    assert store.load_interview(iid) == ('{"tab": 1}', 1)
    assert store.current_answers(aid) == {}


def test_a_database_from_newer_code_is_refused_untouched(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE schema_info SET version = 99"))
    with pytest.raises(StoreError, match="newer version"):
        reopen(store)
    with store.engine.begin() as conn:
        assert conn.execute(text("SELECT version FROM schema_info")).scalar() == 99
        conn.execute(text(f"UPDATE schema_info SET version = {SCHEMA_VERSION}"))


def test_starting_an_interview_is_one_transaction(store: Store) -> None:
    def broken_first_turn(assessment_id: int, interview_id: int, facts: dict[str, str]) -> TurnWrite:
        raise RuntimeError("killed between the interview row and its first state")

    with pytest.raises(RuntimeError, match="killed"):
        store.start_interview("Harford", "Ann", "qa_head", "p@1", NOW, broken_first_turn)
    bad_effect = TurnWrite("{}", [{"kind": "draft", "question_id": "MC-01", "answer": {}}, {"kind": "facts"}])
    with pytest.raises(KeyError):  # fails after the interview, its state and a first answer were written
        store.start_interview("Harford", "Ann", "qa_head", "p@1", NOW, lambda a, i, f: bad_effect)
    with store.engine.begin() as conn:
        for table in ("sites", "assessments", "interviews", "answers", "turns", "audit_events"):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0, table
    aid, iid = store.start_interview("Harford", "Ann", "qa_head", "p@1", NOW,
                                     lambda a, i, f: TurnWrite(f'{{"i": {i}}}', [], [("assistant", "hi")]))  # fmt: skip
    assert store.load_interview(iid) == (f'{{"i": {iid}}}', 1)
    assert store.list_interviews()[0]["assessment_id"] == aid


def test_a_version_1_database_is_upgraded_and_keeps_its_data(store: Store) -> None:
    aid, iid = new_interview(store)
    _, iid2 = new_interview(store)
    with store.engine.begin() as conn:  # a version-1 database: no turns, resolutions, accounts or tokens
        for table in ("turns", "conflict_resolutions", "sessions", "grants", "users", "seen_records", "evidence_items",
                      "validations", "finding_edits", "plan_items", "profile_cache"):
            conn.execute(text(f"DROP TABLE {table}"))
        conn.execute(text("DROP INDEX ix_audit_events_prev_hash"))  # nor a hash chain (schema 4)
        for table, column in (("interviews", "token"), ("interviews", "owner_id"), ("assessments", "token"),
                              ("assessments", "gate"), ("assessments", "source"), ("sites", "record"),
                              ("audit_events", "prev_hash"), ("audit_events", "hash"),
                              ("audit_events", "assessment_id")):  # fmt: skip
            if column == "token":
                conn.execute(text(f"DROP INDEX ix_{table}_token"))
            conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        conn.execute(text("UPDATE schema_info SET version = 1"))
    store.engine.dispose()
    upgraded = reopen(store)
    with upgraded.engine.begin() as conn:
        assert conn.execute(text("SELECT version FROM schema_info")).scalar() == SCHEMA_VERSION == 6
    tokens = [upgraded.interview(i)["token"] for i in (iid, iid2)]
    assert all(t and len(t) >= 20 and not t.isdigit() for t in tokens)  # existing interviews got tokens
    assert len(set(tokens)) == 2
    assert upgraded.interview(tokens[0])["id"] == iid
    assert upgraded.assessment(upgraded.interview(iid)["assessment_token"])["id"] == aid
    with pytest.raises(IntegrityError), upgraded.engine.begin() as conn:  # the tokens' unique index is there
        conn.execute(text("UPDATE interviews SET token = :t WHERE id = :i"), {"t": tokens[0], "i": iid2})
    assert upgraded.load_interview(iid) == ("{}", 0)
    assert upgraded.transcript(iid) == []
    upgraded.commit_turn(iid, 0, "{}", [], "Ann", NOW, [("user", "after the upgrade")])
    assert [t["text"] for t in upgraded.transcript(iid)] == ["after the upgrade"]
    assert AuditTrail(upgraded).verify().ok  # its old events were chained at the upgrade
    upgraded.close()


def test_a_newer_database_missing_a_table_is_not_given_one(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE turns"))
        conn.execute(text("UPDATE schema_info SET version = 99"))
    with pytest.raises(StoreError, match="newer version"):
        reopen(store)
    with store.engine.begin() as conn:
        assert "turns" not in {t for t in store.engine.dialect.get_table_names(conn)}
        conn.execute(text(f"UPDATE schema_info SET version = {SCHEMA_VERSION}"))


def test_a_version_collision_is_retried_not_lost(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import IntegrityError

    aid, iid = new_interview(store)
    real = Store._apply
    calls = {"n": 0}

    def collide_once(self: Store, *args: object) -> None:
        calls["n"] += 1
        if calls["n"] == 1:  # as if another writer had just taken this version number
            raise IntegrityError("INSERT INTO answers", {}, Exception("UNIQUE constraint failed"))
        real(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "_apply", collide_once)
    answer = {"question_id": "MC-01", "texts": ["t"], "values": {}}
    rev = store.commit_turn(iid, 0, '{"s": 1}', [{"kind": "confirm", "question_id": "MC-01", "answer": answer}],
                            "Ann", NOW, [("user", "t")])  # fmt: skip
    assert (rev, calls["n"]) == (1, 2)
    assert [h["version"] for h in store.answer_history(aid, "MC-01")] == [1]
    assert [t["text"] for t in store.transcript(iid)] == [f"hello {iid}", "t"]


def test_writers_confirming_one_question_at_once_each_get_a_version(store: Store) -> None:
    import threading

    interviews = [new_interview(store, who=f"P{n}") for n in range(8)]
    barrier = threading.Barrier(len(interviews))
    errors: list[BaseException] = []

    def confirm(iid: int) -> None:
        try:
            barrier.wait()
            for rev in range(3):
                answer = {"question_id": "MC-01", "texts": [f"{iid}-{rev}"], "values": {}}
                store.commit_turn(iid, rev, "{}", [{"kind": "confirm", "question_id": "MC-01", "answer": answer}],
                                  f"P{iid}", NOW, [("user", f"{iid}-{rev}")])  # fmt: skip
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=confirm, args=(iid,)) for _, iid in interviews]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    history = store.answer_history(interviews[0][0], "MC-01")
    assert sorted(h["version"] for h in history) == list(range(1, 25))
    assert len({h["interview_id"] for h in history}) == 8
    assert len(store.confirmed_answers(interviews[0][0])) == 8  # one current answer per interviewee


def test_a_corrupt_database_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open the database"):
        Store(f"sqlite:///{path}")


def fake_service(data_dir: Path) -> AssessmentService:
    return AssessmentService(Settings(data_dir=data_dir, embeddings="fake", vector_store="memory",
                                      retrieval_floor=0.1))  # fmt: skip


def test_a_server_restart_mid_interview_loses_nothing(tmp_path: Path) -> None:
    first = fake_service(tmp_path)
    turn = first.start_interview(LOCAL, "Harford plant", "Ann Lee", "qa_head")
    for message in ("no", "no", "no", "yes", "We have written quality objectives, reviewed every quarter."):
        turn = first.turn(LOCAL, turn.state, message)
    assert turn.state.phase.value == "follow_up"
    chat = first.resume_interview(LOCAL, turn.state.interview_id).transcript
    # the process dies here; a new one opens the same data directory
    second = fake_service(tmp_path)
    resumed = second.resume_interview(LOCAL, turn.state.interview_id)
    assert resumed.state == turn.state
    assert resumed.transcript == chat
    assert [m["content"] for m in chat if m["role"] == "user"] == [
        "no", "no", "no", "yes", "We have written quality objectives, reviewed every quarter."]
    assert chat[-1]["content"] == turn.messages[-1]
    assert resumed.state.draft is not None
    assert resumed.state.draft.texts == ["We have written quality objectives, reviewed every quarter."]
    assert second.interviews(LOCAL)[0]["site"] == "Harford plant"


def test_two_tabs_never_lose_an_update(tmp_path: Path) -> None:
    service = fake_service(tmp_path)
    turn = service.start_interview(LOCAL, "Harford plant", "Ann Lee", "qa_head")
    tab_a = tab_b = turn.state
    after_a = service.turn(LOCAL, tab_a, "no")
    with pytest.raises(StaleInterview, match="another tab"):
        service.turn(LOCAL, tab_b, "yes")
    resumed = service.resume_interview(LOCAL, turn.state.interview_id)
    assert resumed.state == after_a.state
    assert "yes" not in [m["content"] for m in resumed.transcript if m["role"] == "user"]


def test_a_scripted_interview_of_one_area_produces_an_area_score(tmp_path: Path) -> None:
    service = fake_service(tmp_path)
    turn = service.start_interview(LOCAL, "Corvane", "Bo", "all")
    for fact in ("yes", "yes", "yes", "yes"):
        turn = service.turn(LOCAL, turn.state, fact)
    bc = [q for q in turn.state.order if q.startswith("BC-")]
    while turn.state.current and not turn.state.current.startswith("BC-"):
        turn = service.turn(LOCAL, turn.state, "skip")
    for _ in bc:
        qid = turn.state.current
        assert qid is not None
        assert qid.startswith("BC-")
        answer = "Yes, we do this every quarter; 80% covered; see the 2025 review report."
        turn = service.turn(LOCAL, turn.state, answer)
        turn = service.turn(LOCAL, turn.state, "confirm")
        assert qid in turn.state.confirmed
    profile = service.assessment_profile(LOCAL, turn.state.assessment_id)
    area = next(a for a in profile.areas if a.area == "business_continuity")
    assert area.assessed == len(bc)
    assert area.score is not None
    assert all(q.status == "scored" for q in profile.questions if q.area == "business_continuity")
    assert profile.protocol == "qmm-self-assessment@2"


def test_bad_input_is_refused_or_kept_never_lost(tmp_path: Path) -> None:
    service = fake_service(tmp_path)
    with pytest.raises(Exception, match="site name"):
        service.start_interview(LOCAL, "  ", "Ann", "qa_head")
    turn = service.start_interview(LOCAL, "Harford", "Ann", "qa_head")
    for fact in ("no", "no", "no", "no"):
        turn = service.turn(LOCAL, turn.state, fact)
    huge = "We review objectives every quarter. " * 2000 + "\u200b😀 İ"
    turn = service.turn(LOCAL, turn.state, huge)
    stored = service.store.answer_history(turn.state.assessment_id, "MC-01")
    assert stored[-1]["raw_text"] == huge[:20_000]
    assert turn.state.draft is not None
    assert turn.state.draft.unsupported() == []


def test_card_edits_are_validated_and_saved_field_by_field(tmp_path: Path) -> None:
    service = fake_service(tmp_path)
    turn = service.start_interview(LOCAL, "Harford", "Ann", "qa_head")
    for message in ("no", "no", "no", "no", "We have written quality objectives."):
        turn = service.turn(LOCAL, turn.state, message)
    edited = service.apply_edits(LOCAL, turn.state, {"review_frequency": "monthly", "measurable": "partly"})
    assert edited is not None
    assert edited.state.draft is not None
    values = edited.state.draft.values
    assert (values["review_frequency"].value, values["review_frequency"].source) == ("monthly", "edited")
    assert values["measurable"].value == "partly"
    bad = service.apply_edits(LOCAL, edited.state, {"review_frequency": "fortnightly"})
    assert bad is not None
    assert "Could not set Leadership review of progress" in bad.messages[0]
    assert service.apply_edits(LOCAL, edited.state, {}) is None
    history = service.store.answer_history(turn.state.assessment_id, "MC-01")
    assert len(history) >= 3


def test_processes_opening_a_new_database_together_all_succeed(tmp_path: Path) -> None:
    """App processes started at once on a fresh database: the losers of the race to create it open it as made."""
    import subprocess
    import sys
    import time

    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    code = ("import sys, time; from assistant.store import Store; time.sleep(max(0, float(sys.argv[2]) - time.time()));"
            " s = Store(sys.argv[1]); "
            "print(s.engine.connect().exec_driver_sql('SELECT version FROM schema_info').scalar())")  # fmt: skip
    at = str(time.time() + 4)  # imported first, then all open at the same moment
    procs = [subprocess.Popen([sys.executable, "-c", code, url, at], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(4)]  # fmt: skip
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], [err[-500:] for _, err in results]
    assert {out.strip() for out, _ in results} == {str(SCHEMA_VERSION)}

"""The service around the interview: one-transaction start, repair on resume, the whole chat kept, several
interviewees each heard (conflicts), and no silent failure under load or when the extractor breaks."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from assistant.errors import AssistantError
from assistant.interview import Phase
from assistant.interview_service import UNREADABLE
from assistant.service import AssessmentService, Principal, Turn
from assistant.settings import Settings

LOCAL = Principal.local()  # local single-user mode: no accounts in these databases

FACTS_NO = ("no", "no", "no", "no")  # the four site facts of the default protocol (v2)
RICH = (
    "We have written quality objectives with measurable targets. Leadership reviews them every month, they are "
    "cascaded to departments, teams and individuals, linked to our business plan; see the 2025 scorecard."
)
POOR = "We have some quality objectives but they are not measurable and we never review them."
RICH_FORM = {"objectives_defined": "Yes", "measurable": "Yes", "cascaded_to": ["Departments", "Teams", "Individuals"],
             "linked_to_business": "Yes", "evidence": "2025 quality scorecard"}  # fmt: skip
POOR_FORM = {"objectives_defined": "Partly", "measurable": "No"}


def fake_service(data_dir: Path) -> AssessmentService:
    return AssessmentService(Settings(data_dir=data_dir, embeddings="fake", vector_store="memory",
                                      retrieval_floor=0.1))  # fmt: skip


@pytest.fixture
def svc(tmp_path: Path) -> AssessmentService:
    return fake_service(tmp_path / "data")


def count(service: AssessmentService, table: str) -> int:
    with service.store.engine.begin() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0)


def to_question(service: AssessmentService, turn: Turn, facts: tuple[str, ...] = FACTS_NO) -> Turn:
    for fact in facts if turn.state.phase.value == "facts" else ():
        turn = service.turn(LOCAL, turn.state, fact)
    assert turn.state.current == "MC-01"
    return turn


def answer_and_confirm(
    service: AssessmentService, turn: Turn, text_: str, form: dict[str, str | list[str]] | None = None
) -> Turn:
    """Answer (unless ``text_`` is empty: already answered), fill the follow-up form ("Don't know" where ``form``
    has no value), confirm."""
    if text_:
        turn = service.turn(LOCAL, turn.state, text_)
    for _ in range(12):
        if turn.state.phase.value == "confirm":
            break
        if turn.form:
            values = {f.id: (form or {}).get(f.id, "Don't know") for f in turn.form}
            turn = service.submit_form(LOCAL, turn.state, values)
        else:
            turn = service.turn(LOCAL, turn.state, "don't know")
    turn = service.turn(LOCAL, turn.state, "confirm")
    assert "MC-01" in turn.state.confirmed
    return turn


# --- A: starting is one transaction; a broken state is repaired ----------------------------------------------------
def test_a_failure_while_starting_leaves_nothing_half_made(svc: AssessmentService,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    def crash(state: object) -> object:
        raise RuntimeError("the process died here")

    monkeypatch.setattr(svc.engine, "start", crash)
    with pytest.raises(RuntimeError, match="died"):
        svc.start_interview(LOCAL, "Harford", "Ann", "qa_head")
    assert svc.interviews(LOCAL) == []
    assert [count(svc, t) for t in ("sites", "assessments", "interviews", "turns", "audit_events")] == [0] * 5
    monkeypatch.undo()
    turn = svc.start_interview(LOCAL, "Harford", "Ann", "qa_head")
    assert turn.state.interview_id == svc.interviews(LOCAL)[0]["id"]
    assert turn.state.revision == 1


def test_an_interview_whose_state_cannot_continue_is_repaired_on_resume(svc: AssessmentService) -> None:
    turn = to_question(svc, svc.start_interview(LOCAL, "Harford", "Ann", "qa_head"))
    broken = turn.state.model_copy(update={"order": [], "current": None})  # facts known, no questions planned
    with svc.store.engine.begin() as conn:
        conn.execute(text("UPDATE interviews SET state = :s WHERE id = :i"),
                     {"s": broken.model_dump_json(), "i": turn.state.interview_id})  # fmt: skip
    resumed = svc.resume_interview(LOCAL, turn.state.interview_id)
    assert resumed.state.order == turn.state.order
    assert resumed.state.current == "MC-01"
    assert not any("All 0 questions" in m for m in resumed.messages)
    assert svc.turn(LOCAL, resumed.state, "skip").state.current != "MC-01"  # commands work again
    with svc.store.engine.begin() as conn:  # an unreadable state too (e.g. written by a start that was cut short)
        conn.execute(text("UPDATE interviews SET state = '' WHERE id = :i"), {"i": turn.state.interview_id})
    again = svc.resume_interview(LOCAL, turn.state.interview_id)
    assert again.state.order == turn.state.order
    assert again.state.facts == turn.state.facts
    paused = again.state.model_copy(update={"order": [], "phase": Phase.PAUSED, "resume_phase": Phase.ANSWER})
    with svc.store.engine.begin() as conn:  # paused with nothing planned: repaired too, not "All 0 questions"
        conn.execute(text("UPDATE interviews SET state = :s WHERE id = :i"),
                     {"s": paused.model_dump_json(), "i": turn.state.interview_id})  # fmt: skip
    resumed = svc.resume_interview(LOCAL, turn.state.interview_id)
    assert resumed.state.order == turn.state.order
    after = svc.turn(LOCAL, resumed.state, "resume")
    assert not any("All 0" in m for m in after.messages)
    assert after.state.current is not None


# --- B: the whole chat ---------------------------------------------------------------------------------------------
def test_resume_returns_the_whole_chat_in_order(svc: AssessmentService) -> None:
    start = svc.start_interview(LOCAL, "Harford", "Ann", "qa_head")
    said = [*start.messages]
    turn = start
    for message in (*FACTS_NO, POOR):
        turn = svc.turn(LOCAL, turn.state, message)
        said += [message, *turn.messages]
    chat = svc.resume_interview(LOCAL, turn.state.interview_id).transcript
    assert [m["content"] for m in chat] == [m for m in said if m]
    assert [m["role"] for m in chat][:2] == ["assistant", "assistant"]
    assert chat[len(start.messages)] == {"role": "user", "content": "no"}


# --- D: several interviewees, each heard ---------------------------------------------------------------------------
def test_a_second_interviewee_never_replaces_the_first_and_a_conflict_is_scored_conservatively(
    svc: AssessmentService,
) -> None:
    qa = to_question(svc, svc.start_interview(LOCAL, "Harford", "Ann QA", "qa_head"))
    qa = answer_and_confirm(svc, qa, RICH, RICH_FORM)
    aid = qa.state.assessment_id
    level_alone = next(q for q in svc.assessment_profile(LOCAL, aid).questions if q.question_id == "MC-01").level
    prod_start = svc.start_interview(LOCAL, "Harford", "Pat Production", "site_head")
    prod = to_question(svc, prod_start, ())
    shown = " ".join(prod_start.messages + prod.messages)
    assert prod.state.draft is None  # a colleague's answer is never shown in the Interview tab
    assert not any("Welcome back" in m for m in prod_start.messages)  # a newcomer is welcomed, not welcomed back
    assert "scorecard" not in shown
    prod = answer_and_confirm(svc, prod, POOR, POOR_FORM)
    heard = svc.heard(LOCAL, aid)["MC-01"]
    assert {h.interviewee for h in heard} == {"Ann QA", "Pat Production"}  # both answers stay
    [conflict] = svc.conflicts(LOCAL, aid)
    assert conflict.question_id == "MC-01"
    assert conflict.open
    said = {a.interviewee: a for a in conflict.answers}
    assert said["Ann QA"].values != said["Pat Production"].values
    low = min(a.level or 0 for a in conflict.answers)
    assert low < level_alone
    mc01 = next(q for q in svc.assessment_profile(LOCAL, aid).questions if q.question_id == "MC-01")
    assert mc01.level == low  # conservative until an assessor chooses

    with pytest.raises(AssistantError, match="reason"):
        svc.resolve_conflict(LOCAL, aid, "MC-01", qa.state.interview_id, "  ", "Dana Assessor")
    svc.resolve_conflict(LOCAL, aid, "MC-01", qa.state.interview_id, "QA head showed the scorecard", "Dana Assessor")
    [resolved] = svc.conflicts(LOCAL, aid)
    assert not resolved.open
    assert resolved.resolution is not None
    assert resolved.resolution.who == "Dana Assessor"
    mc01 = next(q for q in svc.assessment_profile(LOCAL, aid).questions if q.question_id == "MC-01")
    assert mc01.level == level_alone
    event = [e for e in svc.store.audit() if e["action"] == "resolve_conflict"][-1]
    assert event["who"] == "Dana Assessor"
    assert event["after"]["reason"] == "QA head showed the scorecard"
    assert event["after"]["chosen_who"] == "Ann QA"
    assert set(event["before"]["answers"]) == {str(qa.state.interview_id), str(prod.state.interview_id)}

    back = svc.turn(LOCAL, prod.state, "back")  # the production head changes their answer: the conflict opens again
    assert back.state.current == "MC-01"
    svc.turn(LOCAL, back.state, "confirm")
    assert svc.conflicts(LOCAL, aid)[0].open


def test_the_same_answer_from_two_interviewees_is_no_conflict(svc: AssessmentService) -> None:
    a = answer_and_confirm(svc, to_question(svc, svc.start_interview(LOCAL, "Harford", "Ann", "qa_head")), POOR)
    answer_and_confirm(svc, to_question(svc, svc.start_interview(LOCAL, "Harford", "Bo", "qa_head"), ()), POOR)
    assert len(svc.heard(LOCAL, a.state.assessment_id)["MC-01"]) == 2
    assert svc.conflicts(LOCAL, a.state.assessment_id) == []
    with pytest.raises(AssistantError, match="no conflicting answers"):
        svc.resolve_conflict(LOCAL, a.state.assessment_id, "MC-01", a.state.interview_id, "why not", "Dana")


# --- F: no silent failures -----------------------------------------------------------------------------------------
def test_twenty_interviewees_at_once_lose_no_turn(svc: AssessmentService) -> None:
    starts = [svc.start_interview(LOCAL, "Harford", f"Person {n}", "qa_head") for n in range(20)]
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []
    finals: dict[int, Turn] = {}

    def interview(turn: Turn) -> None:
        try:
            barrier.wait()
            for message in (*FACTS_NO, POOR):
                turn = svc.turn(LOCAL, turn.state, message)
            finals[turn.state.interview_id] = answer_and_confirm(svc, turn, "")
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=interview, args=(t,)) for t in starts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(finals) == 20
    for iid, turn in finals.items():
        chat = svc.resume_interview(LOCAL, iid).transcript
        sent = [m["content"] for m in chat if m["role"] == "user"]
        assert sent[:5] == [*FACTS_NO, POOR]
        assert sent[-1] == "confirm"
        assert svc.store.load_interview(iid)[1] == turn.state.revision == 1 + len(sent)
    versions = [h["version"] for h in svc.store.answer_history(starts[0].state.assessment_id, "MC-01")]
    assert versions == list(range(1, len(versions) + 1))  # no version lost or taken twice
    assert len(svc.heard(LOCAL, starts[0].state.assessment_id)["MC-01"]) == sum(
        "MC-01" in t.state.confirmed for t in finals.values()
    )


def test_an_extractor_that_raises_asks_again_and_keeps_the_text(svc: AssessmentService,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    turn = to_question(svc, svc.start_interview(LOCAL, "Harford", "Ann", "qa_head"))

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("Already borrowed")

    monkeypatch.setattr(svc.extractor, "extract", broken)
    secret = "Our objectives are reviewed by the board every quarter (confidential detail 4711)."
    with caplog.at_level(logging.WARNING):
        after = svc.turn(LOCAL, turn.state, secret)
    assert after.messages == [UNREADABLE]
    assert after.kept_text == secret
    assert after.state.draft is None  # not silently turned into an empty answer
    chat = svc.resume_interview(LOCAL, turn.state.interview_id).transcript
    assert chat[-2:] == [{"role": "user", "content": secret}, {"role": "assistant", "content": UNREADABLE}]
    logged = [r for r in caplog.records if r.name == "assistant.interview_service"]
    assert logged
    assert "RuntimeError" in logged[0].getMessage()
    assert all("4711" not in r.getMessage() and "Already borrowed" not in r.getMessage() for r in caplog.records)
    monkeypatch.undo()
    assert svc.turn(LOCAL, after.state, secret).messages != [UNREADABLE]

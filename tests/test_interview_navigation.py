"""Moving through an interview: skip without loops, go to, end with questions open, welcome, questions back,
"don't know" as a first reply."""

from __future__ import annotations

import pytest

from assistant.extraction.models import FieldValue, empty_answer
from assistant.interview import InterviewEngine, InterviewState, Phase, SaveDraft, ShowGuidance
from assistant.protocol import Protocol
from tests.test_interview_commands import at_question, new_state


def mini_started(engine: InterviewEngine) -> InterviewState:
    return engine.on_text(engine.start(new_state(engine.protocol)).state, "yes").state


def confirm_current(engine: InterviewEngine, state: InterviewState) -> InterviewState:
    assert state.current is not None
    question = engine.question(state.current)
    answer = empty_answer(question, ["t"])
    first = question.fields[0]
    answer.values[first.id] = FieldValue(field=first.id, value="yes", span="t", confidence=0.9)
    state = engine.on_text(state, "t", answer).state
    return engine.on_command(state, "confirm").state


def test_skipping_every_question_many_times_never_loops(engine: InterviewEngine) -> None:
    state = at_question(engine, "MC-01", role="qa_head")
    order = state.order
    seen: list[str | None] = []
    for _ in range(3 * len(order)):
        step = engine.on_command(state, "skip")
        state = step.state
        seen.append(state.current)
        if state.current is None:
            break
    assert state.current is None  # it stopped
    # every question came up once fresh and once more at the end; none twice in a row
    assert all(a != b for a, b in zip(seen, seen[1:], strict=False))
    assert len(seen) <= 2 * len(order)
    assert state.phase is Phase.ANSWER
    last = step.messages[-1]
    assert last.startswith(f"No other questions are waiting. Still open ({len(order)}):")
    assert "- MC-01 Quality objectives" in last
    assert "'end' to finish" in last
    assert step.quick_replies[-1] == "End interview"
    assert step.quick_replies[0] == f"Go to {order[0]}"
    assert engine.open_questions(state) == order
    # skip, back-to-nothing and answers now point at the open list instead of reopening a question
    again = engine.on_command(state, "skip")
    assert again.state.current is None
    assert again.messages[0].startswith("No other questions are waiting.")
    text = engine.on_text(state, "some answer")
    assert text.state.current is None
    assert text.effects == []


def test_skipping_the_last_open_question_offers_to_end(mini_engine: InterviewEngine) -> None:
    state = mini_started(mini_engine)
    state = confirm_current(mini_engine, state)  # AL-01
    state = confirm_current(mini_engine, state)  # AL-02
    assert state.current == "BE-01"
    step = mini_engine.on_command(state, "skip")
    assert step.state.current is None
    assert step.messages == ["Skipped BE-01; we will come back to it at the end.",
                             "No other questions are waiting. Still open (1):\n- BE-01 Speak up\n"
                             "Say 'go to ID' to answer one now, or 'end' to finish with them open."]  # fmt: skip
    assert step.quick_replies == ["Go to BE-01", "End interview"]


def test_a_skipped_question_comes_back_once_at_the_end(mini_engine: InterviewEngine) -> None:
    state = mini_started(mini_engine)
    state = mini_engine.on_command(state, "skip").state  # AL-01 skipped
    state = confirm_current(mini_engine, state)  # AL-02
    state = confirm_current(mini_engine, state)  # BE-01
    assert state.current == "AL-01"  # back once
    step = mini_engine.on_command(state, "skip")
    assert step.messages[0] == "Skipped AL-01; it stays open."
    assert step.state.current is None


def test_go_to_opens_a_question_of_this_interview(engine: InterviewEngine) -> None:
    state = at_question(engine, "MC-01", role="qa_head")
    draft = engine.on_text(state, "We have objectives.", empty_answer(engine.question("MC-01"), ["x"])).state
    command = engine.parse(draft, "go to mc-03")
    assert command == ("goto", "MC-03")
    step = engine.on_command(draft, *command)
    assert step.state.current == "MC-03"
    assert step.state.phase is Phase.ANSWER
    assert step.messages[0].startswith("MC-03 · Management Commitment to Quality")
    assert step.effects == [SaveDraft(question_id="MC-01", answer=draft.draft)]  # the draft left behind is kept
    assert "MC-01" in step.state.skipped  # and the question stays open
    assert "MC-01" in engine.open_questions(step.state)
    back = engine.on_command(step.state, "back")
    assert back.state.current == "MC-01"


def test_go_to_a_question_not_in_this_interview(engine: InterviewEngine) -> None:
    state = at_question(engine, "MC-01", role="qa_head")
    outside = next(q for q in engine.protocol.active_questions if q.id not in state.order)
    step = engine.on_command(state, "goto", outside.id)
    assert step.messages[0].startswith(f"{outside.id} is not one of this interview's questions. Open: MC-01")
    assert step.state.current == "MC-01"
    assert engine.on_command(state, "goto", "ZZ-99").state == state


def test_go_to_a_confirmed_question_shows_its_card(mini_engine: InterviewEngine) -> None:
    state = confirm_current(mini_engine, mini_started(mini_engine))
    step = mini_engine.on_command(state, "goto", "al-01")
    assert (step.state.current, step.state.phase) == ("AL-01", Phase.CONFIRM)
    assert "Your confirmed answer:" in step.messages


def test_end_lists_the_open_questions_and_the_roles_still_needed(engine: InterviewEngine) -> None:
    state = at_question(engine, "MC-01", role="qa_head")
    state = confirm_current(engine, state)
    assert state.current is not None
    step = engine.on_command(state, *(engine.parse(state, "finish") or ("", None)))
    assert step.state.phase is Phase.DONE
    assert step.state.current is None
    text = step.messages[0]
    still_open = engine.open_questions(step.state)
    assert "MC-01" not in still_open
    assert text.startswith(f"Interview ended with {len(still_open)} question(s) still open:")
    mc02 = engine.question("MC-02")
    roles = {r.id: r.label for r in engine.protocol.meta.roles}
    assert f"- MC-02 {mc02.topic} ({'; '.join(roles[r] for r in mc02.roles)})" in text
    assert "Roles still needed: " in text
    assert "qa_head" not in text  # role labels, not ids
    # the interview can be taken up again
    resumed = engine.on_command(step.state, "resume")
    assert resumed.state.current == still_open[0]


def test_end_when_everything_is_answered(mini_engine: InterviewEngine) -> None:
    state = mini_started(mini_engine)
    for _ in range(3):
        state = confirm_current(mini_engine, state)
    assert state.phase is Phase.DONE
    step = mini_engine.on_command(state, "end")
    assert step.messages == ["All 3 questions for your role are answered. Thank you!"]


def test_welcome_for_a_new_interviewee_when_the_facts_are_known(mini_engine: InterviewEngine, mini: Protocol) -> None:
    state = new_state(mini).model_copy(update={"facts": {"has_contractors": "no"}})
    step = mini_engine.start(state)
    assert "Welcome back" not in " ".join(step.messages)
    assert step.messages[0] == ("Welcome, Ann.\nThe site facts are already recorded:\n- Do you use contractors? No\n"
                                "2 questions for your role; one at a time.")  # fmt: skip
    assert step.state.order == ["AL-01", "BE-01"]
    assert step.state.current == "AL-01"
    back = mini_engine.start(step.state.model_copy(update={"history": ["AL-01"]}))
    assert back.messages[0] == "Welcome back, Ann."


def test_a_question_back_is_explained_and_nothing_is_saved(engine: InterviewEngine) -> None:
    state = at_question(engine, "MC-01", role="qa_head")
    for text in ("What counts as evidence?", "what do you mean by cascaded?"):
        command = engine.parse(state, text)
        assert command == ("ask", text)
        for step in (engine.on_command(state, *command), engine.on_text(state, text)):
            assert step.effects == [ShowGuidance(question_id="MC-01")]
            assert step.state == state  # the question stays open; no draft
            assert step.messages[0].startswith("About MC-01: Say whether written quality objectives exist")
    evidence = engine.on_command(state, "ask", "What counts as evidence?").messages[0]
    assert "- Evidence: Which documents show the objectives and their reviews" in evidence
    teams = engine.on_command(state, "ask", "What do you mean by teams?").messages[0]
    assert "- Cascaded to, \u201cTeams\u201d: Shift or work teams have goals" in teams
    plain = engine.on_command(state, "ask", "Why does this matter?").messages[0]
    assert plain == f"About MC-01: {engine.question('MC-01').respondent_guidance}"


def test_a_question_back_in_a_follow_up_keeps_the_form(mini_engine: InterviewEngine, mini: Protocol) -> None:
    state = mini_started(mini_engine)
    answer = empty_answer(mini_engine.question("AL-01"), ["Defined."])
    answer.values["defined"] = FieldValue(field="defined", value="yes", span="Defined.", confidence=0.9)
    state = mini_engine.on_text(state, "Defined.", answer).state
    step = mini_engine.on_text(state, "What counts as evidence?")
    assert step.state == state
    assert [f.id for f in step.form] == state.pending_fields
    assert step.messages[-1] == "When you are ready, give the details asked above (or 'don't know')."


@pytest.mark.parametrize("text", ["I don't know", "don't know", "no idea", "not sure", "Not sure.", "I do not know"])
def test_dont_know_as_a_first_reply_offers_skip_colleague_or_na(engine: InterviewEngine, text: str) -> None:
    state = at_question(engine, "MC-01", role="qa_head")
    command = engine.parse(state, text)
    assert command == ("decline", None)
    for step in (engine.on_command(state, *command), engine.on_text(state, text)):
        assert step.effects == []
        assert step.state.draft is None
        assert step.state.phase is Phase.ANSWER
        assert step.quick_replies == ["Skip", "Ask a colleague", "N/A"]
        assert "nothing is saved for MC-01" in step.messages[0]
        assert "Site head / general manager or Head of quality assurance" in step.messages[0]
    colleague = engine.on_command(state, *(engine.parse(state, "Ask a colleague") or ("", None)))
    assert colleague.messages[0].startswith("Left MC-01 open for a colleague (Site head / general manager or Head")
    assert colleague.state.current != "MC-01"
    assert "MC-01" in engine.open_questions(colleague.state)
    na = engine.on_command(state, "na")
    assert na.state.phase is Phase.NA_REASON


def test_pause_resume_back_na_still_work_with_the_form(mini_engine: InterviewEngine) -> None:
    state = mini_started(mini_engine)
    answer = empty_answer(mini_engine.question("AL-01"), ["Defined."])
    answer.values["defined"] = FieldValue(field="defined", value="yes", span="Defined.", confidence=0.9)
    state = mini_engine.on_text(state, "Defined.", answer).state
    paused = mini_engine.on_command(state, "pause")
    assert paused.state.phase is Phase.PAUSED
    resumed = mini_engine.on_command(paused.state, "resume")
    assert resumed.state.phase is Phase.FOLLOW_UP
    assert resumed.state.pending_fields == state.pending_fields
    assert "- Review: How often are they reviewed?" in resumed.messages[-1]
    na = mini_engine.on_text(mini_engine.on_command(state, "na").state, "No objectives at this site.")
    assert na.effects[0].kind == "na"
    assert na.state.current == "AL-02"
    back = mini_engine.on_command(na.state, "back")
    assert back.state.current == "AL-01"
    assert "It is marked N/A" in back.messages[-1]


def test_only_the_site_facts_still_unknown_are_asked(engine: InterviewEngine) -> None:
    state = new_state(engine.protocol, "qa_head").model_copy(update={"facts": {"uses_contract_organisations": "no"}})
    step = engine.start(state)
    assert step.state.phase is Phase.FACTS
    assert step.state.pending_facts == ["part_of_multi_site_company", "has_computerised_process_control"]
    assert step.messages[0] == ("Welcome, Ann. First, 2 quick questions about the site; they decide which "
                                "questions apply.")  # fmt: skip


def test_a_question_left_with_a_draft_comes_back_with_it(mini_engine: InterviewEngine) -> None:
    state = mini_started(mini_engine)
    answer = empty_answer(mini_engine.question("AL-01"), ["Defined, reviewed yearly."])
    answer.values["defined"] = FieldValue(field="defined", value="yes", span="Defined", confidence=0.9)
    draft = mini_engine.on_text(state, "Defined, reviewed yearly.", answer).state
    skipped = mini_engine.on_command(draft, "skip")
    assert skipped.effects == [SaveDraft(question_id="AL-01", answer=draft.draft)]
    assert skipped.state.current == "AL-02"
    back = mini_engine.on_command(skipped.state, "goto", "AL-01")
    assert (back.state.current, back.state.phase) == ("AL-01", Phase.CONFIRM)
    assert back.state.draft == draft.draft
    assert "Your answer so far:" in back.messages
    assert "- Defined: Yes" in back.messages[-1]
    assert back.state.drafts == {}
    ended = mini_engine.on_command(back.state, "end")
    assert ended.state.drafts == {"AL-01": draft.draft}
    resumed = mini_engine.on_command(ended.state, "resume")
    assert resumed.state.current == "BE-01"  # a question not yet seen comes first
    again = mini_engine.on_command(resumed.state, "goto", "AL-01")
    assert again.state.draft == draft.draft
    assert InterviewState.model_validate_json(ended.state.model_dump_json()) == ended.state

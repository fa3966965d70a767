"""The follow-up form (every missing field in one message), values by their labels, change notes, the card."""

from __future__ import annotations

import pytest

from assistant.extraction.models import FieldValue, StructuredAnswer, empty_answer
from assistant.interview import (
    FormField,
    InterviewEngine,
    InterviewState,
    Phase,
    SaveDraft,
    card_text,
    label_value,
)
from assistant.protocol import Protocol, load_protocol
from assistant.protocol.models import FieldType
from tests.conftest import V1_DIR
from tests.test_interview_commands import at_question

ACTIVE = load_protocol(V1_DIR)
YES_NO_FIELDS = [(q.id, f.id) for q in ACTIVE.active_questions for f in q.fields if f.type is FieldType.YES_NO]


def answer(engine: InterviewEngine, qid: str, text: str, confidence: float = 0.9, **values: object) -> StructuredAnswer:
    result = empty_answer(engine.question(qid), [text])
    for fid, value in values.items():
        result.values[fid] = FieldValue(field=fid, value=value, span=text, confidence=confidence)  # type: ignore[arg-type]
    return result


def follow_up(engine: InterviewEngine, qid: str, **values: object) -> InterviewState:
    """At ``qid`` after a first answer that stated ``values``: the follow-up form is open."""
    state = at_question(engine, qid)
    step = engine.on_text(state, "Our answer.", answer(engine, qid, "Our answer.", **values))
    assert step.state.phase is Phase.FOLLOW_UP
    return step.state


def test_there_are_yes_no_fields_to_test() -> None:
    assert len(YES_NO_FIELDS) > 50


@pytest.mark.parametrize(("qid", "fid"), YES_NO_FIELDS)
def test_every_yes_no_field_through_the_form(engine: InterviewEngine, qid: str, fid: str) -> None:
    question = engine.question(qid)
    field = next(f for f in question.fields if f.id == fid)
    allowed = ["Yes", "No"] + (["Partly"] if field.allow_partly else []) + (["Planned"] if field.allow_planned else [])
    state = follow_up(engine, qid)
    step = engine.resume(state)
    shown = next(f for f in step.form if f.id == fid)
    assert shown == FormField(id=fid, label=field.label, type="yes_no", options=allowed, multi=False,
                              prompt=field.follow_up or shown.prompt)  # fmt: skip
    assert f"- {field.label}: " in step.messages[-1]
    for label in allowed:  # each label shown is accepted, in any case, and stored as its id
        done = engine.on_form(state, {fid: label.upper()})
        assert done.state.draft is not None
        assert done.state.draft.values[fid].value == label.lower()
        assert isinstance(done.effects[0], SaveDraft)
        assert fid not in done.state.pending_fields
    by_label = engine.on_form(state, {field.label.lower(): "yes"})  # the field by its label
    assert by_label.state.draft is not None
    assert by_label.state.draft.values[fid].value == "yes"
    for refused in [x for x in ("Partly", "Planned", "maybe") if x not in allowed]:
        bad = engine.on_form(state, {fid: refused})
        assert bad.state.pending_fields == [fid]  # stays asked, alone
        assert [f.id for f in bad.form] == [fid]
        assert f"- {field.label}: '{refused}' is not one of: {', '.join(allowed)}." in bad.messages
    declined = engine.on_form(state, {fid: "Don't know"})
    assert declined.state.draft is not None
    assert declined.state.draft.values[fid].source == "declined"


def test_the_form_lists_every_missing_field_once_and_then_the_card(mini_engine: InterviewEngine) -> None:
    state = follow_up(mini_engine, "AL-01", defined="yes")
    step = mini_engine.on_form(state, {
        "review": "Every quarter", "share": "85%", "cascade": ["Teams", "people"], "evidence": "Scorecard, Minutes",
    })  # fmt: skip
    assert step.state.phase is Phase.CONFIRM
    assert step.form == []
    draft = step.state.draft
    assert draft is not None
    assert draft.stated_values() == {"defined": "yes", "review": "quarterly", "share": 85.0,
                                     "cascade": ["teams", "people"], "evidence": ["Scorecard", "Minutes"]}  # fmt: skip
    assert step.messages[0] == ("Noted: Review: Every quarter; Share measured: 85%; Cascaded to: Teams, People; "
                                "Evidence: Scorecard, Minutes.")  # fmt: skip
    assert draft.unsupported() == []


def test_invalid_form_values_are_named_and_only_they_are_asked_again(mini_engine: InterviewEngine) -> None:
    state = follow_up(mini_engine, "AL-01", defined="yes")
    step = mini_engine.on_form(state, {"review": "fortnightly", "share": "120", "cascade": "Teams"})
    assert step.state.pending_fields == ["review", "share"]
    assert [f.label for f in step.form] == ["Review", "Share measured"]
    assert "Please check (the other values are kept):" in step.messages
    assert any(m.startswith("- Review: 'fortnightly' is not one of: Never, Ad hoc") for m in step.messages)
    assert "- Share measured: '120' is not a percentage between 0 and 100." in step.messages
    assert step.state.draft is not None
    assert step.state.draft.values["cascade"].value == ["teams"]
    step = mini_engine.on_form(step.state, {"review": "monthly", "share": "90 percent"})
    assert step.state.phase is Phase.CONFIRM  # evidence was asked once and left blank: not asked again
    assert step.state.draft is not None
    assert step.state.draft.values["share"].value == 90.0
    assert step.state.draft.values["evidence"].value is None


def test_a_field_is_never_asked_twice(mini_engine: InterviewEngine) -> None:
    state = follow_up(mini_engine, "AL-01", defined="yes")
    asked = list(state.pending_fields)
    step = mini_engine.on_text(state, "Nothing useful here.")
    assert step.state.phase is Phase.CONFIRM
    assert step.form == []
    assert step.state.asked == asked
    assert step.messages[0] == "Thanks. I could not pick out the details asked from that."


def test_a_follow_up_reply_fills_only_the_fields_asked(mini_engine: InterviewEngine, mini: Protocol) -> None:
    state = follow_up(mini_engine, "AL-01", defined="yes", cascade=["teams"])
    assert state.pending_fields == ["review", "share", "evidence"]
    reply = answer(mini_engine, "AL-01", "Quarterly, and only partly defined; people too.", review="quarterly",
                   defined="partly", cascade=["people"])  # fmt: skip
    step = mini_engine.on_text(state, "Quarterly, and only partly defined; people too.", reply)
    draft = step.state.draft
    assert draft is not None
    assert draft.values["review"].value == "quarterly"
    assert draft.values["defined"].value == "yes"  # not asked here: unchanged
    assert draft.values["cascade"].value == ["teams"]
    assert "I left Defined as Yes: it was not asked here. To change it: edit Defined = Partly" in step.messages
    assert "I left Cascaded to as Teams: it was not asked here. To change it: edit Cascaded to = People" in (
        step.messages)  # fmt: skip
    assert "Quarterly, and only partly defined; people too." in draft.texts


def test_an_ignored_value_is_not_mentioned_when_it_changes_nothing(mini_engine: InterviewEngine) -> None:
    state = follow_up(mini_engine, "AL-01", defined="yes")
    reply = answer(mini_engine, "AL-01", "Yes, quarterly.", review="quarterly", defined="yes")
    step = mini_engine.on_text(state, "Yes, quarterly.", reply)
    assert not any(m.startswith("I left") for m in step.messages)


def test_every_change_to_a_value_on_the_card_is_announced(mini_engine: InterviewEngine) -> None:
    state = follow_up(mini_engine, "AL-01", defined="yes", cascade=["teams", "people"], review="quarterly")
    card = mini_engine.on_command(state, "decline").state
    assert card.phase is Phase.CONFIRM
    # free text on the card
    reply = answer(mini_engine, "AL-01", "Only teams, reviewed monthly.", cascade=["teams"], review="monthly")
    step = mini_engine.on_text(card, "Only teams, reviewed monthly.", reply)
    assert "Changed Review from Every quarter to Every month." in step.messages
    assert "Changed Cascaded to from Teams, People to Teams." in step.messages
    # an edit
    step = mini_engine.on_command(step.state, "edit", "Review=Once a year")
    assert step.messages[0] == "Changed Review from Every month to Once a year."
    # the form
    step = mini_engine.on_form(step.state, {"defined": "Partly", "share": "50"})
    assert "Changed Defined from Yes to Partly." in step.messages
    assert "Noted: Share measured: 50%." in step.messages
    # clearing a value is a change too
    step = mini_engine.on_command(step.state, "edit", "share=not stated")
    assert step.messages[0] == "Changed Share measured from 50% to not stated."


def test_edits_on_a_confirmed_answer_reopened_with_back_are_announced(mini_engine: InterviewEngine) -> None:
    state = follow_up(mini_engine, "AL-01", defined="yes", review="quarterly")
    state = mini_engine.on_command(mini_engine.on_command(state, "decline").state, "confirm").state
    assert "AL-01" in state.confirmed
    back = mini_engine.on_command(state, "back").state
    assert (back.current, back.phase) == ("AL-01", Phase.CONFIRM)
    command = mini_engine.parse(back, "set Review to Every month")
    assert command == ("edit", "review=Every month")
    step = mini_engine.on_command(back, *command)
    assert step.messages[0] == "Changed Review from Every quarter to Every month."
    step = mini_engine.on_command(step.state, "confirm")
    assert step.state.confirmed["AL-01"].values["review"].value == "monthly"


def test_the_card_shows_labels_in_short_lines_and_marks_unsure_values(mini: Protocol) -> None:
    question = mini.question("AL-01")
    assert question is not None
    draft = empty_answer(question, ["t"])
    draft.values.update({
        "defined": FieldValue(field="defined", value="partly", span="t", confidence=0.95),
        "review": FieldValue(field="review", value="semi_annually", span="t", confidence=0.5),
        "share": FieldValue(field="share", value=85.0, span="t", confidence=0.9),
        "cascade": FieldValue(field="cascade", value=["teams", "people"], span="t", confidence=0.85),
        "evidence": FieldValue(field="evidence", source="declined"),
    })  # fmt: skip
    text = card_text(question, draft)
    assert text.splitlines() == [
        "Here is what I understood for AL-01 (Objectives):",
        "- Defined: Partly",
        "- Review: Twice a year (please check)",
        "- Share measured: 85%",
        "- Cascaded to: Teams, People",
        "- Evidence: not stated (you did not know)",
        "Reply 'confirm' to save it.",
        "To correct a field: edit FIELD = VALUE",
    ]
    assert "[" not in text  # no ids
    assert max(len(line) for line in text.splitlines()) <= 60


def test_the_card_has_no_ids_for_any_question(engine: InterviewEngine) -> None:
    for question in engine.protocol.active_questions[:12]:
        draft = empty_answer(question, ["t"])
        for f in question.fields:
            if f.options:
                value = [f.options[0].id] if f.type is FieldType.MULTI_CHOICE else f.options[0].id
                draft.values[f.id] = FieldValue(field=f.id, value=value, span="t", confidence=0.9)
        text = card_text(question, draft)
        for f in question.fields:
            assert f"- {f.label}: " in text
            assert f"{f.id}]" not in text
            if f.options:
                assert f"- {f.label}: {f.options[0].label}" in text


def test_label_value_shows_values_by_their_labels(mini: Protocol) -> None:
    al01 = mini.question("AL-01")
    al02 = mini.question("AL-02")
    assert al01 is not None
    assert al02 is not None
    fields = {f.id: f for f in al01.fields} | {f"al02_{f.id}": f for f in al02.fields}
    assert label_value(fields["defined"], "planned") == "Planned"
    assert label_value(fields["review"], "ad_hoc") == "Ad hoc (only when something happens)"
    assert label_value(fields["share"], 85.0) == "85%"
    assert label_value(fields["share"], 12.5) == "12.5%"
    assert label_value(fields["cascade"], ["teams", "people"]) == "Teams, People"
    assert label_value(fields["cascade"], []) == "none"
    assert label_value(fields["al02_approach"], "risk_based") == "Risk based"
    assert label_value(fields["al02_count"], 3) == "3"
    assert label_value(fields["evidence"], ["SOP-1", "Minutes"]) == "SOP-1, Minutes"
    assert label_value(fields["defined"], None) == "not stated"


def test_edits_accept_the_labels_shown(mini_engine: InterviewEngine) -> None:
    state = follow_up(mini_engine, "AL-02", count=3)
    state = mini_engine.on_command(state, "decline").state
    for raw, fid, value in [
        ("Approach = Risk based", "approach", "risk_based"),
        ("approach = audits", "approach", "audits"),
        ("Contractors = 12 contractors", "count", 12),
        ("Notes = Annual review, with QA", "notes", "Annual review, with QA"),
        ("Evidence = Contractor list, Audit plan", "evidence", ["Contractor list", "Audit plan"]),
    ]:
        step = mini_engine.on_command(state, "edit", raw)
        assert step.state.draft is not None
        assert step.state.draft.values[fid].value == value, raw
        state = step.state


def test_a_quick_reply_in_a_one_field_follow_up(mini_engine: InterviewEngine) -> None:
    state = follow_up(mini_engine, "AL-01", defined="yes", share=90.0, cascade=["teams"], evidence=["x"])
    step = mini_engine.resume(state)
    assert state.pending_fields == ["review"]
    assert step.quick_replies[-1] == "Don't know / skip this field"
    assert "Every quarter" in step.quick_replies
    done = mini_engine.on_text(state, "Every month")
    assert done.state.draft is not None
    assert done.state.draft.values["review"].value == "monthly"
    assert done.state.phase is Phase.CONFIRM


def test_a_saved_state_with_one_pending_field_still_loads() -> None:
    old = ('{"interview_id": 1, "assessment_id": 1, "interviewee": "Ann", "role": "lead", "protocol": "mini@1", '
           '"phase": "follow_up", "current": "AL-01", "pending_field": "review"}')  # fmt: skip
    state = InterviewState.model_validate_json(old)
    assert state.pending_fields == ["review"]
    assert state.pending_field == "review"
    assert "pending_field" not in state.model_dump()
    assert InterviewState.model_validate_json(state.model_dump_json()) == state


def test_the_form_is_open_exactly_during_a_follow_up(mini_engine: InterviewEngine) -> None:
    state = follow_up(mini_engine, "AL-01", defined="yes")
    for command in ("why", "score"):
        assert [f.id for f in mini_engine.on_command(state, command).form] == state.pending_fields
    asked = mini_engine.on_command(state, "ask", "What counts as evidence?")
    assert [f.id for f in asked.form] == state.pending_fields
    paused = mini_engine.on_command(state, "pause")
    assert paused.form == []
    assert [f.id for f in mini_engine.on_command(paused.state, "resume").form] == state.pending_fields
    assert mini_engine.on_command(state, "skip").form == []
    assert mini_engine.on_command(state, "decline").form == []


def test_free_text_on_the_card_replaces_an_earlier_edit_and_says_so(mini_engine: InterviewEngine) -> None:
    state = follow_up(mini_engine, "AL-01", defined="yes", review="quarterly")
    card = mini_engine.on_command(mini_engine.on_command(state, "decline").state, "edit", "review=Every week").state
    reply = answer(mini_engine, "AL-01", "Actually it is monthly.", review="monthly")
    step = mini_engine.on_text(card, "Actually it is monthly.", reply)
    assert step.messages[0] == "Changed Review from Every week to Every month."
    assert step.state.draft is not None
    assert step.state.draft.values["review"].value == "monthly"
    assert step.state.draft.texts[-1] == "Actually it is monthly."
    assert step.state.phase is Phase.CONFIRM


def test_send_and_confirm_saves_the_answer_in_the_same_step(mini_engine: InterviewEngine) -> None:
    state = follow_up(mini_engine, "AL-01", defined="yes")
    step = mini_engine.on_form(state, {"review": "Every quarter", "share": "85%", "cascade": ["Teams"],
                                       "evidence": "Scorecard"}, confirm=True)  # fmt: skip
    assert "AL-01" in step.state.confirmed
    assert step.state.confirmed["AL-01"].stated_values()["review"] == "quarterly"
    kinds = [e.kind for e in step.effects]
    assert kinds.index("draft") < kinds.index("confirm")  # the values are saved, then the confirmation
    assert not any("Reply 'confirm'" in m for m in step.messages)
    assert any(m.startswith("Saved AL-01.") for m in step.messages)


def test_send_and_confirm_with_an_invalid_value_confirms_nothing(mini_engine: InterviewEngine) -> None:
    state = follow_up(mini_engine, "AL-01", defined="yes")
    step = mini_engine.on_form(state, {"review": "fortnightly", "share": "85"}, confirm=True)
    assert step.state.confirmed == {}
    assert step.state.pending_fields == ["review"]
    assert all(e.kind != "confirm" for e in step.effects)


def test_the_form_shows_what_the_answer_seemed_to_say(engine: InterviewEngine) -> None:
    state = at_question(engine, "MC-01")
    first = answer(engine, "MC-01", "Objectives are written. We look at them monthly, cascaded to teams.",
                   objectives_defined="yes")  # fmt: skip
    text = first.texts[0]
    first.suggestions = {
        "review_frequency": FieldValue(field="review_frequency", value="monthly", span="monthly", confidence=0.6),
        "cascaded_to": FieldValue(field="cascaded_to", value=["teams"], span="teams", confidence=0.5),
    }
    step = engine.on_text(state, text, first)
    by_id = {f.id: f for f in step.form}
    assert by_id["review_frequency"].suggested == "Every month"
    assert by_id["cascaded_to"].suggested == ["Teams"]
    assert by_id["measurable"].suggested is None
    assert "Your answer seemed to say: Every month; is that right?" in step.messages[-1]
    draft = step.state.draft
    assert draft is not None
    assert draft.stated_values() == {"objectives_defined": "yes"}  # suggestions are never values until sent
    sent = engine.on_form(step.state, {"review_frequency": "Every quarter"})
    assert sent.state.draft is not None
    assert sent.state.draft.values["review_frequency"].value == "quarterly"
    assert "review_frequency" not in sent.state.draft.suggestions

"""The Learn tab's content and practice rounds: corpus/learn.yaml checked (every error at once), reading paths that
cover every question, notes per question, example answers as a reader sees them, and practice rounds kept per
learner with the rubric's level, trace and next step."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from assistant.auth import Principal
from assistant.errors import AssistantError, ProtocolError
from assistant.learning import (
    Attempt,
    PracticeCard,
    agreement,
    card_order,
    next_card,
    shown_value,
)
from assistant.protocol.models import AnswerField
from assistant.service import AssessmentService
from assistant.settings import REPO_ROOT, Settings
from assistant.store import SCHEMA_VERSION, Store
from assistant.ui.app import question_markdown
from assistant.ui.learn_views import agreement_markdown, card_markdown, overview_markdown, result_markdown

ME = Principal.local()


def learner(service: AssessmentService, name: str) -> Principal:
    """An account with only the learner role, logged in."""
    service.users.add(Principal.operator(), name, "long enough password")
    service.users.grant(Principal.operator(), name, "Site A", "learner")
    return service.session_principal(name, f"token-of-{name}")


def test_the_overview_covers_what_a_learner_needs_first_with_real_sources_and_notes(service: AssessmentService) -> None:
    sections = service.learning.overview(ME)
    headings = [s.heading for s, _ in sections]
    assert headings[:3] == ["What QMM is", "What it is not", "The five practice areas"]
    assert any("timeline" in h for h in headings)
    assert any("gets" in h for h in headings)
    five = next(s for s, _ in sections if s.heading == "The five practice areas")
    for area in service.protocol.meta.areas:
        assert area.name.replace(" to Quality", "") in five.text
    assert "our interpretation" in five.text  # level names and sub-topics are not FDA's
    shown = overview_markdown(sections, [service.learning.source_titles(s.sources) for s, _ in sections])
    assert "https://www.federalregister.gov/d/2024-01423" in shown  # sources link to their public page
    assert "fr-2024-protocol-program" not in shown  # by name, not by key
    assert str(REPO_ROOT) not in shown


def test_every_area_has_a_reading_path_that_links_every_question_to_a_note(service: AssessmentService) -> None:
    for area in service.protocol.meta.areas:
        path = service.learning.path(ME, area.id)
        assert len(path.steps) >= 8
        assert path.unlinked == [], f"{area.id}: questions no note on the path informs: {path.unlinked}"
        assert all(area.id in service.learning.note(ME, s.note.note_id).areas for s in path.steps)
    first = service.learning.path(ME, "advanced_pqs").steps[0]
    assert first.note.note_id == "ich-q10-pqs-model-overview"
    assert first.note.source.startswith("ICH Q10")


def test_each_question_links_back_to_the_notes_that_inform_it(service: AssessmentService) -> None:
    for q in service.protocol.active_questions:
        assert service.learning.question_notes(q.id), f"{q.id} has no note"
    notes = service.learning.question_notes("MC-11")
    assert "fr-2025-after-assessment-report-improvement-plan" in [n.note_id for n in notes]  # named by v2's MC-11
    primary = [n.confidence == "primary" for n in service.learning.question_notes("BC-02")]
    assert primary == sorted(primary, reverse=True)  # primary sources first


def test_an_opened_note_shows_its_text_and_source_never_a_server_path(service: AssessmentService) -> None:
    note = service.learning.note(ME, "fda-practice-areas-2023-five-areas")
    assert "1. Management Commitment to Quality" in note.body
    assert note.link.url == "https://www.fda.gov/media/171705/download"
    with pytest.raises(AssistantError, match="no guidance note"):
        service.learning.note(ME, "../etc/passwd")


def copy_corpus(tmp_path: Path, learn: str) -> Settings:
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO_ROOT / "corpus", corpus)
    (corpus / "learn.yaml").write_text(learn, encoding="utf-8")
    return Settings(corpus_dir=corpus, embeddings="fake", vector_store="memory")


def test_bad_learn_content_reports_every_problem_at_once(tmp_path: Path) -> None:
    learn = """version: 1
overview:
  - heading: What QMM is
    text: A summary long enough to pass the length check of forty characters.
    sources: [no-such-source]
    notes: [no-such-note]
paths:
  management_commitment: [ich-q10-capa-system, ich-q10-management-responsibility, ich-q10-management-responsibility]
  made_up_area: [ich-q10-capa-system]
"""
    service = AssessmentService(copy_corpus(tmp_path, learn))
    with pytest.raises(ProtocolError) as caught:
        service.learning.overview(ME)
    messages = [i.message for i in caught.value.issues]
    assert "unknown source key 'no-such-source'" in messages
    assert "unknown note 'no-such-note'" in messages
    assert any("'ich-q10-capa-system' is not about this area" in m for m in messages)
    assert any("listed twice" in m for m in messages)
    assert any("unknown practice area" in m for m in messages)
    assert sum("has no reading path" in m for m in messages) == 4  # the four areas left out


@pytest.mark.parametrize("learn", ["version: [1", "version: 1\noverview: []\npaths: {}\n", "\x00\x01"])
def test_malformed_learn_content_is_a_clear_error(tmp_path: Path, learn: str) -> None:
    service = AssessmentService(copy_corpus(tmp_path, learn))
    with pytest.raises(ProtocolError, match="Learn content"):
        service.learning.overview(ME)


def test_answer_values_read_as_a_person_would_say_them() -> None:
    choice = AnswerField(id="c", type="multi_choice", label="Cascaded to",
                         options=[{"id": "site_leadership", "label": "Site leadership", "description": "d"},
                                  {"id": "teams", "label": "Teams", "description": "d"}])  # fmt: skip
    assert shown_value(choice, ["site_leadership", "teams"]) == "Site leadership, Teams"
    trend = AnswerField(id="t", type="yearly_values", label="Trend", unit="%", better="higher")
    assert shown_value(trend, {2024: 70, 2023: 66.0, "target": 80}) == "2023: 66%, 2024: 70% (target 80%)"
    assert shown_value(AnswerField(id="p", type="percentage", label="Share"), 62.5) == "62.5%"
    assert shown_value(AnswerField(id="f", type="frequency", label="How often"), "ad_hoc") == "ad hoc"
    records = AnswerField(id="e", type="evidence_list", label="Records", evidence_status="claimed")
    assert shown_value(records, ["SOP-1, rev 2", "Report"]) == "SOP-1, rev 2; Report"


def test_cards_come_from_the_scored_questions_of_every_example_site(service: AssessmentService) -> None:
    cards = service.learning.cards
    assert {c.example for c in cards} == {"low", "middling", "mature"}
    middling = [c for c in cards if c.example == "middling"]
    assert len(middling) == 50  # 51 questions, EE-05 not assessed (the example file's own hand-worked profile)
    card = next(c for c in cards if c.id == "middling:MC-01")
    assert card.site == "Corvane Pharma Services, Halden site"
    assert "Linked to business objectives: partly" in card.lines or any("partly" in line for line in card.lines)
    shown = card_markdown(card)
    assert "fictional" in shown
    assert "L3" not in shown  # the level is not given away


def test_the_next_card_is_the_least_tried_in_a_fixed_mixed_order() -> None:
    cards = [PracticeCard(id=f"s:{q}", example="s", site="S", question_id=q, area=a, topic=q, question=q, lines=[])
             for q, a in [("MC-01", "mc"), ("MC-02", "mc"), ("BC-01", "bc")]]  # fmt: skip
    order = card_order(cards)
    assert order == card_order(list(reversed(cards)))  # the order does not depend on the input's
    first = next_card(cards, {})
    assert first == order[0]
    assert next_card(cards, {first.id: 1}) == order[1]
    assert next_card(cards, {c.id: 1 for c in cards}) == order[0]  # all tried once: round two
    assert next_card(cards, {}, "bc").id == "s:BC-01"
    assert next_card(cards, {}, "zz") is None


def test_a_practice_round_shows_the_rubrics_level_trace_and_next_step(service: AssessmentService) -> None:
    result = service.learning.practice_check(ME, "middling:MC-01", 2)
    assert result.score.level == 3  # the example file's worked profile: MC-01 -> L3
    assert not result.agreed
    assert result.level_needs
    assert result.next_needs  # what level 4 needs that this answer lacks
    shown = result_markdown(result)
    assert "The rubric says level 3; you said 2" in shown
    assert "What level 4 needs" in shown
    assert "criterion trace" in shown
    top = next(c for c in service.learning.cards if service.learning._practice[1][c.example][c.question_id].level == 5)
    assert "top level reached" in result_markdown(service.learning.practice_check(ME, top.id, 5))


def test_rounds_are_saved_per_learner_and_scored_per_area(service: AssessmentService) -> None:
    learning = service.learning
    ann, bob = learner(service, "Ann"), learner(service, "Bob")
    learning.practice_check(ann, "middling:MC-01", 3)  # agrees
    learning.practice_check(ann, "middling:MC-02", 5)  # L3: two off
    learning.practice_check(ann, "middling:BC-01", 2)  # L3: one off
    learning.practice_check(bob, "middling:MC-01", 1)
    rows = {r.area: r for r in learning.practice_score(ann)}
    assert (rows["management_commitment"].tried, rows["management_commitment"].agreed) == (2, 1)
    assert rows["management_commitment"].within_one == 1
    assert (rows["business_continuity"].tried, rows["business_continuity"].within_one) == (1, 1)
    assert rows["advanced_pqs"].tried == 0
    assert sum(r.tried for r in learning.practice_score(bob)) == 1
    assert "1 of 3 rounds exactly (33%), 2 within one level" in agreement_markdown(learning.practice_score(ann))
    reopened = AssessmentService(service.settings)  # a restart keeps every round
    assert sum(r.tried for r in reopened.learning.practice_score(ann)) == 3
    assert learning.practice_card(ann).id not in {"middling:MC-01", "middling:MC-02", "middling:BC-01"}


def test_a_bad_round_is_refused_and_nothing_is_saved(service: AssessmentService) -> None:
    with pytest.raises(AssistantError, match="no practice example"):
        service.learning.practice_check(ME, "middling:NOPE-01", 3)
    with pytest.raises(AssistantError, match="1 to 5"):
        service.learning.practice_check(ME, "middling:MC-01", 9)
    assert sum(r.tried for r in service.learning.practice_score(ME)) == 0


def test_no_example_sites_is_a_clear_message(tmp_path: Path) -> None:
    service = AssessmentService(Settings(examples_dir=tmp_path / "none", embeddings="fake", vector_store="memory"))
    with pytest.raises(AssistantError, match="nothing to practise on"):
        service.learning.practice_card(ME)


def test_agreement_counts_exact_and_within_one(service: AssessmentService) -> None:
    attempts = [Attempt(card="x", area="advanced_pqs", predicted=p, level=3) for p in (3, 4, 1)]
    rows = agreement(service.protocol, attempts)
    pqs = next(r for r in rows if r.area == "advanced_pqs")
    assert (pqs.tried, pqs.agreed, pqs.within_one, pqs.share) == (3, 1, 2, 1 / 3)


def test_an_older_database_gains_the_practice_and_mock_tables(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    store = Store(url)
    with store.engine.begin() as conn:
        for table in ("practice_attempts", "mock_replies", "mock_interviews"):
            conn.execute(text(f"DROP TABLE {table}"))
        conn.execute(text("UPDATE schema_info SET version = 4"))
    store.close()
    upgraded = Store(url)
    with upgraded.engine.begin() as conn:
        for table in ("practice_attempts", "mock_replies", "mock_interviews"):
            assert inspect(conn).has_table(table)
        assert conn.execute(text("SELECT version FROM schema_info")).scalar() == SCHEMA_VERSION == 6


def test_the_protocol_tab_names_roles_and_sources_and_describes_level_1(service: AssessmentService) -> None:
    shown = question_markdown(service, "MC-01")
    assert "**Level 1 · Reactive:**" in shown
    assert "ICH Q10 Pharmaceutical Quality System" in shown
    assert "ich-q10," not in shown  # source keys are not shown
    q = service.protocol.question("MC-01")
    assert q is not None
    label = next(r.label for r in service.protocol.meta.roles if r.id == q.roles[0])
    assert f"*Answered by:* {label}" in shown
    assert "#### Read first" in shown


def test_qmm_learn_prints_the_overview_a_path_or_a_note_as_text_and_json(
    fake_settings: object, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from assistant.cli import main

    assert main(["learn"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("## Start here")
    assert "### What it is not" in out
    assert "<small>" not in out
    assert "&amp;" not in out
    assert str(REPO_ROOT) not in out
    assert main(["learn", "business_continuity"]) == 0
    out = capsys.readouterr().out
    assert "### Reading path: Business Continuity" in out
    assert "*Informs:* BC-01" in out
    assert main(["learn", "--note", "ich-q10-pqs-model-overview", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["link"]["source"].startswith("ICH Q10")
    assert "path" not in data["link"]
    assert main(["learn", "no_such_area"]) == 1
    assert "no practice area 'no_such_area'" in capsys.readouterr().err

"""Content tests over every protocol version and every question file in protocols/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from assistant.protocol import FieldType, Protocol, load_protocol
from assistant.protocol.loader import check_protocol
from assistant.protocol.models import QuestionFile
from assistant.protocol.schema import schema_files
from assistant.protocol.versions import recorded_hash
from assistant.retrieval.notes import load_note_ids
from assistant.settings import REPO_ROOT
from tests.conftest import PROTOCOLS_DIR

PROTOCOL_DIRS = sorted(p.parent for p in PROTOCOLS_DIR.glob("*/*/protocol.yaml"))
QUESTION_FILES = sorted(PROTOCOLS_DIR.glob("*/*/questions/*.yaml"))


def test_there_is_content_to_test() -> None:
    assert PROTOCOL_DIRS, "no protocol folders found"
    assert len(QUESTION_FILES) >= 5


@pytest.mark.parametrize("folder", PROTOCOL_DIRS, ids=lambda p: f"{p.parent.name}@{p.name}")
def test_protocol_passes_both_validation_layers(folder: Path) -> None:
    protocol, issues = check_protocol(folder, load_note_ids(REPO_ROOT / "corpus"))
    assert protocol is not None
    assert issues == []
    assert protocol.meta.version == int(folder.name)
    assert protocol.meta.id == folder.parent.name
    assert (folder / "CHANGELOG.md").is_file()
    assert (folder / "README.md").is_file()


@pytest.mark.parametrize("path", QUESTION_FILES, ids=lambda p: p.name)
def test_question_file_is_one_practice_area(path: Path) -> None:
    parsed = QuestionFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert parsed.questions
    assert len({q.area for q in parsed.questions}) == 1
    assert path.stem == parsed.questions[0].area


NEWEST = {p.parent.name: p for p in PROTOCOL_DIRS}  # per protocol id, its highest version folder (sorted order)


@pytest.mark.parametrize("folder", PROTOCOL_DIRS, ids=lambda p: f"{p.parent.name}@{p.name}")
def test_committed_json_schema_matches_the_models(folder: Path) -> None:
    """Drafts and the newest version carry the schema of today's models; an older released version keeps the
    schema it was released with (its content hash, tests/test_protocol_versions.py, guards it), which its files still
    satisfy because every key added since is optional."""
    for name, text in schema_files().items():
        committed = (folder / "schema" / name).read_text(encoding="utf-8")
        json.loads(committed)
        if not recorded_hash(folder) or NEWEST[folder.parent.name] == folder:
            assert committed == text, f"run `qmm protocol schema --write` ({name})"


@pytest.fixture(params=PROTOCOL_DIRS, ids=lambda p: f"{p.parent.name}@{p.name}")
def each_protocol(request: pytest.FixtureRequest) -> Protocol:
    return load_protocol(request.param)


class TestEveryVersion:
    """What every version of the protocol must hold (v1 frozen, v2 the default)."""

    def test_size_and_balance(self, each_protocol: Protocol) -> None:
        active = each_protocol.active_questions
        assert len(active) >= 45
        for area in each_protocol.meta.areas:
            assert sum(q.area == area.id for q in active) >= 8, area.id

    def test_five_fda_practice_areas(self, each_protocol: Protocol) -> None:
        assert [a.name for a in each_protocol.meta.areas] == [
            "Management Commitment to Quality",
            "Business Continuity",
            "Advanced Pharmaceutical Quality System",
            "Technical Excellence",
            "Employee Engagement and Empowerment",
        ]

    def test_every_question_is_complete(self, each_protocol: Protocol) -> None:
        for q in each_protocol.active_questions:
            assert all([q.respondent_guidance, q.assessor_guidance, q.roles, q.sources]), q.id
            assert sorted(q.levels) == [2, 3, 4, 5], q.id
            assert any(f.type is FieldType.EVIDENCE_LIST for f in q.fields), q.id
            for f in q.fields:
                assert len((f.follow_up or "").strip()) >= 10, f"{q.id}.{f.id}"
                for o in f.options or []:
                    assert all([o.label, o.description]), f"{q.id}.{f.id}.{o.id}"

    def test_every_field_type_is_used(self, each_protocol: Protocol) -> None:
        used = {f.type for q in each_protocol.active_questions for f in q.fields}
        new_in_v2 = {FieldType.YEARLY_VALUES} if each_protocol.meta.version == 1 else set()
        assert used == set(FieldType) - new_in_v2

    def test_level_names_are_marked_as_our_interpretation(self, each_protocol: Protocol) -> None:
        assert "interpretation" in each_protocol.meta.interpretation_note
        readme = (PROTOCOLS_DIR / each_protocol.meta.id / str(each_protocol.meta.version) / "README.md").read_text(
            encoding="utf-8")  # fmt: skip
        assert "not FDA's protocol" in readme
        assert "interpretation" in readme
        assert sorted(each_protocol.meta.levels) == [1, 2, 3, 4, 5]

    def test_applicability_is_declared_where_needed(self, each_protocol: Protocol) -> None:
        conditional = {q.id: q.applies_when.fact for q in each_protocol.active_questions if q.applies_when}
        assert "part_of_multi_site_company" in conditional.values()
        gate = each_protocol.meta.gate
        by_gate = {i.applies_when.fact for i in gate.items if i.applies_when} if gate else set()
        decided = set(conditional.values()) | by_gate
        if each_protocol.meta.version == 1:  # frozen as released: its third fact decides nothing (fixed in v2)
            assert "uses_contract_organisations" in conditional.values()
        else:  # every site fact the interview asks decides a question or a gate item
            assert decided == {f.id for f in each_protocol.meta.site_facts}

    @pytest.mark.parametrize(
        ("words", "why"),
        [
            (["objective"], "quality objectives"),
            (["cost"], "quality-over-cost decisions"),
            (["management review"], "ICH Q10 management review"),
            (["gemba", "floor"], "leaders on the floor"),
            (["supplier"], "supplier risk"),
            (["single-source", "single source", "sole-source"], "single-source materials"),
            (["continuity plan"], "tested continuity plan"),
            (["availability"], "ICH Q9(R1) product-availability risk"),
            (["capa"], "CAPA effectiveness"),
            (["change"], "change management"),
            (["knowledge"], "knowledge management"),
            (["risk management"], "quality risk management"),
            (["data governance", "data integrity"], "data governance"),
            (["digit", "electronic batch"], "digital maturity"),
            (["laborator"], "lab robustness"),
            (["maintenance"], "maintenance"),
            (["stop work", "speak up", "speaking up", "stopping work"], "speak up"),
            (["patient"], "employees' role toward patients"),
            (["organisational change", "organizational change"], "readiness for change"),
            (["corporate"], "corporate centralisation vs site proactivity"),
            (["it system", "disaster recovery", "cyber"], "IT resilience"),
            (["cross-functional", "integrat"], "cross-functional data integration"),
            (["culture"], "quality culture"),
        ],
    )
    def test_required_topics_are_covered(self, each_protocol: Protocol, words: list[str], why: str) -> None:
        texts = [f"{q.topic} {q.text} {q.respondent_guidance}".lower() for q in each_protocol.active_questions]
        assert any(w in t for t in texts for w in words), why


def test_active_protocol_loads_from_settings(settings) -> None:  # type: ignore[no-untyped-def]
    from assistant.service import AssessmentService

    protocol = AssessmentService(settings).protocol
    assert protocol.ref == "qmm-self-assessment@2"
    assert load_protocol(PROTOCOLS_DIR / "qmm-self-assessment" / "2").ref == protocol.ref

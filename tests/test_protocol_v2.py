"""qmm-self-assessment@2 (draft): the rubric rules of the 2026-11 review hold on every question it carries."""

from __future__ import annotations

import pytest

from assistant.cli import main
from assistant.protocol import FieldType, Operator, Protocol, load_protocol
from assistant.protocol.versions import content_hash, recorded_hash
from assistant.settings import Settings
from tests.conftest import PROTOCOLS_DIR

V2_DIR = PROTOCOLS_DIR / "qmm-self-assessment" / "2"


@pytest.fixture(scope="module")
def v2() -> Protocol:
    return load_protocol(V2_DIR)


def test_v2_is_released_frozen_and_the_default(v2: Protocol) -> None:
    assert v2.ref == "qmm-self-assessment@2"
    assert v2.meta.status == "released"
    assert recorded_hash(V2_DIR) == content_hash(V2_DIR)
    assert v2.meta.requires_recommendations
    assert Settings().protocol == "qmm-self-assessment@2"


def test_every_criterion_has_recommendation_effort_and_source(v2: Protocol) -> None:
    for q in v2.questions:
        for lvl, crits in q.levels.items():
            for c in crits:
                where = f"{q.id} L{lvl} {c.field}"
                assert len(c.recommendation or "") >= 20, where
                assert c.effort in ("weeks", "months", "year_plus"), where
                assert c.source in v2.meta.sources, where


def test_evidence_from_level_3_and_nothing_passes_on_any_value(v2: Protocol) -> None:
    for q in v2.questions:
        fields = {f.id: f for f in q.fields}

        def evidence(lvl: int, status: str | None, q=q, fields=fields) -> bool:  # type: ignore[no-untyped-def]
            return any(
                fields[c.field].type is FieldType.EVIDENCE_LIST
                and c.op is Operator.COUNT_AT_LEAST
                and (status is None or fields[c.field].evidence_status == status)
                for c in q.levels[lvl]
            )

        assert evidence(3, None), q.id
        assert evidence(4, "seen"), q.id
        assert evidence(5, "seen"), q.id
        for lvl in (3, 4, 5):
            for c in q.levels[lvl]:
                assert c.op is not Operator.STATED, f"{q.id} L{lvl} {c.field}"
        for lvl in (4, 5):  # outcomes, not meeting frequency
            assert all(fields[c.field].type is not FieldType.FREQUENCY for c in q.levels[lvl]), f"{q.id} L{lvl}"


def test_review_fixes_are_in(v2: Protocol) -> None:
    mc07 = v2.question("MC-07")
    assert mc07 is not None
    assert mc07.applies_when is None  # supplier oversight applies to every site
    for qid in ("EE-01", "EE-04", "EE-09"):  # culture: frontline corroboration at level 4
        q = v2.question(qid)
        assert q is not None
        assert any(c.field == "frontline_confirmed" for c in q.levels[4]), qid
    te05 = v2.question("TE-05")
    assert te05 is not None
    assert not any(
        c.field == "invalidated_oos_rate" and c.op is Operator.STATED for cs in te05.levels.values() for c in cs
    )
    bc05 = v2.question("BC-05")
    assert bc05 is not None
    assert "communication_rule" not in {f.id for f in bc05.fields}  # the 506C duty is in the gate
    mc08 = v2.question("MC-08")
    assert mc08 is not None
    assert not any(c.field == "pay_link" for cs in mc08.levels.values() for c in cs)


def test_compliance_gate(v2: Protocol) -> None:
    gate = v2.meta.gate
    assert gate is not None
    assert "never scored" in gate.note
    items = {i.id: i for i in gate.items}
    assert items["last_inspection_classification"].ok == ["nai", "vai"]
    assert items["last_inspection_classification"].message.startswith("Not eligible for FDA's QMM program while")
    assert items["last_inspection_date"].within_years == 5
    for legal in ("notification_procedure_506c", "risk_management_plans"):
        assert items[legal].kind == "legal_duty"
        assert items[legal].message.startswith("Legal duty, not maturity")
        assert items[legal].applies_when is not None
        assert items[legal].applies_when.fact == "supplies_506c_products"
    assert {"quality_agreements_current", "data_integrity_basics"} <= set(items)


def test_interpretation_is_stated(v2: Protocol) -> None:
    note = v2.meta.interpretation_note
    assert "interpretation" in note
    assert "not published" in note
    readme = (V2_DIR / "README.md").read_text(encoding="utf-8")
    assert "not FDA's protocol" in readme
    assert "Not published by FDA" in readme


def test_diff_1_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["protocol", "diff", "1", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("qmm-self-assessment@1 -> qmm-self-assessment@2\n")
    assert "gate items added 8" in out
    assert "changed question applies_when: {'fact': 'uses_contract_organisations', 'is': 'yes'} -> None" in out


def test_every_v1_question_is_carried_over(v2: Protocol, qmm_protocol: Protocol) -> None:
    v2_ids = [q.id for q in v2.questions]
    assert [i for i in v2_ids if qmm_protocol.question(i)] == [q.id for q in qmm_protocol.questions]
    assert [i for i in v2_ids if not qmm_protocol.question(i)] == ["MC-11"]  # improvement plan and re-assessment
    for area in v2.meta.areas:
        assert sum(q.area == area.id for q in v2.active_questions) >= 10, area.id
    for q in v2.questions:
        assert sum(f.evidence_status == "seen" for f in q.fields) == 1, q.id
        assert sum(f.evidence_status == "claimed" for f in q.fields) == 1, q.id


def test_culture_questions_need_frontline_corroboration_at_level_4(v2: Protocol) -> None:
    for q in v2.questions:
        if q.area == "employee_engagement" and q.id != "EE-07":  # EE-07 rests on the survey itself
            assert any(c.field == "frontline_confirmed" for c in q.levels[4]), q.id

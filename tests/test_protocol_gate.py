"""The compliance gate is checked item by item and never touches a score."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.protocol import Protocol, load_protocol
from assistant.protocol.gate import check_gate
from tests.conftest import PROTOCOLS_DIR

TODAY = date(2026, 11, 29)


@pytest.fixture(scope="module")
def v2() -> Protocol:
    return load_protocol(PROTOCOLS_DIR / "qmm-self-assessment" / "2")


def by_item(results: list) -> dict:  # type: ignore[type-arg]
    return {r.item: r for r in results}


def test_an_eligible_site_passes_every_item(v2: Protocol) -> None:
    answers = {
        "last_inspection_classification": "vai",
        "last_inspection_date": "2023-03-14",
        "us_commercial_product": "yes",
        "notification_procedure_506c": "yes",
        "risk_management_plans": "yes",
        "quality_agreements_current": "yes",
        "data_integrity_basics": "yes",
        "open_enforcement": "no",
    }
    facts = {"supplies_506c_products": "yes", "uses_contract_organisations": "yes"}
    results = check_gate(v2, answers, facts, TODAY)
    assert [r.status for r in results] == ["ok"] * 8
    assert all(r.message is None for r in results)


def test_what_fails_says_why_and_what_does_not_apply_is_left_out(v2: Protocol) -> None:
    answers = {
        "last_inspection_classification": "oai",
        "last_inspection_date": "2020-06-01",
        "data_integrity_basics": "no",
    }
    results = by_item(check_gate(v2, answers, {"supplies_506c_products": "no"}, TODAY))
    assert results["last_inspection_classification"].status == "not_ok"
    assert results["last_inspection_classification"].message.startswith("Not eligible for FDA's QMM program while")
    assert results["last_inspection_date"].status == "not_ok"  # more than five years before today
    assert results["data_integrity_basics"].status == "not_ok"
    assert results["notification_procedure_506c"].status == "not_applicable"
    assert results["risk_management_plans"].status == "not_applicable"
    assert results["us_commercial_product"].status == "not_answered"
    assert results["quality_agreements_current"].status == "not_answered"  # fact unknown: the item stays in


def test_legal_duty_message(v2: Protocol) -> None:
    results = by_item(check_gate(v2, {"notification_procedure_506c": "no"}, {"supplies_506c_products": "yes"}, TODAY))
    assert results["notification_procedure_506c"].status == "not_ok"
    assert results["notification_procedure_506c"].message.startswith("Legal duty, not maturity")


def test_bad_or_future_dates_do_not_pass(v2: Protocol) -> None:
    for answer in ("last spring", "2027-01-01"):
        result = by_item(check_gate(v2, {"last_inspection_date": answer}, {}, TODAY))["last_inspection_date"]
        assert result.status == "not_ok", answer
    leap = by_item(check_gate(v2, {"last_inspection_date": "2019-03-01"}, {}, date(2024, 2, 29)))
    assert leap["last_inspection_date"].status == "ok"


def test_a_protocol_without_a_gate_has_no_results(qmm_protocol: Protocol) -> None:
    assert check_gate(qmm_protocol, {}, {}, TODAY) == []

"""The v1 -> v2 answer mapping agrees with both protocol versions."""

from __future__ import annotations

from assistant.protocol import Protocol, load_protocol
from assistant.protocol.mapping import check_mapping, derive_mapping, load_mapping, mapping_path
from tests.conftest import PROTOCOLS_DIR

V2_DIR = PROTOCOLS_DIR / "qmm-self-assessment" / "2"


def test_the_committed_mapping_is_valid(qmm_protocol: Protocol) -> None:
    v2 = load_protocol(V2_DIR)
    mapping = load_mapping(mapping_path(V2_DIR, 1))
    assert check_mapping(mapping, qmm_protocol, v2, "mapping-from-1.yaml") == []
    assert mapping.questions["TE-05"].new == [
        "assignable_cause_documented",
        "site_target_set",
        "invalidated_oos_trend",
        "records_seen",
    ]
    assert all("records_seen" in m.new for m in mapping.questions.values())  # only an assessor marks records seen
    assert "evidence" in mapping.questions["MC-07"].carry
    assert mapping.questions["MC-11"].carry == []  # new in v2


def test_a_field_that_changed_meaning_cannot_be_carried(qmm_protocol: Protocol) -> None:
    v2 = load_protocol(V2_DIR)
    mapping = derive_mapping(qmm_protocol, v2)
    bad = mapping.model_copy(deep=True)
    bad.questions["TE-05"].carry.append("records_seen")
    bad.questions["TE-05"].new.remove("records_seen")
    del bad.questions["EE-10"]
    found = [str(i) for i in check_mapping(bad, qmm_protocol, v2)]
    assert any("TE-05" in m and "'records_seen' cannot be carried" in m for m in found), found
    assert any("EE-10" in m and "question missing" in m for m in found), found
    assert check_mapping(mapping, v2, v2) != []  # wrong versions named

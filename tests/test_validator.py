"""The validator finds every kind of error, all in one run, with file and line."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.cli import main
from assistant.errors import ProtocolError
from assistant.protocol import load_protocol
from assistant.protocol.loader import check_protocol
from tests.conftest import MINI_DIR


@pytest.fixture
def proto_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "mini" / "1"
    shutil.copytree(MINI_DIR, folder)
    return folder


def edit_questions(folder: Path, name: str, change: Any) -> None:
    path = folder / "questions" / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data["questions"])
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def messages(folder: Path, notes: set[str] | None = None) -> list[str]:
    _, issues = check_protocol(folder, notes)
    return [str(i) for i in issues]


def test_the_mini_protocol_is_valid(proto_dir: Path) -> None:
    assert messages(proto_dir) == []


def test_every_semantic_error_is_reported_at_once(proto_dir: Path) -> None:
    def break_alpha(qs: list[dict[str, Any]]) -> None:
        a1, a2 = qs
        a1["levels"][3].append({"field": "nonexistent", "op": "is", "value": "yes"})  # unknown field
        a1["levels"][4].append({"field": "review", "op": "includes", "value": "monthly"})  # op misfit
        a1["fields"][0]["follow_up"] = ""  # follow-up missing
        a1["guidance_refs"] = ["no-such-note"]  # dangling note
        a1["roles"] = ["lead", "janitor"]  # dangling role
        a2["id"] = "AL-01"  # duplicate id
        a2["applies_when"] = {"fact": "has_robots", "is": "yes"}  # dangling fact

    def break_beta(qs: list[dict[str, Any]]) -> None:
        b1 = qs[0]
        b1["levels"][3] = [{"field": "stops", "op": "at_most", "value": 0}]  # contradicts level 4 at_least 5
        b1["levels"][5] = [{"field": "can_stop", "op": "is", "value": "yes"}]  # adds nothing
        b1["sources"] = ["made-up-source"]
        b1["fields"][0]["options"] = [{"id": "x", "label": "X", "description": "X."}]  # options on yes_no

    edit_questions(proto_dir, "alpha", break_alpha)
    edit_questions(proto_dir, "beta", break_beta)
    found = "\n".join(messages(proto_dir, notes={"real-note"}))
    expected = [
        "criterion names unknown field 'nonexistent'",
        "operator 'includes' does not fit frequency field 'review'",
        "follow-up prompt missing",
        "no corpus note with id 'no-such-note'",
        "unknown role 'janitor'",
        "duplicate question id",
        "unknown site fact 'has_robots'",
        "level 4 cannot be reached",
        "level 5 adds nothing over the levels below it (non-increasing)",
        "unknown source key 'made-up-source'",
        "options are only for single_choice and multi_choice",
    ]
    for text in expected:
        assert text in found, text
    assert "alpha.yaml" in found
    assert "beta.yaml" in found


def test_values_that_do_not_fit_the_field_are_errors(proto_dir: Path) -> None:
    def bad_values(qs: list[dict[str, Any]]) -> None:
        qs[0]["levels"][2] = [{"field": "defined", "op": "is", "value": "planned"}]  # planned not allowed
        qs[0]["levels"][3].append({"field": "review", "op": "at_least", "value": "fortnightly"})
        qs[0]["levels"][4].append({"field": "share", "op": "at_least", "value": 140})
        qs[0]["levels"][5].append({"field": "cascade", "op": "count_at_least", "value": 3})
        qs[1]["levels"][3] = [{"field": "approach", "op": "at_least", "value": "excellent"}]

    edit_questions(proto_dir, "alpha", bad_values)
    found = "\n".join(messages(proto_dir))
    for text in ["'planned'", "'fortnightly'", "140 is outside", "count 3 is more than", "'excellent'"]:
        assert text in found, text


def test_levels_must_be_two_to_five_and_not_empty(proto_dir: Path) -> None:
    def bad_levels(qs: list[dict[str, Any]]) -> None:
        qs[0]["levels"][6] = [{"field": "defined", "op": "is", "value": "yes"}]
        qs[1]["levels"][4] = []

    edit_questions(proto_dir, "alpha", bad_levels)
    found = "\n".join(messages(proto_dir))
    assert "levels must be 2 to 5; found [6]" in found
    assert "level 4 has no criteria" in found


def test_structural_errors_carry_file_and_line(proto_dir: Path) -> None:
    path = proto_dir / "questions" / "beta.yaml"
    text = path.read_text(encoding="utf-8").replace("type: count,", "type: tally,")
    path.write_text(text.replace("topic: Speak up", "topic: Speak up\n    colour: blue"), encoding="utf-8")
    (proto_dir / "questions" / "broken.yaml").write_text("questions: [\n  - id: {\n", encoding="utf-8")
    found = messages(proto_dir)
    assert any("beta.yaml:" in m and "fields[1].type" in m for m in found), found
    assert any("beta.yaml:5" in m and "colour" in m and "Extra inputs" in m for m in found), found
    assert any("broken.yaml" in m and "malformed YAML" in m for m in found), found


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "file is empty"), (b"\xff\xfe\x00bad", "not UTF-8"), (b"questions: [unclosed", "malformed YAML")],
)
def test_bad_files_get_a_clear_error(proto_dir: Path, content: bytes, message: str) -> None:
    (proto_dir / "questions" / "zz.yaml").write_bytes(content)
    assert any(message in m for m in messages(proto_dir))


def test_load_protocol_raises_with_every_issue(proto_dir: Path) -> None:
    (proto_dir / "protocol.yaml").unlink()
    with pytest.raises(ProtocolError) as info:
        load_protocol(proto_dir)
    assert "missing protocol.yaml" in str(info.value)


def test_cli_check_exit_status(proto_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["protocol", "check", str(proto_dir)]) == 0
    assert capsys.readouterr().out.startswith("ok: mini@1: 3 active questions")
    edit_questions(proto_dir, "beta", lambda qs: qs[0]["fields"][0].pop("follow_up"))
    edit_questions(proto_dir, "alpha", lambda qs: qs[0].update(area="gamma"))
    assert main(["protocol", "check", str(proto_dir)]) == 1
    err = capsys.readouterr().err
    assert "2 error(s)" in err
    assert "follow-up prompt missing" in err
    assert "unknown practice area 'gamma'" in err


def edit_meta(folder: Path, change: Any) -> None:
    path = folder / "protocol.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def test_version_2_rules_are_off_unless_the_protocol_asks(proto_dir: Path) -> None:
    edit_meta(proto_dir, lambda m: m.update(status="draft"))
    assert messages(proto_dir) == []


def test_version_2_rules_report_every_gap_at_once(proto_dir: Path) -> None:
    edit_meta(proto_dir, lambda m: m.update(requires_recommendations=True))
    found = "\n".join(messages(proto_dir))
    # AL-01: evidence only at level 5; no recommendations anywhere
    assert "AL-01.levels.3: level 3 needs an evidence criterion" in found
    assert "AL-01.levels.4: level 4 needs a criterion on an evidence_list field with evidence_status: seen" in found
    assert "AL-01.levels.2[0]: criterion on 'defined' needs a recommendation" in found
    assert "AL-01.levels.2[0]: criterion on 'defined' needs an effort (weeks, months, year_plus)" in found
    # AL-02 level 5 passes on any note
    assert "AL-02.levels.5[1]: 'stated' on 'notes' at level 5: any answer would pass" in found
    assert "AL-02.levels.2[0]: 'stated'" not in found  # level 2 may still ask only that the practice exists
    assert "BE-01.levels.4: level 4 needs" in found


def test_a_question_that_meets_the_version_2_rules_passes(proto_dir: Path) -> None:
    edit_meta(proto_dir, lambda m: m.update(requires_recommendations=True))
    rec = {"recommendation": "Do the thing and keep the record.", "effort": "months", "source": "ich-q10"}

    def strict_beta(qs: list[dict[str, Any]]) -> None:
        b1 = qs[0]
        b1["fields"].append(
            {"id": "seen", "type": "evidence_list", "label": "Seen", "follow_up": "Which records were seen?"}
        )
        b1["fields"][-1]["evidence_status"] = "seen"
        b1["levels"] = {
            2: [{"field": "can_stop", "op": "is", "value": "yes", **rec}],
            3: [
                {"field": "stops", "op": "at_least", "value": 1, **rec},
                {"field": "evidence", "op": "count_at_least", "value": 1, **rec},
            ],
            4: [
                {"field": "stops", "op": "at_least", "value": 5, **rec},
                {"field": "seen", "op": "count_at_least", "value": 1, **rec},
            ],
            5: [{"field": "seen", "op": "count_at_least", "value": 2, **rec}],
        }

    edit_questions(proto_dir, "beta", strict_beta)
    found = "\n".join(messages(proto_dir))
    assert "BE-01" not in found
    assert "AL-01" in found


def test_criterion_source_and_evidence_status_are_checked(proto_dir: Path) -> None:
    def bad(qs: list[dict[str, Any]]) -> None:
        qs[0]["levels"][2][0]["source"] = "no-such-source"
        qs[0]["fields"][0]["evidence_status"] = "seen"

    edit_questions(proto_dir, "alpha", bad)
    found = "\n".join(messages(proto_dir))
    assert "AL-01.levels.2[0]: unknown source key 'no-such-source'" in found
    assert "AL-01.fields[0]: evidence_status is only for evidence_list fields" in found
    edit_questions(proto_dir, "alpha", lambda qs: qs[0]["levels"][2][0].update(effort="decades"))
    found = "\n".join(messages(proto_dir))
    assert "levels[2][0].effort: Input should be 'weeks', 'months' or 'year_plus'" in found


def test_gate_items_are_checked(proto_dir: Path) -> None:
    def gate(m: dict[str, Any]) -> None:
        m["gate"] = {
            "note": "A compliance floor, never scored.",
            "items": [
                {
                    "id": "inspection",
                    "label": "Last inspection",
                    "text": "Outcome?",
                    "kind": "eligibility",
                    "type": "single_choice",
                    "ok": ["nai", "vai", "great"],
                    "message": "Not eligible while OAI.",
                    "options": [
                        {"id": "nai", "label": "NAI", "description": "No action."},
                        {"id": "vai", "label": "VAI", "description": "Voluntary action."},
                        {"id": "oai", "label": "OAI", "description": "Official action."},
                    ],
                },
                {
                    "id": "inspection",
                    "label": "Date",
                    "text": "When?",
                    "kind": "eligibility",
                    "type": "date",
                    "within_years": 5,
                    "ok": ["yes"],
                    "message": "Too old.",
                    "applies_when": {"fact": "nope", "is": "yes"},
                },
                {
                    "id": "plan",
                    "label": "Plan",
                    "text": "Is there a plan?",
                    "kind": "legal_duty",
                    "type": "yes_no",
                    "message": "Legal duty, not maturity.",
                    "sources": ["made-up"],
                    "within_years": 2,
                },
            ],
        }

    edit_meta(proto_dir, gate)
    found = "\n".join(messages(proto_dir))
    for text in [
        "duplicate gate item id 'inspection'",
        "inspection: ok value 'great' is not one of ['nai', 'vai', 'oai']",
        "inspection: ok values do not apply to a date gate item",
        "inspection: unknown site fact 'nope'",
        "plan: needs the answers that pass (ok)",
        "plan: unknown source key 'made-up'",
        "plan: within_years is only for date gate items",
    ]:
        assert text in found, text

"""`qmm protocol diff A B`: added, removed and changed questions, fields, options and criteria, by id."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.cli import main
from assistant.protocol import load_protocol
from assistant.protocol.diff import diff_protocols, render_diff
from tests.conftest import MINI_DIR, PROTOCOLS_DIR


@pytest.fixture
def two_versions(tmp_path: Path) -> tuple[Path, Path]:
    old = tmp_path / "mini" / "1"
    new = tmp_path / "mini" / "2"
    shutil.copytree(MINI_DIR, old)
    shutil.copytree(MINI_DIR, new)
    meta = yaml.safe_load((new / "protocol.yaml").read_text(encoding="utf-8"))
    meta["version"] = 2
    (new / "protocol.yaml").write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")

    path = new / "questions" / "alpha.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    a1, a2 = data["questions"]
    a1["text"] = "How are objectives set, cascaded and reviewed?"  # question text changed
    a1["fields"] = [f for f in a1["fields"] if f["id"] != "share"]  # field removed
    a1["levels"][4] = [c for c in a1["levels"][4] if c["field"] != "share"]
    a1["fields"].append({"id": "owner", "type": "yes_no", "label": "Owner named", "follow_up": "Who owns them?"})
    a1["levels"][3][1]["value"] = "monthly"  # criterion value changed
    a1["levels"][4].append({"field": "owner", "op": "is", "value": "yes"})  # criterion added
    cascade = next(f for f in a1["fields"] if f["id"] == "cascade")
    cascade["options"].append({"id": "suppliers", "label": "Suppliers", "description": "Suppliers share goals."})
    cascade["options"][0]["label"] = "Teams and shifts"  # option changed
    cascade["options"][0]["aliases"] = ["crews"]  # a hint only
    a2["levels"][2] = [{"field": "approach", "op": "at_least", "value": "paper"}]  # stated -> at_least
    data["questions"] = [a1]  # AL-02 removed
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    beta = new / "questions" / "beta.yaml"
    bdata = yaml.safe_load(beta.read_text(encoding="utf-8"))
    extra = json.loads(json.dumps(bdata["questions"][0]))
    extra["id"] = "BE-09"
    bdata["questions"].append(extra)  # question added
    beta.write_text(yaml.safe_dump(bdata, sort_keys=False), encoding="utf-8")
    return old, new


def by(diff: Any, what: str, kind: str) -> list[str]:
    return [f"{c.path} {c.detail}" for c in diff.changes if c.what == what and c.kind == kind]


def test_a_protocol_does_not_differ_from_itself() -> None:
    mini = load_protocol(MINI_DIR)
    diff = diff_protocols(mini, mini)
    assert diff.changes == []
    assert "no differences" in render_diff(diff)


def test_every_kind_of_change_is_named_by_id(two_versions: tuple[Path, Path]) -> None:
    old, new = two_versions
    diff = diff_protocols(load_protocol(old), load_protocol(new))
    assert (diff.old, diff.new) == ("mini@1", "mini@2")
    assert diff.questions_added == ["BE-09"]
    assert diff.questions_removed == ["AL-02"]
    assert diff.questions_changed == ["AL-01"]
    assert by(diff, "changed", "question") == [
        "AL-01.text 'How are objectives set and reviewed?' -> 'How are objectives set, cascaded and reviewed?'"
    ]
    assert by(diff, "removed", "field") == ["AL-01.fields.share share (percentage): Share measured"]
    assert by(diff, "added", "field") == ["AL-01.fields.owner owner (yes_no): Owner named"]
    assert by(diff, "added", "option") == ["AL-01.fields.cascade.options.suppliers suppliers: Suppliers"]
    assert by(diff, "changed", "option") == ["AL-01.fields.cascade.options.teams.label 'Teams' -> 'Teams and shifts'"]
    assert by(diff, "changed", "hint") == ["AL-01.fields.cascade.options.teams.aliases added [crews]"]
    assert by(diff, "changed", "criterion") == ["AL-01.levels.3 review at_least: value: 'quarterly' -> 'monthly'"]
    assert by(diff, "removed", "criterion") == ["AL-01.levels.4 share at_least 80"]
    assert by(diff, "added", "criterion") == ["AL-01.levels.4 owner is 'yes'"]
    assert by(diff, "changed", "meta") == ["meta.version 1 -> 2"]
    assert diff.summary()["question"] == {"added": 1, "changed": 1, "removed": 1}


def test_cli_text_and_json(two_versions: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    old, new = two_versions
    assert main(["protocol", "diff", str(old), str(new)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("mini@1 -> mini@2\n  questions added 1 changed 1 removed 1, fields added 1 removed 1,")
    assert "AL-01:\n" in text
    assert "  added criterion levels.4: owner is 'yes'" in text
    assert "  removed question: AL-02" in text
    assert "aliases" not in text
    assert "1 extraction-hint changes not shown" in text
    assert main(["protocol", "diff", str(old), str(new), "--hints"]) == 0
    assert "aliases: added [crews]" in capsys.readouterr().out

    assert main(["protocol", "diff", str(old), str(new), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["questions_removed"] == ["AL-02"]
    assert data["summary"]["criterion"] == {"added": 1, "changed": 1, "removed": 1}
    assert {"what", "kind", "path", "detail"} <= set(data["changes"][0])


def test_cli_takes_version_numbers_of_the_active_protocol(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["protocol", "diff", "1", "qmm-self-assessment@1"]) == 0
    assert "no differences" in capsys.readouterr().out
    assert main(["protocol", "diff", "1", "99"]) == 1
    assert "not found" in capsys.readouterr().err
    assert (PROTOCOLS_DIR / "qmm-self-assessment" / "1").is_dir()

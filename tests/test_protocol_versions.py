"""Released protocol versions are frozen: the content hash named in each CHANGELOG must match the folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.protocol.versions import content_files, content_hash, recorded_hash
from tests.conftest import PROTOCOLS_DIR

RELEASED = sorted(p.parent for p in PROTOCOLS_DIR.glob("*/*/CHANGELOG.md") if recorded_hash(p.parent))


def test_versions_1_and_2_are_released_with_a_hash() -> None:
    assert PROTOCOLS_DIR / "qmm-self-assessment" / "1" in RELEASED
    assert PROTOCOLS_DIR / "qmm-self-assessment" / "2" in RELEASED


@pytest.mark.parametrize("folder", RELEASED, ids=lambda p: f"{p.parent.name}@{p.name}")
def test_released_content_has_not_changed(folder: Path) -> None:
    assert content_hash(folder) == recorded_hash(folder), (
        f"{folder} changed after release: released versions are frozen; make the change in a new version"
    )


def test_the_hash_covers_everything_but_the_prose(tmp_path: Path) -> None:
    folder = tmp_path / "p" / "1"
    (folder / "questions").mkdir(parents=True)
    (folder / "protocol.yaml").write_text("id: p\n", encoding="utf-8")
    (folder / "questions" / "a.yaml").write_text("questions: []\n", encoding="utf-8")
    (folder / "README.md").write_text("prose\n", encoding="utf-8")
    (folder / "CHANGELOG.md").write_text("released content hash: sha256:" + "0" * 64 + "\n", encoding="utf-8")
    before = content_hash(folder)
    assert [p.name for p in content_files(folder)] == ["protocol.yaml", "a.yaml"]
    assert recorded_hash(folder) == "sha256:" + "0" * 64

    (folder / "README.md").write_text("more prose\n", encoding="utf-8")
    assert content_hash(folder) == before
    (folder / "questions" / "a.yaml").write_text("questions: [] \n", encoding="utf-8")
    assert content_hash(folder) != before
    (folder / "questions" / "a.yaml").write_text("questions: []\n", encoding="utf-8")
    (folder / "questions" / "a.yaml").rename(folder / "questions" / "b.yaml")
    assert content_hash(folder) != before


def test_schema_write_refuses_a_released_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from assistant.cli import main

    v1 = PROTOCOLS_DIR / "qmm-self-assessment" / "1"
    before = content_hash(v1)
    assert main(["protocol", "schema", "--write", str(v1)]) == 1
    assert "frozen" in capsys.readouterr().err
    assert content_hash(v1) == before

    draft = tmp_path / "draft"
    draft.mkdir()
    assert main(["protocol", "schema", "--write", str(draft)]) == 0
    assert sorted(p.name for p in (draft / "schema").iterdir()) == ["protocol.schema.json", "questions.schema.json"]

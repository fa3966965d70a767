"""A corpus of hostile files, built in tmp_path, against the answers-file reader and the protocol loader (site
documents: ``test_hostile_documents.py``, which shares ``make`` and ``timed``). Each must give a result or the
project's own error with a sentence, quickly (a hang is the failure, so the time bound is generous) and without
allocating what the file asks for.

Timings of the corpus are printed with ``pytest -s``.
"""

from __future__ import annotations

import os
import resource
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assistant.answers import parse_answers, read_answers_file
from assistant.cli import main
from assistant.errors import AnswerError, AssistantError
from assistant.protocol import Protocol
from assistant.protocol.loader import check_protocol
from assistant.safe_input import InputLimits
from assistant.service import AssessmentService
from tests.conftest import MINI_DIR

SECONDS = 5.0  # per file; the limits refuse in milliseconds, so anything near this is a hang
TIMINGS: dict[str, float] = {}

BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)  # 9 levels of 9: 387 million items once expanded


def mib_rss() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def timed(name: str, call: Callable[[], Any]) -> Any:
    """Run ``call``; return its result or the AssistantError it raised; fail on anything else or on a hang."""
    start = time.monotonic()
    try:
        result: Any = call()
    except AssistantError as exc:
        result = exc
    elapsed = time.monotonic() - start
    TIMINGS[name] = elapsed
    assert elapsed < SECONDS, f"{name} took {elapsed:.1f} s"
    if isinstance(result, AssistantError):
        message = str(result)
        assert message.strip(), f"{name}: an error without a message"
        assert "Traceback" not in message
        assert len(message.splitlines()[0]) < 400, f"{name}: the first line is not a sentence: {message[:400]}"
    return result


# --- the hostile files -----------------------------------------------------------------------------------------
def _sparse(path: Path, size: int) -> None:
    with path.open("wb") as handle:
        handle.truncate(size)  # a hole: no disk is used, but stat says `size`


def make(path: Path, kind: str) -> Path:
    """Write one hostile file of ``kind`` at ``path`` (its suffix chooses YAML, JSON or a document type)."""
    writers: dict[str, Callable[[], object]] = {
        "alias_bomb": lambda: path.write_text(BOMB, encoding="utf-8"),
        "deep_flow": lambda: path.write_text("[" * 100_000, encoding="utf-8"),
        "deep_block": lambda: path.write_text("".join(f"{'  ' * i}k{i}:\n" for i in range(300)) + "  " * 300 + "1\n"),
        "deep_json": lambda: path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8"),
        "huge": lambda: _sparse(path, 60_000_001),
        "fifo": lambda: os.mkfifo(path),
        "dev_zero": lambda: path.symlink_to("/dev/zero"),
        "symlink_loop": lambda: path.symlink_to(path.name),
        "nul_bytes": lambda: path.write_bytes(b"MC-01:\x00 {a: 1}\n"),
        "invalid_utf8": lambda: path.write_bytes(b"\xff\xfe\xfa key: \xc3\x28 value\n"),
        "empty": lambda: path.write_bytes(b""),
        "folder": lambda: path.mkdir(),
        "many_values": lambda: path.write_text("- 1\n" * 60_000, encoding="utf-8"),
        "long_int": lambda: path.write_text('{"AL-02": {"count": ' + "9" * 5000 + "}}", encoding="utf-8"),
        "python_tag": lambda: path.write_text("a: !!python/object/apply:os.system ['echo hi']\n", encoding="utf-8"),
        "bad_date": lambda: path.write_text("a: 2026-13-45\n", encoding="utf-8"),
        "long_key": lambda: path.write_text('{"' + "k" * 1_000_000 + '": 1}', encoding="utf-8"),
        "top_list": lambda: path.write_text("- AL-01\n- BE-01\n", encoding="utf-8"),
        "binary_tag": lambda: path.write_text("a: !!binary '%%%'\n", encoding="utf-8"),
        "two_documents": lambda: path.write_text("a: 1\n---\nb: 2\n", encoding="utf-8"),
        "tabs_and_controls": lambda: path.write_text("a:\t\x07b\n\x1b[31m: c\n", encoding="utf-8"),
    }
    writers[kind]()
    return path


ANSWER_KINDS = [
    "alias_bomb",
    "deep_flow",
    "deep_block",
    "huge",
    "fifo",
    "dev_zero",
    "symlink_loop",
    "nul_bytes",
    "invalid_utf8",
    "empty",
    "folder",
    "many_values",
    "python_tag",
    "bad_date",
    "long_key",
    "top_list",
    "binary_tag",
    "two_documents",
    "tabs_and_controls",
]


# --- answers files ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ANSWER_KINDS)
def test_hostile_answers_file_is_refused_quickly(tmp_path: Path, mini: Protocol, kind: str) -> None:
    path = make(tmp_path / f"{kind}.yaml", kind)
    before = mib_rss()

    def score() -> object:
        return parse_answers(mini, read_answers_file(path))

    result = timed(f"answers/{kind}", score)
    assert isinstance(result, AnswerError), f"{kind}: {type(result).__name__}"
    assert mib_rss() - before < 300, "the limits should refuse before anything big is allocated"


@pytest.mark.parametrize("kind", ["deep_json", "long_int", "huge", "fifo", "empty", "folder", "dev_zero"])
def test_hostile_json_answers_file_is_refused_quickly(tmp_path: Path, mini: Protocol, kind: str) -> None:
    path = make(tmp_path / f"{kind}.json", kind)
    result = timed(f"answers/{kind}.json", lambda: parse_answers(mini, read_answers_file(path)))
    assert isinstance(result, AnswerError), f"{kind}: {type(result).__name__}"


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("alias_bomb", "alias"),
        ("deep_flow", "nest"),
        ("deep_block", "deeper than 32 levels"),
        ("huge", "the limit is 2.0 MB"),
        ("fifo", "named pipe"),
        ("dev_zero", "a device"),
        ("folder", "a folder"),
        ("nul_bytes", "NUL"),
        ("invalid_utf8", "not UTF-8"),
        ("many_values", "more than 50,000"),
        ("top_list", "must hold a mapping"),
    ],
)
def test_refusals_name_the_limit(tmp_path: Path, kind: str, words: str) -> None:
    path = make(tmp_path / f"{kind}.yaml", kind)
    with pytest.raises(AnswerError, match=words):
        read_answers_file(path)


def test_long_keys_and_values_are_cut_in_messages(tmp_path: Path, mini: Protocol) -> None:
    path = make(tmp_path / "long_key.json", "long_key")
    with pytest.raises(AnswerError, match="unknown question id") as caught:
        parse_answers(mini, read_answers_file(path))
    assert len(str(caught.value)) < 500


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", "1e400", "'1e400'", "9" * 400])
def test_numbers_that_are_not_finite_are_answer_errors(mini: Protocol, value: str) -> None:
    import yaml

    for field in ("count", "share"):
        qid = "AL-02" if field == "count" else "AL-01"
        data = yaml.safe_load(f"facts: {{has_contractors: 'yes'}}\nanswers: {{{qid}: {{{field}: {value}}}}}")
        with pytest.raises(AnswerError, match=field):
            parse_answers(mini, data)


def test_qmm_score_refuses_a_bomb_in_milliseconds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = make(tmp_path / "bomb.yaml", "alias_bomb")
    start = time.monotonic()
    assert main(["score", str(path)]) == 1
    assert time.monotonic() - start < SECONDS
    err = capsys.readouterr().err
    assert "alias" in err
    assert "Traceback" not in err


def test_service_score_file_refuses_a_fifo(service: AssessmentService, tmp_path: Path) -> None:
    path = make(tmp_path / "upload.yaml", "fifo")
    result = timed("service/score_file fifo", lambda: service.score_file(path))
    assert isinstance(result, AnswerError)


def test_a_good_answers_file_still_scores(tmp_path: Path, mini: Protocol) -> None:
    path = tmp_path / "good.yaml"
    path.write_text("AL-01: {defined: 'yes', review: quarterly, share: 85%, evidence: [Scorecard]}\n")
    answers, _ = parse_answers(mini, read_answers_file(path))
    assert answers["AL-01"].values["share"] == 85.0


# --- protocol folders ------------------------------------------------------------------------------------------
PROTOCOL_KINDS = [k for k in ANSWER_KINDS if k not in ("top_list", "long_key")]


@pytest.fixture
def proto_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "mini" / "1"
    shutil.copytree(MINI_DIR, folder)
    return folder


@pytest.mark.parametrize("kind", PROTOCOL_KINDS)
def test_hostile_question_file_is_an_issue(proto_dir: Path, kind: str) -> None:
    target = proto_dir / "questions" / "zz.yaml"
    make(target, kind)
    protocol, issues = timed(f"protocol/{kind}", lambda: check_protocol(proto_dir))
    assert any("zz.yaml" in str(issue) for issue in issues), issues
    assert all(str(issue).strip() for issue in issues)


@pytest.mark.parametrize("kind", ["fifo", "dev_zero", "folder", "alias_bomb", "deep_flow", "symlink_loop"])
def test_hostile_protocol_yaml_is_an_issue(proto_dir: Path, kind: str) -> None:
    meta = proto_dir / "protocol.yaml"
    meta.unlink()
    make(meta, kind)
    protocol, issues = timed(f"protocol.yaml/{kind}", lambda: check_protocol(proto_dir))
    assert protocol is None
    assert any("protocol.yaml" in str(issue) for issue in issues), issues


def test_alias_issue_has_the_line(proto_dir: Path) -> None:
    (proto_dir / "questions" / "zz.yaml").write_text("questions:\n  - &q {id: ZZ-01}\n  - *q\n", encoding="utf-8")
    _, issues = check_protocol(proto_dir)
    assert any("zz.yaml:3" in str(i) and "alias" in str(i) for i in issues), issues


def test_too_many_question_files_is_an_issue(proto_dir: Path) -> None:
    small = InputLimits(protocol_files=3)
    for n in range(3):
        shutil.copy(proto_dir / "questions" / "beta.yaml", proto_dir / "questions" / f"extra{n}.yaml")
    from assistant.protocol.loader import load_protocol_unchecked

    _, issues, _ = load_protocol_unchecked(proto_dir, small)
    assert any("the limit is 3" in str(i) for i in issues), issues


def test_print_timings() -> None:
    """Not a check: with ``pytest -s`` this lists how long each hostile file took (run after the others)."""
    for name, seconds in sorted(TIMINGS.items(), key=lambda kv: -kv[1]):
        print(f"{seconds * 1000:8.1f} ms  {name}")

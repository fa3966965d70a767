"""load_yaml (the fast path for bulk imports) gives exactly parse_yaml's data and exactly its refusals."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from assistant.safe_input import HAVE_LIBYAML, InputLimits, InputRefused, load_yaml, parse_yaml

ROOT = Path(__file__).resolve().parent.parent
REPO_YAML = sorted(
    p for p in ROOT.glob("**/*.y*ml")
    if p.suffix in (".yaml", ".yml") and not {".venv", ".git", "node_modules"} & set(p.parts)
)  # fmt: skip


def _outcome(text: str, limits: InputLimits | None = None) -> tuple[str, Any]:
    try:
        return "data", parse_yaml(text, limits or InputLimits())[0]
    except InputRefused as exc:
        return "refused", str(exc)


def _fast(text: str, limits: InputLimits | None = None) -> tuple[str, Any]:
    try:
        return "data", load_yaml(text, limits or InputLimits())
    except InputRefused as exc:
        return "refused", str(exc)


def _same(a: Any, b: Any) -> bool:
    """Equality that also tells 1 from 1.0 from True and treats NaN as equal to NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def test_the_repo_has_yaml_to_compare() -> None:
    assert len(REPO_YAML) > 30
    assert HAVE_LIBYAML  # the fast path is the one being tested


@pytest.mark.parametrize("path", REPO_YAML, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_repo_yaml_file_loads_the_same(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    kind, expected = _outcome(text)
    got_kind, got = _fast(text)
    assert got_kind == kind
    assert _same(got, expected) if kind == "data" else got == expected


TRICKY = {
    "empty": "",
    "only a comment": "# nothing here\n",
    "explicit null doc": "~\n",
    "scalar doc": "just text\n",
    "booleans": "a: yes\nb: No\nc: true\nd: off\ne: 'yes'\n",
    "numbers": "a: 1\nb: 1.5\nc: 0x1F\nd: 1_000\ne: .inf\nf: -.inf\ng: .nan\nh: '12'\ni: 1e3\nj: 012\n",
    "timestamps": "a: 2026-12-06\nb: 2026-12-06T10:00:00Z\nc: '2026-12-06'\n",
    "null keys and values": "~: x\nb:\nc: null\n",
    "int keys": "1: one\n2.5: two\ntrue: t\n",
    "duplicate keys": "a: 1\na: 2\n",
    "nested": "a:\n  b:\n    - 1\n    - {c: d, e: [f, g]}\n  h: []\n  i: {}\n",
    "flow": "[1, 'two', {three: 3}, [four]]\n",
    "block scalars": "a: |\n  line one\n  line two\nb: >\n  folded\n  text\n",
    "unicode": "name: Ünïcödé ✓ 日本\n'key with spaces': \"tab\\there\"\n",
    "merge key": "base: &b {x: 1}\nchild:\n  <<: *b\n  y: 2\n",
    "merge key without alias": "child:\n  <<: {x: 1}\n  y: 2\n",
    "merge list": "child:\n  <<: [{x: 1}, {z: 3}]\n  y: 2\n",
    "bare merge word": "a: '<<'\n",
    "alias": "a: &x [1, 2]\nb: *x\n",
    "anchor without alias": "a: &x [1, 2]\nb: 3\n",
    "explicit set": "s: !!set {a, b}\n",
    "explicit binary": "b: !!binary aGVsbG8=\n",
    "explicit int": "n: !!int '7'\n",
    "explicit str": "n: !!str 7\n",
    "explicit bad int": "n: !!int seven\n",
    "local tag": "n: !thing 7\n",
    "non-specific tag": "n: ! 7\n",
    "explicit map": "m: !!map {a: 1}\n",
    "omap": "o: !!omap [a: 1, b: 2]\n",
    "equals value": "a: =\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "document markers": "---\na: 1\n...\n",
    "complex key": "? [a, b]\n: c\n",
    "mapping key": "? {a: 1}\n: c\n",
    "bad date": "d: 2026-13-45\n",
    "huge int": "n: " + "9" * 5000 + "\n",
    "syntax error": "a: [1, 2\n",
    "bad indent": "a:\n  b: 1\n c: 2\n",
    "tab indent": "a:\n\tb: 1\n",
    "unclosed quote": "a: 'oops\n",
}


@pytest.mark.parametrize("name", list(TRICKY))
def test_tricky_documents_give_the_same_data_or_the_same_refusal(name: str) -> None:
    text = TRICKY[name]
    kind, expected = _outcome(text)
    got_kind, got = _fast(text)
    assert got_kind == kind, (kind, expected, got)
    assert _same(got, expected) if kind == "data" else got == expected


def test_an_alias_is_refused_with_its_line() -> None:
    with pytest.raises(InputRefused, match=r"alias \(\*x\)"):
        load_yaml("a: &x [1, 2]\nb: *x\n")


@pytest.mark.parametrize(
    ("text", "limits", "words"),
    [
        ("a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 12)) + "  " * 12 + "v\n", InputLimits(yaml_depth=5),
         "nests deeper than 5 levels"),
        ("[" * 40 + "]" * 40, InputLimits(yaml_depth=10), "nests deeper than 10 levels"),
        ("\n".join(f"k{i}: {i}" for i in range(200)), InputLimits(yaml_nodes=100), "more than 100 YAML values"),
        ("[" + ", ".join(str(i) for i in range(200)) + "]", InputLimits(yaml_nodes=150), "more than 150 YAML values"),
    ],
)  # fmt: skip
def test_limits_are_refused_the_same_way(text: str, limits: InputLimits, words: str) -> None:
    assert _fast(text, limits) == _outcome(text, limits)
    with pytest.raises(InputRefused, match=words):
        load_yaml(text, limits)


def test_just_inside_the_limits_loads() -> None:
    text = "\n".join(f"k{i}: {i}" for i in range(49))  # the mapping and 98 scalars: 99 nodes
    assert load_yaml(text, InputLimits(yaml_nodes=99)) == {f"k{i}": i for i in range(49)}
    assert load_yaml("[[[1]]]", InputLimits(yaml_depth=4)) == [[[1]]]
    with pytest.raises(InputRefused):
        load_yaml("[[[[1]]]]", InputLimits(yaml_depth=4))


def test_deep_nesting_does_not_recurse() -> None:
    text = "[" * 900 + "]" * 900  # libyaml itself stops at 1,000 levels
    limits = InputLimits(yaml_depth=1_000)
    value: Any = load_yaml(text, limits)
    depth = 0
    while isinstance(value, list) and value:
        value, depth = value[0], depth + 1
    assert depth == 899

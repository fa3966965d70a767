"""The evaluation runners with the real model: they run, and the extractor never outputs a value without a span."""

from __future__ import annotations

import re

import pytest

from assistant.cli import main

pytestmark = pytest.mark.slow


def test_extraction_eval_reports_zero_values_without_span(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "extraction"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("values without span"))
    assert re.findall(r"\d+\.\d+", row) == ["0.0", "0.0", "0.0"]
    accuracy = next(line for line in out.splitlines() if line.startswith("field accuracy "))
    assert all(float(x) > 0.6 for x in re.findall(r"\d+\.\d+", accuracy))  # guards against a regression

"""One entry point for every report format: ``render(report, "docx")`` gives the bytes, ``FORMATS`` the file suffix
and media type to save or serve them with.

Each renderer is imported when its format is asked for, so rendering JSON or Markdown never loads python-docx,
openpyxl or matplotlib.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from assistant.reports.model import AssessmentReport

Format = Literal["docx", "xlsx", "json", "md"]


@dataclass(frozen=True)
class FormatInfo:
    suffix: str
    media_type: str
    label: str


FORMATS: dict[Format, FormatInfo] = {
    "docx": FormatInfo(
        ".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word report"
    ),
    "xlsx": FormatInfo(".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Workbook"),
    "json": FormatInfo(".json", "application/json", "JSON data"),
    "md": FormatInfo(".md", "text/markdown; charset=utf-8", "Markdown"),
}


def render(report: AssessmentReport, fmt: Format) -> bytes:
    """The report in ``fmt`` as bytes (Markdown and JSON as UTF-8)."""
    if fmt == "docx":
        from assistant.reports.docx import render_docx

        return render_docx(report)
    if fmt == "xlsx":
        from assistant.reports.xlsx import render_xlsx

        return render_xlsx(report)
    if fmt == "json":
        return report.model_dump_json(indent=2).encode()
    if fmt == "md":
        from assistant.reports.markdown import render_markdown

        return render_markdown(report).encode()
    raise ValueError(f"unknown report format {fmt!r}: choose one of {', '.join(FORMATS)}")

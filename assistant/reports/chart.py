"""The practice-area chart: a horizontal bar per area on the 0-5 axis, as PNG bytes.

Provisional areas are drawn lighter and hatched and say "(provisional)" in their label; an area without a score is
drawn without a bar and says "not assessed". The same report gives the same bytes: the figure's size depends only on
the number of areas, the dpi is fixed, and the PNG carries no software or date metadata. matplotlib is imported
here, when a chart is drawn, so commands that never draw one do not pay for it; it draws on the Agg canvas
directly (no pyplot, no display, no global backend switch).
"""

from __future__ import annotations

import io
import textwrap
from functools import lru_cache
from typing import Any

from assistant.reports.format import one_line, shorten
from assistant.reports.model import AssessmentReport

DPI = 150
WIDTH_IN = 6.5  # the text width of a Letter or A4 page with 1-inch margins
ROW_IN = 0.55
FONT = "DejaVu Sans"  # ships with matplotlib, so every machine draws the same glyphs
SOLID = "#2e5c8a"
LIGHT = "#a9c1d9"
LABEL_CHARS = 30
BOX = {"facecolor": "white", "edgecolor": "none", "pad": 1.5}  # keeps a figure readable over the overall line


@lru_cache(maxsize=1)
def _glyphs() -> frozenset[int]:
    """The code points the chart's font can draw (matplotlib warns for any other, and draws a box)."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    path = font_manager.findfont(font_manager.FontProperties(family=FONT), fallback_to_default=True)
    return frozenset(FT2Font(path).get_charmap())


def _drawable(text: str) -> str:
    glyphs = _glyphs()
    return "".join(c for c in text if ord(c) in glyphs or c == "\n")


def _area_label(name: str, provisional: bool) -> str:
    """The area's name in at most two lines of the label column, then "(provisional)" whole where it applies."""
    lines = textwrap.wrap(_drawable(shorten(one_line(name), 200)), LABEL_CHARS) or ["(unnamed)"]
    if len(lines) > 2:
        lines = [lines[0], shorten(" ".join(lines[1:]), LABEL_CHARS)]
    if provisional:
        if len(lines[-1]) + len(" (provisional)") <= LABEL_CHARS:
            lines[-1] += " (provisional)"
        else:
            lines.append("(provisional)")
    return "\n".join(lines)


def area_chart_png(report: AssessmentReport) -> bytes:
    """The five practice-area scores (or however many the report has) as a PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    areas = report.areas
    fig = Figure(figsize=(WIDTH_IN, 1.3 + ROW_IN * max(len(areas), 1)), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    text_style: dict[str, Any] = {"fontfamily": FONT, "fontsize": 8.5, "parse_math": False}
    rows = list(range(len(areas)))
    for row, area in zip(rows, areas, strict=True):
        if area.score is None:
            ax.text(0.08, row, "not assessed", va="center", color="#666666", fontstyle="italic", **text_style)
            continue
        score = max(0.0, min(area.score, 5.0))
        if area.provisional:
            ax.barh(row, score, height=0.6, color=LIGHT, edgecolor=SOLID, hatch="///", linewidth=0.8)
        else:
            ax.barh(row, score, height=0.6, color=SOLID, edgecolor=SOLID, linewidth=0.8)
        level = f"  {_drawable(one_line(area.level_name))}" if area.level_name else ""
        value = f"{area.score:.2f}{level}"
        if score > 3.6:  # no room to the right: write it inside the bar's end
            ax.text(score - 0.08, row, value, va="center", ha="right", bbox=BOX, **text_style)
        else:
            ax.text(score + 0.08, row, value, va="center", ha="left", bbox=BOX, **text_style)
    if not areas:
        ax.text(2.5, 0, "No practice areas in this report", ha="center", va="center", color="#666666", **text_style)
    ax.set_yticks(rows, [_area_label(a.name, a.provisional and a.score is not None) for a in areas], **text_style)
    ax.set_ylim(len(areas) - 0.5 if areas else 0.5, -0.5)  # first area on top
    ax.set_xlim(0, 5)
    ax.set_xticks(range(6))
    ax.tick_params(axis="both", labelsize=8.5, length=0)
    ax.set_xlabel("Score (0-5, this tool's rubric; not an FDA rating)", fontfamily=FONT, fontsize=8.5)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)

    handles: list[Patch | Line2D] = []
    if report.overall is not None:
        ax.axvline(report.overall, color="#b5542b", linestyle="--", linewidth=1.1)
        handles.append(Line2D([], [], color="#b5542b", linestyle="--", label=f"Overall {report.overall:.2f}"))
    if any(a.provisional and a.score is not None for a in areas):
        handles.append(Patch(facecolor=LIGHT, edgecolor=SOLID, hatch="///", label="Provisional"))
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False, fontsize=8)

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()

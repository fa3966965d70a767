"""Plain-text rendering of a site profile for the terminal (no logic beyond layout)."""

from __future__ import annotations

from assistant.rubric import QuestionScore, SiteProfile


def _fmt(value: float | None, pct: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value * 100:.0f}%" if pct else f"{value:.2f}"


def _question_line(q: QuestionScore) -> str:
    if q.status == "scored":
        need = "; ".join(r.describe() for r in q.missing_for_next) or "top level reached"
        return f"  {q.question_id:<7} L{q.level} {q.level_name:<12} {q.topic}\n           next: {need}"
    if q.status == "na":
        return f"  {q.question_id:<7} N/A   {q.topic} (justification: {q.na_justification})"
    label = "not assessed" if q.status == "not_assessed" else "not applicable"
    return f"  {q.question_id:<7} {label:<5} {q.topic}"


def gate_lines(profile: SiteProfile) -> list[str]:
    """The compliance gate beside the profile: never part of a score."""
    summary = profile.gate_summary
    if summary is None:
        return []
    lines = ["", f"Compliance gate (checked {summary.checked_on}; never scored): {summary.headline}"]
    lines += [f"  - {p}" for p in summary.problems]
    if summary.unanswered:
        lines.append(f"  Not answered: {', '.join(summary.unanswered)}")
    return lines


def render_profile(profile: SiteProfile, details: bool = True) -> str:
    lines = [f"Site profile ({profile.protocol})", ""]
    lines.append(f"{'Practice area':<42} {'score':>5}  {'level':<12} assessed  N/A  missing  L1-L5")
    for a in profile.areas:
        dist = " ".join(str(a.distribution[i]) for i in range(1, 6))
        lines.append(
            f"{a.name:<42} {_fmt(a.score):>5}  {a.level_name or '-':<12} {a.assessed:>3}/{a.applicable:<4}"
            f" {a.na:>4} {a.not_assessed:>7}  {dist}"
        )
    lines += [
        "",
        f"Overall: {_fmt(profile.overall)}   Completeness: {_fmt(profile.completeness, pct=True)}"
        f"   Answers with evidence: {_fmt(profile.evidence_share, pct=True)}",
        "Scores are this tool's self-assessment rubric (our interpretation), not an FDA rating.",
    ]
    lines += gate_lines(profile)
    if details:
        lines.append("")
        for area in profile.areas:
            lines.append(area.name)
            lines += [_question_line(q) for q in profile.questions if q.area == area.area]
    return "\n".join(lines)

"""What the renderers share: plain text made safe to store, figures and dates as text, the words for status ids, and
a zip that is the same bytes every time.

The report model decides every figure and sentence; this module only decides how a figure is written ("2.77",
"83%") and which words stand for a status id ("not_assessed" -> "Not assessed"), so the DOCX, the spreadsheet and
the Markdown never disagree.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime

from assistant.reports.model import EFFORT_LABELS, AssessmentReport, ReportQuestion

# Characters XML 1.0 cannot hold (C0 controls but tab, newline and carriage return; lone surrogates; U+FFFE/U+FFFF),
# and the C1 controls, which it can hold but no reader shows: dropped, never escaped.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

NONE = "—"  # an empty figure in a table

QUESTION_STATUS = {
    "scored": "Scored",
    "na": "N/A (justified)",
    "not_assessed": "Not assessed",
    "not_applicable": "Does not apply",
}
ANSWER_STATUS = {"confirmed": "Confirmed", "na": "N/A", "draft": "Draft", "file": "From an answers file"}
EVIDENCE_STATUS = {"claimed": "Claimed", "seen": "Seen by an assessor"}
EVIDENCE_KIND = {"named": "Named record", "file": "Uploaded file", "passage": "Document passage"}
GATE_KIND = {"eligibility": "Eligibility", "legal_duty": "Legal duty", "cgmp_basic": "CGMP basic"}
GATE_STATUS = {
    "ok": "Passes",
    "not_ok": "Does not pass",
    "not_answered": "Not answered",
    "not_applicable": "Does not apply",
    "recorded": "Recorded",
}
PLAN_STATUS = {"planned": "Planned", "in_progress": "In progress", "done": "Done", "dropped": "Dropped"}
FINDING_KIND = {"strength": "Strength", "opportunity": "Opportunity"}
PRIORITY = {"high": "High", "medium": "Medium", "low": "Low"}

# The report's sections, in order: the DOCX's Heading 1s and the Markdown's second-level headings.
SECTIONS = (
    "Executive summary",
    "Compliance gate",
    "Practice-area scores",
    "Practice areas",
    "Findings",
    "Improvement plan",
    "Change since the previous assessment",
    "Appendix: questions and answers",
)

GATE_NEVER_SCORED = (
    "The compliance gate is a floor, not maturity: legal duties, CGMP basics and the entry rule of FDA's QMM "
    "program. It is never scored and never averaged into a practice-area or overall score."
)


def clean(text: object) -> str:
    """Text as it may be stored in XML: unsafe control characters dropped, line ends made '\\n'."""
    if text is None:
        return ""
    return _UNSAFE.sub("", str(text).replace("\r\n", "\n").replace("\r", "\n"))


def one_line(text: object) -> str:
    """Clean text with every run of whitespace, line breaks included, made one space."""
    return " ".join(clean(text).split())


def shorten(text: str, limit: int) -> str:
    """At most ``limit`` characters, ending in an ellipsis when cut."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + "…"


def label(words: dict[str, str], key: str | None) -> str:
    """The words for a status id; an id this module does not know is shown with spaces, never dropped."""
    if key is None:
        return NONE
    return words.get(key, key.replace("_", " "))


def effort_text(effort: str | None) -> str:
    return label(EFFORT_LABELS, effort)


def score_text(value: float | None) -> str:
    """A 0-5 score with two decimals, as the terminal profile shows it (so 2.95 is never shown as 3.0 Developing)."""
    return NONE if value is None else f"{value:.2f}"


def change_text(before: float | None, after: float | None) -> str:
    if before is None or after is None:
        return NONE
    return f"{after - before:+.2f}"


def level_text(level: int | None) -> str:
    return NONE if level is None else str(level)


def pct_text(value: float | None) -> str:
    """A share from 0 to 1 as a whole percentage."""
    return NONE if value is None else f"{value * 100:.0f}%"


def when_text(value: str | None) -> str:
    """An ISO date or timestamp as a reader writes it: '2027-01-12' or '2027-01-12 09:40 UTC'; other text as is."""
    if not value:
        return NONE
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return clean(value)
    if len(value.strip()) <= 10:
        return moment.date().isoformat()
    offset = moment.utcoffset()
    if offset is None:
        return f"{moment:%Y-%m-%d %H:%M}"
    return f"{moment:%Y-%m-%d %H:%M}" + (" UTC" if not offset else f" {moment:%z}")


def overall_text(report: AssessmentReport) -> str:
    """'2.77 (Developing)', with '(provisional)' where the report says the roll-up does not stand yet."""
    if report.overall is None:
        text = "not scored"
    else:
        text = score_text(report.overall) + (f" ({report.overall_level})" if report.overall_level else "")
    return text + (" (provisional)" if report.provisional else "")


def validated_text(report: AssessmentReport) -> str:
    return f"{report.validated} of {report.scored} scored questions"


def question_result(question: ReportQuestion) -> str:
    """'Level 3 (Established)' for a scored question, else its status in words."""
    if question.status == "scored" and question.level is not None:
        return f"Level {question.level}" + (f" ({question.level_name})" if question.level_name else "")
    return label(QUESTION_STATUS, question.status)


def area_names(report: AssessmentReport) -> dict[str, str]:
    """Practice-area id -> name; an id no area carries (a finding's, a question's) is shown as the id."""
    return {a.area: a.name for a in report.areas}


def generated_at(report: AssessmentReport) -> datetime:
    """The report's date as a naive UTC datetime for document properties; 1980-01-01 (zip's epoch) when unreadable."""
    try:
        moment = datetime.fromisoformat(report.generated)
    except ValueError:
        return datetime(1980, 1, 1)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return max(moment, datetime(1980, 1, 1))


def reproducible_zip(data: bytes, when: datetime) -> bytes:
    """The same zip with every member dated ``when``: python-docx and openpyxl date members by the clock."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=when.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, source.read(member.filename))
    return out.getvalue()

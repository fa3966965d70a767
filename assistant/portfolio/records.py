"""Sites as records, and the portfolio file a company imports (``qmm portfolio import DIR``). Pure apart from reading
the files of one folder.

``DIR/sites.csv`` has the columns ``site,company,site_type,country,last_inspection_date,
last_inspection_classification,us_distribution,open_warning_letter,import_alert,critical_products,answers`` and an
optional ``assessed_on``. ``answers`` names an answers file in DIR (a plain file name, never a path; empty for a site
with no assessment yet); several rows of one site with different ``assessed_on`` dates are its assessments over time.
Every problem is reported with its line, and a file with any problem imports nothing.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant.answers import AnswersFile, read_answers, read_answers_file
from assistant.errors import AnswerError, AssistantError
from assistant.safe_input import LIMITS, InputRefused, decode_text, read_regular_file

SiteType = Literal["api", "finished_dosage", "sterile", "biologic", "packaging"]
SITE_TYPES: dict[str, str] = {
    "api": "Active ingredient (API)", "finished_dosage": "Finished dosage form", "sterile": "Sterile products",
    "biologic": "Biologics", "packaging": "Packaging",
}  # fmt: skip
Classification = Literal["nai", "vai", "oai", "none"]
COLUMNS = ("site", "company", "site_type", "country", "last_inspection_date", "last_inspection_classification",
           "us_distribution", "open_warning_letter", "import_alert", "critical_products", "answers")  # fmt: skip
OPTIONAL = ("assessed_on", "notes")
MAX_ROWS = 5000
PLAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,120}$")


class SiteRecord(BaseModel):
    """What a company knows of a site, beside its assessments."""

    name: str
    company: str = ""
    site_type: SiteType | None = None
    country: str = ""
    last_inspection_date: str | None = Field(default=None, description="ISO date of the last FDA surveillance one.")
    last_inspection_classification: Classification = "none"
    us_distribution: bool = False
    open_warning_letter: bool = False
    import_alert: bool = False
    critical_products: bool = Field(default=False, description="Medically necessary or shortage-listed products.")
    notes: str = ""


class PortfolioRow(BaseModel):
    """One checked line of sites.csv: the record, and the assessment its answers file holds (if any)."""

    line: int
    record: SiteRecord
    answers_file: str | None = None
    sha256: str | None = None
    assessed_on: date | None = None
    protocol: str | None = None
    parsed: Any = None  # AnswersFile, checked against its protocol


def site_key(name: str) -> str:
    """What makes two spellings of a site name the same site: case, spacing and punctuation ignored."""
    return " ".join(re.findall(r"[a-z0-9]+", name.lower()))


def clean_name(name: str) -> str:
    return " ".join(name.split())[:200]


def _flag(raw: str, column: str, problems: list[str], line: int) -> bool:
    value = raw.strip().lower()
    if value in ("yes", "y", "true", "1"):
        return True
    if value in ("no", "n", "false", "0", ""):
        return False
    problems.append(f"sites.csv:{line}: {column} must be yes or no, not {raw[:40]!r}")
    return False


def _date(raw: str, column: str, problems: list[str], line: int) -> date | None:
    if not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        problems.append(f"sites.csv:{line}: {column} must be a date (YYYY-MM-DD), not {raw[:40]!r}")
        return None


def read_portfolio(folder: Path, protocol_of: Any) -> list[PortfolioRow]:
    """Every row of ``folder/sites.csv``, checked (answers files included, against the protocol each names:
    ``protocol_of(data)`` gives it); raises ``AssistantError`` listing every problem with its line."""
    path = folder / "sites.csv"
    try:
        text = decode_text(read_regular_file(path, LIMITS.answers_file_bytes))
    except InputRefused as exc:
        raise AssistantError(f"cannot read {path}: it {exc}") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS + OPTIONAL]
    if missing or unknown:
        raise AssistantError(f"sites.csv:1: the header must name the columns {', '.join(COLUMNS)} (and optionally "
                             f"{', '.join(OPTIONAL)}); missing {missing or 'none'}, unknown {unknown or 'none'}")
    problems: list[str] = []
    rows: list[PortfolioRow] = []
    for n, raw in enumerate(reader, start=2):
        if n - 1 > MAX_ROWS:
            problems.append(f"sites.csv:{n}: more than {MAX_ROWS} rows")
            break
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        name = clean_name(row["site"])
        if not name:
            problems.append(f"sites.csv:{n}: the site has no name")
            continue
        kind = row["site_type"].lower() or None
        if kind is not None and kind not in SITE_TYPES:
            problems.append(f"sites.csv:{n}: site_type must be one of {', '.join(SITE_TYPES)}, not {kind[:40]!r}")
            kind = None
        cls = row["last_inspection_classification"].lower() or "none"
        if cls not in ("nai", "vai", "oai", "none"):
            problems.append(f"sites.csv:{n}: last_inspection_classification must be NAI, VAI, OAI or none")
            cls = "none"
        inspected = _date(row["last_inspection_date"], "last_inspection_date", problems, n)
        record = SiteRecord(
            name=name, company=clean_name(row["company"]), site_type=kind, country=clean_name(row["country"]),
            last_inspection_date=inspected.isoformat() if inspected else None,
            last_inspection_classification=cls,
            us_distribution=_flag(row["us_distribution"], "us_distribution", problems, n),
            open_warning_letter=_flag(row["open_warning_letter"], "open_warning_letter", problems, n),
            import_alert=_flag(row["import_alert"], "import_alert", problems, n),
            critical_products=_flag(row["critical_products"], "critical_products", problems, n),
            notes=" ".join(row.get("notes", "").split())[:2000],
        )  # fmt: skip
        out = PortfolioRow(line=n, record=record, assessed_on=_date(row.get("assessed_on", ""), "assessed_on",
                                                                        problems, n))  # fmt: skip
        if row["answers"]:
            _answers(folder, row["answers"], out, protocol_of, problems)
        rows.append(out)
    if problems:
        shown = problems[:50] + ([f"... and {len(problems) - 50} more"] if len(problems) > 50 else [])
        raise AssistantError(f"{len(problems)} problem(s) in {path}; nothing was imported:\n  " + "\n  ".join(shown))
    return rows


def _answers(folder: Path, name: str, out: PortfolioRow, protocol_of: Any, problems: list[str]) -> None:
    import hashlib

    if not PLAIN_NAME.match(name) or ".." in name:
        problems.append(f"sites.csv:{out.line}: answers must be a file name in the folder, not {name[:60]!r}")
        return
    path = folder / name
    try:
        data = read_answers_file(path)
        protocol = protocol_of(data)
        parsed: AnswersFile = read_answers(protocol, data)
    except AnswerError as exc:
        detail = "; ".join(exc.problems[:3]) if exc.problems else str(exc)
        problems.append(f"sites.csv:{out.line}: {name}: {detail}")
        return
    out.answers_file, out.protocol, out.parsed = name, protocol.ref, parsed
    out.sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    out.assessed_on = out.assessed_on or parsed.assessed_on
    if out.assessed_on is None:
        problems.append(f"sites.csv:{out.line}: {name}: give the date the answers describe (assessed_on in the "
                        "row or in the file)")  # fmt: skip

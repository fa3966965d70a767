"""Reports of an assessment (``AssessmentService.reports``): built from the store, or from an answers file alone
(``qmm report --answers FILE``), then rendered (``assistant.reports.render``). Access is checked through the service.
"""

from __future__ import annotations

from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.answers import read_answers, read_answers_file
from assistant.interview_service import utcnow
from assistant.protocol.models import FieldType
from assistant.reports.build import Inputs, Said, build_report, load_citations
from assistant.reports.model import AssessmentReport, Citation, EvidenceItem
from assistant.rubric import score_site, with_gate

if TYPE_CHECKING:
    from assistant.service import AssessmentService

FILE_WHO = "answers file"


class ReportService:
    def __init__(self, service: AssessmentService) -> None:
        self.svc = service

    @cached_property
    def citations(self) -> dict[str, Citation]:
        return load_citations(self.svc.settings.corpus_dir)

    def from_answers_file(self, path: Path, today: date | None = None) -> AssessmentReport:
        """The report of an answers file alone (no database): scored on the protocol the file names, the gate as of
        its ``assessed_on`` date (else today), findings drafted from the rubric, no plan."""
        data = read_answers_file(path)
        protocol = self.svc.answers_protocol(data)
        parsed = read_answers(protocol, data)
        day = parsed.assessed_on or today or utcnow().date()
        profile = with_gate(protocol, score_site(protocol, parsed.answers, parsed.facts), parsed.gate, parsed.facts,
                            day)  # fmt: skip
        said, evidence = [], []
        for qid, answer in parsed.answers.items():
            question = protocol.question(qid)
            said.append(Said(question_id=qid, who=FILE_WHO, role="all", status="na" if answer.na_justification
                             is not None else "file", values=dict(answer.values), spans=dict(answer.spans),
                             na_justification=answer.na_justification))  # fmt: skip
            for f in question.fields if question else []:
                items = answer.values.get(f.id)
                if f.type is FieldType.EVIDENCE_LIST and isinstance(items, list):
                    status = "seen" if f.evidence_status == "seen" else "claimed"
                    evidence += [EvidenceItem(question_id=qid, title=str(i), status=status) for i in items]
        inputs = Inputs(site=parsed.site or path.stem, generated=day.isoformat(), said=said, evidence=evidence,
                        started=parsed.assessed_on.isoformat() if parsed.assessed_on else None)  # fmt: skip
        return build_report(protocol, profile, inputs, self.citations)

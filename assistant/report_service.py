"""Reports of an assessment (``AssessmentService.reports``): built from the store, or from an answers file alone
(``qmm report --answers FILE``), then rendered (``assistant.reports.render``). Access is checked through the service.
"""

from __future__ import annotations

from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.answers import read_answers, read_answers_file
from assistant.auth import AccessDenied, Principal
from assistant.errors import AssistantError
from assistant.interview import InterviewState
from assistant.interview_service import utcnow
from assistant.protocol.models import FieldType
from assistant.reports.build import Inputs, Said, build_report, load_citations
from assistant.reports.model import (
    AreaChange,
    AssessmentReport,
    Citation,
    Delta,
    EvidenceItem,
    Finding,
    PlanItem,
    QuestionChange,
)
from assistant.rubric import SiteProfile, score_site, with_gate
from assistant.store_transfer import FORMAT as EXPORT_FORMAT
from assistant.store_transfer import export_assessment, import_assessment

if TYPE_CHECKING:
    from assistant.service import AssessmentService

FILE_WHO = ""  # an answers file names nobody
FINDING_KEYS = {"title", "observation", "gap", "recommendation", "effort", "priority", "owner", "due"}
PLAN_KEYS = {"finding_id", "opportunity", "goal", "measure", "baseline", "target", "owner", "due", "follow_up",
             "status"}  # fmt: skip


def _date(value: Any, what: str) -> str | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise AssistantError(f"{what}: {str(value)[:40]!r} is not a date (YYYY-MM-DD).") from None


def _months_after(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def plan_item(data: dict[str, Any], today: date) -> PlanItem:
    """A stored plan item as shown, with ``overdue`` worked out for today: not done and past its due date, or still
    only planned after its follow-up date."""
    item = PlanItem.model_validate({k: v for k, v in data.items() if not k.startswith("_")})
    open_ = item.status in ("planned", "in_progress")
    late = (item.due is not None and item.due < today.isoformat()) or (
        item.status == "planned" and item.follow_up is not None and item.follow_up < today.isoformat())  # fmt: skip
    return item.model_copy(update={"overdue": open_ and late})


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

    # --- the report of an assessment in the store ------------------------------------------------------------------
    def for_assessment(self, principal: Principal, assessment: int | str,
                       today: date | None = None) -> AssessmentReport:  # fmt: skip
        """The whole report: profile, gate, findings (the draft with the assessor's edits), plan, the change since
        the site's previous assessment, and every question with each interviewee's answer and its evidence."""
        svc = self.svc
        _, aid = svc.assessment_access(principal, assessment, "read_results")
        today = today or utcnow().date()
        row = svc.store.assessment(aid)
        protocol = svc.protocol_of(aid)
        profile = svc.assessment_profile(principal, aid)
        work = svc.assessor.workspace
        heard = svc.heard_answers(aid)
        said = [Said(question_id=a.question_id, who=a.interviewee, role=a.role, status=a.status, values=a.values,
                     spans=a.spans, text=a.text, at=a.at, version=a.version, na_justification=a.na_justification)
                for answers in heard.values() for a in answers]  # fmt: skip
        evidence = [EvidenceItem(question_id=e["question_id"], title=e["title"], status=e["status"], kind=e["kind"],
                                 sha256=e["sha256"], size=e["size"], media_type=e["media_type"],
                                 added_by=e["added_by"], at=e["added_at"]) for e in work.evidence(aid)]  # fmt: skip
        seen = svc.review.seen_records(aid)
        evidence += [EvidenceItem(question_id=q, title=t, status="seen", added_by=s["who"], at=s["at"])
                     for q, s in seen.items() for t in s["records"]]  # fmt: skip
        for a in (a for answers in heard.values() for a in answers):
            question = protocol.question(a.question_id)
            for f in question.fields if question else []:
                items = a.values.get(f.id)
                if f.type is FieldType.EVIDENCE_LIST and f.evidence_status != "seen" and isinstance(items, list):
                    evidence += [EvidenceItem(question_id=a.question_id, title=str(t), status="claimed",
                                              added_by=a.interviewee, at=a.at) for t in items]  # fmt: skip
        conflicts = {c.question_id for c in svc.conflicts(principal, aid) if c.open}
        assessors = [r["who"] for r in svc.store.resolutions(aid).values()]
        assessors += [v["who"] for v in work.validations(aid).values()] + [s["who"] for s in seen.values()]
        inputs = Inputs(
            site=row["site"], generated=today.isoformat(), said=said, assessment=row["token"],
            started=row["created_at"][:10], evidence=evidence, conflicts=conflicts, validated=set(profile.validated),
            assessors=assessors, finding_edits=work.finding_edits(aid),
            plan=[plan_item(p, today) for p in work.plan(aid)], delta=self._delta(principal, aid, profile, today),
        )  # fmt: skip
        return build_report(protocol, profile, inputs, self.citations)

    def _delta(self, principal: Principal, aid: int, profile: SiteProfile, today: date) -> Delta | None:
        """The change from the site's previous assessment (the newest one started before this one)."""
        svc = self.svc
        row = svc.store.assessment(aid)
        earlier = [a for a in svc.review.list_assessments({row["site"]})
                   if a["id"] != aid and (a["created_at"], a["id"]) < (row["created_at"], aid)]  # fmt: skip
        if not earlier:
            return None
        prev = earlier[0]  # newest first
        before = svc.assessment_profile(principal, prev["id"])
        comparable = prev["protocol"] == row["protocol"]
        old = {q.question_id: q for q in before.questions}
        changed = [QuestionChange(question_id=q.question_id, topic=q.topic, before=old[q.question_id].level,
                                  after=q.level) for q in profile.questions
                   if comparable and q.question_id in old and old[q.question_id].level != q.level]  # fmt: skip
        areas_before = {a.area: a.score for a in before.areas}
        return Delta(previous=str(prev["token"]), previous_date=prev["created_at"][:10],
                     previous_protocol=prev["protocol"], comparable=comparable, overall_before=before.overall,
                     overall_after=profile.overall,
                     areas=[AreaChange(area=a.area, name=a.name, before=areas_before.get(a.area), after=a.score)
                            for a in profile.areas],
                     questions=changed,
                     plan=[plan_item(p, today) for p in svc.assessor.workspace.plan(prev["id"])])  # fmt: skip

    # --- findings: the draft and the assessor's edits -----------------------------------------------------------------
    def findings(self, principal: Principal, assessment: int | str) -> list[Finding]:
        return self.for_assessment(principal, assessment).findings

    def edit_finding(self, principal: Principal, assessment: int | str, finding_id: str, action: str = "edit",
                     changes: dict[str, Any] | None = None, who: str = "") -> list[Finding]:  # fmt: skip
        """``edit`` (changes: title, observation, gap, recommendation, effort, priority, owner, due), ``drop``,
        ``restore``, ``add`` (changes: kind, area, title, observation, ...; the id is made here), or ``merge``
        (changes: {"with": another finding's id}: its observation and gap join this one's, and it is dropped; one
        transaction). Audited; the findings after the change are returned."""
        current, aid = self.svc.assessment_access(principal, assessment, "edit_findings")
        who = self.svc.who_for(current, " ".join(who.split())[:200])
        if not current.is_account and who == current.name:
            raise AssistantError("Enter your name to edit findings (it goes in the audit log).")
        findings = {f.id: f for f in self.findings(principal, aid)}
        changes = dict(changes or {})
        if action == "merge":
            other = findings.get(str(changes.get("with", "")))
            keep = findings.get(finding_id)
            if keep is None or other is None or other.id == keep.id:
                raise AssistantError("Name two different findings to merge.")
            merged = keep.model_copy(update={
                "observation": f"{keep.observation} {other.observation}",
                "gap": "; ".join(g for g in (keep.gap, other.gap) if g) or None,
                "citations": keep.citations + [c for c in other.citations if c not in keep.citations],
                "origin": "added" if keep.origin == "added" else "edited"})  # fmt: skip
            edits: list[dict[str, Any]] = [
                {"finding_id": keep.id, "action": "edit", "data": merged.model_dump(mode="json")},
                {"finding_id": other.id, "action": "drop", "data": None},
            ]
            before: dict[str, Any] = {f.id: f.model_dump(mode="json") for f in (keep, other)}
            self.svc.assessor.workspace.edit_findings(aid, edits, who, utcnow(), before)
            return self.findings(principal, aid)
        unknown = set(changes) - FINDING_KEYS - ({"kind", "area", "question_id"} if action == "add" else set())
        if unknown:
            raise AssistantError(f"Findings have no field {sorted(unknown)[0][:40]!r}.")
        if "due" in changes:
            changes["due"] = _date(changes["due"], "Due date")
        if action == "add":
            adds = sum(e["action"] == "add" for e in self.svc.assessor.workspace.finding_edits(aid))
            finding_id = f"F-A{adds + 1}"
            data = Finding.model_validate({"kind": "opportunity", **changes, "id": finding_id, "origin": "added"})
            edit: dict[str, Any] = {"finding_id": finding_id, "action": "add", "data": data.model_dump(mode="json")}
        elif action in ("drop", "restore"):
            edit = {"finding_id": finding_id, "action": action, "data": None}
        elif action == "edit" and finding_id in findings:
            data = Finding.model_validate({**findings[finding_id].model_dump(), **changes, "origin": "edited"})
            edit = {"finding_id": finding_id, "action": "edit", "data": data.model_dump(mode="json")}
        else:
            raise AssistantError(f"There is no finding {finding_id[:40]!r} to {action}.")
        prior: dict[str, Any] = {finding_id: findings[finding_id].model_dump(mode="json") if finding_id in findings
                                 else None}  # fmt: skip
        self.svc.assessor.workspace.edit_findings(aid, [edit], who, utcnow(), prior)
        return self.findings(principal, aid)

    # --- the improvement plan ---------------------------------------------------------------------------------------
    def plan(self, principal: Principal, assessment: int | str, today: date | None = None) -> list[PlanItem]:
        _, aid = self.svc.assessment_access(principal, assessment, "read_results")
        return [plan_item(p, today or utcnow().date()) for p in self.svc.assessor.workspace.plan(aid)]

    def save_plan_item(self, principal: Principal, assessment: int | str, item: dict[str, Any],
                       who: str = "") -> PlanItem:  # fmt: skip
        """Add (no ``id``) or change one plan item: an opportunity the site chose (``finding_id``), a goal, a
        measure, baseline, target, owner, due date; the follow-up check defaults to ``plan_follow_up_months``
        after the item is made. Audited."""
        current, aid = self.svc.assessment_access(principal, assessment, "edit_plan")
        work = self.svc.assessor.workspace
        existing = {p["id"]: p for p in work.plan(aid)}
        item_id = str(item.get("id") or f"P-{len(existing) + 1}")
        if item.get("id") and item_id not in existing:
            raise AssistantError(f"There is no plan item {item_id[:20]!r}.")
        unknown = set(item) - PLAN_KEYS - {"id"}
        if unknown:
            raise AssistantError(f"Plan items have no field {sorted(unknown)[0][:40]!r}.")
        base = {k: v for k, v in existing.get(item_id, {}).items() if not k.startswith("_")}
        data = {**base, **{k: v for k, v in item.items() if k != "id"}, "id": item_id}
        for key, what in (("due", "Due date"), ("follow_up", "Follow-up date")):
            data[key] = _date(data.get(key), what)
        finding = next((f for f in self.findings(principal, aid) if f.id == data.get("finding_id")), None)
        if data.get("finding_id") and finding is None:
            raise AssistantError(f"There is no finding {str(data['finding_id'])[:40]!r} to plan for.")
        if finding is not None and not data.get("opportunity"):
            data["opportunity"] = f"{finding.title}: {finding.gap or finding.observation}"
        if not data.get("follow_up"):
            data["follow_up"] = _months_after(utcnow().date(), self.svc.settings.plan_follow_up_months).isoformat()
        for key in ("opportunity", "goal", "measure"):
            data[key] = " ".join(str(data.get(key) or "").split())[:1000]
            if not data[key]:
                raise AssistantError(f"A plan item needs its {key}.")
        plan = PlanItem.model_validate(data)  # checks the status and every field's type
        self.svc.assessor.workspace.save_plan_item(aid, item_id, plan.model_dump(mode="json", exclude={"overdue"}),
                                                   self.svc.who_for(current, who), utcnow())  # fmt: skip
        return plan_item(plan.model_dump(), utcnow().date())

    # --- the whole assessment as JSON, and back ----------------------------------------------------------------------
    def export(self, principal: Principal, assessment: int | str) -> dict[str, Any]:
        """The report and the whole assessment (``store_transfer``): what ``qmm import`` restores."""
        _, aid = self.svc.assessment_access(principal, assessment, "read_results")
        report = self.for_assessment(principal, aid)
        return {"report": report.model_dump(mode="json"), "assessment": export_assessment(self.svc.store, aid)}

    def import_(self, principal: Principal, data: dict[str, Any]) -> str:
        """Restore an export (``export``'s JSON, or its ``assessment`` part) as a new assessment; admins only.
        Returns the new assessment's token."""
        current = self.svc.users.current(principal, utcnow())
        if not current.admin:
            raise AccessDenied("Only an admin (or the operator at the command line) may import an assessment.")
        body = data.get("assessment", data) if isinstance(data, dict) else None
        if not isinstance(body, dict) or body.get("format") != EXPORT_FORMAT:
            raise AssistantError("Not an assessment export (a JSON file from qmm report --format json).")
        self.svc.protocol_for(str(body.get("protocol", "")))  # a protocol this tool has, or a clear error

        def rewrite(state_json: str, interview_id: int, assessment_id: int) -> str:
            try:
                state = InterviewState.model_validate_json(state_json)
            except ValueError:
                return state_json  # repaired on resume
            return state.model_copy(update={"interview_id": interview_id, "assessment_id": assessment_id,
                                            "revision": 1}).model_dump_json()  # fmt: skip

        aid = import_assessment(self.svc.store, body, self.svc.who_for(current, ""), utcnow(), rewrite)
        return str(self.svc.store.assessment(aid)["token"])

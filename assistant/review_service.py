"""The service's calls about an assessment as a whole, beside its interviews: the list of assessments, the upgrade
to a newer protocol version, the compliance gate (never scored) and the records an assessor has seen. Reached as
``AssessmentService.reviews``; every call checks its principal through the service (``assistant.auth``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.answers import gate_value
from assistant.auth import Principal
from assistant.errors import AssistantError, ProtocolError
from assistant.interview import InterviewState
from assistant.interview.state import SaveDraft
from assistant.interview_service import utcnow
from assistant.protocol import Protocol, resolve_protocol_dir
from assistant.protocol.mapping import check_mapping, load_mapping, mapping_path
from assistant.protocol.models import assessor_only
from assistant.store import TurnWrite
from assistant.upgrade import UpgradeReport, carried_answers, upgrade_report

if TYPE_CHECKING:
    from assistant.service import AssessmentService

MAX_SEEN_RECORDS = 50


def rows_of(rows: list[dict[str, Any]], interview_id: int) -> list[dict[str, Any]]:
    return [r for r in rows if r["interview_id"] == interview_id]


class ReviewService:
    def __init__(self, service: AssessmentService) -> None:
        self.svc = service

    def gate(self, principal: Principal, assessment: int | str) -> tuple[Protocol, dict[str, str]]:
        """The assessment's protocol (its gate items) and the gate answers saved so far."""
        _, assessment_id = self.svc.assessment_access(principal, assessment, "read_results")
        return self.svc.protocol_of(assessment_id), self.svc.review.gate_answers(assessment_id)

    def assessments(self, principal: Principal) -> list[dict[str, Any]]:
        """The assessments this principal may see (its sites only), newest first."""
        current = self.svc.users.current(principal, utcnow())
        return self.svc.review.list_assessments(current.sites("read_results"))

    def finalise(self, principal: Principal, assessment: int | str, reason: str = "", who: str = "",
                 reopen: bool = False) -> None:  # fmt: skip
        """Finalise an assessment (locked: no answer, evidence, finding or plan changes), or reopen it, which needs a
        reason; both assessors only and audited. A new interview at the site then starts a new assessment."""
        current, aid = self.svc.assessment_access(principal, assessment, "finalise")
        reason = " ".join(reason.split())[:2000]
        if reopen and not reason:
            raise AssistantError("Give a reason for reopening the assessment (it goes in the audit log).")
        who = self.svc.who_for(current, " ".join(who.split())[:200])
        if not current.is_account and who == current.name:
            raise AssistantError("Enter your name (it goes in the audit log).")
        status = self.svc.store.assessment(aid)["status"]
        if (status == "final") != reopen:
            raise AssistantError("The assessment is already " + ("open." if reopen else "finalised."))
        self.svc.review.set_status(aid, "open" if reopen else "final", reason, who, utcnow())

    def upgrade_assessment(self, principal: Principal, assessment: int | str, to_version: int) -> UpgradeReport:
        """A new assessment of the same site on a newer protocol version, carrying the confirmed answers whose
        fields keep their meaning (the version's mapping file) as drafts "carried over: please reconfirm", one
        interview per old interview, in one transaction. The old assessment is left exactly as it was."""
        current, source_id = self.svc.assessment_access(principal, assessment, "upgrade_assessment")
        source = self.svc.store.assessment(source_id)
        old = self.svc.protocol_for(source["protocol"])
        new_ref = f"{old.meta.id}@{to_version}"
        if to_version <= old.meta.version:
            raise AssistantError(f"The assessment is on {old.ref}; it can only be upgraded to a later version.")
        try:
            new = self.svc.protocol_for(new_ref)
            folder = resolve_protocol_dir(self.svc.settings.protocols_dir, new_ref)
            mapping = load_mapping(mapping_path(folder, old.meta.version))
        except (ProtocolError, OSError, ValueError) as exc:
            raise AssistantError(f"Cannot upgrade to {new_ref}: {str(exc).splitlines()[0]}") from None
        issues = check_mapping(mapping, old, new)
        if issues:
            raise AssistantError(f"The mapping from {old.ref} to {new_ref} has {len(issues)} problem(s): {issues[0]}")
        facts = {k: v for k, v in self.svc.store.assessment_facts(source_id).items()
                 if k in {f.id for f in new.meta.site_facts}}  # fmt: skip
        rows = self.svc.store.confirmed_answers(source_id)
        entries = [{"source_id": i["id"], "interviewee": i["interviewee"], "role": i["role"],
                    "owner_id": i["owner_id"]} for i in self.svc.review.interviews_of(source_id)]  # fmt: skip
        drafts = {e["source_id"]: carried_answers(new, mapping, rows_of(rows, e["source_id"]))
                  for e in entries}  # fmt: skip

        def state_of(assessment_id: int, interview_id: int, entry: dict[str, Any]) -> TurnWrite:
            carried = drafts[entry["source_id"]]
            state = InterviewState(interview_id=interview_id, assessment_id=assessment_id,
                                   interviewee=entry["interviewee"], role=entry["role"], protocol=new.ref,
                                   facts=dict(facts), drafts=dict(carried), carried=list(carried))  # fmt: skip
            self.svc.flow.plan(state)
            step = self.svc.engine_for(new.ref).start(state)
            step.state.revision = 1
            intro = (f"This interview continues {entry['interviewee']}'s answers to {old.ref}: {len(carried)} "
                     f"answer(s) were carried over to {new.ref}. Each is shown for you to reconfirm, with what the new "
                     "version adds.")  # fmt: skip
            effects = [SaveDraft(question_id=q, answer=a).model_dump() for q, a in carried.items()]
            return TurnWrite(step.state.model_dump_json(), effects + [e.model_dump() for e in step.effects],
                             [("assistant", intro), *(("assistant", m) for m in step.messages if m)])  # fmt: skip

        who = self.svc.who_for(current, "")
        new_id = self.svc.review.upgrade_assessment(source_id, new.ref, facts, entries, state_of, who, utcnow())
        made = self.svc.store.assessment(new_id)
        return UpgradeReport(
            source=str(source["token"]), assessment=str(made["token"]), old_protocol=old.ref, new_protocol=new.ref,
            interviews=[{"interviewee": i["interviewee"], "role": i["role"], "token": str(i["token"])}
                        for i in self.svc.review.interviews_of(new_id)],
            carried_answers=sum(len(d) for d in drafts.values()),
            questions=upgrade_report(new, drafts, rows),
        )  # fmt: skip

    def seen(self, principal: Principal, assessment: int | str) -> dict[str, dict[str, Any]]:
        """Per question, the records an assessor has seen ({"records", "who", "at"})."""
        _, assessment_id = self.svc.assessment_access(principal, assessment, "read_results")
        return self.svc.review.seen_records(assessment_id)

    def set_gate(self, principal: Principal, assessment: int | str, values: dict[str, Any], who: str = "") -> None:
        """Save compliance-gate answers (item id -> answer; an empty answer clears the item); every bad value is
        named and nothing is saved. Audited (before, after). The gate is never scored."""
        current, assessment_id = self.svc.assessment_access(principal, assessment, "record_gate")
        protocol = self.svc.protocol_of(assessment_id)
        items = {i.id: i for i in protocol.meta.gate.items} if protocol.meta.gate else {}
        answers, problems = self.svc.review.gate_answers(assessment_id), []
        for name, raw in values.items():
            item = items.get(str(name))
            if item is None:
                problems.append(f"there is no gate item {str(name)[:60]!r} in {protocol.ref}")
                continue
            try:
                value = gate_value(item, raw)
            except ValueError as exc:
                problems.append(f"{item.label}: {exc}")
                continue
            if value is None:
                answers.pop(item.id, None)
            else:
                answers[item.id] = value
        if problems:
            raise AssistantError("Nothing was saved: " + "; ".join(problems) + ".")
        who = self.svc.who_for(current, " ".join(who.split())[:200])
        self.svc.review.set_gate(assessment_id, answers, who, utcnow())

    def mark_seen(self, principal: Principal, assessment: int | str, question_id: str, records: list[str],
                  who: str = "") -> None:  # fmt: skip
        """An assessor lists the records they have seen for one question (title, number, date of each); this list
        replaces the previous one for scoring (the old one stays in the audit log). Assessors only."""
        current, assessment_id = self.svc.assessment_access(principal, assessment, "mark_seen")
        protocol = self.svc.protocol_of(assessment_id)
        question = protocol.question(question_id)
        if question is None or not any(assessor_only(f) for f in question.fields):
            raise AssistantError(f"{question_id[:20]} has no field for records an assessor has seen in "
                                 f"{protocol.ref}.")  # fmt: skip
        items = [" ".join(str(r).split())[:300] for r in records]
        items = [r for r in items if r]
        if len(items) > MAX_SEEN_RECORDS:
            raise AssistantError(f"List at most {MAX_SEEN_RECORDS} records for one question.")
        who = self.svc.who_for(current, " ".join(who.split())[:200])
        if not current.is_account and who == current.name:
            raise AssistantError("Enter your name to record what you have seen (it goes in the audit log).")
        self.svc.review.record_seen(assessment_id, question.id, items, who, utcnow())

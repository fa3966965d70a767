"""The assessor's workspace (``AssessmentService.assessor``): every question with each interviewee's answer side by
side (conflicts first), the validated answer, and the evidence register with its claimed / seen status.

A validated answer is final: the assessor picks one interviewee's answer, or writes the consolidated values, with a
reason (audited); it scores ahead of any conflict rule while the interviewees' answers it was made on are unchanged.
Evidence is an uploaded file (kept by SHA-256, never overwritten), a passage of an ingested site document, or a named
record; marking an item seen is for assessors, and the rubric of protocol v2 counts seen items at levels 4 and 5.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from assistant.answers import coerce_value
from assistant.auth import Principal
from assistant.conflicts import HeardAnswer, differ, scored_answer, versions_of
from assistant.errors import AssistantError
from assistant.evidence_files import read_file, store_file
from assistant.interview import label_value
from assistant.interview_service import utcnow
from assistant.protocol.models import FieldType, Protocol, Question, interviewee_fields
from assistant.rubric import ConfirmedAnswer, Value
from assistant.store_workspace import Workspace

if TYPE_CHECKING:
    from assistant.service import AssessmentService

MAX_REASON = 2000
MAX_TITLE = 300


class AnswerView(BaseModel):
    """One interviewee's answer as the assessor reads it."""

    interview: str = Field(description="The interview's token.")
    interviewee: str
    role: str
    status: str
    level: int | None
    fields: list[tuple[str, str, str]] = Field(description="(label, value by its labels, the quoted words).")
    na_justification: str | None = None
    version: int
    at: str
    history: list[dict[str, Any]] = Field(default_factory=list, description="Every saved version: status, who, at.")


class QuestionView(BaseModel):
    question_id: str
    topic: str
    area: str
    conflict: bool
    validated: dict[str, Any] | None = Field(default=None, description="The validation that holds, if any.")
    answers: list[AnswerView]
    evidence: list[dict[str, Any]]


def validation_holds(answers: list[HeardAnswer], validation: dict[str, Any] | None) -> dict[str, Any] | None:
    """The validation, if the interviewees' answers are still the ones it was made on."""
    if not validation or validation.get("versions") != versions_of(answers):
        return None
    return validation


def validated_answer(question_id: str, validation: dict[str, Any], answers: list[HeardAnswer]) -> ConfirmedAnswer:
    chosen = next((a for a in answers if a.interview_id == validation.get("chosen_interview_id")), None)
    spans = chosen.spans if chosen is not None else {}
    return ConfirmedAnswer(question_id=question_id, values=dict(validation["values"]), spans=spans)


def scored_final(
    protocol: Protocol,
    question_id: str,
    heard: list[HeardAnswer],
    validation: dict[str, Any] | None,
    resolution: dict[str, Any] | None,
    items: list[dict[str, Any]],
) -> tuple[ConfirmedAnswer, bool]:
    """The answer a question is scored on, and whether it is validated: the assessor's validation while it holds,
    else the conflict rule (``conflicts.scored_answer``); the evidence register's items join its evidence lists."""
    final = validation_holds(heard, validation)
    answer = validated_answer(question_id, final, heard) if final else scored_answer(heard, resolution).confirmed()
    question = protocol.question(question_id)
    extra = evidence_values(question, items) if question is not None else {}
    if extra and answer.na_justification is None:
        merged: dict[str, Value] = {}
        for fid, titles in extra.items():
            before = answer.values.get(fid)
            merged[fid] = list(dict.fromkeys([*(before if isinstance(before, list) else []), *titles]))
        answer = answer.model_copy(update={"values": {**answer.values, **merged}})
    return answer, final is not None


def evidence_values(question: Question, items: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The evidence register's items for one question as field values: claimed items join the claimed evidence
    list, seen ones the seen list (what the rubric counts)."""
    out: dict[str, list[str]] = {}
    for f in question.fields:
        if f.type is not FieldType.EVIDENCE_LIST or f.evidence_status is None:
            continue
        out[f.id] = [i["title"] for i in items if i["status"] == f.evidence_status]
    return {k: v for k, v in out.items() if v}


class AssessorService:
    def __init__(self, service: AssessmentService) -> None:
        self.svc = service

    @cached_property
    def workspace(self) -> Workspace:
        return Workspace(self.svc.store)

    @property
    def files(self) -> Any:
        return self.svc.settings.data_dir / "evidence"

    # --- answers side by side --------------------------------------------------------------------------------------
    def review(self, principal: Principal, assessment: int | str) -> list[QuestionView]:
        """Every question answered by anyone, each interviewee's answer side by side; conflicts first."""
        _, aid = self.svc.assessment_access(principal, assessment, "read_results")
        protocol = self.svc.protocol_of(aid)
        heard = self.svc.heard_answers(aid)
        validations = self.workspace.validations(aid)
        evidence = self.workspace.evidence(aid)
        out = []
        for question in protocol.active_questions:
            answers = heard.get(question.id, [])
            items = [e for e in evidence if e["question_id"] == question.id]
            if not answers and not items:
                continue
            history = self.svc.store.answer_history(aid, question.id)
            roles = {r.id: r.label for r in protocol.meta.roles}
            out.append(QuestionView(
                question_id=question.id, topic=question.topic, area=question.area, conflict=differ(answers),
                validated=validation_holds(answers, validations.get(question.id)),
                answers=[self._view(question, a, history, roles.get(a.role, a.role)) for a in answers],
                evidence=items,
            ))  # fmt: skip
        return sorted(out, key=lambda q: not q.conflict)  # stable: conflicts first, then protocol order

    @staticmethod
    def _view(question: Question, a: HeardAnswer, history: list[dict[str, Any]], role: str) -> AnswerView:
        fields = [(f.label, "not stated" if a.values.get(f.id) is None else label_value(f, a.values[f.id]),
                   a.spans.get(f.id, "")) for f in interviewee_fields(question)]  # fmt: skip
        mine = [{"version": h["version"], "status": h["status"], "who": h["who"], "at": h["at"]}
                for h in history if h["interview_id"] == a.interview_id]  # fmt: skip
        return AnswerView(interview=a.interview_token, interviewee=a.interviewee, role=role, status=a.status,
                          level=a.level, fields=fields, na_justification=a.na_justification, version=a.version,
                          at=a.at, history=mine)  # fmt: skip

    def validate(self, principal: Principal, assessment: int | str, question_id: str, reason: str,
                 chosen: str | None = None, values: dict[str, Any] | None = None, who: str = "") -> None:  # fmt: skip
        """Make one question's answer final: ``chosen`` (an interview token) takes that interviewee's answer;
        ``values`` (field -> value, labels accepted) is the assessor's own consolidated answer. Audited."""
        current, aid = self.svc.assessment_access(principal, assessment, "validate")
        protocol = self.svc.protocol_of(aid)
        question = protocol.question(question_id)
        if question is None:
            raise AssistantError(f"There is no question {question_id[:20]} in {protocol.ref}.")
        reason = " ".join(reason.split())[:MAX_REASON]
        who = self.svc.who_for(current, " ".join(who.split())[:200])
        if not current.is_account and who == current.name:
            raise AssistantError("Enter your name to validate an answer (it goes in the audit log).")
        if not reason:
            raise AssistantError("Give a reason for the validated answer (it goes in the audit log).")
        answers = self.svc.heard_answers(aid).get(question.id, [])
        if not answers:
            raise AssistantError(f"{question.id} has no confirmed answer to validate yet.")
        if chosen:
            picked = next((a for a in answers if a.interview_token == chosen), None)
            if picked is None:
                raise AssistantError(f"That interview has no confirmed answer to {question.id}.")
            final, chosen_id = dict(picked.values), picked.interview_id
        else:
            final, chosen_id = self._consolidated(protocol, question, values or {}), None
        before = {str(a.interview_id): {"who": a.interviewee, "values": a.values, "version": a.version}
                  for a in answers}  # fmt: skip
        self.workspace.validate(aid, question.id, chosen_id, final, versions_of(answers), reason, who, utcnow(),
                                before)  # fmt: skip

    @staticmethod
    def _consolidated(protocol: Protocol, question: Question, values: dict[str, Any]) -> dict[str, Value]:
        from assistant.interview.forms import find_field, read_value

        out: dict[str, Value] = {}
        problems = []
        for name, raw in values.items():
            field = find_field(question, str(name))
            if field is None:
                problems.append(f"there is no field {str(name)[:40]!r} in {question.id}")
                continue
            try:
                value = read_value(field, raw) if isinstance(raw, str | list) else coerce_value(field, raw)
            except ValueError as exc:
                problems.append(f"{field.label}: {exc}")
                continue
            if value is not None:
                out[field.id] = value
        if problems:
            raise AssistantError("Nothing was saved: " + "; ".join(problems) + ".")
        return out

    # --- the evidence register ---------------------------------------------------------------------------------------
    def evidence(self, principal: Principal, assessment: int | str) -> list[dict[str, Any]]:
        _, aid = self.svc.assessment_access(principal, assessment, "read_results")
        return self.workspace.evidence(aid)

    def _question(self, aid: int, question_id: str) -> Question:
        protocol = self.svc.protocol_of(aid)
        question = protocol.question(question_id)
        if question is None:
            raise AssistantError(f"There is no question {question_id[:20]} in {protocol.ref}.")
        return question

    def add_file(self, principal: Principal, assessment: int | str, question_id: str, name: str, data: bytes,
                 who: str = "") -> int:  # fmt: skip
        """An uploaded file as evidence for a question (status claimed); kept by its SHA-256."""
        current, aid = self.svc.assessment_access(principal, assessment, "add_evidence")
        question = self._question(aid, question_id)
        title = " ".join(name.split())[:MAX_TITLE] or "unnamed file"
        sha, size, kind = store_file(self.files, data)
        item = {"question_id": question.id, "kind": "file", "title": title, "status": "claimed", "sha256": sha,
                "size": size, "media_type": kind}  # fmt: skip
        return self.workspace.add_evidence(aid, item, self.svc.who_for(current, who), utcnow())

    def add_record(self, principal: Principal, assessment: int | str, question_id: str, title: str,
                   passage: str | None = None, who: str = "") -> int:  # fmt: skip
        """A named record, or (``passage``: its id from ``qmm search --collection site``) a passage of an ingested
        site document, as evidence for a question (status claimed)."""
        current, aid = self.svc.assessment_access(principal, assessment, "add_evidence")
        question = self._question(aid, question_id)
        ref = None
        if passage:
            chunk = self.svc.ready_index().chunks("site").get(passage)
            if chunk is None:
                raise AssistantError("There is no such passage among the ingested site documents (qmm search "
                                     "--collection site shows their ids).")  # fmt: skip
            ref = {"id": chunk.id, "title": chunk.title, "page": chunk.page, "heading": chunk.heading}
            title = title or ", ".join(str(x) for x in (chunk.title, chunk.page and f"p. {chunk.page}", chunk.heading)
                                       if x)  # fmt: skip
        title = " ".join(title.split())[:MAX_TITLE]
        if not title:
            raise AssistantError("Name the record (title, number, date).")
        item = {"question_id": question.id, "kind": "passage" if ref else "named", "title": title,
                "status": "claimed", "passage": ref}  # fmt: skip
        return self.workspace.add_evidence(aid, item, self.svc.who_for(current, who), utcnow())

    def set_status(self, principal: Principal, assessment: int | str, item_id: int, status: str,
                   who: str = "") -> None:  # fmt: skip
        """Mark an item seen by the assessor (assessors only), or back to claimed."""
        if status not in ("claimed", "seen"):
            raise AssistantError("An evidence item is 'claimed' or 'seen'.")
        current, aid = self.svc.assessment_access(principal, assessment, "mark_seen")
        who = self.svc.who_for(current, " ".join(who.split())[:200])
        if not current.is_account and who == current.name:
            raise AssistantError("Enter your name to mark evidence seen (it goes in the audit log).")
        self.workspace.set_evidence_status(aid, item_id, status, who, utcnow())

    def file(self, principal: Principal, assessment: int | str, item_id: int) -> tuple[str, str, bytes]:
        """(name, media type, bytes) of an evidence file, for download."""
        _, aid = self.svc.assessment_access(principal, assessment, "read_results")
        item = next((e for e in self.workspace.evidence(aid) if e["id"] == item_id and e["sha256"]), None)
        if item is None:
            raise AssistantError("There is no such evidence file in this assessment.")
        return item["title"], item["media_type"] or "application/octet-stream", read_file(self.files, item["sha256"])

    def requests(self, principal: Principal, assessment: int | str) -> list[dict[str, Any]]:
        """What each question's next level needs in records that are not there yet, per owner role: a list to send
        to the site before an on-site visit ({"role", "items": [{"question_id", "topic", "level", "need"}]})."""
        _, aid = self.svc.assessment_access(principal, assessment, "read_results")
        protocol = self.svc.protocol_of(aid)
        profile = self.svc.assessment_profile(principal, assessment)
        roles = {r.id: r.label for r in protocol.meta.roles}
        by_role: dict[str, list[dict[str, Any]]] = {}
        for score in profile.questions:
            question = protocol.question(score.question_id)
            if question is None or score.status == "not_applicable" or score.status == "na":
                continue
            evidence_fields = {f.id for f in question.fields if f.type is FieldType.EVIDENCE_LIST}
            level = score.next_level if score.status == "scored" else 3
            needs = [r for r in score.missing_for_next if r.field in evidence_fields] if score.status == "scored" \
                else [c for c in question.levels.get(3, []) if c.field in evidence_fields]  # fmt: skip
            for need in needs:
                text = getattr(need, "recommendation", None) or next(
                    (c.recommendation for c in question.levels.get(level or 3, []) if c.field == need.field
                     and c.why == need.why), None) or need.why or ""  # fmt: skip
                item = {"question_id": question.id, "topic": question.topic, "level": level, "need": text}
                for role in question.roles[:1]:  # the question's first role owns its records
                    by_role.setdefault(roles.get(role, role), []).append(item)
        return [{"role": role, "items": items} for role, items in sorted(by_role.items())]

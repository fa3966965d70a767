"""The role x site access matrix: every service call that reads or writes assessment data, for every kind of caller
(admin, assessor, site staff, learner, a disabled account, an expired session), on its own site and on another
site. Exactly the allowed calls succeed; every other one raises AccessDenied before anything is read or written,
and no caller but an admin ever sees another site's data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from assistant.auth import AccessDenied, Principal, SessionExpired
from assistant.errors import AssistantError
from assistant.interview_service import utcnow
from assistant.service import AssessmentService
from tests.test_service import LOCAL, POOR, POOR_FORM, RICH, RICH_FORM, answer_and_confirm, fake_service, to_question

OWN, OTHER = "Site Alder", "Site Birch"
PASSWORD = "long enough password"
OPERATOR = Principal.operator()
CALLERS = ("admin", "assessor", "site_staff", "learner", "disabled", "expired")


def seed_site(svc: AssessmentService, site: str) -> dict[str, Any]:
    """Two interviewees with different confirmed answers to MC-01 (a conflict), made in local mode."""
    first = answer_and_confirm(svc, to_question(svc, svc.start_interview(LOCAL, site, f"{site} QA", "qa_head")),
                               RICH, RICH_FORM)  # fmt: skip
    second = answer_and_confirm(svc, to_question(svc, svc.start_interview(LOCAL, site, f"{site} Head", "site_head"),
                                                 ()), POOR, POOR_FORM)  # fmt: skip
    return {"interview": first.interview_token, "id": first.state.interview_id, "assessment": first.assessment_token,
            "chosen": second.interview_token, "site": site}  # fmt: skip


@pytest.fixture
def world(tmp_path: Path) -> tuple[AssessmentService, dict[str, dict[str, Any]], dict[str, Principal]]:
    svc = fake_service(tmp_path / "data")
    sites = {"own": seed_site(svc, OWN), "other": seed_site(svc, OTHER)}
    users = svc.users
    users.add(OPERATOR, "Ada Admin", PASSWORD, admin=True)
    for name, role in (("Asa Assessor", "assessor"), ("Sam Staff", "site_staff"), ("Lee Learner", "learner"),
                       ("Dee Disabled", "site_staff"), ("Eve Expired", "site_staff")):  # fmt: skip
        users.add(OPERATOR, name, PASSWORD)
        users.grant(OPERATOR, name, OWN, role)
    users.grant(OPERATOR, "Sam Staff", OTHER, "learner")  # a learner grant elsewhere opens nothing there
    now = utcnow()
    names = dict(zip(CALLERS, ("Ada Admin", "Asa Assessor", "Sam Staff", "Lee Learner", "Dee Disabled",
                               "Eve Expired"), strict=True))  # fmt: skip
    principals = {}
    for caller, name in names.items():
        at = now - timedelta(hours=13) if caller == "expired" else now
        principals[caller] = svc.session_principal(name, f"login-token-of-{caller}", at)
    users.disable(OPERATOR, "Dee Disabled")
    return svc, sites, principals


def fresh_state(svc: AssessmentService, where: dict[str, Any]) -> Any:
    return svc.resume_interview(OPERATOR, where["interview"]).state


def past_access(call: Callable[[], Any]) -> Any:
    """True when the call got past the access check: it returned, or failed for another reason (an upgrade of a
    version-2 assessment has nowhere to go), but was not refused."""
    try:
        call()
    except AccessDenied:
        raise
    except AssistantError:
        pass
    return True


CALLS: dict[str, Callable[[AssessmentService, Principal, dict[str, Any]], Any]] = {
    "list interviews": lambda s, p, w: [i for i in s.interviews(p) if i["site"] == w["site"]] or None,
    "start interview": lambda s, p, w: s.start_interview(p, w["site"], "", "qa_head"),
    "answer in own interview": lambda s, p, w: s.turn(p, s.start_interview(p, w["site"], "", "qa_head").state, "no"),
    "resume by token": lambda s, p, w: s.resume_interview(p, w["interview"]),
    "resume by id": lambda s, p, w: s.resume_interview(p, w["id"]),
    "answer in another's interview": lambda s, p, w: s.turn(p, fresh_state(s, w), "why"),
    "submit form in another's": lambda s, p, w: s.submit_form(p, fresh_state(s, w), {"measurable": "Yes"}),
    "edit another's card": lambda s, p, w: s.apply_edits(p, fresh_state(s, w), {"measurable": "partly"}),
    "assessment of interview": lambda s, p, w: s.assessment_ref(p, w["interview"]),
    "heard answers": lambda s, p, w: s.heard(p, w["assessment"]),
    "conflicts": lambda s, p, w: s.conflicts(p, w["assessment"]),
    "site profile": lambda s, p, w: s.assessment_profile(p, w["assessment"]),
    "resolve conflict": lambda s, p, w: s.resolve_conflict(p, w["assessment"], "MC-01", w["chosen"], "seen it"),
    "list assessments": lambda s, p, w: [a for a in s.reviews.assessments(p) if a["site"] == w["site"]] or None,
    "gate answers": lambda s, p, w: s.reviews.gate(p, w["assessment"]),
    "records seen": lambda s, p, w: s.reviews.seen(p, w["assessment"]),
    "answer the gate": lambda s, p, w: past_access(lambda: s.reviews.set_gate(p, w["assessment"],
                                                                              {"us_commercial_product": "yes"})),
    "mark records seen": lambda s, p, w: past_access(lambda: s.reviews.mark_seen(p, w["assessment"], "MC-01",
                                                                                 ["Objectives cascade 2026"])),
    "upgrade assessment": lambda s, p, w: past_access(lambda: s.reviews.upgrade_assessment(p, w["assessment"], 3)),
    "answers side by side": lambda s, p, w: s.assessor.review(p, w["assessment"]),
    "evidence register": lambda s, p, w: s.assessor.evidence(p, w["assessment"]),
    "evidence requests": lambda s, p, w: s.assessor.requests(p, w["assessment"]),
    "report": lambda s, p, w: s.reports.for_assessment(p, w["assessment"]),
    "export": lambda s, p, w: s.reports.export(p, w["assessment"]),
    "validate": lambda s, p, w: past_access(lambda: s.assessor.validate(p, w["assessment"], "MC-01", "seen it",
                                                                         chosen=w["chosen"])),
    "add evidence": lambda s, p, w: s.assessor.add_record(p, w["assessment"], "MC-01", "Quality plan 2026"),
    "mark evidence seen": lambda s, p, w: past_access(lambda: s.assessor.set_status(p, w["assessment"], 10**6, "seen")),
    "edit findings": lambda s, p, w: past_access(lambda: s.reports.edit_finding(p, w["assessment"], "F-A1", "drop")),
    "save plan item": lambda s, p, w: s.reports.save_plan_item(p, w["assessment"], {"opportunity": "o", "goal": "g",
                                                                                    "measure": "m"}),
    "finalise and reopen": lambda s, p, w: past_access(lambda: (s.reviews.finalise(p, w["assessment"], "done"),
                                                                s.reviews.finalise(p, w["assessment"], "again",
                                                                                   reopen=True))),
    "import": lambda s, p, w: past_access(lambda: s.reports.import_(p, {"format": "qmm-assessment"})),
    "ask guidance": lambda s, p, w: s.ask(p, "what is QMM"),
    "manage users": lambda s, p, w: s.users.list(p),
}


def expected(caller: str, call: str, where: str) -> bool:
    """The permission table, written out independently of assistant.auth."""
    if caller in ("disabled", "expired"):
        return False
    if call == "ask guidance":
        return True
    if call in ("manage users", "import") or caller == "admin":
        return caller == "admin"
    if where == "other" or caller == "learner":
        return False
    if call in ("answer in another's interview", "submit form in another's", "edit another's card"):
        return False  # an account answers only in interviews it started
    if call == "import":
        return False  # admins only (above)
    if call in ("resolve conflict", "mark records seen", "upgrade assessment", "validate", "mark evidence seen",
                "edit findings", "finalise and reopen"):
        return caller == "assessor"
    return True


def audit_rows(svc: AssessmentService) -> int:
    with svc.store.engine.begin() as conn:
        return int(conn.execute(text("SELECT count(*) FROM audit_events")).scalar() or 0)


def test_the_role_by_site_access_matrix(world: tuple[AssessmentService, dict[str, Any], dict[str, Principal]]) -> None:
    svc, sites, principals = world
    got: dict[tuple[str, str, str], bool] = {}
    refusals: dict[tuple[str, str, str], AccessDenied] = {}
    for caller, principal in principals.items():
        for call, fn in CALLS.items():
            for where, site in sites.items():
                before = audit_rows(svc)
                try:
                    got[caller, call, where] = fn(svc, principal, site) is not None
                except AccessDenied as exc:
                    got[caller, call, where] = False
                    refusals[caller, call, where] = exc
                    assert audit_rows(svc) == before, (caller, call, where)  # refused before writing anything
    for (caller, _, _), refusal in refusals.items():
        message = str(refusal)
        assert message.endswith((".", ")")), message  # a sentence for the user
        if caller == "expired":
            assert isinstance(refusal, SessionExpired)
            assert "Your session has expired; log in again" in message
        if caller == "disabled":
            assert "disabled" in message
    wrong = {key: allowed for key, allowed in got.items() if allowed != expected(*key)}
    assert wrong == {}
    assert len(got) == len(CALLERS) * len(CALLS) * 2  # 396 cells
    allowed = {caller: sum(v for (c, _, _), v in got.items() if c == caller) for caller in CALLERS}
    assert allowed == {"admin": 66, "assessor": 29, "site_staff": 22, "learner": 2, "disabled": 0, "expired": 0}


def test_no_cross_site_reads(world: tuple[AssessmentService, dict[str, Any], dict[str, Principal]]) -> None:
    svc, sites, principals = world
    cross = 0
    for caller in ("assessor", "site_staff", "learner"):
        principal = principals[caller]
        cross += sum(i["site"] != OWN for i in svc.interviews(principal))
        cross += sum(a["site"] != OWN for a in svc.reviews.assessments(principal))
        for read in (svc.heard, svc.conflicts, svc.assessment_profile, svc.reviews.gate, svc.reviews.seen):
            try:
                read(principal, sites["other"]["assessment"])
                cross += 1
            except AccessDenied:
                pass
    assert cross == 0
    assert {i["site"] for i in svc.interviews(principals["site_staff"])} == {OWN}
    assert svc.interviews(principals["learner"]) == []
    assert {i["site"] for i in svc.interviews(principals["admin"])} == {OWN, OTHER}


def test_who_in_answers_and_audit_is_the_account(world: tuple[AssessmentService, dict[str, Any],
                                                               dict[str, Principal]]) -> None:  # fmt: skip
    svc, sites, principals = world
    staff = principals["site_staff"]
    turn = svc.start_interview(staff, OWN, "Interviewee label", "qa_head")
    assert turn.state.interviewee == "Interviewee label"
    turn = svc.turn(staff, turn.state, "no")
    events = [e for e in svc.store.audit() if e["entity"] == "interview" or e["action"] == "set_facts"]
    assert events[-1]["who"] == "Sam Staff"
    svc.resolve_conflict(principals["assessor"], sites["own"]["assessment"], "MC-01", sites["own"]["chosen"],
                         "saw the records", who="Somebody Else")  # fmt: skip
    event = [e for e in svc.store.audit() if e["action"] == "resolve_conflict"][-1]
    assert event["who"] == "Asa Assessor"  # the account, not a typed name
    assert turn.interview_token
    assert not turn.interview_token.isdigit()


def test_a_revoked_grant_and_a_new_password_hold_at_once(world: tuple[AssessmentService, dict[str, Any],
                                                                     dict[str, Principal]]) -> None:  # fmt: skip
    svc, sites, principals = world
    staff = principals["site_staff"]
    svc.resume_interview(staff, sites["own"]["interview"])
    svc.users.grant(OPERATOR, "Sam Staff", OWN, "site_staff", revoke=True)
    with pytest.raises(AccessDenied, match="may not open interviews"):
        svc.resume_interview(staff, sites["own"]["interview"])
    assessor = principals["assessor"]
    svc.users.passwd(OPERATOR, "Asa Assessor", "a brand new password")
    with pytest.raises(SessionExpired):
        svc.heard(assessor, sites["own"]["assessment"])


def test_local_mode_ends_when_an_account_exists(tmp_path: Path) -> None:
    svc = fake_service(tmp_path / "data")
    assert svc.local_mode()
    svc.start_interview(LOCAL, OWN, "Ann", "qa_head")
    svc.users.add(LOCAL, "First Admin", PASSWORD, admin=True)  # the local user may create the first account
    assert not svc.local_mode()
    with pytest.raises(AccessDenied, match="local single-user mode has ended"):
        svc.interviews(LOCAL)
    with pytest.raises(AccessDenied):
        svc.users.add(LOCAL, "Second", PASSWORD)

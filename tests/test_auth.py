"""Accounts: argon2 passwords, sessions that expire (``now`` passed in, no sleeping), unguessable interview tokens,
local single-user mode only without accounts and only on loopback, the ``qmm user`` commands (password from stdin,
never argv), login in the served app, and a public /config that names no site or person."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from assistant.auth import (
    SESSION_IDLE,
    AccessDenied,
    Principal,
    SessionExpired,
    can,
    hash_password,
    is_loopback,
    session_expired,
    verify_password,
)
from assistant.cli import main
from assistant.errors import AssistantError
from assistant.service import AssessmentService
from assistant.ui.app import NOT_LOOPBACK, build_app, check_bind
from tests.test_service import LOCAL, fake_service

OPERATOR = Principal.operator()
PASSWORD = "correct horse battery staple"
T0 = datetime(2026, 11, 1, 8, 0)


@pytest.fixture
def svc(tmp_path: Path) -> AssessmentService:
    return fake_service(tmp_path / "data")


# --- passwords -----------------------------------------------------------------------------------------------------
def test_passwords_are_argon2_hashes_and_only_the_right_one_opens(svc: AssessmentService) -> None:
    stored = hash_password(PASSWORD)
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert verify_password(stored, PASSWORD)
    assert not verify_password(stored, PASSWORD + "!")
    assert not verify_password(None, PASSWORD)  # an unknown user
    assert not verify_password("not a hash", PASSWORD)
    with pytest.raises(AssistantError, match="at least 10 characters"):
        hash_password("short")
    svc.users.add(OPERATOR, "Ann", PASSWORD)
    assert svc.login("Ann", PASSWORD)
    assert not svc.login("Ann", "wrong password!!")
    assert not svc.login("Nobody", PASSWORD)
    svc.users.disable(OPERATOR, "Ann")
    assert not svc.login("Ann", PASSWORD)  # a disabled account cannot log in
    svc.users.disable(OPERATOR, "Ann", disabled=False)
    assert svc.login("Ann", PASSWORD)
    raw = (svc.settings.data_dir / "qmm.sqlite3").read_bytes()
    assert PASSWORD.encode() not in raw


# --- sessions ------------------------------------------------------------------------------------------------------
def test_session_expiry_is_idle_time(svc: AssessmentService) -> None:
    assert timedelta(hours=12) == SESSION_IDLE
    assert not session_expired(T0, T0 + timedelta(hours=11, minutes=59))
    assert session_expired(T0, T0 + timedelta(hours=12, minutes=1))
    svc.users.add(OPERATOR, "Ann", PASSWORD)
    svc.users.grant(OPERATOR, "Ann", "Harford", "site_staff")
    me = svc.session_principal("Ann", "gradio-login-token", T0)
    assert me.session
    assert "gradio-login-token" not in me.session
    assert svc.users.current(me, T0 + timedelta(hours=11)).roles_at("Harford") == {"site_staff"}  # seen: renewed
    assert svc.users.current(me, T0 + timedelta(hours=22)).name == "Ann"  # 11 h idle since
    with pytest.raises(SessionExpired, match="Your session has expired; log in again"):
        svc.users.current(me, T0 + timedelta(hours=34, minutes=1))
    with pytest.raises(SessionExpired):  # the same login token stays expired
        svc.session_principal("Ann", "gradio-login-token", T0 + timedelta(hours=35))
    again = svc.session_principal("Ann", "a new login", T0 + timedelta(hours=35))  # logging in again opens one
    assert svc.users.current(again, T0 + timedelta(hours=36)).name == "Ann"
    with pytest.raises(SessionExpired):  # a token is bound to the account that logged in with it
        svc.session_principal("Bob", "a new login", T0 + timedelta(hours=36))
    with pytest.raises(SessionExpired):
        svc.users.current(Principal(name="Ann", user_id=me.user_id), T0)  # no session at all
    svc.logout(again)
    with pytest.raises(SessionExpired, match="expired"):  # logged out: that login is over
        svc.session_principal("Ann", "a new login")


def test_permission_table_is_per_site() -> None:
    staff = Principal(name="s", user_id=1, grants=frozenset({("A", "site_staff"), ("B", "learner")}))
    assert can(staff, "read_interview", "A")
    assert not can(staff, "read_interview", "B")
    assert not can(staff, "resolve_conflict", "A")
    assert can(staff, "guidance")
    assert not can(staff, "manage_users")
    assert staff.sites("read_interview") == {"A"}
    assessor = Principal(name="a", user_id=2, grants=frozenset({("A", "assessor")}))
    assert can(assessor, "resolve_conflict", "A")
    assert not can(assessor, "resolve_conflict", "B")
    admin = Principal(name="x", user_id=3, admin=True)
    assert can(admin, "resolve_conflict", "anywhere")
    assert admin.sites("read_interview") is None
    assert can(Principal.local(), "manage_users")


# --- references in URLs --------------------------------------------------------------------------------------------
def test_interview_and_assessment_references_are_unguessable(svc: AssessmentService) -> None:
    turns = [svc.start_interview(LOCAL, "Harford", f"Person {n}", "qa_head") for n in range(30)]
    tokens = [t.interview_token for t in turns]
    assert len(set(tokens)) == 30
    assert all(len(t) >= 22 and not t.isdigit() for t in tokens)  # 128 random bits each
    assert len({t.assessment_token for t in turns}) == 1  # one open assessment for the site
    assert svc.resume_interview(LOCAL, tokens[3]).state.interview_id == turns[3].state.interview_id
    with pytest.raises(AssistantError, match="no such interview"):
        svc.resume_interview(LOCAL, str(turns[3].state.interview_id))  # a number typed in a URL is not a reference
    with pytest.raises(AssistantError, match="no such assessment"):
        svc.assessment_profile(LOCAL, str(turns[0].state.assessment_id))


# --- local mode ----------------------------------------------------------------------------------------------------
def test_local_mode_only_without_accounts_and_only_on_loopback(tmp_path: Path) -> None:
    assert is_loopback("127.0.0.1")
    assert is_loopback("localhost")
    assert is_loopback("::1")
    assert is_loopback("127.0.0.2")
    assert not is_loopback("0.0.0.0")
    assert not is_loopback("192.168.1.4")
    assert not is_loopback("example.org")
    for host, local_ok in (("127.0.0.1", True), ("0.0.0.0", False), ("10.0.0.5", False)):
        svc = fake_service(tmp_path / host)
        svc.settings = svc.settings.model_copy(update={"host": host})
        if local_ok:
            assert check_bind(svc) is True
        else:
            with pytest.raises(AssistantError, match="only binds to 127.0.0.1") as refused:
                check_bind(svc)
            assert str(refused.value) == NOT_LOOPBACK
        svc.users.add(OPERATOR, "Admin", PASSWORD, admin=True)
        assert check_bind(svc) is False  # accounts exist: login required, any address


def test_serve_elsewhere_without_accounts_is_refused(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    monkeypatch.setenv("QMM_HOST", "0.0.0.0")
    monkeypatch.setenv("QMM_EMBEDDINGS", "fake")
    monkeypatch.setenv("QMM_VECTOR_STORE", "memory")
    assert main(["serve"]) == 1
    assert "qmm user add NAME --admin" in capsys.readouterr().err


# --- qmm user ------------------------------------------------------------------------------------------------------
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str],
        stdin: str = "") -> tuple[int, str]:  # fmt: skip
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_user_commands(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                       fake_settings: Any) -> None:  # fmt: skip
    code, out = run(monkeypatch, capsys, ["user", "add", "Ann Admin", "--password-stdin", "--admin"], PASSWORD + "\n")
    assert code == 0, out
    assert "login is now required" in out
    assert run(monkeypatch, capsys, ["user", "add", "Sam", "--password-stdin"], "another password\n")[0] == 0
    code, out = run(monkeypatch, capsys, ["user", "add", "Sam", "--password-stdin"], "another password\n")
    assert code == 1
    assert "already a user" in out
    assert run(monkeypatch, capsys, ["user", "add", "Tiny", "--password-stdin"], "short\n")[0] == 1
    with pytest.raises(SystemExit) as usage:  # a password on the command line is not an option at all
        main(["user", "add", "Eve", "--password", PASSWORD])
    assert usage.value.code == 2
    code, out = run(monkeypatch, capsys, ["user", "grant", "Sam", "--site", "Harford plant", "--role", "site_staff"])
    assert code == 0
    assert "granted site_staff at 'Harford plant' to Sam" in out
    code, out = run(monkeypatch, capsys, ["user", "grant", "Sam", "--site", "Harford plant", "--role", "site_staff"])
    assert "nothing to change" in out
    run(monkeypatch, capsys, ["user", "grant", "Sam", "--site", "Corvane", "--role", "assessor"])
    code, out = run(monkeypatch, capsys, ["user", "list"])
    assert "Ann Admin (admin): no site grants" in out
    assert "Sam: assessor@Corvane, site_staff@Harford plant" in out
    assert "argon2" not in out
    run(monkeypatch, capsys, ["user", "revoke", "Sam", "--site", "Corvane", "--role", "assessor"])
    code, out = run(monkeypatch, capsys, ["user", "disable", "Sam"])
    assert code == 0
    code, out = run(monkeypatch, capsys, ["user", "list", "--json"])
    assert '"disabled": true' in out
    assert "Corvane" not in out
    code, out = run(monkeypatch, capsys, ["user", "passwd", "Sam", "--password-stdin"], "a third password\n")
    assert code == 0
    assert "sessions ended" in out
    code, out = run(monkeypatch, capsys, ["user", "grant", "Nobody", "--site", "X", "--role", "learner"])
    assert code == 1
    assert "no user 'Nobody'" in out
    service = AssessmentService(fake_settings)
    run(monkeypatch, capsys, ["user", "enable", "Sam"])
    assert service.login("Sam", "a third password")
    assert not service.login("Sam", "another password")
    actions = [(e["who"], e["action"]) for e in service.store.audit() if e["entity"] == "user"]
    assert ("operator (command line)", "add_user") in actions
    assert all(PASSWORD not in str(e) for e in service.store.audit())


def test_user_commands_prompt_without_echo(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                           fake_settings: Any) -> None:  # fmt: skip
    typed = iter([PASSWORD, PASSWORD, PASSWORD, "a different one"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    assert main(["user", "add", "Ann"]) == 0
    assert main(["user", "passwd", "Ann"]) == 1  # the two entries differ
    assert "differ" in capsys.readouterr().err
    assert AssessmentService(fake_settings).login("Ann", PASSWORD)


# --- the served app ------------------------------------------------------------------------------------------------
def serve(service: AssessmentService, local: bool) -> tuple[Any, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    app = build_app(service, local)
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, footer_links=[], quiet=True,
               auth=None if local else service.login)  # fmt: skip
    return app, f"http://127.0.0.1:{port}/"


@pytest.fixture
def accounts_app(service: AssessmentService) -> Iterator[tuple[AssessmentService, str]]:
    service.start_interview(LOCAL, "Zebrafield plant", "Quincy Marvell", "qa_head")  # made before accounts existed
    service.users.add(OPERATOR, "Sam Staff", PASSWORD)
    service.users.grant(OPERATOR, "Sam Staff", "Ostwick plant", "site_staff")
    service.users.add(OPERATOR, "Lee Learner", PASSWORD)
    app, url = serve(service, local=False)
    try:
        yield service, url
    finally:
        app.close()


def test_login_is_required_and_scopes_what_the_app_shows(accounts_app: tuple[AssessmentService, str]) -> None:
    import httpx
    from gradio_client import Client

    service, url = accounts_app
    assert httpx.get(url + "config").status_code == 401  # nothing without a login
    with pytest.raises(Exception, match="(?i)credentials|login|401"):
        Client(url, auth=("Sam Staff", "wrong password!!"), verbose=False)
    client = Client(url, auth=("Sam Staff", PASSWORD), verbose=False)
    turn = client.predict("Ostwick plant", "", "qa_head", api_name="/start_interview")[-1]
    assert not turn["interview"].isdigit()
    with pytest.raises(Exception, match="may not start interviews for the site 'Zebrafield plant'"):
        client.predict("Zebrafield plant", "", "qa_head", api_name="/start_interview")
    zebra = service.interviews(OPERATOR)[-1]["token"]
    with pytest.raises(Exception, match="may not open interviews"):  # knowing a token grants nothing
        client.predict(zebra, api_name="/resume_interview")
    client.predict("no", api_name="/send")
    assert [e["who"] for e in service.store.audit()][-1] == "Sam Staff"
    learner = Client(url, auth=("Lee Learner", PASSWORD), verbose=False)
    assert "QMM" in learner.predict("what is QMM", "", api_name="/ask_guidance")
    with pytest.raises(Exception, match="may not start interviews"):
        learner.predict("Ostwick plant", "", "qa_head", api_name="/start_interview")
    config = httpx.get(url + "config", cookies=learner.cookies)
    assert config.status_code == 200
    assert '"username":"Lee Learner"' in config.text  # only the caller's own name
    for private in ("Zebrafield", "Quincy", "Ostwick", "Sam Staff"):
        assert private not in config.text


def test_local_mode_config_names_no_site_or_person(service: AssessmentService) -> None:
    import httpx
    from gradio_client import Client

    service.start_interview(LOCAL, "Zebrafield plant", "Quincy Marvell", "qa_head")
    app, url = serve(service, local=True)
    try:
        client = Client(url, verbose=False)
        client.predict("Yarrowby works", "Xanthe Wilde", "qa_head", api_name="/start_interview")
        page = httpx.get(url).text + httpx.get(url + "config").text
        assert "Local single-user mode" in page
        for private in ("Zebrafield", "Quincy", "Yarrowby", "Xanthe"):
            assert private not in page
    finally:
        app.close()
    service.users.add(OPERATOR, "Ann", PASSWORD)
    with pytest.raises(AccessDenied):  # once an account exists the local principal is refused, even mid-run
        service.interviews(LOCAL)


def test_the_first_calls_of_one_login_race_to_one_session(svc: AssessmentService) -> None:
    """A page's load events arrive together with a new login token: each gets the principal, one session row."""
    import threading

    from sqlalchemy import text

    svc.users.add(OPERATOR, "Ann", PASSWORD)
    barrier, errors = threading.Barrier(8), []

    def first_call() -> None:
        try:
            barrier.wait()
            svc.session_principal("Ann", "one login token")
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=first_call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with svc.store.engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM sessions")).scalar() == 1


def test_tokens_never_start_like_a_command_line_option() -> None:
    from assistant.auth import new_token

    tokens = [new_token() for _ in range(3000)]  # about 1 in 64 would start with '-' by chance
    assert not any(t.startswith("-") for t in tokens)
    assert len(set(tokens)) == len(tokens)
    assert all(len(t) == 22 for t in tokens)

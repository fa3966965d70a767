"""Who is calling, for the UI: the local single user (no accounts exist), or the account Gradio's login form let in.

Gradio's ``auth=`` callable checks the password (``AssessmentService.login``); it then keeps its own login token in
a cookie and gives every event ``request.username``. That token (its hash) is our session key: the service opens the
session row the first time it sees it, and refuses it after ``SESSION_IDLE`` without a call. Gradio's own token does
not expire until the server restarts or the user logs out, so expiry is enforced here, on every service call.
"""

from __future__ import annotations

import contextlib
from typing import Any

import gradio as gr

from assistant.auth import Principal
from assistant.errors import AssistantError
from assistant.service import AssessmentService

LOCAL_BANNER = ("**Local single-user mode:** no accounts yet; anyone who can reach 127.0.0.1 can use it. Add a user "
                "with `qmm user add` to require login.")  # fmt: skip


def login_token(request: Any) -> str:
    """The login token Gradio set as a cookie (``access-token-<id>``, or its non-secure twin over plain HTTP)."""
    cookies = dict(getattr(request, "cookies", None) or {})
    names = sorted((n for n in cookies if n.startswith("access-token-")), key=lambda n: "unsecure" in n)
    return str(cookies[names[0]]) if names else ""


class Access:
    def __init__(self, service: AssessmentService, local: bool) -> None:
        self.service, self.local = service, local

    def principal(self, request: gr.Request | None) -> Principal:
        """The caller's principal; a sentence (``gr.Error``) when there is none."""
        if self.local:
            return Principal.local()
        name = getattr(request, "username", None) if request is not None else None
        if not name:
            raise gr.Error("Log in first.", print_exception=False)
        try:
            return self.service.session_principal(str(name), login_token(request))
        except AssistantError as exc:
            raise gr.Error(str(exc), print_exception=False) from None

    def banner(self, request: gr.Request | None) -> str:
        """The line at the top of the page: local mode, or who is signed in and what they may do."""
        if self.local:
            return LOCAL_BANNER
        try:
            me = self.principal(request)
        except gr.Error as exc:
            return f"**{exc.message}** [Log out](logout) and log in again."
        grants = ", ".join(f"{role} at {site}" for site, role in sorted(me.grants)) or "no site grants (guidance only)"
        role = "admin (every site)" if me.admin else grants
        return f"Signed in as **{me.name}** · {role}"

    def log_out(self, request: gr.Request) -> None:
        """End this login's session row (Gradio's /logout, which the page opens next, clears its own cookie)."""
        if self.local:
            return
        with contextlib.suppress(gr.Error):  # already ended or expired
            self.service.logout(self.principal(request))

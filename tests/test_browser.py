"""End to end in Debian's chromium, driven by Python playwright, against the served app (real model, Chroma, SQLite):
start an assessment, answer in free text and in the follow-up form, keep the session on a no-change "Save edits",
correct a field, confirm, reload and restart with the whole chat back, see the profile; two interviewees in two
browser contexts answer one question differently, both answers stay, and the conflict is shown and resolved. Those
two run in local single-user mode (no accounts); with accounts, the login form guards the page, a site staff member
works on their own site only, and the public /config names no site or person.
Set SCREENSHOT_DIR to keep screenshots of the form and the card at 1280 and 390 px wide."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.served import Server, add_user, free_port

pytestmark = pytest.mark.slow
expect.set_options(timeout=30_000)

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip


@pytest.fixture
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `make test` installs Debian's chromium; run it, or apt-get install chromium"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


def say(page, text: str) -> None:  # type: ignore[no-untyped-def]
    box = page.locator("#answer-box textarea")
    box.fill(text)
    page.locator("#send").click()


def wait_chat(page, text: str) -> None:  # type: ignore[no-untyped-def]
    """Wait for text in the page; on a timeout, fail with what the page shows instead (to tell a slow server from a
    wrong turn)."""
    try:
        page.get_by_text(text).last.wait_for()
    except Exception as exc:
        shown = page.locator("body").inner_text()[-3000:]
        raise AssertionError(f"{text!r} never appeared ({exc.__class__.__name__}); the page shows:\n{shown}") from exc


def chat_text(page) -> str:  # type: ignore[no-untyped-def]
    messages = page.locator("#chat .message-wrap").first  # the messages, not the progress overlay
    expect(messages).not_to_contain_text("Loading content")  # no event still pending on the chat
    return str(messages.inner_text())


def shoot(page, name: str, element: str | None = None, view: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """A screenshot under SCREENSHOT_DIR (default: not kept): one element, the screen scrolled to ``view``, or the
    whole page."""
    keep = os.environ.get("SCREENSHOT_DIR")
    if not keep:
        return
    Path(keep).mkdir(parents=True, exist_ok=True)
    if element:
        page.locator(element).first.scroll_into_view_if_needed()
        page.locator(element).first.screenshot(path=str(Path(keep) / name))
    elif view:
        page.locator(view).first.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.screenshot(path=str(Path(keep) / name))
    else:
        page.screenshot(path=str(Path(keep) / name), full_page=True)


def start(page, server: Server, site: str, name: str, role: str | None = None) -> None:  # type: ignore[no-untyped-def]
    page.goto(server.url)
    page.get_by_label("Site").fill(site)
    page.get_by_label("Your name").fill(name)
    if role:
        page.get_by_label("Your role").click()
        page.get_by_role("option", name=role).click()
    page.get_by_role("button", name="Start interview").click()


def fill_form(page, typed: str = "2025 quality scorecard") -> None:  # type: ignore[no-untyped-def]
    """Answer every field of the open follow-up form: Yes (or Every quarter, or the first option), the first two
    options where several are allowed, the typed text for records named, 80 for a number."""
    for i in range(8):
        choice = page.locator(f"#form-{i}-choice").first
        if choice.is_visible():
            labels = choice.locator("label")
            for wanted in ("Yes", "Every quarter"):
                if labels.filter(has_text=wanted).count():
                    labels.filter(has_text=wanted).first.click()
                    break
            else:
                labels.first.click()
        several = page.locator(f"#form-{i}-multi").first
        if several.is_visible():
            for label in several.locator("label").all()[:2]:
                label.click()
        text = page.locator(f"#form-{i}-text textarea, #form-{i}-text input").first
        if text.is_visible():  # a list of records takes the typed names; a number field (a share, a count) a number
            records = "Records" in page.locator(f"#form-{i}-text").first.inner_text()
            text.fill(typed if records else "80")


RICH = ("We have written quality objectives with measurable targets. Leadership reviews them every quarter, and "
        "they are cascaded to departments and teams.")  # fmt: skip


def test_interview_end_to_end(server: Server, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    outside: list[str] = []  # the page must not fetch anything from elsewhere (fonts, analytics, CDNs)
    page.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else
            outside.append(r.url))  # fmt: skip
    start(page, server, "Harford tablet plant", "Ann Lee")
    wait_chat(page, "quick questions about the site")
    for answer, prompt_after in (("no", "several manufacturing sites"), ("no", "quality maturity assessment before"),
                                 ("no", "506C"), ("yes", "MC-01")):  # fmt: skip
        say(page, answer)
        wait_chat(page, prompt_after)
    assert "interview=" in page.url
    page.get_by_label("Or resume an interview").click()  # the list knows the interview just started
    page.get_by_role("option", name="Harford tablet plant · Ann Lee").first.wait_for()
    page.keyboard.press("Escape")

    say(page, RICH)
    page.locator("#send-form").wait_for()  # the follow-up form: one control per missing field
    assert page.get_by_text("Don't know").count() > 0
    shoot(page, "interview-form-1280.png")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "interview-form-390.png", view="#quick")
    shoot(page, "form-390.png", "#interview-form")
    page.set_viewport_size({"width": 1280, "height": 900})
    fill_form(page)
    page.locator("#send-form").click()
    wait_chat(page, "Here is what I understood for MC-01")
    card = page.locator("#card").first
    expect(card).to_contain_text("Leadership review of progress")  # fields and values by their labels, never ids
    expect(card).to_contain_text("Every quarter")
    assert "quarterly" not in card.inner_text()
    assert "review_frequency" not in card.inner_text()
    shoot(page, "card-1280.png", "#card")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "interview-card-390.png", view="#jump")
    shoot(page, "card-390.png", "#card")
    page.set_viewport_size({"width": 1280, "height": 900})

    chat = chat_text(page)
    page.locator("#save-edits").click()  # nothing changed on the card: the session stays as it is
    page.get_by_text("Nothing changed on the card").first.wait_for()
    assert chat_text(page) == chat
    assert "quick questions about the site" in chat
    say(page, "edit review_frequency = monthly")
    wait_chat(page, "Leadership review of progress from Every quarter to Every month")
    page.locator("#confirm").click()
    wait_chat(page, "Saved MC-01")
    wait_chat(page, "MC-02")

    say(page, "Quality decisions go to the QA head. We documented 3 cases last year where we held batches despite "
              "delivery pressure, recorded in the deviation system.")  # fmt: skip
    page.locator("#send-form").or_(page.get_by_text("Here is what I understood for MC-02")).first.wait_for()

    page.reload()
    wait_chat(page, "Welcome back: we stopped here.")
    page.get_by_text("Saved MC-01").first.wait_for()  # the whole chat is back, not only the last question
    for earlier in ("quick questions about the site", "We have written quality objectives with measurable targets",
                    "edit review_frequency = monthly", "Quality decisions go to the QA head"):  # fmt: skip
        assert earlier in chat_text(page)
    assert page.get_by_text("MC-02").count() > 0

    server.stop()
    server.start()
    page.reload()
    wait_chat(page, "Welcome back: we stopped here.")
    page.get_by_text("Saved MC-01").first.wait_for()
    assert page.get_by_text("MC-02").count() > 0

    page.get_by_label("Questions (pick one to go to it)").click()  # the question list jumps with "go to MC-01"
    page.get_by_role("option", name="✓ MC-01 · Quality objectives").click()
    wait_chat(page, "go to MC-01")
    expect(page.locator("#card").first).to_contain_text("Every month")  # the confirmed answer, on its card

    page.get_by_role("tab", name="Results").click()
    page.get_by_text("Overall").first.wait_for()
    shoot(page, "results.png")
    summary = page.locator("details summary").filter(has_text="MC-01 · Quality objectives").first
    summary.wait_for()
    assert "level" in summary.inner_text()
    assert page.get_by_text("Management Commitment to Quality").count() > 0
    gate = page.locator("#summary").first
    expect(gate).to_contain_text("Harford tablet plant")  # the site, the date, and who answered
    expect(gate).to_contain_text("Answered by: Ann Lee (Head of quality assurance)")
    # the compliance gate beside the profile (never scored): answered on the tab, then reported
    expect(gate).to_contain_text("Eligibility for FDA's QMM program is not known")
    page.get_by_text("Compliance gate answers (never scored)").click()
    page.locator("#gate-last_inspection_classification").get_by_text("OAI", exact=True).click()
    page.locator("#gate-last_inspection_date input, #gate-last_inspection_date textarea").first.fill("2024-03-14")
    page.locator("#save-gate").click()
    expect(gate).to_contain_text("Not eligible for FDA's QMM program")
    expect(gate).to_contain_text("classified OAI")
    shoot(page, "results-gate-1280.png", "#summary")
    # records an assessor has seen: only here, never in the interview
    page.get_by_text("Records the assessor has seen (assessor)").click()
    page.locator("#seen-question input").first.click()
    page.get_by_role("option", name="MC-01 · Quality objectives").click()
    page.locator("#seen-records textarea").fill("Objectives cascade 2026, site to team, seen 2026-11-18")
    page.locator("#seen-who input, #seen-who textarea").first.fill("Asa Assessor")
    page.locator("#save-seen").click()
    page.get_by_text("Saved 1 record(s) seen for MC-01").first.wait_for()
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "results-gate-390.png", "#summary")
    page.set_viewport_size({"width": 1280, "height": 900})
    expect(page.get_by_text("Local single-user mode").first).to_be_visible()
    config = page.request.get(server.url + "config").text()  # what any visitor can fetch
    assert "Ann Lee" not in config
    assert outside == []


def test_two_interviewees_answer_differently_and_both_are_heard(server: Server, browser) -> None:  # type: ignore[no-untyped-def]
    qa = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    prod = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    for pg in (qa, prod):
        pg.set_default_timeout(30_000)
    start(qa, server, "Corvane", "Ann QA")
    wait_chat(qa, "quick questions about the site")
    for answer, prompt_after in (("no", "several manufacturing sites"), ("no", "quality maturity assessment before"),
                                 ("no", "506C"), ("no", "MC-01")):  # fmt: skip
        say(qa, answer)
        wait_chat(qa, prompt_after)
    say(qa, RICH)
    qa.locator("#send-form").wait_for()
    fill_form(qa, typed="QA objectives register R-2025")
    qa.locator("#send-form").click()
    wait_chat(qa, "Here is what I understood for MC-01")
    qa.locator("#confirm").click()
    wait_chat(qa, "Saved MC-01")

    prod.goto(server.url)
    prod.locator("#site input").first.click()  # a known site is picked from the list, never retyped
    prod.get_by_role("option", name="Corvane").first.wait_for()
    prod.keyboard.press("Escape")
    start(prod, server, "Corvane", "Sam Sitehead", "Site head / general manager")
    wait_chat(prod, "MC-01")  # the site facts are known: straight to the questions
    assert "Welcome back" not in chat_text(prod)
    assert prod.get_by_text("register R-2025").count() == 0  # a colleague's answer is never shown here
    say(prod, "We have some quality objectives, but they are not measurable and nobody reviews them.")
    prod.locator("#send-form").or_(prod.get_by_text("Here is what I understood for MC-01")).first.wait_for()
    if prod.locator("#send-form").is_visible():
        prod.locator("#send-form").click()  # nothing picked: every field "Don't know"
    wait_chat(prod, "Here is what I understood for MC-01")
    assert prod.get_by_text("register R-2025").count() == 0
    prod.locator("#confirm").click()
    wait_chat(prod, "Saved MC-01")

    prod.set_viewport_size({"width": 1280, "height": 900})  # at 390 px the other tabs sit in the tab bar's menu
    prod.get_by_role("tab", name="Results").click()
    conflicts = prod.locator("#conflicts").first
    expect(conflicts).to_contain_text("MC-01 · Quality objectives")
    text = conflicts.inner_text()
    assert "Ann QA" in text
    assert "Sam Sitehead" in text
    assert "open" in text
    shoot(prod, "conflict-results.png", "#conflicts")
    qa.get_by_role("tab", name="Results").click()  # the assessor resolves it (here from the QA head's tab)
    expect(qa.locator("#conflicts").first).to_contain_text("Sam Sitehead")
    qa.get_by_label("Use this answer").click()
    qa.get_by_role("option", name="MC-01: Ann QA's answer").first.click()
    qa.locator("#resolve-who input, #resolve-who textarea").first.fill("Dana Assessor")
    qa.locator("#resolve-reason textarea").first.fill("The QA head showed the 2025 scorecard.")
    qa.locator("#resolve").click()
    expect(qa.locator("#conflicts").first).to_contain_text("resolved by Dana Assessor")
    assert "Sam Sitehead" in qa.locator("#conflicts").first.inner_text()  # both answers stay listed
    config = qa.request.get(server.url + "config").text()
    for private in ("Corvane", "Ann QA", "Sam Sitehead", "Dana Assessor"):
        assert private not in config


def log_in(page, server: Server, name: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(server.url)
    page.get_by_label("username").fill(name)
    page.get_by_label("password").fill(password)
    page.get_by_role("button", name="Login").click()
    page.locator("#who").get_by_text(f"Signed in as {name}").wait_for()


def test_with_accounts_login_is_required_and_a_site_sees_only_itself(tmp_path: Path, browser) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    data.mkdir()
    add_user(data, "Sam Staff", "sam's long password", "Ostwick plant", "site_staff")
    add_user(data, "Tess Other", "tess's long password", "Wexcombe plant", "site_staff")
    add_user(data, "Lee Learner", "lee's long password", "Ostwick plant", "learner")
    server = Server(data, free_port())
    server.start()
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(server.url)
        page.get_by_role("button", name="Login").wait_for()  # no page without a login
        assert "Site" not in page.locator("body").inner_text()
        log_in(page, server, "Sam Staff", "sam's long password")
        assert page.get_by_text("Local single-user mode").count() == 0
        start(page, server, "Ostwick plant", "")
        wait_chat(page, "quick questions about the site")
        say(page, "no")
        wait_chat(page, "several manufacturing sites")
        assert "interview=" in page.url
        link = page.url
        assert not link.split("interview=")[1].isdigit()
        start(page, server, "Wexcombe plant", "")  # a site Sam has no grant for
        page.get_by_text("may not start interviews for the site 'Wexcombe plant'").first.wait_for()

        other = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        other.set_default_timeout(30_000)
        log_in(other, server, "Tess Other", "tess's long password")
        other.goto(link)  # Sam's interview link, opened by someone of another site: refused, nothing shown
        other.get_by_text("may not open interviews for the site 'Ostwick plant'").first.wait_for()
        assert other.get_by_text("several manufacturing sites").count() == 0
        other.get_by_label("Or resume an interview").click()
        assert other.get_by_role("option", name="Ostwick plant").count() == 0
        config = other.request.get(server.url + "config").text()
        for private in ("Ostwick", "Sam Staff"):
            assert private not in config

        learner = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        learner.set_default_timeout(30_000)
        log_in(learner, server, "Lee Learner", "lee's long password")
        start(learner, server, "Ostwick plant", "")  # a learner reaches guidance only
        learner.get_by_text("may not start interviews for the site 'Ostwick plant'").first.wait_for()
        learner.get_by_role("tab", name="Guidance").click()
        learner.get_by_label("Ask about QMM").fill("what does FDA mean by QMM?")
        learner.get_by_label("Ask about QMM").press("Enter")
        learner.get_by_text("FDA").first.wait_for()
        learner.locator("#logout").click()  # ends the session, then Gradio's login form again
        learner.get_by_role("button", name="Login").wait_for()
        import sqlite3

        with contextlib.closing(sqlite3.connect(data / "qmm.sqlite3")) as db:
            ended = db.execute("SELECT s.ended_at FROM sessions s JOIN users u ON u.id = s.user_id "
                               "WHERE u.name = 'Lee Learner'").fetchall()  # fmt: skip
        assert ended
        assert all(row[0] is not None for row in ended)  # our session row ended too
        context.close()
    finally:
        server.stop()

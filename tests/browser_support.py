"""Shared pieces of the browser tests: the live server and Chromium fixtures (registered
in conftest.py), logging in, and the axe accessibility check."""
import re
import shutil

import pytest

from tests.infra.browser import LiveServer, chromium_available, launch_chromium
from tests.infra.smtp import plain_body

BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed"),
]
DEMO_PASSWORD = "demo-wachtwoord-2027"

# Browser tests wait on conditions, never for a while, and with limits meant for a loaded CI
# machine: a wait ends as soon as its condition holds, so a long limit costs nothing when
# all is well. ``expect(...)`` assertions get EXPECT_TIMEOUT_MS (Playwright's own default is
# 5 s); clicks, fills, navigations and ``wait_for`` keep Playwright's 30 s, raised to
# ACTION_TIMEOUT_MS in the contexts that ``login_page`` makes.
EXPECT_TIMEOUT_MS = 30_000
ACTION_TIMEOUT_MS = 60_000


# The live servers' apps by base URL: the login helper reads a user's TOTP secret there.
LIVE_APPS: dict = {}


@pytest.fixture
def live(template_db, tmp_path, smtp):
    """The portal on a copy of the seeded database, served on a loopback port."""
    from tests.conftest import make_app

    path = tmp_path / "live.sqlite"
    shutil.copy(template_db, path)
    server = LiveServer(make_app(f"sqlite:///{path}", tmp_path / "uploads", smtp)).start()
    LIVE_APPS[server.url] = server.app
    yield server
    LIVE_APPS.pop(server.url, None)
    server.stop()


@pytest.fixture
def browser():
    """Debian's Chromium driven by Playwright."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


def login_page(browser, base, email, password=DEMO_PASSWORD):
    """A new browser context logged in as ``email``; returns its page."""
    context = browser.new_context(locale="nl-NL")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    page.goto(base + "/inloggen")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Inloggen").click()
    if "/inloggen/code" in page.url:  # staff: the second factor, as from the app
        second_factor(page, base, email)
    elif "/tweestapsverificatie/instellen" in page.url:  # staff without one: set it up first
        with page.expect_navigation():
            enrol_second_factor(page)
    return page


def enrol_second_factor(page):
    """On the set-up page (staff without a second factor): type the key shown into "the
    app" (pyotp), confirm with its code, and go on past the recovery codes."""
    import pyotp

    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Code uit uw authenticator-app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Tweestapsverificatie aanzetten").click()
    page.get_by_role("link", name="Ik heb de codes bewaard, verder").click()


def second_factor(page, base, email):
    """Fill the code of the authenticator app (pyotp computes it from the user's secret;
    the demo staff's is DEMO_TOTP_SECRET) on the login's second step."""
    import pyotp

    from portal.demo import DEMO_TOTP_SECRET
    from tests.conftest import allow_next_code

    app = LIVE_APPS.get(base)
    secret = allow_next_code(app, email) if app is not None else DEMO_TOTP_SECRET
    page.get_by_label("Code uit uw authenticator-app").fill(pyotp.TOTP(secret).now())
    with page.expect_navigation():
        page.get_by_role("button", name="Inloggen").click()


def serious_a11y_violations(page):
    """axe-core's serious and critical violations on the page (empty when it passes)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [(v["id"], v["help"]) for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")]


def link_in_mail(smtp, to, path):
    """The path of the link to ``path`` in the last plain-text mail to ``to`` that holds
    one. Waits (generously) for that mail: a live server sends it after its response, and
    an earlier mail to the same address must not be taken for it."""
    found = smtp.wait_find(to=to, body_contains=path)
    assert found, f"no mail to {to} with a link to {path}"
    match = re.search(rf"https?://[^/\s]+({re.escape(path)}\S+)", plain_body(found[-1]))
    assert match, f"the mail to {to} has no link to {path}"
    return match.group(1)


def quiet_pdfs(page):
    """Evidence frames get a plain page instead of the PDF: Chromium's PDF viewer takes
    the focus when it has loaded, at a moment of its own, which races with the clicks of
    a test (the workspace's own test, test_browser_review_workspace.py, shows the PDFs)."""
    page.route("**/beoordeling/documenten/*/bekijken", lambda route: route.fulfill(
        status=200, content_type="text/html",
        body='<!doctype html><html lang="nl"><title>Bewijsstuk</title><p>PDF</p></html>'))
    return page

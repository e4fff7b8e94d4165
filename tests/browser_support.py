"""Shared pieces of the browser tests: the live server and Chromium fixtures (registered
in conftest.py), logging in, and the axe accessibility check."""
import shutil

import pytest

from tests.infra.browser import LiveServer, chromium_available, launch_chromium

BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed"),
]
DEMO_PASSWORD = "demo-wachtwoord-2027"


@pytest.fixture
def live(template_db, tmp_path, smtp):
    """The portal on a copy of the seeded database, served on a loopback port."""
    from tests.conftest import make_app

    path = tmp_path / "live.sqlite"
    shutil.copy(template_db, path)
    server = LiveServer(make_app(f"sqlite:///{path}", tmp_path / "uploads", smtp)).start()
    yield server
    server.stop()


@pytest.fixture
def browser():
    """Debian's Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


def login_page(browser, base, email, password=DEMO_PASSWORD):
    """A new browser context logged in as ``email``; returns its page."""
    context = browser.new_context(locale="nl-NL")
    page = context.new_page()
    page.goto(base + "/inloggen")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Inloggen").click()
    return page


def serious_a11y_violations(page):
    """axe-core's serious and critical violations on the page (empty when it passes)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [(v["id"], v["help"]) for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")]

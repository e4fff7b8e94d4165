"""The management report in a real browser: the administrator reads the figures and the
charts, filters on a period (a wrong period shows an error summary linked to the field),
downloads a figure; axe checks the dashboard with data, filtered, with an error, and empty."""
import shutil

import pytest
from playwright.sync_api import expect

from tests.browser_support import second_factor
from tests.browser_support import serious_a11y_violations as _serious_a11y_violations
from tests.conftest import ADMIN, DEMO_PASSWORD, make_app
from tests.infra.browser import LiveServer, chromium_available

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed"),
]


def _live_app(template_db, tmp_path, smtp, *, with_data: bool):
    from portal.extensions import db
    from tests.test_admin_reports import build_known_data

    path = tmp_path / "live.sqlite"
    shutil.copy(template_db, path)
    app = make_app(f"sqlite:///{path}", tmp_path / "uploads", smtp)
    if with_data:
        with app.app_context():
            build_known_data()
            db.session.remove()
    return app


@pytest.fixture
def live(template_db, tmp_path, smtp):
    server = LiveServer(_live_app(template_db, tmp_path, smtp, with_data=True)).start()
    yield server
    server.stop()


@pytest.fixture
def live_empty(template_db, tmp_path, smtp):
    server = LiveServer(_live_app(template_db, tmp_path, smtp, with_data=False)).start()
    yield server
    server.stop()


def _login(browser, base, email):
    context = browser.new_context(locale="nl-NL", accept_downloads=True)
    page = context.new_page()
    page.goto(base + "/inloggen")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Inloggen").click()
    second_factor(page, base, email)  # the demo administrator's code, as from the app
    return page


def test_admin_reads_filters_and_downloads_the_report(live, browser, tmp_path):
    page = _login(browser, live.url, ADMIN)
    page.goto(live.url + "/beheer/rapportage")
    expect(page.get_by_role("heading", name="Rapportage", level=1)).to_be_visible()
    # The charts are images with an accessible name; their numbers are in tables.
    decisions = page.get_by_role("img", name="Besluiten per maand: toegelaten en afgewezen")
    expect(decisions).to_be_visible()
    expect(page.get_by_role("img", name="Toegelaten aanbieders per categorie")).to_be_visible()
    expect(page.get_by_role("row", name="april 2027 3 0 3")).to_be_visible()
    expect(page.get_by_text("35,5 dagen")).to_be_visible()
    assert _serious_a11y_violations(page) == []
    page.screenshot(path=str(tmp_path / "rapportage.png"), full_page=True)

    # A period: the decisions and the lead time follow it.
    page.get_by_label("Van (maand)").fill("2027-03")
    page.get_by_label("Tot en met (maand)").fill("2027-03")
    page.get_by_role("button", name="Periode tonen").click()
    assert "van=2027-03" in page.url
    expect(page.get_by_role("row", name="maart 2027 1 0 1")).to_be_visible()
    assert page.get_by_role("row", name="april 2027 3 0 3").count() == 0
    expect(page.get_by_text("47,0 dagen")).to_be_visible()
    assert _serious_a11y_violations(page) == []

    # A CSV download of the filtered figure.
    with page.expect_download() as info:
        page.get_by_role("link", name="CSV – Besluiten per maand").click()
    with open(info.value.path(), encoding="utf-8-sig") as csv_file:
        text = csv_file.read()
    assert text.splitlines() == ["Maand;Toegelaten;Afgewezen;Totaal", "2027-03;1;0;1"]

    # A wrong period: an error summary whose link leads to the field.
    page.get_by_label("Van (maand)").fill("2027-05")
    page.get_by_role("button", name="Periode tonen").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    assert _serious_a11y_violations(page) == []
    summary.get_by_role("link").first.click()
    assert page.url.endswith("#tot")


def test_empty_report_is_accessible(live_empty, browser):
    page = _login(browser, live_empty.url, ADMIN)
    page.goto(live_empty.url + "/beheer/rapportage")
    expect(page.get_by_text("Er zijn in deze periode geen besluiten genomen.")).to_be_visible()
    expect(page.get_by_text("Er zijn in deze periode geen aanmeldingen besloten.")).to_be_visible()
    assert _serious_a11y_violations(page) == []

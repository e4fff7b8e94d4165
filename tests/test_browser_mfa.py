"""The second factor in a real browser (Debian's Chromium under Playwright): a new
assessor logs in, can only set up the second factor, scans nothing but types the key
shown under the QR code into "the app" (pyotp), keeps the recovery codes, and later logs
in with the app's code and, the phone lost, with a recovery code. The demo administrator
logs in through the shared helper, which passes the second step the same way."""
import re

import pyotp
import pytest
from playwright.sync_api import expect

from portal.accounts.passwords import hash_password
from portal.extensions import db
from portal.models import Role, User
from portal.timeutil import utcnow
from tests.browser_support import login_page, serious_a11y_violations
from tests.conftest import ADMIN, DEMO_PASSWORD, allow_next_code
from tests.infra.browser import chromium_available

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed"),
]

EMAIL = "nieuwe.beoordelaar@regio.example"


def _log_in(browser, base):
    context = browser.new_context(locale="nl-NL")
    page = context.new_page()
    page.goto(base + "/inloggen")
    page.get_by_label("E-mailadres").fill(EMAIL)
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    return page


def test_a_new_assessor_sets_up_the_second_factor_and_uses_it(live, browser):
    base = live.url
    with live.app.app_context():
        db.session.add(User(email=EMAIL, full_name="Nora Nieuw", role=Role.ASSESSOR,
                            password_hash=hash_password(DEMO_PASSWORD), email_confirmed_at=utcnow()))
        db.session.commit()

    page = _log_in(browser, base)
    expect(page.get_by_role("heading", name="Tweestapsverificatie instellen")).to_be_visible()
    assert page.url.endswith("/account/tweestapsverificatie/instellen")
    qr = page.get_by_role("img", name="QR-code om het portaal aan uw authenticator-app toe te voegen")
    expect(qr).to_be_visible()
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    assert serious_a11y_violations(page) == []
    # Any other page leads back here.
    page.goto(base + "/beoordeling/")
    expect(page.get_by_role("heading", name="Tweestapsverificatie instellen")).to_be_visible()

    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Code uit uw authenticator-app").fill("12345x")
    page.get_by_role("button", name="Tweestapsverificatie aanzetten").click()
    expect(page.get_by_text("Vul de 6 cijfers in die uw authenticator-app nu toont").first).to_be_visible()
    page.get_by_label("Code uit uw authenticator-app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Tweestapsverificatie aanzetten").click()
    expect(page.get_by_role("heading", name="Tweestapsverificatie staat aan")).to_be_visible()
    codes = [text.strip() for text in page.locator(".recovery-codes code").all_inner_texts()]
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes)
    page.get_by_role("link", name="Ik heb de codes bewaard, verder").click()
    expect(page).to_have_url(base + "/beoordeling/")
    page.get_by_role("button", name="Uitloggen").click()

    # Next time: the password, then the code the app shows.
    page = _log_in(browser, base)
    expect(page.get_by_role("heading", name="Inloggen: code uit uw app")).to_be_visible()
    assert serious_a11y_violations(page) == []
    allow_next_code(live.app, EMAIL)  # the code of enrolment's time step was used already
    page.get_by_label("Code uit uw authenticator-app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Inloggen").click()
    expect(page).to_have_url(base + "/beoordeling/")
    page.get_by_role("button", name="Uitloggen").click()

    # The phone is lost: a recovery code, once.
    page = _log_in(browser, base)
    page.get_by_role("link", name="Log in met een herstelcode").click()
    page.get_by_label("Herstelcode").fill(codes[0])
    page.get_by_role("button", name="Inloggen").click()
    expect(page).to_have_url(base + "/beoordeling/")
    expect(page.get_by_text("U heeft nog 9 herstelcodes")).to_be_visible()
    page.get_by_role("button", name="Uitloggen").click()
    page = _log_in(browser, base)
    page.get_by_role("link", name="Log in met een herstelcode").click()
    page.get_by_label("Herstelcode").fill(codes[0])
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_text("Deze herstelcode is al gebruikt").first).to_be_visible()
    assert "/inloggen/herstelcode" in page.url


def test_the_demo_administrator_logs_in_with_the_demo_secret(live, browser):
    page = login_page(browser, live.url, ADMIN)
    assert "/inloggen" not in page.url
    page.goto(live.url + "/beheer/medewerkers")
    expect(page.get_by_role("heading", name="Medewerkers", level=1)).to_be_visible()

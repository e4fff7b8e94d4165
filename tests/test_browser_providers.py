"""Browser: the provider's pages around the wizard (dashboard with action items, the
category choice and a category step, an upload error), a read-only application that is
withdrawn with confirmation, and the organisation's messages; each passes axe-core."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.timeutil import today_local
from tests.browser_support import login_page as _login
from tests.browser_support import serious_a11y_violations as _serious_a11y_violations
from tests.conftest import ASSESSOR_1, PROVIDER
from tests.helpers import submitted_application
from tests.infra.browser import chromium_available

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed"),
]


def _submitted(cats):
    from tests.conftest import user

    provider = user(PROVIDER)
    application = submitted_application(provider, *cats)
    return application


def test_dashboard_category_choice_category_step_and_upload_error(live, browser, tmp_path):
    from portal.assessment import workflow as assessment
    from portal.extensions import db
    from portal.models import Document
    from tests.conftest import user
    from tests.helpers import requirement

    with live.app.app_context():
        other = _submitted(("leefgroepen",))
        first = user(ASSESSOR_1)
        assessment.start_review(other, by=first)
        assessment.declare_no_conflict(other, by=first)
        assessment.request_completion(other, {requirement("L1").id: "Beschrijf de nachtdienst."},
                                      by=first)
        soon = db.session.scalar(select(Document).order_by(Document.id))
        soon.valid_until = today_local() + timedelta(days=20)
        db.session.commit()
        reference = other.reference
    base = live.url

    page = _login(browser, base, PROVIDER)
    page.goto(base + "/aanbieder")
    attention = page.get_by_role("heading", name="Wat vraagt uw aandacht")
    expect(attention).to_be_visible()
    expect(page.get_by_text(f"De regio vraagt u aanmelding {reference} aan te vullen")).to_be_visible()
    expect(page.get_by_role("link", name="Nieuwe versie uploaden").first).to_be_visible()
    assert page.title().startswith("Mijn organisatie")
    assert _serious_a11y_violations(page) == []

    # The category choice: Leefgroepen is taken by the running application.
    page.get_by_role("link", name="Nieuwe aanmelding").first.click()
    expect(page.get_by_label("Pleegzorg")).to_be_visible()
    assert _serious_a11y_violations(page) == []
    page.get_by_label("Pleegzorg").check()
    page.get_by_role("button", name="Volgende").click()

    # The category's own step, from the step list.
    page.get_by_role("link", name="Eisen voor Pleegzorg").click()
    expect(page.get_by_text("Stap 3 van 4: Eisen voor Pleegzorg")).to_be_visible()
    assert _serious_a11y_violations(page) == []

    # A file that is called .pdf but is not one: the error is shown at the top and at the field.
    fake = tmp_path / "werkwijze.pdf"
    fake.write_bytes(b"GIF89a not a pdf at all")
    page.locator("input[type=file]").first.set_input_files(str(fake))
    page.get_by_role("button", name="Opslaan").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_text("is geen PDF-bestand").first).to_be_visible()
    expect(page.locator(".field-error .error-message").first).to_be_visible()
    assert _serious_a11y_violations(page) == []


def test_read_only_application_withdrawn_with_confirmation_and_messages(live, browser, smtp):
    from portal.accounts import workflow as accounts
    from portal.extensions import db

    with live.app.app_context():
        application = _submitted(("pleegzorg",))
        accounts.request_password_reset(PROVIDER)  # a mail with a secret link
        db.session.commit()
        app_id, reference = application.id, application.reference
    base = live.url

    page = _login(browser, base, PROVIDER)
    page.goto(f"{base}/aanmeldingen/{app_id}")
    expect(page.get_by_role("heading", name="Uw antwoorden")).to_be_visible()
    assert page.locator("input[type=file]").count() == 0  # read-only
    assert _serious_a11y_violations(page) == []
    # The main action is to look at what was sent; withdrawing is a secondary action.
    actions = page.locator(".actions").first
    primary = actions.locator("a.button:not(.secondary)")
    expect(primary).to_have_text("Bekijk wat u heeft ingediend")
    expect(actions.get_by_role("link", name="Intrekken")).to_have_class("button secondary")
    primary.click()
    expect(page.get_by_role("heading", name=f"Wat u heeft ingediend: aanmelding {reference}")).to_be_visible()
    expect(page.get_by_role("link", name="A1.pdf").first).to_be_visible()
    assert _serious_a11y_violations(page) == []
    page.get_by_role("link", name=f"Terug naar aanmelding {reference}").click()

    # Withdraw: the confirmation page first, then the withdrawal.
    page.get_by_role("link", name="Intrekken").click()
    expect(page.get_by_role("heading", name=f"Aanmelding {reference} intrekken?")).to_be_visible()
    assert _serious_a11y_violations(page) == []
    page.get_by_label("Reden (niet verplicht)").fill("Wij melden ons later opnieuw aan.")
    page.get_by_role("button", name="Intrekken").click()
    expect(page.get_by_text("Uw aanmelding is ingetrokken.")).to_be_visible()
    expect(page.get_by_text("ingetrokken").first).to_be_visible()
    assert page.get_by_role("link", name="Intrekken").count() == 0
    assert _serious_a11y_violations(page) == []

    # The messages: the receipt in full; the reset mail only by its subject.
    page.goto(base + "/organisatie/berichten")
    page.get_by_role("link", name=f"Ontvangstbevestiging aanmelding {reference}").first.click()
    expect(page.locator("pre.mail-text")).to_be_visible()
    assert reference in page.locator("pre.mail-text").inner_text()
    assert _serious_a11y_violations(page) == []
    page.goto(base + "/organisatie/berichten")
    page.get_by_role("link", name="Nieuw wachtwoord kiezen").click()
    expect(page.get_by_text("Deze e-mail bevat een persoonlijke link")).to_be_visible()
    assert page.locator("pre.mail-text").count() == 0
    assert "/wachtwoord-herstellen/" not in page.content()
    assert _serious_a11y_violations(page) == []

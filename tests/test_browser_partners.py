"""Browser: a partner accepts the agreement; the region's admission and term pages."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.timeutil import today_local
from tests.browser_support import login_page as _login
from tests.browser_support import serious_a11y_violations as _serious_a11y_violations
from tests.conftest import ADMIN, PROVIDER
from tests.infra.browser import chromium_available

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed"),
]


def test_partner_accepts_the_agreement_and_the_region_manages_the_admission(live, browser, smtp):
    from portal.extensions import db
    from portal.models import Admission, AdmissionStatus, Agreement
    from tests.test_partners import _admitted

    with live.app.app_context():
        _admitted()
        agreement_id = db.session.scalar(select(Agreement.id))
        admission_id = db.session.scalar(select(Admission.id))
    base = live.url

    page = _login(browser, base, PROVIDER)
    page.goto(base + "/aanbieder")
    page.get_by_role("link", name="Overeenkomst accepteren").click()
    expect(page.get_by_role("heading", name="Deelnemersovereenkomst")).to_be_visible()
    assert _serious_a11y_violations(page) == []
    page.get_by_role("button", name="Overeenkomst accepteren").click()
    expect(page.get_by_text("Bevestig dat u de overeenkomst accepteert").first).to_be_visible()
    page.get_by_label("Ik heb de deelnemersovereenkomst gelezen").check()
    page.get_by_role("button", name="Overeenkomst accepteren").click()
    expect(page.get_by_text("Uw toelating is nu actief")).to_be_visible()
    assert smtp.wait_find(subject_contains="deelnemersovereenkomst geaccepteerd")
    page.goto(base + "/organisatie/overeenkomsten")
    assert _serious_a11y_violations(page) == []
    with live.app.app_context():
        assert db.session.get(Agreement, agreement_id).accepted_ip == "127.0.0.1"
        assert db.session.get(Admission, admission_id).status == AdmissionStatus.ACTIEF

    admin = _login(browser, base, ADMIN)
    admin.goto(f"{base}/beheer/toelatingen/{admission_id}")
    assert _serious_a11y_violations(admin) == []
    admin.get_by_label("Reden van de schorsing").fill("Onderzoek naar een melding")
    admin.get_by_label("Ingangsdatum").fill(today_local().isoformat())
    admin.get_by_role("button", name="Schorsen").click()
    expect(admin.get_by_text("De schorsing is vastgelegd")).to_be_visible()
    expect(admin.get_by_text("geschorst").first).to_be_visible()
    admin.goto(base + "/beheer/looptijd")
    assert _serious_a11y_violations(admin) == []
    page.goto(base + "/aanbieder")
    expect(page.get_by_text("geschorst sinds")).to_be_visible()

"""Evidence that expires, in a real browser: a partner with an expired insurance uploads a new
version (correcting bad input from the error summary), an assessor finds it in the queue and
accepts it, and the region's partner list shows the partner compliant again; axe-core checks
every page of this part."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.timeutil import today_local
from tests.browser_support import login_page as _login
from tests.browser_support import serious_a11y_violations as _serious_a11y_violations
from tests.conftest import ASSESSOR_1, PROVIDER
from tests.helpers import PDF_BYTES
from tests.infra.browser import chromium_available

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed"),
]


def _setup(app):
    """The demo organisation admitted for Pleegzorg; its A8 insurance expired 3 days ago."""
    from portal.extensions import db
    from tests.test_partners_compliance import _admitted, _expiring_answers, _set_until

    with app.app_context():
        application = _admitted()
        answers = _expiring_answers(application)
        _set_until(answers["A8"], today_local() - timedelta(days=3))
        db.session.commit()
        return application.organisation_id, answers["A8"].document.original_name


def test_partner_replaces_expired_evidence_and_an_assessor_accepts_it(live, browser, smtp,
                                                                      tmp_path):
    base = live.url
    org_id, old_name = _setup(live.app)
    new_file = tmp_path / "polis-2028.pdf"
    new_file.write_bytes(PDF_BYTES + b"% nieuwe polis\n")

    # The partner: its evidence, marked not compliant.
    page = _login(browser, base, PROVIDER)
    page.goto(base + "/organisatie/bewijsstukken")
    expect(page.get_by_role("heading", name="Bewijsstukken met een geldigheidsdatum")).to_be_visible()
    expect(page.get_by_text("Uw organisatie is niet compliant.")).to_be_visible()
    assert _serious_a11y_violations(page) == []
    page.get_by_role("link", name=f"Nieuwe versie uploaden van {old_name}").click()
    expect(page.get_by_role("heading", name="Nieuwe versie uploaden")).to_be_visible()
    assert _serious_a11y_violations(page) == []

    # Bad input: no file and a date in the past; corrected from the error summary.
    page.get_by_label("Geldig tot en met").fill((today_local() - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Uploaden").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_text("Kies het bestand met de nieuwe versie.", exact=False)).to_be_visible()
    assert _serious_a11y_violations(page) == []
    summary.get_by_role("link", name=re.compile("^Geldig tot en met")).click()
    assert page.url.endswith("#valid_until")
    page.get_by_label("Nieuwe versie (PDF)").set_input_files(str(new_file))
    page.get_by_label("Geldig tot en met").fill((today_local() + timedelta(days=365)).isoformat())
    page.get_by_role("button", name="Uploaden").click()
    expect(page.get_by_text("De nieuwe versie 'polis-2028.pdf' is ontvangen.",
                            exact=False)).to_be_visible()
    expect(page.get_by_text("nieuwe versie in beoordeling").first).to_be_visible()
    assert _serious_a11y_violations(page) == []

    # The assessor: the partner list marks it, the queue holds the new version.
    assessor = _login(browser, base, ASSESSOR_1)
    assessor.goto(base + "/beheer/partners")
    expect(assessor.get_by_role("heading", name="Partners en naleving")).to_be_visible()
    expect(assessor.get_by_text("1 partner is niet compliant.")).to_be_visible()
    assert _serious_a11y_violations(assessor) == []
    assessor.get_by_label("Alleen niet compliant").check()
    assessor.get_by_role("button", name="Zoeken").click()
    assert "niet_compliant=1" in assessor.url
    row = assessor.get_by_role("row", name=re.compile("Gezinshuis De Linde"))
    expect(row.get_by_text("niet compliant")).to_be_visible()
    assert row.get_by_role("link", name=re.compile("Gezinshuis De Linde")).get_attribute(
        "href").endswith(f"/beheer/partners/{org_id}")
    assert _serious_a11y_violations(assessor) == []

    assessor.goto(base + "/beheer/bewijsstukken")
    expect(assessor.get_by_role("heading", name="Nieuwe bewijsstukken beoordelen")).to_be_visible()
    assert _serious_a11y_violations(assessor) == []
    assessor.get_by_role("link", name="polis-2028.pdf").click()
    expect(assessor.get_by_role("heading", name="Nieuwe versie van een bewijsstuk")).to_be_visible()
    expect(assessor.get_by_role("link", name="polis-2028.pdf openen")).to_be_visible()
    assert _serious_a11y_violations(assessor) == []
    # Rejecting without a reason is refused.
    assessor.get_by_role("button", name="Afwijzen").click()
    expect(assessor.locator(".error-summary").get_by_text(
        "Geef de reden van de afwijzing.", exact=False)).to_be_visible()
    assert _serious_a11y_violations(assessor) == []
    assessor.get_by_role("button", name="Accepteren").click()
    expect(assessor.get_by_text("De nieuwe versie is geaccepteerd")).to_be_visible()
    expect(assessor.get_by_text("Er wachten geen nieuwe versies op beoordeling.")).to_be_visible()
    assessor.get_by_role("link", name="Geaccepteerd").click()
    expect(assessor.get_by_role("link", name="polis-2028.pdf")).to_be_visible()
    assert _serious_a11y_violations(assessor) == []
    assessor.goto(base + "/beheer/partners")
    expect(assessor.get_by_text("Alle partners zijn compliant.")).to_be_visible()

    # The partner hears of it and is compliant again.
    assert smtp.wait_for(2)
    assert smtp.wait_find(to=PROVIDER, subject_contains="Nieuwe versie geaccepteerd: polis-2028.pdf")
    page.goto(base + "/organisatie/bewijsstukken")
    expect(page.get_by_text("Al uw bewijsstukken met een geldigheidsdatum zijn geldig.")).to_be_visible()
    expect(page.get_by_role("cell", name="geaccepteerd", exact=False)).to_be_visible()
    assert _serious_a11y_violations(page) == []

"""Browser: the administrator opens a reporting round, the partner reports its figures
(first with a mistake, then correctly), and the region looks at the monitoring pages."""
from datetime import date, timedelta

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

FIGURES = {"Jeugdigen in zorg op de peildatum (aantal)": "12",
           "Gestarte plaatsingen (aantal)": "3",
           "Volgens plan beëindigde plaatsingen (aantal)": "2",
           "Ongepland beëindigde plaatsingen (aantal)": "0",
           "Gemiddelde verblijfsduur (dagen)": "410",
           "Klachten (aantal)": "1",
           "Calamiteiten gemeld bij de inspectie (aantal)": "0",
           "Personeelsverloop (percentage (0-100))": "9,5"}


def test_round_report_with_an_error_then_correct_and_the_monitoring_page(live, browser, smtp):
    from portal.extensions import db
    from portal.monitoring.models import IndicatorReport
    from tests.test_partners_capacity import admit, demo_org

    with live.app.app_context():
        admit(demo_org(), "pleegzorg")
        db.session.commit()
    base = live.url
    year = today_local().year - 1

    admin = _login(browser, base, ADMIN)
    admin.goto(base + "/beheer/")
    admin.get_by_role("link", name="Verantwoordingsrondes").click()
    expect(admin.get_by_role("heading", name="Verantwoordingsrondes")).to_be_visible()
    assert _serious_a11y_violations(admin) == []
    admin.get_by_role("link", name="Ronde openen").click()
    assert _serious_a11y_violations(admin) == []
    admin.get_by_label("Naam van de ronde").fill(f"{year} K3")
    admin.get_by_label("Eerste dag van de periode").fill(date(year, 7, 1).isoformat())
    admin.get_by_label("Laatste dag van de periode").fill(date(year, 9, 30).isoformat())
    admin.get_by_label("Uiterste datum om te rapporteren").fill(
        (today_local() + timedelta(days=14)).isoformat())
    admin.get_by_role("button", name="Ronde openen").click()
    expect(admin.get_by_text(f"De ronde {year} K3 is geopend")).to_be_visible()
    expect(admin.get_by_role("heading", name=f"Verantwoordingsronde {year} K3")).to_be_visible()
    assert _serious_a11y_violations(admin) == []
    assert smtp.wait_find(to=PROVIDER, subject_contains=f"Verantwoording {year} K3")

    page = _login(browser, base, PROVIDER)
    page.goto(base + "/aanbieder")
    page.get_by_role("link", name=f"Rapporteren voor {year} K3, Pleegzorg").click()
    expect(page.get_by_role("heading", name=f"Verantwoording {year} K3: Pleegzorg")).to_be_visible()
    assert _serious_a11y_violations(page) == []
    for label, value in FIGURES.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("Personeelsverloop (percentage (0-100))", exact=True).fill("120")
    page.get_by_role("button", name="Rapportage indienen").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Personeelsverloop: een percentage ligt tussen 0 en 100.")
    assert _serious_a11y_violations(page) == []
    with live.app.app_context():
        assert db.session.scalar(select(IndicatorReport.id)) is None
    page.get_by_label("Personeelsverloop (percentage (0-100))", exact=True).fill("9,5")
    page.get_by_role("button", name="Rapportage indienen").click()
    expect(page.get_by_text("Uw rapportage voor Pleegzorg")).to_be_visible()
    assert _serious_a11y_violations(page) == []
    page.get_by_role("link", name="Ingediend op").click()
    expect(page.get_by_role("heading", name="Versie 1 (actueel)")).to_be_visible()
    assert _serious_a11y_violations(page) == []

    admin.get_by_role("link", name="Klachten (Pleegzorg)").click()
    expect(admin.get_by_role("heading", name=f"Klachten: Pleegzorg, {year} K3")).to_be_visible()
    expect(admin.get_by_role("table")).to_contain_text("Stichting Gezinshuis De Linde (demo)")
    expect(admin.locator("svg.chart")).to_be_visible()
    assert _serious_a11y_violations(admin) == []
    admin.get_by_role("link", name="Stichting Gezinshuis De Linde (demo)").click()
    expect(admin.get_by_role("heading", name="Verantwoording van Stichting Gezinshuis De Linde "
                                             "(demo)")).to_be_visible()
    assert _serious_a11y_violations(admin) == []
    admin.goto(base + "/beheer/informatieset")
    assert _serious_a11y_violations(admin) == []
    admin.get_by_role("link", name="Versie 1").click()
    expect(admin.get_by_role("heading", name="Informatieset versie 1")).to_be_visible()
    assert _serious_a11y_violations(admin) == []

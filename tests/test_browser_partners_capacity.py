"""Free places in a real browser: a partner reports capacity (and corrects bad input), the
region's staff see it in the overview, the partner file and the public register; axe-core
checks every page of this part."""
import re

import pytest
from playwright.sync_api import expect

from portal.timeutil import today_local
from tests.browser_support import login_page as _login
from tests.browser_support import serious_a11y_violations as _serious_a11y_violations
from tests.conftest import ASSESSOR_1, PROVIDER
from tests.infra.browser import chromium_available

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed"),
]


def _setup(app):
    """The demo organisation admitted for Pleegzorg and Leefgroepen (suspended), with an
    older report that has become stale and its reminder mail."""
    from portal.extensions import db
    from portal.models import AdmissionStatus
    from portal.partners import capacity
    from tests.test_partners_capacity import admit, age, demo_org, report

    with app.app_context():
        org = demo_org()
        admit(org, "pleegzorg")
        admit(org, "leefgroepen", status=AdmissionStatus.GESCHORST)
        old = report(org, "leefgroepen", location="Oosterhout", places=1, age_min=12,
                     age_max=17)
        age(old, 40)
        db.session.commit()
        assert capacity.remind_stale() == 1
        return org.id


def test_partner_reports_capacity_and_staff_see_it(live, browser, smtp):
    base = live.url
    org_id = _setup(live.app)

    # The partner: the capacity page, a report with bad input, then a correct one.
    page = _login(browser, base, PROVIDER)
    page.goto(base + "/organisatie/capaciteit")
    expect(page.get_by_role("heading", name="Beschikbare plaatsen", exact=True)).to_be_visible()
    expect(page.get_by_text("verouderd").first).to_be_visible()
    assert _serious_a11y_violations(page) == []
    page.get_by_label("Categorie").select_option(label="Pleegzorg")
    page.get_by_label("Locatie").fill("Breda-Noord")
    page.get_by_label("Aantal beschikbare plaatsen").fill("-1")
    page.get_by_label("Beschikbaar vanaf").fill(today_local().isoformat())
    page.get_by_label("Leeftijd vanaf (jaar)").fill("18")
    page.get_by_label("Leeftijd tot en met (jaar)").fill("12")
    page.get_by_role("button", name="Opslaan").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_text("Het aantal plaatsen kan niet negatief zijn.")).to_be_visible()
    expect(summary.get_by_text("De leeftijd tot en met (12) is lager dan de leeftijd vanaf (18).",
                               exact=False)).to_be_visible()
    assert _serious_a11y_violations(page) == []
    summary.get_by_role("link", name="Aantal beschikbare plaatsen", exact=False).click()
    assert page.url.endswith("#places")
    page.get_by_label("Aantal beschikbare plaatsen").fill("2")
    page.get_by_label("Leeftijd vanaf (jaar)").fill("4")
    page.get_by_label("Opmerkingen (niet verplicht)").fill("Ook voor een broer en zus samen.")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("Uw opgave voor Pleegzorg, Breda-Noord is opgeslagen: 2 plaatsen.")
           ).to_be_visible()
    expect(page.get_by_role("cell", name="4 tot en met 12 jaar").first).to_be_visible()
    assert _serious_a11y_violations(page) == []

    # The reminder's link: update the stale report.
    page.get_by_role("link", name=re.compile(r"^Bijwerken\s*: Leefgroepen, Oosterhout$")).click()
    expect(page.get_by_role("heading", name="Beschikbare plaatsen bijwerken: Leefgroepen, "
                                            "Oosterhout")).to_be_visible()
    assert _serious_a11y_violations(page) == []
    page.get_by_label("Aantal beschikbare plaatsen").fill("0")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("Uw opgave voor Leefgroepen, Oosterhout is opgeslagen: 0 plaatsen.")
           ).to_be_visible()

    # Staff: the overview, filtered by age, then the partner file and its lists.
    staff = _login(browser, base, ASSESSOR_1)
    staff.goto(base + "/capaciteit")
    row = staff.get_by_role("row", name="Breda-Noord")
    expect(row).to_be_visible()
    expect(row.get_by_text("Ook voor een broer en zus samen.")).to_be_visible()
    expect(staff.get_by_text("geschorst").first).to_be_visible()
    assert _serious_a11y_violations(staff) == []
    staff.get_by_label("Leeftijd van de jongere").fill("14")
    staff.get_by_role("button", name="Filteren").click()
    expect(staff.get_by_role("cell", name="Oosterhout")).to_be_visible()
    assert staff.get_by_role("cell", name="Breda-Noord").count() == 0
    assert _serious_a11y_violations(staff) == []
    staff.get_by_label("Leeftijd van de jongere").fill("veertig")
    staff.get_by_role("button", name="Filteren").click()
    expect(staff.get_by_text("Vul een leeftijd van 0 tot en met 23 jaar in.")).to_be_visible()
    assert _serious_a11y_violations(staff) == []

    staff.get_by_role("link", name="Stichting Gezinshuis De Linde (demo)").first.click()
    expect(staff.get_by_role("heading", name="Partnerdossier Stichting Gezinshuis De Linde "
                                             "(demo)")).to_be_visible()
    expect(staff.get_by_role("cell", name="Breda-Noord").first).to_be_visible()
    assert _serious_a11y_violations(staff) == []
    staff.get_by_role("link", name="Werk uw beschikbare plaatsen bij", exact=False).first.click()
    expect(staff.get_by_text("ouder dan 30 dagen", exact=False)).to_be_visible()
    assert _serious_a11y_violations(staff) == []
    for sub in ("aanmeldingen", "documenten", "capaciteit"):
        staff.goto(f"{base}/beheer/partners/{org_id}/{sub}")
        assert _serious_a11y_violations(staff) == [], sub

    # The public register and the partner's page; staff also see its free places there.
    public = browser.new_context(locale="nl-NL").new_page()
    public.goto(base + "/register?gemeente=Breda")
    expect(public.get_by_role("cell", name="Stichting Gezinshuis De Linde (demo)")).to_be_visible()
    expect(public.get_by_text("geschorst").first).to_be_visible()
    assert _serious_a11y_violations(public) == []
    public.get_by_role("link", name="Stichting Gezinshuis De Linde (demo)").click()
    expect(public.get_by_role("heading", name="Contactgegevens")).to_be_visible()
    assert public.get_by_text("Breda-Noord").count() == 0
    assert _serious_a11y_violations(public) == []
    staff.goto(f"{base}/register/{org_id}")
    expect(staff.get_by_role("cell", name="Breda-Noord")).to_be_visible()
    assert _serious_a11y_violations(staff) == []

    # The reminder goes out with the mail worker.
    sent = live.app.test_cli_runner().invoke(args=["outbox", "send"])
    assert sent.exit_code == 0, sent.output
    smtp.wait_for(2)
    assert smtp.wait_find(to="info@delinde.demo.nl", subject_contains="Werk uw beschikbare plaatsen bij")

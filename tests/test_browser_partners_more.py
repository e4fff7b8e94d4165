"""Browser: more pages of the partners part, walked in Chromium and checked with axe-core
(no serious or critical violations): the partner gives notice, the region starts a
re-confirmation round, reads a mail in the partner file, and a referrer (verwijzer) looks
up current capacity."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.timeutil import today_local
from tests.browser_support import login_page, serious_a11y_violations
from tests.conftest import ADMIN, PROVIDER
from tests.infra.browser import chromium_available

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed"),
]


def test_partner_gives_notice_and_the_register_shows_the_end(live, browser, smtp):
    from babel.dates import format_date

    from portal.extensions import db
    from portal.models import Admission
    from portal.procedure.models import add_months
    from tests.test_partners import _active

    with live.app.app_context():
        admission = _active()
        admission_id, org_id = admission.id, admission.organisation_id
    base = live.url
    page = login_page(browser, base, PROVIDER)
    page.goto(f"{base}/organisatie/toelatingen/{admission_id}/opzeggen")
    expect(page.get_by_role("heading", name="Toelating voor Pleegzorg opzeggen")).to_be_visible()
    expect(page.get_by_text("De opzegtermijn is 3 maanden.")).to_be_visible()
    assert serious_a11y_violations(page) == []

    # Bad input first: nothing filled in; the error summary names both fields.
    page.get_by_role("button", name="Opzeggen").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_text("Geef de reden.")).to_be_visible()
    expect(summary.get_by_text("Bevestig de opzegging.")).to_be_visible()
    assert serious_a11y_violations(page) == []

    page.get_by_label("Reden van de opzegging").fill("Wij stoppen met pleegzorg.")
    page.get_by_label("Ik zeg deze toelating op namens mijn organisatie.").check()
    page.get_by_role("button", name="Opzeggen").click()
    expect(page.get_by_text("Uw opzegging is vastgelegd")).to_be_visible()
    ends_on = add_months(today_local(), 3)
    with live.app.app_context():
        assert db.session.get(Admission, admission_id).ended_on == ends_on
    assert smtp.wait_find(subject_contains=f"eindigt op {ends_on:%d-%m-%Y}")
    page.goto(f"{base}/register/{org_id}")
    expect(page.get_by_text(f"eindigt op {format_date(ends_on, 'd MMMM y', locale='nl')}")).to_be_visible()
    assert serious_a11y_violations(page) == []


def test_region_starts_a_reconfirmation_round_and_reads_a_partner_mail(live, browser, smtp):
    from portal.extensions import db
    from portal.models import OutboxMail
    from portal.partners.models import ReconfirmationRound
    from tests.test_partners_reconfirmation import _admitted, _new_version, _provider

    with live.app.app_context():
        provider = _provider("beheer@huize-oost.example", "Huize Oost", "71000001")
        org_id = provider.organisation_id
        _admitted(provider, ("pleegzorg",))
        version = _new_version()
        version_number = version.number
        mail_id = db.session.scalar(select(OutboxMail.id).where(
            OutboxMail.organisation_id == org_id, OutboxMail.kind == "agreement_accepted"))
    base = live.url
    admin = login_page(browser, base, ADMIN)
    admin.goto(base + "/beheer/herbevestiging")
    expect(admin.get_by_role("heading", name="Herbevestigingsronde starten")).to_be_visible()
    assert serious_a11y_violations(admin) == []

    # Bad input: no version, a deadline in the past.
    admin.get_by_label("Uiterste datum").fill((today_local() - timedelta(days=1)).isoformat())
    admin.get_by_role("button", name="Ronde starten").click()
    expect(admin.locator(".error-summary")).to_be_visible()
    expect(admin.get_by_text("Kies de versie van de eisen").first).to_be_visible()
    assert serious_a11y_violations(admin) == []

    admin.get_by_label("Nieuwe versie van de eisen").select_option(
        label=f"Versie {version_number}, gepubliceerd {today_local():%d-%m-%Y}")
    admin.get_by_label("Uiterste datum").fill((today_local() + timedelta(days=30)).isoformat())
    admin.get_by_label("Toelichting voor de partners").fill("De pleegzorgeisen zijn aangescherpt.")
    admin.get_by_role("button", name="Ronde starten").click()
    expect(admin.get_by_text("De herbevestigingsronde is gestart")).to_be_visible()
    with live.app.app_context():
        round_id = db.session.scalar(select(ReconfirmationRound.id))
    assert admin.url.endswith(f"/beheer/herbevestiging/{round_id}")
    expect(admin.get_by_text("Huize Oost").first).to_be_visible()
    assert serious_a11y_violations(admin) == []
    assert smtp.wait_find(to="beheer@huize-oost.example")

    admin.goto(f"{base}/beheer/partners/{org_id}/mails/{mail_id}")
    expect(admin.get_by_role("heading", name="deelnemersovereenkomst geaccepteerd")).to_be_visible()
    expect(admin.get_by_role("link", name="Terug naar het partnerdossier")).to_be_visible()
    assert serious_a11y_violations(admin) == []


def test_a_referrer_looks_up_current_capacity(live, browser):
    from portal.accounts.passwords import hash_password
    from portal.extensions import db
    from portal.models import Role, User
    from portal.timeutil import utcnow
    from tests.browser_support import DEMO_PASSWORD
    from tests.test_partners_capacity import admit, demo_org, report

    with live.app.app_context():
        admit(demo_org(), "pleegzorg", "leefgroepen")
        report(demo_org(), location="Breda-Noord", places=2, age_min=4, age_max=12)
        report(demo_org(), "leefgroepen", location="Teteringen", places=0)
        db.session.add(User(email="vera@wijkteam.example", full_name="Vera Verwijzer",
                            role=Role.REFERRER, affiliation="Sociaal wijkteam Breda-Noord",
                            password_hash=hash_password(DEMO_PASSWORD),
                            email_confirmed_at=utcnow()))
        db.session.commit()
    base = live.url
    page = login_page(browser, base, "vera@wijkteam.example")
    expect(page.get_by_role("heading", name="Beschikbare plaatsen bij partners")).to_be_visible()
    assert page.url.endswith("/capaciteit")
    expect(page.get_by_role("cell", name="Breda-Noord")).to_be_visible()
    assert serious_a11y_violations(page) == []

    # Bad input in the filter: an age out of range gets a message next to the field.
    page.get_by_label("Leeftijd van de jongere").fill("40")
    page.get_by_role("button", name="Filteren").click()
    expect(page.get_by_text("Vul een leeftijd van")).to_be_visible()
    assert serious_a11y_violations(page) == []
    page.get_by_label("Leeftijd van de jongere").fill("8")
    page.get_by_label("Alleen met vrije plaatsen").check()
    page.get_by_role("button", name="Filteren").click()
    expect(page.get_by_role("cell", name="Teteringen")).to_have_count(0)
    expect(page.get_by_role("cell", name="Breda-Noord")).to_be_visible()

    page.get_by_role("link", name="Stichting Gezinshuis De Linde (demo)").first.click()
    expect(page.get_by_role("heading", name="Beschikbare plaatsen")).to_be_visible()
    assert page.get_by_role("link", name="Naar het partnerdossier").count() == 0
    assert serious_a11y_violations(page) == []

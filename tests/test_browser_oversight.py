"""Browser: the region plans a verantwoordingsdialoog, records the minutes with an action
point for the partner; the partner confirms the minutes and marks the action done. And an
investigation (toezicht) that ends in a suspension. Every page axe clean."""
from datetime import timedelta

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


def _active_partner(live):
    from portal.extensions import db
    from tests.test_partners_capacity import admit, demo_org

    with live.app.app_context():
        org = demo_org()
        admission = admit(org, "pleegzorg")[0]
        db.session.commit()
        return org.id, org.name, admission.id


def _pick_partner(page, org_name, by_kvk=False):
    """The partner picker: a search too short is explained; a search finds the partner (by
    name, or by its KvK number); its link opens the form with the partner fixed."""
    search = page.get_by_label("Zoek een partner (naam of KvK-nummer)")
    search.fill("S")
    page.get_by_role("button", name="Zoeken").click()
    expect(page.get_by_text("Typ minstens 2 tekens om te zoeken.")).to_be_visible()
    assert _serious_a11y_violations(page) == []
    search.fill("12345678" if by_kvk else org_name)
    page.get_by_role("button", name="Zoeken").click()
    page.get_by_role("link", name=org_name, exact=True).click()
    expect(page.get_by_role("link", name="Andere partner kiezen")).to_be_visible()
    expect(page.get_by_text(org_name).first).to_be_visible()
    assert _serious_a11y_violations(page) == []


def test_dialogue_minutes_confirmed_and_action_point_done(live, browser, smtp):
    from portal.extensions import db
    from portal.oversight.models import ActionPoint, ActionStatus, Dialogue

    org_id, org_name, _ = _active_partner(live)
    base = live.url
    admin = _login(browser, base, ADMIN)
    admin.goto(base + "/beheer/")
    admin.get_by_role("link", name="Verantwoordingsdialogen").click()
    expect(admin.get_by_role("heading", name="Verantwoordingsdialogen", exact=True)).to_be_visible()
    assert _serious_a11y_violations(admin) == []
    admin.get_by_role("link", name="Dialoog plannen").click()
    assert _serious_a11y_violations(admin) == []
    _pick_partner(admin, org_name)
    admin.get_by_label("Datum", exact=True).fill(today_local().isoformat())
    admin.get_by_label("Tijdstip").fill("10:30")
    admin.get_by_label("Plaats of link van het online overleg").fill("Stadskantoor Breda")
    admin.get_by_label("Deelnemers", exact=True).fill(
        "Dirk Visser (contractmanager)\nAnna de Vries (directeur)")
    admin.get_by_label("Agenda", exact=True).fill("Rapportage eerste kwartaal\nKlachten")
    admin.get_by_role("button", name="Dialoog plannen").click()
    expect(admin.get_by_text("De dialoog is gepland")).to_be_visible()
    assert smtp.wait_find(to=PROVIDER, subject_contains="Verantwoordingsdialoog op")
    assert _serious_a11y_violations(admin) == []

    admin.get_by_label("Actiepunt", exact=True).fill("Plan van aanpak wachttijd aanleveren")
    admin.get_by_label("Uitvoerder", exact=True).select_option("partner")
    admin.get_by_label("Naam van de uitvoerder").fill("Anna de Vries")
    admin.get_by_label("Uiterste datum").fill((today_local() + timedelta(days=14)).isoformat())
    admin.get_by_role("button", name="Actiepunt toevoegen").click()
    expect(admin.get_by_text("Het actiepunt is toegevoegd.")).to_be_visible()
    admin.get_by_label("Verslag", exact=True).fill("De partner lichtte de wachttijd toe.")
    admin.get_by_role("button", name="Verslag vastleggen").click()
    expect(admin.get_by_text("Het verslag is vastgelegd")).to_be_visible()
    assert _serious_a11y_violations(admin) == []
    assert smtp.wait_find(to=PROVIDER, subject_contains="ter bevestiging")

    partner = _login(browser, base, PROVIDER)
    partner.goto(base + "/aanbieder")
    partner.get_by_role("link", name="Verslag bekijken").click()
    expect(partner.get_by_text("De partner lichtte de wachttijd toe.")).to_be_visible()
    assert _serious_a11y_violations(partner) == []
    partner.get_by_role("button", name="Verslag bevestigen").click()
    expect(partner.get_by_text("U heeft het verslag bevestigd.").first).to_be_visible()
    partner.get_by_label("Toelichting: wat is er gedaan?").fill("Plan verstuurd per e-mail.")
    partner.get_by_role("button", name="Gereed melden").click()
    expect(partner.get_by_text("Het actiepunt staat op gereed")).to_be_visible()
    assert _serious_a11y_violations(partner) == []
    partner.goto(base + "/organisatie/dialogen")
    assert _serious_a11y_violations(partner) == []
    assert smtp.wait_find(to=ADMIN, subject_contains="Verslag bevestigd door")

    with live.app.app_context():
        dialogue = db.session.scalar(select(Dialogue))
        assert dialogue.confirmed_at is not None
        assert db.session.scalar(select(ActionPoint)).status == ActionStatus.GEREED
    admin.reload()
    expect(admin.get_by_text("Plan verstuurd per e-mail.")).to_be_visible()
    admin.goto(f"{base}/beheer/partners/{org_id}")
    expect(admin.get_by_role("heading", name="Verantwoording en toezicht")).to_be_visible()
    assert _serious_a11y_violations(admin) == []


def test_investigation_ending_in_a_suspension(live, browser, smtp):
    from portal.extensions import db
    from portal.models import Admission, AdmissionStatus
    from portal.oversight.models import Investigation

    org_id, org_name, admission_id = _active_partner(live)
    base = live.url
    admin = _login(browser, base, ADMIN)
    admin.goto(base + "/beheer/")
    admin.get_by_role("link", name="Toezicht", exact=True).click()
    expect(admin.get_by_role("heading", name="Toezicht", exact=True)).to_be_visible()
    assert _serious_a11y_violations(admin) == []
    admin.get_by_role("link", name="Onderzoek vastleggen").click()
    _pick_partner(admin, org_name, by_kvk=True)
    admin.get_by_label("Aanleiding", exact=True).select_option("calamiteit")
    admin.get_by_label("Aanleiding voor de partner").fill("Melding van een calamiteit.")
    admin.get_by_label("Interne aantekeningen (niet verplicht)").fill("Intern: bron vertrouwelijk.")
    assert _serious_a11y_violations(admin) == []
    admin.get_by_role("button", name="Onderzoek vastleggen").click()
    expect(admin.get_by_text("Het onderzoek is vastgelegd")).to_be_visible()
    assert _serious_a11y_violations(admin) == []

    admin.get_by_label("Eis", exact=True).select_option(index=1)
    admin.get_by_label("Oordeel", exact=True).select_option("voldoet_niet")
    admin.get_by_label("Bevinding", exact=True).fill("De meldcode wordt niet toegepast.")
    admin.get_by_role("button", name="Bevinding toevoegen").click()
    expect(admin.get_by_text("De bevinding is vastgelegd.")).to_be_visible()
    # a suspension without its date: the message at the field, nothing done
    admin.get_by_label("Maatregel", exact=True).select_option("schorsing")
    admin.get_by_label("Toelichting voor de partner").fill("Geschorst tot het plan er is.")
    admin.get_by_label("Toelating (bij schorsing of beëindiging)").select_option(str(admission_id))
    admin.get_by_role("button", name="Maatregel vastleggen").click()
    expect(admin.get_by_text("Vul de ingangsdatum van de schorsing in.").first).to_be_visible()
    assert _serious_a11y_violations(admin) == []
    admin.get_by_label("Ingangsdatum schorsing").fill(today_local().isoformat())
    admin.get_by_role("button", name="Maatregel vastleggen").click()
    expect(admin.get_by_text("De maatregel is vastgelegd")).to_be_visible()
    assert smtp.wait_find(to=PROVIDER, subject_contains="Schorsing van uw toelating")
    assert smtp.wait_find(to=PROVIDER, subject_contains="Uitkomst van het onderzoek",
                          body_contains="De meldcode wordt niet toegepast.")
    with live.app.app_context():
        item = db.session.scalar(select(Investigation))
        assert item.suspension_id is not None
        assert db.session.get(Admission, admission_id).status == AdmissionStatus.GESCHORST
        item_id = item.id
    admin.goto(f"{base}/beheer/partners/{org_id}")
    expect(admin.get_by_text("schorsing vanaf").first).to_be_visible()

    partner = _login(browser, base, PROVIDER)
    partner.goto(f"{base}/organisatie/toezicht/{item_id}")
    expect(partner.get_by_text("De meldcode wordt niet toegepast.")).to_be_visible()
    expect(partner.get_by_text("Intern: bron vertrouwelijk.")).to_have_count(0)
    assert _serious_a11y_violations(partner) == []
    partner.goto(base + "/aanbieder")
    expect(partner.get_by_text("geschorst sinds")).to_be_visible()

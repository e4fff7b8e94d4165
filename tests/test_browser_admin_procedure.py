"""Procedure administration in a real browser: settings, closing with a notice, a public
document, categories, a product, tariffs with indexation and publishing, and the public
page; axe-core on every page of this part."""
import shutil
from datetime import date

import pytest
from playwright.sync_api import expect

from portal.procedure import settings as procedure_ops
from tests.browser_support import login_page as _login
from tests.browser_support import serious_a11y_violations as _serious_a11y_violations
from tests.conftest import ADMIN, make_app, remove_tariffs
from tests.helpers import PDF_BYTES
from tests.infra.browser import LiveServer, chromium_available

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed"),
]


@pytest.fixture
def live(template_db, tmp_path, smtp, monkeypatch):
    # "This year" for the public tariffs: fixed, so the test does not depend on the date.
    monkeypatch.setattr(procedure_ops, "today_local", lambda: date(2027, 3, 1))
    path = tmp_path / "live.sqlite"
    shutil.copy(template_db, path)
    app = make_app(f"sqlite:///{path}", tmp_path / "uploads", smtp)
    with app.app_context():
        remove_tariffs()  # the test enters and publishes the first tariffs itself
    server = LiveServer(app).start()
    yield server
    server.stop()


def test_administrator_maintains_the_procedure_and_the_public_page_follows(live, browser, tmp_path):
    base = live.url
    pdf = tmp_path / "toelatingsdocument.pdf"
    pdf.write_bytes(PDF_BYTES)
    page = _login(browser, base, ADMIN)

    # Settings: the decision period changes; the history shows old and new.
    page.goto(base + "/beheer/procedure")
    expect(page.get_by_role("heading", name="Procedure beheren")).to_be_visible()
    assert _serious_a11y_violations(page) == []
    page.get_by_label("Beslistermijn (weken)").fill("0")
    page.get_by_role("button", name="Opslaan").click()
    summary = page.locator(".error-summary")
    expect(summary.get_by_text("De beslistermijn ligt tussen 1 en 52 weken.")).to_be_visible()
    assert _serious_a11y_violations(page) == []
    summary.get_by_role("link", name="Beslistermijn").click()
    assert page.url.endswith("#decision_period_weeks")
    page.get_by_label("Beslistermijn (weken)").fill("6")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("De instellingen zijn opgeslagen.")).to_be_visible()
    expect(page.get_by_role("cell", name="decision_period_weeks: 8 -> 6")).to_be_visible()

    # Closing without a notice is refused; with one it is saved.
    page.get_by_role("link", name="Aanmelden open of gesloten").click()
    assert _serious_a11y_violations(page) == []
    page.get_by_label("Tijdelijk gesloten voor nieuwe aanmeldingen").check()
    page.get_by_role("button", name="Opslaan").click()
    expect(page.locator(".error-summary").get_by_text("Schrijf de mededeling")).to_be_visible()
    assert page.get_by_label("Tijdelijk gesloten voor nieuwe aanmeldingen").is_checked()
    assert _serious_a11y_violations(page) == []
    page.get_by_label("Mededeling bij sluiten").fill("We werken de eisen bij; tot dan is "
                                                     "aanmelden gesloten.")
    page.get_by_label("Gaat weer open op (niet verplicht)").fill("2099-06-01")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("Aanmelden is gesloten.")).to_be_visible()

    # A public document.
    page.get_by_role("link", name="Documenten", exact=True).click()
    assert _serious_a11y_violations(page) == []
    section = page.locator("section", has=page.get_by_role("heading", name="Toelatingsdocument"))
    section.get_by_label("Bestand (PDF)").set_input_files(str(pdf))
    section.get_by_role("button", name="Publiceren").click()
    expect(page.get_by_text("Toelatingsdocument is gepubliceerd")).to_be_visible()
    assert _serious_a11y_violations(page) == []

    # Categories: add one, move it up, deactivate it.
    page.get_by_role("link", name="Categorieën").click()
    assert _serious_a11y_violations(page) == []
    page.get_by_role("link", name="Categorie toevoegen").click()
    page.get_by_label("Naam").fill("Pleegzorg")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("Er is al een categorie met de naam").first).to_be_visible()
    assert _serious_a11y_violations(page) == []
    page.get_by_label("Naam").fill("Crisisopvang")
    page.get_by_label("Beschrijving").fill("Opvang binnen 24 uur.")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("De categorie Crisisopvang is toegevoegd")).to_be_visible()
    page.get_by_role("button", name="Omhoog Crisisopvang").click()
    rows = page.locator("tbody tr td:nth-child(2) strong").all_inner_texts()
    assert rows.index("Crisisopvang") == rows.index("Leefgroepen") - 1
    page.get_by_role("button", name="Deactiveren Crisisopvang").click()
    expect(page.get_by_text("De categorie Crisisopvang is gedeactiveerd")).to_be_visible()
    page.get_by_role("link", name="Wijzigen Crisisopvang").click()
    assert _serious_a11y_violations(page) == []

    # Products: a bad code, then a good one.
    page.get_by_role("link", name="Producten").click()
    assert _serious_a11y_violations(page) == []
    page.get_by_role("link", name="Product toevoegen").click()
    page.get_by_label("Productcode").fill("44A06")
    page.get_by_label("Naam").fill("Kamertraining per uur")
    page.get_by_label("Eenheid").select_option("uur")
    page.get_by_label("Categorie").select_option(label="Zelfstandigheidstraining / kamertraining")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.locator(".error-summary").get_by_text("Productcode 44A06 is al in gebruik")).to_be_visible()
    assert page.get_by_label("Naam").input_value() == "Kamertraining per uur"
    assert _serious_a11y_violations(page) == []
    page.get_by_label("Productcode").fill("45b01")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("Product 45B01 is toegevoegd")).to_be_visible()

    # Tariffs 2027: a bad price first, then prices in Dutch notation, then publish.
    page.get_by_role("link", name="Tarieven", exact=True).click()
    assert _serious_a11y_violations(page) == []
    page.get_by_role("link", name="Tarieven 2027").click()
    page.get_by_label("Tarief 44A06").fill("123,456")
    page.get_by_label("Tarief 44A07").fill("200")
    page.get_by_label("Tarief 44A08").fill("1.234,56")
    page.get_by_label("Tarief 45B01").fill("75.5")
    page.get_by_role("button", name="Concept opslaan").click()
    expect(page.locator(".error-summary").get_by_text(
        "44A06: Een tarief heeft hoogstens twee cijfers achter de komma")).to_be_visible()
    assert page.get_by_label("Tarief 44A08").input_value() == "1.234,56"
    assert _serious_a11y_violations(page) == []
    page.get_by_label("Tarief 44A06").fill("123,45")
    page.get_by_role("button", name="Concept opslaan").click()
    expect(page.get_by_text("De tarieven 2027 zijn opgeslagen als concept")).to_be_visible()
    page.get_by_role("button", name="Tarieven 2027 publiceren").click()
    expect(page.get_by_text("4 tarieven voor 2027 gepubliceerd")).to_be_visible()
    assert _serious_a11y_violations(page) == []

    # 2028: indexation by 3,7 %, shown beside 2027 as a draft.
    page.get_by_role("link", name="Tarieven 2028").click()
    page.get_by_label("Percentage voor alle producten").fill("3,7")
    page.get_by_role("button", name="Berekenen").click()
    expect(page.get_by_text("4 tarieven voor 2028 berekend")).to_be_visible()
    row = page.locator("tr", has=page.get_by_role("cell", name="44A06", exact=True)).first
    assert "123,45" in row.inner_text()
    assert page.get_by_label("Tarief 44A06").input_value() == "128,02"
    assert _serious_a11y_violations(page) == []

    # The public page: closed notice, the document, published 2027 prices, no drafts.
    visitor = browser.new_context(locale="nl-NL").new_page()
    visitor.goto(base + "/")
    expect(visitor.get_by_role("heading", name="Aanmelden is tijdelijk gesloten")).to_be_visible()
    expect(visitor.get_by_text("We werken de eisen bij")).to_be_visible()
    expect(visitor.get_by_text("Aanmelden gaat weer open op 1 juni 2099.")).to_be_visible()
    expect(visitor.get_by_role("link", name="Toelatingsdocument")).to_be_visible()
    expect(visitor.get_by_role("heading", name="Tarieven 2027")).to_be_visible()
    expect(visitor.get_by_role("cell", name="€ 1.234,56")).to_be_visible()
    assert visitor.get_by_role("heading", name="Tarieven 2028").count() == 0
    assert "128,02" not in visitor.content()
    expect(visitor.get_by_text("6 weken na indienen")).to_be_visible()
    assert _serious_a11y_violations(visitor) == []
    with visitor.expect_download() as download:
        visitor.get_by_role("link", name="Toelatingsdocument").click()
    assert download.value.suggested_filename == "toelatingsdocument.pdf"

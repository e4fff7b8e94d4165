"""The requirement catalogue in a real browser: the administrator makes a draft, adds,
changes, moves and removes requirements, compares, publishes, and the public page /eisen
shows the new version; axe checks every page of the catalogue."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser_support import login_page as _login
from tests.browser_support import serious_a11y_violations as _serious_a11y_violations
from tests.conftest import ADMIN
from tests.infra.browser import chromium_available

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed"),
]


TITLE = "Werken met een veiligheidsplan"
GUIDANCE = "Let op: het plan moet jaarlijks herzien zijn (alleen voor beoordelaars)."


def test_admin_publishes_a_new_catalogue_version_and_the_public_page_shows_it(live, browser):
    base = live.url
    page = _login(browser, base, ADMIN)

    # The overview of versions; a new draft.
    page.goto(base + "/beheer/eisen")
    expect(page.get_by_role("heading", name="Eisen en versies")).to_be_visible()
    assert _serious_a11y_violations(page) == []
    page.get_by_role("button", name="Nieuwe conceptversie maken").click()
    expect(page.get_by_text("Conceptversie 2 is gemaakt")).to_be_visible()
    assert page.url.endswith("/beheer/eisen/versie/2")
    expect(page.get_by_role("cell", name="A14", exact=True)).to_be_visible()
    assert _serious_a11y_violations(page) == []
    draft_url = page.url

    # Adding a requirement: first with problems (not general, no category; min above max).
    page.get_by_role("link", name="Eis toevoegen").click()
    expect(page.get_by_role("heading", name="Eis toevoegen aan conceptversie 2")).to_be_visible()
    assert _serious_a11y_violations(page) == []
    page.get_by_label("Code", exact=True).fill("A15")
    page.get_by_label("Titel", exact=True).fill(TITLE)
    page.get_by_label("Toelichting voor de aanbieder").fill(
        "Voor elke jeugdige is er een actueel veiligheidsplan.")
    page.get_by_label("Beoordelingsrichtlijn").fill(GUIDANCE)
    page.get_by_label("Alleen voor de categorieën die hieronder zijn aangevinkt").check()
    page.get_by_label("Verklaring", exact=True).fill(
        "Ik verklaar dat elke jeugdige een veiligheidsplan heeft.")
    page.get_by_label("Vraag naar een getal").fill("Aantal plannen")
    page.get_by_label("Kleinste toegestane getal").fill("9")
    page.get_by_label("Grootste toegestane getal").fill("3")
    page.get_by_role("button", name="Eis toevoegen").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_text("Kies minstens één categorie")).to_be_visible()
    expect(summary.get_by_text("Het kleinste getal (9) mag niet groter zijn")).to_be_visible()
    assert _serious_a11y_violations(page) == []
    # Nothing typed is lost.
    assert page.get_by_label("Titel", exact=True).input_value() == TITLE
    assert page.get_by_label("Beoordelingsrichtlijn").input_value() == GUIDANCE
    summary.get_by_role("link", name=re.compile("Kies minstens één categorie")).click()
    assert page.url.endswith("#categories")

    # Corrected: for every category, no number question.
    page.get_by_label("Voor alle categorieën (algemene eis)").check()
    page.get_by_label("Vraag naar een getal").fill("")
    page.get_by_label("Kleinste toegestane getal").fill("")
    page.get_by_label("Grootste toegestane getal").fill("")
    page.get_by_role("button", name="Eis toevoegen").click()
    expect(page.get_by_text("Eis A15 is toegevoegd aan conceptversie 2.")).to_be_visible()
    expect(page.get_by_role("cell", name="A15", exact=True)).to_be_visible()

    # Changing it: the edit page, then move it up one place.
    page.get_by_role("link", name="Wijzigen A15").click()
    expect(page.get_by_role("heading", name="Eis A15 wijzigen in conceptversie 2")).to_be_visible()
    assert _serious_a11y_violations(page) == []
    page.get_by_label("Knock-out-eis").uncheck()
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("Eis A15 is gewijzigd.")).to_be_visible()
    page.get_by_role("button", name="Omhoog A15").click()
    expect(page.get_by_text("Eis A15 staat nu een plaats omhoog.")).to_be_visible()
    codes = page.locator("tbody tr td:first-child").all_inner_texts()
    assert codes[-2:] == ["A15", "L1"]

    # Removing Z2 (with a confirmation page).
    page.get_by_role("link", name="Verwijderen Z2").click()
    expect(page.get_by_role("heading", name="Eis Z2 verwijderen")).to_be_visible()
    assert _serious_a11y_violations(page) == []
    page.get_by_role("button", name="Verwijderen").click()
    expect(page.get_by_text("Eis Z2 is verwijderd uit conceptversie 2.")).to_be_visible()

    # The comparison with version 1.
    page.get_by_role("link", name="Vergelijk versie 2 met versie 1").click()
    expect(page.get_by_role("heading", name="Van versie 1 naar versie 2")).to_be_visible()
    expect(page.get_by_text("1 toegevoegd, 1 verwijderd, 0 gewijzigd")).to_be_visible()
    expect(page.get_by_role("cell", name="A15", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="Z2", exact=True)).to_be_visible()
    assert _serious_a11y_violations(page) == []

    # Publishing.
    page.goto(draft_url)
    page.get_by_label("Wat is er veranderd?").fill("Nieuwe eis A15 over het veiligheidsplan.")
    page.get_by_role("button", name="Versie 2 publiceren").click()
    expect(page.get_by_text("Versie 2 is gepubliceerd.")).to_be_visible()
    assert not page.get_by_role("link", name="Eis toevoegen").is_visible()
    assert _serious_a11y_violations(page) == []

    # The public page shows version 2: A15 but not Z2, and never the assessment guidance.
    public = browser.new_context(locale="nl-NL").new_page()
    public.goto(base + "/eisen")
    expect(public.get_by_text(re.compile(r"Versie 2, gepubliceerd op \d{1,2} \w+ 20\d\d"))).to_be_visible()
    expect(public.get_by_text("Nieuwe eis A15 over het veiligheidsplan.")).to_be_visible()
    expect(public.get_by_text(TITLE)).to_be_visible()
    assert public.get_by_role("cell", name="Z2", exact=True).count() == 0
    assert GUIDANCE not in public.content()
    assert _serious_a11y_violations(public) == []

    # A new draft (version 3) can be thrown away again; the overview lists every version.
    page.goto(base + "/beheer/eisen")
    page.get_by_role("button", name="Nieuwe conceptversie maken").click()
    page.get_by_role("link", name="Conceptversie weggooien").click()
    expect(page.get_by_role("heading", name="Conceptversie 3 weggooien")).to_be_visible()
    assert _serious_a11y_violations(page) == []
    page.get_by_role("button", name="Weggooien").click()
    expect(page.get_by_text("Conceptversie 3 is weggegooid.")).to_be_visible()
    expect(page.get_by_role("link", name="Versie 2", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Versie 1", exact=True)).to_be_visible()
    assert _serious_a11y_violations(page) == []

    # A published version can be read, not edited.
    page.get_by_role("link", name="Versie 1", exact=True).click()
    expect(page.get_by_text("Deze versie is gepubliceerd en wordt niet meer gewijzigd.")).to_be_visible()
    assert page.get_by_role("link", name=re.compile("^Wijzigen")).count() == 0
    page.get_by_text("Toelichting en beoordelingsrichtlijn bij A1", exact=True).click()
    assert _serious_a11y_violations(page) == []

    # A comparison with a version that does not exist shows the problem.
    page.goto(base + "/beheer/eisen/vergelijken?van=9&naar=2")
    expect(page.locator(".error-summary").get_by_text("Versie 9 bestaat niet.")).to_be_visible()
    assert _serious_a11y_violations(page) == []

"""The spine in a real browser: Debian's Chromium driven by Playwright against a live server."""

import pytest
from playwright.sync_api import expect

from tests.browser_support import login_page as _login
from tests.browser_support import quiet_pdfs as _quiet_pdfs
from tests.browser_support import serious_a11y_violations as _serious_a11y_violations
from tests.conftest import ASSESSOR_1, ASSESSOR_2, PROVIDER
from tests.helpers import PDF_BYTES, submitted_application, valid_until
from tests.infra.browser import chromium_available

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed"),
]


def test_provider_applies_assessors_decide_provider_sees_decision(live, browser, smtp, tmp_path):
    evidence = tmp_path / "bewijs.pdf"
    evidence.write_bytes(PDF_BYTES)
    base = live.url

    # Provider: new application for Pleegzorg.
    page = _login(browser, base, PROVIDER)
    page.get_by_role("link", name="Nieuwe aanmelding").first.click()
    page.get_by_label("Pleegzorg").check()
    page.get_by_role("button", name="Volgende").click()
    # The wizard: step 1 of 4 (the general requirements, first part), with its progress.
    expect(page.get_by_role("heading", name="Algemene eisen (deel 1 van 2)")).to_be_visible()
    expect(page.get_by_text("Stap 1 van 4")).to_be_visible()
    # Every requirement here is a knock-out requirement: said once, no badge on each.
    expect(page.get_by_text("Alle eisen op deze pagina zijn knock-out-eisen")).to_be_visible()
    expect(page.locator("legend .badge")).to_have_count(0)
    assert page.locator("fieldset.req").count() <= 7
    expect(page.get_by_text("Alleen PDF, maximaal 10 MB.").first).to_be_visible()
    assert _serious_a11y_violations(page) == []

    # Submitting too early shows the missing items, each linking to its field.
    page.get_by_role("link", name="Overzicht en indienen").click()
    page.get_by_role("button", name="Indienen").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    assert _serious_a11y_violations(page) == []
    summary.get_by_role("link", name="A13").first.click()
    assert "/stap/2" in page.url and page.url.endswith("_declared")
    page.get_by_role("link", name="Algemene eisen (deel 1 van 2)").click()

    def fill_step():
        for box in page.locator("input[type=checkbox][name$=_declared]").all():
            box.check()
        for field in page.locator("input[name$=_identifier]").all():
            if not field.input_value():
                field.fill("73730123")
        for field in page.locator("input[name$=_number]").all():
            field.fill("5")
        for field in page.locator("input[name$=_amount]").all():
            field.fill("2.500.000")
        for field in page.locator("textarea[name$=_text]").all():
            field.fill("Jongeren praten mee in onze jongerenraad.")
        for upload in page.locator("input[type=file]").all():
            upload.set_input_files(str(evidence))
        for date_field in page.locator("input[type=date]").all():
            date_field.fill(valid_until().isoformat())

    fill_step()
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("Uw antwoorden zijn opgeslagen.")).to_be_visible()
    page.get_by_role("button", name="Volgende").click()
    expect(page.get_by_text("Stap 2 van 4: Algemene eisen (deel 2 van 2)")).to_be_visible()
    fill_step()
    page.get_by_role("button", name="Volgende").click()
    expect(page.get_by_text("Stap 3 van 4: Eisen voor Pleegzorg")).to_be_visible()
    fill_step()
    page.get_by_role("button", name="Volgende").click()
    expect(page.get_by_role("heading", name="Overzicht en indienen")).to_be_visible()
    expect(page.get_by_text("Alle eisen zijn ingevuld")).to_be_visible()
    expect(page.get_by_text("Jongeren praten mee in onze jongerenraad.")).to_be_visible()
    assert _serious_a11y_violations(page) == []
    page.get_by_role("button", name="Indienen").click()
    expect(page.get_by_text("is ingediend")).to_be_visible()
    reference = page.locator("h1").inner_text().split()[-1]
    assert reference.startswith("WMB-")
    assert smtp.wait_find(subject_contains=f"Ontvangstbevestiging aanmelding {reference}")

    # Assessor 1: queue, take it, verdicts, propose admission.
    assessor = _login(browser, base, ASSESSOR_1)
    _quiet_pdfs(assessor)
    expect(assessor.get_by_role("heading", name="Aanmeldingen beoordelen")).to_be_visible()
    assessor.get_by_role("link", name=reference, exact=True).click()
    assessor.get_by_role("button", name="In behandeling nemen").click()
    assessor.get_by_role("button", name="Ik verklaar dat ik geen belangenconflict heb").click()
    # The review workspace shows one requirement at a time: the list selects each.
    for link in assessor.locator("nav.ws-nav a").all():
        link.click()
        assessor.locator("[data-ws-panel]:visible input[type=radio][value=voldoet]").check()
    assessor.get_by_role("button", name="Oordelen opslaan").click()
    expect(assessor.get_by_text("De oordelen zijn opgeslagen.")).to_be_visible()
    assessor.get_by_label("Toegelaten").check()
    assessor.get_by_label("Motivering Pleegzorg").fill("Voldoet aan alle minimumeisen voor pleegzorg.")
    assessor.get_by_role("button", name="Besluit voorstellen").click()
    expect(assessor.get_by_text("Een tweede beoordelaar moet het goedkeuren")).to_be_visible()
    assert _serious_a11y_violations(assessor) == []

    # Assessor 2 approves.
    second = _login(browser, base, ASSESSOR_2)
    _quiet_pdfs(second)
    second.goto(base + "/beoordeling/?status=besluit_voorgesteld")
    second.get_by_role("link", name=reference, exact=True).click()
    second.get_by_label("Ik verklaar dat ik geen belangen heb", exact=False).check()
    second.get_by_role("button", name="Goedkeuren").click()
    second.get_by_text("Het besluit is goedgekeurd").wait_for()  # the letter takes a moment
    assert smtp.wait_find(subject_contains=f"Besluit over uw aanmelding {reference}")

    # Provider sees the decision and the admission; the public register lists them.
    page.goto(base + "/aanbieder")
    expect(page.get_by_role("heading", name="Toegelaten categorieën")).to_be_visible()
    expect(page.locator("li", has_text="Pleegzorg").first).to_be_visible()
    page.get_by_role("link", name=reference, exact=True).click()
    expect(page.get_by_text("Voldoet aan alle minimumeisen voor pleegzorg.")).to_be_visible()
    page.goto(base + "/register?categorie=pleegzorg")
    expect(page.get_by_role("cell", name="Stichting Gezinshuis De Linde (demo)")).to_be_visible()
    assert _serious_a11y_violations(page) == []


def test_full_assessment_round_with_completion_and_letter(live, browser, smtp, tmp_path):
    """Take, verdicts, request to complete, provider answers, propose, second assessor
    approves, provider reads the letter; axe checks every page of the round."""

    from portal.extensions import db
    from tests.conftest import user

    with live.app.app_context():
        provider = user(PROVIDER)
        application = submitted_application(provider, "leefgroepen")
        db.session.commit()
        reference, app_id = application.reference, application.id
    base = live.url
    evidence = tmp_path / "methode.pdf"
    evidence.write_bytes(PDF_BYTES)

    first = _login(browser, base, ASSESSOR_1)
    _quiet_pdfs(first)
    first.goto(base + "/beoordeling/?beoordelaar=niemand&sorteer=resterend")
    assert _serious_a11y_violations(first) == []
    first.get_by_role("link", name=reference, exact=True).click()
    first.get_by_role("button", name="In behandeling nemen").click()
    first.get_by_role("button", name="Ik verklaar dat ik geen belangenconflict heb").click()
    expect(first.get_by_text("Uw verklaring is vastgelegd")).to_be_visible()
    assert _serious_a11y_violations(first) == []

    # Verdicts are saved as they are given (progressive enhancement), then survive a reload.
    first.locator("input[type=radio][value=voldoet]").first.check()
    first.get_by_text("Opgeslagen om").wait_for()
    first.locator("nav.ws-nav a").last.click()  # the workspace shows one requirement at a time
    first.locator("input[type=radio][value=voldoet_niet]").last.check()
    first.get_by_text("zodra u de reden invult").wait_for()
    first.reload()
    assert first.locator("input[type=radio][value=voldoet]").first.is_checked()
    assert not first.locator("input[type=radio][value=voldoet_niet]").last.is_checked()

    # Ask about L1 (the pedagogical method).
    first.locator("#completion_requirements summary", has_text="L1").click()  # opens <details>
    first.get_by_label("Vraag stellen over deze eis").last.check()
    first.get_by_label("Vraag over L1").fill(
        "Uw methode beschrijft de nachtdienst niet. Wilt u die toevoegen?")
    first.get_by_role("button", name="Aanvulling vragen").click()
    expect(first.get_by_text("De vraag om aanvulling is naar de aanbieder gestuurd")).to_be_visible()
    assert smtp.wait_find(subject_contains=f"Aanvulling gevraagd op uw aanmelding {reference}")

    # The provider sees the question, can change only L1, and sends the completion.
    page = _login(browser, base, PROVIDER)
    page.goto(f"{base}/aanmeldingen/{app_id}")
    expect(page.get_by_text("nachtdienst")).to_be_visible()
    assert page.locator("fieldset.req").count() == 1
    assert _serious_a11y_violations(page) == []
    page.locator("input[type=file]").set_input_files(str(evidence))
    page.get_by_label("Toelichting bij uw aanvulling (niet verplicht)").fill("Nachtdienst toegevoegd.")
    page.get_by_role("button", name="Aanvulling versturen").click()
    expect(page.get_by_text("Uw aanvulling is verstuurd")).to_be_visible()

    # Back with the assessor: verdicts and a proposal.
    first.goto(f"{base}/beoordeling/{app_id}")
    expect(first.get_by_text("Aanvulling ontvangen op")).to_be_visible()
    for link in first.locator("nav.ws-nav a").all():  # one requirement at a time
        link.click()
        first.locator("[data-ws-panel]:visible input[type=radio][value=voldoet]").check()
    first.get_by_role("button", name="Oordelen opslaan").click()
    first.get_by_label("Toegelaten").check()
    first.get_by_label("Motivering Leefgroepen").fill("Voldoet aan alle minimumeisen voor leefgroepen.")
    first.get_by_role("button", name="Besluit voorstellen").click()
    expect(first.get_by_text("U heeft dit besluit voorgesteld")).to_be_visible()

    # The second assessor approves; the letter is made and mailed.
    second = _login(browser, base, ASSESSOR_2)
    _quiet_pdfs(second)
    second.goto(f"{base}/beoordeling/{app_id}")
    assert _serious_a11y_violations(second) == []
    second.get_by_label("Ik verklaar dat ik geen belangen heb", exact=False).check()
    second.get_by_role("button", name="Goedkeuren").click()
    second.get_by_text("Het besluit is goedgekeurd").wait_for()  # the letter takes a moment
    expect(second.get_by_role("heading", name="Geschiedenis")).to_be_visible()
    history = second.locator("ol.timeline")
    expect(history.get_by_text("Besluit goedgekeurd")).to_be_visible()
    expect(history.get_by_text("(van besluit voorgesteld naar besloten)")).to_be_visible()
    assert _serious_a11y_violations(second) == []
    [mail] = [m for m in smtp.wait_find(subject_contains=f"Besluit over uw aanmelding {reference}")
              if m["To"] == PROVIDER]
    assert [a.get_filename() for a in mail.iter_attachments()] == [f"besluitbrief-{reference}.pdf"]

    # The provider reads the decision and downloads the letter.
    page.goto(f"{base}/aanmeldingen/{app_id}")
    expect(page.get_by_text("Voldoet aan alle minimumeisen voor leefgroepen.")).to_be_visible()
    assert _serious_a11y_violations(page) == []  # the decision and the letter link
    with page.expect_download() as download:
        page.get_by_role("link", name=f"besluitbrief-{reference}.pdf").click()
    with open(download.value.path(), "rb") as letter:
        assert letter.read().startswith(b"%PDF-")


def test_provider_pages_are_accessible(live, browser, smtp, tmp_path):
    """Dashboard, new application, document library and messages pass axe, and the
    library upload works in the browser."""
    evidence = tmp_path / "polis.pdf"
    evidence.write_bytes(PDF_BYTES)
    base = live.url
    page = _login(browser, base, PROVIDER)
    for url in ("/aanbieder", "/aanmeldingen/nieuw", "/organisatie/documenten",
                "/organisatie/berichten", "/", "/eisen", "/register"):
        page.goto(base + url)
        assert _serious_a11y_violations(page) == [], url
    page.goto(base + "/organisatie/documenten")
    page.get_by_label("Soort document").select_option("Verzekeringspolis")
    page.get_by_label("Bestand (PDF)").set_input_files(str(evidence))
    page.get_by_label("Geldig tot (niet verplicht)").fill(valid_until().isoformat())
    page.get_by_role("button", name="Uploaden").click()
    expect(page.get_by_text("'polis.pdf' staat in uw documentenbibliotheek.")).to_be_visible()
    expect(page.get_by_role("link", name="polis.pdf")).to_be_visible()
    assert _serious_a11y_violations(page) == []

"""Staff accounts, mail texts and the audit log in a real browser (Debian's Chromium under
Playwright): an administrator creates an assessor, the assessor sets a password with the
link from the mail the real SMTP catcher received and logs in; the administrator edits a
mail text and previews it, deactivates an assessor and searches the audit log. axe checks
every page of these parts."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser_support import enrol_second_factor
from tests.browser_support import link_in_mail as _link_in_mail
from tests.browser_support import login_page as _login
from tests.browser_support import serious_a11y_violations as _serious_a11y_violations
from tests.conftest import ADMIN, ASSESSOR_2
from tests.infra.browser import chromium_available

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed"),
]

NEW_EMAIL = "nora.nieuw@regio.example"
NEW_PASSWORD = "beoordelen-is-een-vak-2027"


def test_staff_account_mail_text_and_audit_log(live, browser, smtp):
    base = live.url
    admin = _login(browser, base, ADMIN)

    # The list of staff, the form (first with errors), the new account.
    admin.goto(base + "/beheer/medewerkers")
    expect(admin.get_by_role("heading", name="Medewerkers van de regio")).to_be_visible()
    expect(admin.get_by_role("cell", name="beoordelaar1@demo.nl")).to_be_visible()
    assert _serious_a11y_violations(admin) == []
    admin.get_by_role("link", name="Medewerker toevoegen").click()
    expect(admin.get_by_role("heading", name="Medewerker toevoegen")).to_be_visible()
    assert _serious_a11y_violations(admin) == []
    admin.get_by_label("E-mailadres").fill("geen-adres")
    admin.get_by_role("button", name="Account aanmaken en uitnodigen").click()
    summary = admin.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link", name="Naam: Vul de naam van de medewerker in.")).to_be_visible()
    assert _serious_a11y_violations(admin) == []
    admin.get_by_label("Naam").fill("Nora Nieuw")
    admin.get_by_label("E-mailadres").fill(NEW_EMAIL)
    admin.get_by_label("Beoordelaar: beoordeelt").check()
    admin.get_by_role("button", name="Account aanmaken en uitnodigen").click()
    expect(admin.get_by_role("heading", name="Nora Nieuw")).to_be_visible()
    expect(admin.get_by_text(f"is gestuurd naar {NEW_EMAIL}")).to_be_visible()
    expect(admin.get_by_text("uitgenodigd; heeft nog geen wachtwoord gekozen")).to_be_visible()
    assert _serious_a11y_violations(admin) == []

    # The assessor opens the link from the mail and chooses a password.
    link = _link_in_mail(smtp, NEW_EMAIL, "/beheer/wachtwoord-instellen/")
    invitee = browser.new_context(locale="nl-NL").new_page()
    invitee.goto(base + link)
    expect(invitee.get_by_role("heading", name="Wachtwoord kiezen")).to_be_visible()
    expect(invitee.get_by_text("Kies een wachtwoord voor uw account als beoordelaar")).to_be_visible()
    assert _serious_a11y_violations(invitee) == []
    invitee.get_by_label("Kies een wachtwoord").fill("kort")
    invitee.get_by_label("Herhaal wachtwoord").fill("anders")
    invitee.get_by_role("button", name="Wachtwoord opslaan").click()
    expect(invitee.locator(".error-summary")).to_be_visible()
    expect(invitee.get_by_text("Kies een wachtwoord van minstens 12 tekens.").first).to_be_visible()
    assert _serious_a11y_violations(invitee) == []
    invitee.get_by_label("Kies een wachtwoord").fill(NEW_PASSWORD)
    invitee.get_by_label("Herhaal wachtwoord").fill(NEW_PASSWORD)
    invitee.get_by_role("button", name="Wachtwoord opslaan").click()
    expect(invitee.get_by_text("Uw wachtwoord is opgeslagen.")).to_be_visible()
    assert invitee.get_by_label("E-mailadres").input_value() == NEW_EMAIL
    invitee.get_by_label("Wachtwoord").fill(NEW_PASSWORD)
    invitee.get_by_role("button", name="Inloggen").click()
    # A new assessor sets up the second factor before anything else (tests/test_browser_mfa.py).
    expect(invitee.get_by_role("heading", name="Tweestapsverificatie instellen")).to_be_visible()
    enrol_second_factor(invitee)
    expect(invitee.get_by_role("heading", name="Aanmeldingen beoordelen")).to_be_visible()
    expect(invitee.get_by_text("Ingelogd als Nora Nieuw (beoordelaar)")).to_be_visible()
    # The used link is refused now.
    invitee.goto(base + link)
    expect(invitee.get_by_text("al gebruikt")).to_be_visible()

    # Mail texts: the list, the editor with its placeholders, a refused placeholder, a preview.
    admin.goto(base + "/beheer/mailteksten")
    expect(admin.get_by_role("heading", name="E-mailteksten")).to_be_visible()
    assert _serious_a11y_violations(admin) == []
    admin.get_by_role("link", name="Ontvangstbevestiging aanmelding").click()
    expect(admin.get_by_role("heading", name="E-mailtekst: Ontvangstbevestiging aanmelding")).to_be_visible()
    expect(admin.get_by_role("cell", name="{{ application.reference }}")).to_be_visible()
    assert _serious_a11y_violations(admin) == []
    admin.get_by_label("Onderwerp").fill("Ontvangen: {{ application.kenmerk }}")
    admin.get_by_label("Tekst (platte tekst)").fill(
        "Beste {{ application.organisation.name }},\n\nWij ontvingen {{ application.reference }}.")
    admin.get_by_label("HTML-tekst").fill(
        "<p>Wij ontvingen <strong>{{ application.reference }}</strong>.</p>")
    admin.get_by_role("button", name="Voorbeeld bekijken").click()
    summary = admin.locator(".error-summary")
    expect(summary.get_by_text("onbekende plaatshouder ‘{{ application.kenmerk }}’")).to_be_visible()
    assert admin.get_by_label("HTML-tekst").input_value().startswith("<p>Wij ontvingen")
    assert _serious_a11y_violations(admin) == []
    admin.get_by_label("Onderwerp").fill("Ontvangen: {{ application.reference }}")
    admin.get_by_role("button", name="Voorbeeld bekijken").click()
    preview = admin.locator("#voorbeeld")
    expect(preview.get_by_text("Ontvangen: WMB-2027-0042")).to_be_visible()
    expect(preview.get_by_text("Wij ontvingen WMB-2027-0042.")).to_be_visible()
    frame = admin.frame_locator("iframe.mail-frame")
    expect(frame.locator("strong", has_text="WMB-2027-0042")).to_be_visible()
    assert _serious_a11y_violations(admin) == []
    admin.get_by_role("button", name="Opslaan").click()
    expect(admin.get_by_text("is opgeslagen")).to_be_visible()
    expect(admin.get_by_text("Eigen tekst, gewijzigd op")).to_be_visible()
    admin.get_by_role("link", name="Standaardtekst terugzetten").click()
    expect(admin.get_by_role(
        "heading", name="Standaardtekst terugzetten: Ontvangstbevestiging aanmelding")).to_be_visible()
    assert _serious_a11y_violations(admin) == []
    admin.get_by_role("button", name="Standaardtekst terugzetten").click()
    expect(admin.get_by_text("gebruikt weer de standaardtekst")).to_be_visible()

    # Deactivate the second assessor.
    admin.goto(base + "/beheer/medewerkers")
    admin.locator("tr", has_text=ASSESSOR_2).get_by_role("link").click()
    admin.get_by_role("link", name="Account deactiveren").click()
    expect(admin.get_by_role("heading", name=re.compile("deactiveren"))).to_be_visible()
    assert _serious_a11y_violations(admin) == []
    admin.get_by_role("button", name="Account deactiveren").click()
    expect(admin.get_by_text("is gedeactiveerd en kan niet meer inloggen")).to_be_visible()
    expect(admin.get_by_role("button", name="Account heractiveren")).to_be_visible()
    assert _serious_a11y_violations(admin) == []
    refused = _login(browser, base, ASSESSOR_2)
    expect(refused.get_by_text("Het e-mailadres of het wachtwoord klopt niet.")).to_be_visible()

    # The audit log shows what happened, with a filter, a refused filter and the export link.
    admin.goto(base + "/beheer/audit")
    expect(admin.get_by_role("heading", name="Auditlog")).to_be_visible()
    assert _serious_a11y_violations(admin) == []
    admin.get_by_label("Handeling").select_option(label="Medewerker gedeactiveerd")
    admin.get_by_role("button", name="Zoeken").click()
    expect(admin.locator("tbody tr")).to_have_count(1)
    expect(admin.get_by_role("link", name="Dit resultaat downloaden als CSV")).to_be_visible()
    assert _serious_a11y_violations(admin) == []
    admin.get_by_label("Nummer van het object").fill("tien")
    admin.get_by_role("button", name="Zoeken").click()
    expect(admin.locator(".error-summary")).to_be_visible()
    assert _serious_a11y_violations(admin) == []

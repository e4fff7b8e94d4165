"""Organisation users and own account in a real browser (Debian's Chromium under Playwright):
a beheerder invites a colleague, the colleague opens the link from the mail the real SMTP
catcher received, accepts and logs in; axe checks every page of this part."""

import pytest
from playwright.sync_api import expect

from tests.browser_support import link_in_mail as _link_in_mail
from tests.browser_support import login_page as _login
from tests.browser_support import serious_a11y_violations as _serious_a11y_violations
from tests.conftest import DEMO_PASSWORD, PROVIDER
from tests.infra.browser import chromium_available

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed"),
]

PASSWORD = "collega-wachtwoord-2027"


def test_invite_accept_and_log_in(live, browser, smtp):
    base = live.url
    page = _login(browser, base, PROVIDER)

    # Organisation details and its edit form (with a refused value).
    page.goto(base + "/organisatie")
    expect(page.get_by_role("heading", name="Gegevens van uw organisatie")).to_be_visible()
    assert _serious_a11y_violations(page) == []
    page.get_by_role("link", name="Gegevens wijzigen").click()
    page.get_by_label("Postcode").fill("AB12")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert _serious_a11y_violations(page) == []
    page.get_by_label("Postcode").fill("4811 AB")
    page.get_by_label("Plaats").fill("Oosterhout")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("De gegevens van uw organisatie zijn opgeslagen.")).to_be_visible()

    # Users and the invitation form (first with an error, then right).
    page.goto(base + "/organisatie/gebruikers")
    expect(page.get_by_role("heading", name="Gebruikers", exact=True)).to_be_visible()
    assert _serious_a11y_violations(page) == []
    page.get_by_role("link", name="Collega uitnodigen").click()
    page.get_by_label("E-mailadres van uw collega").fill(PROVIDER)
    page.get_by_role("button", name="Uitnodiging versturen").click()
    expect(page.get_by_text("hoort al bij een gebruiker van uw organisatie").first).to_be_visible()
    assert _serious_a11y_violations(page) == []
    page.get_by_label("E-mailadres van uw collega").fill("collega@delinde.example")
    page.get_by_label("Beheerder: kan daarnaast").check()
    page.get_by_role("button", name="Uitnodiging versturen").click()
    expect(page.get_by_text("De uitnodiging is gestuurd naar collega@delinde.example")).to_be_visible()
    expect(page.get_by_role("cell", name="collega@delinde.example", exact=True)).to_be_visible()
    assert _serious_a11y_violations(page) == []

    # The colleague opens the link from the mail the SMTP server received.
    link = _link_in_mail(smtp, "collega@delinde.example", "/uitnodiging/")
    invitee = browser.new_context(locale="nl-NL").new_page()
    invitee.goto(base + link)
    expect(invitee.get_by_role("heading", name="Uitnodiging accepteren")).to_be_visible()
    expect(invitee.get_by_text("nodigt u uit als beheerder")).to_be_visible()
    assert _serious_a11y_violations(invitee) == []
    invitee.get_by_label("Uw naam").fill("Cor Collega")
    invitee.get_by_label("Kies een wachtwoord").fill("kort")
    invitee.get_by_label("Herhaal wachtwoord").fill("anders")
    invitee.get_by_role("button", name="Account aanmaken").click()
    expect(invitee.locator(".error-summary")).to_be_visible()
    assert _serious_a11y_violations(invitee) == []
    invitee.get_by_label("Kies een wachtwoord").fill(PASSWORD)
    invitee.get_by_label("Herhaal wachtwoord").fill(PASSWORD)
    invitee.get_by_role("button", name="Account aanmaken").click()
    expect(invitee.get_by_text("Welkom, Cor Collega")).to_be_visible()

    # The link works once.
    again = browser.new_context(locale="nl-NL").new_page()
    again.goto(base + link)
    expect(again.get_by_text("Deze uitnodiging is al gebruikt")).to_be_visible()
    assert _serious_a11y_violations(again) == []

    # The colleague logs out and in again with the chosen password, and sees the account.
    invitee.get_by_role("button", name="Uitloggen").click()
    colleague = _login(browser, base, "collega@delinde.example", PASSWORD)
    expect(colleague.get_by_text("Welkom, Cor Collega")).to_be_visible()
    colleague.goto(base + "/account")
    expect(colleague.get_by_role("heading", name="Mijn account")).to_be_visible()
    assert _serious_a11y_violations(colleague) == []

    # The first beheerder changes the colleague's role, then looks at removal.
    page.goto(base + "/organisatie/gebruikers")
    page.get_by_role("link", name="Cor Collega wijzigen of verwijderen").click()
    assert _serious_a11y_violations(page) == []
    page.get_by_label("Medewerker: werkt aan").check()
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("De rol van Cor Collega is nu medewerker")).to_be_visible()
    page.get_by_role("link", name="Cor Collega wijzigen of verwijderen").click()
    page.get_by_role("link", name="Verwijderen").click()
    expect(page.get_by_role("heading", name="Cor Collega verwijderen?")).to_be_visible()
    assert _serious_a11y_violations(page) == []


def test_own_account_and_password_reset_pages(live, browser, smtp):
    base = live.url
    page = _login(browser, base, PROVIDER)
    for url, heading in (("/account/wachtwoord", "Wachtwoord wijzigen"),
                         ("/account/e-mail", "E-mailadres wijzigen")):
        page.goto(base + url)
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        page.locator("button[type=submit].button").click()  # empty: every field complains
        expect(page.locator(".error-summary")).to_be_visible()
        assert _serious_a11y_violations(page) == []

    # Change the address: the link goes to the new address; its page asks to confirm.
    page.get_by_label("Nieuw e-mailadres").fill("anna@nieuw.example")
    page.get_by_label("Huidig wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Link versturen").click()
    expect(page.get_by_text("We hebben een link gestuurd naar anna@nieuw.example")).to_be_visible()
    page.goto(base + _link_in_mail(smtp, "anna@nieuw.example", "/account/e-mail/"))
    expect(page.get_by_role("heading", name="Nieuw e-mailadres bevestigen")).to_be_visible()
    assert _serious_a11y_violations(page) == []
    page.get_by_role("button", name="E-mailadres wijzigen").click()
    expect(page.get_by_text("Uw e-mailadres is gewijzigd in anna@nieuw.example")).to_be_visible()

    # Forgotten password, from the login page.
    anonymous = browser.new_context(locale="nl-NL").new_page()
    anonymous.goto(base + "/inloggen")
    anonymous.get_by_role("link", name="Wachtwoord vergeten?").click()
    expect(anonymous.get_by_role("heading", name="Wachtwoord vergeten")).to_be_visible()
    assert _serious_a11y_violations(anonymous) == []
    anonymous.get_by_label("E-mailadres").fill("anna@nieuw.example")
    anonymous.get_by_role("button", name="Stuur mij een link").click()
    expect(anonymous.get_by_text("Als er een account met dit e-mailadres bestaat")).to_be_visible()
    assert _serious_a11y_violations(anonymous) == []
    anonymous.goto(base + _link_in_mail(smtp, "anna@nieuw.example", "/wachtwoord-herstellen/"))
    expect(anonymous.get_by_role("heading", name="Nieuw wachtwoord kiezen")).to_be_visible()
    assert _serious_a11y_violations(anonymous) == []
    anonymous.get_by_label("Nieuw wachtwoord", exact=True).fill("nieuw-wachtwoord-2028")
    anonymous.get_by_label("Herhaal nieuw wachtwoord").fill("nieuw-wachtwoord-2028")
    anonymous.get_by_role("button", name="Wachtwoord opslaan").click()
    expect(anonymous.get_by_text("Uw nieuwe wachtwoord is opgeslagen")).to_be_visible()
    anonymous.get_by_label("Wachtwoord", exact=True).fill("nieuw-wachtwoord-2028")
    anonymous.get_by_role("button", name="Inloggen").click()
    expect(anonymous.get_by_text("Welkom, Anna de Vries")).to_be_visible()

"""Questions and answers in a real browser: a provider asks, the administrator answers and
publishes an anonymised version, the public page shows it; axe checks every page."""

import pytest
from playwright.sync_api import expect

from tests.browser_support import login_page as _login
from tests.browser_support import serious_a11y_violations as _serious_a11y_violations
from tests.conftest import ADMIN, PROVIDER
from tests.infra.browser import chromium_available

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed"),
]


def _mail(smtp, **filters):
    """The mails matching ``filters``, waiting (generously) for the first to arrive: it is
    sent after the response, so possibly a while after the page shows."""
    return smtp.wait_find(**filters)


ORIGINAL = ("Wij van Stichting Gezinshuis De Linde (demo) willen weten: telt een gezinshuis "
            "met twee locaties als één of als twee gezinshuizen voor eis H2?")
PUBLIC_QUESTION = ("Telt een gezinshuis met twee locaties als één of als twee gezinshuizen "
                   "voor eis H2?")
PUBLIC_ANSWER = "Elke locatie telt als een apart gezinshuis; eis H2 geldt per locatie."


def test_provider_asks_admin_answers_and_publishes_public_page_shows_it(live, browser, smtp):
    base = live.url

    # The provider opts in to the mail about newly published questions and answers.
    page = _login(browser, base, PROVIDER)
    page.goto(base + "/vragen/meldingen")
    expect(page.get_by_role("heading", name="E-mail over vragen en antwoorden")).to_be_visible()
    assert _serious_a11y_violations(page) == []
    page.get_by_label("Stuur mij een e-mail").check()
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("U krijgt voortaan een e-mail")).to_be_visible()
    assert page.get_by_label("Stuur mij een e-mail").is_checked()

    # Asking with empty fields shows the problems, each linking to its field.
    page.goto(base + "/vragen/stellen")
    assert _serious_a11y_violations(page) == []
    page.get_by_role("button", name="Vraag versturen").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    assert _serious_a11y_violations(page) == []
    summary.get_by_role("link", name="Uw vraag: Vul uw vraag in.").click()
    assert page.url.endswith("#body")

    page.get_by_label("Onderwerp").fill("Twee locaties, één gezinshuis?")
    page.get_by_label("Uw vraag").fill(ORIGINAL)
    page.get_by_role("button", name="Vraag versturen").click()
    expect(page.get_by_text("Uw vraag is verstuurd")).to_be_visible()
    expect(page.get_by_role("heading", name="Twee locaties, één gezinshuis?")).to_be_visible()
    question_url = page.url
    assert _serious_a11y_violations(page) == []
    assert _mail(smtp, to=PROVIDER, subject_contains="Ontvangstbevestiging van uw vraag")

    page.goto(base + "/vragen/mijn")
    expect(page.get_by_role("link", name="Twee locaties, één gezinshuis?")).to_be_visible()
    assert _serious_a11y_violations(page) == []

    # The administrator answers the question.
    admin = _login(browser, base, ADMIN)
    admin.goto(base + "/beheer/vragen")
    expect(admin.get_by_text("1 vraag is nog niet beantwoord.")).to_be_visible()
    assert _serious_a11y_violations(admin) == []
    admin.get_by_role("link", name="Twee locaties, één gezinshuis?").click()
    expect(admin.get_by_text("Stichting Gezinshuis De Linde (demo) (KvK 12345678)")).to_be_visible()
    assert _serious_a11y_violations(admin) == []
    admin.get_by_label("Antwoord aan de vraagsteller").fill(
        "Elke locatie van Gezinshuis De Linde telt als een apart gezinshuis.")
    admin.get_by_role("button", name="Antwoord versturen").click()
    expect(admin.get_by_text("per e-mail naar de vraagsteller gestuurd")).to_be_visible()
    assert _mail(smtp, to=PROVIDER, subject_contains="Antwoord op uw vraag")

    # Publishing: the texts start as the original; the form says to remove names.
    expect(admin.get_by_text("Haal namen van organisaties en personen weg.")).to_be_visible()
    public_question = admin.get_by_label("Vraag zoals die gepubliceerd wordt")
    public_answer = admin.get_by_label("Antwoord zoals dat gepubliceerd wordt")
    assert public_question.input_value() == ORIGINAL
    assert "De Linde" in public_answer.input_value()
    assert _serious_a11y_violations(admin) == []
    public_question.fill(PUBLIC_QUESTION)
    public_answer.fill(PUBLIC_ANSWER)
    admin.get_by_role("button", name="Publiceren").click()  # without the confirmation
    expect(admin.locator(".error-summary")).to_be_visible()
    assert _serious_a11y_violations(admin) == []
    admin.get_by_label("Ik heb namen van organisaties en personen").check()
    admin.get_by_role("button", name="Publiceren").click()
    expect(admin.get_by_text("staan nu op de pagina Vragen en antwoorden")).to_be_visible()
    expect(admin.get_by_role("button", name="Publicatie intrekken")).to_be_visible()
    assert _serious_a11y_violations(admin) == []
    [notice] = _mail(smtp, to=PROVIDER, subject_contains="gepubliceerd")
    assert PUBLIC_QUESTION[:40] in notice.get_body(("plain",)).get_content()

    # The public page, for anyone: the anonymised texts only.
    guest = browser.new_context(locale="nl-NL").new_page()
    guest.goto(base + "/vragen")
    expect(guest.get_by_role("heading", name="Vragen en antwoorden", exact=True)).to_be_visible()
    expect(guest.get_by_text(PUBLIC_QUESTION)).to_be_visible()
    expect(guest.get_by_text(PUBLIC_ANSWER)).to_be_visible()
    content = guest.locator("main").inner_text()
    assert "De Linde" not in content and "Twee locaties, één gezinshuis?" not in content
    assert _serious_a11y_violations(guest) == []
    guest.get_by_label("Zoek een woord in de vragen en antwoorden").fill("locatie")
    guest.get_by_role("button", name="Zoeken").click()
    expect(guest.get_by_text("1 vraag gevonden.")).to_be_visible()
    expect(guest.get_by_text(PUBLIC_ANSWER)).to_be_visible()
    assert _serious_a11y_violations(guest) == []

    # The provider reads the answer and finds the link to the public page.
    page.goto(question_url)
    expect(page.get_by_text("Elke locatie van Gezinshuis De Linde telt")).to_be_visible()
    page.get_by_role("link", name="Vragen en antwoorden", exact=True).last.click()
    expect(page.get_by_text(PUBLIC_QUESTION)).to_be_visible()

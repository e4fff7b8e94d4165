"""Shorter pages where providers work (issue 14, point 3), through the test client: the
wizard's general requirements in steps of at most 7 with a correct progress indicator,
the knock-out badge only where knock-out and other requirements mix, and after submitting
the main action 'Bekijk wat u heeft ingediend' with Intrekken as a secondary action."""
import re

from portal.extensions import db
from portal.models import Application
from tests.conftest import PROVIDER, user
from tests.helpers import requirement, submitted_application


def _asked(html):
    return {int(i) for i in re.findall(r'name="r(\d+)_', html)}


def test_general_requirements_take_steps_of_at_most_seven(app, provider_client, draft):
    with app.app_context():
        application = db.session.get(Application, draft)
        expected = {r.id for r in application.applicable_requirements()}
    base = f"/aanmeldingen/{draft}"
    titles = ["Algemene eisen (deel 1 van 2)", "Algemene eisen (deel 2 van 2)",
              "Eisen voor Pleegzorg"]
    asked = set()
    for n, title in enumerate(titles, start=1):
        html = provider_client.get(f"{base}/stap/{n}").get_data(as_text=True)
        assert f"Stap {n} van 4: {title}" in html
        # The step list: every step, the current one marked, then the overview.
        steps = re.search(r'<ol class="steps">.*?</ol>', html, re.S).group(0)
        assert len(re.findall(r"<li>.*?</li>", steps, re.S)) == 4
        assert f'<span aria-current="step">{title}</span>' in steps
        assert 1 <= html.count('<fieldset class="req"') <= 7
        here = _asked(html)
        assert not here & asked
        asked |= here
    assert asked == expected
    assert provider_client.get(f"{base}/stap/4").status_code == 404
    # The overview links each step by its title.
    overview = provider_client.get(f"{base}/overzicht").get_data(as_text=True)
    for n, title in enumerate(titles, start=1):
        assert (f'href="{base}/stap/{n}" class="small">Wijzigen'
                f'<span class="visually-hidden"> ({title})') in overview


def test_the_knockout_badge_only_where_requirements_mix(app, provider_client, draft):
    url = f"/aanmeldingen/{draft}/stap/1"
    html = provider_client.get(url).get_data(as_text=True)
    # Every requirement of the catalogue is a knock-out requirement: said once, no badges.
    assert html.count("Alle eisen op deze pagina zijn knock-out-eisen") == 1
    assert '<span class="badge">knock-out-eis</span>' not in html

    with app.app_context():  # a catalogue where A3 is no knock-out requirement
        requirement("A3").knockout = False
        db.session.commit()
    html = provider_client.get(url).get_data(as_text=True)
    assert "Alle eisen op deze pagina zijn knock-out-eisen" not in html
    legends = dict(re.findall(r'<legend>([A-Z]+\d+) [^<]*(<span class="badge">knock-out-eis</span>)?',
                              html))
    assert legends["A3"] == ""
    assert [code for code, badge in legends.items() if badge] == ["A1", "A2", "A4", "A5", "A6", "A7"]
    # The other part of the general requirements is all knock-out again.
    html = provider_client.get(f"/aanmeldingen/{draft}/stap/2").get_data(as_text=True)
    assert html.count("Alle eisen op deze pagina zijn knock-out-eisen") == 1


def test_after_submitting_the_main_action_shows_what_was_sent(app, provider_client):
    with app.app_context():
        application = submitted_application(user(PROVIDER), "pleegzorg")
        db.session.commit()
        app_id, reference = application.id, application.reference
        document_names = {a.document.original_name for a in application.answers if a.document}
    html = provider_client.get(f"/aanmeldingen/{app_id}").get_data(as_text=True)
    actions = re.search(r'<div class="actions">.*?</div>', html, re.S).group(0)
    links = re.findall(r'<a class="([^"]+)" href="([^"]+)">([^<]+)</a>', actions)
    assert links == [
        ("button", f"/aanmeldingen/{app_id}/ingediend", "Bekijk wat u heeft ingediend"),
        ("button secondary", f"/aanmeldingen/{app_id}/intrekken", "Intrekken"),
    ]
    assert "button danger" not in html
    # Intrekken asks for confirmation on its own page first.
    confirm = provider_client.get(f"/aanmeldingen/{app_id}/intrekken").get_data(as_text=True)
    assert f"Aanmelding {reference} intrekken?" in confirm

    sent = provider_client.get(f"/aanmeldingen/{app_id}/ingediend")
    assert sent.status_code == 200
    page = sent.get_data(as_text=True)
    assert f"Wat u heeft ingediend: aanmelding {reference}" in page
    assert "Jeugdparticipatie via de cliëntenraad." in page  # an answer
    assert document_names and all(name in page for name in document_names)  # the documents


def test_what_was_sent_is_for_the_organisation_and_not_for_a_draft(app, provider_client, draft):
    from tests.test_bad_input import _other_provider

    response = provider_client.get(f"/aanmeldingen/{draft}/ingediend")
    assert response.status_code == 302  # a draft has sent nothing: back to the wizard
    assert response.headers["Location"].endswith(f"/aanmeldingen/{draft}")
    with app.app_context():
        sent = submitted_application(user(PROVIDER), "leefgroepen").id
        db.session.commit()
    assert _other_provider(app).get(f"/aanmeldingen/{sent}/ingediend").status_code == 404
    assert provider_client.get("/aanmeldingen/999999/ingediend").status_code == 404
    assert app.test_client().get(f"/aanmeldingen/{sent}/ingediend").status_code == 302  # log in

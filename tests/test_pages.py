"""Assessor and provider pages: validation messages, confirmation steps, public pages."""

import pytest

from portal.assessment import workflow as assessment
from portal.extensions import db
from portal.models import Application, Status
from tests.conftest import ASSESSOR_1, PROVIDER, login, post, user
from tests.helpers import categories, requirement, submitted_application


def _in_review(app, cats=("gezinshuiszorg",)):
    with app.app_context():
        provider = user(PROVIDER)
        application = submitted_application(provider, *cats)
        assessment.start_review(application, by=user(ASSESSOR_1))
        assessment.declare_no_conflict(application, by=user(ASSESSOR_1))
        db.session.commit()
        return application.id, [r.id for r in application.applicable_requirements()], \
            categories(*cats)[0].id


def test_assessor_form_errors_are_listed_and_linked(app):
    application_id, req_ids, cat_id = _in_review(app)
    client = app.test_client()
    login(client, ASSESSOR_1)
    detail = f"/beoordeling/{application_id}"
    with app.app_context():
        h2 = requirement("H2").id
    data = {f"v{r}_outcome": "voldoet" for r in req_ids}
    data[f"v{h2}_outcome"] = "voldoet_niet"
    response = post(client, detail + "/oordelen", data, token_from=detail)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'href="#v{h2}_reason"' in html and "geef de reden" in html

    data[f"v{h2}_reason"] = "Opgegeven: 8 kinderen per gezinshuis."
    assert post(client, detail + "/oordelen", data, token_from=detail).status_code == 302

    # Rejection without naming a failed requirement; admission despite a failed knock-out.
    response = post(client, detail + "/besluit", {
        f"c{cat_id}_outcome": "afgewezen", f"c{cat_id}_motivation": "Voldoet niet."},
        token_from=detail)
    assert response.status_code == 422
    assert "noem bij een afwijzing minstens één eis" in response.get_data(as_text=True)
    response = post(client, detail + "/besluit", {
        f"c{cat_id}_outcome": "toegelaten", f"c{cat_id}_motivation": "Prima."}, token_from=detail)
    assert "knock-out-eisen H2" in response.get_data(as_text=True)
    response = post(client, detail + "/besluit", {f"c{cat_id}_outcome": ""}, token_from=detail)
    assert "kies toegelaten of afgewezen" in response.get_data(as_text=True)

    response = post(client, detail + "/besluit", {
        f"c{cat_id}_outcome": "afgewezen", f"c{cat_id}_motivation": "Eis H2 is niet gehaald.",
        f"c{cat_id}_failed": str(h2)}, token_from=detail)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Application, application_id).status == Status.BESLUIT_VOORGESTELD
    # The proposal is shown read-only with who proposed it.
    page = client.get(detail).get_data(as_text=True)
    assert "Voorgesteld door Bas Jansen" in page
    assert "U heeft dit besluit voorgesteld" in page and ">Goedkeuren<" not in page
    # The second assessor sees the buttons to approve or return it.
    second = app.test_client()
    login(second, "beoordelaar2@demo.nl")
    page = second.get(detail).get_data(as_text=True)
    assert ">Goedkeuren<" in page and ">Terugsturen<" in page


def test_withdraw_has_a_confirmation_step(app, provider_client):
    application_id, _, _ = _in_review(app, cats=("leefgroepen",))
    url = f"/aanmeldingen/{application_id}/intrekken"
    confirm = provider_client.get(url)
    assert confirm.status_code == 200
    assert "intrekken?" in confirm.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Application, application_id).status == Status.IN_BEHANDELING
    response = post(provider_client, url, {"reason": "We stoppen met deze locatie."},
                    follow_redirects=True)
    assert "Uw aanmelding is ingetrokken" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Application, application_id).status == Status.INGETROKKEN
    # Withdrawn: the provider can apply again for the same category.
    with app.app_context():
        leefgroepen = categories("leefgroepen")[0].id
    again = post(provider_client, "/aanmeldingen/nieuw", {"categories": str(leefgroepen)})
    assert again.status_code == 302


def test_new_application_offers_only_open_categories(app, provider_client):
    _in_review(app, cats=("pleegzorg",))
    html = provider_client.get("/aanmeldingen/nieuw").get_data(as_text=True)
    assert "Pleegzorg: er loopt al een aanmelding" in html
    assert 'value="' in html and "Leefgroepen" in html
    empty = post(provider_client, "/aanmeldingen/nieuw", {})
    assert "Kies minstens één categorie" in empty.get_data(as_text=True)


@pytest.mark.usefixtures("in_term")  # about the term as published: no option exercised
def test_public_pages(client):
    home = client.get("/").get_data(as_text=True)
    assert "1 januari 2027 tot en met 31 december 2031" in home
    assert "uiterlijk tot en met 31 december 2033" in home
    eisen = client.get("/eisen").get_data(as_text=True)
    assert "A8" in eisen and "knock-out-eis" in eisen and "Gezinshuiszorg" in eisen
    register = client.get("/register?zoek=geen-enkele-match").get_data(as_text=True)
    assert "nog geen toegelaten aanbieders" in register
    assert client.get("/aanbieder").status_code == 302  # login first


def test_admin_start_page_links_every_part_and_is_admin_only(app):
    from tests.conftest import ADMIN

    admin = app.test_client()
    login(admin, ADMIN)
    html = admin.get("/beheer/").get_data(as_text=True)
    for url in ("/beheer/procedure", "/beheer/eisen", "/beheer/looptijd", "/beheer/medewerkers",
                "/beheer/vragen", "/beheer/mails/"):
        assert f'href="{url}"' in html, url
    menu = admin.get("/").get_data(as_text=True)
    assert 'href="/beheer/"' in menu and 'href="/vragen"' in menu
    for who in (PROVIDER, ASSESSOR_1):
        client = app.test_client()
        login(client, who)
        assert client.get("/beheer/").status_code == 403

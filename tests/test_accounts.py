"""Registration, confirmation by signed expiring link, login, roles, password hashing."""
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from portal.extensions import db
from portal.models import Organisation, User
from tests.conftest import PROVIDER, login, post
from tests.helpers import outbox_subjects

VALID = {
    "org_name": "Pleegzorg Zuid", "kvk_number": "5566 7788", "street": "Laan 2",
    "postal_code": "4811 ab", "city": "Breda", "contact_email": "info@pz.example",
    "website": "", "full_name": "Piet Zuid", "email": "piet@pz.example",
    "password": "twaalf-tekens!", "password_repeat": "twaalf-tekens!", "accept_terms": "y",
}


def test_registration_validates_every_field_in_dutch_and_keeps_input(client):
    bad = {**VALID, "kvk_number": "1234", "postal_code": "AB12", "contact_email": "geen-adres",
           "password": "kort", "password_repeat": "anders", "website": "www.zonder-schema",
           "accept_terms": ""}
    response = post(client, "/registreren", bad)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for message in ("Een KvK-nummer bestaat uit precies 8 cijfers",
                    "Vul een Nederlandse postcode in",
                    "Vul een geldig e-mailadres in",
                    "Kies een wachtwoord van minstens 12 tekens",
                    "De wachtwoorden zijn niet gelijk",
                    "Vul een volledig webadres in",
                    "Bevestig dat u bevoegd bent"):
        assert message in html, message
    assert 'href="#kvk_number"' in html  # error summary links to the field
    assert 'value="Pleegzorg Zuid"' in html and 'value="Laan 2"' in html  # input kept
    assert 'value="kort"' not in html  # passwords are never echoed
    empty = post(client, "/registreren", {}).get_data(as_text=True)
    assert empty.count("Dit veld is verplicht.") >= 8


def test_registration_normalises_and_refuses_duplicates(app, client, smtp):
    assert post(client, "/registreren", VALID).status_code == 200
    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.kvk_number == "55667788"))
        assert org.postal_code == "4811 AB"
        [u] = org.users
        assert u.org_role.value == "beheerder" and not u.is_confirmed
        assert u.password_hash.startswith("$argon2id$")
    again = post(client, "/registreren", {**VALID, "email": "ander@pz.example"})
    assert "al een organisatie met dit KvK-nummer" in again.get_data(as_text=True)
    # A known address gets the answer a new one gets (no account enumeration); its owner
    # gets a mail instead of a second account.
    smtp.clear()
    same_mail = post(client, "/registreren", {**VALID, "kvk_number": "55667789"})
    assert same_mail.status_code == 200
    assert "We hebben een e-mail gestuurd naar" in same_mail.get_data(as_text=True)
    assert "al een account" not in same_mail.get_data(as_text=True)
    [mail] = smtp.wait_for(1)
    assert mail["To"] == "piet@pz.example"
    assert mail["Subject"] == "Iemand wilde een account aanmaken met uw e-mailadres"
    with app.app_context():
        assert db.session.scalar(select(Organisation).where(
            Organisation.kvk_number == "55667789")) is None


def _confirm_link(smtp):
    import re

    message = smtp.wait_for(1)[-1]
    body = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"http://localhost(/bevestigen/\S+)", body).group(1)


def test_expired_and_tampered_links_get_a_clear_answer_and_a_way_to_resend(app, client, smtp):
    post(client, "/registreren", VALID)
    link = _confirm_link(smtp)
    tampered = client.get(link[:-3] + "abc", follow_redirects=True).get_data(as_text=True)
    assert "ongeldig" in tampered and "Nieuwe bevestigingslink aanvragen" in tampered

    # A minute after the link's validity ran out (the clock moves; nobody waits).
    later = datetime.now(UTC) + timedelta(seconds=app.config["CONFIRM_TOKEN_MAX_AGE"] + 60)
    with time_machine.travel(later, tick=True):
        expired = client.get(link, follow_redirects=True).get_data(as_text=True)
    assert "verlopen" in expired and "Nieuwe bevestigingslink aanvragen" in expired
    with app.app_context():
        assert not db.session.scalar(select(User).where(User.email == "piet@pz.example")).is_confirmed

    smtp.clear()
    response = post(client, "/bevestiging-opnieuw", {"email": "piet@pz.example"})
    assert response.status_code == 302
    fresh = _confirm_link(smtp)
    assert client.get(fresh).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "piet@pz.example")).is_confirmed
    # Unknown addresses get the same answer and no mail.
    smtp.clear()
    response = post(client, "/bevestiging-opnieuw", {"email": "niemand@nergens.example"},
                    follow_redirects=True)
    assert "Als er een onbevestigd account" in response.get_data(as_text=True)
    assert outbox_subjects(app, to="niemand@nergens.example") == []
    assert smtp.messages == []


def test_login_logout_and_wrong_password(client):
    wrong = post(client, "/inloggen", {"email": PROVIDER, "password": "fout-wachtwoord"})
    assert "Het e-mailadres of het wachtwoord klopt niet" in wrong.get_data(as_text=True)
    unknown = post(client, "/inloggen", {"email": "x@y.example", "password": "fout-wachtwoord"})
    assert "Het e-mailadres of het wachtwoord klopt niet" in unknown.get_data(as_text=True)
    response = login(client, PROVIDER.upper())
    assert response.headers["Location"] == "/aanbieder"
    assert client.get("/aanbieder").status_code == 200
    response = post(client, "/uitloggen", token_from="/aanbieder")
    assert response.status_code == 302
    assert client.get("/aanbieder").status_code == 302  # back to the login page


def test_login_redirects_only_to_local_pages(client):
    response = post(client, "/inloggen?next=https://evil.example/", {
        "email": PROVIDER, "password": "demo-wachtwoord-2027"}, token_from="/inloggen")
    assert response.headers["Location"] == "/aanbieder"
    post(client, "/uitloggen", token_from="/aanbieder")
    response = post(client, "/inloggen?next=/register", {
        "email": PROVIDER, "password": "demo-wachtwoord-2027"}, token_from="/inloggen")
    assert response.headers["Location"] == "/register"


def test_security_headers_and_cookie_flags(client):
    response = login(client, PROVIDER)
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/aanbieder")
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors" in page.headers["Content-Security-Policy"]


def test_the_header_names_the_organisation_without_a_statement_of_its_own(app, client):
    """The logged-in user is loaded with their organisation in one statement: the header of
    every page names it."""
    from tests.test_scale import StatementCounter

    login(client, PROVIDER)
    client.get("/account")
    with app.app_context():
        engine = db.engine
        name = db.session.scalar(select(Organisation.name).join(User).where(User.email == PROVIDER))
    with StatementCounter(engine) as counter:
        page = client.get("/account").get_data(as_text=True)
    assert name in page[page.index('class="wrap who"'):]
    assert not any(s.lstrip().upper().startswith("SELECT ORGANISATIONS.")
                   for s in counter.statements), counter.statements

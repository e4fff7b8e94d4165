"""Own account: change password and e-mail address (confirmed through the new address),
and password reset by a signed, expiring, single-use link."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.accounts import workflow
from portal.extensions import db
from portal.models import AuditEvent
from tests.conftest import ADMIN, ASSESSOR_1, DEMO_PASSWORD, PROVIDER, login, make_app, post, user
from tests.helpers import outbox_subjects

NEW_PASSWORD = "nieuw-wachtwoord-2028"
RESET_RE = re.compile(r"http://localhost(/wachtwoord-herstellen/\S+)")
EMAIL_RE = re.compile(r"http://localhost(/account/e-mail/\S+)")


def _link(smtp, to, pattern, subject_contains=None):
    found = smtp.wait_find(to=to, subject_contains=subject_contains)
    assert found, f"no mail to {to}"
    body = found[-1].get_body(preferencelist=("plain",)).get_content()
    return pattern.search(body).group(1)


def _can_log_in(app, email, password) -> bool:
    response = post(app.test_client(), "/inloggen", {"email": email, "password": password})
    return response.status_code == 302


def _old_token(monkeypatch, seconds, make):
    """A token made ``seconds`` ago."""
    import itsdangerous.timed

    real = itsdangerous.timed.TimestampSigner.get_timestamp
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp",
                        lambda self: real(self) - seconds)
    try:
        return make()
    finally:
        monkeypatch.undo()


# --------------------------------------------------------------------------- password reset

def test_login_page_links_to_forgotten_password(client):
    html = client.get("/inloggen").get_data(as_text=True)
    assert 'href="/wachtwoord-vergeten"' in html and "Wachtwoord vergeten?" in html


def test_same_answer_for_known_and_unknown_addresses_and_mail_only_for_known(app, client, smtp):
    unknown = post(client, "/wachtwoord-vergeten", {"email": "niemand@nergens.example"},
                   follow_redirects=True)
    known = post(client, "/wachtwoord-vergeten", {"email": PROVIDER.upper()},
                 follow_redirects=True)
    assert unknown.status_code == known.status_code == 200

    def message(response):
        return re.search(r'<div class="alert[^>]*>(.*?)</div>', response.get_data(as_text=True),
                         re.S).group(1)

    assert message(unknown) == message(known)
    assert "Als er een account met dit e-mailadres bestaat" in message(known)
    [mail] = smtp.wait_for(1)
    assert mail["To"] == PROVIDER and "Nieuw wachtwoord kiezen" in mail["Subject"]
    # Every mail is queued with its change: the outbox shows nothing more is coming.
    assert outbox_subjects(app, to="niemand@nergens.example") == []
    assert len(outbox_subjects(app, to=PROVIDER, subject_contains="Nieuw wachtwoord kiezen")) == 1
    assert len(smtp.messages) == 1

    bad = post(client, "/wachtwoord-vergeten", {"email": "geen-adres"}).get_data(as_text=True)
    assert "Vul een geldig e-mailadres in" in bad


def test_reset_link_sets_a_new_password_once(app, client, smtp):
    post(client, "/wachtwoord-vergeten", {"email": PROVIDER})
    link = _link(smtp, PROVIDER, RESET_RE)
    assert "1 uur" in client.get("/wachtwoord-vergeten").get_data(as_text=True)
    page = client.get(link)
    assert page.status_code == 200 and "Nieuw wachtwoord kiezen" in page.get_data(as_text=True)

    bad = post(client, link, {"password": "kort", "password_repeat": "anders"}).get_data(as_text=True)
    assert "Kies een wachtwoord van minstens 12 tekens." in bad
    assert "De wachtwoorden zijn niet gelijk." in bad
    empty = post(client, link, {}).get_data(as_text=True)
    assert empty.count("Dit veld is verplicht.") >= 2

    smtp.clear()
    response = post(client, link, {"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].startswith("/inloggen")
    assert not _can_log_in(app, PROVIDER, DEMO_PASSWORD)
    assert _can_log_in(app, PROVIDER, NEW_PASSWORD)
    [notice] = smtp.wait_for(1)
    assert "Uw wachtwoord" in notice["Subject"] and "is gewijzigd" in notice["Subject"]

    # The link dies with the old password: a second use (or a double click) is refused.
    again = client.get(link, follow_redirects=True).get_data(as_text=True)
    assert "Deze link is al gebruikt of niet meer geldig" in again
    assert "Wachtwoord vergeten" in again  # back on the form to ask a new link
    response = post(client, link, {"password": "nog-een-wachtwoord", "password_repeat":
                                   "nog-een-wachtwoord"}, token_from="/wachtwoord-vergeten",
                    follow_redirects=True)
    assert "al gebruikt" in response.get_data(as_text=True)
    assert _can_log_in(app, PROVIDER, NEW_PASSWORD)
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert {"password_reset_requested", "password_reset"} <= set(actions)


def test_expired_and_tampered_reset_links(app, client, monkeypatch):
    with app.app_context():
        provider = user(PROVIDER)
        token = _old_token(monkeypatch, workflow.RESET_MAX_AGE + 5, lambda: workflow.make_token(
            workflow.RESET, {"uid": provider.id, "email": provider.email,
                             "fp": provider.password_hash[-12:]}))
        fresh = workflow.make_token(workflow.RESET, {
            "uid": provider.id, "email": provider.email, "fp": provider.password_hash[-12:]})
    expired = client.get(f"/wachtwoord-herstellen/{token}", follow_redirects=True)
    assert "is verlopen" in expired.get_data(as_text=True)
    tampered = client.get(f"/wachtwoord-herstellen/{fresh[:-3]}xyz", follow_redirects=True)
    assert "ongeldig" in tampered.get_data(as_text=True)
    assert client.get(f"/wachtwoord-herstellen/{fresh}").status_code == 200


def test_reset_link_dies_when_the_password_changes_otherwise(app, client, smtp):
    post(client, "/wachtwoord-vergeten", {"email": PROVIDER})
    link = _link(smtp, PROVIDER, RESET_RE)
    login(client, PROVIDER)
    post(client, "/account/wachtwoord", {"current_password": DEMO_PASSWORD,
                                         "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    anonymous = app.test_client()
    assert "al gebruikt of niet meer geldig" in anonymous.get(
        link, follow_redirects=True).get_data(as_text=True)


def test_no_reset_mail_for_a_removed_account_and_reset_confirms_an_unconfirmed_one(app, client, smtp):
    with app.app_context():
        workflow.register_provider(
            org_name="Nieuw", kvk_number="11112222", street="Weg 1", postal_code="4811 AA",
            city="Breda", contact_email="info@nieuw.example", website="", full_name="Nina Nieuw",
            email="nina@nieuw.example", password=DEMO_PASSWORD)
        removed = user(ASSESSOR_1)
        removed.is_active_account = False
        db.session.commit()
    smtp.clear()  # (the registration's confirmation mail stays queued: no request sent it)
    post(client, "/wachtwoord-vergeten", {"email": ASSESSOR_1})
    assert outbox_subjects(app, to=ASSESSOR_1, subject_contains="Nieuw wachtwoord kiezen") == []
    assert smtp.messages == []

    post(client, "/wachtwoord-vergeten", {"email": "nina@nieuw.example"})
    link = _link(smtp, "nina@nieuw.example", RESET_RE)
    post(client, link, {"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    with app.app_context():
        assert user("nina@nieuw.example").is_confirmed  # the link reached the address
    assert _can_log_in(app, "nina@nieuw.example", NEW_PASSWORD)


def test_forgotten_password_form_is_rate_limited(database_url, tmp_path, smtp):
    from portal.extensions import limiter

    app = make_app(database_url, tmp_path / "uploads", smtp, RATELIMIT_ENABLED=True)
    with app.app_context():
        limiter.reset()  # the limiter's memory is the process's: start from no earlier counts
    try:
        client = app.test_client()
        codes = [post(client, "/wachtwoord-vergeten", {"email": "x@y.example"}).status_code
                 for _ in range(6)]
        assert codes == [302] * 5 + [429]
        assert "Te veel pogingen" in post(client, "/wachtwoord-vergeten",
                                          {"email": "x@y.example"}).get_data(as_text=True)
    finally:
        limiter.reset()
        with app.app_context():
            db.engine.dispose()


# --------------------------------------------------------------------------- change password

def test_change_password_asks_the_current_one(app, provider_client, smtp):
    wrong = post(provider_client, "/account/wachtwoord", {
        "current_password": "niet-mijn-wachtwoord", "password": NEW_PASSWORD,
        "password_repeat": NEW_PASSWORD})
    html = wrong.get_data(as_text=True)
    assert "Uw huidige wachtwoord klopt niet." in html and 'href="#current_password"' in html
    short = post(provider_client, "/account/wachtwoord", {
        "current_password": DEMO_PASSWORD, "password": "kort", "password_repeat": "anders"})
    assert "minstens 12 tekens" in short.get_data(as_text=True)
    assert "De wachtwoorden zijn niet gelijk." in short.get_data(as_text=True)
    assert _can_log_in(app, PROVIDER, DEMO_PASSWORD)

    response = post(provider_client, "/account/wachtwoord", {
        "current_password": DEMO_PASSWORD, "password": NEW_PASSWORD,
        "password_repeat": NEW_PASSWORD}, follow_redirects=True)
    assert "Uw wachtwoord is gewijzigd." in response.get_data(as_text=True)
    assert _can_log_in(app, PROVIDER, NEW_PASSWORD) and not _can_log_in(app, PROVIDER, DEMO_PASSWORD)
    [notice] = smtp.wait_for(1)
    assert notice["To"] == PROVIDER and "gewijzigd" in notice["Subject"]
    with app.app_context():
        assert "password_changed" in db.session.scalars(select(AuditEvent.action)).all()


def test_account_pages_need_a_login_and_work_for_staff(app, client):
    for url in ("/account", "/account/wachtwoord", "/account/e-mail"):
        response = client.get(url)
        assert response.status_code == 302 and "/inloggen" in response.headers["Location"]
    login(client, ADMIN)
    page = client.get("/account").get_data(as_text=True)
    assert ADMIN in page and "contractbeheerder" in page
    assert client.get("/account/wachtwoord").status_code == 200


# --------------------------------------------------------------------------- change e-mail

def test_change_email_is_confirmed_through_the_new_address(app, provider_client, smtp):
    wrong = post(provider_client, "/account/e-mail", {"email": "anna@nieuw.example",
                                                      "current_password": "fout-wachtwoord"})
    assert "Uw huidige wachtwoord klopt niet." in wrong.get_data(as_text=True)
    taken = post(provider_client, "/account/e-mail", {"email": ASSESSOR_1.upper(),
                                                      "current_password": DEMO_PASSWORD})
    assert "Er bestaat al een account met dit e-mailadres." in taken.get_data(as_text=True)
    same = post(provider_client, "/account/e-mail", {"email": PROVIDER,
                                                     "current_password": DEMO_PASSWORD})
    assert "Dit is al uw e-mailadres." in same.get_data(as_text=True)
    invalid = post(provider_client, "/account/e-mail", {"email": "geen-adres"})
    assert "Vul een geldig e-mailadres in" in invalid.get_data(as_text=True)
    assert "Dit veld is verplicht." in invalid.get_data(as_text=True)

    response = post(provider_client, "/account/e-mail", {"email": " Anna@Nieuw.example ",
                                                         "current_password": DEMO_PASSWORD},
                    follow_redirects=True)
    assert "We hebben een link gestuurd naar anna@nieuw.example" in response.get_data(as_text=True)
    link = _link(smtp, "anna@nieuw.example", EMAIL_RE)
    assert smtp.find(to=PROVIDER) == []  # the link goes to the new address only
    with app.app_context():
        assert user(PROVIDER) is not None  # not changed yet

    # Opening the link shows what will change; the button does it (no change on GET).
    page = app.test_client().get(link)
    assert page.status_code == 200
    assert "anna@nieuw.example" in page.get_data(as_text=True)
    with app.app_context():
        assert user(PROVIDER) is not None
    confirm = post(provider_client, link, follow_redirects=True)
    assert "Uw e-mailadres is gewijzigd in anna@nieuw.example" in confirm.get_data(as_text=True)
    with app.app_context():
        assert user(PROVIDER) is None and user("anna@nieuw.example").is_confirmed
        assert {"email_change_requested", "email_changed"} <= set(
            db.session.scalars(select(AuditEvent.action)).all())
    notice = smtp.find(to=PROVIDER, subject_contains="is gewijzigd")
    assert notice and "anna@nieuw.example" in notice[0].get_body(
        preferencelist=("plain",)).get_content()
    assert _can_log_in(app, "anna@nieuw.example", DEMO_PASSWORD)
    assert not _can_log_in(app, PROVIDER, DEMO_PASSWORD)

    # Used once: the link no longer fits the account.
    again = app.test_client().get(link)
    assert again.status_code == 400 and "al gebruikt" in again.get_data(as_text=True)


def test_email_change_link_refused_when_expired_or_address_taken_meanwhile(app, provider_client,
                                                                          smtp, monkeypatch):
    post(provider_client, "/account/e-mail", {"email": "bezet@nieuw.example",
                                              "current_password": DEMO_PASSWORD})
    link = _link(smtp, "bezet@nieuw.example", EMAIL_RE)
    with app.app_context():
        provider = user(PROVIDER)
        old = _old_token(monkeypatch, app.config["CONFIRM_TOKEN_MAX_AGE"] + 5,
                         lambda: workflow.make_token(workflow.CHANGE_EMAIL, {
                             "uid": provider.id, "new": "laat@nieuw.example", "old": PROVIDER}))
        # Someone registers with the new address before the link is opened.
        workflow.register_provider(
            org_name="Bezet", kvk_number="33334444", street="Weg 1", postal_code="4811 AA",
            city="Breda", contact_email="info@bezet.example", website="", full_name="Bezet",
            email="bezet@nieuw.example", password=DEMO_PASSWORD)
        db.session.commit()
    expired = app.test_client().get(f"/account/e-mail/{old}")
    assert expired.status_code == 400 and "verlopen" in expired.get_data(as_text=True)
    taken = app.test_client().get(link)
    assert taken.status_code == 400
    assert "Er bestaat inmiddels al een account met dit e-mailadres" in taken.get_data(as_text=True)
    refused = post(provider_client, link, token_from="/account")
    assert refused.status_code == 400
    with app.app_context():
        assert user(PROVIDER) is not None


@pytest.mark.parametrize("url", ["/wachtwoord-vergeten", "/account/e-mail/ongeldig",
                                 "/wachtwoord-herstellen/ongeldig"])
def test_link_pages_answer_bad_links_in_dutch(client, url):
    response = client.get(url, follow_redirects=True)
    assert response.status_code in (200, 400)
    assert "Internal" not in response.get_data(as_text=True)

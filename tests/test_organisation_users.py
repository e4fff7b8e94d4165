"""Users of an organisation: invitations by signed single-use link, roles, removal, the
organisation's details; per-object access (404 for another organisation, 403 for a
medewerker)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.accounts import workflow
from portal.extensions import db
from portal.models import AuditEvent, Invitation, Organisation, OrgRole, Procedure, User
from tests.conftest import ASSESSOR_1, DEMO_PASSWORD, PROVIDER, login, post, user

PASSWORD = "een-goed-wachtwoord"
LINK_RE = re.compile(r"http://localhost(/uitnodiging/\S+)")


def _mail_link(smtp, to, pattern=LINK_RE):
    found = smtp.wait_find(to=to)
    assert found, f"no mail to {to}"
    body = found[-1].get_body(preferencelist=("plain",)).get_content()
    return pattern.search(body).group(1)


def _org(kvk="12345678"):
    return db.session.scalar(select(Organisation).where(Organisation.kvk_number == kvk))


def _add_member(app, email, role=OrgRole.MEDEWERKER, *, kvk="12345678", by=PROVIDER) -> int:
    """A colleague added through the real invitation workflow; returns the user id."""
    with app.app_context():
        invitation = workflow.invite_colleague(_org(kvk), email=email, org_role=role, by=user(by))
        db.session.commit()
        token = workflow.invitation_token(invitation)
        new = workflow.accept_invitation(token, full_name=email.split("@")[0].title(),
                                         password=DEMO_PASSWORD)
        db.session.commit()
        return new.id


def _other_organisation(app, email="beheer@ander.example") -> None:
    """A second organisation (KvK 87654321) with a confirmed beheerder."""
    from portal.timeutil import utcnow

    with app.app_context():
        other = workflow.register_provider(
            org_name="Stichting Ander", kvk_number="87654321", street="Weg 1",
            postal_code="4811 AA", city="Breda", contact_email="info@ander.example",
            website="", full_name="Bert Ander", email=email, password=DEMO_PASSWORD)
        other.email_confirmed_at = utcnow()
        db.session.commit()


def _invite(client, email, role="medewerker", **kwargs):
    return post(client, "/organisatie/uitnodigen", {"email": email, "org_role": role}, **kwargs)


# --------------------------------------------------------------------------- invitations

def test_invited_colleague_accepts_once_and_is_logged_in(app, provider_client, smtp):
    response = _invite(provider_client, " Collega@DeLinde.example ", "medewerker")
    assert response.status_code == 302 and response.headers["Location"] == "/organisatie/gebruikers"
    page = provider_client.get("/organisatie/gebruikers").get_data(as_text=True)
    assert "De uitnodiging is gestuurd naar collega@delinde.example" in page
    assert "Openstaande uitnodigingen" in page and "collega@delinde.example" in page

    [mail] = smtp.wait_for(1)
    assert "Uitnodiging" in mail["Subject"] and "De Linde" in mail["Subject"]
    assert mail.get_body(preferencelist=("html",)).get_content().count("/uitnodiging/") == 1
    link = _mail_link(smtp, "collega@delinde.example")

    invitee = app.test_client()
    form = invitee.get(link)
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert "Anna de Vries nodigt u uit als medewerker van Stichting Gezinshuis De Linde" in html
    assert "collega@delinde.example" in html

    response = post(invitee, link, {"full_name": "Cor Collega", "password": PASSWORD,
                                    "password_repeat": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/aanbieder"
    assert invitee.get("/aanbieder").status_code == 200  # logged in
    with app.app_context():
        new = user("collega@delinde.example")
        assert new.organisation.kvk_number == "12345678"
        assert new.org_role == OrgRole.MEDEWERKER and new.is_confirmed and new.full_name == "Cor Collega"
        invitation = db.session.scalar(select(Invitation))
        assert invitation.accepted_at is not None and not invitation.is_open
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert {"invited", "invitation_accepted", "user_created"} <= set(actions)

    # The link works once: a second click gets a clear message and makes no second user.
    again = post(app.test_client(), link, {"full_name": "Cor Twee", "password": PASSWORD,
                                           "password_repeat": PASSWORD}, token_from="/inloggen")
    assert again.status_code == 400
    assert "Deze uitnodiging is al gebruikt" in again.get_data(as_text=True)
    opened = app.test_client().get(link)
    assert opened.status_code == 400 and "al gebruikt" in opened.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User).where(
            User.email == "collega@delinde.example")) == 1
    # The new colleague logs in with the chosen password; the list shows them, not the invitation.
    other = app.test_client()
    login(other, "collega@delinde.example", PASSWORD)
    page = provider_client.get("/organisatie/gebruikers").get_data(as_text=True)
    assert "Cor Collega" in page and "Er zijn geen openstaande uitnodigingen." in page


def test_double_click_on_accept_makes_one_user(app, provider_client, smtp):
    _invite(provider_client, "dubbel@delinde.example", "beheerder")
    link = _mail_link(smtp, "dubbel@delinde.example")
    first, second = app.test_client(), app.test_client()
    data = {"full_name": "Dubbel Klik", "password": PASSWORD, "password_repeat": PASSWORD}
    # Both pages were opened (and their tokens taken) before either click.
    from tests.conftest import csrf_token

    data_first = {**data, "csrf_token": csrf_token(first, link)}
    data_second = {**data, "csrf_token": csrf_token(second, link)}
    assert first.post(link, data=data_first).status_code == 302
    response = second.post(link, data=data_second)
    assert response.status_code == 400
    assert "Deze uitnodiging is al gebruikt" in response.get_data(as_text=True)
    with app.app_context():
        assert user("dubbel@delinde.example").org_role == OrgRole.BEHEERDER
        assert db.session.scalar(select(func.count()).select_from(User).where(
            User.email == "dubbel@delinde.example")) == 1


def test_simultaneous_accepts_make_one_user(app, provider_client, smtp):
    """Four clicks at the same moment (threads): one account, three clear refusals."""
    import threading

    from tests.conftest import csrf_token

    _invite(provider_client, "tegelijk@delinde.example")
    link = _mail_link(smtp, "tegelijk@delinde.example")
    clients = [app.test_client() for _ in range(4)]
    forms = [{"full_name": "Tegelijk", "password": PASSWORD, "password_repeat": PASSWORD,
              "csrf_token": csrf_token(c, link)} for c in clients]
    barrier = threading.Barrier(len(clients))
    answers = []

    def click(c, data):
        barrier.wait()
        response = c.post(link, data=data)
        answers.append((response.status_code, response.get_data(as_text=True)))

    threads = [threading.Thread(target=click, args=pair) for pair in zip(clients, forms, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(code for code, _ in answers) == [302, 400, 400, 400]
    assert all("al gebruikt" in html for code, html in answers if code == 400)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User).where(
            User.email == "tegelijk@delinde.example")) == 1


def test_accept_form_checks_every_field_in_dutch(app, provider_client, smtp):
    _invite(provider_client, "nieuw@delinde.example")
    link = _mail_link(smtp, "nieuw@delinde.example")
    invitee = app.test_client()
    html = post(invitee, link, {"full_name": "", "password": "kort",
                                "password_repeat": "anders"}).get_data(as_text=True)
    assert "Dit veld is verplicht." in html
    assert "Kies een wachtwoord van minstens 12 tekens." in html
    assert "De wachtwoorden zijn niet gelijk." in html
    assert 'href="#full_name"' in html and 'value="kort"' not in html
    with app.app_context():
        assert user("nieuw@delinde.example") is None
        assert db.session.scalar(select(Invitation)).is_open


def test_expired_tampered_and_revoked_links_get_a_clear_answer(app, provider_client, smtp,
                                                               monkeypatch):
    import itsdangerous.timed

    with app.app_context():
        real = itsdangerous.timed.TimestampSigner.get_timestamp
        monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp",
                            lambda self: real(self) - workflow.INVITE_MAX_AGE - 60)
        old = workflow.invite_colleague(_org(), email="oud@delinde.example",
                                        org_role=OrgRole.MEDEWERKER, by=user(PROVIDER))
        db.session.commit()
        expired_link = "/uitnodiging/" + workflow.invitation_token(old)
        monkeypatch.undo()
        old_link = "/uitnodiging/" + workflow.invitation_token(old)
    # A link made "8 days ago" has expired.
    expired = app.test_client().get(expired_link)
    assert expired.status_code == 400
    assert "Deze uitnodiging is verlopen" in expired.get_data(as_text=True)
    # A fresh token for the same invitation still works (the invitation itself is open).
    assert app.test_client().get(old_link).status_code == 200

    tampered = app.test_client().get(old_link[:-4] + "abcd")
    assert tampered.status_code == 400 and "ongeldig" in tampered.get_data(as_text=True)

    # Revoked by the beheerder: the link is dead.
    with app.app_context():
        invitation_id = db.session.scalar(select(Invitation.id))
    response = post(provider_client, f"/organisatie/uitnodigingen/{invitation_id}/intrekken",
                    token_from="/organisatie/gebruikers", follow_redirects=True)
    assert "De uitnodiging voor oud@delinde.example is ingetrokken" in response.get_data(as_text=True)
    revoked = app.test_client().get(old_link)
    assert revoked.status_code == 400 and "ingetrokken" in revoked.get_data(as_text=True)
    accept = post(app.test_client(), old_link, {"full_name": "Oud", "password": PASSWORD,
                                                "password_repeat": PASSWORD}, token_from="/inloggen")
    assert accept.status_code == 400 and "ingetrokken" in accept.get_data(as_text=True)
    # Revoking twice is refused with a message.
    again = post(provider_client, f"/organisatie/uitnodigingen/{invitation_id}/intrekken",
                 token_from="/organisatie/gebruikers", follow_redirects=True)
    assert "al geaccepteerd of ingetrokken" in again.get_data(as_text=True)
    with app.app_context():
        assert user("oud@delinde.example") is None
        assert "invitation_revoked" in db.session.scalars(select(AuditEvent.action)).all()


def test_invitations_refused_for_existing_accounts_and_duplicates(app, provider_client, smtp):
    _other_organisation(app)
    own = _invite(provider_client, PROVIDER).get_data(as_text=True)
    assert "hoort al bij een gebruiker van uw organisatie" in own
    other = _invite(provider_client, "BEHEER@ander.example").get_data(as_text=True)
    assert "bij een andere organisatie of bij de regio" in other
    staff = _invite(provider_client, ASSESSOR_1).get_data(as_text=True)
    assert "bij een andere organisatie of bij de regio" in staff
    assert 'href="#email"' in own  # the message is on the field

    assert _invite(provider_client, "twee@delinde.example").status_code == 302
    double = _invite(provider_client, "Twee@delinde.example", "beheerder").get_data(as_text=True)
    assert "heeft al een openstaande uitnodiging voor uw organisatie" in double

    empty = post(provider_client, "/organisatie/uitnodigen", {"email": "geen-adres", "org_role": "baas"})
    html = empty.get_data(as_text=True)
    assert "Vul een geldig e-mailadres in" in html and "Kies de rol van uw collega" in html
    assert 'href="#org_role"' in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invitation)) == 1

    # After revoking, the address can be invited again.
    with app.app_context():
        invitation_id = db.session.scalar(select(Invitation.id))
    post(provider_client, f"/organisatie/uitnodigingen/{invitation_id}/intrekken",
         token_from="/organisatie/gebruikers")
    assert _invite(provider_client, "twee@delinde.example", "beheerder").status_code == 302


def test_address_that_got_an_account_meanwhile_cannot_accept(app, provider_client, smtp):
    _invite(provider_client, "beheer@ander.example")
    link = _mail_link(smtp, "beheer@ander.example")
    _other_organisation(app)  # the address registers its own organisation
    opened = app.test_client().get(link)
    assert opened.status_code == 400
    assert "Er bestaat al een account met dit e-mailadres" in opened.get_data(as_text=True)
    with app.app_context():
        assert user("beheer@ander.example").organisation.kvk_number == "87654321"
        # And the workflow refuses as well (no second account, invitation stays unused).
        token = workflow.invitation_token(db.session.scalar(select(Invitation)))
        with pytest.raises(workflow.DomainError, match="Er bestaat al een account"):
            workflow.accept_invitation(token, full_name="X", password=PASSWORD)
        db.session.rollback()
        assert db.session.scalar(select(Invitation)).accepted_at is None


def test_logged_in_user_is_asked_to_log_out_before_accepting(app, provider_client, smtp):
    _invite(provider_client, "later@delinde.example")
    link = _mail_link(smtp, "later@delinde.example")
    response = provider_client.get(link)
    assert response.status_code == 400
    assert "Log eerst uit" in response.get_data(as_text=True)


# --------------------------------------------------------------------------- roles and removal

def test_beheerder_changes_roles_but_never_leaves_the_organisation_without_one(app, provider_client):
    colleague = _add_member(app, "mw@delinde.example")
    with app.app_context():
        me = user(PROVIDER).id

    alone = post(provider_client, f"/organisatie/gebruikers/{me}", {"org_role": "medewerker"})
    assert alone.status_code == 200
    assert "U bent de enige beheerder van uw organisatie" in alone.get_data(as_text=True)
    removed = post(provider_client, f"/organisatie/gebruikers/{me}/verwijderen")
    assert "U bent de enige beheerder van uw organisatie" in removed.get_data(as_text=True)
    with app.app_context():
        assert user(PROVIDER).org_role == OrgRole.BEHEERDER and user(PROVIDER).is_active_account

    missing = post(provider_client, f"/organisatie/gebruikers/{colleague}", {"org_role": ""})
    assert "Kies een rol: beheerder of medewerker." in missing.get_data(as_text=True)
    promote = post(provider_client, f"/organisatie/gebruikers/{colleague}", {"org_role": "beheerder"},
                   follow_redirects=True)
    assert "De rol van Mw is nu beheerder" in promote.get_data(as_text=True)
    # Now there are two: I may step down.
    step_down = post(provider_client, f"/organisatie/gebruikers/{me}", {"org_role": "medewerker"},
                     follow_redirects=True)
    assert "De rol van Anna de Vries is nu medewerker" in step_down.get_data(as_text=True)
    with app.app_context():
        assert user(PROVIDER).org_role == OrgRole.MEDEWERKER
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "org_role_changed",
                                                           AuditEvent.object_id == me))
        assert (event.from_state, event.to_state) == ("beheerder", "medewerker")
    # As a medewerker I may look, not act.
    assert provider_client.get("/organisatie/gebruikers").status_code == 200
    assert provider_client.get(f"/organisatie/gebruikers/{colleague}").status_code == 403

    # The other beheerder cannot step down now either (last active one).
    other = app.test_client()
    login(other, "mw@delinde.example")
    refused = post(other, f"/organisatie/gebruikers/{colleague}", {"org_role": "medewerker"})
    assert "U bent de enige beheerder" in refused.get_data(as_text=True)


def test_removed_colleague_keeps_history_and_cannot_log_in(app, provider_client):
    colleague = _add_member(app, "weg@delinde.example")
    session = app.test_client()
    login(session, "weg@delinde.example")
    assert session.get("/aanbieder").status_code == 200

    page = provider_client.get(f"/organisatie/gebruikers/{colleague}/verwijderen")
    assert "Weg verwijderen?" in page.get_data(as_text=True)
    response = post(provider_client, f"/organisatie/gebruikers/{colleague}/verwijderen",
                    follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Weg is verwijderd en kan niet meer inloggen" in html and "verwijderd" in html
    with app.app_context():
        gone = db.session.get(User, colleague)
        assert not gone.is_active_account and gone.organisation_id == _org().id
        assert "user_deactivated" in db.session.scalars(select(AuditEvent.action)).all()

    # The open session ends; logging in again is refused; no reset mail either.
    assert session.get("/aanbieder").status_code == 302
    refused = post(app.test_client(), "/inloggen", {"email": "weg@delinde.example",
                                                    "password": DEMO_PASSWORD})
    assert "Het e-mailadres of het wachtwoord klopt niet" in refused.get_data(as_text=True)
    # A removed user cannot be removed or changed again.
    again = provider_client.get(f"/organisatie/gebruikers/{colleague}/verwijderen",
                                follow_redirects=True)
    assert "is al verwijderd" in again.get_data(as_text=True)
    assert "Deze gebruiker is verwijderd" in provider_client.get(
        f"/organisatie/gebruikers/{colleague}").get_data(as_text=True)
    # Nor be invited again by the organisation (reactivation goes through the region).
    html = _invite(provider_client, "weg@delinde.example").get_data(as_text=True)
    assert "verwijderde gebruiker van uw organisatie" in html


def test_beheerder_may_remove_self_when_another_beheerder_remains(app, provider_client):
    _add_member(app, "tweede@delinde.example", OrgRole.BEHEERDER)
    with app.app_context():
        me = user(PROVIDER).id
    response = post(provider_client, f"/organisatie/gebruikers/{me}/verwijderen",
                    follow_redirects=True)
    assert "U heeft uzelf verwijderd" in response.get_data(as_text=True)
    assert provider_client.get("/organisatie").status_code == 302  # logged out


# --------------------------------------------------------------------------- access

def test_medewerker_sees_but_cannot_act(app, client):
    colleague = _add_member(app, "kijker@delinde.example")
    with app.app_context():
        me = user(PROVIDER).id
        invitation = workflow.invite_colleague(_org(), email="open@delinde.example",
                                               org_role=OrgRole.MEDEWERKER, by=user(PROVIDER))
        db.session.commit()
        invitation_id = invitation.id
    login(client, "kijker@delinde.example")
    assert client.get("/organisatie").status_code == 200
    users_page = client.get("/organisatie/gebruikers").get_data(as_text=True)
    assert "Anna de Vries" in users_page and "Kijker" in users_page
    assert "Collega uitnodigen" not in users_page and "Intrekken" not in users_page
    assert "open@delinde.example" in users_page  # open invitations are visible to every member
    for url in ("/organisatie/gegevens", "/organisatie/uitnodigen", f"/organisatie/gebruikers/{me}",
                f"/organisatie/gebruikers/{me}/verwijderen",
                f"/organisatie/gebruikers/{colleague}"):
        assert client.get(url).status_code == 403, url
    token_page = "/organisatie/gebruikers"
    for url, data in (("/organisatie/uitnodigen", {"email": "z@z.example", "org_role": "beheerder"}),
                      (f"/organisatie/gebruikers/{colleague}", {"org_role": "beheerder"}),
                      (f"/organisatie/gebruikers/{me}/verwijderen", {}),
                      (f"/organisatie/uitnodigingen/{invitation_id}/intrekken", {}),
                      ("/organisatie/gegevens", {"org_name": "Kaping"})):
        assert post(client, url, data, token_from=token_page).status_code == 403, url
    with app.app_context():
        assert user("kijker@delinde.example").org_role == OrgRole.MEDEWERKER
        assert user(PROVIDER).is_active_account
        assert db.session.get(Invitation, invitation_id).is_open
        assert _org().name == "Stichting Gezinshuis De Linde (demo)"
        # The workflow refuses too, whatever a view does.
        with pytest.raises(workflow.NotPermitted):
            workflow.invite_colleague(_org(), email="q@q.example", org_role=OrgRole.MEDEWERKER,
                                      by=user("kijker@delinde.example"))


def test_other_organisation_gets_404_for_our_users_and_invitations(app, client):
    colleague = _add_member(app, "eigen@delinde.example")
    _other_organisation(app)
    _add_member(app, "mw@ander.example", kvk="87654321", by="beheer@ander.example")
    with app.app_context():
        invitation = workflow.invite_colleague(_org(), email="open@delinde.example",
                                               org_role=OrgRole.MEDEWERKER, by=user(PROVIDER))
        db.session.commit()
        invitation_id = invitation.id
    for outsider in ("beheer@ander.example", "mw@ander.example"):
        c = app.test_client()
        login(c, outsider)
        for url in (f"/organisatie/gebruikers/{colleague}",
                    f"/organisatie/gebruikers/{colleague}/verwijderen"):
            assert c.get(url).status_code == 404, (outsider, url)
        for url, data in ((f"/organisatie/gebruikers/{colleague}", {"org_role": "beheerder"}),
                          (f"/organisatie/gebruikers/{colleague}/verwijderen", {}),
                          (f"/organisatie/uitnodigingen/{invitation_id}/intrekken", {})):
            assert post(c, url, data, token_from="/organisatie/gebruikers").status_code == 404, url
        page = c.get("/organisatie/gebruikers").get_data(as_text=True)
        assert "Stichting Ander" in page and "eigen@delinde.example" not in page
    with app.app_context():
        assert db.session.get(User, colleague).is_active_account
        assert db.session.get(Invitation, invitation_id).is_open
        with pytest.raises(workflow.NotPermitted):
            workflow.deactivate_member(db.session.get(User, colleague), by=user("beheer@ander.example"))


def test_pages_need_a_provider_login(app, client):
    for url in ("/organisatie", "/organisatie/gebruikers", "/organisatie/uitnodigen",
                "/organisatie/gegevens"):
        response = client.get(url)
        assert response.status_code == 302 and "/inloggen" in response.headers["Location"], url
    login(client, ASSESSOR_1)
    assert client.get("/organisatie/gebruikers").status_code == 403


# --------------------------------------------------------------------------- organisation details

ORG = {"org_name": "Stichting De Linde", "kvk_number": "1234 5678", "agb_code": "7373 0002",
       "street": "Lindelaan 2", "postal_code": "4811ab", "city": "Breda",
       "contact_email": "Info@DeLinde.example", "website": "https://delinde.example"}


def test_beheerder_edits_the_details_with_the_registration_validators(app, provider_client):
    form = provider_client.get("/organisatie/gegevens").get_data(as_text=True)
    assert 'value="Stichting Gezinshuis De Linde (demo)"' in form and 'value="73730001"' in form
    bad = post(provider_client, "/organisatie/gegevens", {
        **ORG, "org_name": "", "kvk_number": "1234", "agb_code": "12", "postal_code": "AB12",
        "contact_email": "geen-adres", "website": "www.zonder-schema"})
    html = bad.get_data(as_text=True)
    for message in ("Dit veld is verplicht.", "Een KvK-nummer bestaat uit precies 8 cijfers",
                    "Een AGB-code bestaat uit precies 8 cijfers", "Vul een Nederlandse postcode in",
                    "Vul een geldig e-mailadres in", "Vul een volledig webadres in"):
        assert message in html, message
    assert 'href="#agb_code"' in html and 'value="Lindelaan 2"' in html

    response = post(provider_client, "/organisatie/gegevens", ORG, follow_redirects=True)
    assert "De gegevens van uw organisatie zijn opgeslagen" in response.get_data(as_text=True)
    with app.app_context():
        org = _org()
        assert (org.name, org.agb_code, org.postal_code, org.contact_email, org.website) == (
            "Stichting De Linde", "73730002", "4811 AB", "info@delinde.example",
            "https://delinde.example")
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "organisation_updated"))
        assert "name" in event.detail and "kvk_number" not in event.detail
    unchanged = post(provider_client, "/organisatie/gegevens", ORG, follow_redirects=True)
    assert "Er is niets gewijzigd" in unchanged.get_data(as_text=True)
    # AGB may be emptied (it is not required).
    post(provider_client, "/organisatie/gegevens", {**ORG, "agb_code": ""})
    with app.app_context():
        assert _org().agb_code is None


def test_kvk_number_stays_unique_and_is_frozen_once_an_application_is_submitted(app, provider_client):
    from portal.applications import workflow as applications
    from tests.helpers import categories, fill_completely

    _other_organisation(app)
    taken = post(provider_client, "/organisatie/gegevens", {**ORG, "kvk_number": "87654321"})
    assert "Er bestaat al een organisatie met dit KvK-nummer" in taken.get_data(as_text=True)
    changed = post(provider_client, "/organisatie/gegevens", {**ORG, "kvk_number": "11223344"})
    assert changed.status_code == 302
    with app.app_context():
        assert _org("11223344") is not None
        provider = user(PROVIDER)
        application = applications.create_application(
            db.session.scalar(select(Procedure)), categories("pleegzorg"), by=provider)
        db.session.commit()
    # A draft does not freeze the number ...
    assert post(provider_client, "/organisatie/gegevens",
                {**ORG, "kvk_number": "12345678"}).status_code == 302
    with app.app_context():
        application = db.session.merge(application)
        fill_completely(application, user(PROVIDER))
        applications.submit(application, by=user(PROVIDER))
        db.session.commit()
    # ... a submitted application does; other details may still change.
    frozen = post(provider_client, "/organisatie/gegevens", {**ORG, "kvk_number": "99887766"})
    html = frozen.get_data(as_text=True)
    assert "Het KvK-nummer kan niet meer worden gewijzigd" in html and 'href="#kvk_number"' in html
    assert post(provider_client, "/organisatie/gegevens",
                {**ORG, "city": "Oosterhout"}).status_code == 302
    with app.app_context():
        org = _org("12345678")
        assert org.city == "Oosterhout" and _org("99887766") is None

"""Staff accounts of the region through the test client: an administrator creates an
assessor, the invitation mail (real SMTP catcher) carries a signed, expiring, single-use
link to choose a password; deactivation blocks login and lists the open assignments for
reassignment; only administrators reach these pages."""
import re

from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from portal.accounts import staff as staff_ops
from portal.accounts.models import Role
from portal.assessment import workflow as assessment
from portal.extensions import db
from portal.models import Application, AuditEvent, User
from tests.conftest import ADMIN, ASSESSOR_1, ASSESSOR_2, PROVIDER, login, post, user
from tests.helpers import submitted_application
from tests.test_scale import count_statements

NEW_EMAIL = "nieuwe.beoordelaar@regio.example"
NEW_PASSWORD = "beoordelen-is-een-vak-2027"
LINK_RE = re.compile(r"https?://[^/\s]+(/beheer/wachtwoord-instellen/\S+)")


def _client(app, who):
    client = app.test_client()
    login(client, who)
    return client


def _create(client, name="Nora Nieuw", email=NEW_EMAIL, role="assessor", **extra):
    return post(client, "/beheer/medewerkers/nieuw",
                {"full_name": name, "email": email, "role": role, **extra})


def _link_from_mail(smtp, to):
    smtp.wait_for(1)
    [message] = smtp.find(to=to)
    body = message.get_body(preferencelist=("plain",)).get_content()
    return LINK_RE.search(body).group(1)


def _can_log_in(app, email, password):
    response = post(app.test_client(), "/inloggen", {"email": email, "password": password})
    return response.status_code == 302, response.get_data(as_text=True)


def _assigned_application(app, assessor_email):
    with app.app_context():
        provider = user(PROVIDER)
        application = submitted_application(provider, "pleegzorg")
        assessment.start_review(application, by=user(assessor_email))
        db.session.commit()
        return application.id, application.reference


# --- who may ---------------------------------------------------------------------------------

def test_only_administrators_reach_the_staff_pages(app):
    with app.app_context():
        assessor_id = user(ASSESSOR_1).id
    pages = ["/beheer/medewerkers", "/beheer/medewerkers?status=alle", "/beheer/medewerkers/nieuw",
             f"/beheer/medewerkers/{assessor_id}", f"/beheer/medewerkers/{assessor_id}/deactiveren"]
    posts = ["/beheer/medewerkers/nieuw", f"/beheer/medewerkers/{assessor_id}/deactiveren",
             f"/beheer/medewerkers/{assessor_id}/heractiveren",
             f"/beheer/medewerkers/{assessor_id}/uitnodiging"]
    for who in (PROVIDER, ASSESSOR_1, ASSESSOR_2):
        client = _client(app, who)
        for url in pages:
            assert client.get(url).status_code == 403, (who, url)
        for url in posts:
            response = post(client, url, {"full_name": "X", "email": "x@regio.example",
                                          "role": "admin"}, token_from="/account")
            assert response.status_code == 403, (who, url)
    anonymous = app.test_client()
    for url in pages:
        response = anonymous.get(url)
        assert response.status_code == 302 and "/inloggen" in response.headers["Location"]
    with app.app_context():
        assert user("x@regio.example") is None
        assert user(ASSESSOR_1).is_active_account


def test_staff_pages_show_only_staff_accounts(app):
    admin = _client(app, ADMIN)
    with app.app_context():
        provider_id = user(PROVIDER).id
    assert admin.get(f"/beheer/medewerkers/{provider_id}").status_code == 404
    assert admin.get(f"/beheer/medewerkers/{provider_id}/deactiveren").status_code == 404
    html = admin.get("/beheer/medewerkers?status=alle").get_data(as_text=True)
    assert ASSESSOR_1 in html and ADMIN in html and PROVIDER not in html


# --- create, invite, choose a password -------------------------------------------------------

def test_admin_creates_assessor_who_sets_password_from_the_mail_and_logs_in(app, smtp):
    admin = _client(app, ADMIN)
    response = _create(admin)
    assert response.status_code == 302
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert f"De uitnodiging om een wachtwoord te kiezen is gestuurd naar {NEW_EMAIL}" in page
    assert "uitgenodigd; heeft nog geen wachtwoord gekozen" in page
    with app.app_context():
        created = user(NEW_EMAIL)
        assert created.role == Role.ASSESSOR and created.full_name == "Nora Nieuw"
        assert created.is_active_account and created.email_confirmed_at is None
        assert created.password_hash.startswith("$argon2")  # unusable, but a real hash
        creator_name = user(ADMIN).full_name

    [mail] = smtp.wait_for(1)
    assert mail["To"] == NEW_EMAIL
    assert mail["Subject"] == "Uw account voor het portaal Wonen met begeleiding"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Beste Nora Nieuw" in text and f"{creator_name} heeft voor u een account als beoordelaar" in text
    assert "7 dagen geldig en werkt één keer" in text
    link = LINK_RE.search(text).group(1)
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert link in html.replace("&amp;", "&")

    # Before choosing a password nobody can log in with a guess.
    assert not _can_log_in(app, NEW_EMAIL, NEW_PASSWORD)[0]

    invitee = app.test_client()
    page = invitee.get(link)
    assert page.status_code == 200
    assert "Kies een wachtwoord voor uw account als beoordelaar" in page.get_data(as_text=True)
    too_short = post(invitee, link, {"password": "kort", "password_repeat": "kort"})
    assert too_short.status_code == 422
    assert "minstens 12 tekens" in too_short.get_data(as_text=True)
    different = post(invitee, link, {"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD + "x"})
    assert different.status_code == 422
    assert "De wachtwoorden zijn niet gelijk." in different.get_data(as_text=True)
    done = post(invitee, link, {"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    assert done.status_code == 302 and "/inloggen" in done.headers["Location"]

    ok, _ = _can_log_in(app, NEW_EMAIL, NEW_PASSWORD)
    assert ok
    assessor = app.test_client()
    login(assessor, NEW_EMAIL, NEW_PASSWORD)
    assert assessor.get("/beoordeling/").status_code == 200
    assert assessor.get("/beheer/medewerkers").status_code == 403

    # The link works once.
    again = app.test_client().get(link)
    assert again.status_code == 400
    assert "al gebruikt" in again.get_data(as_text=True)
    with app.app_context():
        created = user(NEW_EMAIL)
        assert created.email_confirmed_at is not None
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_type == "users", AuditEvent.object_id == created.id)
            .order_by(AuditEvent.id)).all()
        # (Logins, failed ones too, and the second factor are audited as well.)
        assert [a for a in actions if not a.startswith(("login", "second_factor"))][:2] == [
            "staff_created", "staff_password_set"]
        creator = db.session.scalar(select(AuditEvent.actor_id).where(
            AuditEvent.action == "staff_created", AuditEvent.object_id == created.id))
        assert creator == user(ADMIN).id


def test_admin_creates_an_administrator(app, smtp):
    admin = _client(app, ADMIN)
    assert _create(admin, name="Carla Contract", email="Carla@Regio.example",
                   role="admin").status_code == 302
    with app.app_context():
        created = user("carla@regio.example")  # stored in lower case
        assert created.role == Role.ADMIN
    text = smtp.wait_for(1)[0].get_body(preferencelist=("plain",)).get_content()
    assert "een account als contractbeheerder" in text


def test_create_refuses_bad_input_and_keeps_what_was_typed(app, smtp):
    admin = _client(app, ADMIN)
    empty = post(admin, "/beheer/medewerkers/nieuw", {"full_name": "", "email": "", "role": ""})
    html = empty.get_data(as_text=True)
    assert empty.status_code == 422
    assert "Vul de naam van de medewerker in." in html
    assert "Vul het e-mailadres van de medewerker in." in html
    assert "Kies de rol: beoordelaar, contractbeheerder of verwijzer." in html

    bad = _create(admin, name="Nora Nieuw", email="geen-adres", role="provider")
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "Vul een geldig e-mailadres in" in html and "Kies de rol" in html
    assert 'value="Nora Nieuw"' in html and 'value="geen-adres"' in html

    taken = _create(admin, name="Nora Nieuw", email=PROVIDER.upper())
    assert taken.status_code == 422
    assert "Dit e-mailadres hoort bij een account van een aanbieder." in taken.get_data(as_text=True)
    staff_taken = _create(admin, name="Nora Nieuw", email=ASSESSOR_2)
    assert "Er bestaat al een account van een medewerker met dit e-mailadres." in \
        staff_taken.get_data(as_text=True)
    with app.app_context():
        assert user("geen-adres") is None
        assert db.session.scalar(select(User).where(User.full_name == "Nora Nieuw")) is None
    assert smtp.messages == []


def test_expired_tampered_replaced_and_deactivated_links_get_a_clear_answer(app, smtp, monkeypatch):
    import itsdangerous.timed

    admin = _client(app, ADMIN)
    _create(admin)
    first_link = _link_from_mail(smtp, NEW_EMAIL)
    with app.app_context():
        created = user(NEW_EMAIL)
        real = itsdangerous.timed.TimestampSigner.get_timestamp
        monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp",
                            lambda self: real(self) - staff_ops.INVITE_MAX_AGE - 60)
        old_token = staff_ops.set_password_token(created)
        monkeypatch.undo()
        user_id = created.id
    expired = app.test_client().get(f"/beheer/wachtwoord-instellen/{old_token}")
    assert expired.status_code == 400 and "Deze link is verlopen" in expired.get_data(as_text=True)
    tampered = app.test_client().get(first_link[:-3] + "abc")
    assert tampered.status_code == 400 and "Deze link is ongeldig" in tampered.get_data(as_text=True)

    # A resent invitation replaces the first link.
    smtp.clear()
    assert post(admin, f"/beheer/medewerkers/{user_id}/uitnodiging", {},
                token_from=f"/beheer/medewerkers/{user_id}").status_code == 302
    second_link = _link_from_mail(smtp, NEW_EMAIL)
    assert second_link != first_link
    replaced = app.test_client().get(first_link)
    assert replaced.status_code == 400 and "vervangen door een nieuwere uitnodiging" in \
        replaced.get_data(as_text=True)
    assert app.test_client().get(second_link).status_code == 200

    # A deactivated account cannot use its link.
    post(admin, f"/beheer/medewerkers/{user_id}/deactiveren", {})
    refused = app.test_client().get(second_link)
    assert refused.status_code == 400 and "gedeactiveerd" in refused.get_data(as_text=True)

    # Someone logged in as another user is asked to log out first; nothing changes.
    post(admin, f"/beheer/medewerkers/{user_id}/heractiveren", {},
         token_from=f"/beheer/medewerkers/{user_id}")
    other = _client(app, PROVIDER)
    response = other.get(second_link)
    assert response.status_code == 400 and "Log eerst uit" in response.get_data(as_text=True)
    with app.app_context():
        assert user(NEW_EMAIL).email_confirmed_at is None


def test_resend_is_refused_once_a_password_is_chosen(app, smtp):
    admin = _client(app, ADMIN)
    with app.app_context():
        assessor_id = user(ASSESSOR_1).id
        old_hash = user(ASSESSOR_1).password_hash
    response = post(admin, f"/beheer/medewerkers/{assessor_id}/uitnodiging", {},
                    token_from=f"/beheer/medewerkers/{assessor_id}", follow_redirects=True)
    assert "heeft al een wachtwoord gekozen" in response.get_data(as_text=True)
    with app.app_context():
        assert user(ASSESSOR_1).password_hash == old_hash
    assert smtp.messages == []


# --- deactivate and reactivate ---------------------------------------------------------------

def test_deactivation_blocks_login_and_lists_open_assignments_to_reassign(app):
    app_id, reference = _assigned_application(app, ASSESSOR_1)
    with app.app_context():
        assessor_id = user(ASSESSOR_1).id
    session_of_assessor = _client(app, ASSESSOR_1)
    assert session_of_assessor.get("/beoordeling/").status_code == 200

    admin = _client(app, ADMIN)
    confirm = admin.get(f"/beheer/medewerkers/{assessor_id}/deactiveren").get_data(as_text=True)
    assert "Er staat 1 open aanmelding op naam van dit account." in confirm
    assert f'href="/beoordeling/{app_id}"' in confirm and reference in confirm
    response = post(admin, f"/beheer/medewerkers/{assessor_id}/deactiveren", {})
    assert response.status_code == 302
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "is gedeactiveerd en kan niet meer inloggen" in page
    assert "wijs die hieronder opnieuw toe" in page
    assert f'href="/beoordeling/{app_id}"' in page and "Opnieuw toewijzen" in page

    # Login is refused with the generic message; an open session loses its access.
    ok, html = _can_log_in(app, ASSESSOR_1, "demo-wachtwoord-2027")
    assert not ok and "Het e-mailadres of het wachtwoord klopt niet." in html
    kicked = session_of_assessor.get("/beoordeling/")
    assert kicked.status_code == 302 and "/inloggen" in kicked.headers["Location"]

    # The assessment page offers only active assessors; reassigning works from there.
    detail = admin.get(f"/beoordeling/{app_id}").get_data(as_text=True)
    options = re.findall(r'<option[^>]*value="(\d+)"', detail)
    with app.app_context():
        second = user(ASSESSOR_2).id
    assert str(assessor_id) not in options and str(second) in options
    post(admin, f"/beoordeling/{app_id}/toewijzen", {"assessor": str(second)},
         token_from=f"/beoordeling/{app_id}")
    with app.app_context():
        assert db.session.get(Application, app_id).assessor_id == second
    after = admin.get(f"/beheer/medewerkers/{assessor_id}").get_data(as_text=True)
    assert "Er staan geen open aanmeldingen op naam van deze medewerker." in after

    # Reactivation lets the assessor in again.
    response = post(admin, f"/beheer/medewerkers/{assessor_id}/heractiveren", {},
                    token_from=f"/beheer/medewerkers/{assessor_id}", follow_redirects=True)
    assert "is weer actief" in response.get_data(as_text=True)
    assert _can_log_in(app, ASSESSOR_1, "demo-wachtwoord-2027")[0]
    with app.app_context():
        events = db.session.execute(select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.detail)
                                    .where(AuditEvent.object_type == "users",
                                           AuditEvent.object_id == assessor_id)
                                    .order_by(AuditEvent.id)).all()
        admin_id = user(ADMIN).id
    events = [e for e in events if e.action.startswith("staff_")]  # not the logins
    assert [(e.action, e.actor_id) for e in events] == [("staff_deactivated", admin_id),
                                                       ("staff_reactivated", admin_id)]
    assert events[0].detail == "open assignments=1"


def test_deactivated_list_and_repeated_actions(app):
    admin = _client(app, ADMIN)
    with app.app_context():
        assessor_id = user(ASSESSOR_2).id
    post(admin, f"/beheer/medewerkers/{assessor_id}/deactiveren", {})
    active = admin.get("/beheer/medewerkers").get_data(as_text=True)
    inactive = admin.get("/beheer/medewerkers?status=gedeactiveerd").get_data(as_text=True)
    assert ASSESSOR_2 not in active and ASSESSOR_1 in active
    assert ASSESSOR_2 in inactive and ASSESSOR_1 not in inactive
    again = admin.get(f"/beheer/medewerkers/{assessor_id}/deactiveren", follow_redirects=True)
    assert "is al gedeactiveerd" in again.get_data(as_text=True)
    post(admin, f"/beheer/medewerkers/{assessor_id}/heractiveren", {},
         token_from=f"/beheer/medewerkers/{assessor_id}")
    twice = post(admin, f"/beheer/medewerkers/{assessor_id}/heractiveren", {},
                 token_from=f"/beheer/medewerkers/{assessor_id}", follow_redirects=True)
    assert "is al actief" in twice.get_data(as_text=True)
    # Without a CSRF token nothing happens.
    assert admin.post(f"/beheer/medewerkers/{assessor_id}/deactiveren").status_code == 400
    with app.app_context():
        assert user(ASSESSOR_2).is_active_account


def test_an_administrator_cannot_deactivate_themself(app):
    admin = _client(app, ADMIN)
    with app.app_context():
        admin_id = user(ADMIN).id
    show = admin.get(f"/beheer/medewerkers/{admin_id}").get_data(as_text=True)
    assert "Account deactiveren" not in show
    page = admin.get(f"/beheer/medewerkers/{admin_id}/deactiveren").get_data(as_text=True)
    assert "U kunt uw eigen account niet deactiveren." in page
    assert "button danger" not in page
    response = post(admin, f"/beheer/medewerkers/{admin_id}/deactiveren", {})
    assert response.status_code == 422
    assert "U kunt uw eigen account niet deactiveren." in response.get_data(as_text=True)
    with app.app_context():
        assert user(ADMIN).is_active_account
        assert db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "staff_deactivated")) is None


def test_operations_check_the_actor(app):
    from portal.errors import NotPermitted

    with app.app_context():
        assessor, admin = user(ASSESSOR_1), user(ADMIN)
        for operation in (lambda: staff_ops.deactivate_staff(user(ASSESSOR_2), by=assessor),
                          lambda: staff_ops.create_staff(full_name="X", email="x@regio.example",
                                                         role="admin", by=assessor),
                          lambda: staff_ops.deactivate_staff(user(PROVIDER), by=admin)):
            try:
                operation()
            except NotPermitted:
                pass
            else:
                raise AssertionError("not refused")
        db.session.rollback()
        assert user(ASSESSOR_2).is_active_account and user(PROVIDER).is_active_account


# --- cost ------------------------------------------------------------------------------------

def test_staff_list_runs_few_statements_whatever_the_number_of_accounts(app):
    admin = _client(app, ADMIN)
    _assigned_application(app, ASSESSOR_1)
    with app.app_context():
        small = count_statements(app, admin, "/beheer/medewerkers")
        for i in range(60):
            db.session.add(User(email=f"staff{i}@regio.example", full_name=f"Medewerker {i:02}",
                                role=Role.ASSESSOR, password_hash="x"))
        db.session.commit()
        large = count_statements(app, admin, "/beheer/medewerkers")
        assessor_page = count_statements(app, admin, f"/beheer/medewerkers/{user(ASSESSOR_1).id}")
    assert large == small <= 15 and assessor_page <= 15
    html = admin.get("/beheer/medewerkers?pagina=2").get_data(as_text=True)
    assert "Pagina 2 van 3" in html


def test_two_administrators_cannot_deactivate_each_other(app):
    """B's page was loaded while B was active; A deactivates B first; B's own attempt to
    deactivate A is then refused, so the region keeps an administrator."""
    from portal.errors import NotPermitted

    with app.app_context():
        second = staff_ops.create_staff(full_name="Tweede Beheerder", email="tweede@regio.example",
                                        role="admin", by=user(ADMIN))
        db.session.commit()
        second_id = second.id
    with app.app_context():
        b = db.session.get(User, second_id)
        assert b.is_active
        with app.app_context():  # another session: A deactivates B and commits
            staff_ops.deactivate_staff(db.session.get(User, second_id), by=user(ADMIN))
            db.session.commit()
        try:
            staff_ops.deactivate_staff(user(ADMIN), by=b)
        except NotPermitted as exc:
            assert exc.message == "Uw account is gedeactiveerd."
        else:
            raise AssertionError("B deactivated A after being deactivated")
        db.session.rollback()
    with app.app_context():
        assert user(ADMIN).is_active_account and not db.session.get(User, second_id).is_active_account


# --- referrers (verwijzers) -------------------------------------------------------------------

REFERRER_EMAIL = "vera@wijkteam-breda.example"


def test_admin_creates_a_referrer_who_sets_a_password_and_sees_capacity(app, smtp):
    admin = _client(app, ADMIN)
    missing = _create(admin, name="Vera Verwijzer", email=REFERRER_EMAIL, role="referrer")
    html = missing.get_data(as_text=True)
    assert missing.status_code == 422
    assert "Vul bij een verwijzer het sociaal wijkteam of de gemeente in waarvoor die werkt." \
        in html
    assert 'value="Vera Verwijzer"' in html and f'value="{REFERRER_EMAIL}"' in html
    assert '<input checked id="role-2" name="role" required type="radio" value="referrer">' in html
    with app.app_context():
        assert user(REFERRER_EMAIL) is None
    assert smtp.messages == []

    response = _create(admin, name="Vera Verwijzer", email=REFERRER_EMAIL, role="referrer",
                       affiliation="  Sociaal wijkteam   Breda-Noord ")
    assert response.status_code == 302
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Het account van Vera Verwijzer (verwijzer) is aangemaakt." in page
    assert "Sociaal wijkteam Breda-Noord" in page and "Open aanmeldingen" not in page
    listing = admin.get("/beheer/medewerkers").get_data(as_text=True)
    assert "verwijzer (Sociaal wijkteam Breda-Noord)" in listing
    with app.app_context():
        created = user(REFERRER_EMAIL)
        assert created.role == Role.REFERRER and created.organisation_id is None
        assert created.affiliation == "Sociaal wijkteam Breda-Noord"
        assert created.email_confirmed_at is None
        assert not (created.is_staff or created.is_assessor or created.is_admin)
        assert db.session.scalar(select(AuditEvent.detail).where(
            AuditEvent.action == "staff_created", AuditEvent.object_id == created.id)) == \
            f"email={REFERRER_EMAIL} role=referrer affiliation=Sociaal wijkteam Breda-Noord"

    [mail] = smtp.wait_for(1)
    assert mail["To"] == REFERRER_EMAIL
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "een account als verwijzer" in text
    link = LINK_RE.search(text).group(1)
    invitee = app.test_client()
    assert "Kies een wachtwoord voor uw account als verwijzer" in \
        invitee.get(link).get_data(as_text=True)
    done = post(invitee, link, {"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    assert done.status_code == 302

    referrer = app.test_client()
    logged_in = login(referrer, REFERRER_EMAIL, NEW_PASSWORD)
    # A referrer sets up the second factor first (the login helper does it as a person does).
    assert logged_in.headers["Location"].endswith("/account/tweestapsverificatie/instellen")
    overview = referrer.get("/capaciteit")
    assert overview.status_code == 200
    assert "Beschikbare plaatsen bij partners" in overview.get_data(as_text=True)
    assert referrer.get("/beoordeling/").status_code == 403
    assert referrer.get("/beheer/medewerkers").status_code == 403


def test_an_assessor_role_is_not_given_to_a_referrers_affiliation(app):
    admin = _client(app, ADMIN)
    assert _create(admin, role="assessor", affiliation="Gemeente Breda").status_code == 302
    with app.app_context():
        assert user(NEW_EMAIL).affiliation is None  # only a referrer works elsewhere


def _sample_url(rule):
    values = {}
    for name, converter in rule._converters.items():
        values[name] = 1 if isinstance(converter, IntegerConverter) else "x"
    return rule.build(values, append_unknown=False)[1]


def test_referrers_reach_nothing_of_assessment_administration_or_providers(app):
    from portal.accounts.passwords import hash_password
    from portal.timeutil import utcnow
    from tests.conftest import DEMO_PASSWORD

    with app.app_context():
        db.session.add(User(email=REFERRER_EMAIL, full_name="Vera Verwijzer", role=Role.REFERRER,
                            affiliation="Gemeente Oosterhout",
                            password_hash=hash_password(DEMO_PASSWORD),
                            email_confirmed_at=utcnow()))
        db.session.commit()
    referrer = _client(app, REFERRER_EMAIL)
    closed = ("/beheer", "/beoordeling", "/organisatie", "/aanbieder")
    open_to_all = {"/beheer/wachtwoord-instellen/<token>"}  # the signed link decides
    # Pages that do not even tell others that the object exists.
    not_found_for_others = {"/beoordeling/documenten/<int:document_id>/bekijken"}
    checked, wrong = [], []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(closed) or rule.rule in open_to_all:
            continue
        url = _sample_url(rule)
        if "GET" in rule.methods:
            response = referrer.get(url)
        else:
            response = post(referrer, url, {}, token_from="/account")
        expected = 404 if rule.rule in not_found_for_others else 403
        if response.status_code != expected:
            wrong.append((rule.rule, response.status_code))
        checked.append(rule.rule)
    assert wrong == []
    assert "/beheer/partners/<int:organisation_id>" in checked
    assert "/beheer/herbevestiging" in checked and "/beheer/looptijd" in checked
    assert "/organisatie/capaciteit" in checked and "/beoordeling/" in checked
    assert len(checked) > 40
    # What is open to them: current capacity and the public pages.
    assert referrer.get("/capaciteit").status_code == 200
    assert referrer.get("/register").status_code == 200

"""Sessions that end (ASVS 3.3), through the pages: a session cookie copied before a
logout, a password change, a password reset, a reset second factor or a deactivation gets
the login page afterwards; idle timeouts (30 minutes staff, 2 hours providers) and the
absolute limit (12 hours) with the clock moved by time-machine; a new session at login.
Brute force per account (whatever the address) and responses that do not tell whether an
account exists."""
import re
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent
from tests.conftest import ADMIN, ASSESSOR_1, DEMO_PASSWORD, PROVIDER, login, post, user
from tests.helpers import outbox_subjects

NOW = datetime(2027, 2, 3, 9, 0, tzinfo=UTC)
NEW_PASSWORD = "fiets-wolk-koffie-lantaarn"


def _copy(app, client):
    """Another browser holding a copy of ``client``'s session cookie (as an attacker would)."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def _at_login_page(client, url="/account"):
    response = client.get(url)
    return response.status_code == 302 and response.headers["Location"].startswith("/inloggen")


def test_a_cookie_from_before_a_logout_gets_the_login_page(app):
    client = app.test_client()
    login(client, PROVIDER)
    copy = _copy(app, client)
    assert copy.get("/account").status_code == 200
    response = post(client, "/uitloggen", token_from="/account")
    assert response.status_code == 302
    assert _at_login_page(copy) and _at_login_page(copy, "/aanbieder")
    assert _at_login_page(client)
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_id == user(PROVIDER).id, AuditEvent.object_type == "users")).all()
    assert "login" in actions and "logout" in actions


def test_a_password_change_ends_every_other_session(app, smtp):
    client = app.test_client()
    login(client, PROVIDER)
    copy = _copy(app, client)
    response = post(client, "/account/wachtwoord", {
        "current_password": DEMO_PASSWORD, "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    assert response.status_code == 302
    assert client.get("/account").status_code == 200  # this one goes on
    assert _at_login_page(copy)


def test_a_password_reset_ends_every_session(app, smtp):
    client = app.test_client()
    login(client, ASSESSOR_1)
    copy = _copy(app, client)
    anonymous = app.test_client()
    post(anonymous, "/wachtwoord-vergeten", {"email": ASSESSOR_1})
    body = smtp.wait_for(1)[-1].get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"http://localhost(/wachtwoord-herstellen/\S+)", body).group(1)
    done = post(anonymous, link, {"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    assert done.status_code == 302
    assert _at_login_page(copy, "/beoordeling/") and _at_login_page(client, "/beoordeling/")


def test_deactivation_ends_the_sessions_of_staff_and_of_an_organisations_member(app):
    assessor = app.test_client()
    login(assessor, ASSESSOR_1)
    copy = _copy(app, assessor)
    admin = app.test_client()
    login(admin, ADMIN)
    with app.app_context():
        assessor_id = user(ASSESSOR_1).id
    post(admin, f"/beheer/medewerkers/{assessor_id}/deactiveren")
    assert _at_login_page(assessor, "/beoordeling/") and _at_login_page(copy, "/beoordeling/")

    from portal.accounts.passwords import hash_password
    from portal.models import OrgRole, Role, User
    from portal.timeutil import utcnow

    with app.app_context():
        organisation_id = user(PROVIDER).organisation_id
        db.session.add(User(email="collega@delinde.example", full_name="Co Collega",
                            role=Role.PROVIDER, organisation_id=organisation_id,
                            org_role=OrgRole.MEDEWERKER, password_hash=hash_password(DEMO_PASSWORD),
                            email_confirmed_at=utcnow()))
        db.session.commit()
        colleague_id = user("collega@delinde.example").id
    colleague = app.test_client()
    login(colleague, "collega@delinde.example")
    assert colleague.get("/aanbieder").status_code == 200
    beheerder = app.test_client()
    login(beheerder, PROVIDER)
    removed = post(beheerder, f"/organisatie/gebruikers/{colleague_id}/verwijderen")
    assert removed.status_code == 302
    assert _at_login_page(colleague, "/aanbieder")


def test_staff_sessions_end_after_30_idle_minutes_providers_after_2_hours(app):
    with time_machine.travel(NOW, tick=False) as traveller:
        staff, provider = app.test_client(), app.test_client()
        login(staff, ASSESSOR_1)
        login(provider, PROVIDER)
        traveller.shift(timedelta(minutes=29))
        assert staff.get("/beoordeling/").status_code == 200  # activity: the idle clock restarts
        traveller.shift(timedelta(minutes=29))
        assert staff.get("/beoordeling/").status_code == 200
        assert provider.get("/aanbieder").status_code == 200  # 58 minutes: fine
        traveller.shift(timedelta(minutes=31))
        assert _at_login_page(staff, "/beoordeling/")
        page = staff.get("/inloggen").get_data(as_text=True)
        assert "U was een tijd niet actief en bent daarom uitgelogd" in page
        traveller.shift(timedelta(minutes=88))  # 119 minutes since the provider's last page
        assert provider.get("/aanbieder").status_code == 200
        traveller.shift(timedelta(minutes=121))
        assert _at_login_page(provider, "/aanbieder")


def test_a_session_ends_12_hours_after_the_login_however_active(app):
    with time_machine.travel(NOW, tick=False) as traveller:
        provider = app.test_client()
        login(provider, PROVIDER)
        for _ in range(7):  # a page every 100 minutes: never idle
            traveller.shift(timedelta(minutes=100))
            assert provider.get("/aanbieder").status_code == 200
        traveller.shift(timedelta(minutes=100))  # 13h20 after the login
        assert _at_login_page(provider, "/aanbieder")
        login(provider, PROVIDER)
        assert provider.get("/aanbieder").status_code == 200


def test_the_settings_set_the_timeouts(app):
    app.config.update(SESSION_IDLE_MINUTES_PROVIDER=5, SESSION_ABSOLUTE_HOURS=1)
    with time_machine.travel(NOW, tick=False) as traveller:
        provider = app.test_client()
        login(provider, PROVIDER)
        traveller.shift(timedelta(minutes=6))
        assert _at_login_page(provider, "/aanbieder")


def test_a_login_starts_a_new_session(app):
    client = app.test_client()
    client.get("/inloggen")
    before = client.get_cookie("session").value
    login(client, PROVIDER)
    after = client.get_cookie("session").value
    assert before != after
    # The cookie from before the login is still an anonymous one (no session fixation).
    planted = app.test_client()
    planted.set_cookie("session", before)
    assert _at_login_page(planted, "/aanbieder")


# --- brute force ---------------------------------------------------------------------------------

def _try(client, email, password):
    return post(client, "/inloggen", {"email": email, "password": password}, token_from="/inloggen")


def test_failed_logins_are_throttled_per_account_whatever_the_address(app):
    with time_machine.travel(NOW, tick=False) as traveller:
        for attempt in range(10):
            client = app.test_client()
            client.environ_base["REMOTE_ADDR"] = f"192.0.2.{attempt}"
            wrong = _try(client, PROVIDER, f"fout-wachtwoord-{attempt}")
            assert wrong.status_code == 200
            assert "Het e-mailadres of het wachtwoord klopt niet." in wrong.get_data(as_text=True)
        other = app.test_client()
        other.environ_base["REMOTE_ADDR"] = "198.51.100.7"
        waiting = _try(other, PROVIDER, DEMO_PASSWORD)  # even the right password waits
        assert waiting.status_code == 429
        assert "Wacht 1 minuut en probeer het dan opnieuw." in waiting.get_data(as_text=True)
        assert other.get("/aanbieder").status_code == 302

        traveller.shift(timedelta(seconds=61))
        assert _try(other, PROVIDER, "nog-steeds-fout").status_code == 200  # the 11th failure
        longer = _try(other, PROVIDER, DEMO_PASSWORD)
        assert longer.status_code == 429 and "Wacht 2 minuten" in longer.get_data(as_text=True)
        traveller.shift(timedelta(minutes=2, seconds=1))
        assert _try(other, PROVIDER, DEMO_PASSWORD).status_code == 302
        # A success starts the count again.
        post(other, "/uitloggen", token_from="/aanbieder")
        assert _try(other, PROVIDER, "weer-fout-123").status_code == 200
        assert _try(other, PROVIDER, DEMO_PASSWORD).status_code == 302
    with app.app_context():
        failed = db.session.scalars(select(AuditEvent.detail).where(
            AuditEvent.action == "login_failed", AuditEvent.object_id == user(PROVIDER).id)).all()
    assert len(failed) == 12 and failed[0] == "reason=password failures=1"


def test_an_address_without_account_gets_the_same_answers(app):
    """Login and reset answer alike for known and unknown addresses, throttled ones too."""
    with time_machine.travel(NOW, tick=False):
        client = app.test_client()
        answers = {}
        for email in (PROVIDER, "niemand@nergens.example"):
            texts = [_try(client, email, f"fout-{n}-wachtwoord").get_data(as_text=True)
                     for n in range(11)]
            answers[email] = (texts[0].count("klopt niet"), "Wacht 1 minuut" in texts[-1])
        assert answers[PROVIDER] == answers["niemand@nergens.example"] == (1, True)


def test_reset_requests_are_throttled_per_address(app, smtp):
    with time_machine.travel(NOW, tick=False):
        for email in (PROVIDER, "niemand@nergens.example"):
            client = app.test_client()
            for _ in range(10):
                response = post(client, "/wachtwoord-vergeten", {"email": email},
                                follow_redirects=True)
                assert "Als er een account met dit e-mailadres bestaat" in response.get_data(as_text=True)
            waiting = post(client, "/wachtwoord-vergeten", {"email": email})
            assert ("Er is te vaak een nieuw wachtwoord aangevraagd voor dit e-mailadres. Wacht 1 "
                    "minuut") in waiting.get_data(as_text=True), email
    assert len(outbox_subjects(app, to=PROVIDER)) == 10
    assert outbox_subjects(app, to="niemand@nergens.example") == []

"""The second factor through the pages: TOTP (pyotp computes the codes an authenticator
app would show) with recovery codes. Staff cannot reach any page before they enrolled;
providers may enrol on Mijn account. Wrong, reused, expired and malformed codes and a
recovery code used twice get a clear Dutch answer and change nothing; verification is
throttled per account; an administrator resets another staff member's second factor,
never their own. Time is frozen (time-machine) where a time step matters."""
import re
from datetime import UTC, datetime, timedelta

import pyotp
import time_machine
from sqlalchemy import select

from portal.accounts import mfa
from portal.accounts.passwords import hash_password
from portal.demo import DEMO_TOTP_SECRET
from portal.extensions import db
from portal.models import AuditEvent, Role, User
from portal.timeutil import utcnow
from tests.conftest import ADMIN, ASSESSOR_1, DEMO_PASSWORD, PROVIDER, login, post, user

NOW = datetime(2027, 2, 3, 10, 0, 5, tzinfo=UTC)  # 5 seconds into a 30-second time step
CODE_PAGE = "/inloggen/code"
RECOVERY_PAGE = "/inloggen/herstelcode"
SETUP = "/account/tweestapsverificatie/instellen"
SECRET_RE = re.compile(r'id="totp-secret">([A-Z2-7 ]+)<')
RECOVERY_RE = re.compile(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>")
NEW_STAFF = "nieuw.team@regio.example"


def _code(secret, at=None):
    totp = pyotp.TOTP(secret)
    return totp.at(at) if at is not None else totp.now()


def _password_step(client, email, password=DEMO_PASSWORD):
    response = post(client, "/inloggen", {"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    return response


def _actions(app, email):
    with app.app_context():
        account = user(email)
        return db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_type == "users", AuditEvent.object_id == account.id)
            .order_by(AuditEvent.id)).all()


def _new_staff(app, role=Role.ASSESSOR, email=NEW_STAFF):
    with app.app_context():
        db.session.add(User(email=email, full_name="Nina Nieuw", role=role,
                            password_hash=hash_password(DEMO_PASSWORD), email_confirmed_at=utcnow(),
                            affiliation="Gemeente Breda" if role == Role.REFERRER else None))
        db.session.commit()


def _enrol(client):
    """Enrol on the set-up page as a person does; returns (secret, recovery codes)."""
    secret = SECRET_RE.search(client.get(SETUP).get_data(as_text=True)).group(1).replace(" ", "")
    page = post(client, SETUP, {"code": _code(secret)})
    assert page.status_code == 200, page.get_data(as_text=True)[:2000]
    return secret, RECOVERY_RE.findall(page.get_data(as_text=True))


# --- enrolment ---------------------------------------------------------------------------------

def test_staff_reach_only_the_enrolment_until_they_have_enrolled(app):
    _new_staff(app)
    client = app.test_client()
    with time_machine.travel(NOW, tick=False):
        response = _password_step(client, NEW_STAFF)
        assert response.headers["Location"] == SETUP
        for url in ("/beoordeling/", "/account", "/aanbieder", "/beheer/", "/capaciteit",
                    "/account/tweestapsverificatie"):
            blocked = client.get(url)
            assert blocked.status_code == 302 and blocked.headers["Location"] == SETUP, url
        refused = post(client, "/account/wachtwoord", {}, token_from=SETUP)
        assert refused.status_code == 302 and refused.headers["Location"] == SETUP

        page = client.get(SETUP)
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and "Tweestapsverificatie instellen" in html
        # The QR code is drawn in the page (a data URI), no request leaves the portal.
        assert 'src="data:image/svg+xml' in html and "otpauth" not in html.split("data:")[0]
        secret = SECRET_RE.search(html).group(1).replace(" ", "")
        assert len(secret) == 32
        # Reloading keeps the same secret (the app may already have it).
        assert secret in client.get(SETUP).get_data(as_text=True).replace(" ", "")

        for bad, message in (("12ab56", "Vul de 6 cijfers in"), ("", "Vul de code uit uw app in."),
                             ("123", "Vul de 6 cijfers in"),
                             (_code(DEMO_TOTP_SECRET), "Deze code klopt niet")):
            refused = post(client, SETUP, {"code": bad})
            assert refused.status_code == 422 and message in refused.get_data(as_text=True), bad
        with app.app_context():
            assert not user(NEW_STAFF).has_second_factor

        done = post(client, SETUP, {"code": _code(secret)})
        assert done.status_code == 200
        codes = RECOVERY_RE.findall(done.get_data(as_text=True))
        assert len(codes) == 10 and len(set(codes)) == 10
        assert 'href="/beoordeling/"' in done.get_data(as_text=True)
        assert client.get("/beoordeling/").status_code == 200
    with app.app_context():
        account = user(NEW_STAFF)
        assert account.has_second_factor and account.totp_secret == secret
        assert account.totp_pending_secret is None
        stored = [c.code_hash for c in account.recovery_codes]
        assert len(stored) == 10 and not any(code.replace("-", "") in stored for code in codes)
    assert "second_factor_enrolled" in _actions(app, NEW_STAFF)


def test_referrers_and_administrators_must_enrol_too_providers_need_not(app):
    _new_staff(app, Role.REFERRER, "verwijzer@gemeente.example")
    client = app.test_client()
    assert _password_step(client, "verwijzer@gemeente.example").headers["Location"] == SETUP
    provider = app.test_client()
    assert _password_step(provider, PROVIDER).headers["Location"] == "/aanbieder"
    assert provider.get("/aanbieder").status_code == 200
    # The demo administrator has enrolled (README): the password alone logs nobody in.
    admin = app.test_client()
    assert _password_step(admin, ADMIN).headers["Location"] == CODE_PAGE
    assert admin.get("/beheer/").status_code == 302


def test_the_setting_makes_the_second_factor_optional_for_staff(app):
    app.config["MFA_REQUIRED_FOR_STAFF"] = False
    _new_staff(app)
    client = app.test_client()
    assert _password_step(client, NEW_STAFF).headers["Location"] == "/beoordeling/"
    assert client.get("/beoordeling/").status_code == 200


# --- the login's second step ----------------------------------------------------------------------

def test_wrong_reused_expired_and_malformed_codes_are_refused_in_dutch(app):
    with time_machine.travel(NOW, tick=False):
        client = app.test_client()
        assert _password_step(client, ASSESSOR_1).headers["Location"] == CODE_PAGE
        # Between the password and the code nobody is logged in.
        assert client.get("/beoordeling/").status_code == 302
        now = NOW.timestamp()
        cases = [
            ("abcdef", "Vul de 6 cijfers in die uw authenticator-app nu toont"),
            ("12345", "Vul de 6 cijfers in"),
            ("", "Vul de code uit uw app in."),
            (str((int(_code(DEMO_TOTP_SECRET)) + 1) % 1_000_000).zfill(6), "Deze code klopt niet"),
            (_code(DEMO_TOTP_SECRET, now - 300), "Deze code is verlopen"),
        ]
        for code, message in cases:
            response = post(client, CODE_PAGE, {"code": code})
            assert response.status_code == 422, code
            assert message in response.get_data(as_text=True), code
            assert client.get("/beoordeling/").status_code == 302
        good = _code(DEMO_TOTP_SECRET)
        response = post(client, CODE_PAGE, {"code": good[:3] + " " + good[3:]})  # typed with a space
        assert response.status_code == 302 and response.headers["Location"] == "/beoordeling/"
        assert client.get("/beoordeling/").status_code == 200

        # The same code again, from another browser that knows the password: refused.
        other = app.test_client()
        _password_step(other, ASSESSOR_1)
        reused = post(other, CODE_PAGE, {"code": good})
        assert reused.status_code == 422 and "Deze code is al gebruikt" in reused.get_data(as_text=True)
        # The previous step's code is older than the used one: refused too.
        older = post(other, CODE_PAGE, {"code": _code(DEMO_TOTP_SECRET, now - 30)})
        assert "Deze code is al gebruikt" in older.get_data(as_text=True)
        assert other.get("/beoordeling/").status_code == 302
    # Thirty seconds on, the app shows a new code, which works.
    with time_machine.travel(NOW + timedelta(seconds=30), tick=False):
        assert post(other, CODE_PAGE, {"code": _code(DEMO_TOTP_SECRET)}).status_code == 302
        assert other.get("/beoordeling/").status_code == 200
    actions = _actions(app, ASSESSOR_1)
    assert actions.count("second_factor_failed") == 4  # the wrong, expired and reused codes
    assert actions.count("login") == 2 and actions.count("second_factor_used") == 2


def test_the_second_step_expires_and_needs_the_password_first(app):
    client = app.test_client()
    refused = client.get(CODE_PAGE)
    assert refused.status_code == 302 and refused.headers["Location"] == "/inloggen"
    with time_machine.travel(NOW, tick=False):
        _password_step(client, ASSESSOR_1)
    with time_machine.travel(NOW + timedelta(minutes=11), tick=False):
        late = post(client, CODE_PAGE, {"code": _code(DEMO_TOTP_SECRET)}, token_from="/inloggen")
        assert late.status_code == 302 and late.headers["Location"] == "/inloggen"
        assert "Uw inlogpoging is verlopen" in client.get("/inloggen").get_data(as_text=True)
        assert client.get("/beoordeling/").status_code == 302


def test_second_factor_codes_are_throttled_per_account(app):
    with time_machine.travel(NOW, tick=True):
        for attempt in range(10):  # from ten addresses: the count is the account's
            client = app.test_client()
            client.environ_base["REMOTE_ADDR"] = f"10.0.0.{attempt}"
            _password_step(client, ASSESSOR_1)
            assert post(client, CODE_PAGE, {"code": "000000"}).status_code == 422
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = "10.9.9.9"
        _password_step(client, ASSESSOR_1)
        waiting = post(client, CODE_PAGE, {"code": _code(DEMO_TOTP_SECRET)})  # even the right one
        assert waiting.status_code == 429
        assert "Er is te vaak een onjuiste code ingevuld. Wacht 1 minuut" in waiting.get_data(as_text=True)
        assert client.get("/beoordeling/").status_code == 302
    with time_machine.travel(NOW + timedelta(minutes=5), tick=True):
        _password_step(client, ASSESSOR_1)
        assert post(client, CODE_PAGE, {"code": _code(DEMO_TOTP_SECRET)}).status_code == 302
        assert client.get("/beoordeling/").status_code == 200


# --- recovery codes -----------------------------------------------------------------------------

def test_a_recovery_code_works_once(app):
    _new_staff(app)
    client = app.test_client()
    with time_machine.travel(NOW, tick=False):
        _password_step(client, NEW_STAFF)
        _secret, codes = _enrol(client)
        post(client, "/uitloggen", token_from="/account")

    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        lost_phone = app.test_client()
        _password_step(lost_phone, NEW_STAFF)
        assert "Log in met een herstelcode" in lost_phone.get(CODE_PAGE).get_data(as_text=True)
        for bad, message in (("abc", "Een herstelcode bestaat uit 10 letters en cijfers"),
                             ("zzzzz-zzzzz", "Deze herstelcode klopt niet")):
            refused = post(lost_phone, RECOVERY_PAGE, {"code": bad})
            assert refused.status_code == 422 and message in refused.get_data(as_text=True)
        response = post(lost_phone, RECOVERY_PAGE, {"code": codes[3].upper()})
        assert response.status_code == 302 and response.headers["Location"] == "/beoordeling/"
        page = lost_phone.get("/beoordeling/").get_data(as_text=True)
        assert "U heeft nog 9 herstelcodes" in page
        post(lost_phone, "/uitloggen", token_from="/account")

        again = app.test_client()
        _password_step(again, NEW_STAFF)
        used = post(again, RECOVERY_PAGE, {"code": codes[3]})
        assert used.status_code == 422
        assert "Deze herstelcode is al gebruikt" in used.get_data(as_text=True)
        assert again.get("/beoordeling/").status_code == 302
        assert post(again, RECOVERY_PAGE, {"code": codes[4].replace("-", "")}).status_code == 302
    with app.app_context():
        assert mfa.remaining_recovery_codes(user(NEW_STAFF)) == 8


# --- an administrator resets a lost second factor ----------------------------------------------------

def test_an_administrator_resets_another_staff_members_second_factor(app, smtp):
    assessor = app.test_client()
    login(assessor, ASSESSOR_1)
    old_cookie = assessor.get_cookie("session").value
    admin = app.test_client()
    login(admin, ADMIN)
    with app.app_context():
        assessor_id, admin_id = user(ASSESSOR_1).id, user(ADMIN).id
    page = admin.get(f"/beheer/medewerkers/{assessor_id}").get_data(as_text=True)
    assert "Tweestapsverificatie resetten" in page and "ingesteld op" in page
    # Never their own: no button, and the POST is refused.
    assert "Tweestapsverificatie resetten" not in admin.get(f"/beheer/medewerkers/{admin_id}").get_data(
        as_text=True)
    own = post(admin, f"/beheer/medewerkers/{admin_id}/tweestapsverificatie-resetten",
               token_from=f"/beheer/medewerkers/{admin_id}", follow_redirects=True)
    assert "U kunt uw eigen tweestapsverificatie niet resetten" in own.get_data(as_text=True)
    # Not an assessor's business.
    other = app.test_client()
    login(other, "beoordelaar2@demo.nl")
    forbidden = post(other, f"/beheer/medewerkers/{assessor_id}/tweestapsverificatie-resetten",
                     token_from="/account")
    assert forbidden.status_code == 403
    with app.app_context():
        assert user(ADMIN).has_second_factor and user(ASSESSOR_1).has_second_factor

    smtp.clear()
    done = post(admin, f"/beheer/medewerkers/{assessor_id}/tweestapsverificatie-resetten",
                token_from=f"/beheer/medewerkers/{assessor_id}", follow_redirects=True)
    assert "De tweestapsverificatie van Bas Jansen is gereset" in done.get_data(as_text=True)
    with app.app_context():
        account = user(ASSESSOR_1)
        assert not account.has_second_factor and account.recovery_codes == []
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "second_factor_reset"))
        assert event.actor_id == admin_id and event.object_id == assessor_id
    [mail] = smtp.wait_for(1)
    assert mail["To"] == ASSESSOR_1 and "gereset" in mail["Subject"]

    # Every session of the assessor ended: the old cookie gets the login page.
    assert assessor.get("/beoordeling/").headers["Location"].startswith("/inloggen")
    replay = app.test_client()
    replay.set_cookie("session", old_cookie)
    assert replay.get("/beoordeling/").headers["Location"].startswith("/inloggen")
    # The next login asks to set it up again.
    again = app.test_client()
    assert _password_step(again, ASSESSOR_1).headers["Location"] == SETUP


# --- optional for providers ------------------------------------------------------------------------

def test_a_provider_turns_the_second_factor_on_and_off_on_mijn_account(app):
    client = app.test_client()
    with time_machine.travel(NOW, tick=False):
        login(client, PROVIDER)
        account = client.get("/account").get_data(as_text=True)
        assert "Tweestapsverificatie" in account and "staat uit" in account
        overview = client.get("/account/tweestapsverificatie").get_data(as_text=True)
        assert "Tweestapsverificatie instellen" in overview
        secret, codes = _enrol(client)
        assert len(codes) == 10
        post(client, "/uitloggen", token_from="/account")
        assert _password_step(client, PROVIDER).headers["Location"] == CODE_PAGE
    with time_machine.travel(NOW + timedelta(seconds=60), tick=False):
        assert post(client, CODE_PAGE, {"code": _code(secret)}).status_code == 302
        overview = client.get("/account/tweestapsverificatie").get_data(as_text=True)
        assert "10 ongebruikte herstelcodes" in overview
        wrong = post(client, "/account/tweestapsverificatie/uitschakelen",
                     {"current_password": "niet-mijn-wachtwoord"},
                     token_from="/account/tweestapsverificatie")
        assert wrong.status_code == 422
        assert "Uw huidige wachtwoord klopt niet." in wrong.get_data(as_text=True)
        off = post(client, "/account/tweestapsverificatie/uitschakelen",
                   {"current_password": DEMO_PASSWORD}, token_from="/account/tweestapsverificatie")
        assert off.status_code == 302
        assert client.get("/aanbieder").status_code == 200  # this session goes on
        with app.app_context():
            assert not user(PROVIDER).has_second_factor
        assert "second_factor_disabled" in _actions(app, PROVIDER)
        post(client, "/uitloggen", token_from="/account")
        assert _password_step(client, PROVIDER).headers["Location"] == "/aanbieder"


def test_staff_cannot_turn_the_required_second_factor_off(app):
    client = app.test_client()
    login(client, ASSESSOR_1)
    overview = client.get("/account/tweestapsverificatie").get_data(as_text=True)
    assert "verplicht" in overview and "Uitschakelen" not in overview
    refused = post(client, "/account/tweestapsverificatie/uitschakelen",
                   {"current_password": DEMO_PASSWORD}, token_from="/account/tweestapsverificatie")
    assert refused.status_code == 422
    assert "tweestapsverificatie verplicht" in refused.get_data(as_text=True)
    with app.app_context():
        assert user(ASSESSOR_1).has_second_factor


def test_the_readme_documents_the_demo_staffs_secret(app):
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert DEMO_TOTP_SECRET in readme
    with app.app_context():
        for email in (ASSESSOR_1, "beoordelaar2@demo.nl", ADMIN):
            assert user(email).totp_secret == DEMO_TOTP_SECRET and user(email).has_second_factor
        assert not user(PROVIDER).has_second_factor


# --- the per-address limit of the second factor's pages ------------------------------------------

def test_the_second_factors_pages_are_limited_per_address(database_url, tmp_path, smtp):
    """Besides the account's own throttle, every POST to the code, recovery code and
    enrolment pages counts against the address (20 per 15 minutes each): the 21st gets a
    Dutch 429, another address is still answered."""
    from portal.extensions import limiter
    from tests.conftest import make_app

    app = make_app(database_url, tmp_path / "uploads", smtp, RATELIMIT_ENABLED=True)
    with app.app_context():
        limiter.reset()
    try:
        with time_machine.travel(NOW, tick=True):
            for page in (CODE_PAGE, "/inloggen/herstelcode"):
                client = app.test_client()
                client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
                # No pending login: each attempt is sent back to the password step, and counted.
                answers = [post(client, page, {"code": "000000"}, token_from="/inloggen").status_code
                           for _ in range(21)]
                assert answers[:20] == [302] * 20 and answers[20] == 429, (page, answers)
                assert "Te veel pogingen" in post(client, page, {"code": "000000"},
                                                   token_from="/inloggen").get_data(as_text=True)
                other = app.test_client()
                other.environ_base["REMOTE_ADDR"] = "198.51.100.8"
                assert post(other, page, {"code": "000000"}, token_from="/inloggen").status_code == 302
            # Enrolment (a provider may turn the second factor on): a wrong code is a 422 form
            # error, twenty times; the 21st is refused before it is checked.
            provider = app.test_client()
            provider.environ_base["REMOTE_ADDR"] = "198.51.100.9"
            login(provider, PROVIDER)
            setup = "/account/tweestapsverificatie/instellen"
            answers = [post(provider, setup, {"code": "000000"}, token_from=setup).status_code
                       for _ in range(21)]
            assert answers[:20] == [422] * 20 and answers[20] == 429, answers
    finally:
        with app.app_context():
            limiter.reset()

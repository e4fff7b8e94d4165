"""The password policy (ASVS 6.2): 12 to 128 characters, no composition rules, refused
when common or guessable (zxcvbn, score >= 3, given the user's name, e-mail address and
organisation) with a Dutch message that says why; a hash made with older argon2 parameters
is replaced at the next login."""
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from portal.accounts.passwords import ONLY_SPACES, TOO_LONG, TOO_SHORT, needs_rehash, weakness
from portal.extensions import db
from portal.models import AuditEvent, User
from tests.conftest import DEMO_PASSWORD, PROVIDER, login, post, user

COMMON = "veelgebruikte wachtwoorden"


@pytest.mark.parametrize("password, reason", [
    ("aaaaaaaaaaaa", "herhaalde tekens"),
    ("123456789012", COMMON),
    ("password1234", COMMON),
    ("qwertyuiop12", COMMON),
    ("wachtwoord12", COMMON),
    ("kort", TOO_SHORT),
    ("x" * 129, TOO_LONG),
    (" " * 14, ONLY_SPACES),
])
def test_weak_passwords_are_refused_with_the_reason_in_dutch(password, reason):
    assert reason in weakness(password)


def test_a_password_like_the_users_name_address_or_organisation_is_refused():
    inputs = ["Anna de Vries", "anna@delinde.nl", "Stichting Gezinshuis De Linde"]
    for password in ("AnnadeVries2027", "anna@delinde.nl1", "StichtingGezinshuisDeLinde"):
        assert "lijkt op uw naam, uw e-mailadres of de naam van uw organisatie" in \
            weakness(password, inputs), password


def test_strong_passwords_pass_without_composition_rules():
    for password in (DEMO_PASSWORD, "fiets-wolk-koffie-lantaarn", "x7#Rq!m2@Lz9",
                     "de kat zit op de verwarming", "é" * 3 + "-fjord-quinoa-87", "a" * 4 + "Zq8$kD!mW2pL",
                     "y" * 0 + "Lorem ipsum dolor sit amet, consectetur " * 3):
        assert weakness(password[:128]) is None, password
    longest = ("De oude vuurtorenwachter telde elke avond de schepen langs de kust en schreef hun "
               "namen in een blauw schrift met een groene vulpen")[:128]
    assert len(longest) == 128 and weakness(longest) is None
    assert "herhaalde tekens" in weakness("z9Kq" * 32)
    assert "herhaalde tekens" in weakness("a" * 100)  # zxcvbn judges the first 72


def _change(client, new, repeat=None):
    return post(client, "/account/wachtwoord", {
        "current_password": DEMO_PASSWORD, "password": new,
        "password_repeat": new if repeat is None else repeat})


@pytest.mark.parametrize("password, message", [
    ("x" * 129, "Een wachtwoord mag hoogstens 128 tekens hebben."),
    (" " * 16, "Een wachtwoord mag niet alleen uit spaties bestaan."),
    ("aaaaaaaaaaaa", "herhaalde tekens"),
    ("123456789012", COMMON),
    ("password1234", COMMON),
    ("AnnadeVries1980", "lijkt op uw naam"),
    ("", "Kies een wachtwoord van minstens 12 tekens."),
])
def test_changing_to_a_bad_password_says_why_and_changes_nothing(app, password, message):
    client = app.test_client()
    login(client, PROVIDER)
    with app.app_context():
        before = user(PROVIDER).password_hash
    response = _change(client, password)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html and 'href="#password"' in html
    assert password.strip() == "" or password not in html  # never echoed
    with app.app_context():
        assert user(PROVIDER).password_hash == before
    assert client.get("/account").status_code == 200


def test_registration_and_reset_apply_the_policy(app, client, smtp):
    from tests.test_accounts import VALID

    weak = {**VALID, "password": "password1234", "password_repeat": "password1234"}
    response = post(client, "/registreren", weak)
    assert COMMON in response.get_data(as_text=True)
    named = {**VALID, "password": "PietZuid-2027", "password_repeat": "PietZuid-2027"}
    assert "lijkt op uw naam" in post(client, "/registreren", named).get_data(as_text=True)
    with app.app_context():
        assert user("piet@pz.example") is None

    import re

    post(client, "/wachtwoord-vergeten", {"email": PROVIDER})
    body = smtp.wait_for(1)[-1].get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"http://localhost(/wachtwoord-herstellen/\S+)", body).group(1)
    refused = post(client, link, {"password": "123456789012", "password_repeat": "123456789012"})
    assert refused.status_code == 422 and COMMON in refused.get_data(as_text=True)
    too_long = post(client, link, {"password": "y" * 129, "password_repeat": "y" * 129})
    assert "hoogstens 128 tekens" in too_long.get_data(as_text=True)
    good = "fiets-wolk-koffie-lantaarn"
    assert post(client, link, {"password": good, "password_repeat": good}).status_code == 302
    assert post(app.test_client(), "/inloggen", {"email": PROVIDER, "password": good}).status_code == 302


def test_a_hash_with_older_argon2_parameters_is_replaced_at_login(app):
    old_hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    with app.app_context():
        account = user(PROVIDER)
        account.password_hash = old_hasher.hash(DEMO_PASSWORD)
        db.session.commit()
        old = account.password_hash
        assert needs_rehash(old)
    login(app.test_client(), PROVIDER)
    with app.app_context():
        account = db.session.scalar(select(User).where(User.email == PROVIDER))
        assert account.password_hash != old and not needs_rehash(account.password_hash)
        assert db.session.scalar(select(AuditEvent.action).where(
            AuditEvent.action == "password_rehashed", AuditEvent.object_id == account.id))
    login(app.test_client(), PROVIDER)  # the new hash verifies the same password


def test_the_command_line_refuses_a_weak_password_too(app):
    result = app.test_cli_runner().invoke(args=[
        "users", "create", "--role", "admin", "--email", "beheer2@regio.example",
        "--password", "password1234"])
    assert result.exit_code != 0 and COMMON in result.output
    with app.app_context():
        assert user("beheer2@regio.example") is None

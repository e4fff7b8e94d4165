"""Account operations: registration, confirmation, staff accounts."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select

from .. import audit, notifications
from ..errors import DomainError
from ..extensions import db
from ..timeutil import utcnow
from ..urls import portal_url
from ..validators import normalise_digits, normalise_postcode
from .models import Organisation, OrgRole, Role, User
from .passwords import hash_password, verify_password
from .tokens import TokenError, make_token, read_token

CONFIRM = "confirm-email"


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def register_provider(*, org_name, kvk_number, street, postal_code, city, contact_email,
                      website, full_name, email, password) -> User:
    """Create an organisation with its first user (beheerder) and queue the confirmation."""
    kvk = normalise_digits(kvk_number)
    email = normalise_email(email)
    if db.session.scalar(select(func.count()).where(Organisation.kvk_number == kvk)):
        raise DomainError(
            "Er bestaat al een organisatie met dit KvK-nummer. Vraag de beheerder van die "
            "organisatie u uit te nodigen, of neem contact op met de regio."
        )
    if find_user_by_email(email):
        raise DomainError("Er bestaat al een account met dit e-mailadres. Log in of herstel uw wachtwoord.")
    org = Organisation(
        name=org_name.strip(),
        kvk_number=kvk,
        street=street.strip(),
        postal_code=normalise_postcode(postal_code),
        city=city.strip(),
        contact_email=normalise_email(contact_email),
        website=(website or "").strip() or None,
    )
    user = User(
        email=email,
        full_name=full_name.strip(),
        password_hash=hash_password(password),
        role=Role.PROVIDER,
        organisation=org,
        org_role=OrgRole.BEHEERDER,
    )
    db.session.add_all([org, user])
    db.session.flush()
    audit.record("registered", org, actor=user, detail=f"kvk={kvk}")
    queue_confirmation(user)
    return user


def confirmation_token(user: User) -> str:
    return make_token(CONFIRM, {"uid": user.id, "email": user.email})


def queue_confirmation(user: User) -> None:
    link = portal_url("accounts.confirm", token=confirmation_token(user))
    hours = current_app.config["CONFIRM_TOKEN_MAX_AGE"] // 3600
    notifications.queue(
        "confirm_email",
        user.email,
        subject="Bevestig uw e-mailadres voor het portaal Wonen met begeleiding",
        organisation=user.organisation,
        user=user,
        link=link,
        hours=hours,
        name=user.full_name,
    )


def confirm_email(token: str) -> User:
    """Confirm the address a token was made for. Raises DomainError with a clear message."""
    try:
        data = read_token(CONFIRM, token, current_app.config["CONFIRM_TOKEN_MAX_AGE"])
    except TokenError as exc:
        if exc.expired:
            raise DomainError(
                "Deze bevestigingslink is verlopen. Vraag hieronder een nieuwe link aan."
            ) from exc
        raise DomainError("Deze bevestigingslink is ongeldig. Vraag hieronder een nieuwe link aan.") from exc
    user = db.session.get(User, data.get("uid"))
    if user is None or user.email != data.get("email"):
        raise DomainError("Deze bevestigingslink hoort niet (meer) bij een account.")
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        audit.record("email_confirmed", user, actor=user)
    return user


def authenticate(email: str, password: str) -> User | None:
    user = find_user_by_email(email)
    if not verify_password(user.password_hash if user else None, password):
        return None
    return user


def create_staff_user(*, email: str, full_name: str, role: Role, password: str) -> User:
    if role == Role.PROVIDER:
        raise DomainError("Aanbieders registreren zich zelf via het portaal.")
    email = normalise_email(email)
    if find_user_by_email(email):
        raise DomainError(f"Er bestaat al een account met e-mailadres {email}.")
    user = User(
        email=email,
        full_name=full_name,
        role=role,
        password_hash=hash_password(password),
        email_confirmed_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    audit.record("staff_created", user, detail=f"role={role.value}")
    return user

"""Account operations: registration, confirmation, staff accounts, the users of an
organisation (invitations, roles, removal), the organisation's details, and each user's
own password and e-mail address (change, reset)."""
from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from .. import audit, notifications
from ..auth import require_beheerder
from ..errors import DomainError, NotPermitted, StaleForm
from ..extensions import db
from ..i18n import gettext as _
from ..timeutil import utcnow
from ..urls import portal_url
from ..validators import normalise_digits, normalise_postcode
from . import mfa, security
from .models import Invitation, Organisation, OrgRole, Role, User
from .passwords import hash_password, needs_rehash, verify_password, weakness
from .tokens import TokenError, make_token, read_token

CONFIRM = "confirm-email"


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def check_new_password(password: str, *user_inputs: str | None) -> None:
    """Refuse a password that is too short, too long or easy to guess (ASVS 6.2), given
    the user's name, e-mail address and organisation; the Dutch message says why."""
    problem = weakness(password, list(user_inputs))
    if problem:
        raise FieldError("password", problem)


def _user_inputs(user: User) -> tuple[str | None, ...]:
    org = user.organisation
    return (user.full_name, user.email, org.name if org else None,
            org.contact_email if org else None, user.affiliation)


def register_provider(*, org_name, kvk_number, street, postal_code, city, contact_email,
                      website, full_name, email, password) -> User | None:
    """Create an organisation with its first user (beheerder) and queue the confirmation.

    An address that already has an account gets a mail instead, and the caller answers as
    for a new account ("check your mail"): the page never tells which addresses exist.
    Returns None then."""
    kvk = normalise_digits(kvk_number)
    email = normalise_email(email)
    if db.session.scalar(select(func.count()).where(Organisation.kvk_number == kvk)):
        raise DomainError(
            _("Er bestaat al een organisatie met dit KvK-nummer. Vraag de beheerder van die "
              "organisatie u uit te nodigen, of neem contact op met de regio.")
        )
    check_new_password(password, full_name, email, org_name, contact_email)
    password_hash = hash_password(password)  # also for a known address: the same time
    existing = find_user_by_email(email)
    if existing is not None:
        notifications.queue(
            "account_exists", existing.email,
            subject="Iemand wilde een account aanmaken met uw e-mailadres",
            organisation=existing.organisation, user=existing, name=existing.full_name,
            login_link=portal_url("accounts.login"),
            reset_link=portal_url("accounts.forgot_password"))
        audit.record("registration_with_known_address", existing, actor=None)
        return None
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
        password_hash=password_hash,
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
                _("Deze bevestigingslink is verlopen. Vraag hieronder een nieuwe link aan.")
            ) from exc
        raise DomainError(
            _("Deze bevestigingslink is ongeldig. Vraag hieronder een nieuwe link aan.")
        ) from exc
    user = db.session.get(User, data.get("uid"))
    if user is None or user.email != data.get("email"):
        raise DomainError(_("Deze bevestigingslink hoort niet (meer) bij een account."))
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        audit.record("email_confirmed", user, actor=user)
    return user


def authenticate(email: str, password: str) -> User | None:
    user = find_user_by_email(email)
    if not verify_password(user.password_hash if user else None, password):
        return None
    return user


def password_login(email: str, password: str) -> User | None:
    """The login's first step: the user when the password is right (the caller commits
    also when it is not: the failure counts). ``security.Throttled`` when the address had
    too many failures; it is refused without trying, whether it has an account or not.
    A hash made with older argon2 parameters is replaced."""
    email = normalise_email(email)
    security.check(security.LOGIN, email)
    user = authenticate(email, password)
    if user is None or not user.is_active_account:
        count = security.record_failure(security.LOGIN, email)
        known = find_user_by_email(email)
        if known is not None:
            audit.record("login_failed", known, actor=None,
                         detail=f"reason={'password' if user is None else 'deactivated'} "
                                f"failures={count}")
        return None
    security.clear(security.LOGIN, email)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        audit.record("password_rehashed", user, actor=user)
    return user


def logged_in(user: User, *, method: str) -> None:
    """A login completed (``method``: password, app or recovery)."""
    user.last_login_at = utcnow()
    audit.record("login", user, actor=user, detail=mfa.METHOD_WORDS.get(method, method))


def logout(user: User) -> None:
    """End every session of ``user`` (this browser's and any copied cookie)."""
    user.session_version += 1
    audit.record("logout", user, actor=user)


# --------------------------------------------------------------------------- organisation

INVITE = "invite"
INVITE_MAX_AGE = 7 * 24 * 3600  # an invitation link is valid for 7 days
RESET = "reset-password"
RESET_MAX_AGE = 3600  # a password reset link is valid for 1 hour
CHANGE_EMAIL = "change-email"


class FieldError(DomainError):
    """A rule refused the value of one form field (``field`` names it)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _lock_organisation(organisation: Organisation) -> None:
    """Serialise changes to an organisation's users (PostgreSQL; SQLite has one writer)."""
    db.session.execute(
        select(Organisation.id).where(Organisation.id == organisation.id).with_for_update()
    )


def _active_beheerders(organisation: Organisation) -> int:
    return db.session.scalar(
        select(func.count()).select_from(User).where(
            User.organisation_id == organisation.id,
            User.role == Role.PROVIDER,
            User.org_role == OrgRole.BEHEERDER,
            User.is_active_account.is_(True),
        )
    )


def _require_colleague(member: User, organisation: Organisation) -> None:
    if member.organisation_id != organisation.id or member.role != Role.PROVIDER:
        raise NotPermitted(_("Deze gebruiker hoort niet bij uw organisatie."))


def _last_beheerder_message(member: User, by: User, own: str) -> str:
    """``own``: the message when ``member`` is ``by`` (the last beheerder acting on itself)."""
    if member.id == by.id:
        return own
    return _("%(name)s is de enige beheerder van uw organisatie.", name=member.full_name)


def invitation_expires_at(invitation: Invitation):
    return invitation.created_at + timedelta(seconds=INVITE_MAX_AGE)


def open_invitations(organisation: Organisation) -> list[Invitation]:
    """Invitations that can still be accepted (not accepted, revoked or expired)."""
    cutoff = utcnow() - timedelta(seconds=INVITE_MAX_AGE)
    return db.session.scalars(
        select(Invitation)
        .where(
            Invitation.organisation_id == organisation.id,
            Invitation.created_at > cutoff,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .options(joinedload(Invitation.invited_by))
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    ).all()


def _account_exists_message(existing: User, organisation: Organisation) -> str:
    if existing.organisation_id == organisation.id:
        if not existing.is_active_account:
            return _("Dit e-mailadres hoort bij een verwijderde gebruiker van uw organisatie. "
                     "Neem contact op met de regio om dit account weer te activeren.")
        return _("Dit e-mailadres hoort al bij een gebruiker van uw organisatie.")
    return _("Er bestaat al een account met dit e-mailadres, bij een andere organisatie of bij "
             "de regio. Dit adres kunt u niet uitnodigen.")


def invite_colleague(organisation: Organisation, *, email: str, org_role: OrgRole,
                     by: User) -> Invitation:
    """Invite a colleague to the organisation and queue the mail with the signed link."""
    require_beheerder(by, organisation.id)
    email = normalise_email(email)
    org_role = OrgRole(org_role)
    existing = find_user_by_email(email)
    if existing is not None:
        raise FieldError("email", _account_exists_message(existing, organisation))
    if any(inv.email == email for inv in open_invitations(organisation)):
        raise FieldError("email", _("Dit e-mailadres heeft al een openstaande uitnodiging voor uw "
                                    "organisatie. Trek die eerst in als u een nieuwe wilt sturen."))
    invitation = Invitation(
        organisation_id=organisation.id,
        email=email,
        org_role=org_role,
        nonce=secrets.token_hex(16),
        invited_by_id=by.id,
        created_at=utcnow(),
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record("invited", invitation, actor=by, detail=f"email={email} role={org_role.value}")
    notifications.queue(
        "invitation",
        email,
        subject=f"Uitnodiging voor het portaal Wonen met begeleiding van {organisation.name}",
        organisation=organisation,
        link=portal_url("accounts.accept_invitation", token=invitation_token(invitation)),
        days=INVITE_MAX_AGE // (24 * 3600),
        organisation_name=organisation.name,
        inviter=by.full_name,
        role=org_role.value,
    )
    return invitation


def invitation_token(invitation: Invitation) -> str:
    return make_token(INVITE, {"iid": invitation.id, "nonce": invitation.nonce})


def _read_invitation_token(token: str) -> dict:
    try:
        data = read_token(INVITE, token, INVITE_MAX_AGE)
    except TokenError as exc:
        if exc.expired:
            raise DomainError(
                _("Deze uitnodiging is verlopen. Vraag de beheerder van uw organisatie om een "
                  "nieuwe uitnodiging.")
            ) from exc
        raise DomainError(
            _("Deze uitnodigingslink is ongeldig. Controleer of u de hele link uit de e-mail "
              "heeft gebruikt.")
        ) from exc
    if not isinstance(data, dict) or "iid" not in data or "nonce" not in data:
        raise DomainError(_("Deze uitnodigingslink is ongeldig."))
    return data


def _check_invitation(invitation: Invitation | None, nonce: str) -> Invitation:
    if invitation is None or invitation.nonce != nonce:
        raise DomainError(_("Deze uitnodiging bestaat niet (meer)."))
    if invitation.revoked_at is not None:
        raise DomainError(_("Deze uitnodiging is ingetrokken door de beheerder van de organisatie."))
    if invitation.accepted_at is not None:
        raise DomainError(
            _("Deze uitnodiging is al gebruikt: het account is aangemaakt. Log in met uw "
              "e-mailadres en wachtwoord.")
        )
    existing = find_user_by_email(invitation.email)
    if existing is not None:
        raise DomainError(
            _("Er bestaat al een account met dit e-mailadres. Log in met dat account, of vraag "
              "de beheerder van uw organisatie om hulp.")
        )
    return invitation


def load_invitation(token: str) -> Invitation:
    """The invitation a link is for, if it can still be accepted; else a clear DomainError."""
    data = _read_invitation_token(token)
    return _check_invitation(db.session.get(Invitation, data["iid"]), data["nonce"])


def accept_invitation(token: str, *, full_name: str, password: str) -> User:
    """Create the invited user's account (confirmed: the link proves the address). Once only."""
    data = _read_invitation_token(token)
    pending = db.session.get(Invitation, data["iid"])
    check_new_password(password, full_name, pending.email if pending else None,
                       pending.organisation.name if pending else None)
    password_hash = hash_password(password)  # before the claim: keep the write lock short
    # Claim the invitation first: of two clicks, only one updates the row.
    claimed = db.session.execute(
        update(Invitation)
        .where(
            Invitation.id == data["iid"],
            Invitation.nonce == data["nonce"],
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(accepted_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    invitation = db.session.get(Invitation, data["iid"])
    if claimed != 1:
        if invitation is not None:
            db.session.refresh(invitation)
        _check_invitation(invitation, data["nonce"])
        raise DomainError(_("Deze uitnodiging is al gebruikt."))  # pragma: no cover - raced
    db.session.refresh(invitation)
    if find_user_by_email(invitation.email) is not None:
        raise DomainError(
            _("Er bestaat al een account met dit e-mailadres. Log in met dat account, of vraag "
              "de beheerder van uw organisatie om hulp.")
        )
    now = utcnow()
    user = User(
        email=invitation.email,
        full_name=full_name.strip(),
        password_hash=password_hash,
        role=Role.PROVIDER,
        organisation_id=invitation.organisation_id,
        org_role=invitation.org_role,
        email_confirmed_at=now,
    )
    db.session.add(user)
    db.session.flush()
    audit.record("invitation_accepted", invitation, actor=user,
                 detail=f"user={user.id} role={invitation.org_role.value}")
    audit.record("user_created", user, actor=user,
                 detail=f"invitation={invitation.id} role={invitation.org_role.value}")
    return user


def revoke_invitation(invitation: Invitation, *, by: User) -> None:
    require_beheerder(by, invitation.organisation_id)
    if not invitation.is_open:
        raise DomainError(_("Deze uitnodiging is al geaccepteerd of ingetrokken."))
    invitation.revoked_at = utcnow()
    audit.record("invitation_revoked", invitation, actor=by, detail=f"email={invitation.email}")


def change_org_role(member: User, org_role: OrgRole, *, by: User) -> None:
    organisation = member.organisation
    require_beheerder(by, organisation.id)
    _require_colleague(member, organisation)
    org_role = OrgRole(org_role)
    if not member.is_active_account:
        raise DomainError(_("Deze gebruiker is verwijderd; de rol kan niet meer worden gewijzigd."))
    if member.org_role == org_role:
        return
    _lock_organisation(organisation)
    if member.org_role == OrgRole.BEHEERDER and _active_beheerders(organisation) <= 1:
        raise DomainError(_last_beheerder_message(member, by, _(
            "U bent de enige beheerder van uw organisatie. Maak eerst een collega beheerder "
            "voordat u uzelf medewerker maakt.")))
    old = member.org_role
    member.org_role = org_role
    audit.record("org_role_changed", member, actor=by, from_state=old, to_state=org_role)


def deactivate_member(member: User, *, by: User) -> None:
    """Remove a colleague: the account stays (and its history), but can no longer log in."""
    organisation = member.organisation
    require_beheerder(by, organisation.id)
    _require_colleague(member, organisation)
    if not member.is_active_account:
        raise DomainError(_("Deze gebruiker is al verwijderd."))
    _lock_organisation(organisation)
    if member.org_role == OrgRole.BEHEERDER and _active_beheerders(organisation) <= 1:
        raise DomainError(_last_beheerder_message(member, by, _(
            "U bent de enige beheerder van uw organisatie. Maak eerst een collega beheerder "
            "voordat u uzelf verwijdert.")))
    member.is_active_account = False
    member.session_version += 1  # every session of the member ends now
    audit.record("user_deactivated", member, actor=by, detail=f"organisation={organisation.id}")


def set_agb_code(organisation: Organisation, code: str, *, by: User | None, reason: str) -> None:
    """The organisation's AGB code becomes ``code`` (the one it was admitted on, say),
    audited with the reason; nothing happens when it is the same."""
    if code and code != organisation.agb_code:
        audit.record("organisation_updated", organisation, actor=by,
                     detail=f"agb_code: {organisation.agb_code or '(leeg)'} -> {code} ({reason})")
        organisation.agb_code = code


def update_organisation(organisation: Organisation, *, by: User, name: str, kvk_number: str,
                        agb_code: str | None, street: str, postal_code: str, city: str,
                        contact_email: str, website: str | None,
                        expected_version: int | None = None) -> list[str]:
    """Change the organisation's details. Returns the names of the changed fields.
    ``expected_version``: the row version the form was built on (a save made in between
    refuses this one)."""
    from ..applications.models import Application

    require_beheerder(by, organisation.id)
    if expected_version is not None and expected_version != organisation.row_version:
        raise StaleForm()
    kvk = normalise_digits(kvk_number)
    if kvk != organisation.kvk_number:
        submitted = db.session.scalar(
            select(Application.id).where(
                Application.organisation_id == organisation.id,
                Application.submitted_at.is_not(None),
            ).limit(1)
        )
        if submitted is not None:
            raise FieldError(
                "kvk_number",
                _("Het KvK-nummer kan niet meer worden gewijzigd, omdat uw organisatie al een "
                  "aanmelding heeft ingediend. Neem contact op met de regio als het nummer niet "
                  "klopt."),
            )
        if db.session.scalar(select(func.count()).select_from(Organisation).where(
                Organisation.kvk_number == kvk, Organisation.id != organisation.id)):
            raise FieldError("kvk_number", _("Er bestaat al een organisatie met dit KvK-nummer."))
    values = {
        "name": name.strip(),
        "kvk_number": kvk,
        "agb_code": normalise_digits(agb_code) or None,
        "street": street.strip(),
        "postal_code": normalise_postcode(postal_code),
        "city": city.strip(),
        "contact_email": normalise_email(contact_email),
        "website": (website or "").strip() or None,
    }
    changed = [key for key, value in values.items() if getattr(organisation, key) != value]
    for key in changed:
        setattr(organisation, key, values[key])
    if changed:
        detail = ", ".join(changed)
        if "kvk_number" in changed:
            detail += f"; kvk={kvk}"
        audit.record("organisation_updated", organisation, actor=by, detail=detail)
    return changed


# --------------------------------------------------------------------------- own account

def _notify_password_changed(user: User) -> None:
    notifications.queue(
        "password_changed",
        user.email,
        subject="Uw wachtwoord voor het portaal Wonen met begeleiding is gewijzigd",
        organisation=user.organisation,
        user=user,
        name=user.full_name,
        reset_link=portal_url("accounts.forgot_password"),
    )


def change_password(user: User, *, current_password: str, new_password: str) -> None:
    if not verify_password(user.password_hash, current_password):
        raise FieldError("current_password", _("Uw huidige wachtwoord klopt niet."))
    check_new_password(new_password, *_user_inputs(user))
    user.password_hash = hash_password(new_password)
    user.session_version += 1  # every other session ends (the view keeps this one)
    audit.record("password_changed", user, actor=user)
    _notify_password_changed(user)


def request_email_change(user: User, *, current_password: str, new_email: str) -> str:
    """Mail a confirmation link to the new address; the address changes when it is opened."""
    if not verify_password(user.password_hash, current_password):
        raise FieldError("current_password", _("Uw huidige wachtwoord klopt niet."))
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise FieldError("email", _("Dit is al uw e-mailadres."))
    if find_user_by_email(new_email) is not None:
        raise FieldError("email", _("Er bestaat al een account met dit e-mailadres."))
    token = make_token(CHANGE_EMAIL, {"uid": user.id, "new": new_email, "old": user.email})
    notifications.queue(
        "confirm_email_change",
        new_email,
        subject="Bevestig uw nieuwe e-mailadres voor het portaal Wonen met begeleiding",
        organisation=user.organisation,
        user=user,
        name=user.full_name,
        link=portal_url("accounts.confirm_email_change", token=token),
        hours=current_app.config["CONFIRM_TOKEN_MAX_AGE"] // 3600,
    )
    audit.record("email_change_requested", user, actor=user, detail=f"new={new_email}")
    return new_email


def _read_email_change(token: str) -> tuple[User, str]:
    try:
        data = read_token(CHANGE_EMAIL, token, current_app.config["CONFIRM_TOKEN_MAX_AGE"])
    except TokenError as exc:
        if exc.expired:
            raise DomainError(
                _("Deze link is verlopen. Vraag de wijziging van uw e-mailadres opnieuw aan.")
            ) from exc
        raise DomainError(_("Deze link is ongeldig. Controleer of u de hele link uit de e-mail "
                            "heeft gebruikt.")) from exc
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or not user.is_active_account or user.email != data.get("old"):
        raise DomainError(_("Deze link is al gebruikt, of hoort niet (meer) bij een account."))
    new_email = normalise_email(data.get("new"))
    if find_user_by_email(new_email) is not None:
        raise DomainError(_("Er bestaat inmiddels al een account met dit e-mailadres. Uw "
                            "e-mailadres is niet gewijzigd."))
    return user, new_email


def check_email_change(token: str) -> tuple[User, str]:
    """The user and new address a link is for, if it can still be used."""
    return _read_email_change(token)


def confirm_email_change(token: str) -> User:
    user, new_email = _read_email_change(token)
    old_email = user.email
    user.email = new_email
    user.email_confirmed_at = utcnow()
    audit.record("email_changed", user, actor=user, detail=f"old={old_email} new={new_email}")
    notifications.queue(
        "email_changed",
        old_email,
        subject="Uw e-mailadres voor het portaal Wonen met begeleiding is gewijzigd",
        organisation=user.organisation,
        user=user,
        name=user.full_name,
        new_email=new_email,
    )
    return user


# --------------------------------------------------------------------------- password reset

def _password_fingerprint(user: User) -> str:
    # The end of the argon2 hash: changes with every new password, so a used link dies.
    return user.password_hash[-12:]


def request_password_reset(email: str) -> None:
    """Mail a reset link if an active account has this address; otherwise do nothing.
    Every request counts for the address (``security.RESET``), whether it has an account
    or not; too many wait."""
    email = normalise_email(email)
    security.check(security.RESET, email)
    security.record_failure(security.RESET, email)
    user = find_user_by_email(email)
    if user is None or not user.is_active_account:
        return
    token = make_token(RESET, {"uid": user.id, "email": user.email,
                               "fp": _password_fingerprint(user)})
    notifications.queue(
        "password_reset",
        user.email,
        subject="Nieuw wachtwoord kiezen voor het portaal Wonen met begeleiding",
        organisation=user.organisation,
        user=user,
        name=user.full_name,
        link=portal_url("accounts.reset_password", token=token),
        minutes=RESET_MAX_AGE // 60,
    )
    audit.record("password_reset_requested", user, actor=user)


def check_reset_token(token: str) -> User:
    """The user a reset link is for, if it can still be used; else a clear DomainError."""
    try:
        data = read_token(RESET, token, RESET_MAX_AGE)
    except TokenError as exc:
        if exc.expired:
            raise DomainError(_("Deze link om uw wachtwoord te herstellen is verlopen. Vraag "
                                "hieronder een nieuwe link aan.")) from exc
        raise DomainError(_("Deze link om uw wachtwoord te herstellen is ongeldig. Vraag hieronder "
                            "een nieuwe link aan.")) from exc
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if (user is None or not user.is_active_account or user.email != data.get("email")
            or _password_fingerprint(user) != data.get("fp")):
        raise DomainError(_("Deze link is al gebruikt of niet meer geldig. Vraag hieronder een "
                            "nieuwe link aan."))
    return user


def reset_password(token: str, *, new_password: str) -> User:
    user = check_reset_token(token)
    check_new_password(new_password, *_user_inputs(user))
    user.password_hash = hash_password(new_password)
    user.session_version += 1  # every session ends: whoever knew the old password is out
    security.clear(security.LOGIN, user.email)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()  # the link reached the address
    audit.record("password_reset", user, actor=user)
    _notify_password_changed(user)
    return user


def members(organisation: Organisation) -> list[User]:
    """The organisation's users: active ones first, then removed ones, by name."""
    return db.session.scalars(
        select(User)
        .where(User.organisation_id == organisation.id, User.role == Role.PROVIDER)
        .order_by(User.is_active_account.desc(), User.full_name, User.id)
    ).all()

"""Accounts managed by the region's administrators: its staff (assessors and
administrators) and referrers (verwijzers of sociale wijkteams and municipalities, who see
current capacity only): create with an invitation to set a password, resend the
invitation, deactivate and reactivate.

A new staff user gets an unusable random password hash; the invitation link carries a
fingerprint of that hash, so the link works once (setting the password changes the hash)
and a resent invitation makes the earlier link useless. The link is valid for 7 days.
"""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from .. import audit, notifications
from ..accounts.models import Role, User
from ..accounts.passwords import hash_password
from ..accounts.tokens import TokenError, make_token, read_token
from ..accounts.workflow import FieldError, check_new_password, find_user_by_email, normalise_email
from ..applications.models import OPEN_STATES, Application
from ..auth import require_role
from ..errors import DomainError, NotPermitted
from ..extensions import db
from ..i18n import gettext as _
from ..timeutil import utcnow
from ..urls import portal_url

PURPOSE = "staff-set-password"
INVITE_MAX_AGE = 7 * 24 * 3600  # the link is valid for 7 days
STAFF_ROLES = (Role.ASSESSOR, Role.ADMIN)
# The accounts an administrator creates and manages here: the region's staff and referrers.
MANAGED_ROLES = (*STAFF_ROLES, Role.REFERRER)
AFFILIATION_MAX = 200


def _require_admin(by: User) -> None:
    require_role(by, "admin", _("Alleen een contractbeheerder kan accounts van medewerkers beheren."))


def _require_staff(user: User) -> None:
    if user.role not in MANAGED_ROLES:
        raise NotPermitted(_("Dit is geen account van een medewerker van de regio."))


def _unusable_password() -> str:
    return hash_password(secrets.token_urlsafe(32))


def _fingerprint(user: User) -> str:
    """Changes with every new password hash, and tells nothing about the hash itself."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:24]


def invitation_pending(user: User) -> bool:
    """The staff user has not chosen a password yet (the link confirms the address)."""
    return user.role in MANAGED_ROLES and user.email_confirmed_at is None


def set_password_token(user: User) -> str:
    return make_token(PURPOSE, {"uid": user.id, "email": user.email, "fp": _fingerprint(user)})


def _queue_invitation(user: User, by: User) -> None:
    days = INVITE_MAX_AGE // (24 * 3600)
    notifications.queue(
        "staff_invitation", user.email,
        subject="Uw account voor het portaal Wonen met begeleiding",
        user=user,
        name=user.full_name, email=user.email, role=user.role.label, inviter=by.full_name,
        link=portal_url("admin_staff.set_password", token=set_password_token(user)), days=days,
    )


def create_staff(*, full_name: str, email: str, role: Role | str, by: User | None,
                 affiliation: str | None = None, password: str | None = None) -> User:
    """Create an assessor, administrator or referrer (with the sociaal wijkteam or
    municipality it works for) and mail the invitation to set a password.

    The one way a staff account is made. ``by`` is the administrator; ``by=None`` with a
    ``password`` is the server's operator on the command line (``flask users create``):
    the same checks, and the account gets that password instead of an invitation."""
    if by is not None or password is None:
        _require_admin(by)
    if password is not None:
        check_new_password(password, full_name, email, affiliation)
    try:
        role = Role(role)
    except ValueError:
        role = None
    if role not in MANAGED_ROLES:
        raise FieldError("role", _("Kies de rol: beoordelaar, contractbeheerder of verwijzer."))
    full_name = " ".join((full_name or "").split())
    if not full_name:
        raise FieldError("full_name", _("Vul de naam in."))
    affiliation = " ".join((affiliation or "").split()) or None
    if role == Role.REFERRER and affiliation is None:
        raise FieldError("affiliation", _("Vul bij een verwijzer het sociaal wijkteam of de "
                                          "gemeente in waarvoor die werkt."))
    if affiliation is not None and len(affiliation) > AFFILIATION_MAX:
        raise FieldError("affiliation", _("Maximaal %(max)s tekens.", max=AFFILIATION_MAX))
    if role != Role.REFERRER:
        affiliation = None  # only a referrer works for another organisation
    email = normalise_email(email)
    existing = find_user_by_email(email)
    if existing is not None:
        if existing.role in MANAGED_ROLES and existing.is_active_account:
            message = _("Er bestaat al een account van een medewerker met dit e-mailadres.")
        elif existing.role in MANAGED_ROLES:
            message = _("Er bestaat al een account van een medewerker met dit e-mailadres. Het is "
                        "gedeactiveerd; heractiveer het op de pagina van dat account.")
        else:
            message = _("Dit e-mailadres hoort bij een account van een aanbieder.")
        raise FieldError("email", message)
    user = User(email=email, full_name=full_name, role=role, affiliation=affiliation,
                password_hash=hash_password(password) if password else _unusable_password(),
                email_confirmed_at=utcnow() if password else None, is_active_account=True)
    db.session.add(user)
    db.session.flush()
    audit.record("staff_created", user, actor=by,
                 detail=f"email={email} role={role.value}"
                        + (f" affiliation={affiliation}" if affiliation else "")
                        + (" via=command-line" if by is None else ""))
    if password is None:
        _queue_invitation(user, by)
    return user


def create_staff_user(*, email: str, full_name: str, role: Role | str, password: str,
                      affiliation: str | None = None) -> User:
    """The command line's entry to ``create_staff``: a password, no invitation."""
    return create_staff(full_name=full_name, email=email, role=role, by=None,
                        affiliation=affiliation, password=password)


def resend_invitation(user: User, *, by: User) -> None:
    """A new link for a staff user who has not chosen a password yet; earlier links die."""
    _require_admin(by)
    _require_staff(user)
    if not user.is_active_account:
        raise DomainError(_("Dit account is gedeactiveerd. Heractiveer het eerst."))
    if not invitation_pending(user):
        raise DomainError(_("%(name)s heeft al een wachtwoord gekozen. Is het vergeten, dan "
                            "kan die zelf een nieuw wachtwoord aanvragen op de inlogpagina.",
                            name=user.full_name))
    user.password_hash = _unusable_password()
    audit.record("staff_invitation_resent", user, actor=by, detail=f"email={user.email}")
    _queue_invitation(user, by)


def check_set_password_token(token: str) -> User:
    """The staff user a link is for, if it can still be used; else a clear DomainError."""
    try:
        data = read_token(PURPOSE, token, INVITE_MAX_AGE)
    except TokenError as exc:
        if exc.expired:
            raise DomainError(_("Deze link is verlopen: hij was 7 dagen geldig. Vraag een "
                                "contractbeheerder om een nieuwe uitnodiging.")) from exc
        raise DomainError(_("Deze link is ongeldig. Controleer of u de hele link uit de e-mail "
                            "heeft gebruikt.")) from exc
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or user.role not in MANAGED_ROLES or user.email != data.get("email"):
        raise DomainError(_("Deze link hoort niet (meer) bij een account."))
    if not user.is_active_account:
        raise DomainError(_("Dit account is gedeactiveerd. Neem contact op met een "
                            "contractbeheerder."))
    if _fingerprint(user) != data.get("fp"):
        raise DomainError(_("Deze link is al gebruikt of vervangen door een nieuwere uitnodiging. "
                            "Heeft u al een wachtwoord gekozen? Log dan in."))
    return user


def set_password(token: str, *, password: str) -> User:
    """Set the password from the invitation link (once); the link proves the address."""
    user = check_set_password_token(token)
    check_new_password(password or "", user.full_name, user.email, user.affiliation)
    user.password_hash = hash_password(password)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    audit.record("staff_password_set", user, actor=user)
    return user


def open_assignments(user: User) -> list[Application]:
    """Applications assigned to ``user`` that are still open, oldest deadline first."""
    return db.session.scalars(
        select(Application)
        .where(Application.assessor_id == user.id, Application.status.in_(OPEN_STATES))
        .options(joinedload(Application.organisation))
        .order_by(Application.decision_due, Application.id)
    ).all()


def open_assignment_counts(user_ids: list[int]) -> dict[int, int]:
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(Application.assessor_id, func.count())
        .where(Application.assessor_id.in_(user_ids), Application.status.in_(OPEN_STATES))
        .group_by(Application.assessor_id))
    return {uid: n for uid, n in rows}


def deactivate_staff(user: User, *, by: User) -> list[Application]:
    """The account can no longer log in; returns its open assignments, to reassign."""
    _require_admin(by)
    _require_staff(user)
    if user.id == by.id:
        raise DomainError(_("U kunt uw eigen account niet deactiveren. Vraag een andere "
                            "contractbeheerder om dat te doen."))
    if not user.is_active_account:
        raise DomainError(_("Het account van %(name)s is al gedeactiveerd.", name=user.full_name))
    if user.role == Role.ADMIN:
        # Two administrators deactivating each other at once must not leave none: the
        # second waits for the first, then finds itself deactivated (PostgreSQL).
        active_admins = db.session.scalars(
            select(User.id).where(User.role == Role.ADMIN, User.is_active_account.is_(True))
            .with_for_update()).all()
        if by.id not in active_admins:
            raise NotPermitted(_("Uw account is gedeactiveerd."))
    assignments = open_assignments(user)
    user.is_active_account = False
    user.session_version += 1  # every session of the account ends now
    audit.record("staff_deactivated", user, actor=by, from_state="actief",
                 to_state="gedeactiveerd", detail=f"open assignments={len(assignments)}")
    return assignments


def reactivate_staff(user: User, *, by: User) -> None:
    _require_admin(by)
    _require_staff(user)
    if user.is_active_account:
        raise DomainError(_("Het account van %(name)s is al actief.", name=user.full_name))
    user.is_active_account = True
    audit.record("staff_reactivated", user, actor=by, from_state="gedeactiveerd",
                 to_state="actief")

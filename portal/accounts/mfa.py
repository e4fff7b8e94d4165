"""The second factor: TOTP (RFC 6238, pyotp) with ten single-use recovery codes.

Required for assessors, administrators and referrers (``MFA_REQUIRED_FOR_STAFF``),
optional for providers. Enrolment shows a secret (and its QR code, drawn by segno as a
data URI: no request leaves the portal) and is confirmed by a code made with it. A code is
accepted once: the time step it belongs to is stored, and a code of that step or an
earlier one is refused. Codes of the previous and the next step count (clocks drift).
Recovery codes are stored as keyed hashes (HMAC-SHA256 with the portal's secret key as
pepper; each code has about 50 random bits). An administrator resets another staff
member's second factor (a lost device); never their own.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from functools import lru_cache

import pyotp
import segno
from flask import current_app
from sqlalchemy import delete, func, select

from .. import audit, notifications
from ..auth import require_role
from ..errors import DomainError, NotPermitted
from ..extensions import db
from ..i18n import N_
from ..i18n import gettext as _
from ..timeutil import utcnow
from ..urls import portal_url
from . import security
from .models import RecoveryCode, Role, User

ISSUER = "Regio WBO Jeugd"
STEP_SECONDS = 30
RECOVERY_CODES = 10
REQUIRED_ROLES = (Role.ASSESSOR, Role.ADMIN, Role.REFERRER)
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
_CODE_RE = re.compile(r"^\d{6}$")
_RECOVERY_RE = re.compile(rf"^[{_ALPHABET}]{{10}}$")

MALFORMED = N_("Vul de 6 cijfers in die uw authenticator-app nu toont, zonder letters.")
WRONG = N_("Deze code klopt niet. Controleer of u de code van het portaal Wonen met begeleiding "
            "gebruikt en of de tijd op uw telefoon goed staat.")
REUSED = N_("Deze code is al gebruikt. Wacht tot uw app een nieuwe code toont (elke 30 seconden) "
             "en vul die in.")
EXPIRED = N_("Deze code is verlopen. Vul de code in die uw app nu toont.")
RECOVERY_MALFORMED = N_("Een herstelcode bestaat uit 10 letters en cijfers, bijvoorbeeld "
                         "abcde-23456.")
RECOVERY_WRONG = N_("Deze herstelcode klopt niet. Controleer de code op uw lijst met herstelcodes.")
RECOVERY_USED = N_("Deze herstelcode is al gebruikt: elke herstelcode werkt één keer. Gebruik een "
                    "andere code van uw lijst.")


class CodeError(DomainError):
    """A refused code, shown at the form's ``code`` field."""

    field = "code"


def required_for(user: User) -> bool:
    return bool(current_app.config.get("MFA_REQUIRED_FOR_STAFF", True)) and user.role in REQUIRED_ROLES


def must_enrol(user: User) -> bool:
    """Logged in with a password, but a second factor is required and not set up yet."""
    return required_for(user) and not user.has_second_factor


def _now_step() -> int:
    return int(time.time()) // STEP_SECONDS


def _code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, interval=STEP_SECONDS).at(step * STEP_SECONDS)


def normalise_code(code: str | None) -> str:
    return re.sub(r"[\s-]", "", code or "")


def _matching_step(secret: str, code: str, last_step: int | None) -> int:
    """The time step ``code`` belongs to (previous, current or next); else a CodeError."""
    code = normalise_code(code)
    if not _CODE_RE.match(code):
        raise CodeError(_(MALFORMED))
    now = _now_step()
    for step in (now, now - 1, now + 1):
        if hmac.compare_digest(_code_at(secret, step), code):
            if last_step is not None and step <= last_step:
                raise CodeError(_(REUSED))
            return step
    # A code of the last ten minutes: say it is old, not wrong.
    if any(hmac.compare_digest(_code_at(secret, step), code) for step in range(now - 20, now - 1)):
        raise CodeError(_(EXPIRED))
    raise CodeError(_(WRONG))


# --------------------------------------------------------------------------- enrolment

def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(
        name=user.email, issuer_name=ISSUER)


@lru_cache(maxsize=256)
def qr_data_uri(uri: str) -> str:
    """The QR code of ``uri`` as an SVG data URI (the page's CSP allows data: images).

    Kept for the pending secrets last shown (the secret stays the same until it is
    confirmed, and drawing the code took more time than the rest of the page)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def group(secret: str) -> str:
    """The secret in groups of four, as people type it."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def pending_secret(user: User) -> str:
    """The secret offered for enrolment, made once and kept until confirmed (the caller
    commits)."""
    if user.totp_pending_secret is None:
        user.totp_pending_secret = pyotp.random_base32()
    return user.totp_pending_secret


def _hash_recovery(code: str) -> str:
    pepper = current_app.config["SECRET_KEY"].encode()
    return hmac.new(pepper, f"recovery:{code}".encode(), hashlib.sha256).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(_ALPHABET) for _char in range(10))
             for _code in range(RECOVERY_CODES)]
    now = utcnow()
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash_recovery(code), created_at=now)
                       for code in codes)
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def enrol(user: User, code: str, *, by: User) -> list[str]:
    """Confirm the pending secret with a code made with it; returns the ten recovery codes
    (shown once). A second enrolment replaces the first (a new phone)."""
    if by.id != user.id:
        raise NotPermitted(_("Alleen uzelf kunt tweestapsverificatie voor uw account instellen."))
    secret = user.totp_pending_secret
    if secret is None:
        raise DomainError(_("Open de pagina om tweestapsverificatie in te stellen opnieuw; er "
                            "is een nieuwe code voor u klaargezet."))
    step = _matching_step(secret, code, None)
    replaced = user.has_second_factor
    user.totp_secret = secret
    user.totp_pending_secret = None
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    codes = _new_recovery_codes(user)
    audit.record("second_factor_enrolled", user, actor=by,
                 detail="replaced" if replaced else "first")
    return codes


def remaining_recovery_codes(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))


# --------------------------------------------------------------------------- verification

# How someone logged in, in the audit log's words.
METHOD_WORDS = {"password": "met alleen het wachtwoord", "app": "met de authenticator-app",
                "recovery": "met een herstelcode"}

def _refuse(user: User, exc: CodeError, method: str) -> None:
    security.record_failure(security.SECOND_FACTOR, user.id)
    audit.record("second_factor_failed", user, actor=user, detail=METHOD_WORDS.get(method, method))
    raise exc


def verify(user: User, code: str) -> None:
    """A login's second step with a code from the app. A refused code is counted (the
    caller commits also then: ``CodeError``); too many refusals throttle the account."""
    security.check(security.SECOND_FACTOR, user.id)
    if not user.has_second_factor:
        raise DomainError(_("Voor dit account is geen tweestapsverificatie ingesteld."))
    try:
        step = _matching_step(user.totp_secret, code, user.totp_last_step)
    except CodeError as exc:
        if exc.message == _(MALFORMED):
            raise
        _refuse(user, exc, "app")
    user.totp_last_step = step
    security.clear(security.SECOND_FACTOR, user.id)
    audit.record("second_factor_used", user, actor=user, detail=METHOD_WORDS["app"])


def use_recovery_code(user: User, code: str) -> int:
    """A login's second step with a recovery code (once each); returns how many are left."""
    security.check(security.SECOND_FACTOR, user.id)
    plain = normalise_code(code).lower()
    if not _RECOVERY_RE.match(plain):
        raise CodeError(_(RECOVERY_MALFORMED))
    row = db.session.scalar(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash_recovery(plain)))
    if row is None:
        _refuse(user, CodeError(_(RECOVERY_WRONG)), "recovery")
    if row.used_at is not None:
        _refuse(user, CodeError(_(RECOVERY_USED)), "recovery")
    row.used_at = utcnow()
    security.clear(security.SECOND_FACTOR, user.id)
    left = remaining_recovery_codes(user)
    audit.record("second_factor_used", user, actor=user,
                 detail=f"{METHOD_WORDS['recovery']} (nog {left} over)")
    return left


# --------------------------------------------------------------------------- removal

def _remove(user: User) -> None:
    user.totp_secret = None
    user.totp_pending_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    user.session_version += 1  # every session of the user ends


def reset(member: User, *, by: User) -> None:
    """An administrator resets another staff member's second factor (a lost device): the
    member's sessions end, and the next login asks to set it up again."""
    require_role(by, "admin", _("Alleen een contractbeheerder kan tweestapsverificatie resetten."))
    if member.role not in REQUIRED_ROLES:
        raise NotPermitted(_("Dit is geen account van een medewerker van de regio."))
    if member.id == by.id:
        raise DomainError(_("U kunt uw eigen tweestapsverificatie niet resetten. Vraag een andere "
                            "contractbeheerder om dat te doen."))
    if not member.has_second_factor and member.totp_pending_secret is None:
        raise DomainError(_("%(name)s heeft geen tweestapsverificatie ingesteld.",
                            name=member.full_name))
    _remove(member)
    audit.record("second_factor_reset", member, actor=by, detail=f"email={member.email}")
    notifications.queue(
        "second_factor_reset", member.email,
        subject="Uw tweestapsverificatie voor het portaal Wonen met begeleiding is gereset",
        user=member, name=member.full_name, admin=by.full_name,
        login_link=portal_url("accounts.login"))


def disable(user: User, *, by: User) -> None:
    """A provider turns the optional second factor off (the view asked for the password)."""
    if by.id != user.id:
        raise NotPermitted(_("Alleen uzelf kunt tweestapsverificatie uitschakelen."))
    if required_for(user):
        raise DomainError(_("Voor uw account is tweestapsverificatie verplicht; u kunt die niet "
                            "uitschakelen."))
    if not user.has_second_factor:
        raise DomainError(_("Tweestapsverificatie staat al uit."))
    _remove(user)
    audit.record("second_factor_disabled", user, actor=by)

"""Privacy (AVG): how long each kind of record is kept, and what is due for removal.

The retention periods are settings (config.py, ``RETENTION_*``); the privacy statement
shows them and ``flask privacy due`` lists, per kind, what has passed its period. Removing
stays a person's decision (an archive may have to take a record first); the list says what
to look at. Reading other parts' models is allowed (the schema is one layer)."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import delete, func, select

from .. import audit
from ..applications.models import Application, Status
from ..audit.models import AuditEvent
from ..auth import require_role
from ..errors import DomainError
from ..extensions import db
from ..files import Document
from ..i18n import gettext as _
from ..notifications.models import MailStatus, OutboxMail
from ..timeutil import utcnow
from .models import RecoveryCode, User
from .passwords import hash_password

YEAR = timedelta(days=365)


@dataclass(frozen=True)
class Retention:
    """One kind of record: its Dutch name, how long it is kept and from when."""

    key: str
    label: str
    setting: str  # the config key with the period
    unit: str  # "dagen" or "jaar"
    counted_from: str

    def period(self) -> timedelta:
        amount = int(current_app.config[self.setting])
        return timedelta(days=amount) if self.unit == "dagen" else amount * YEAR

    def describe(self) -> str:
        amount = int(current_app.config[self.setting])
        return _("%(amount)s %(unit)s na %(counted_from)s", amount=amount, unit=self.unit,
                 counted_from=self.counted_from)


RETENTIONS = (
    Retention("drafts", "Aanmeldingen die concept bleven", "RETENTION_DRAFT_DAYS", "dagen",
              "de laatste wijziging"),
    Retention("withdrawn", "Ingetrokken aanmeldingen", "RETENTION_WITHDRAWN_YEARS", "jaar",
              "het intrekken"),
    Retention("decided", "Aanmeldingen waarop is besloten, met hun bewijsstukken en besluit",
              "RETENTION_DECIDED_YEARS", "jaar", "het besluit"),
    Retention("mails", "Verzonden e-mails (inhoud)", "RETENTION_MAIL_DAYS", "dagen", "het verzenden"),
    Retention("accounts", "Gedeactiveerde accounts (daarna geanonimiseerd)",
              "RETENTION_INACTIVE_ACCOUNT_DAYS", "dagen", "de laatste keer inloggen"),
    Retention("audit", "Auditlog (wie deed wat)", "RETENTION_AUDIT_YEARS", "jaar", "de gebeurtenis"),
)


@dataclass
class Due:
    retention: Retention
    count: int
    oldest: datetime | None


def _query(key: str, cutoff: datetime):
    """(count, oldest date) of the records of ``key`` whose period ended before ``cutoff``."""
    if key == "drafts":
        column, where = Application.updated_at, [Application.status == Status.CONCEPT]
    elif key == "withdrawn":
        column, where = Application.withdrawn_at, [Application.status == Status.INGETROKKEN]
    elif key == "decided":
        column, where = Application.decided_at, [Application.status == Status.BESLOTEN]
    elif key == "mails":
        column, where = OutboxMail.sent_at, [OutboxMail.status == MailStatus.SENT]
    elif key == "accounts":
        column = func.coalesce(User.last_login_at, User.created_at)
        where = [User.is_active_account.is_(False), User.email.not_like("%@geanonimiseerd.invalid")]
    else:
        column, where = AuditEvent.at, []
    return select(func.count(), func.min(column)).where(*where, column < cutoff)


def due(now: datetime | None = None) -> list[Due]:
    """Per kind of record: how many passed their retention period, and the oldest date."""
    now = now or utcnow()
    found = []
    for retention in RETENTIONS:
        count, oldest = db.session.execute(_query(retention.key, now - retention.period())).one()
        found.append(Due(retention, count, oldest))
    return found


privacy_cli = AppGroup("privacy", help="Privacy (AVG): retention of personal data.")


@privacy_cli.command("due")
def due_command():
    """List, per kind of record, what has passed its retention period."""
    for item in due():
        label, period = item.retention.label, item.retention.describe()
        if item.oldest:
            oldest = f"{item.oldest:%Y-%m-%d}"
            click.echo(_("%(label)s (%(period)s): %(count)s, oudste van %(oldest)s", label=label,
                         period=period, count=item.count, oldest=oldest))
        else:
            click.echo(_("%(label)s (%(period)s): %(count)s", label=label, period=period,
                         count=item.count))


# --- a user's own data (AVG art. 15 and 20) ------------------------------------------------------

def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def personal_data(user: User) -> dict:
    """Everything the portal keeps about ``user`` as a person, as plain JSON-able data: the
    account, the organisation, what they did (the audit events with them as actor), the
    mails sent to them (subject and state; a mail's text is in their own mailbox) and the
    files they uploaded (name and type). Read with a fixed number of statements."""
    events = db.session.execute(
        select(AuditEvent.at, AuditEvent.action, AuditEvent.object_type, AuditEvent.object_id,
               AuditEvent.ip_address, AuditEvent.outcome)
        .where(AuditEvent.actor_id == user.id).order_by(AuditEvent.id)).all()
    mails = db.session.execute(
        select(OutboxMail.created_at, OutboxMail.kind, OutboxMail.subject, OutboxMail.status,
               OutboxMail.sent_at)
        .where(OutboxMail.to_address == user.email).order_by(OutboxMail.id)).all()
    documents = db.session.execute(
        select(Document.uploaded_at, Document.original_name, Document.content_type,
               Document.size_bytes)
        .where(Document.uploaded_by_id == user.id).order_by(Document.id)).all()
    organisation = user.organisation
    return {
        "account": {
            "naam": user.full_name, "e-mailadres": user.email, "rol": user.role.value,
            "rol_in_organisatie": user.org_role.value if user.org_role else None,
            "functie_of_organisatie": user.affiliation,
            "aangemaakt": _iso(user.created_at), "laatst_ingelogd": _iso(user.last_login_at),
            "e-mailadres_bevestigd": _iso(user.email_confirmed_at),
            "tweestapsverificatie_sinds": _iso(user.totp_enabled_at),
            "berichten_over_vragen_en_antwoorden": user.qa_notifications,
        },
        "organisatie": None if organisation is None else {
            "naam": organisation.name, "kvk_nummer": organisation.kvk_number,
            "agb_code": organisation.agb_code, "adres": organisation.street,
            "postcode": organisation.postal_code, "plaats": organisation.city,
            "e-mailadres": organisation.contact_email, "website": organisation.website,
        },
        "handelingen": [
            {"tijdstip_utc": _iso(e.at), "handeling": e.action, "object": e.object_type,
             "object_nummer": e.object_id, "ip_adres": e.ip_address, "uitkomst": e.outcome}
            for e in events],
        "e-mails": [
            {"aangemaakt_utc": _iso(m.created_at), "soort": m.kind, "onderwerp": m.subject,
             "status": m.status.value, "verzonden_utc": _iso(m.sent_at)} for m in mails],
        "bestanden": [
            {"geupload_utc": _iso(d.uploaded_at), "naam": d.original_name, "type": d.content_type,
             "grootte_bytes": d.size_bytes} for d in documents],
    }


ANONYMOUS_DOMAIN = "geanonimiseerd.invalid"


def anonymise(user: User, *, by: User) -> None:
    """Remove a deactivated user's personal data while what they did stays on record.

    Name, e-mail address, affiliation, password and second factor go; the row stays, so
    every decision, letter and audit event that names the user (by id) stays valid, and the
    audit chain verifies as before (it holds no names). Only for a deactivated account, by
    an administrator, never their own."""
    require_role(by, "admin", _("Alleen een contractbeheerder kan een gebruiker anonimiseren."))
    if user.id == by.id:
        raise DomainError(_("U kunt uw eigen account niet anonimiseren."))
    if user.is_active_account:
        raise DomainError(_("Deactiveer het account eerst; alleen een gedeactiveerd account kan "
                            "worden geanonimiseerd."))
    if user.email.endswith("@" + ANONYMOUS_DOMAIN):
        raise DomainError(_("Dit account is al geanonimiseerd."))
    user.full_name = f"Geanonimiseerde gebruiker {user.id}"
    user.email = f"gebruiker-{user.id}@{ANONYMOUS_DOMAIN}"
    user.affiliation = None
    user.password_hash = hash_password(secrets.token_urlsafe(48))  # nobody knows it
    user.totp_secret = user.totp_pending_secret = None
    user.totp_enabled_at = user.totp_last_step = None
    user.qa_notifications = False
    user.session_version += 1
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record("user_anonymised", user, actor=by)


@privacy_cli.command("anonymise")
@click.argument("email")
@click.option("--by", "by_email", required=True, help="E-mail address of the administrator doing it.")
def anonymise_command(email, by_email):
    """Anonymise the deactivated account EMAIL (any role)."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    admin = db.session.scalar(select(User).where(User.email == by_email.strip().lower()))
    if user is None or admin is None:
        raise click.ClickException("Unknown account.")
    try:
        anonymise(user, by=admin)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    click.echo(f"anonymised account {user.id}")

"""Mail: queue() renders a mail into the outbox; delivery sends it after commit."""
from flask import current_app, render_template

from .. import audit
from ..auth import require_role
from ..errors import DomainError
from ..extensions import db
from ..i18n import N_
from ..i18n import gettext as _
from ..timeutil import utcnow
from . import kinds
from .delivery import remember
from .models import MailStatus, OutboxMail

__all__ = ["queue", "resend", "MailStatus", "OutboxMail", "SENSITIVE_NOTE", "body_visible"]

# Mails that carry a secret link (a signed token) are declared ``sensitive`` (see
# ``kinds``): whoever reads the body can reset a password, take over an invitation or
# confirm an address. They are stored like every mail (the outbox sends them), but marked
# ``sensitive``: no page shows their body.
SENSITIVE_NOTE = N_("Deze e-mail bevat een persoonlijke link en is alleen in de mailbox van de "
                    "ontvanger te lezen.")


def console_mode() -> bool:
    """Development without an SMTP server: mail is printed and read under /beheer/mails.
    Never in production (which refuses to start without MAIL_SERVER as well)."""
    return (not current_app.config.get("MAIL_SERVER")
            and current_app.config.get("ENV_NAME") in ("development", "test"))


def body_visible(mail: OutboxMail, *, dev_reader: bool = False) -> bool:
    """May a page show this mail's text? Never for a mail with a secret link, except in the
    administrators' mail reader (``dev_reader``) while the portal runs without MAIL_SERVER:
    that reader is then the only way to read a confirmation link in development."""
    if not mail.sensitive:
        return True
    return dev_reader and console_mode()


def queue(kind, to, *, subject, organisation=None, user=None, sensitive=False, **context):
    """Add a mail to the outbox in the current transaction (the caller commits).

    ``kind`` must be a kind the app declared (``kinds.declare``; an undeclared kind raises
    ``kinds.MailKindError``: a programming error). It names the templates
    ``mail/<kind>.txt`` and ``mail/<kind>.html``; when an administrator wrote a text for
    this kind (a ``MailTemplate`` row), that text is used instead, rendered in the mail
    sandbox with the same context, its HTML body in the standard layout. The context's
    ``subject`` is the subject given here. An ``application`` in the context links the
    mail to it (its history shows the mail); an ``attachment`` (a Document) is attached
    when the mail is sent. A mail of a kind declared ``sensitive``, or queued with
    ``sensitive=True``, carries a secret link: its body is never shown in the portal (see
    ``body_visible``).
    """
    from .mail_texts import render_for_outbox  # the administrators' texts

    declaration = kinds.get(kind)
    context["subject"] = subject
    application = context.get("application")
    attachment = context.get("attachment")
    custom = render_for_outbox(kind, context)
    if custom is not None:
        subject, body_text, body_html = custom.subject, custom.body_text, custom.body_html
    else:
        body_text = render_template(f"mail/{kind}.txt", **context)
        body_html = render_template(f"mail/{kind}.html", **context)
    mail = OutboxMail(
        kind=kind,
        to_address=to,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        organisation_id=getattr(organisation, "id", None),
        user_id=getattr(user, "id", None),
        application_id=getattr(application, "id", None),
        attachment_document_id=getattr(attachment, "id", None),
        sensitive=bool(sensitive) or declaration.sensitive,
    )
    db.session.add(mail)
    remember(mail)  # sent after this request's response, once committed
    return mail


def resend(mail: OutboxMail, *, by) -> OutboxMail:
    """An administrator sends a failed mail again: it is queued as if new (due now, a new
    retry window) and sent after the request; audited. The caller commits."""
    require_role(by, "admin", _("Alleen beheerders kunnen een e-mail opnieuw versturen."))
    if mail.status != MailStatus.FAILED:
        raise DomainError(_("Alleen een mislukte e-mail kan opnieuw worden verstuurd."))
    now = utcnow()
    mail.status = MailStatus.QUEUED
    mail.queued_at = now
    mail.next_attempt_at = now
    mail.claimed_at = None
    audit.record("mail_resent", mail, actor=by, from_state=MailStatus.FAILED,
                 to_state=MailStatus.QUEUED, detail=(mail.last_error or "")[:500])
    remember(mail)
    return mail

"""Mail: queue() renders a mail into the outbox; delivery sends it after commit."""
from flask import g, render_template

from ..extensions import db
from .models import MailStatus, OutboxMail

__all__ = ["queue", "MailStatus", "OutboxMail"]


def queue(kind, to, *, subject, organisation=None, user=None, **context):
    """Add a mail to the outbox in the current transaction (the caller commits).

    ``kind`` names the templates ``mail/<kind>.txt`` and ``mail/<kind>.html``; when an
    administrator wrote a text for this kind (a ``MailTemplate`` row), that text is used
    instead, rendered in the mail sandbox with the same context, its HTML body in the
    standard layout. The context's ``subject`` is the subject given here. An
    ``application`` in the context links the mail to it (its history shows the mail); an
    ``attachment`` (a Document) is attached when the mail is sent.
    """
    from ..admin.mail_texts import render_for_outbox  # the administrators' texts

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
    )
    db.session.add(mail)
    try:
        g.outbox_pending = True
    except RuntimeError:  # outside an app context g is unavailable; the CLI sends later
        pass
    return mail

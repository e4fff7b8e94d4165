"""Delivery of queued mail: after each request, and from `flask outbox send`."""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from flask_mail import Message
from sqlalchemy import or_, select, update

from ..extensions import db, mail
from ..files import Document, path_for
from ..timeutil import utcnow
from .models import MailStatus, OutboxMail

log = logging.getLogger(__name__)

# A claim older than this belongs to a worker that died mid-send.
STALE_CLAIM = timedelta(minutes=15)


def _claim(mail_id: int) -> bool:
    """Atomically move one mail from queued to sending; False if another worker has it."""
    now = utcnow()
    result = db.session.execute(
        update(OutboxMail)
        .where(
            OutboxMail.id == mail_id,
            or_(
                OutboxMail.status == MailStatus.QUEUED,
                (OutboxMail.status == MailStatus.SENDING)
                & (OutboxMail.claimed_at < now - STALE_CLAIM),
            ),
        )
        .values(status=MailStatus.SENDING, claimed_at=now)
    )
    db.session.commit()
    return result.rowcount == 1


def _transmit(item: OutboxMail) -> None:
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        # Development default: no SMTP server. The mail is printed and stays
        # readable for administrators under /beheer/mails.
        print(
            f"--- mail #{item.id} to {item.to_address}: {item.subject}\n{item.body_text}\n---",
            flush=True,
        )
        return
    message = Message(
        subject=item.subject,
        recipients=[item.to_address],
        body=item.body_text,
        html=item.body_html,
        sender=config["MAIL_DEFAULT_SENDER"],
        extra_headers={"X-Portal-Mail-Id": str(item.id), "Auto-Submitted": "auto-generated"},
    )
    if item.attachment_document_id:
        document = db.session.get(Document, item.attachment_document_id)
        message.attach(document.original_name, document.content_type,
                       path_for(document).read_bytes())
    mail.send(message)


def send_queued(limit: int = 100) -> dict[str, int]:
    """Send up to ``limit`` queued mails, each at most once. Returns counts."""
    max_attempts = current_app.config["OUTBOX_MAX_ATTEMPTS"]
    now = utcnow()
    ids = db.session.scalars(
        select(OutboxMail.id)
        .where(
            or_(
                OutboxMail.status == MailStatus.QUEUED,
                (OutboxMail.status == MailStatus.SENDING)
                & (OutboxMail.claimed_at < now - STALE_CLAIM),
            )
        )
        .order_by(OutboxMail.id)
        .limit(limit)
    ).all()
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    for mail_id in ids:
        if not _claim(mail_id):
            counts["skipped"] += 1
            continue
        item = db.session.get(OutboxMail, mail_id)
        try:
            _transmit(item)
        except Exception as exc:  # noqa: BLE001 - any delivery error is recorded
            item.attempts += 1
            item.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            item.status = (
                MailStatus.FAILED if item.attempts >= max_attempts else MailStatus.QUEUED
            )
            item.claimed_at = None
            counts["failed"] += 1
            log.warning("mail %s not delivered: %s", mail_id, item.last_error)
        else:
            item.attempts += 1
            item.status = MailStatus.SENT
            item.sent_at = utcnow()
            item.last_error = None
            counts["sent"] += 1
        db.session.commit()
    return counts


def init_app(app) -> None:
    """Deliver what a request queued once its response has been sent (so that, say, a
    password reset for a known address does not answer slower than for an unknown one).
    A request that failed sends nothing now: `flask outbox send` picks up what it committed."""
    from flask import g

    def deliver():
        with app.app_context():
            try:
                send_queued()
            except Exception:  # noqa: BLE001 - the outbox keeps the mail; log and move on
                log.exception("delivering the outbox after a request failed")
                db.session.rollback()

    @app.after_request
    def _deliver_after_response(response):
        if g.pop("outbox_pending", False) and app.config["OUTBOX_SEND_AFTER_REQUEST"]:
            response.call_on_close(deliver)
        return response

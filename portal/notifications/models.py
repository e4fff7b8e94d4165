"""The outbox: every mail is a row, written with the change that causes it."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class MailStatus(str, enum.Enum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # a permanent (5xx) answer, or OUTBOX_GIVE_UP_AFTER_HOURS passed


class OutboxMail(db.Model):
    __tablename__ = "outbox_mails"
    __table_args__ = (
        Index("ix_outbox_mails_status_id", "status", "id"),
        # The worker's question: what is due? (queued and due, or a lease that ran out)
        Index("ix_outbox_mails_status_next_attempt", "status", "next_attempt_at"),
        Index("ix_outbox_mails_org_created", "organisation_id", "created_at"),
        # A person's own data (Mijn gegevens downloaden): the mails sent to their address.
        Index("ix_outbox_mails_to_address", "to_address"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    attachment_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    # The mail carries a secret link (a signed token: password reset, confirmation,
    # invitation). Its body is for the recipient's mailbox only: no page of the portal shows
    # it (except the administrators' mail reader in development, without an SMTP server).
    sensitive: Mapped[bool] = mapped_column(default=False, server_default=false())
    status: Mapped[MailStatus] = mapped_column(
        Enum(MailStatus, name="mail_status"), default=MailStatus.QUEUED
    )
    # Every claim counts one attempt (shown to administrators; also the claim's token).
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the mail was (last) put in the queue: created, or sent again by an administrator.
    # It is given up OUTBOX_GIVE_UP_AFTER_HOURS after this.
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    # queued: not before this time; sending: the claim's lease runs out at this time (a
    # worker that died mid-send leaves it, another takes it over then); sent/failed: None.
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]


class MailTemplate(db.Model):
    """An administrator's text for one kind of mail; without a row the default applies."""

    __tablename__ = "mail_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60), unique=True)
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Optimistic locking (version_id_col): two administrators saving the same text at once:
    # the second save fails instead of overwriting the first.
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}

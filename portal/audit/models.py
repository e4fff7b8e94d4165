"""The append-only record of who did what, as one hash chain per database."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow

SUCCESS = "success"
FAILURE = "failure"


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_object", "object_type", "object_id", "at"),
        CheckConstraint("outcome IN ('success', 'failure')", name="outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(60))
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")
    # The client's address (behind TRUSTED_PROXIES: the one they forwarded); None outside a request.
    ip_address: Mapped[str | None] = mapped_column(String(45))
    outcome: Mapped[str] = mapped_column(String(10), default=SUCCESS, server_default=SUCCESS)
    # The chain: the event's place (1, 2, ...), the previous event's hash and its own, set
    # when the transaction commits (portal/audit/chain.py). Once set, the row is frozen.
    seq: Mapped[int | None] = mapped_column(unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))

    # The actor is a user (accounts.models), named by string: audit imports no part.
    actor: Mapped["User | None"] = relationship("User")  # noqa: F821, UP037


class AuditChain(db.Model):
    """The head of the chain: one row with the last event's place and hash. Updating it
    when a transaction commits serialises the sealing of events across processes."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(String(64))

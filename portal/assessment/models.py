"""The assessor's side: a verdict per requirement, a decision per category."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Column, Enum, ForeignKey, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..audit.labels import state_label
from ..extensions import db
from ..procedure.models import Category, Requirement
from ..timeutil import utcnow


class VerdictOutcome(str, enum.Enum):
    VOLDOET = "voldoet"
    VOLDOET_NIET = "voldoet_niet"
    NIET_VAN_TOEPASSING = "niet_van_toepassing"

    @property
    def label(self) -> str:
        return state_label(self)


class Outcome(str, enum.Enum):
    TOEGELATEN = "toegelaten"
    AFGEWEZEN = "afgewezen"

    @property
    def label(self) -> str:
        return state_label(self)


class Verdict(db.Model):
    __tablename__ = "verdicts"
    __table_args__ = (UniqueConstraint("application_id", "requirement_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE")
    )
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirements.id"), index=True)
    outcome: Mapped[VerdictOutcome] = mapped_column(Enum(VerdictOutcome, name="verdict_outcome"))
    reason: Mapped[str] = mapped_column(Text, default="")
    assessor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    requirement: Mapped[Requirement] = relationship()
    assessor: Mapped[User] = relationship()


decision_failed_requirements = Table(
    "decision_failed_requirements",
    db.metadata,
    Column(
        "decision_id", ForeignKey("category_decisions.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("requirement_id", ForeignKey("requirements.id"), primary_key=True),
)


class CategoryDecision(db.Model):
    """The outcome for one category: proposed by one assessor, approved by another."""

    __tablename__ = "category_decisions"
    __table_args__ = (UniqueConstraint("application_id", "category_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE")
    )
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    # 0 for the decision; 1, 2, ... for each herstelbesluit that replaces it.
    round: Mapped[int] = mapped_column(default=0, server_default="0")
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("category_decisions.id"))
    outcome: Mapped[Outcome] = mapped_column(Enum(Outcome, name="decision_outcome"))
    motivation: Mapped[str] = mapped_column(Text)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None]
    return_remark: Mapped[str | None] = mapped_column(Text)

    category: Mapped[Category] = relationship()
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    failed_requirements: Mapped[list[Requirement]] = relationship(
        secondary=decision_failed_requirements, order_by="Requirement.position"
    )


class ConflictDeclaration(db.Model):
    """An assessor's statement of no conflict of interest with the organisation."""

    __tablename__ = "conflict_declarations"
    __table_args__ = (UniqueConstraint("application_id", "assessor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    assessor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    statement: Mapped[str] = mapped_column(Text)
    declared_at: Mapped[datetime] = mapped_column(default=utcnow)


class CompletionRequest(db.Model):
    """Aanvulling gevraagd: one round of questions to the provider, with a deadline."""

    __tablename__ = "completion_requests"
    __table_args__ = (UniqueConstraint("application_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    round: Mapped[int]
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline: Mapped[date]
    closed_at: Mapped[datetime | None]
    closed_by_deadline: Mapped[bool] = mapped_column(default=False)
    provider_note: Mapped[str | None] = mapped_column(Text)
    clock_days_stopped: Mapped[int | None]

    requested_by: Mapped[User] = relationship()
    items: Mapped[list[CompletionItem]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="CompletionItem.id"
    )

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class CompletionItem(db.Model):
    __tablename__ = "completion_items"
    __table_args__ = (UniqueConstraint("request_id", "requirement_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("completion_requests.id", ondelete="CASCADE"))
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirements.id"), index=True)
    question: Mapped[str] = mapped_column(Text)

    request: Mapped[CompletionRequest] = relationship(back_populates="items")
    requirement: Mapped[Requirement] = relationship()


class DecisionLetter(db.Model):
    """The PDF besluitbrief of a final decision (or of a herstelbesluit)."""

    __tablename__ = "decision_letters"
    __table_args__ = (UniqueConstraint("application_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column(default=0)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    document: Mapped[Document] = relationship()  # noqa: F821 - applications.models

"""The assessor's side: a verdict per requirement, a decision per category."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, Enum, ForeignKey, Text, UniqueConstraint, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..extensions import db
from ..procedure.models import Category, Requirement
from ..timeutil import utcnow


class VerdictOutcome(str, enum.Enum):
    VOLDOET = "voldoet"
    VOLDOET_NIET = "voldoet_niet"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class Outcome(str, enum.Enum):
    TOEGELATEN = "toegelaten"
    AFGEWEZEN = "afgewezen"

    @property
    def label(self) -> str:
        return self.value


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
    __table_args__ = (UniqueConstraint("application_id", "category_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE")
    )
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    outcome: Mapped[Outcome] = mapped_column(Enum(Outcome, name="decision_outcome"))
    motivation: Mapped[str] = mapped_column(Text)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None]

    category: Mapped[Category] = relationship()
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    failed_requirements: Mapped[list[Requirement]] = relationship(
        secondary=decision_failed_requirements, order_by="Requirement.position"
    )

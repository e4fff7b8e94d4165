"""The monitoring part's tables.

The information set (``IndicatorSet``: versioned like the requirement catalogue, a draft
edited and then published, never changed after) holds the indicators. A ``ReportingRound``
asks every active partner of the categories concerned for its figures over a period, on
one published version of the information set; a partner's ``IndicatorReport`` per
category keeps that version. A submitted report is never changed: a correction is a new
report (``number`` + 1) with a reason, and the old one stays (``is_current`` false).
"""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Column,
    Enum,
    ForeignKey,
    Index,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organisation, User
from ..extensions import db
from ..procedure.models import Category, Procedure
from ..timeutil import utcnow


def _value_enum(enum_cls, length=20):
    return Enum(enum_cls, native_enum=False, length=length, create_constraint=False,
                values_callable=lambda members: [m.value for m in members])


class Unit(str, enum.Enum):
    COUNT = "aantal"
    PERCENTAGE = "percentage"
    DAYS = "dagen"
    SCORE = "score"  # a score 1-10
    AMOUNT = "bedrag"  # euros

    @property
    def label(self) -> str:
        return {"aantal": "aantal", "percentage": "percentage (0-100)", "dagen": "dagen",
                "score": "score (1-10)", "bedrag": "bedrag (euro)"}[self.value]

    @property
    def integral(self) -> bool:
        return self is Unit.COUNT


class Direction(str, enum.Enum):
    HIGHER = "hoger"
    LOWER = "lager"

    @property
    def label(self) -> str:
        return "hoger is beter" if self is Direction.HIGHER else "lager is beter"


class Frequency(str, enum.Enum):
    QUARTER = "kwartaal"
    YEAR = "jaar"

    @property
    def label(self) -> str:
        return "per kwartaal" if self is Frequency.QUARTER else "per jaar"


class IndicatorSet(db.Model):
    """One version of the region's information set (a draft until published)."""

    __tablename__ = "indicator_sets"
    __table_args__ = (UniqueConstraint("procedure_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"), index=True)
    number: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}

    procedure: Mapped[Procedure] = relationship()
    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="indicator_set", order_by="Indicator.position, Indicator.id")

    @property
    def is_draft(self) -> bool:
        return self.published_at is None


class Indicator(db.Model):
    """A KPI/KRI of one version of the information set. ``category_id`` None: it applies
    to every category. ``code`` is stable across versions (trends follow it)."""

    __tablename__ = "indicators"
    __table_args__ = (
        UniqueConstraint("set_id", "code"),
        CheckConstraint("plausible_min IS NULL OR plausible_max IS NULL "
                        "OR plausible_min <= plausible_max", name="plausible_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("indicator_sets.id"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[str] = mapped_column(Text, default="", server_default="")
    unit: Mapped[Unit] = mapped_column(_value_enum(Unit))
    target: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    direction: Mapped[Direction] = mapped_column(_value_enum(Direction))
    frequency: Mapped[Frequency] = mapped_column(_value_enum(Frequency))
    plausible_min: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    plausible_max: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    position: Mapped[int] = mapped_column(default=0)

    indicator_set: Mapped[IndicatorSet] = relationship(back_populates="indicators")
    category: Mapped[Category | None] = relationship()

    def applies_to(self, category_id: int) -> bool:
        return self.category_id is None or self.category_id == category_id

    def misses_target(self, value: Decimal | None) -> bool:
        if value is None or self.target is None:
            return False
        if self.direction is Direction.HIGHER:
            return value < self.target
        return value > self.target


reporting_round_categories = Table(
    "reporting_round_categories",
    db.metadata,
    Column("round_id", ForeignKey("reporting_rounds.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)


class ReportingRound(db.Model):
    """A verantwoordingsronde: the partners report their figures over a period."""

    __tablename__ = "reporting_rounds"
    __table_args__ = (
        UniqueConstraint("procedure_id", "label"),
        CheckConstraint("period_end >= period_start", name="period_order"),
        Index("ix_reporting_rounds_open_deadline", "closed_at", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"), index=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("indicator_sets.id"), index=True)
    label: Mapped[str] = mapped_column(String(60))  # "2027 Q1"
    period_start: Mapped[date]
    period_end: Mapped[date]
    deadline: Mapped[date]
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)

    procedure: Mapped[Procedure] = relationship()
    indicator_set: Mapped[IndicatorSet] = relationship()
    categories: Mapped[list[Category]] = relationship(
        secondary=reporting_round_categories, order_by="Category.position")
    opened_by: Mapped[User] = relationship(foreign_keys=[opened_by_id])

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


round_participant_categories = Table(
    "round_participant_categories",
    db.metadata,
    Column("participant_id", ForeignKey("round_participants.id", ondelete="CASCADE"),
           primary_key=True),
    Column("category_id", ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)


class RoundParticipant(db.Model):
    """A partner asked to report in a round, with the reminders sent to it (each once)."""

    __tablename__ = "round_participants"
    __table_args__ = (UniqueConstraint("round_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("reporting_rounds.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    reminder_before_at: Mapped[datetime | None]
    reminder_after_at: Mapped[datetime | None]

    reporting_round: Mapped[ReportingRound] = relationship()
    organisation: Mapped[Organisation] = relationship()
    # The categories it reports on (its active admissions when the round was opened).
    categories: Mapped[list[Category]] = relationship(
        secondary=round_participant_categories, order_by=Category.position)

    @property
    def category_id_list(self) -> list[int]:
        return [c.id for c in self.categories]


class IndicatorReport(db.Model):
    """A partner's figures for one category in one round. Never changed once submitted:
    a correction is a new report with ``number`` + 1 and a reason."""

    __tablename__ = "indicator_reports"
    __table_args__ = (
        UniqueConstraint("round_id", "organisation_id", "category_id", "number"),
        # One current report per round, partner and category.
        Index("uq_indicator_reports_current", "round_id", "organisation_id", "category_id",
              unique=True, sqlite_where=text("is_current = 1"),
              postgresql_where=text("is_current")),
        Index("ix_indicator_reports_org_current", "organisation_id", "is_current"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("reporting_rounds.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("indicator_sets.id"), index=True)
    number: Mapped[int] = mapped_column(default=1)
    is_current: Mapped[bool] = mapped_column(default=True, server_default=true())
    correction_reason: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("indicator_reports.id"),
                                                    index=True)

    reporting_round: Mapped[ReportingRound] = relationship()
    organisation: Mapped[Organisation] = relationship()
    category: Mapped[Category] = relationship()
    indicator_set: Mapped[IndicatorSet] = relationship()
    submitted_by: Mapped[User] = relationship(foreign_keys=[submitted_by_id])
    values: Mapped[list[IndicatorValue]] = relationship(
        back_populates="report", order_by="IndicatorValue.id")
    attachments: Mapped[list[ReportAttachment]] = relationship(
        back_populates="report", order_by="ReportAttachment.id")


class IndicatorValue(db.Model):
    """One figure of a report, with the explanation when it misses the target."""

    __tablename__ = "indicator_values"
    __table_args__ = (UniqueConstraint("report_id", "indicator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("indicator_reports.id"))
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"), index=True)
    value: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    explanation: Mapped[str | None] = mapped_column(Text)

    report: Mapped[IndicatorReport] = relationship(back_populates="values")
    indicator: Mapped[Indicator] = relationship()


class ReportAttachment(db.Model):
    """A file attached to a report (stored through portal.files)."""

    __tablename__ = "report_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("indicator_reports.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)

    report: Mapped[IndicatorReport] = relationship(back_populates="attachments")
    document: Mapped[Document] = relationship()  # noqa: F821 - portal.files

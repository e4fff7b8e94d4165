"""The oversight part's tables: verantwoordingsdialogen with their action points, and
investigations (toezicht) with their findings and the measure taken."""
from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organisation, User
from ..audit.labels import state_label
from ..extensions import db
from ..i18n import gettext as _
from ..monitoring.models import Indicator, ReportingRound
from ..partners.models import Admission, Suspension
from ..procedure.models import Requirement
from ..timeutil import utcnow


def _stored_as_value(enum_class, length=20):
    """An enum stored as its value in a plain string column (no database enum type)."""
    return Enum(enum_class, native_enum=False, length=length, create_constraint=False,
                values_callable=lambda members: [m.value for m in members])


class OwnerSide(str, enum.Enum):
    """Who carries out an action point: the region or the partner."""

    REGIO = "regio"
    PARTNER = "partner"

    @property
    def label(self) -> str:
        return {"regio": "regio", "partner": "partner"}[self.value]


class ActionStatus(str, enum.Enum):
    OPEN = "open"
    GEREED = "gereed"
    VERVALLEN = "vervallen"

    @property
    def label(self) -> str:
        return state_label(self)


class Dialogue(db.Model):
    """A verantwoordingsdialoog with a partner: planned, its minutes recorded by the region,
    confirmed (or answered with a remark) by the partner."""

    __tablename__ = "dialogues"
    __table_args__ = (
        Index("ix_dialogues_organisation_date", "organisation_id", "meeting_date"),
        Index("ix_dialogues_meeting_date", "meeting_date", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    meeting_date: Mapped[date]
    meeting_time: Mapped[time]
    place: Mapped[str] = mapped_column(String(300))
    online: Mapped[bool] = mapped_column(default=False)
    # One participant a line: "name (role)".
    participants: Mapped[str] = mapped_column(Text)
    # What is on the table: the reports, findings and other subjects, one a line.
    agenda: Mapped[str] = mapped_column(Text)
    # The reporting round whose reports are discussed (optional).
    reporting_round_id: Mapped[int | None] = mapped_column(ForeignKey("reporting_rounds.id"),
                                                           index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    minutes: Mapped[str | None] = mapped_column(Text)
    minutes_recorded_at: Mapped[datetime | None]
    minutes_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"),
                                                               index=True)
    confirmed_at: Mapped[datetime | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    partner_remark: Mapped[str | None] = mapped_column(Text)
    partner_remark_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    organisation: Mapped[Organisation] = relationship()
    reporting_round: Mapped[ReportingRound | None] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])
    action_points: Mapped[list[ActionPoint]] = relationship(
        back_populates="dialogue", order_by="ActionPoint.due_on, ActionPoint.id")

    @property
    def stage(self) -> str:
        if self.confirmed_at is not None:
            return _("verslag bevestigd")
        if self.minutes:
            return _("verslag ter bevestiging")
        return _("gepland")

    @property
    def time_label(self) -> str:
        return f"{self.meeting_time:%H:%M}"

    @property
    def participant_lines(self) -> list[str]:
        return [line.strip() for line in (self.participants or "").splitlines() if line.strip()]

    @property
    def agenda_lines(self) -> list[str]:
        return [line.strip() for line in (self.agenda or "").splitlines() if line.strip()]


class ActionPoint(db.Model):
    """An agreement of a dialogue: what, who (the region or the partner, a named person),
    before when, and its state."""

    __tablename__ = "action_points"
    __table_args__ = (
        # Overdue points: open, by due date (the dashboards and the daily mail).
        Index("ix_action_points_status_due", "status", "due_on"),
        Index("ix_action_points_organisation_status", "organisation_id", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(ForeignKey("dialogues.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    description: Mapped[str] = mapped_column(Text)
    owner_side: Mapped[OwnerSide] = mapped_column(_stored_as_value(OwnerSide, 10))
    owner_name: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date]
    status: Mapped[ActionStatus] = mapped_column(_stored_as_value(ActionStatus),
                                                 default=ActionStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    closing_note: Mapped[str | None] = mapped_column(Text)
    # The day the owner side was last mailed that this point is overdue (once a day).
    overdue_mailed_on: Mapped[date | None]
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    dialogue: Mapped[Dialogue] = relationship(back_populates="action_points")
    organisation: Mapped[Organisation] = relationship()

    def overdue(self, today: date) -> bool:
        return self.status == ActionStatus.OPEN and self.due_on < today


class InvestigationReason(str, enum.Enum):
    SIGNAAL = "signaal"
    KLACHT = "klacht"
    CALAMITEIT = "calamiteit"
    PERIODIEK = "periodiek"

    @property
    def label(self) -> str:
        return self.value


class Judgement(str, enum.Enum):
    VOLDOET = "voldoet"
    VERBETERING_NODIG = "verbetering_nodig"
    VOLDOET_NIET = "voldoet_niet"

    @property
    def label(self) -> str:
        return state_label(self)


class Measure(str, enum.Enum):
    GEEN = "geen"
    VERBETERPLAN = "verbeterplan"
    SCHORSING = "schorsing"
    BEEINDIGING = "beeindiging"

    @property
    def label(self) -> str:
        return state_label(self)


class InvestigationStatus(str, enum.Enum):
    OPEN = "open"
    GESLOTEN = "gesloten"

    @property
    def label(self) -> str:
        return state_label(self)


class Investigation(db.Model):
    """Toezicht at a partner: why and since when, the findings, the measure (linked to the
    suspension or the planned end of an admission it caused), the follow-up and the
    conclusion. ``internal_notes`` is never shown to the partner."""

    __tablename__ = "investigations"
    __table_args__ = (
        Index("ix_investigations_organisation", "organisation_id", "started_on"),
        Index("ix_investigations_status", "status", "started_on", "id"),
        CheckConstraint("measure <> 'verbeterplan' OR plan_deadline IS NOT NULL",
                        name="plan_has_deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    reason: Mapped[InvestigationReason] = mapped_column(_stored_as_value(InvestigationReason))
    started_on: Mapped[date]
    # What the partner is told about the cause.
    description: Mapped[str] = mapped_column(Text)
    internal_notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[InvestigationStatus] = mapped_column(
        _stored_as_value(InvestigationStatus), default=InvestigationStatus.OPEN)
    measure: Mapped[Measure | None] = mapped_column(_stored_as_value(Measure))
    measure_note: Mapped[str | None] = mapped_column(Text)
    measure_at: Mapped[datetime | None]
    plan_deadline: Mapped[date | None]
    admission_id: Mapped[int | None] = mapped_column(ForeignKey("admissions.id"), index=True)
    suspension_id: Mapped[int | None] = mapped_column(ForeignKey("suspensions.id"), index=True)
    ends_on: Mapped[date | None]  # the planned end of the admission (measure beëindiging)
    follow_up_on: Mapped[date | None]
    closed_on: Mapped[date | None]
    conclusion: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    organisation: Mapped[Organisation] = relationship()
    admission: Mapped[Admission | None] = relationship()
    suspension: Mapped[Suspension | None] = relationship()
    findings: Mapped[list[Finding]] = relationship(
        back_populates="investigation", order_by="Finding.id")


class Finding(db.Model):
    """One finding: about a requirement of the catalogue, an indicator (by name) or a
    subject in free text, with a judgement."""

    __tablename__ = "investigation_findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    investigation_id: Mapped[int] = mapped_column(ForeignKey("investigations.id"), index=True)
    requirement_id: Mapped[int | None] = mapped_column(ForeignKey("requirements.id"),
                                                       index=True)
    indicator_id: Mapped[int | None] = mapped_column(ForeignKey("indicators.id"), index=True)
    subject: Mapped[str | None] = mapped_column(String(300))
    judgement: Mapped[Judgement] = mapped_column(_stored_as_value(Judgement))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)

    investigation: Mapped[Investigation] = relationship(back_populates="findings")
    requirement: Mapped[Requirement | None] = relationship()
    indicator: Mapped[Indicator | None] = relationship()

    @property
    def about(self) -> str:
        if self.requirement is not None:
            return f"{self.requirement.code} {self.requirement.title}"
        if self.indicator is not None:
            return f"Indicator: {self.indicator.name}"
        return self.subject or ""

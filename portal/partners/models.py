"""Admitted partners: one admission per organisation and category."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organisation, User
from ..audit.labels import state_label
from ..extensions import db
from ..procedure.models import CatalogueVersion, Category, Procedure
from ..timeutil import utcnow


class AdmissionStatus(str, enum.Enum):
    TOEGELATEN = "toegelaten"
    ACTIEF = "actief"
    GESCHORST = "geschorst"
    BEEINDIGD = "beeindigd"

    @property
    def label(self) -> str:
        return state_label(self)


LIVE_ADMISSION = ("TOEGELATEN", "ACTIEF", "GESCHORST")


class ReviewStatus(str, enum.Enum):
    """A partner's new version of a document: in review, then accepted or rejected (the
    transitions: ``partners.compliance.REVIEW_TRANSITIONS``). Stored as its value."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return state_label(self)


class Admission(db.Model):
    __tablename__ = "admissions"
    __table_args__ = (
        Index("ix_admissions_category_status", "category_id", "status"),
        # At most one live admission per organisation and category.
        Index(
            "uq_admissions_live_org_category",
            "organisation_id",
            "category_id",
            unique=True,
            sqlite_where=text("status IN ('TOEGELATEN', 'ACTIEF', 'GESCHORST')"),
            postgresql_where=text("status IN ('TOEGELATEN', 'ACTIEF', 'GESCHORST')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    status: Mapped[AdmissionStatus] = mapped_column(
        Enum(AdmissionStatus, name="admission_status"), default=AdmissionStatus.TOEGELATEN
    )
    admitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"), index=True)
    activated_at: Mapped[datetime | None]
    ended_on: Mapped[date | None]
    end_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    organisation: Mapped[Organisation] = relationship()
    category: Mapped[Category] = relationship()
    agreement: Mapped[Agreement | None] = relationship(back_populates="admissions")
    suspensions: Mapped[list[Suspension]] = relationship(
        back_populates="admission", order_by="Suspension.starts_on"
    )


class Agreement(db.Model):
    """The deelnemersovereenkomst for the categories of one decision, as a PDF; accepted
    by a beheerder of the organisation (who, when, from where, which exact document)."""

    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reminder_sent_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    accepted_ip: Mapped[str | None] = mapped_column(String(45))
    accepted_sha256: Mapped[str | None] = mapped_column(String(64))

    organisation: Mapped[Organisation] = relationship()
    admissions: Mapped[list[Admission]] = relationship(back_populates="agreement")
    document: Mapped[Document] = relationship()  # noqa: F821 - applications.models


class Suspension(db.Model):
    __tablename__ = "suspensions"
    __table_args__ = (
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="period_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    admission_id: Mapped[int] = mapped_column(ForeignKey("admissions.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reinstated_at: Mapped[datetime | None]

    admission: Mapped[Admission] = relationship(back_populates="suspensions")


class ExpiryNotice(db.Model):
    """A mail about a document's validity date, sent once per document and moment."""

    __tablename__ = "expiry_notices"
    __table_args__ = (UniqueConstraint("document_id", "days_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    days_before: Mapped[int]  # 60, 30, 7, 0
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class EvidenceReview(db.Model):
    """A partner's new version of an expiring document, checked by an assessor."""

    __tablename__ = "evidence_reviews"
    __table_args__ = (
        Index("ix_evidence_reviews_status", "status", "submitted_at"),
        # "Has this document been replaced?" (compliance.superseded), asked per document.
        Index("ix_evidence_reviews_replaces", "replaces_document_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    replaces_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    status: Mapped[ReviewStatus] = mapped_column(
        Enum(ReviewStatus, native_enum=False, length=20, create_constraint=False,
             values_callable=lambda statuses: [s.value for s in statuses]),
        default=ReviewStatus.PENDING)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)


class CapacityReport(db.Model):
    """Free places (beschikbare plaatsen) a partner reports for placement coordination."""

    __tablename__ = "capacity_reports"
    __table_args__ = (
        Index("ix_capacity_reports_org_category", "organisation_id", "category_id", "reported_at"),
        # The overview: the current reports per category, freshest first, read in index order.
        Index("ix_capacity_reports_current", "category_id", "reported_at", "id",
              sqlite_where=text("is_current = 1"), postgresql_where=text("is_current")),
        # One current report per organisation, category and location (case aside), also
        # when two reports for the same location are saved at the same moment.
        Index("uq_capacity_reports_current_location", "organisation_id", "category_id",
              text("lower(location)"), unique=True,
              sqlite_where=text("is_current = 1"), postgresql_where=text("is_current")),
        CheckConstraint("places >= 0", name="places_nonnegative"),
        CheckConstraint("age_min IS NULL OR age_max IS NULL OR age_min <= age_max",
                        name="age_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    location: Mapped[str] = mapped_column(String(200))
    places: Mapped[int]
    available_from: Mapped[date]
    age_min: Mapped[int | None]
    age_max: Mapped[int | None]
    remarks: Mapped[str | None] = mapped_column(Text)
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)
    reported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reminder_sent_at: Mapped[datetime | None]
    # The latest report for its organisation, category and location (case aside); a new
    # report clears it on the one it replaces (capacity.report_capacity).
    is_current: Mapped[bool] = mapped_column(default=True, server_default=true())

    category: Mapped[Category] = relationship()


class ReconfirmationRound(db.Model):
    """A herbevestigingsronde: after a new catalogue version added or changed requirements,
    every active partner answers those requirements again, before a deadline. Each
    partner's answer is an Application with this round (see Application.round_id)."""

    __tablename__ = "reconfirmation_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("catalogue_versions.id"))
    previous_version_id: Mapped[int] = mapped_column(ForeignKey("catalogue_versions.id"))
    # Comma-separated codes of the requirements added or changed, fixed at the start.
    requirement_codes: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date]
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    procedure: Mapped[Procedure] = relationship()
    version: Mapped[CatalogueVersion] = relationship(foreign_keys=[version_id])
    previous_version: Mapped[CatalogueVersion] = relationship(foreign_keys=[previous_version_id])
    started_by: Mapped[User] = relationship()

    @property
    def codes(self) -> list[str]:
        return [c for c in (self.requirement_codes or "").split(",") if c]

    @property
    def code_set(self) -> set[str]:
        """The codes, lower-cased: requirements are matched by code like the comparison."""
        return {c.lower() for c in self.codes}


class RegisterVersion(db.Model):
    """One row: the version of the public register, raised in the same transaction as every
    change of what the register shows (admissions, the public data of their organisations,
    categories, the procedure). The open-data exports are built once per version (see
    ``partners.snapshot``) and carry it in their ETag."""

    __tablename__ = "register_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

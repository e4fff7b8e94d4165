"""Admitted partners: one admission per organisation and category."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organisation
from ..extensions import db
from ..procedure.models import Category
from ..timeutil import utcnow


class AdmissionStatus(str, enum.Enum):
    TOEGELATEN = "toegelaten"
    ACTIEF = "actief"
    GESCHORST = "geschorst"
    BEEINDIGD = "beeindigd"

    @property
    def label(self) -> str:
        return "beëindigd" if self is AdmissionStatus.BEEINDIGD else self.value


LIVE_ADMISSION = ("TOEGELATEN", "ACTIEF", "GESCHORST")


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

    organisation: Mapped[Organisation] = relationship()
    category: Mapped[Category] = relationship()

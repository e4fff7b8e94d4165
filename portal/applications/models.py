"""The provider's application (aanmelding): categories, answers, evidence."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    Enum,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organisation, User
from ..audit.labels import state_label
from ..extensions import db
from ..files import Document  # noqa: F401 - the library's files; answers refer to them
from ..procedure.models import CatalogueVersion, Category, Procedure, Requirement
from ..timeutil import utcnow


class Status(str, enum.Enum):
    CONCEPT = "concept"
    INGEDIEND = "ingediend"
    IN_BEHANDELING = "in_behandeling"
    AANVULLING_GEVRAAGD = "aanvulling_gevraagd"
    BESLUIT_VOORGESTELD = "besluit_voorgesteld"
    BESLOTEN = "besloten"
    INGETROKKEN = "ingetrokken"

    @property
    def label(self) -> str:
        return state_label(self)


# Waiting for the region: the assessors' "open" tab and the report's open applications.
OPEN_STATES = (Status.INGEDIEND, Status.IN_BEHANDELING, Status.AANVULLING_GEVRAAGD,
               Status.BESLUIT_VOORGESTELD)
# The condition of the partial indexes on open applications, as SQL. A query uses them when
# its condition is written the same, with the states as literals (``open_condition``).
_OPEN_SQL = "status IN ({})".format(", ".join(f"'{s.name}'" for s in OPEN_STATES))


def open_condition():
    """``status IN OPEN_STATES`` with the states written into the SQL, so that the database
    can use the partial indexes on open applications (a bound parameter's value is not
    known when the statement is planned)."""
    return Application.status.in_(bindparam("open_states", OPEN_STATES, expanding=True,
                                            literal_execute=True))


application_categories = Table(
    "application_categories",
    db.metadata,
    Column(
        "application_id", ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("category_id", ForeignKey("categories.id"), primary_key=True, index=True),
)


class Application(db.Model):
    __tablename__ = "applications"
    __table_args__ = (
        Index("ix_applications_status_submitted", "status", "submitted_at"),
        # submitted_at too: the report's lead time reads this index only.
        Index("ix_applications_status_decided", "status", "decided_at", "submitted_at"),
        # The report's overdue figure and the queue's due-date filter and order.
        Index("ix_applications_status_due", "status", "decision_due"),
        Index("ix_applications_org_created", "organisation_id", "created_at"),
        # The queue's open tab in its two orders: a page reads its rows in index order
        # instead of sorting every open application.
        Index("ix_applications_open_submitted", "submitted_at", "id",
              sqlite_where=text(_OPEN_SQL), postgresql_where=text(_OPEN_SQL)),
        Index("ix_applications_open_due", "decision_due", "id",
              sqlite_where=text(_OPEN_SQL), postgresql_where=text(_OPEN_SQL)),
        Index("ix_applications_catalogue_version_id", "catalogue_version_id"),
        # Partial: most applications have no assessor yet or belong to no round, and an
        # index full of NULLs makes the planner give up on it for the few that do.
        Index("ix_applications_assessor_id", "assessor_id",
              sqlite_where=text("assessor_id IS NOT NULL"),
              postgresql_where=text("assessor_id IS NOT NULL")),
        Index("ix_applications_round_id", "round_id",
              sqlite_where=text("round_id IS NOT NULL"),
              postgresql_where=text("round_id IS NOT NULL")),
        Index("ix_applications_moved_from_version_id", "moved_from_version_id",
              sqlite_where=text("moved_from_version_id IS NOT NULL"),
              postgresql_where=text("moved_from_version_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"), index=True)
    catalogue_version_id: Mapped[int] = mapped_column(ForeignKey("catalogue_versions.id"))
    status: Mapped[Status] = mapped_column(
        Enum(Status, name="application_status"), default=Status.CONCEPT
    )
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assessor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None]
    decision_due: Mapped[date | None]
    decided_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    # Optimistic locking: every UPDATE checks and bumps it (SQLAlchemy version_id_col);
    # workflows also compare it with the version the user's form was built on.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    overdue_reminder_sent_at: Mapped[datetime | None]
    # The wizard step the provider last saved, so coming back resumes there.
    wizard_step: Mapped[int] = mapped_column(default=1, server_default="1")
    # Set for a re-confirmation (herbevestiging) of an admitted partner: then only the
    # round's new or changed requirements are asked (see applicable_requirements).
    round_id: Mapped[int | None] = mapped_column(ForeignKey("reconfirmation_rounds.id"))
    # A draft moved to a newly published catalogue version (``workflow.move_drafts``): the
    # version it came from, when, and the codes of the new or changed requirements it asks
    # (again), comma-separated; the dashboard and the wizard point them out.
    moved_from_version_id: Mapped[int | None] = mapped_column(ForeignKey("catalogue_versions.id"))
    moved_at: Mapped[datetime | None]
    moved_codes: Mapped[str | None] = mapped_column(String(1000))

    __mapper_args__ = {"version_id_col": version}

    organisation: Mapped[Organisation] = relationship()
    procedure: Mapped[Procedure] = relationship()
    catalogue_version: Mapped[CatalogueVersion] = relationship(foreign_keys=[catalogue_version_id])
    moved_from_version: Mapped[CatalogueVersion | None] = relationship(
        foreign_keys=[moved_from_version_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    assessor: Mapped[User | None] = relationship(foreign_keys=[assessor_id])
    categories: Mapped[list[Category]] = relationship(
        secondary=application_categories, order_by="Category.position"
    )
    answers: Mapped[list[Answer]] = relationship(
        back_populates="application", cascade="all, delete-orphan"
    )
    round: Mapped[ReconfirmationRound | None] = relationship(  # noqa: F821 - partners.models
        "ReconfirmationRound")

    @property
    def is_editable(self) -> bool:
        return self.status == Status.CONCEPT

    @property
    def category_ids(self) -> set[int]:
        return {c.id for c in self.categories}

    @property
    def is_reconfirmation(self) -> bool:
        return self.round_id is not None

    @property
    def moved_code_set(self) -> set[str]:
        """The codes (lower case) of the requirements to answer (again) after a move."""
        return {c.strip().lower() for c in (self.moved_codes or "").split(",") if c.strip()}

    def applicable_requirements(self) -> list[Requirement]:
        ids = self.category_ids
        requirements = [r for r in self.catalogue_version.requirements if r.applies_to(ids)]
        if self.round_id is not None:  # a herbevestiging: only the new or changed ones
            codes = self.round.code_set
            requirements = [r for r in requirements if r.code.lower() in codes]
        return requirements

    def answers_by_requirement(self) -> dict[int, Answer]:
        return {a.requirement_id: a for a in self.answers}


class Answer(db.Model):
    """The provider's answer to one requirement in one application."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("application_id", "requirement_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE")
    )
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirements.id"), index=True)
    declared: Mapped[bool | None]
    identifier_value: Mapped[str | None] = mapped_column(String(8))
    number_value: Mapped[int | None]
    amount_value: Mapped[int | None] = mapped_column(BigInteger)
    text_value: Mapped[str | None] = mapped_column(Text)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    evidence_valid_until: Mapped[date | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    application: Mapped[Application] = relationship(back_populates="answers")
    requirement: Mapped[Requirement] = relationship()
    document: Mapped[Document | None] = relationship()

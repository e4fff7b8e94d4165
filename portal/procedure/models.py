"""The open house itself: region, procedure, categories, products, requirements."""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from flask import current_app
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
    select,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import contentversion
from ..extensions import db
from ..timeutil import utcnow


class Region(db.Model):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    municipalities: Mapped[str] = mapped_column(Text, default="")

    procedures: Mapped[list[Procedure]] = relationship(back_populates="region")


class Procedure(db.Model):
    __tablename__ = "procedures"
    __table_args__ = (
        CheckConstraint("term_end > term_start", name="term_order"),
        CheckConstraint("extension_options >= 0", name="extension_options_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    term_start: Mapped[date]
    term_end: Mapped[date]
    extension_options: Mapped[int] = mapped_column(default=2)
    extension_months: Mapped[int] = mapped_column(default=12)
    decision_period_weeks: Mapped[int] = mapped_column(default=8)
    completion_working_days: Mapped[int] = mapped_column(default=10, server_default="10")
    is_open: Mapped[bool] = mapped_column(default=True)
    reference: Mapped[str | None] = mapped_column(String(60))
    closed_notice: Mapped[str | None] = mapped_column(Text)  # shown while applications are closed
    reopens_on: Mapped[date | None]
    notice_months: Mapped[int] = mapped_column(default=3, server_default="3")  # partner's own end
    # Optimistic locking (version_id_col): saving a row that someone else saved since it
    # was read fails (StaleDataError, answered as a conflict): no update is lost.
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}

    region: Mapped[Region] = relationship(back_populates="procedures")
    categories: Mapped[list[Category]] = relationship(
        back_populates="procedure", order_by="Category.position"
    )
    catalogue_versions: Mapped[list[CatalogueVersion]] = relationship(
        back_populates="procedure", order_by="CatalogueVersion.number"
    )

    extensions: Mapped[list[ExtensionExercise]] = relationship(
        back_populates="procedure", order_by="ExtensionExercise.number"
    )

    @property
    def latest_possible_end(self) -> date:
        return add_months(self.term_end, self.extension_options * self.extension_months)

    @property
    def current_end(self) -> date:
        """The term end moved by every extension option exercised."""
        return add_months(self.term_end, sum(e.months for e in self.extensions))

    @property
    def options_left(self) -> int:
        return self.extension_options - len(self.extensions)


class Category(db.Model):
    __tablename__ = "categories"
    __table_args__ = (
        UniqueConstraint("procedure_id", "code"),
        # Lists ordered by category first (the capacity overview) walk the categories in
        # this index and each category's rows in theirs, with no sort of all rows.
        Index("ix_categories_position", "position", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    # A deactivated category accepts no new applications; its admissions stay.
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Optimistic locking (version_id_col): saving a row that someone else saved since it
    # was read fails (StaleDataError, answered as a conflict): no update is lost.
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}

    procedure: Mapped[Procedure] = relationship(back_populates="categories")


class Product(db.Model):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("procedure_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"), index=True)
    code: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40), default="etmaal")
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Optimistic locking (version_id_col): saving a row that someone else saved since it
    # was read fails (StaleDataError, answered as a conflict): no update is lost.
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}

    category: Mapped[Category | None] = relationship()
    tariffs: Mapped[list[Tariff]] = relationship(back_populates="product", order_by="Tariff.year")


class Tariff(db.Model):
    """The price per unit of a product in one calendar year (P×Q); exact to the cent."""

    __tablename__ = "tariffs"
    __table_args__ = (
        UniqueConstraint("product_id", "year"),
        CheckConstraint("price >= 0", name="price_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    year: Mapped[int]
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2, asdecimal=True))
    published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Optimistic locking (version_id_col): saving a row that someone else saved since it
    # was read fails (StaleDataError, answered as a conflict): no update is lost.
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}

    product: Mapped[Product] = relationship(back_populates="tariffs")


class CatalogueVersion(db.Model):
    """A published, immutable version of the requirement catalogue."""

    __tablename__ = "catalogue_versions"
    __table_args__ = (UniqueConstraint("procedure_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"), index=True)
    number: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    # Optimistic locking (version_id_col): saving a row that someone else saved since it
    # was read fails (StaleDataError, answered as a conflict): no update is lost.
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}

    procedure: Mapped[Procedure] = relationship(back_populates="catalogue_versions")
    requirements: Mapped[list[Requirement]] = relationship(
        back_populates="version", order_by="Requirement.position"
    )


requirement_categories = Table(
    "requirement_categories",
    db.metadata,
    Column("requirement_id", ForeignKey("requirements.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
)


class Evidence(str, enum.Enum):
    NONE = "none"
    OPTIONAL = "optional"  # "PDF where applicable"
    REQUIRED = "required"


class Identifier(str, enum.Enum):
    NONE = "none"
    KVK = "kvk"
    AGB = "agb"


class Requirement(db.Model):
    """One minimum requirement (eis); general when it has no categories."""

    __tablename__ = "requirements"
    __table_args__ = (
        UniqueConstraint("version_id", "code"),
        CheckConstraint(
            "number_min IS NULL OR number_max IS NULL OR number_min <= number_max",
            name="number_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("catalogue_versions.id"), index=True)
    code: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(300))
    help_text: Mapped[str] = mapped_column(Text, default="")
    assessment_guidance: Mapped[str] = mapped_column(Text, default="", server_default="")
    position: Mapped[int] = mapped_column(default=0)
    knockout: Mapped[bool] = mapped_column(default=True)
    is_general: Mapped[bool] = mapped_column(default=True)

    # How the requirement is answered; any combination.
    declaration_text: Mapped[str | None] = mapped_column(Text)  # None: no declaration
    identifier: Mapped[Identifier] = mapped_column(
        Enum(Identifier, name="requirement_identifier"), default=Identifier.NONE
    )
    number_label: Mapped[str | None] = mapped_column(String(200))  # None: no number
    number_min: Mapped[int | None]
    number_max: Mapped[int | None]
    text_label: Mapped[str | None] = mapped_column(String(200))  # None: no text
    evidence: Mapped[Evidence] = mapped_column(
        Enum(Evidence, name="requirement_evidence"), default=Evidence.NONE
    )
    evidence_label: Mapped[str | None] = mapped_column(String(200))
    evidence_expires: Mapped[bool] = mapped_column(default=False)
    evidence_allows_images: Mapped[bool] = mapped_column(default=False)
    amount_label: Mapped[str | None] = mapped_column(String(200))  # e.g. insured sum
    amount_min: Mapped[int | None]
    # Optimistic locking (version_id_col): saving a row that someone else saved since it
    # was read fails (StaleDataError, answered as a conflict): no update is lost.
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}

    version: Mapped[CatalogueVersion] = relationship(back_populates="requirements")
    categories: Mapped[list[Category]] = relationship(
        secondary=requirement_categories, order_by="Category.position"
    )

    @property
    def asks_declaration(self) -> bool:
        return bool(self.declaration_text)

    @property
    def asks_number(self) -> bool:
        return bool(self.number_label)

    @property
    def asks_text(self) -> bool:
        return bool(self.text_label)

    @property
    def asks_amount(self) -> bool:
        return bool(self.amount_label)

    @property
    def asks_evidence(self) -> bool:
        return self.evidence != Evidence.NONE

    def category_ids(self) -> frozenset[int]:
        """The ids of its categories: as ``with_category_ids`` found them, else from the
        relationship."""
        known = self.__dict__.get("_category_ids")
        return known if known is not None else frozenset(c.id for c in self.categories)

    def applies_to(self, category_ids: set[int]) -> bool:
        return self.is_general or not self.category_ids().isdisjoint(category_ids)


PUBLISHED_CATEGORY_IDS = "portal_published_category_ids"


def with_category_ids(requirements, *, published: CatalogueVersion | None = None) -> None:
    """Find the category ids of ``requirements`` in one read of the link table and keep them
    on each (``Requirement.category_ids``): a page that only asks which categories a
    requirement applies to needs no Category objects per requirement, whose loading cost
    an application's pages half a millisecond. A requirement's categories change only in a
    draft catalogue version, which no application uses.

    ``published``: the version the requirements belong to; when it is published its
    requirements' categories can no longer change, and what was read is kept for the
    application (per worker) and not read again."""
    requirements = list(requirements)
    if not requirements:
        return
    kept = None
    if published is not None and published.published_at is not None:
        kept = current_app.extensions.setdefault(PUBLISHED_CATEGORY_IDS, {})
        found = kept.get(published.id)
        if found is not None and all(r.id in found for r in requirements):
            for requirement in requirements:
                requirement._category_ids = found[requirement.id]
            return
    read: dict[int, set[int]] = {r.id: set() for r in requirements}
    for requirement_id, category_id in db.session.execute(
            select(requirement_categories.c.requirement_id, requirement_categories.c.category_id)
            .where(requirement_categories.c.requirement_id.in_(list(read)))):
        read[requirement_id].add(category_id)
    found = {requirement_id: frozenset(ids) for requirement_id, ids in read.items()}
    for requirement in requirements:
        requirement._category_ids = found[requirement.id]
    if kept is not None:
        if len(kept) >= 64:  # a few versions are in use at a time
            kept.clear()
        kept[published.id] = {**kept.get(published.id, {}), **found}


class Question(db.Model):
    """A provider's question about the procedure (vragen / nota van inlichtingen).

    The region answers the asker, and may publish an anonymised version of the question
    and its answer on the public Q&A page."""

    __tablename__ = "questions"
    __table_args__ = (
        Index("ix_questions_procedure_published", "procedure_id", "published_at"),
        Index("ix_questions_procedure_asked", "procedure_id", "asked_at"),
        # The administrators' list: its two parts (open, answered), each counted and paged
        # in its order from an index of its own rows.
        Index("ix_questions_open", "procedure_id", "asked_at", "id",
              sqlite_where=text("answered_at IS NULL"),
              postgresql_where=text("answered_at IS NULL")),
        Index("ix_questions_answered", "procedure_id", "asked_at", "id",
              sqlite_where=text("answered_at IS NOT NULL"),
              postgresql_where=text("answered_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    asked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None]
    # The anonymised texts shown publicly once published.
    public_question: Mapped[str | None] = mapped_column(Text)
    public_answer: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None]


class ProcedureDocument(db.Model):
    """A public document of the procedure (the admission document, the model agreement)."""

    __tablename__ = "procedure_documents"
    __table_args__ = (UniqueConstraint("procedure_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"))
    kind: Mapped[str] = mapped_column(String(40))  # toelatingsdocument, modelovereenkomst
    title: Mapped[str] = mapped_column(String(200))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    document: Mapped[Document] = relationship()  # noqa: F821 - applications.models


class ExtensionExercise(db.Model):
    """A verlengingsoptie exercised: it moves the procedure's end date."""

    __tablename__ = "extension_exercises"
    __table_args__ = (UniqueConstraint("procedure_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"))
    number: Mapped[int]  # 1, 2, ...
    months: Mapped[int]
    rationale: Mapped[str] = mapped_column(Text)
    exercised_on: Mapped[date]
    exercised_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    procedure: Mapped[Procedure] = relationship(back_populates="extensions")


# What the public pages of the procedure show (its home, requirements and tariffs) and its
# published questions: their versions key those pages' kept renderings (portal.pagecache).
PROCEDURE_CONTENT, PUBLIC_QUESTIONS = "procedure", "questions"
contentversion.watch(PROCEDURE_CONTENT, Region, Procedure, Category, CatalogueVersion,
                     Requirement, Product, Tariff, ProcedureDocument, ExtensionExercise,
                     tables=("requirement_categories",))
contentversion.watch(PUBLIC_QUESTIONS, Question)


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months (the last day of a month stays the last day)."""
    import calendar

    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    was_last = day.day == calendar.monthrange(day.year, day.month)[1]
    return date(year, month, last if was_last else min(day.day, last))

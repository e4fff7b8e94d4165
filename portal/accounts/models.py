"""Users, organisations and roles."""
from __future__ import annotations

import enum
from datetime import date, datetime
from functools import cache

from flask_login import UserMixin
from sqlalchemy import (
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    bindparam,
    false,
    func,
    select,
    text,
)
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow


class Role(str, enum.Enum):
    PROVIDER = "provider"  # aanbieder (user of an organisation)
    ASSESSOR = "assessor"  # beoordelaar
    ADMIN = "admin"  # contractbeheerder
    # verwijzer: a referrer of a sociaal wijkteam or municipality; sees current capacity
    # (placement coordination), nothing of assessment or administration.
    REFERRER = "referrer"

    @property
    def label(self) -> str:
        return {"provider": "aanbieder", "assessor": "beoordelaar", "admin": "contractbeheerder",
                "referrer": "verwijzer"}[self.value]


class OrgRole(str, enum.Enum):
    BEHEERDER = "beheerder"
    MEDEWERKER = "medewerker"


class Organisation(db.Model):
    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint("length(kvk_number) = 8", name="kvk_length"),
        # "niet compliant" is one range condition on this index (evidence_valid_until <
        # today); organisations without tracked evidence (NULL) stay out of it.
        Index("ix_organisations_evidence_valid_until", "evidence_valid_until",
              sqlite_where=text("evidence_valid_until IS NOT NULL"),
              postgresql_where=text("evidence_valid_until IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    kvk_number: Mapped[str] = mapped_column(String(8), unique=True)
    agb_code: Mapped[str | None] = mapped_column(String(8))
    street: Mapped[str] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(7))
    city: Mapped[str] = mapped_column(String(100))
    contact_email: Mapped[str] = mapped_column(String(254))
    website: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The earliest validity date of the organisation's current tracked evidence (None:
    # nothing tracked), kept by partners.compliance.refresh_evidence_date in every workflow
    # that changes those documents. The partner is niet compliant once it lies before today.
    evidence_valid_until: Mapped[date | None]
    # Optimistic locking (version_id_col): a save that meets someone else's save of the same
    # organisation fails instead of overwriting it (the edit form also carries it).
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}

    users: Mapped[list[User]] = relationship(back_populates="organisation")

    def __repr__(self) -> str:
        return f"<Organisation {self.kvk_number} {self.name}>"


# The queue's search by name: a trigram index on PostgreSQL (pg_trgm: any part of the name),
# a plain index on lower(name) on SQLite (the start of the name). See accounts.search.
Index("ix_organisations_name_search", func.lower(Organisation.name).label("name_lower"),
      postgresql_using="gin", postgresql_ops={"name_lower": "gin_trgm_ops"})
# The register's place filter (equality) and, on PostgreSQL, its search (any part of the
# place); on SQLite the search reads the full-text index (accounts.search.FTS_TABLE).
Index("ix_organisations_city_search", func.lower(Organisation.city).label("city_key"),
      postgresql_using="gin", postgresql_ops={"city_key": "gin_trgm_ops"})


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "(role = 'PROVIDER' AND organisation_id IS NOT NULL AND org_role IS NOT NULL)"
            " OR (role <> 'PROVIDER' AND organisation_id IS NULL)",
            name="provider_has_organisation",
        ),
        # The staff list: its filter (role, active) and its order (name) on one index.
        Index("ix_users_role_active_name", "role", "is_active_account", "full_name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(Enum(Role, name="user_role"))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    org_role: Mapped[OrgRole | None] = mapped_column(Enum(OrgRole, name="org_role"))
    email_confirmed_at: Mapped[datetime | None]
    is_active_account: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # A referrer's sociaal wijkteam or municipality (verwijzer only).
    affiliation: Mapped[str | None] = mapped_column(String(200))
    # Opted in to a mail when new questions and answers (nota van inlichtingen) are published.
    qa_notifications: Mapped[bool] = mapped_column(default=False, server_default=false())

    # Every session stores the version it started at; a logout, a new password, a reset
    # second factor or a deactivation raises it, and every older session ends.
    session_version: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # The second factor (TOTP, RFC 6238): the base32 secret once enrolled, when, and the
    # last time step accepted (a code is accepted once).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None]
    # A secret shown for enrolment, kept until a code made with it confirms it.
    totp_pending_secret: Mapped[str | None] = mapped_column(String(64))

    organisation: Mapped[Organisation | None] = relationship(back_populates="users")
    recovery_codes: Mapped[list[RecoveryCode]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True)

    @property
    def has_second_factor(self) -> bool:
        return self.totp_secret is not None and self.totp_enabled_at is not None

    # Flask-Login
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.is_active_account

    @property
    def is_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def is_provider(self) -> bool:
        return self.role == Role.PROVIDER

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.ASSESSOR, Role.ADMIN)

    @property
    def is_assessor(self) -> bool:
        # Administrators may assess too (small regions); assessors cannot administer.
        return self.role in (Role.ASSESSOR, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_referrer(self) -> bool:
        return self.role == Role.REFERRER

    @property
    def can_see_capacity(self) -> bool:
        """Current free places (placement coordination): the region's staff and referrers."""
        return self.role in (Role.ASSESSOR, Role.ADMIN, Role.REFERRER)

    @property
    def is_org_beheerder(self) -> bool:
        return self.role == Role.PROVIDER and self.org_role == OrgRole.BEHEERDER

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role.value}>"


class Invitation(db.Model):
    """A colleague invited to an organisation; the signed link is valid once."""

    __tablename__ = "invitations"
    __table_args__ = (Index("ix_invitations_org_created", "organisation_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    email: Mapped[str] = mapped_column(String(254), index=True)
    org_role: Mapped[OrgRole] = mapped_column(Enum(OrgRole, name="org_role"))
    nonce: Mapped[str] = mapped_column(String(32), unique=True)
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship()
    invited_by: Mapped[User] = relationship()

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None


class RecoveryCode(db.Model):
    """One of a user's single-use recovery codes (for a lost device), stored hashed."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="recovery_codes")


class AccountThrottle(db.Model):
    """Failed attempts per account (login, second-factor code, reset request), whatever
    address they come from. ``key`` is a keyed hash of the e-mail address or user id: an
    address without an account is throttled the same way, and not stored in clear."""

    __tablename__ = "account_throttles"
    __table_args__ = (UniqueConstraint("kind", "key", name="uq_account_throttles_kind_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime]


@cache
def _signed_in_statement():
    return (select(User).where(User.id == bindparam("signed_in_user_id"))
            .options(joinedload(User.organisation)))


def load_signed_in(user_id: int) -> User | None:
    """The signed-in user of a request, with the organisation every page's header names, in
    one statement built once (``session.get`` with the eager-loading option built its query
    on every request: a third of the user's loading time)."""
    return db.session.scalar(_signed_in_statement(), {"signed_in_user_id": user_id})

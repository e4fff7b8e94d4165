"""Evidence that expires: which documents are tracked per partner, whether the partner is
compliant (nalevend), the expiry mails of the daily run, and the review of new versions.

A partner's *tracked documents* are
- the documents attached to the answers of its decided applications (status besloten) that
  have a validity date (the document's ``valid_until``, else the answer's
  ``evidence_valid_until``), and
- the new documents of its accepted replacements (``EvidenceReview`` with status accepted),
  with their own ``valid_until``,
leaving out every document that an accepted replacement has superseded. A partner is *niet
compliant* when one of those current tracked documents has expired (its validity date lies
before today). Every rule here is one SQL condition, so that a list of partners can show
the state of every row in one statement.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import exists, func, or_, select, union_all
from sqlalchemy.orm import aliased

from ..applications.models import Answer, Application, Document, Status
from ..extensions import db
from ..timeutil import today_local
from .models import EvidenceReview

PENDING, ACCEPTED, REJECTED = "pending", "accepted", "rejected"
REVIEW_LABELS = {PENDING: "in beoordeling", ACCEPTED: "geaccepteerd", REJECTED: "afgewezen"}


# --- SQL building blocks --------------------------------------------------------------------

def superseded(document_id):
    """SQL condition: an accepted replacement of this document exists."""
    review = aliased(EvidenceReview)
    return exists().where(review.replaces_document_id == document_id, review.status == ACCEPTED)


def _original_until():
    return func.coalesce(Document.valid_until, Answer.evidence_valid_until)


def _original_rows():
    """(organisation_id, document_id, valid_until) of the documents of decided answers."""
    until = _original_until()
    return (select(Application.organisation_id.label("organisation_id"),
                   Document.id.label("document_id"), until.label("valid_until"))
            .select_from(Answer)
            .join(Application, Application.id == Answer.application_id)
            .join(Document, Document.id == Answer.document_id)
            .where(Application.status == Status.BESLOTEN, until.is_not(None),
                   ~superseded(Document.id)))


def _replacement_rows():
    """(organisation_id, document_id, valid_until) of the accepted new versions."""
    return (select(EvidenceReview.organisation_id.label("organisation_id"),
                   Document.id.label("document_id"), Document.valid_until.label("valid_until"))
            .select_from(EvidenceReview)
            .join(Document, Document.id == EvidenceReview.document_id)
            .where(EvidenceReview.status == ACCEPTED, Document.valid_until.is_not(None),
                   ~superseded(Document.id)))


def tracked_rows(organisation_id=None):
    """A subquery of the current tracked documents: organisation_id, document_id and
    valid_until (one row per answer or review, so a document may appear more than once;
    group by document and take the earliest date)."""
    original, replacement = _original_rows(), _replacement_rows()
    if organisation_id is not None:
        original = original.where(Application.organisation_id == organisation_id)
        replacement = replacement.where(EvidenceReview.organisation_id == organisation_id)
    return union_all(original, replacement).subquery("tracked")


def expired_exists(organisation_id, today: date):
    """SQL condition: the organisation (a column or a value) has a current tracked document
    whose validity date lies before ``today``; the partner is then niet compliant."""
    until = _original_until()
    original = exists().where(
        Answer.application_id == Application.id, Document.id == Answer.document_id,
        Application.organisation_id == organisation_id, Application.status == Status.BESLOTEN,
        until < today, ~superseded(Document.id))
    replacement = exists().where(
        Document.id == EvidenceReview.document_id,
        EvidenceReview.organisation_id == organisation_id, EvidenceReview.status == ACCEPTED,
        Document.valid_until < today, ~superseded(Document.id))
    return or_(original, replacement)


def is_compliant(organisation_id, today: date):
    """SQL condition: the opposite of ``expired_exists``."""
    return ~expired_exists(organisation_id, today)


# --- per organisation -----------------------------------------------------------------------

@dataclass
class ComplianceStatus:
    organisation_id: int
    today: date
    expired: list[Document] = field(default_factory=list)

    @property
    def compliant(self) -> bool:
        return not self.expired

    @property
    def label(self) -> str:
        return "compliant" if self.compliant else "niet compliant"


def tracked_dates(organisation_id: int) -> dict[int, date]:
    """document id -> validity date of the organisation's current tracked documents."""
    rows = tracked_rows(organisation_id)
    return dict(db.session.execute(
        select(rows.c.document_id, func.min(rows.c.valid_until)).group_by(rows.c.document_id)).all())


def compliance_status(organisation_id: int, today: date | None = None) -> ComplianceStatus:
    """Is the organisation compliant on ``today``? ``.expired`` lists its current tracked
    documents that have expired without an accepted, valid replacement (oldest first)."""
    today = today or today_local()
    rows = tracked_rows(organisation_id)
    expired = select(rows.c.document_id, func.min(rows.c.valid_until).label("until")) \
        .group_by(rows.c.document_id).having(func.min(rows.c.valid_until) < today).subquery()
    documents = db.session.scalars(
        select(Document).join(expired, expired.c.document_id == Document.id)
        .order_by(expired.c.until, Document.id)).all()
    return ComplianceStatus(organisation_id=organisation_id, today=today,
                            expired=list(documents))


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
before today).

The earliest validity date of an organisation's tracked documents is kept on the
organisation (``organisations.evidence_valid_until``, by ``refresh_evidence_date``), so that
"niet compliant" is one indexed range condition (``not_compliant``) however many partners
and documents there are; the per-document detail (``compliance_status``,
``tracked_documents``) is computed from the documents themselves.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

from sqlalchemy import bindparam, event, exists, func, or_, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, object_session

from .. import audit, notifications
from ..accounts.models import Organisation, Role, User
from ..applications.models import Answer, Application, Document, Status
from ..auth import require_role
from ..errors import DomainError, NotPermitted, TransitionNotAllowed, ValidationFailed
from ..extensions import db
from ..i18n import N_
from ..i18n import gettext as _
from ..procedure.models import Requirement
from ..timeutil import today_local, utcnow
from .models import LIVE_ADMISSION, Admission, EvidenceReview, ExpiryNotice, ReviewStatus

PENDING, ACCEPTED, REJECTED = ReviewStatus.PENDING, ReviewStatus.ACCEPTED, ReviewStatus.REJECTED
REVIEW_LABELS = {status: status.label for status in ReviewStatus}
# The review's state machine: a new version is reviewed once.
REVIEW_TRANSITIONS: dict[ReviewStatus, frozenset[ReviewStatus]] = {
    PENDING: frozenset({ACCEPTED, REJECTED}),
    ACCEPTED: frozenset(),
    REJECTED: frozenset(),
}
ALREADY_REVIEWED = N_("Deze nieuwe versie is al beoordeeld. U ziet nu de actuele stand.")
MOMENTS = (60, 30, 7, 0)  # expiry mails: days before the validity date; 0 is the day itself
REASON_MAX = 2000
NOT_VALID_AFTER_TODAY = N_("De nieuwe versie moet na vandaag nog geldig zijn. Vul de datum in tot "
                           "wanneer zij geldig is.")


# --- SQL building blocks --------------------------------------------------------------------

# Made once: an alias built per call costs SQLAlchemy about a millisecond to adapt its columns.
_REPLACEMENT = aliased(EvidenceReview, name="replacement")


def superseded(document_id):
    """SQL condition: an accepted replacement of this document exists."""
    return exists().where(_REPLACEMENT.replaces_document_id == document_id,
                          _REPLACEMENT.status == ACCEPTED)


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


def earliest_until(organisation_id: int):
    """SQL scalar: the earliest validity date of the organisation's current tracked
    documents; NULL when it has none."""
    rows = tracked_rows(organisation_id)
    return select(func.min(rows.c.valid_until)).scalar_subquery()


def refresh_evidence_date(organisation_id: int, session=None) -> None:
    """Store the earliest validity date of the organisation's current tracked documents on
    the organisation (``evidence_valid_until``). Every workflow that changes what
    ``tracked_rows`` returns for it calls this in the same transaction: a decision that
    becomes final (its application is then besloten), an accepted new version, and a
    document whose validity date changes (noted below, whoever changes it). Submitting or
    rejecting a new version changes nothing tracked (only accepted versions count), and
    neither does time passing: the date is compared with today when it is read."""
    (session or db.session).execute(
        update(Organisation).where(Organisation.id == organisation_id)
        .values(evidence_valid_until=earliest_until(organisation_id))
        .execution_options(synchronize_session="fetch"))


# A document's validity date also changes outside this part: a provider dates the document
# of an answer, or uploads the same file again with a later date. Those parts know nothing
# of tracked evidence; the change is noted here and the organisation's stored date follows
# it when the session flushes, in the same transaction.
_DATED_ORGANISATIONS = "portal_dated_organisations"


@event.listens_for(Document.valid_until, "set")
def _note_validity_change(document, value, old_value, _initiator) -> None:
    session = object_session(document)
    if value != old_value and session is not None and document.organisation_id is not None:
        session.info.setdefault(_DATED_ORGANISATIONS, set()).add(document.organisation_id)


@event.listens_for(Session, "after_flush_postexec")
def _refresh_dated_organisations(session, _context) -> None:
    for organisation_id in sorted(session.info.pop(_DATED_ORGANISATIONS, ())):
        refresh_evidence_date(organisation_id, session)


def not_compliant(today: date):
    """SQL condition on Organisation: niet compliant on ``today`` (a tracked document has
    expired). An indexed range condition on the kept date."""
    return Organisation.evidence_valid_until < today


def is_compliant_on(organisation: Organisation, today: date) -> bool:
    """``not_compliant`` for a loaded organisation."""
    until = organisation.evidence_valid_until
    return until is None or until >= today


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


@cache
def _tracked_dates_statement():
    """Built once with the organisation as a parameter: building the union of two joined
    selects anew was a fifth of the provider's evidence page."""
    rows = tracked_rows(bindparam("tracked_organisation_id"))
    return select(rows.c.document_id, func.min(rows.c.valid_until)).group_by(rows.c.document_id)


def tracked_dates(organisation_id: int) -> dict[int, date]:
    """document id -> validity date of the organisation's current tracked documents."""
    return dict(db.session.execute(_tracked_dates_statement(),
                                   {"tracked_organisation_id": organisation_id}).all())


def compliance_status(organisation_id: int, today: date | None = None) -> ComplianceStatus:
    """Is the organisation compliant on ``today``? ``.expired`` lists its current tracked
    documents that have expired without an accepted, valid replacement (oldest first)."""
    today = today or today_local()
    documents = db.session.scalars(_expired_statement(), {
        "tracked_organisation_id": organisation_id, "tracked_today": today}).all()
    return ComplianceStatus(organisation_id=organisation_id, today=today,
                            expired=list(documents))


@cache
def _expired_statement():
    """Built once, the organisation and the day parameters (see _tracked_dates_statement)."""
    rows = tracked_rows(bindparam("tracked_organisation_id"))
    expired = select(rows.c.document_id, func.min(rows.c.valid_until).label("until")) \
        .group_by(rows.c.document_id) \
        .having(func.min(rows.c.valid_until) < bindparam("tracked_today")).subquery()
    return (select(Document).join(expired, expired.c.document_id == Document.id)
            .order_by(expired.c.until, Document.id))



# --- what each tracked document is ------------------------------------------------------------

@dataclass
class TrackedDocument:
    document: Document
    valid_until: date
    subjects: list[str]  # the requirements it is evidence for, e.g. "A8 Verzekering"
    pending: EvidenceReview | None = None

    def days_left(self, today: date) -> int:
        return (self.valid_until - today).days

    def state(self, today: date) -> str:
        """verlopen, verloopt binnenkort (within the first mail's 60 days) or geldig."""
        if self.valid_until < today:
            return "verlopen"
        if self.valid_until <= today + timedelta(days=MOMENTS[0]):
            return "verloopt binnenkort"
        return "geldig"


def subjects_of(organisation_id: int, document_ids) -> dict[int, list[str]]:
    """document id -> the requirements (code and title) it is evidence for: the answers of
    decided applications it is attached to, and for a new version those of the documents
    it replaced (followed back along accepted replacements)."""
    by_document: dict[int, list[str]] = {}
    for doc_id, code, title in db.session.execute(
            select(Answer.document_id, Requirement.code, Requirement.title)
            .join(Application, Application.id == Answer.application_id)
            .join(Requirement, Requirement.id == Answer.requirement_id)
            .where(Application.organisation_id == organisation_id,
                   Application.status == Status.BESLOTEN, Answer.document_id.is_not(None))
            .order_by(Requirement.code)):
        label = f"{code} {title}"
        if label not in by_document.setdefault(doc_id, []):
            by_document[doc_id].append(label)
    replaced: dict[int, list[int]] = {}
    for new_id, old_id in db.session.execute(
            select(EvidenceReview.document_id, EvidenceReview.replaces_document_id)
            .where(EvidenceReview.organisation_id == organisation_id,
                   EvidenceReview.status == ACCEPTED,
                   EvidenceReview.replaces_document_id.is_not(None))):
        replaced.setdefault(new_id, []).append(old_id)

    def resolve(doc_id: int, seen: set[int]) -> list[str]:
        labels = list(by_document.get(doc_id, []))
        for old_id in replaced.get(doc_id, []):
            if old_id not in seen:
                labels += [x for x in resolve(old_id, seen | {old_id}) if x not in labels]
        return labels

    return {doc_id: resolve(doc_id, {doc_id}) for doc_id in document_ids}


def tracked_documents(organisation_id: int) -> list[TrackedDocument]:
    """The organisation's current tracked documents, first to expire first, each with the
    requirements it is evidence for and its pending new version, if any."""
    dates = tracked_dates(organisation_id)
    if not dates:
        return []
    documents = {d.id: d for d in db.session.scalars(
        select(Document).where(Document.id.in_(dates)))}
    pending = {r.replaces_document_id: r for r in db.session.scalars(
        select(EvidenceReview).where(EvidenceReview.organisation_id == organisation_id,
                                     EvidenceReview.status == PENDING,
                                     EvidenceReview.replaces_document_id.in_(dates)))}
    subjects = subjects_of(organisation_id, dates)
    items = [TrackedDocument(documents[i], until, subjects.get(i, []), pending.get(i))
             for i, until in dates.items()]
    return sorted(items, key=lambda t: (t.valid_until, t.document.id))


# --- the expiry mails -------------------------------------------------------------------------

def moment_due(valid_until: date, today: date) -> int | None:
    """The most recent moment that is due on ``today`` for a document valid until
    ``valid_until``: the smallest number of days before of which the day has come (plain date
    arithmetic, so 60 days before 29 February 2028 is 31 December 2027). None when even
    the first moment lies ahead. After the validity date the day itself (0) stays due."""
    for days_before in sorted(MOMENTS):
        if valid_until - timedelta(days=days_before) <= today:
            return days_before
    return None


def administrator_addresses() -> list[str]:
    return list(db.session.scalars(
        select(User.email).where(User.role == Role.ADMIN, User.is_active_account.is_(True))
        .order_by(User.id)))


def _candidates(today: date) -> list[tuple[int, int, date]]:
    """(document id, organisation id, validity date) of the current tracked documents of
    partners (organisations with a live admission) that reach a moment by ``today`` and
    did not have their last mail yet."""
    rows = tracked_rows()
    live = exists().where(Admission.organisation_id == rows.c.organisation_id,
                          Admission.status.in_(LIVE_ADMISSION))
    last_sent = exists().where(ExpiryNotice.document_id == rows.c.document_id,
                               ExpiryNotice.days_before == 0)
    until = func.min(rows.c.valid_until)
    return [tuple(r) for r in db.session.execute(
        select(rows.c.document_id, rows.c.organisation_id, until)
        .where(live, ~last_sent)
        .group_by(rows.c.document_id, rows.c.organisation_id)
        .having(until <= today + timedelta(days=MOMENTS[0]))
        .order_by(rows.c.document_id))]


def _sent_moments(document_ids: list[int]) -> dict[int, set[int]]:
    sent: dict[int, set[int]] = {}
    for start in range(0, len(document_ids), 500):
        chunk = document_ids[start:start + 500]
        for doc_id, days_before in db.session.execute(
                select(ExpiryNotice.document_id, ExpiryNotice.days_before)
                .where(ExpiryNotice.document_id.in_(chunk))):
            sent.setdefault(doc_id, set()).add(days_before)
    return sent


def send_expiry_notices(today: date | None = None) -> dict:
    """Mail the partner (contact address and beheerders) and the region (every active
    administrator) 60, 30 and 7 days before a tracked document's validity date and on the
    day itself. Each document and moment is mailed once (``ExpiryNotice``), and each
    document commits with its mails: a second run the same day, or a run after an
    interrupted one, sends nothing twice. A moment that was missed is sent only while it
    is still the most recent one due. Returns counts for the report."""
    from .workflow import partner_recipients

    today = today or today_local()
    report = {f"notices_{m}": 0 for m in MOMENTS}
    report.update(notices=0, mails=0)
    db.session.commit()  # each document gets a transaction of its own (nothing else lost)
    candidates = _candidates(today)
    sent = _sent_moments([c[0] for c in candidates])
    administrators = None
    for doc_id, organisation_id, until in candidates:
        days_before = moment_due(until, today)
        if days_before is None or any(m <= days_before for m in sent.get(doc_id, ())):
            continue  # not due yet, or this moment (or a later one) was mailed already
        # Claim the moment first: of two runs at the same time, only one inserts the row.
        db.session.add(ExpiryNotice(document_id=doc_id, days_before=days_before))
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            continue
        if administrators is None:
            administrators = administrator_addresses()
        document = db.session.get(Document, doc_id)
        organisation = db.session.get(Organisation, organisation_id)
        subjects = subjects_of(organisation_id, [doc_id])[doc_id]
        context = dict(document=document, valid_until=until, days_before=days_before,
                       days_left=(until - today).days, subjects=subjects)
        name = subjects[0] if subjects else document.original_name
        subject = _expiry_subject(name, until, today)
        mails = 0
        for recipient in partner_recipients(organisation):
            notifications.queue("expiry_partner", recipient, subject=subject,
                                organisation=organisation, **context)
            mails += 1
        for recipient in administrators:
            notifications.queue("expiry_region", recipient,
                                subject=f"{organisation.name}: {subject[0].lower()}{subject[1:]}",
                                partner=organisation, **context)
            mails += 1
        audit.record("expiry_notice_sent", document,
                     detail=f"{days_before} dagen vooraf; geldig tot {until.isoformat()}; "
                            f"{mails} e-mails")
        db.session.commit()
        report[f"notices_{days_before}"] += 1
        report["notices"] += 1
        report["mails"] += mails
    return report


def _expiry_subject(name: str, until: date, today: date) -> str:
    days_left = (until - today).days
    if days_left > 0:
        return f"Bewijsstuk verloopt over {days_left} dagen: {name}"
    if days_left == 0:
        return f"Bewijsstuk is vandaag voor het laatst geldig: {name}"
    return f"Bewijsstuk is verlopen: {name}"


def not_compliant_count(today: date | None = None) -> int:
    """How many partners (organisations with a live admission) are niet compliant."""
    today = today or today_local()
    live = exists().where(Admission.organisation_id == Organisation.id,
                          Admission.status.in_(LIVE_ADMISSION))
    return db.session.scalar(select(func.count()).select_from(Organisation).where(
        live, not_compliant(today))) or 0


def run_daily(today: date | None = None) -> dict:
    """The evidence part of `flask partners daily`: the expiry mails, and how many partners
    are niet compliant after them. Safe to run twice a day."""
    today = today or today_local()
    report = send_expiry_notices(today)
    report["not_compliant"] = not_compliant_count(today)
    db.session.commit()
    return report


# --- new versions and their review ------------------------------------------------------------

def _require_member(organisation_id: int, user: User) -> None:
    if not (user.is_provider and user.organisation_id == organisation_id):
        raise NotPermitted(_("Alleen gebruikers van de eigen organisatie kunnen een nieuwe versie "
                             "van een bewijsstuk uploaden."))


def _require_reviewer(user: User) -> None:
    require_role(user, "assessor", _("Alleen een beoordelaar of contractbeheerder kan een "
                                     "nieuwe versie van een bewijsstuk beoordelen."))


def pending_review_of(organisation_id: int, document_id: int) -> EvidenceReview | None:
    return db.session.scalar(select(EvidenceReview).where(
        EvidenceReview.organisation_id == organisation_id,
        EvidenceReview.replaces_document_id == document_id,
        EvidenceReview.status == PENDING).limit(1))


def _is_evidence(document_id: int) -> bool:
    """Has this document been evidence: in a decided application, or in an accepted
    replacement (either side)? Such a document's validity date is never changed."""
    in_answer = exists().where(Answer.document_id == document_id,
                               Answer.application_id == Application.id,
                               Application.status == Status.BESLOTEN)
    in_review = exists().where(
        EvidenceReview.status == ACCEPTED,
        or_(EvidenceReview.document_id == document_id,
            EvidenceReview.replaces_document_id == document_id))
    return bool(db.session.scalar(select(or_(in_answer, in_review))))


def submit_replacement(organisation: Organisation, document_id: int, file_storage,
                       valid_until: date | None, *, by: User,
                       today: date | None = None) -> EvidenceReview:
    """Nieuwe versie uploaden: the partner stores a new version of one of its tracked
    documents, with its validity date; an assessor reviews it (status pending)."""
    from ..files import UploadError, store_upload

    _require_member(organisation.id, by)
    today = today or today_local()
    if document_id not in tracked_dates(organisation.id):
        raise DomainError(_("Dit document is geen bewijsstuk met een geldigheidsdatum van uw "
                            "organisatie, of het is al vervangen."))
    if pending_review_of(organisation.id, document_id) is not None:
        raise DomainError(_("Er wacht al een nieuwe versie van dit document op beoordeling. U "
                            "krijgt bericht zodra de regio haar heeft beoordeeld."))
    errors = []
    if file_storage is None or not getattr(file_storage, "filename", ""):
        errors.append(("file", _("Kies het bestand met de nieuwe versie.")))
    if valid_until is None:
        errors.append(("valid_until", _("Vul in tot wanneer de nieuwe versie geldig is.")))
    elif valid_until <= today:
        errors.append(("valid_until", _(NOT_VALID_AFTER_TODAY)))
    if errors:
        raise ValidationFailed(errors)
    old = db.session.get(Document, document_id)
    newest = db.session.scalar(select(func.max(Document.id))) or 0
    try:
        document = store_upload(file_storage, organisation=organisation, by=by,
                                doc_type=old.doc_type)
    except UploadError as exc:
        raise ValidationFailed([("file", exc.message)]) from exc
    if document.id <= newest and (document.id == old.id or _is_evidence(document.id)):
        # The same file was stored before (files are stored once): it is not a new version.
        raise ValidationFailed([("file", _("Dit bestand ('%(name)s') is al "
                                           "eerder als bewijsstuk gebruikt. Upload de nieuwe "
                                           "versie van het document.",
                                           name=document.original_name))])
    document.valid_until = valid_until
    review = EvidenceReview(organisation_id=organisation.id, document_id=document.id,
                            replaces_document_id=old.id, status=PENDING,
                            submitted_by_id=by.id)
    db.session.add(review)
    db.session.flush()
    audit.record("evidence_submitted", review, actor=by, to_state=PENDING,
                 detail=f"document {document.id} vervangt {old.id}; geldig tot "
                        f"{valid_until.isoformat()}")
    return review


def _check_transition(review: EvidenceReview, new: ReviewStatus) -> None:
    if new not in REVIEW_TRANSITIONS[review.status]:
        raise TransitionNotAllowed(_(ALREADY_REVIEWED))


def _decide(review: EvidenceReview, new: ReviewStatus, *, by: User, reason: str | None) -> None:
    """The only place a review's status changes. Claims the review for this outcome in one
    statement (from the state the table allows it from): of two reviewers at the same
    time, only one succeeds; the other gets a clear message."""
    _check_transition(review, new)
    old = review.status
    claimed = db.session.execute(
        update(EvidenceReview)
        .where(EvidenceReview.id == review.id, EvidenceReview.status == old)
        .values(status=new, reviewed_at=utcnow(), reviewed_by_id=by.id, reason=reason)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise TransitionNotAllowed(_(ALREADY_REVIEWED))
    db.session.refresh(review)


def accept_replacement(review: EvidenceReview, *, by: User, today: date | None = None) -> None:
    """Accepteren: the new version replaces the old document; its own validity date is
    tracked from now on, and the partner is told."""
    _require_reviewer(by)
    today = today or today_local()
    _check_transition(review, ACCEPTED)
    document = db.session.get(Document, review.document_id)
    if document.valid_until is None or document.valid_until < today:
        raise DomainError(_("De nieuwe versie is zelf al verlopen. Wijs haar af en vermeld dat "
                            "in de reden."))
    if review.replaces_document_id is not None and db.session.scalar(
            select(superseded(review.replaces_document_id))):
        raise DomainError(_("Het oude document is intussen al vervangen door een andere nieuwe "
                            "versie. Wijs deze versie af als zij niet meer nodig is."))
    _decide(review, ACCEPTED, by=by, reason=None)
    refresh_evidence_date(review.organisation_id)
    audit.record("evidence_accepted", review, actor=by, from_state=PENDING, to_state=ACCEPTED,
                 detail=f"document {review.document_id} geldig tot "
                        f"{document.valid_until.isoformat()}")
    _mail_outcome(review, "evidence_review_accepted",
                  f"Nieuwe versie geaccepteerd: {document.original_name}")


def reject_replacement(review: EvidenceReview, *, by: User, reason: str | None) -> None:
    """Afwijzen with a reason: the old document stays the tracked one; the partner is told
    why and can upload another version."""
    _require_reviewer(by)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed([("reason", _("Geef de reden van de afwijzing. De aanbieder "
                                             "krijgt die reden per e-mail."))])
    if len(reason) > REASON_MAX:
        raise ValidationFailed([("reason", _("Gebruik maximaal %(max)s tekens.", max=REASON_MAX))])
    _check_transition(review, REJECTED)
    _decide(review, REJECTED, by=by, reason=reason)
    audit.record("evidence_rejected", review, actor=by, from_state=PENDING, to_state=REJECTED,
                 detail=reason)
    document = db.session.get(Document, review.document_id)
    _mail_outcome(review, "evidence_review_rejected",
                  f"Nieuwe versie afgewezen: {document.original_name}")


def _mail_outcome(review: EvidenceReview, kind: str, subject: str) -> None:
    from .workflow import partner_recipients

    organisation = db.session.get(Organisation, review.organisation_id)
    document = db.session.get(Document, review.document_id)
    old = db.session.get(Document, review.replaces_document_id) \
        if review.replaces_document_id else None
    submitter = db.session.get(User, review.submitted_by_id)
    recipients = partner_recipients(organisation)
    if submitter is not None and submitter.is_active_account \
            and submitter.email not in recipients:
        recipients.append(submitter.email)
    subjects = subjects_of(organisation.id, [review.document_id])[review.document_id] \
        if review.status == ACCEPTED else (
            subjects_of(organisation.id, [old.id])[old.id] if old is not None else [])
    old_valid_until = None
    if old is not None:
        old_valid_until = tracked_dates(organisation.id).get(old.id) or old.valid_until
    for recipient in recipients:
        notifications.queue(kind, recipient, subject=subject, organisation=organisation,
                            review=review, document=document, old_document=old,
                            old_valid_until=old_valid_until, subjects=subjects)


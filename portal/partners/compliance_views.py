"""Evidence that expires: the partner's tracked documents and new versions, the assessors'
queue of new versions to review, and the region's list of partners with their compliance."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import exists, or_, select
from wtforms import DateField, TextAreaField
from wtforms.validators import InputRequired, ValidationError

from ..accounts.models import Organisation, User
from ..accounts.search import register_matches
from ..actions import button
from ..applications.models import Document
from ..auth import assessor_required, provider_required
from ..extensions import db
from ..files import human_size
from ..forms import DATE
from ..i18n import gettext as _
from ..pagination import capped_count, paginate
from ..procedure.models import Category
from ..timeutil import today_local
from . import compliance
from .compliance import ACCEPTED, PENDING, REJECTED, REVIEW_LABELS
from .models import LIVE_ADMISSION, Admission, AdmissionStatus, EvidenceReview

bp = Blueprint("partners_compliance", __name__)

SEARCH_MAX = 100
STATUS_TABS = {"nieuw": PENDING, "geaccepteerd": ACCEPTED, "afgewezen": REJECTED}


# --- forms ------------------------------------------------------------------------------------

class ReplacementForm(FlaskForm):
    file = FileField("Nieuwe versie (PDF)")
    valid_until = DateField(
        "Geldig tot en met", format=["%Y-%m-%d", "%d-%m-%Y"], invalid_value_message=DATE,
        description="De laatste dag waarop het nieuwe document geldig is, zoals op het "
                    "certificaat of de polis staat.",
        validators=[InputRequired("Vul in tot wanneer de nieuwe versie geldig is.")])

    def validate_file(self, field):
        if not field.data or not getattr(field.data, "filename", ""):
            raise ValidationError(_("Kies het bestand met de nieuwe versie."))

    def validate_valid_until(self, field):
        if field.data is not None and field.data <= today_local():
            raise ValidationError(_(compliance.NOT_VALID_AFTER_TODAY))


class AcceptForm(FlaskForm):
    """Accepteren: only the CSRF token."""


class RejectForm(FlaskForm):
    reason = TextAreaField(
        "Reden van de afwijzing",
        description="De aanbieder krijgt deze reden per e-mail. Schrijf wat er ontbreekt of "
                    "niet klopt, zodat de aanbieder een goede versie kan uploaden.",
        validators=[InputRequired("Geef de reden van de afwijzing.")])


# --- the partner's side ---------------------------------------------------------------------

def _reviews_with_documents(reviews) -> dict[int, Document]:
    ids = {r.document_id for r in reviews} | {r.replaces_document_id for r in reviews
                                              if r.replaces_document_id}
    if not ids:
        return {}
    return {d.id: d for d in db.session.scalars(select(Document).where(Document.id.in_(ids)))}


@bp.route("/organisatie/bewijsstukken")
@provider_required
def mine():
    """The organisation's tracked documents with their validity and state, and the new
    versions it sent in."""
    org = current_user.organisation
    today = today_local()
    items = compliance.tracked_documents(org.id)
    page = paginate(
        select(EvidenceReview.id).where(EvidenceReview.organisation_id == org.id)
        .order_by(EvidenceReview.submitted_at.desc(), EvidenceReview.id.desc()),
        lambda ids: db.session.scalars(select(EvidenceReview).where(EvidenceReview.id.in_(ids))))
    documents = _reviews_with_documents(page.items)
    expired = [t for t in items if t.valid_until < today]
    return render_template("partners/compliance/mine.html", org=org, items=items,
                           expired=expired, page=page, documents=documents, today=today,
                           labels=REVIEW_LABELS, moments=compliance.MOMENTS)


@bp.route("/organisatie/bewijsstukken/<int:document_id>/nieuwe-versie", methods=["GET", "POST"])
@provider_required
def replace(document_id):
    """Nieuwe versie uploaden for one tracked document."""
    org = current_user.organisation
    document = db.session.get(Document, document_id)
    if document is None or document.organisation_id != org.id:
        abort(404)
    item = next((t for t in compliance.tracked_documents(org.id)
                 if t.document.id == document_id), None)
    if item is None:
        flash(_("'%(name)s' is al vervangen door een nieuwe versie, of is geen "
                "bewijsstuk met een geldigheidsdatum. Hieronder staan uw huidige bewijsstukken.",
                name=document.original_name), "info")
        return redirect(url_for("partners_compliance.mine"))
    form = ReplacementForm()

    def page():
        return render_template(
            "partners/compliance/replace.html", form=form, item=item, today=today_local(),
            max_upload=human_size(current_app.config["UPLOAD_MAX_BYTES"]))

    if request.method != "POST":
        return page()
    if item.pending is not None:
        flash(_("Er wacht al een nieuwe versie van dit document op beoordeling. U krijgt "
                "bericht zodra de regio haar heeft beoordeeld."), "error")
        return redirect(url_for("partners_compliance.mine"))

    def received(review):
        new = db.session.get(Document, review.document_id)
        return _("De nieuwe versie '%(name)s' is ontvangen. Een beoordelaar van de "
                 "regio controleert haar; u krijgt de uitkomst per e-mail.", name=new.original_name)

    return button(form, lambda: compliance.submit_replacement(
        org, document_id, form.file.data, form.valid_until.data, by=current_user),
        success=received, back=url_for("partners_compliance.mine"), invalid=page)


# --- the assessors' queue ------------------------------------------------------------------

@bp.route("/beheer/bewijsstukken")
@assessor_required
def reviews():
    """New versions of evidence: those waiting for a review first (oldest first), and the
    reviewed ones per outcome."""
    tab = request.args.get("status", "nieuw")
    if tab not in STATUS_TABS:
        tab = "nieuw"
    status = STATUS_TABS[tab]
    ids = select(EvidenceReview.id).where(EvidenceReview.status == status)
    if status == PENDING:
        ids = ids.order_by(EvidenceReview.submitted_at, EvidenceReview.id)
    else:
        ids = ids.order_by(EvidenceReview.reviewed_at.desc(), EvidenceReview.id.desc())
    page = paginate(ids, lambda page_ids: db.session.scalars(
        select(EvidenceReview).where(EvidenceReview.id.in_(page_ids))))
    documents = _reviews_with_documents(page.items)
    organisations, users = {}, {}
    if page.items:
        organisations = {o.id: o for o in db.session.scalars(select(Organisation).where(
            Organisation.id.in_({r.organisation_id for r in page.items})))}
        user_ids = {r.submitted_by_id for r in page.items} | {
            r.reviewed_by_id for r in page.items if r.reviewed_by_id}
        users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
    return render_template("partners/compliance/reviews.html", page=page, tab=tab,
                           tabs=list(STATUS_TABS), documents=documents,
                           organisations=organisations, users=users, labels=REVIEW_LABELS,
                           today=today_local())


def _review(review_id) -> EvidenceReview:
    review = db.session.get(EvidenceReview, review_id)
    if review is None:
        abort(404)
    return review


def _review_page(review, accept_form=None, reject_form=None):
    today = today_local()
    organisation = db.session.get(Organisation, review.organisation_id)
    documents = _reviews_with_documents([review])
    new = documents[review.document_id]
    old = documents.get(review.replaces_document_id)
    dates = compliance.tracked_dates(organisation.id)
    old_until = (dates.get(old.id) or old.valid_until) if old is not None else None
    subject_ids = [i for i in (review.replaces_document_id, review.document_id) if i]
    subjects = compliance.subjects_of(organisation.id, subject_ids)
    labels = []
    for i in subject_ids:
        labels += [s for s in subjects.get(i, []) if s not in labels]
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(
        {review.submitted_by_id, review.reviewed_by_id} - {None})))}
    return render_template(
        "partners/compliance/review.html", review=review, organisation=organisation, new=new,
        old=old, old_until=old_until, subjects=labels, users=users, today=today,
        labels=REVIEW_LABELS, accept_form=accept_form or AcceptForm(formdata=None),
        reject_form=reject_form or RejectForm(formdata=None),
        compliant=compliance.compliance_status(organisation.id, today).compliant)


@bp.route("/beheer/bewijsstukken/<int:review_id>")
@assessor_required
def review(review_id):
    return _review_page(_review(review_id))


def _review_again(review_id, **forms):
    """The review's page with the posted form and its messages (reloaded: after a refusal
    the session was rolled back)."""
    return lambda: _review_page(_review(review_id), **forms)


@bp.route("/beheer/bewijsstukken/<int:review_id>/accepteren", methods=["POST"])
@assessor_required
def accept(review_id):
    item = _review(review_id)
    form = AcceptForm()
    return button(form, lambda: compliance.accept_replacement(item, by=current_user),
                  success=_("De nieuwe versie is geaccepteerd; de aanbieder krijgt bericht."),
                  back=url_for("partners_compliance.review", review_id=item.id),
                  done=url_for("partners_compliance.reviews"),
                  invalid=_review_again(item.id, accept_form=form))


@bp.route("/beheer/bewijsstukken/<int:review_id>/afwijzen", methods=["POST"])
@assessor_required
def reject(review_id):
    item = _review(review_id)
    form = RejectForm()
    return button(form, lambda: compliance.reject_replacement(item, by=current_user,
                                                              reason=form.reason.data),
                  success=_("De nieuwe versie is afgewezen; de aanbieder krijgt de reden per e-mail."),
                  back=url_for("partners_compliance.review", review_id=item.id),
                  done=url_for("partners_compliance.reviews"),
                  invalid=_review_again(item.id, reject_form=form))


# --- the region's list of partners -------------------------------------------------------------

@dataclass
class PartnerRow:
    id: int
    organisation: Organisation
    compliant: bool
    pending: bool
    admissions: list[tuple[Category, AdmissionStatus]] = field(default_factory=list)


def _live():
    return exists().where(Admission.organisation_id == Organisation.id,
                          Admission.status.in_(LIVE_ADMISSION))


@bp.route("/beheer/partners")
@assessor_required
def partners():
    """Every partner (an organisation with a live admission), one row each, with its admitted
    categories and whether it is compliant (from the kept earliest validity date of its
    evidence, so the filter and the count are one indexed range condition)."""
    args = request.args
    today = today_local()
    term = " ".join((args.get("zoek") or "").split())[:SEARCH_MAX]
    only_not_compliant = args.get("niet_compliant") == "1"
    ids = counted = select(Organisation.id).where(_live())
    not_compliant, more = capped_count(
        select(Organisation.id).where(_live(), compliance.not_compliant(today)))
    # Few partners are niet compliant (at most COUNT_CAP): with that filter the page and its
    # count read them through the date's index and check the search on each of them.
    few_not_compliant = only_not_compliant and not more
    if term:
        # The register's search (every word in the name or the place, by index) or the
        # start of a KvK number (a range on its unique index); the page walks the name's
        # index when the search matches many, the count reads the search's index (or, with
        # few not compliant, checks them row by row).
        digits = term.replace(" ", "")
        kvk = ([Organisation.kvk_number.between(digits, digits + "9" * 8)]
               if digits.isdigit() else [])
        ids = ids.where(or_(register_matches(term, walk=True), *kvk))
        counted = counted.where(or_(register_matches(term, walk=few_not_compliant), *kvk))
    order = [Organisation.name, Organisation.id]
    if only_not_compliant:
        ids = ids.where(compliance.not_compliant(today))
        counted = counted.where(compliance.not_compliant(today))
        if few_not_compliant:
            # At most COUNT_CAP partners are niet compliant: read just those through the
            # date index and sort them, rather than walk every partner in name order to
            # find them (the plan a database picks for "name order, limit 25" without
            # knowing how few they are). An expression is no index order.
            order[0] = Organisation.name.concat("")
    pending = exists().where(EvidenceReview.organisation_id == Organisation.id,
                             EvidenceReview.status == PENDING)

    def load(page_ids):
        return [PartnerRow(org.id, org, compliance.is_compliant_on(org, today), bool(waiting))
                for org, waiting in db.session.execute(
                    select(Organisation, pending).where(Organisation.id.in_(page_ids)))]

    page = paginate(ids.order_by(*order), load, count_query=counted)
    if page.items:
        rows = {row.id: row for row in page.items}
        for organisation_id, category, status in db.session.execute(
                select(Admission.organisation_id, Category, Admission.status)
                .join(Category, Category.id == Admission.category_id)
                .where(Admission.organisation_id.in_(rows), Admission.status.in_(LIVE_ADMISSION))
                .order_by(Category.position)):
            rows[organisation_id].admissions.append((category, status))
    filters = {"zoek": term or None, "niet_compliant": "1" if only_not_compliant else None}
    return render_template("partners/compliance/partners.html", page=page, filters=filters,
                           term=term, only_not_compliant=only_not_compliant,
                           not_compliant=not_compliant, not_compliant_more=more)

"""The partner file (partnerdossier) for the region's staff: everything about one
organisation on one page, each long list limited with a link to all of it."""
from __future__ import annotations

from functools import cache

from flask import Blueprint, abort, render_template
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased, joinedload, load_only

from .. import eager
from ..accounts.models import Organisation, User
from ..applications.models import Application, Document
from ..assessment.models import CategoryDecision
from ..auth import assessor_required
from ..extensions import db
from ..notifications import body_visible
from ..notifications.models import OutboxMail
from ..pagination import (
    Page,
    capped_count_statement,
    paginate,
    requested_page,
    run_capped_count,
)
from ..procedure.models import Category
from ..timeutil import today_local
from . import capacity
from .models import Admission, Agreement, CapacityReport

bp = Blueprint("partners_file", __name__, url_prefix="/beheer/partners")

# Made once: an alias built per request costs SQLAlchemy about a millisecond to adapt its columns.
_LATER_DECISION = aliased(CategoryDecision, name="later_decision")
LIST_LIMIT = 10  # rows per list on the file itself; "show all" pages paginate the rest
MAIL_COLUMNS = (OutboxMail.id, OutboxMail.kind, OutboxMail.to_address, OutboxMail.subject,
                OutboxMail.status, OutboxMail.created_at, OutboxMail.sent_at,
                OutboxMail.organisation_id)


def _organisation(organisation_id) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    return organisation


def _limited(rows):
    """(the first LIST_LIMIT rows, whether there were more) from a query limited to one more."""
    return rows[:LIST_LIMIT], len(rows) > LIST_LIMIT


@bp.route("/<int:organisation_id>")
@assessor_required
def show(organisation_id):
    org = _organisation(organisation_id)
    today = today_local()
    statements, about = _file_statements(), {"file_organisation_id": org.id}
    admissions = db.session.scalars(statements["admissions"], about).unique().all()
    applications, more_applications = _limited(
        db.session.scalars(statements["applications"], about).all())
    eager.fill(db.session, applications, statements["application_categories"])
    decisions, more_decisions = _limited(
        db.session.execute(statements["decisions"], about).all())
    agreements, more_agreements = _limited(
        db.session.execute(statements["agreements"], about).all())
    categories_of_agreement: dict[int, list[str]] = {}
    for admission in sorted(admissions, key=lambda a: a.category.position):
        if admission.agreement_id is not None:
            categories_of_agreement.setdefault(admission.agreement_id, []).append(
                admission.category.name)
    documents, more_documents = _limited(
        db.session.scalars(statements["documents"], about).all())
    current = db.session.scalars(statements["current_capacity"], about).all()
    history, more_history = _limited(
        db.session.scalars(statements["capacity_history"], about).all())
    mails = _mail_page(org.id)
    from .compliance import compliance_status

    return render_template(
        "partners/file.html", org=org, today=today, admissions=admissions,
        compliance=compliance_status(org.id, today),
        applications=applications, more_applications=more_applications,
        decisions=decisions, more_decisions=more_decisions,
        agreements=agreements, more_agreements=more_agreements,
        categories_of_agreement=categories_of_agreement,
        documents=documents, more_documents=more_documents,
        current=current, current_ids={r.id for r in current}, history=history,
        more_history=more_history, mails=mails, limit=LIST_LIMIT,
        stale_before=capacity.stale_before(today), stale_days=capacity.STALE_DAYS)


@cache
def _file_statements() -> dict:
    """The file's lists, built once with the organisation as a parameter (built per
    request, they were about a third of the page's time); each list is limited to one row
    more than it shows, to know whether there is more."""
    org_id, later = bindparam("file_organisation_id"), _LATER_DECISION
    return {
        "admissions": select(Admission).where(Admission.organisation_id == org_id)
        .options(joinedload(Admission.category), joinedload(Admission.suspensions))
        .order_by(Admission.admitted_at.desc(), Admission.id.desc()),
        "applications": select(Application).where(Application.organisation_id == org_id)
        .order_by(Application.created_at.desc(), Application.id.desc())
        .limit(LIST_LIMIT + 1),
        "application_categories": eager.collection(Application.categories),
        # Per application and category the decision that stands: the latest approved round
        # (a herstelbesluit replaces the decision it corrects).
        "decisions": select(CategoryDecision, Application.reference)
        .join(Application, Application.id == CategoryDecision.application_id)
        .where(Application.organisation_id == org_id,
               CategoryDecision.approved_at.is_not(None),
               CategoryDecision.round == select(func.max(later.round)).where(
                   later.application_id == CategoryDecision.application_id,
                   later.category_id == CategoryDecision.category_id,
                   later.approved_at.is_not(None)).scalar_subquery())
        .options(joinedload(CategoryDecision.category), joinedload(CategoryDecision.approved_by))
        .order_by(CategoryDecision.approved_at.desc(), CategoryDecision.id.desc())
        .limit(LIST_LIMIT + 1),
        "agreements": select(Agreement, User.full_name)
        .outerjoin(User, User.id == Agreement.accepted_by_id)
        .where(Agreement.organisation_id == org_id)
        .options(joinedload(Agreement.document).load_only(Document.id, Document.original_name))
        .order_by(Agreement.created_at.desc(), Agreement.id.desc())
        .limit(LIST_LIMIT + 1),
        "documents": select(Document).where(Document.organisation_id == org_id)
        .order_by(Document.uploaded_at.desc(), Document.id.desc())
        .limit(LIST_LIMIT + 1),
        "current_capacity": capacity.current_reports_query()
        .where(CapacityReport.organisation_id == org_id)
        .join(Category, Category.id == CapacityReport.category_id)
        .options(joinedload(CapacityReport.category))
        .order_by(Category.position, CapacityReport.location, CapacityReport.id)
        .limit(200),
        "capacity_history": select(CapacityReport).where(CapacityReport.organisation_id == org_id)
        .options(joinedload(CapacityReport.category))
        .order_by(CapacityReport.id.desc()).limit(LIST_LIMIT + 1),
    }


@cache
def _mail_statements() -> dict:
    organisation_id = bindparam("mail_organisation_id")
    return {
        "count": capped_count_statement(
            select(OutboxMail.id).where(OutboxMail.organisation_id == organisation_id)),
        "page": select(OutboxMail).options(load_only(*MAIL_COLUMNS))
        .where(OutboxMail.organisation_id == organisation_id)
        .order_by(OutboxMail.id.desc()).limit(bindparam("mail_limit"))
        .offset(bindparam("mail_offset")),
    }


def _mail_page(organisation_id) -> Page:
    """The organisation's mail, newest first, paginated in the database (two statements: the
    capped count and the page, without the bodies), built once."""
    from flask import current_app

    statements = _mail_statements()
    total, more = run_capped_count(statements["count"],
                                   {"mail_organisation_id": organisation_id})
    per_page, page = current_app.config["PAGE_SIZE"], requested_page()
    items = db.session.scalars(statements["page"], {
        "mail_organisation_id": organisation_id, "mail_limit": per_page,
        "mail_offset": (page - 1) * per_page}).all()
    return Page(items=list(items), page=page, per_page=per_page, total=total, more=more)


@bp.route("/<int:organisation_id>/aanmeldingen")
@assessor_required
def applications(organisation_id):
    org = _organisation(organisation_id)
    page = paginate(
        select(Application.id).where(Application.organisation_id == org.id)
        .order_by(Application.created_at.desc(), Application.id.desc()),
        lambda ids: db.session.scalars(select(Application).where(Application.id.in_(ids))).all())
    eager.fill(db.session, page.items, _file_statements()["application_categories"])
    return render_template("partners/file_applications.html", org=org, page=page)


@bp.route("/<int:organisation_id>/documenten")
@assessor_required
def documents(organisation_id):
    org = _organisation(organisation_id)
    page = paginate(
        select(Document.id).where(Document.organisation_id == org.id)
        .order_by(Document.uploaded_at.desc(), Document.id.desc()),
        lambda ids: db.session.scalars(
            select(Document).where(Document.id.in_(ids)).options(joinedload(Document.uploaded_by))))
    return render_template("partners/file_documents.html", org=org, page=page,
                           today=today_local())


@bp.route("/<int:organisation_id>/capaciteit")
@assessor_required
def capacity_history(organisation_id):
    org = _organisation(organisation_id)
    today = today_local()
    current_ids = set(db.session.scalars(
        select(CapacityReport.id).where(CapacityReport.organisation_id == org.id,
                                        capacity.is_current()).limit(1000)))
    page = paginate(
        select(CapacityReport.id).where(CapacityReport.organisation_id == org.id)
        .order_by(CapacityReport.id.desc()),
        lambda ids: db.session.scalars(
            select(CapacityReport).where(CapacityReport.id.in_(ids))
            .options(joinedload(CapacityReport.category))))
    return render_template("partners/file_capacity.html", org=org, page=page,
                           current_ids=current_ids, stale_before=capacity.stale_before(today))


@bp.route("/<int:organisation_id>/mails/<int:mail_id>")
@assessor_required
def mail(organisation_id, mail_id):
    org = _organisation(organisation_id)
    item = db.session.get(OutboxMail, mail_id)
    if item is None or item.organisation_id != org.id:
        abort(404)
    return render_template("partners/file_mail.html", org=org, mail=item,
                           visible=body_visible(item))

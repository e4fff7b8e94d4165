from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..applications.forms import ConfirmForm
from ..applications.models import Application, Status
from ..applications.views import _group, load_application_for
from ..auth import assessor_required
from ..errors import DomainError, ValidationFailed
from ..extensions import db
from ..pagination import paginate
from . import workflow
from .forms import build_decision_form, build_verdict_form
from .models import CategoryDecision, VerdictOutcome

bp = Blueprint("assessment", __name__, url_prefix="/beoordeling")

QUEUE_FILTERS = {
    "open": (Status.INGEDIEND, Status.IN_BEHANDELING, Status.AANVULLING_GEVRAAGD,
             Status.BESLUIT_VOORGESTELD),
    "ingediend": (Status.INGEDIEND,),
    "in_behandeling": (Status.IN_BEHANDELING,),
    "aanvulling_gevraagd": (Status.AANVULLING_GEVRAAGD,),
    "besluit_voorgesteld": (Status.BESLUIT_VOORGESTELD,),
    "besloten": (Status.BESLOTEN,),
    "ingetrokken": (Status.INGETROKKEN,),
}


@bp.route("/")
@assessor_required
def queue():
    key = request.args.get("status", "open")
    if key not in QUEUE_FILTERS:
        key = "open"
    statuses = QUEUE_FILTERS[key]
    order = (Application.decided_at.desc() if key == "besloten"
             else Application.submitted_at.asc())
    page = paginate(
        select(Application)
        .where(Application.status.in_(statuses))
        .options(joinedload(Application.organisation), joinedload(Application.assessor),
                 selectinload(Application.categories))
        .order_by(order, Application.id),
        count_query=select(func.count()).select_from(Application)
        .where(Application.status.in_(statuses)),
    )
    counts = dict(db.session.execute(
        select(Application.status, func.count()).where(Application.status != Status.CONCEPT)
        .group_by(Application.status)).all())
    tabs = [(k, sum(counts.get(s, 0) for s in v)) for k, v in QUEUE_FILTERS.items()]
    return render_template("assessment/queue.html", page=page, key=key, tabs=tabs)


def _load(application_id):
    application = load_application_for(current_user, application_id)
    if application.status == Status.CONCEPT:
        abort(404)  # drafts are the provider's own business
    return application


def _page(application, verdict_form=None, decision_form=None, errors=(), status=200):
    requirements = application.applicable_requirements()
    verdicts = workflow.verdicts_by_requirement(application)
    decisions = {d.category_id: d for d in db.session.scalars(
        select(CategoryDecision).where(CategoryDecision.application_id == application.id)
        .options(selectinload(CategoryDecision.failed_requirements),
                 joinedload(CategoryDecision.proposed_by), joinedload(CategoryDecision.approved_by)))}
    per_category = {c.id: [r for r in requirements if r.applies_to({c.id})]
                    for c in application.categories}
    if verdict_form is None:
        verdict_form = build_verdict_form(requirements, verdicts, formdata=None)
    if decision_form is None:
        decision_form = build_decision_form(application.categories, per_category, decisions,
                                            formdata=None)
    return render_template(
        "assessment/detail.html", application=application, requirements=requirements,
        groups=_group(application, requirements), answers=application.answers_by_requirement(),
        verdicts=verdicts, decisions=decisions, verdict_form=verdict_form,
        decision_form=decision_form, per_category=per_category, action_form=ConfirmForm(),
        errors=errors, VerdictOutcome=VerdictOutcome, Status=Status,
    ), status


@bp.route("/<int:application_id>")
@assessor_required
def detail(application_id):
    return _page(_load(application_id))


def _run(application, operation, success, **kwargs):
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash("Het formulier is verlopen; probeer het opnieuw.", "error")
        return redirect(url_for("assessment.detail", application_id=application.id))
    try:
        operation(application, by=current_user, **kwargs)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(url_for("assessment.detail", application_id=application.id))


@bp.route("/<int:application_id>/in-behandeling", methods=["POST"])
@assessor_required
def start(application_id):
    return _run(_load(application_id), workflow.start_review,
                "U heeft de aanmelding in behandeling genomen.")


@bp.route("/<int:application_id>/oordelen", methods=["POST"])
@assessor_required
def verdicts(application_id):
    application = _load(application_id)
    requirements = application.applicable_requirements()
    form = build_verdict_form(requirements)
    if not form.validate():
        return _page(application, verdict_form=form,
                     errors=[(name, msg) for name, msgs in form.errors.items() for msg in msgs],
                     status=422)
    try:
        workflow.record_verdicts(application, form.values(), by=current_user)
    except ValidationFailed as exc:
        db.session.rollback()
        return _page(application, verdict_form=form, errors=exc.errors, status=422)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("assessment.detail", application_id=application.id))
    db.session.commit()
    flash("De oordelen zijn opgeslagen.", "success")
    return redirect(url_for("assessment.detail", application_id=application.id) + "#besluit")


@bp.route("/<int:application_id>/besluit", methods=["POST"])
@assessor_required
def propose(application_id):
    application = _load(application_id)
    requirements = application.applicable_requirements()
    per_category = {c.id: [r for r in requirements if r.applies_to({c.id})]
                    for c in application.categories}
    form = build_decision_form(application.categories, per_category)
    if not form.validate():
        return _page(application, decision_form=form,
                     errors=[(name, msg) for name, msgs in form.errors.items() for msg in msgs],
                     status=422)
    try:
        workflow.propose_decision(application, form.values(), by=current_user)
    except ValidationFailed as exc:
        db.session.rollback()
        return _page(application, decision_form=form, errors=exc.errors, status=422)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("assessment.detail", application_id=application.id))
    db.session.commit()
    flash("Het besluit is voorgesteld. Een tweede beoordelaar moet het goedkeuren.", "success")
    return redirect(url_for("assessment.detail", application_id=application.id))


@bp.route("/<int:application_id>/goedkeuren", methods=["POST"])
@assessor_required
def approve(application_id):
    return _run(_load(application_id), workflow.approve_decision,
                "Het besluit is goedgekeurd en naar de aanbieder gestuurd.")


@bp.route("/<int:application_id>/terugsturen", methods=["POST"])
@assessor_required
def send_back(application_id):
    return _run(_load(application_id), workflow.send_back,
                "Het voorgestelde besluit is teruggestuurd voor een nieuwe beoordeling.")

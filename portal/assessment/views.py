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

TAB_COUNT_CAP = 999
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
    if key == "besloten":
        order = (Application.decided_at.desc(), Application.id.desc())
    else:
        order = (Application.submitted_at.asc(), Application.id.asc())
    page = paginate(
        select(Application.id).where(Application.status.in_(statuses)).order_by(*order),
        lambda ids: db.session.scalars(
            select(Application).where(Application.id.in_(ids))
            .options(joinedload(Application.organisation), joinedload(Application.assessor),
                     selectinload(Application.categories))).unique(),
    )
    # One statement for every tab's count, each stopping at TAB_COUNT_CAP.
    counts = db.session.execute(select(*(
        select(func.count()).select_from(
            select(Application.id).where(Application.status.in_(v)).limit(TAB_COUNT_CAP + 1)
            .subquery()).scalar_subquery().label(k)
        for k, v in QUEUE_FILTERS.items()))).one()._asdict()
    tabs = [(k, counts[k]) for k in QUEUE_FILTERS]
    return render_template("assessment/queue.html", page=page, key=key, tabs=tabs,
                           cap=TAB_COUNT_CAP)


def _load(application_id):
    application = load_application_for(current_user, application_id)
    if application.status == Status.CONCEPT:
        abort(404)  # drafts are the provider's own business
    return application


def _per_category(application):
    requirements = application.applicable_requirements()
    return {c.id: [r for r in requirements if r.applies_to({c.id})] for c in application.categories}


def _page(application, verdict_form=None, decision_form=None, errors=(), status=200):
    requirements = application.applicable_requirements()
    verdicts = workflow.verdicts_by_requirement(application)
    decisions = {d.category_id: d for d in db.session.scalars(
        select(CategoryDecision).where(CategoryDecision.application_id == application.id)
        .options(selectinload(CategoryDecision.failed_requirements),
                 joinedload(CategoryDecision.proposed_by), joinedload(CategoryDecision.approved_by)))}
    per_category = _per_category(application)
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


def _save_form(application, form, form_kwarg, operation, success, anchor=""):
    """Validate a verdict or decision form, run the operation, and answer."""
    if not form.validate():
        errors = [(name, msg) for name, msgs in form.errors.items() for msg in msgs]
        return _page(application, errors=errors, status=422, **{form_kwarg: form})
    try:
        operation(application, form.values(), by=current_user)
    except ValidationFailed as exc:
        db.session.rollback()
        return _page(application, errors=exc.errors, status=422, **{form_kwarg: form})
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("assessment.detail", application_id=application.id))
    db.session.commit()
    flash(success, "success")
    return redirect(url_for("assessment.detail", application_id=application.id) + anchor)


@bp.route("/<int:application_id>/oordelen", methods=["POST"])
@assessor_required
def verdicts(application_id):
    application = _load(application_id)
    form = build_verdict_form(application.applicable_requirements())
    return _save_form(application, form, "verdict_form", workflow.record_verdicts,
                      "De oordelen zijn opgeslagen.", "#besluit")


@bp.route("/<int:application_id>/besluit", methods=["POST"])
@assessor_required
def propose(application_id):
    application = _load(application_id)
    form = build_decision_form(application.categories, _per_category(application))
    return _save_form(application, form, "decision_form", workflow.propose_decision,
                      "Het besluit is voorgesteld. Een tweede beoordelaar moet het goedkeuren.")


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

"""Admissions over the term: the partner accepts the agreement or gives notice; the
region suspends, reinstates, ends, and exercises extension options."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from ..auth import admin_required, assessor_required, provider_required
from ..errors import DomainError, ValidationFailed
from ..extensions import db
from ..procedure.seed import current_procedure
from ..timeutil import today_local
from . import workflow
from .forms import (
    AcceptAgreementForm,
    EndForm,
    ExtensionForm,
    NoticeForm,
    ReinstateForm,
    SuspendForm,
)
from .models import Admission, AdmissionStatus, Agreement

bp = Blueprint("partners_partner", __name__)


def _apply(form, operation, success, back, template, status_ok=302, **context):
    """Validate, run the operation, commit; errors go back to the form with the input kept."""
    if form.validate_on_submit():
        try:
            operation()
            db.session.commit()
        except ValidationFailed as exc:
            db.session.rollback()
            for name, message in exc.errors:
                field = getattr(form, name, None)
                if field is not None:
                    field.errors = [*field.errors, message]
                else:
                    form.form_errors.append(message)
        except (DomainError, StaleDataError) as exc:
            db.session.rollback()
            flash(getattr(exc, "message", workflow_stale()), "error")
            return redirect(back)
        else:
            flash(success, "success")
            return redirect(back)
    return render_template(template, form=form, **context), (422 if form.errors else 200)


def workflow_stale():
    return "Iemand anders heeft dit intussen gewijzigd. U ziet nu de actuele stand."


# --- the partner's side ---------------------------------------------------------------------

@bp.route("/organisatie/overeenkomsten")
@provider_required
def agreements():
    rows = db.session.scalars(
        select(Agreement).where(Agreement.organisation_id == current_user.organisation_id)
        .options(selectinload(Agreement.admissions).joinedload(Admission.category),
                 joinedload(Agreement.document))
        .order_by(Agreement.created_at.desc()).limit(100)).all()
    return render_template("partners/agreements.html", agreements=rows)


@bp.route("/organisatie/overeenkomsten/<int:agreement_id>", methods=["GET", "POST"])
@provider_required
def agreement(agreement_id):
    item = db.session.scalar(
        select(Agreement).where(Agreement.id == agreement_id,
                                Agreement.organisation_id == current_user.organisation_id)
        .options(selectinload(Agreement.admissions).joinedload(Admission.category),
                 joinedload(Agreement.document)))
    if item is None:
        abort(404)
    back = url_for("partners_partner.agreement", agreement_id=item.id)
    return _apply(
        AcceptAgreementForm(),
        lambda: workflow.accept_agreement(item, by=current_user, ip_address=request.remote_addr),
        "U heeft de deelnemersovereenkomst geaccepteerd. Uw toelating is nu actief.",
        back, "partners/agreement.html", agreement=item,
    )


def _own_admission(admission_id):
    admission = db.session.scalar(
        select(Admission).where(Admission.id == admission_id,
                                Admission.organisation_id == current_user.organisation_id)
        .options(joinedload(Admission.category)))
    if admission is None:
        abort(404)
    return admission


@bp.route("/organisatie/toelatingen/<int:admission_id>/opzeggen", methods=["GET", "POST"])
@provider_required
def give_notice(admission_id):
    admission = _own_admission(admission_id)
    procedure = admission.category.procedure  # its notice period applies
    return _apply(
        NoticeForm(),
        lambda: workflow.end_by_partner(admission, by=current_user, reason=request.form["reason"]),
        "Uw opzegging is vastgelegd. U ontvangt een bevestiging per e-mail.",
        url_for("applications.dashboard"), "partners/notice.html", admission=admission,
        procedure=procedure,
    )


# --- the region's side ----------------------------------------------------------------------

def _admission(admission_id):
    admission = db.session.scalar(
        select(Admission).where(Admission.id == admission_id)
        .options(joinedload(Admission.category), joinedload(Admission.organisation),
                 selectinload(Admission.suspensions), joinedload(Admission.agreement)))
    if admission is None:
        abort(404)
    return admission


def _admission_page(admission, **forms):
    context = dict(suspend_form=SuspendForm(formdata=None), end_form=EndForm(formdata=None),
                   reinstate_form=ReinstateForm(formdata=None))
    context.update(forms)
    return render_template("partners/admission.html", admission=admission,
                           Status=AdmissionStatus, today=today_local(), **context)


@bp.route("/beheer/toelatingen/<int:admission_id>")
@assessor_required
def admission(admission_id):
    return _admission_page(_admission(admission_id))


def _admin_action(admission, form, form_name, operation, success):
    back = url_for("partners_partner.admission", admission_id=admission.id)
    if not form.validate_on_submit():
        return _admission_page(admission, **{form_name: form}), 422
    try:
        operation()
        db.session.commit()
    except ValidationFailed as exc:
        db.session.rollback()
        for name, message in exc.errors:
            getattr(form, name, form.csrf_token).errors.append(message)
        return _admission_page(_admission(admission.id), **{form_name: form}), 422
    except (DomainError, StaleDataError) as exc:
        db.session.rollback()
        flash(getattr(exc, "message", workflow_stale()), "error")
        return redirect(back)
    flash(success, "success")
    return redirect(back)


@bp.route("/beheer/toelatingen/<int:admission_id>/schorsen", methods=["POST"])
@admin_required
def suspend(admission_id):
    admission = _admission(admission_id)
    form = SuspendForm()
    return _admin_action(admission, form, "suspend_form", lambda: workflow.suspend(
        admission, by=current_user, reason=form.reason.data, starts_on=form.starts_on.data,
        ends_on=form.ends_on.data), "De schorsing is vastgelegd en aan de aanbieder gemeld.")


@bp.route("/beheer/toelatingen/<int:admission_id>/opheffen", methods=["POST"])
@admin_required
def reinstate(admission_id):
    admission = _admission(admission_id)
    form = ReinstateForm()
    return _admin_action(admission, form, "reinstate_form", lambda: workflow.reinstate(
        admission, by=current_user, note=form.note.data or ""),
        "De schorsing is opgeheven; de toelating is weer actief.")


@bp.route("/beheer/toelatingen/<int:admission_id>/beeindigen", methods=["POST"])
@admin_required
def end(admission_id):
    admission = _admission(admission_id)
    form = EndForm()
    return _admin_action(admission, form, "end_form", lambda: workflow.end(
        admission, by=current_user, reason=form.reason.data, ends_on=form.ends_on.data),
        "De beëindiging is vastgelegd en aan de aanbieder gemeld.")


@bp.route("/beheer/looptijd", methods=["GET", "POST"])
@admin_required
def term():
    procedure = current_procedure()
    if procedure is None:
        abort(404)
    form = ExtensionForm() if request.method == "POST" else ExtensionForm(
        data={"exercised_on": today_local()})
    return _apply(
        form,
        lambda: workflow.exercise_extension(procedure, by=current_user,
                                            rationale=form.rationale.data,
                                            exercised_on=form.exercised_on.data),
        "De verlengingsoptie is benut; alle actieve partners krijgen bericht.",
        url_for("partners_partner.term"), "partners/term.html", procedure=procedure,
    )

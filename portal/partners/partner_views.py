"""Admissions over the term: the partner accepts the agreement or gives notice; the
region suspends, reinstates, ends, and exercises extension options.

Every form here is posted as a button with fields (``portal.actions.button`` with
``invalid``): the fields' messages show on the form, the input kept; a refusal, a conflict
and success are a message on the page the browser goes back to."""
from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..actions import button
from ..auth import admin_required, assessor_required, provider_required
from ..extensions import db
from ..i18n import gettext as _
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
    form = AcceptAgreementForm()

    def page():
        return render_template("partners/agreement.html", form=form, agreement=item)

    if request.method != "POST":
        return page()
    return button(
        form,
        lambda: workflow.accept_agreement(item, by=current_user, ip_address=request.remote_addr),
        success=_("U heeft de deelnemersovereenkomst geaccepteerd. Uw toelating is nu actief."),
        back=url_for("partners_partner.agreement", agreement_id=item.id), invalid=page,
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
    form = NoticeForm()

    def page():
        return render_template("partners/notice.html", form=form, admission=admission,
                               procedure=procedure)

    if request.method != "POST":
        return page()
    return button(
        form,
        lambda: workflow.end_by_partner(admission, by=current_user, reason=request.form["reason"]),
        success=_("Uw opzegging is vastgelegd. U ontvangt een bevestiging per e-mail."),
        back=url_for("applications.dashboard"), invalid=page,
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


def _admission_again(admission_id, **forms):
    """The admission's page with the posted form and its messages (reloaded: after a
    refusal the session was rolled back)."""
    return lambda: _admission_page(_admission(admission_id), **forms)


@bp.route("/beheer/toelatingen/<int:admission_id>/schorsen", methods=["POST"])
@admin_required
def suspend(admission_id):
    admission = _admission(admission_id)
    form = SuspendForm()
    return button(form, lambda: workflow.suspend(
        admission, by=current_user, reason=form.reason.data, starts_on=form.starts_on.data,
        ends_on=form.ends_on.data),
        success=_("De schorsing is vastgelegd en aan de aanbieder gemeld."),
        back=url_for("partners_partner.admission", admission_id=admission.id),
        invalid=_admission_again(admission.id, suspend_form=form))


@bp.route("/beheer/toelatingen/<int:admission_id>/opheffen", methods=["POST"])
@admin_required
def reinstate(admission_id):
    admission = _admission(admission_id)
    form = ReinstateForm()
    return button(form, lambda: workflow.reinstate(
        admission, by=current_user, note=form.note.data or ""),
        success=_("De schorsing is opgeheven; de toelating is weer actief."),
        back=url_for("partners_partner.admission", admission_id=admission.id),
        invalid=_admission_again(admission.id, reinstate_form=form))


@bp.route("/beheer/toelatingen/<int:admission_id>/beeindigen", methods=["POST"])
@admin_required
def end(admission_id):
    admission = _admission(admission_id)
    form = EndForm()
    return button(form, lambda: workflow.end(
        admission, by=current_user, reason=form.reason.data, ends_on=form.ends_on.data),
        success=_("De beëindiging is vastgelegd en aan de aanbieder gemeld."),
        back=url_for("partners_partner.admission", admission_id=admission.id),
        invalid=_admission_again(admission.id, end_form=form))


@bp.route("/beheer/looptijd", methods=["GET", "POST"])
@admin_required
def term():
    procedure = current_procedure()
    if procedure is None:
        abort(404)
    form = ExtensionForm() if request.method == "POST" else ExtensionForm(
        data={"exercised_on": today_local()})

    def page():
        return render_template("partners/term.html", form=form, procedure=procedure)

    if request.method != "POST":
        return page()
    return button(
        form,
        lambda: workflow.exercise_extension(procedure, by=current_user,
                                            rationale=form.rationale.data,
                                            exercised_on=form.exercised_on.data),
        success=_("De verlengingsoptie is benut; alle actieve partners krijgen bericht."),
        back=url_for("partners_partner.term"), invalid=page,
    )

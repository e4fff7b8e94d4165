"""Re-confirmation rounds for the region: the list of rounds with a start form (admins),
and per round who has and has not answered."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import InputRequired

from ..accounts.models import Organisation
from ..actions import Conflict, attempt, show_errors
from ..applications.models import Application
from ..auth import assessor_required, forbid_unless, has_role
from ..errors import DomainError
from ..extensions import db
from ..i18n import gettext as _
from ..pagination import paginate
from ..procedure.seed import current_procedure
from ..timeutil import to_local, today_local
from ..urls import row_id_or_none
from . import reconfirmation
from .models import ReconfirmationRound

bp = Blueprint("partners_reconfirmation", __name__)


class StartRoundForm(FlaskForm):
    version = SelectField(
        "Nieuwe versie van de eisen", coerce=row_id_or_none, validate_choice=False,
        description="De partners beantwoorden alleen de eisen die in deze versie zijn "
                    "toegevoegd of gewijzigd.",
        validators=[InputRequired("Kies de versie van de eisen waarvoor de partners "
                                  "herbevestigen.")])
    deadline = DateField(
        "Uiterste datum", invalid_value_message="Vul een geldige datum in, bijvoorbeeld "
                                                "31-03-2028.",
        description="Tot en met deze datum kunnen de partners hun herbevestiging indienen.",
        validators=[InputRequired("Vul de uiterste datum voor de herbevestiging in.")])
    note = TextAreaField(
        "Toelichting voor de partners (niet verplicht)",
        description=f"Komt in de e-mail aan de partners. Hoogstens "
                    f"{reconfirmation.NOTE_MAX:,} tekens.".replace(",", "."))


def _day(moment) -> str:
    return f"{moment:%d-%m-%Y}"


def _procedure():
    procedure = current_procedure()
    if procedure is None:
        abort(404)
    return procedure


@bp.route("/beheer/herbevestiging", methods=["GET", "POST"])
@assessor_required
def index():
    procedure = _procedure()
    is_admin = has_role(current_user, "admin")  # assessors see the rounds; admins start them
    if request.method == "POST":
        forbid_unless(is_admin)
    versions = reconfirmation.eligible_versions(procedure) if is_admin else []
    form = StartRoundForm()
    form.version.choices = [("", _("Kies een versie"))] + [
        (v.id, _("Versie %(number)s, gepubliceerd %(date)s", number=v.number,
                 date=_day(to_local(v.published_at))))
        for v in versions]
    status = None
    # Not ``portal.actions.submit``: its expired-form check reads a field named "version" as
    # the form's version, and this form's "version" is the choice of the requirements' version.
    if form.validate_on_submit():
        version = next((v for v in versions if v.id == form.version.data), None)
        if version is None:
            form.version.errors = [_("Kies een van de genoemde versies.")]
        else:
            try:
                rnd = attempt(lambda: reconfirmation.start_round(
                    procedure, version, by=current_user, deadline=form.deadline.data,
                    note=form.note.data))
            except DomainError as exc:
                show_errors(form, exc)
            except Conflict as exc:
                form.form_errors.append(exc.message)
                status = 409
            else:
                flash(_("De herbevestigingsronde is gestart; de partners hebben bericht "
                        "gekregen."), "success")
                return redirect(url_for("partners_reconfirmation.show", round_id=rnd.id))

    page = paginate(
        select(ReconfirmationRound.id).where(ReconfirmationRound.procedure_id == procedure.id)
        .order_by(ReconfirmationRound.id.desc()),
        lambda ids: db.session.scalars(
            select(ReconfirmationRound).where(ReconfirmationRound.id.in_(ids))
            .options(joinedload(ReconfirmationRound.version),
                     joinedload(ReconfirmationRound.previous_version))))
    return render_template(
        "partners/reconfirmation/index.html", page=page, form=form, versions=versions,
        counts=reconfirmation.counts([r.id for r in page.items]), today=today_local(),
    ), status or (422 if form.errors else 200)


@bp.route("/beheer/herbevestiging/<int:round_id>")
@assessor_required
def show(round_id):
    rnd = db.session.scalar(
        select(ReconfirmationRound).where(ReconfirmationRound.id == round_id)
        .options(joinedload(ReconfirmationRound.version),
                 joinedload(ReconfirmationRound.previous_version),
                 joinedload(ReconfirmationRound.started_by)))
    if rnd is None:
        abort(404)
    page = paginate(
        select(Application.id).join(Organisation, Organisation.id == Application.organisation_id)
        .where(Application.round_id == rnd.id).order_by(Organisation.name, Application.id),
        lambda ids: db.session.scalars(
            select(Application).where(Application.id.in_(ids))
            .options(joinedload(Application.organisation),
                     selectinload(Application.categories))))
    today = today_local()
    return render_template(
        "partners/reconfirmation/show.html", rnd=rnd, page=page, today=today,
        past_deadline=today > rnd.deadline, counts=reconfirmation.counts([rnd.id])[rnd.id],
        is_answered=reconfirmation.is_answered,
    )

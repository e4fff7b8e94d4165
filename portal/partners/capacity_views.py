"""Free places for placement coordination: the partner reports them, the region's staff
and referrers see the current capacity per category."""
from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional

from ..accounts.models import Organisation
from ..actions import button
from ..auth import capacity_viewer_required, provider_required
from ..extensions import db
from ..i18n import N_, ngettext
from ..i18n import gettext as _
from ..pagination import FILTERED_COUNT_CAP, paginate, requested_page
from ..procedure.models import Category
from ..timeutil import today_local
from ..urls import row_id_or_none
from . import capacity
from .capacity import AGE_HIGHEST, AGE_LOWEST, CapacityInput
from .models import LIVE_ADMISSION, Admission, AdmissionStatus, CapacityReport

bp = Blueprint("partners_capacity", __name__)

NUMBER = N_("Vul een heel getal in, zonder punten of letters.")
DATE = N_("Vul een geldige datum in.")


class CapacityForm(FlaskForm):
    category = SelectField("Categorie", coerce=row_id_or_none, validate_choice=False,
                           validators=[InputRequired("Kies de categorie waarvoor u plaatsen "
                                                     "opgeeft.")])
    location = StringField(
        "Locatie",
        description="De plaats, wijk of naam van de woning. Een nieuwe opgave voor dezelfde "
                    "categorie en locatie vervangt de vorige.",
        validators=[InputRequired("Vul de locatie in, bijvoorbeeld de plaats of de wijk.")])
    places = IntegerField(
        "Aantal beschikbare plaatsen", invalid_value_message=NUMBER,
        description="Vul 0 in als u op deze locatie geen plaatsen heeft.",
        validators=[InputRequired("Vul het aantal beschikbare plaatsen in. Vul 0 in als u "
                                  "geen plaatsen heeft.")])
    available_from = DateField(
        "Beschikbaar vanaf", invalid_value_message=DATE,
        validators=[InputRequired("Vul de datum in vanaf wanneer de plaatsen beschikbaar "
                                  "zijn.")])
    age_min = IntegerField(
        "Leeftijd vanaf (jaar)", invalid_value_message=NUMBER,
        description=f"Van {AGE_LOWEST} tot en met {AGE_HIGHEST}. Laat leeg als er geen "
                    "ondergrens is.",
        validators=[Optional()])
    age_max = IntegerField(
        "Leeftijd tot en met (jaar)", invalid_value_message=NUMBER,
        description=f"Van {AGE_LOWEST} tot en met {AGE_HIGHEST}. Laat leeg als er geen "
                    "bovengrens is.",
        validators=[Optional()])
    remarks = TextAreaField(
        "Opmerkingen (niet verplicht)",
        description="Bijvoorbeeld: alleen meisjes, geschikt voor een broer en zus samen, "
                    "rolstoeltoegankelijk.")

    def to_input(self) -> CapacityInput:
        return CapacityInput(category_id=self.category.data, location=self.location.data,
                             places=self.places.data, available_from=self.available_from.data,
                             age_min=self.age_min.data, age_max=self.age_max.data,
                             remarks=self.remarks.data)


def _form(categories, **kwargs) -> CapacityForm:
    form = CapacityForm(**kwargs)
    form.category.choices = [("", _("Kies een categorie"))] + [(c.id, c.name) for c in categories]
    return form


def _report(form, render):
    """The form's POST: a new report (``portal.actions.button``; the fields' messages show
    on the form with the input kept, any other answer is a message on the partner's page)."""
    return button(
        form,
        lambda: capacity.report_capacity(current_user.organisation, form.to_input(),
                                         by=current_user),
        success=lambda report: ngettext(
            "Uw opgave voor %(category)s, %(location)s is opgeslagen: %(num)d plaats.",
            "Uw opgave voor %(category)s, %(location)s is opgeslagen: %(num)d plaatsen.",
            report.places, category=report.category.name, location=report.location),
        back=url_for("partners_capacity.mine"), invalid=lambda: render(form))


def _current_of(organisation_id):
    return db.session.scalars(
        capacity.current_reports_query()
        .where(CapacityReport.organisation_id == organisation_id)
        .join(Category, Category.id == CapacityReport.category_id)
        .options(joinedload(CapacityReport.category))
        .order_by(Category.position, CapacityReport.location, CapacityReport.id)
        .limit(500)).all()


@bp.route("/organisatie/capaciteit", methods=["GET", "POST"])
@provider_required
def mine():
    """The partner's free places: the current report per category and location, a form for
    a new report, and the history."""
    org = current_user.organisation
    categories = capacity.admitted_categories(org.id)
    today = today_local()

    def render(form):
        current = _current_of(org.id)
        history = paginate(
            select(CapacityReport.id).where(CapacityReport.organisation_id == org.id)
            .order_by(CapacityReport.id.desc()),
            lambda ids: db.session.scalars(
                select(CapacityReport).where(CapacityReport.id.in_(ids))
                .options(joinedload(CapacityReport.category))))
        return render_template("partners/capacity_mine.html", form=form, org=org,
                               categories=categories, current=current, history=history,
                               current_ids={r.id for r in current},
                               stale_before=capacity.stale_before(today),
                               stale_days=capacity.STALE_DAYS, today=today)

    if request.method == "POST":
        return _report(_form(categories), render)
    return render(_form(categories, data={"available_from": today}))


@bp.route("/organisatie/capaciteit/<int:report_id>/bijwerken", methods=["GET", "POST"])
@provider_required
def update(report_id):
    """A new report for the category and location of an earlier one, filled in from it."""
    report = db.session.scalar(
        select(CapacityReport).where(CapacityReport.id == report_id,
                                     CapacityReport.organisation_id == current_user.organisation_id)
        .options(joinedload(CapacityReport.category)))
    if report is None:
        abort(404)
    categories = capacity.admitted_categories(current_user.organisation_id)
    today = today_local()

    def render(form):
        return render_template("partners/capacity_update.html", form=form, report=report,
                               admitted=report.category_id in {c.id for c in categories},
                               stale=capacity.is_stale(report, today))

    if request.method == "POST":
        return _report(_form(categories), render)
    return render(_form(categories, data={
        "category": report.category_id, "location": report.location, "places": report.places,
        "available_from": max(report.available_from, today), "age_min": report.age_min,
        "age_max": report.age_max, "remarks": report.remarks}))


# The capacity overview's columns of a report.
SHOWN = (CapacityReport.id, CapacityReport.organisation_id, CapacityReport.category_id,
         CapacityReport.location, CapacityReport.places, CapacityReport.available_from,
         CapacityReport.age_min, CapacityReport.age_max, CapacityReport.remarks,
         CapacityReport.reported_at)


@bp.route("/capaciteit")
@capacity_viewer_required
def overview():
    """Current free places of every admitted partner, per category (placement coordination),
    for the region's staff and referrers (verwijzers). Per category the freshest report
    comes first: a coordinator looking for a place wants the latest news, and a stale report
    sinks to the end (see capacity.overview_ids)."""
    args = request.args
    today = today_local()
    categories = db.session.scalars(select(Category).order_by(Category.position)).all()
    category = next((c for c in categories if c.code == args.get("categorie")), None)
    age_text = (args.get("leeftijd") or "").strip()
    age, age_error = None, None
    if age_text:
        age = int(age_text) if age_text.isdecimal() and len(age_text) <= 3 else None
        if age is None or not AGE_LOWEST <= age <= AGE_HIGHEST:
            age, age_error = None, _("Vul een leeftijd van %(lowest)s tot en met "
                                     "%(highest)s jaar in.", lowest=AGE_LOWEST,
                                     highest=AGE_HIGHEST)
    free_only = args.get("vrij") == "1"
    chosen = (category.id if category else None, age, free_only)
    every = [c.id for c in categories]
    page = paginate(
        capacity.overview_ids(*chosen, category_ids=every,
                              upto=requested_page() * current_app.config["PAGE_SIZE"]),
        # Rows of the shown columns: the page only reads them (the category by its id).
        lambda page_ids: db.session.execute(
            select(*SHOWN).where(CapacityReport.id.in_(page_ids))).all(),
        # Each report is checked for a live admission as it is counted: the lower cap.
        count_query=capacity.overview_ids(*chosen), cap=FILTERED_COUNT_CAP)
    organisations, suspended = {}, set()
    if page.items:
        org_ids = {r.organisation_id for r in page.items}
        for org in db.session.execute(
                select(Organisation.id, Organisation.name, Organisation.city,
                       Admission.category_id, Admission.status)
                .join(Admission, Admission.organisation_id == Organisation.id)
                .where(Organisation.id.in_(org_ids), Admission.status.in_(LIVE_ADMISSION))):
            organisations[org.id] = org
            admission_category, status = org.category_id, org.status
            if status == AdmissionStatus.GESCHORST:
                suspended.add((org.id, admission_category))
    filters = {"categorie": category.code if category else None,
               "leeftijd": age if age is not None else None, "vrij": "1" if free_only else None}
    return render_template("partners/capacity_overview.html", page=page, categories=categories,
                           category_names={c.id: c.name for c in categories},
                           category=category, filters=filters, age_text=age_text,
                           age_error=age_error, organisations=organisations, suspended=suspended,
                           stale_before=capacity.stale_before(today),
                           stale_days=capacity.STALE_DAYS)

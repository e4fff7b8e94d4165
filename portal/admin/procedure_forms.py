"""Forms of the procedure settings, categories, products and tariffs (administrators).

The forms only turn text into values (with a Dutch message when that fails); the rules
themselves live in ``procedure_ops``, which reports them per field. Prices and
percentages stay text here: the operation parses them exactly, and a refused form shows
everything that was typed.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Optional
from wtforms.widgets import HiddenInput

from ..forms import NUMBER, ActionForm, WholeNumberField  # noqa: F401 (used by the views)
from ..forms import VersionedForm as SharedVersionedForm
from ..i18n import N_
from ..i18n import gettext as _
from ..procedure.settings import UNITS
from ..urls import row_id_or_none

DATE_MESSAGE = N_("Vul een datum in als dd-mm-jjjj, bijvoorbeeld 01-01-2027.")


def _date(label: str, *, required: bool = True, description: str | None = None) -> DateField:
    validators = [InputRequired(DATE_MESSAGE)] if required else [Optional()]
    return DateField(label, format=["%Y-%m-%d", "%d-%m-%Y"], invalid_value_message=DATE_MESSAGE,
                     validators=validators, description=description)




class VersionedForm(SharedVersionedForm):
    """Carries a fingerprint of what the form was built on: a stale form is refused. Posted
    without one (a script), the check is skipped."""

    version_required = False


class SettingsForm(VersionedForm):
    name = StringField("Naam van de procedure")
    reference = StringField(
        "Kenmerk (niet verplicht)",
        description="Het kenmerk van de publicatie, bijvoorbeeld WBO-2026-WMB.")
    description = TextAreaField(
        "Beschrijving", description="Staat bovenaan de openbare pagina van de procedure.")
    term_start = _date("Begin van de looptijd")
    term_end = _date("Einde van de eerste looptijd",
                     description="Zonder verlengingen. Kan alleen worden gewijzigd zolang er "
                                 "nog geen toelatingen zijn.")
    extension_options = WholeNumberField("Aantal verlengingsopties")
    extension_months = WholeNumberField("Duur van een verlengingsoptie (maanden)")
    decision_period_weeks = WholeNumberField(
        "Beslistermijn (weken)", description="Na indienen; de termijn staat stil zolang de "
                                             "aanbieder een aanvulling levert.")
    completion_working_days = WholeNumberField(
        "Termijn voor een aanvulling (werkdagen)",
        description="De standaardtermijn die een beoordelaar de aanbieder geeft. Weekenden "
                    "en de feestdagen van de Algemene termijnenwet tellen niet mee.")
    notice_months = WholeNumberField(
        "Opzegtermijn (maanden)", description="Als een partner zelf de deelname beëindigt.")


class OpenForm(VersionedForm):
    state = RadioField("Aanmelden", choices=[
        ("open", "Open: aanbieders kunnen zich aanmelden"),
        ("gesloten", "Tijdelijk gesloten voor nieuwe aanmeldingen"),
    ], validators=[InputRequired("Kies of aanmelden open of gesloten is.")])
    closed_notice = TextAreaField(
        "Mededeling bij sluiten",
        description="Verplicht als u aanmelden sluit. Bezoekers zien deze tekst op de openbare "
                    "pagina, bijvoorbeeld waarom aanmelden gesloten is.")
    reopens_on = _date("Gaat weer open op (niet verplicht)", required=False)


class DocumentForm(FlaskForm):
    title = StringField("Titel")
    file = FileField("Bestand (PDF)")



class MoveForm(FlaskForm):
    direction = StringField(widget=HiddenInput())


class CategoryForm(VersionedForm):
    name = StringField("Naam")
    description = TextAreaField("Beschrijving",
                                description="Staat op de openbare pagina bij de categorie.")


class ProductForm(VersionedForm):
    code = StringField(
        "Productcode",
        description="iJw-productcode: 2 cijfers, 1 letter en 2 cijfers (zoals 44A06), of 5 "
                    "cijfers (zoals 54001). Uniek binnen de procedure.")
    name = StringField("Naam")
    unit = SelectField("Eenheid", choices=[("", "Kies een eenheid")] + [(u, u) for u in UNITS],
                       validate_choice=False)
    category_id = SelectField("Categorie", coerce=row_id_or_none,
                              validate_choice=False)


class TariffsForm(VersionedForm):
    """A price per product for one year: fields p<product id>, added per page."""


class IndexForm(VersionedForm):
    """An indexation percentage for all products, and i<product id> per product."""

    percentage = StringField(
        "Percentage voor alle producten",
        description="Bijvoorbeeld 3,7. Een percentage per product hieronder gaat voor.")


class PublishForm(VersionedForm):
    pass


def tariffs_form(products, values: dict[int, str], formdata=None) -> TariffsForm:
    class Form(TariffsForm):
        pass

    for product in products:
        setattr(Form, f"p{product.id}", StringField(_("Tarief %(code)s", code=product.code)))
    if formdata is not None:
        return Form(formdata=formdata)
    return Form(formdata=None, data={f"p{pid}": value for pid, value in values.items()})


def index_form(products, formdata=None) -> IndexForm:
    class Form(IndexForm):
        pass

    for product in products:
        setattr(Form, f"i{product.id}", StringField(_("Percentage %(code)s", code=product.code)))
    return Form(formdata=formdata) if formdata is not None else Form(formdata=None)

"""The monitoring part's forms. The figures form is built per report: one value field
and one explanation field per indicator asked (named after the indicator's code)."""
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    DateField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired

from ..forms import DATE
from ..forms import MultiCheckboxField as CheckboxesField
from ..i18n import gettext as _
from ..urls import row_id_or_none
from .indicators import IndicatorSpec
from .models import Direction, Frequency, Unit
from .workflow import Figure, RoundInput, explanation_field, value_field


class ButtonForm(FlaskForm):
    """A button's form: only the CSRF token."""


class IndicatorForm(FlaskForm):
    code = StringField("Code", description="Kleine letters, cijfers en _; blijft gelijk over "
                                           "versies, zodat trends de indicator volgen.")
    name = StringField("Naam")
    definition = TextAreaField("Definitie", description="Wat precies wordt geteld of gemeten, "
                                                        "en over welke periode.")
    category = SelectField("Categorie", coerce=row_id_or_none, validate_choice=False)
    unit = SelectField("Eenheid", choices=[("", "Kies de eenheid")]
                       + [(u.value, u.label) for u in Unit], validate_choice=False)
    target = StringField("Streefwaarde (niet verplicht)")
    direction = SelectField("Richting", choices=[("", "Kies de richting")]
                            + [(d.value, d.label) for d in Direction], validate_choice=False)
    frequency = SelectField("Frequentie", choices=[("", "Kies de frequentie")]
                            + [(f.value, f.label) for f in Frequency], validate_choice=False)
    plausible_min = StringField("Aannemelijke ondergrens (niet verplicht)")
    plausible_max = StringField("Aannemelijke bovengrens (niet verplicht)",
                                description="Een waarde buiten dit bereik wordt geweigerd als "
                                            "vermoedelijke tikfout.")

    def to_spec(self) -> IndicatorSpec:
        return IndicatorSpec(
            code=self.code.data, name=self.name.data, definition=self.definition.data,
            unit=self.unit.data, target=self.target.data, direction=self.direction.data,
            frequency=self.frequency.data, plausible_min=self.plausible_min.data,
            plausible_max=self.plausible_max.data, category_id=self.category.data)


def indicator_form(categories, **kwargs) -> IndicatorForm:
    form = IndicatorForm(**kwargs)
    form.category.choices = [("", _("Alle categorieën"))] + [(c.id, c.name) for c in categories]
    return form


class PublishForm(FlaskForm):
    note = TextAreaField("Toelichting bij deze versie (niet verplicht)")


class MultiCheckboxField(CheckboxesField):
    def pre_validate(self, form):
        pass  # unknown ids are refused by the operation, with a message


class RoundForm(FlaskForm):
    label = StringField("Naam van de ronde", description="Bijvoorbeeld 2027 K1 of 2027.",
                        validators=[InputRequired("Vul de naam van de ronde in, bijvoorbeeld "
                                                  "2027 K1.")])
    period_start = DateField("Eerste dag van de periode", invalid_value_message=DATE,
                             validators=[InputRequired("Vul de eerste dag van de periode in.")])
    period_end = DateField("Laatste dag van de periode", invalid_value_message=DATE,
                           validators=[InputRequired("Vul de laatste dag van de periode in.")])
    deadline = DateField("Uiterste datum om te rapporteren", invalid_value_message=DATE,
                         validators=[InputRequired("Vul de uiterste datum in waarop partners "
                                                   "rapporteren.")])
    set_id = SelectField("Versie van de informatieset", coerce=row_id_or_none,
                         validate_choice=False)
    category_ids = MultiCheckboxField("Categorieën", coerce=row_id_or_none)
    note = TextAreaField("Toelichting voor de partners (niet verplicht)")

    def to_input(self) -> RoundInput:
        return RoundInput(label=self.label.data, period_start=self.period_start.data,
                          period_end=self.period_end.data, deadline=self.deadline.data,
                          set_id=self.set_id.data,
                          category_ids=[c for c in (self.category_ids.data or []) if c],
                          note=self.note.data)


def round_form(sets, categories, **kwargs) -> RoundForm:
    form = RoundForm(**kwargs)
    form.set_id.choices = [(s.id, _("Versie %(number)s", number=s.number)) for s in sets]
    form.category_ids.choices = [(c.id, c.name) for c in categories]
    return form


class ReportFormBase(FlaskForm):
    attachments = MultipleFileField("Bijlagen (niet verplicht)",
                                    description="PDF, JPEG of PNG, bijvoorbeeld een toelichting "
                                                "of een jaarverslag.")

    def figures(self, indicators) -> dict[str, Figure]:
        return {i.code: Figure(self[value_field(i)].data, self[explanation_field(i)].data)
                for i in indicators}

    def uploads(self):
        return [f for f in (self.attachments.data or []) if getattr(f, "filename", "")]


def report_form(indicators, *, correcting: bool, **kwargs):
    """A form with a value and an explanation field per indicator (and a reason when it
    corrects a report)."""

    class ReportForm(ReportFormBase):
        pass

    for indicator in indicators:
        unit = indicator.unit.label
        setattr(ReportForm, value_field(indicator),
                StringField(f"{indicator.name} ({unit})", description=indicator.definition))
        setattr(ReportForm, explanation_field(indicator),
                TextAreaField(_("Toelichting bij %(indicator)s", indicator=indicator.name.lower()),
                              description=_("Verplicht als de waarde de streefwaarde niet "
                                            "haalt.")))
    if correcting:
        ReportForm.reason = TextAreaField(
            _("Reden van de correctie"), validators=[InputRequired(
                _("Vul in wat er niet klopte in de vorige versie."))])
    return ReportForm(**kwargs)

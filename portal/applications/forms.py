"""Forms of the provider's application; the answer form is built per application."""
from __future__ import annotations

import re

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from ..forms import NUMBER, MultiCheckboxField, SelectOnce
from ..i18n import gettext as _
from ..procedure.models import Identifier, Requirement
from ..timeutil import today_local
from ..validators import AgbCode, KvkNumber, normalise_digits
from .models import Application
from .workflow import field_id


class NewApplicationForm(FlaskForm):
    categories = MultiCheckboxField(
        "Voor welke categorieën meldt u zich aan?",
        coerce=int,
        validators=[DataRequired("Kies minstens één categorie.")],
    )


class ConfirmForm(FlaskForm):
    """A form with only the CSRF token, for buttons that change state."""


class SubmitForm(FlaskForm):
    """Indienen: the version of the application the overview showed."""

    version = IntegerField(widget=HiddenInput(), validators=[Optional()])


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        "Reden (niet verplicht)",
        validators=[Length(max=2000, message="Maximaal 2000 tekens.")],
    )


def _amount_filter(value):
    if isinstance(value, str):
        value = re.sub(r"[€\s.]|,-$|,00$", "", value)
    return value or None


class AmountField(StringField):
    """Whole euros; accepts '2.500.000', '€ 2500000' and '2.500.000,-'."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.data = _amount_filter(self.data)

    def pre_validate(self, form):
        if self.data is not None and not re.fullmatch(r"\d{1,12}", str(self.data)):
            raise ValidationError(_("Vul een bedrag in hele euro's in, bijvoorbeeld 2.500.000."))

    def _value(self):
        """What the provider typed comes back as typed ("2.500.000", not "2500000")."""
        if self.raw_data:
            return self.raw_data[0]
        return super()._value()


def _not_in_past(form, field):
    if field.data and field.data < today_local():
        raise ValidationError(_("Deze datum ligt in het verleden: het bewijsstuk is dan verlopen."))


class LibraryChoiceField(SelectField):
    """A document from the organisation's library; only valid ones are offered."""

    widget = SelectOnce()

    def pre_validate(self, form):
        if self.data and self.data not in {value for value, _label in self.choices}:
            raise ValidationError(_("Dit document kunt u niet kiezen: het is verlopen of hoort "
                                    "niet bij uw organisatie."))


class AnswerFormBase(FlaskForm):
    """Fields are added per requirement by build_answer_form()."""

    requirements: list[Requirement] = []
    # Optimistic locking: the version of the application the form was built on.
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])

    def parts(self, requirement: Requirement) -> dict:
        """The bound fields of one requirement, by part name."""
        out = {}
        for part in ("declared", "identifier", "number", "amount", "text", "file", "existing",
                     "valid_until"):
            name = field_id(requirement, part)
            if name in self._fields:
                out[part] = self._fields[name]
        return out

    def values_without_errors(self) -> dict[int, dict]:
        """Per requirement, the values of fields that validated (these get saved)."""
        result: dict[int, dict] = {}
        for req in self.requirements:
            values = {}
            for part, field in self.parts(req).items():
                if part in ("file", "existing") or field.errors:
                    continue
                data = field.data
                if part == "identifier":
                    data = normalise_digits(data) or None
                elif part == "amount":
                    data = int(data) if data is not None else None
                elif part == "text":
                    data = (data or "").strip() or None
                values[part] = data
            result[req.id] = values
        return result


def build_answer_form(application: Application, only: set[int] | None = None,
                      library: list | None = None, **kwargs) -> AnswerFormBase:
    """The answer form of an application; ``only``: just these requirements (a wizard
    step, or the ones a request to complete asks about); ``library``: the organisation's
    documents that may be attached instead of uploading again."""
    requirements = [r for r in application.applicable_requirements()
                    if only is None or r.id in only]

    class AnswerForm(AnswerFormBase):
        pass

    # One list for every file requirement's library select (SelectOnce writes it once).
    # The label's pattern translated once for the whole list (up to 200 documents).
    valid_until = _("%(document)s, geldig tot %(date)s")
    library_choices = [(None, _("– geen –"))] + [(d.id, _library_label(d, valid_until))
                                                  for d in library or []]
    for req in requirements:
        if req.asks_declaration:
            setattr(AnswerForm, field_id(req, "declared"), BooleanField(req.declaration_text))
        if req.identifier == Identifier.KVK:
            setattr(AnswerForm, field_id(req, "identifier"),
                    StringField(_("KvK-nummer (8 cijfers)"), validators=[Optional(), KvkNumber()]))
        elif req.identifier == Identifier.AGB:
            setattr(AnswerForm, field_id(req, "identifier"),
                    StringField(_("AGB-code (8 cijfers)"), validators=[Optional(), AgbCode()]))
        if req.asks_number:
            validators = [Optional()]
            if req.number_min is not None or req.number_max is not None:
                lo, hi = req.number_min, req.number_max
                if lo is not None and hi is not None:
                    msg = _("Vul een getal van %(lo)s tot en met %(hi)s in.", lo=lo, hi=hi)
                elif lo is not None:
                    msg = _("Vul een getal van minstens %(lo)s in.", lo=lo)
                else:
                    msg = _("Vul een getal van hoogstens %(hi)s in.", hi=hi)
                validators.append(NumberRange(min=lo, max=hi, message=msg))
            field = IntegerField(req.number_label, validators=validators)
            setattr(AnswerForm, field_id(req, "number"), field)
        if req.asks_amount:
            setattr(AnswerForm, field_id(req, "amount"), AmountField(req.amount_label))
        if req.asks_text:
            setattr(AnswerForm, field_id(req, "text"), TextAreaField(
                req.text_label,
                validators=[Optional(), Length(max=5000, message=_("Maximaal 5000 tekens."))],
            ))
        if req.asks_evidence:
            setattr(AnswerForm, field_id(req, "file"), FileField(req.evidence_label or _("Bewijsstuk")))
            setattr(AnswerForm, field_id(req, "existing"), LibraryChoiceField(
                _("Of kies een document uit uw documentenbibliotheek"), coerce=_int_or_none,
                choices=library_choices,
                validate_choice=False))
            if req.evidence_expires:
                setattr(AnswerForm, field_id(req, "valid_until"), DateField(
                    _("Geldig tot"), validators=[Optional(), _not_in_past],
                ))

    AnswerForm.requirements = requirements
    form = AnswerForm(**kwargs)
    # IntegerField's own parse error message, in Dutch.
    for req in requirements:
        name = field_id(req, "number")
        if name in form._fields and form._fields[name].process_errors:
            form._fields[name].process_errors = [_(NUMBER)]
    return form


def _int_or_none(value):
    try:
        return int(value) if value not in (None, "", "None") else None
    except (TypeError, ValueError):
        return -1  # not a document id: refused by LibraryChoiceField


def _library_label(document, valid_until: str) -> str:
    """``valid_until``: the (translated) pattern of a label with the document's date."""
    kind = f"{document.doc_type}: " if document.doc_type else ""
    image = {"image/jpeg": " (JPEG)", "image/png": " (PNG)"}.get(document.content_type, "")
    label = f"{kind}{document.original_name}{image}"
    if document.valid_until:
        return valid_until % {"document": label, "date": f"{document.valid_until:%d-%m-%Y}"}
    return label


def fill_from_answers(form: AnswerFormBase, answers: dict) -> None:
    """Show the saved answers in a fresh (GET) form."""
    for req in form.requirements:
        ans = answers.get(req.id)
        if ans is None:
            continue
        parts = form.parts(req)
        mapping = {
            "declared": ans.declared,
            "identifier": ans.identifier_value,
            "number": ans.number_value,
            "amount": f"{ans.amount_value:,}".replace(",", ".") if ans.amount_value is not None else None,
            "text": ans.text_value,
            "valid_until": ans.evidence_valid_until,
        }
        for part, value in mapping.items():
            if part in parts:
                parts[part].data = value


DOCUMENT_TYPES = [
    ("KvK-uittreksel", "KvK-uittreksel"),
    ("Kwaliteitscertificaat", "Kwaliteitscertificaat (HKZ, ISO 9001 of gelijkwaardig)"),
    ("Verzekeringspolis", "Verzekeringspolis"),
    ("VOG-beleid", "VOG-beleid of -overzicht"),
    ("Meldcode", "Meldcode huiselijk geweld en kindermishandeling"),
    ("Klachtenregeling", "Klachtenregeling"),
    ("Keurmerk gezinshuizen", "Keurmerk of kwaliteitscriteria gezinshuizen"),
    ("Brandveiligheid", "Brandveiligheid"),
    ("Overig", "Overig"),
]


class LibraryUploadForm(FlaskForm):
    doc_type = SelectField("Soort document", choices=DOCUMENT_TYPES,
                           validators=[DataRequired("Kies het soort document.")])
    file = FileField("Bestand (PDF)")
    valid_until = DateField("Geldig tot (niet verplicht)", validators=[Optional(), _not_in_past])

    def validate_file(self, field):
        if not field.data or not getattr(field.data, "filename", ""):
            raise ValidationError("Kies een bestand om te uploaden.")

"""Forms of three parts of the administration: staff accounts, mail texts and the audit
log filter. Every field has a Dutch label and Dutch messages."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from ..accounts.forms import new_password_field
from ..forms import ActionForm, SelectOnce  # noqa: F401 (ActionForm: used by the views)
from ..i18n import N_
from ..i18n import gettext as _
from ..notifications.mail_texts import BODY_MAX, SUBJECT_MAX

REQUIRED = N_("Dit veld is verplicht.")
STAFF_ROLE_CHOICES = [
    ("assessor", "Beoordelaar: beoordeelt aanmeldingen en stelt besluiten voor of keurt ze goed"),
    ("admin", "Contractbeheerder: beheert daarnaast de procedure, de toegelaten aanbieders, "
              "e-mailteksten en accounts van medewerkers, en kan aanmeldingen toewijzen"),
    ("referrer", "Verwijzer: werkt bij een sociaal wijkteam of gemeente en ziet alleen de "
                 "actuele beschikbare plaatsen bij de partners, niets van beoordelingen of "
                 "beheer"),
]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class StaffRoleField(RadioField):
    """A radio group whose refusal of an unknown value is in Dutch too."""

    MESSAGE = "Kies de rol: beoordelaar, contractbeheerder of verwijzer."

    def __init__(self, label, **kwargs):
        super().__init__(label, choices=STAFF_ROLE_CHOICES,
                         validators=[DataRequired(self.MESSAGE)], **kwargs)

    def pre_validate(self, form):
        if self.data not in {value for value, _label in STAFF_ROLE_CHOICES}:
            raise ValidationError(self.MESSAGE)



class StaffForm(FlaskForm):
    full_name = StringField("Naam", filters=[_strip], validators=[
        DataRequired("Vul de naam van de medewerker in."),
        Length(max=200, message="Maximaal 200 tekens.")])
    email = EmailField(
        "E-mailadres", filters=[_strip],
        description="Hierheen gaat de uitnodiging; hiermee logt de medewerker in.",
        validators=[DataRequired("Vul het e-mailadres van de medewerker in."),
                    Email("Vul een geldig e-mailadres in, bijvoorbeeld naam@regio.nl.",
                          check_deliverability=False),
                    Length(max=254, message="Maximaal 254 tekens.")])
    role = StaffRoleField("Rol")
    affiliation = StringField(
        "Sociaal wijkteam of gemeente (alleen voor een verwijzer)", filters=[_strip],
        description="Bijvoorbeeld: Sociaal wijkteam Breda-Noord of Gemeente Oosterhout.",
        validators=[Length(max=200, message="Maximaal 200 tekens.")])

    def validate_affiliation(self, field):
        if self.role.data == "referrer" and not field.data:
            raise ValidationError(_("Vul bij een verwijzer het sociaal wijkteam of de gemeente "
                                    "in waarvoor die werkt."))


class SetPasswordForm(FlaskForm):
    password = new_password_field("Kies een wachtwoord")
    password_repeat = PasswordField("Herhaal wachtwoord", validators=[
        DataRequired(REQUIRED), EqualTo("password", message="De wachtwoorden zijn niet gelijk.")])


class VersionField(HiddenField):
    """The version of the text the form was built on (0: the default text)."""

    def process_formdata(self, valuelist):
        try:
            self.data = int(valuelist[0]) if valuelist and valuelist[0] != "" else None
        except ValueError:
            self.data = None


class MailTextForm(FlaskForm):
    version = VersionField()
    subject = StringField(
        "Onderwerp", filters=[_strip],
        description="Eén regel. {{ subject }} is het onderwerp dat het portaal standaard maakt.",
        validators=[DataRequired("Vul het onderwerp in."),
                    Length(max=SUBJECT_MAX, message=f"Maximaal {SUBJECT_MAX} tekens.")])
    body_text = TextAreaField(
        "Tekst (platte tekst)",
        description="Voor e-mailprogramma's zonder opmaak. Zet links als volledige adressen in "
                    "de tekst.",
        validators=[DataRequired("Vul de tekst in."),
                    Length(max=BODY_MAX, message=f"Maximaal {BODY_MAX:,} tekens.".replace(",", "."))])
    body_html = TextAreaField(
        "HTML-tekst",
        description="Alleen de inhoud: de kop en de voettekst in de huisstijl komen er "
                    "vanzelf omheen. Plaatshouders worden veilig ingevuld (als tekst, niet als HTML).",
        validators=[DataRequired("Vul de HTML-tekst in."),
                    Length(max=BODY_MAX, message=f"Maximaal {BODY_MAX:,} tekens.".replace(",", "."))])


class VersionOnlyForm(FlaskForm):
    version = VersionField()


DATE_MESSAGE = N_("Vul een geldige datum in, bijvoorbeeld 31-01-2027.")


def _date(label):
    return DateField(label, format=["%Y-%m-%d", "%d-%m-%Y"], invalid_value_message=DATE_MESSAGE,
                     validators=[Optional()])


class AuditFilterForm(FlaskForm):
    """The search form of the audit log (GET: no CSRF token, nothing changes)."""

    class Meta:
        csrf = False

    actor = StringField("Gebruiker (e-mailadres bevat)", filters=[_strip],
                        validators=[Optional(), Length(max=254, message="Maximaal 254 tekens.")])
    # SelectOnce: the long lists of kinds and actions written once, not per option each time.
    object_type = SelectField("Soort object", choices=[], validate_choice=False,
                              widget=SelectOnce())
    object_id = IntegerField("Nummer van het object", validators=[Optional()],
                             invalid_value_message="Vul een nummer in (alleen cijfers).")
    action = SelectField("Handeling", choices=[], validate_choice=False, widget=SelectOnce())
    date_from = _date("Vanaf datum")
    date_to = _date("Tot en met datum")

    def validate_object_type(self, field):
        if field.data and field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_("Kies een soort object uit de lijst."))

    def validate_action(self, field):
        if field.data and field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_("Kies een handeling uit de lijst."))

    def validate_object_id(self, field):
        if field.data is not None and not (0 < field.data < 2**63):
            raise ValidationError(_("Vul een nummer groter dan 0 in."))

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_("De einddatum ligt vóór de begindatum."))

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, StringField
from wtforms.validators import URL, DataRequired, Email, EqualTo, Length, Optional, ValidationError

from ..forms import ActionForm, VersionedForm  # noqa: F401 (ActionForm: used by the views)
from ..i18n import N_
from ..validators import AgbCode, KvkNumber, Postcode
from .passwords import MAX_LENGTH, MIN_LENGTH, length_problem

REQUIRED = N_("Dit veld is verplicht.")
EMAIL = N_("Vul een geldig e-mailadres in, bijvoorbeeld naam@organisatie.nl.")
PASSWORDS_DIFFER = N_("De wachtwoorden zijn niet gelijk.")

ORG_ROLE_CHOICES = [
    ("medewerker", "Medewerker: werkt aan de aanmeldingen van de organisatie"),
    ("beheerder", "Beheerder: kan daarnaast collega's uitnodigen en verwijderen, rollen "
                  "wijzigen en de gegevens van de organisatie wijzigen"),
]


class ChoiceOfRole(RadioField):
    """A radio group whose refusal of an unknown value is in Dutch too."""

    def __init__(self, label, message, **kwargs):
        super().__init__(label, choices=ORG_ROLE_CHOICES,
                         validators=[DataRequired(message)], **kwargs)
        self.message = message

    def pre_validate(self, form):
        if self.data not in {value for value, _label in ORG_ROLE_CHOICES}:
            raise ValidationError(self.message)


# Field factories: each call makes a new field, so forms list them in the order used.
def _text(label, max_length, **kwargs):
    return StringField(label, validators=[
        DataRequired(REQUIRED), Length(max=max_length, message=f"Maximaal {max_length} tekens.")
    ], **kwargs)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _email(label, **kwargs):
    return EmailField(label, filters=[_strip], validators=[
        DataRequired(REQUIRED), Email(EMAIL, check_deliverability=False),
        Length(max=254, message="Maximaal 254 tekens."),
    ], **kwargs)


class PasswordRules:
    """The length rules of a new password (12 to 128 characters, not only spaces); the
    workflow also refuses one that is easy to guess, given the user's name and address."""

    def __call__(self, form, field):
        problem = length_problem(field.data)
        if problem:
            raise ValidationError(problem)


PASSWORD_HINT = (f"Minstens {MIN_LENGTH} en hoogstens {MAX_LENGTH} tekens. Een zin van een paar "
                 "woorden is sterk en goed te onthouden; een veelgebruikt of makkelijk te raden "
                 "wachtwoord wordt geweigerd.")


def new_password_field(label="Wachtwoord"):
    # No DataRequired: it would strip a password of spaces and call it empty.
    return PasswordField(label, description=PASSWORD_HINT, validators=[PasswordRules()])


_new_password = new_password_field


def _password_repeat(label="Herhaal wachtwoord"):
    return PasswordField(label, validators=[
        DataRequired(REQUIRED), EqualTo("password", message=PASSWORDS_DIFFER)])


def _current_password():
    return PasswordField("Huidig wachtwoord", validators=[DataRequired(REQUIRED)])


def _org_name():
    return _text("Naam organisatie (statutaire naam)", 200)


def _kvk_number():
    return StringField(
        "KvK-nummer",
        description="8 cijfers, zoals op uw uittreksel van de Kamer van Koophandel.",
        validators=[DataRequired(REQUIRED), KvkNumber()],
    )


def _street():
    return _text("Straat en huisnummer", 200)


def _postal_code():
    return StringField("Postcode", validators=[DataRequired(REQUIRED), Postcode()])


def _city():
    # Stripped: the register filters on the place's lower-case form (its index).
    return _text("Plaats", 100, filters=[_strip])


def _contact_email():
    return _email("Algemeen e-mailadres organisatie")


def _website():
    return StringField(
        "Website (niet verplicht)",
        validators=[Optional(), URL(message="Vul een volledig webadres in, beginnend met https://."),
                    Length(max=300, message="Maximaal 300 tekens.")],
    )


class RegistrationForm(FlaskForm):
    org_name = _org_name()
    kvk_number = _kvk_number()
    street = _street()
    postal_code = _postal_code()
    city = _city()
    contact_email = _contact_email()
    website = _website()
    full_name = _text("Uw naam", 200)
    email = _email("Uw e-mailadres (hiermee logt u in)")
    password = _new_password()
    password_repeat = _password_repeat()
    accept_terms = BooleanField(
        "Ik ben bevoegd namens deze organisatie een account aan te maken.",
        validators=[DataRequired("Bevestig dat u bevoegd bent namens de organisatie.")],
    )


class OrganisationForm(VersionedForm):
    """The organisation's details, with the validators of registration; carries the
    organisation's row version, so that a save never overwrites one made in between."""

    org_name = _org_name()
    kvk_number = _kvk_number()
    agb_code = StringField(
        "AGB-code (niet verplicht)",
        description="8 cijfers: de AGB-code van uw organisatie.",
        validators=[Optional(), AgbCode()],
    )
    street = _street()
    postal_code = _postal_code()
    city = _city()
    contact_email = _contact_email()
    website = _website()


class LoginForm(FlaskForm):
    email = EmailField(
        "E-mailadres", validators=[DataRequired(REQUIRED), Email(EMAIL, check_deliverability=False)]
    )
    password = PasswordField("Wachtwoord", validators=[DataRequired(REQUIRED)])


class ResendConfirmationForm(FlaskForm):
    email = EmailField(
        "E-mailadres", validators=[DataRequired(REQUIRED), Email(EMAIL, check_deliverability=False)]
    )



class InviteForm(FlaskForm):
    email = _email(
        "E-mailadres van uw collega",
        description="Uw collega krijgt op dit adres een link om een account aan te maken.",
    )
    org_role = ChoiceOfRole("Rol", "Kies de rol van uw collega: beheerder of medewerker.",
                            default="medewerker")


class RoleForm(FlaskForm):
    org_role = ChoiceOfRole("Rol", "Kies een rol: beheerder of medewerker.")


class AcceptInvitationForm(FlaskForm):
    full_name = _text("Uw naam", 200)
    password = _new_password("Kies een wachtwoord")
    password_repeat = _password_repeat()


class ChangePasswordForm(FlaskForm):
    current_password = _current_password()
    password = _new_password("Nieuw wachtwoord")
    password_repeat = _password_repeat("Herhaal nieuw wachtwoord")


class ChangeEmailForm(FlaskForm):
    email = _email(
        "Nieuw e-mailadres",
        description="Wij sturen een link naar dit adres. Pas als u op die link klikt, "
                    "wordt uw e-mailadres gewijzigd.",
    )
    current_password = _current_password()


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        "E-mailadres", validators=[DataRequired(REQUIRED), Email(EMAIL, check_deliverability=False)]
    )


class ResetPasswordForm(FlaskForm):
    password = _new_password("Nieuw wachtwoord")
    password_repeat = _password_repeat("Herhaal nieuw wachtwoord")


class CodeForm(FlaskForm):
    """The second step of the login: the code from the authenticator app."""

    code = StringField("Code uit uw authenticator-app",
                       description="6 cijfers; uw app toont elke 30 seconden een nieuwe code.",
                       filters=[_strip], validators=[DataRequired("Vul de code uit uw app in.")])


class RecoveryCodeForm(FlaskForm):
    code = StringField("Herstelcode",
                       description="Een van de tien herstelcodes die u bij het instellen kreeg, "
                                   "bijvoorbeeld abcde-23456. Elke code werkt één keer.",
                       filters=[_strip], validators=[DataRequired("Vul een herstelcode in.")])


class EnrolForm(FlaskForm):
    code = StringField("Code uit uw authenticator-app",
                       description="De 6 cijfers die uw app toont nadat u de QR-code scande "
                                   "of de sleutel invoerde.",
                       filters=[_strip], validators=[DataRequired("Vul de code uit uw app in.")])


class DisableSecondFactorForm(FlaskForm):
    current_password = _current_password()

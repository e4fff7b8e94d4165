from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import URL, DataRequired, Email, EqualTo, Length, Optional

from ..validators import KvkNumber, Postcode, StrongPassword

REQUIRED = "Dit veld is verplicht."
EMAIL = "Vul een geldig e-mailadres in, bijvoorbeeld naam@organisatie.nl."


class RegistrationForm(FlaskForm):
    org_name = StringField(
        "Naam organisatie (statutaire naam)",
        validators=[DataRequired(REQUIRED), Length(max=200, message="Maximaal 200 tekens.")],
    )
    kvk_number = StringField(
        "KvK-nummer",
        description="8 cijfers, zoals op uw uittreksel van de Kamer van Koophandel.",
        validators=[DataRequired(REQUIRED), KvkNumber()],
    )
    street = StringField(
        "Straat en huisnummer",
        validators=[DataRequired(REQUIRED), Length(max=200, message="Maximaal 200 tekens.")],
    )
    postal_code = StringField("Postcode", validators=[DataRequired(REQUIRED), Postcode()])
    city = StringField(
        "Plaats", validators=[DataRequired(REQUIRED), Length(max=100, message="Maximaal 100 tekens.")]
    )
    contact_email = EmailField(
        "Algemeen e-mailadres organisatie",
        validators=[DataRequired(REQUIRED), Email(EMAIL, check_deliverability=False)],
    )
    website = StringField(
        "Website (niet verplicht)",
        validators=[Optional(), URL(message="Vul een volledig webadres in, beginnend met https://.")],
    )
    full_name = StringField(
        "Uw naam", validators=[DataRequired(REQUIRED), Length(max=200, message="Maximaal 200 tekens.")]
    )
    email = EmailField(
        "Uw e-mailadres (hiermee logt u in)",
        validators=[DataRequired(REQUIRED), Email(EMAIL, check_deliverability=False)],
    )
    password = PasswordField(
        "Wachtwoord",
        description="Minstens 12 tekens.",
        validators=[DataRequired(REQUIRED), StrongPassword()],
    )
    password_repeat = PasswordField(
        "Herhaal wachtwoord",
        validators=[
            DataRequired(REQUIRED),
            EqualTo("password", message="De wachtwoorden zijn niet gelijk."),
        ],
    )
    accept_terms = BooleanField(
        "Ik ben bevoegd namens deze organisatie een account aan te maken.",
        validators=[DataRequired("Bevestig dat u bevoegd bent namens de organisatie.")],
    )


class LoginForm(FlaskForm):
    email = EmailField(
        "E-mailadres", validators=[DataRequired(REQUIRED), Email(EMAIL, check_deliverability=False)]
    )
    password = PasswordField("Wachtwoord", validators=[DataRequired(REQUIRED)])


class ResendConfirmationForm(FlaskForm):
    email = EmailField(
        "E-mailadres", validators=[DataRequired(REQUIRED), Email(EMAIL, check_deliverability=False)]
    )

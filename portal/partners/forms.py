from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..i18n import N_

REASON = [DataRequired("Geef de reden."), Length(max=2000, message="Maximaal 2000 tekens.")]
DATE = N_("Vul een geldige datum in.")


class AcceptAgreementForm(FlaskForm):
    agree = BooleanField(
        "Ik heb de deelnemersovereenkomst gelezen en accepteer haar namens mijn organisatie.",
        validators=[DataRequired("Bevestig dat u de overeenkomst accepteert.")])


class SuspendForm(FlaskForm):
    reason = TextAreaField("Reden van de schorsing", validators=REASON)
    starts_on = DateField("Ingangsdatum", validators=[InputRequired(DATE)])
    ends_on = DateField("Einddatum (niet verplicht)", validators=[Optional()])


class ReinstateForm(FlaskForm):
    note = TextAreaField("Toelichting (niet verplicht)",
                         validators=[Length(max=2000, message="Maximaal 2000 tekens.")])


class EndForm(FlaskForm):
    reason = TextAreaField("Reden van de beëindiging", validators=REASON)
    ends_on = DateField("Datum van beëindiging", validators=[InputRequired(DATE)])


class NoticeForm(FlaskForm):
    reason = TextAreaField("Reden van de opzegging", validators=REASON)
    confirm = BooleanField("Ik zeg deze toelating op namens mijn organisatie.",
                           validators=[DataRequired("Bevestig de opzegging.")])


class ExtensionForm(FlaskForm):
    rationale = TextAreaField("Onderbouwing van de verlenging", validators=REASON)
    exercised_on = DateField("Datum van het besluit", validators=[InputRequired(DATE)])

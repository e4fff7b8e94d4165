"""The oversight part's forms. The operations check the rules again (and name the field);
the forms give each field its Dutch message."""
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, Optional

from ..forms import DATE, SelectOnce
from ..urls import row_id_or_none

LONG = Length(max=10000, message="Maximaal 10000 tekens.")


class PlanDialogueForm(FlaskForm):
    organisation_id = HiddenField("Partner", filters=[row_id_or_none])  # the picker's choice
    meeting_date = DateField("Datum", invalid_value_message=DATE, validators=[InputRequired(DATE)])
    meeting_time = TimeField("Tijdstip", invalid_value_message="Vul een geldig tijdstip in (uu:mm).",
                             validators=[InputRequired("Vul een tijdstip in (uu:mm).")])
    place = StringField("Plaats of link van het online overleg",
                        validators=[Length(max=300, message="Maximaal 300 tekens.")])
    online = BooleanField("Online overleg")
    participants = TextAreaField("Deelnemers", description="Eén per regel, met naam en rol, "
                                 "bijvoorbeeld 'Jan Jansen (contractmanager)'.",
                                 validators=[LONG])
    agenda = TextAreaField("Agenda", description="De rapportages en bevindingen die op tafel "
                           "liggen, één onderwerp per regel.", validators=[LONG])
    reporting_round_id = SelectField("Verantwoordingsronde (niet verplicht)",
                                     coerce=row_id_or_none, validate_choice=False)


class MinutesForm(FlaskForm):
    minutes = TextAreaField("Verslag", validators=[Length(max=50000, message="Maximaal 50000 "
                                                                             "tekens.")])


class ActionPointForm(FlaskForm):
    description = TextAreaField("Actiepunt", validators=[LONG])
    owner_side = SelectField("Uitvoerder", choices=[("", "Kies…"), ("regio", "De regio"),
                                                   ("partner", "De partner")],
                             validate_choice=False)
    owner_name = StringField("Naam van de uitvoerder",
                             validators=[Length(max=200, message="Maximaal 200 tekens.")])
    due_on = DateField("Uiterste datum", invalid_value_message=DATE, validators=[Optional()])


class ActionStatusForm(FlaskForm):
    status = SelectField("Nieuwe status", choices=[("gereed", "gereed"),
                                                  ("vervallen", "vervallen"),
                                                  ("open", "weer open")],
                         validate_choice=False)
    note = TextAreaField("Toelichting (niet verplicht)", validators=[LONG])


class ConfirmMinutesForm(FlaskForm):
    remark = TextAreaField("Opmerking (niet verplicht bij bevestigen)", validators=[LONG])


class CompleteActionForm(FlaskForm):
    note = TextAreaField("Toelichting: wat is er gedaan?", validators=[LONG])


REASONS = [("", "Kies…"), ("signaal", "Signaal"), ("klacht", "Klacht"),
           ("calamiteit", "Calamiteit"), ("periodiek", "Periodiek")]
JUDGEMENTS = [("", "Kies…"), ("voldoet", "Voldoet"), ("verbetering_nodig", "Verbetering nodig"),
              ("voldoet_niet", "Voldoet niet")]
MEASURES = [("", "Kies…"), ("geen", "Geen maatregel"), ("verbeterplan", "Verbeterplan"),
            ("schorsing", "Schorsing"), ("beeindiging", "Beëindiging")]


class InvestigationForm(FlaskForm):
    organisation_id = HiddenField("Partner", filters=[row_id_or_none])  # the picker's choice
    reason = SelectField("Aanleiding", choices=REASONS, validate_choice=False)
    started_on = DateField("Startdatum", invalid_value_message=DATE, validators=[InputRequired(DATE)])
    description = TextAreaField("Aanleiding voor de partner",
                                description="Deze tekst leest de partner.", validators=[LONG])
    internal_notes = TextAreaField("Interne aantekeningen (niet verplicht)",
                                   description="Alleen voor medewerkers van de regio; de "
                                   "partner ziet deze aantekeningen niet.", validators=[LONG])


class FindingForm(FlaskForm):
    # Every published requirement and indicator: long lists, written once (SelectOnce).
    requirement_id = SelectField("Eis", coerce=row_id_or_none, validate_choice=False,
                                 widget=SelectOnce())
    indicator_id = SelectField("Indicator", coerce=row_id_or_none, validate_choice=False,
                               widget=SelectOnce())
    subject = StringField("Ander onderwerp",
                          validators=[Length(max=300, message="Maximaal 300 tekens.")])
    judgement = SelectField("Oordeel", choices=JUDGEMENTS, validate_choice=False)
    text = TextAreaField("Bevinding", validators=[LONG])


class MeasureForm(FlaskForm):
    measure = SelectField("Maatregel", choices=MEASURES, validate_choice=False)
    note = TextAreaField("Toelichting voor de partner", validators=[LONG])
    plan_deadline = DateField("Uiterste datum verbeterplan", invalid_value_message=DATE,
                              validators=[Optional()])
    admission_id = SelectField("Toelating (bij schorsing of beëindiging)",
                               coerce=row_id_or_none, validate_choice=False)
    starts_on = DateField("Ingangsdatum schorsing", invalid_value_message=DATE, validators=[Optional()])
    ends_on = DateField("Einddatum schorsing, of datum van beëindiging", invalid_value_message=DATE,
                        validators=[Optional()])
    follow_up_on = DateField("Datum follow-up (niet verplicht)", invalid_value_message=DATE,
                             validators=[Optional()])


class FollowUpForm(FlaskForm):
    follow_up_on = DateField("Datum follow-up", invalid_value_message=DATE, validators=[InputRequired(DATE)])


class CloseInvestigationForm(FlaskForm):
    conclusion = TextAreaField("Conclusie", validators=[LONG])


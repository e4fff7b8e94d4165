"""Forms of the questions and answers (vragen en antwoorden)."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..forms import VersionedActionForm, VersionedForm
from .qa import ANSWER_MAX, BODY_MAX, PUBLIC_MAX, SUBJECT_MAX


def _n(number: int) -> str:
    return f"{number:,}".replace(",", ".")


class AskForm(FlaskForm):
    subject = StringField(
        "Onderwerp",
        description=f"Kort, in één regel; maximaal {SUBJECT_MAX} tekens.",
        validators=[DataRequired("Vul een onderwerp in."),
                    Length(max=SUBJECT_MAX,
                           message=f"Het onderwerp mag maximaal {SUBJECT_MAX} tekens lang zijn.")],
    )
    body = TextAreaField(
        "Uw vraag",
        description=("Noem zo nodig de eis (bijvoorbeeld A8) of het document waar uw vraag over "
                     f"gaat; maximaal {_n(BODY_MAX)} tekens."),
        validators=[DataRequired("Vul uw vraag in."),
                    Length(max=BODY_MAX,
                           message=f"Uw vraag mag maximaal {_n(BODY_MAX)} tekens lang zijn.")],
    )


class AnswerForm(VersionedForm):
    answer = TextAreaField(
        "Antwoord aan de vraagsteller",
        description=("De vraagsteller krijgt dit antwoord per e-mail. Dit antwoord wordt niet "
                     "zomaar gepubliceerd: publiceren doet u hieronder apart."),
        validators=[DataRequired("Schrijf een antwoord."),
                    Length(max=ANSWER_MAX,
                           message=f"Het antwoord mag maximaal {_n(ANSWER_MAX)} tekens lang zijn.")],
    )


class PublishForm(VersionedForm):
    public_question = TextAreaField(
        "Vraag zoals die gepubliceerd wordt",
        description=("Haal namen van organisaties en personen weg, en alles waaraan iemand de "
                     "vraagsteller kan herkennen (plaatsen, locaties, data, kenmerken)."),
        validators=[DataRequired("Vul de geanonimiseerde vraag in."),
                    Length(max=PUBLIC_MAX, message=f"De geanonimiseerde vraag mag maximaal "
                                                   f"{_n(PUBLIC_MAX)} tekens lang zijn.")],
    )
    public_answer = TextAreaField(
        "Antwoord zoals dat gepubliceerd wordt",
        description="Haal ook hier namen van organisaties en personen weg.",
        validators=[DataRequired("Vul het geanonimiseerde antwoord in."),
                    Length(max=PUBLIC_MAX, message=f"Het geanonimiseerde antwoord mag maximaal "
                                                   f"{_n(PUBLIC_MAX)} tekens lang zijn.")],
    )
    anonymised = BooleanField(
        "Ik heb namen van organisaties en personen uit de vraag en het antwoord gehaald.",
        validators=[DataRequired("Bevestig dat de vraag en het antwoord geen namen van "
                                 "organisaties of personen meer bevatten.")],
    )


ActionForm = VersionedActionForm  # a button on a question: CSRF token and version


class NotificationsForm(FlaskForm):
    qa_notifications = BooleanField(
        "Stuur mij een e-mail als er nieuwe vragen en antwoorden zijn gepubliceerd, en als "
        "aanmelden na een tijdelijke sluiting weer opengaat.")

"""Forms of the requirement catalogue (administrators)."""
from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional
from wtforms.widgets import HiddenInput

from ..forms import NUMBER, ActionForm, WholeNumberField  # noqa: F401 (used by the views)
from ..forms import MultiCheckboxField as CheckboxesField
from ..i18n import N_
from ..i18n import gettext as _
from ..procedure.models import Category, Evidence, Identifier, Requirement
from ..procedure.versions import NOTE_MAX, RequirementSpec

AMOUNT = N_("Vul een bedrag in hele euro's in, bijvoorbeeld 2.500.000.")


class MultiCheckboxField(CheckboxesField):
    def process_formdata(self, valuelist):
        try:
            self.data = [self.coerce(v) for v in valuelist]
        except (TypeError, ValueError):
            self.data = []
            raise ValueError(_("Kies de categorieën uit de lijst.")) from None

    def pre_validate(self, form):
        # Unknown ids are reported by the operation, in Dutch, next to the field.
        pass




class EuroField(StringField):
    """Whole euros; accepts '2.500.000', '€ 2500000' and '2.500.000,-' (a text input, so that
    the browser does not throw away the dots)."""

    def process_formdata(self, valuelist):
        text = re.sub(r"[€\s.]|,-$|,00$", "", (valuelist[0] if valuelist else ""))
        if not text:
            self.data = None
            return
        if not re.fullmatch(r"\d{1,12}", text):
            self.data = None
            raise ValueError(_(AMOUNT))
        self.data = int(text)


def _enum(kind, value):
    try:
        return kind(value)
    except ValueError:
        return kind("none")  # an unknown choice: its message is already on the field


class RequirementForm(FlaskForm):
    # The content the form was built on (edits only): a stale edit is refused.
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])

    code = StringField(
        "Code",
        description=("Bijvoorbeeld A15 of P3; uniek binnen deze versie. Letters, cijfers, punten "
                     "of streepjes, maximaal 10 tekens. Een vergelijking tussen versies koppelt "
                     "eisen op hun code."))
    title = StringField("Titel")
    help_text = TextAreaField(
        "Toelichting voor de aanbieder",
        description=("Openbaar: staat bij de eis op de pagina Eisen en in het aanmeldformulier. "
                     "Een link naar een pagina van het portaal schrijft u als [tekst](/pad), "
                     "bijvoorbeeld [de tarieven](/tarieven)."))
    assessment_guidance = TextAreaField(
        "Beoordelingsrichtlijn",
        description=("Alleen voor beoordelaars: waar let u op bij het beoordelen van deze eis? "
                     "Niet openbaar; aanbieders zien dit niet."))
    knockout = BooleanField("Knock-out-eis: wie niet aan deze eis voldoet, wordt afgewezen",
                            default=True)

    is_general = RadioField(
        "Voor welke categorieën geldt de eis?",
        choices=[("ja", "Voor alle categorieën (algemene eis)"),
                 ("nee", "Alleen voor de categorieën die hieronder zijn aangevinkt")],
        default="ja")
    categories = MultiCheckboxField("Categorieën", coerce=int)

    declaration_text = TextAreaField(
        "Verklaring",
        description=("De tekst die de aanbieder bevestigt, bijvoorbeeld 'Ik verklaar dat …'. "
                     "Laat leeg als er geen verklaring nodig is."))
    identifier = RadioField(
        "Nummer van de organisatie",
        choices=[(Identifier.NONE.value, "Geen nummer"),
                 (Identifier.KVK.value, "KvK-nummer (8 cijfers; wordt gecontroleerd)"),
                 (Identifier.AGB.value, "AGB-code (8 cijfers)")],
        default=Identifier.NONE.value)
    number_label = StringField(
        "Vraag naar een getal",
        description=("Bijvoorbeeld 'Maximaal aantal jeugdigen per locatie'. Laat leeg als er "
                     "geen getal gevraagd wordt."))
    number_min = WholeNumberField("Kleinste toegestane getal (niet verplicht)")
    number_max = WholeNumberField("Grootste toegestane getal (niet verplicht)")
    text_label = StringField(
        "Open vraag",
        description=("Een vraag die de aanbieder in eigen woorden beantwoordt. Laat leeg als er "
                     "geen open vraag is."))
    evidence = RadioField(
        "Is er een bewijsstuk nodig?",
        choices=[(Evidence.NONE.value, "Geen bewijsstuk"),
                 (Evidence.OPTIONAL.value, "Bewijsstuk indien van toepassing (niet verplicht)"),
                 (Evidence.REQUIRED.value, "Bewijsstuk verplicht")],
        default=Evidence.NONE.value)
    evidence_label = StringField(
        "Omschrijving van het bewijsstuk",
        description="Bijvoorbeeld 'Polisblad (PDF)'. Verplicht als er een bewijsstuk is.")
    evidence_expires = BooleanField(
        "Met geldig-tot-datum: de aanbieder vult in tot wanneer het bewijsstuk geldig is")
    evidence_allows_images = BooleanField(
        "Ook afbeeldingen (JPEG of PNG) toestaan; anders alleen PDF")
    amount_label = StringField(
        "Vraag naar een bedrag",
        description=("In hele euro's, bijvoorbeeld 'Verzekerd bedrag per aanspraak (in euro)'. "
                     "Laat leeg als er geen bedrag gevraagd wordt."))
    amount_min = EuroField("Minimumbedrag in euro's (niet verplicht)")

    def set_categories(self, categories: list[Category]) -> None:
        self.categories.choices = [
            (c.id, c.name if c.is_active else _("%(name)s (gedeactiveerd)", name=c.name)) for c in categories]

    def spec(self) -> RequirementSpec:
        """The posted values as a specification (unparseable numbers count as empty; their
        own message is already on the field)."""
        return RequirementSpec(
            code=self.code.data or "",
            title=self.title.data or "",
            help_text=self.help_text.data or "",
            assessment_guidance=self.assessment_guidance.data or "",
            knockout=bool(self.knockout.data),
            is_general=self.is_general.data != "nee",
            category_ids=list(self.categories.data or []),
            declaration_text=self.declaration_text.data,
            identifier=_enum(Identifier, self.identifier.data),
            number_label=self.number_label.data,
            number_min=self.number_min.data,
            number_max=self.number_max.data,
            text_label=self.text_label.data,
            evidence=_enum(Evidence, self.evidence.data),
            evidence_label=self.evidence_label.data,
            evidence_expires=bool(self.evidence_expires.data),
            evidence_allows_images=bool(self.evidence_allows_images.data),
            amount_label=self.amount_label.data,
            amount_min=self.amount_min.data,
        )

    @staticmethod
    def data_of(requirement: Requirement, version: int | None = None) -> dict:
        spec = RequirementSpec.of(requirement)
        return {
            "version": version,
            "code": spec.code, "title": spec.title, "help_text": spec.help_text,
            "assessment_guidance": spec.assessment_guidance, "knockout": spec.knockout,
            "is_general": "ja" if spec.is_general else "nee", "categories": spec.category_ids,
            "declaration_text": spec.declaration_text or "",
            "identifier": spec.identifier.value, "number_label": spec.number_label or "",
            "number_min": spec.number_min, "number_max": spec.number_max,
            "text_label": spec.text_label or "", "evidence": spec.evidence.value,
            "evidence_label": spec.evidence_label or "",
            "evidence_expires": spec.evidence_expires,
            "evidence_allows_images": spec.evidence_allows_images,
            "amount_label": spec.amount_label or "", "amount_min": spec.amount_min,
        }


def check_choices(form: RequirementForm) -> None:
    """RadioField refuses an unknown value in English; say it in Dutch instead."""
    messages = {
        "is_general": _("Kies of de eis voor alle categorieën geldt of alleen voor de aangevinkte."),
        "identifier": _("Kies geen nummer, het KvK-nummer of de AGB-code."),
        "evidence": _("Kies of er een bewijsstuk nodig is."),
    }
    for name, message in messages.items():
        f = form[name]
        if f.errors:
            f.errors[:] = [message]



class MoveForm(FlaskForm):
    direction = SelectField(choices=[("up", "omhoog"), ("down", "omlaag")],
                            validate_choice=False)


class PublishForm(FlaskForm):
    note = TextAreaField(
        "Wat is er veranderd? (niet verplicht)",
        description=(f"Staat bij de versie op de pagina Eisen; maximaal {NOTE_MAX:,} tekens."
                     .replace(",", ".")))


class CompareForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    van = SelectField("Van versie", coerce=int, validate_choice=False)
    naar = SelectField("Naar versie", coerce=int, validate_choice=False)

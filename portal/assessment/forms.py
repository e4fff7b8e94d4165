from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import Length, Optional

from ..applications.forms import MultiCheckboxField
from .models import Outcome, VerdictOutcome

VERDICT_CHOICES = [(VerdictOutcome.VOLDOET.value, "Voldoet"),
                   (VerdictOutcome.VOLDOET_NIET.value, "Voldoet niet")]
OUTCOME_CHOICES = [(Outcome.TOEGELATEN.value, "Toegelaten"), (Outcome.AFGEWEZEN.value, "Afgewezen")]
MAX_TEXT = Length(max=5000, message="Maximaal 5000 tekens.")


class VerdictFormBase(FlaskForm):
    requirements: list = []

    def values(self):
        out = {}
        for req in self.requirements:
            outcome = self[f"v{req.id}_outcome"].data
            out[req.id] = (VerdictOutcome(outcome) if outcome else None,
                           self[f"v{req.id}_reason"].data or "")
        return out


def build_verdict_form(requirements, verdicts=None, **kwargs):
    class VerdictForm(VerdictFormBase):
        pass

    for req in requirements:
        setattr(VerdictForm, f"v{req.id}_outcome",
                RadioField(f"Oordeel {req.code}", choices=VERDICT_CHOICES, validators=[Optional()]))
        setattr(VerdictForm, f"v{req.id}_reason",
                TextAreaField(f"Toelichting {req.code}", validators=[Optional(), MAX_TEXT]))
    VerdictForm.requirements = requirements
    form = VerdictForm(**kwargs)
    if verdicts is not None and kwargs.get("formdata", True) is None:
        for req in requirements:
            v = verdicts.get(req.id)
            if v is not None:
                form[f"v{req.id}_outcome"].data = v.outcome.value
                form[f"v{req.id}_reason"].data = v.reason
    return form


class DecisionFormBase(FlaskForm):
    categories: list = []

    def values(self):
        out = {}
        for cat in self.categories:
            outcome = self[f"c{cat.id}_outcome"].data
            out[cat.id] = (Outcome(outcome) if outcome else None,
                           self[f"c{cat.id}_motivation"].data or "",
                           list(self[f"c{cat.id}_failed"].data or []))
        return out


def build_decision_form(categories, requirements_per_category, existing=None, **kwargs):
    class DecisionForm(DecisionFormBase):
        pass

    for cat in categories:
        setattr(DecisionForm, f"c{cat.id}_outcome",
                RadioField(f"Besluit {cat.name}", choices=OUTCOME_CHOICES, validators=[Optional()]))
        setattr(DecisionForm, f"c{cat.id}_motivation",
                TextAreaField(f"Motivering {cat.name}", validators=[Optional(), MAX_TEXT]))
        setattr(DecisionForm, f"c{cat.id}_failed",
                MultiCheckboxField(f"Eisen waaraan niet is voldaan ({cat.name})", coerce=int,
                                   choices=[(r.id, f"{r.code} {r.title}")
                                            for r in requirements_per_category[cat.id]],
                                   validators=[Optional()]))
    DecisionForm.categories = categories
    form = DecisionForm(**kwargs)
    if existing and kwargs.get("formdata", True) is None:
        for cat in categories:
            d = existing.get(cat.id)
            if d is not None:
                form[f"c{cat.id}_outcome"].data = d.outcome.value
                form[f"c{cat.id}_motivation"].data = d.motivation
                form[f"c{cat.id}_failed"].data = [r.id for r in d.failed_requirements]
    return form

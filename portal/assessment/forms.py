import re

from wtforms import BooleanField, DateField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..forms import MultiCheckboxField, SelectOnce, VersionedActionForm, VersionedForm
from ..i18n import gettext as _
from .models import Outcome, VerdictOutcome

VERDICT_CHOICES = [(VerdictOutcome.VOLDOET.value, "Voldoet"),
                   (VerdictOutcome.VOLDOET_NIET.value, "Voldoet niet"),
                   (VerdictOutcome.NIET_VAN_TOEPASSING.value, "Niet van toepassing")]
OUTCOME_CHOICES = [(Outcome.TOEGELATEN.value, "Toegelaten"), (Outcome.AFGEWEZEN.value, "Afgewezen")]
MAX_TEXT = Length(max=5000, message="Maximaal 5000 tekens.")


ActionForm = VersionedActionForm  # a button on an application: CSRF token and version


class ApprovalForm(VersionedForm):
    """Goedkeuren: the second assessor declares no conflict of interest with it (checked by
    the workflow, which knows whether they declared before)."""

    no_conflict = BooleanField(
        "Ik verklaar dat ik geen belangen heb bij deze organisatie en er geen persoonlijke of "
        "zakelijke band mee heb die mijn oordeel kan beïnvloeden.")


class ReturnForm(VersionedForm):
    remark = TextAreaField(
        "Opmerking voor de beoordelaar",
        validators=[DataRequired("Schrijf bij het terugsturen een opmerking voor de beoordelaar."),
                    MAX_TEXT])


class AssignForm(VersionedForm):
    assessor = SelectField("Toewijzen aan", coerce=int, widget=SelectOnce(),  # every assessor
                           validators=[DataRequired("Kies een beoordelaar.")])


class VerdictFormBase(VersionedForm):
    requirements: list = []

    def values(self):
        out = {}
        for req in self.requirements:
            outcome = self[f"v{req.id}_outcome"].data
            out[req.id] = (VerdictOutcome(outcome) if outcome else None,
                           self[f"v{req.id}_reason"].data or "")
        return out


VERDICT_FIELD = re.compile(r"^v(\d+)_(?:outcome|reason)$")


def foreign_requirement_ids(formdata, requirements) -> set[int]:
    """Requirement ids posted as verdict fields that are not among ``requirements`` (another
    application's, or one that does not apply to this one)."""
    ids = {int(m.group(1)) for key in formdata if (m := VERDICT_FIELD.match(key))}
    return ids - {r.id for r in requirements}


def build_verdict_form(requirements, verdicts=None, **kwargs):
    class VerdictForm(VerdictFormBase):
        pass

    for req in requirements:
        setattr(VerdictForm, f"v{req.id}_outcome",
                RadioField(_("Oordeel %(code)s", code=req.code), choices=VERDICT_CHOICES,
                           validators=[Optional()]))
        setattr(VerdictForm, f"v{req.id}_reason",
                TextAreaField(_("Toelichting %(code)s", code=req.code),
                              validators=[Optional(), MAX_TEXT]))
    VerdictForm.requirements = requirements
    form = VerdictForm(**kwargs)
    if verdicts is not None and kwargs.get("formdata", True) is None:
        for req in requirements:
            v = verdicts.get(req.id)
            if v is not None:
                form[f"v{req.id}_outcome"].data = v.outcome.value
                form[f"v{req.id}_reason"].data = v.reason
    return form


class DecisionFormBase(VersionedForm):
    categories: list = []

    def values(self):
        out = {}
        for cat in self.categories:
            outcome = self[f"c{cat.id}_outcome"].data
            out[cat.id] = (Outcome(outcome) if outcome else None,
                           self[f"c{cat.id}_motivation"].data or "",
                           list(self[f"c{cat.id}_failed"].data or []))
        return out


def _failed_choice(requirement, failed) -> tuple[int, str]:
    label = f"{requirement.code} {requirement.title}"
    judged = requirement.id in failed
    if requirement.knockout and judged:
        label = _("%(requirement)s (knock-out-eis, beoordeeld als 'voldoet niet')",
                  requirement=label)
    elif requirement.knockout:
        label = _("%(requirement)s (knock-out-eis)", requirement=label)
    elif judged:
        label = _("%(requirement)s (beoordeeld als 'voldoet niet')", requirement=label)
    return requirement.id, label


def build_decision_form(categories, requirements_per_category, existing=None, failed=None,
                        with_reason=False, **kwargs):
    """``existing``: decisions to show; ``failed``: requirement ids judged 'voldoet niet'.
    When nothing was proposed yet, the failed knock-out requirements are pre-ticked as
    the grounds for rejection; other failed requirements are listed (and marked), not
    ticked: failing them alone is no reason to reject."""
    failed = set(failed or ())

    class DecisionForm(DecisionFormBase):
        pass

    for cat in categories:
        setattr(DecisionForm, f"c{cat.id}_outcome",
                RadioField(_("Besluit %(category)s", category=cat.name), choices=OUTCOME_CHOICES,
                           validators=[Optional()]))
        setattr(DecisionForm, f"c{cat.id}_motivation",
                TextAreaField(_("Motivering %(category)s", category=cat.name),
                              validators=[Optional(), MAX_TEXT]))
        setattr(DecisionForm, f"c{cat.id}_failed",
                MultiCheckboxField(_("Eisen waaraan niet is voldaan (%(category)s)",
                                     category=cat.name), coerce=int,
                                   choices=[_failed_choice(r, failed)
                                            for r in requirements_per_category[cat.id]],
                                   validators=[Optional()]))
    if with_reason:
        DecisionForm.reason = TextAreaField(
            _("Welke fout herstelt dit herstelbesluit?"),
            validators=[DataRequired(_("Leg uit welke fout dit herstelbesluit herstelt.")), MAX_TEXT])
    DecisionForm.categories = categories
    form = DecisionForm(**kwargs)
    if kwargs.get("formdata", True) is None:
        for cat in categories:
            d = (existing or {}).get(cat.id)
            if d is not None:
                form[f"c{cat.id}_outcome"].data = d.outcome.value
                form[f"c{cat.id}_motivation"].data = d.motivation
                form[f"c{cat.id}_failed"].data = [r.id for r in d.failed_requirements]
            elif failed:
                form[f"c{cat.id}_failed"].data = [
                    r.id for r in requirements_per_category[cat.id] if r.id in failed and r.knockout]
    return form


class CompletionFormBase(VersionedForm):
    requirements: list = []
    deadline = DateField("Uiterste datum voor de aanvulling", validators=[Optional()],
                         description="Leeg laten voor de standaardtermijn van de procedure.")

    def questions(self):
        return {r.id: self[f"q{r.id}_question"].data or ""
                for r in self.requirements if self[f"q{r.id}_ask"].data}


def build_completion_form(requirements, **kwargs):
    class CompletionForm(CompletionFormBase):
        pass

    for req in requirements:
        setattr(CompletionForm, f"q{req.id}_ask", BooleanField(f"{req.code} {req.title}"))
        setattr(CompletionForm, f"q{req.id}_question",
                TextAreaField(_("Vraag over %(code)s", code=req.code), validators=[Optional(), MAX_TEXT]))
    CompletionForm.requirements = requirements
    return CompletionForm(**kwargs)

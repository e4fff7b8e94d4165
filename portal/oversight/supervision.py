"""Toezicht: the region records an investigation at a partner (why, since when), its
findings per requirement, indicator or subject, the measure taken and the follow-up.

A suspension or an ending is not done here: the measure calls the admission's own
operations (``partners.workflow.suspend`` / ``end``) and records the link to what they
made. The partner is told what concerns it (the cause, the findings, the measure, the
conclusion), never the internal notes. Every function takes the actor ``by``, writes the
audit event and queues the mails; the caller commits."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from .. import audit, notifications
from ..accounts.models import Organisation, User
from ..auth import require_role
from ..errors import DomainError, ValidationFailed
from ..extensions import db
from ..i18n import N_
from ..i18n import gettext as _
from ..monitoring.models import Indicator
from ..partners import workflow as partners
from ..partners.models import LIVE_ADMISSION, Admission
from ..partners.workflow import partner_recipients
from ..procedure.models import Requirement
from ..timeutil import today_local, utcnow
from .models import (
    Finding,
    Investigation,
    InvestigationReason,
    InvestigationStatus,
    Judgement,
    Measure,
)
from .workflow import MAX_TEXT

STAFF_ONLY = N_("Alleen medewerkers van de regio kunnen toezicht vastleggen.")
CLOSED = N_("Dit onderzoek is afgesloten; het kan niet meer worden gewijzigd.")


def _require_staff(user: User) -> None:
    require_role(user, "assessor", _(STAFF_ONLY))


def _text(value) -> str:
    return (value or "").strip()


def _enum(enum_class, value):
    return next((m for m in enum_class if m.value == value), None)


def _too_long(errors, name, value, limit=MAX_TEXT):
    if len(value or "") > limit:
        errors.append((name, _("Deze tekst is te lang (maximaal %(max)s tekens).", max=limit)))


def live_admissions(organisation_id: int) -> list[Admission]:
    return list(db.session.scalars(
        select(Admission).where(Admission.organisation_id == organisation_id,
                                Admission.status.in_(LIVE_ADMISSION))
        .order_by(Admission.id)))


# --- opening ----------------------------------------------------------------------------------

@dataclass
class InvestigationInput:
    organisation_id: int | None
    reason: str | None
    started_on: date | None
    description: str
    internal_notes: str = ""


def open_investigation(data: InvestigationInput, *, by: User,
                       today: date | None = None) -> Investigation:
    """Record an investigation at an admitted partner; the partner is told the cause."""
    _require_staff(by)
    today = today or today_local()
    errors = []
    organisation = (db.session.get(Organisation, data.organisation_id)
                    if data.organisation_id else None)
    if organisation is None:
        errors.append(("organisation_id", _("Kies de partner bij wie het onderzoek plaatsvindt.")))
    elif not live_admissions(organisation.id):
        errors.append(("organisation_id", _("Deze organisatie is geen partner (zij heeft geen "
                                            "lopende toelating); toezicht kan alleen bij een "
                                            "partner worden vastgelegd.")))
    reason = _enum(InvestigationReason, data.reason)
    if reason is None:
        errors.append(("reason", _("Kies de aanleiding: signaal, klacht, calamiteit of "
                                   "periodiek.")))
    if data.started_on is None:
        errors.append(("started_on", _("Vul de startdatum van het onderzoek in.")))
    elif data.started_on > today:
        errors.append(("started_on", _("De startdatum kan niet in de toekomst liggen.")))
    if not _text(data.description):
        errors.append(("description", _("Beschrijf de aanleiding voor de partner.")))
    _too_long(errors, "description", data.description)
    _too_long(errors, "internal_notes", data.internal_notes)
    if errors:
        raise ValidationFailed(errors)
    investigation = Investigation(
        organisation_id=organisation.id, reason=reason, started_on=data.started_on,
        description=_text(data.description), internal_notes=_text(data.internal_notes),
        status=InvestigationStatus.OPEN, created_by_id=by.id)
    investigation.organisation = organisation
    db.session.add(investigation)
    db.session.flush()
    audit.record("investigation_opened", investigation, actor=by,
                 to_state=InvestigationStatus.OPEN,
                 detail=f"{organisation.name}: {reason.label}, {data.started_on}")
    _mail_partner(investigation, "investigation_opened",
                  f"De regio onderzoekt een {reason.label}")
    return investigation


def _mail_partner(investigation: Investigation, kind: str, subject: str, **context) -> None:
    for recipient in partner_recipients(investigation.organisation):
        notifications.queue(kind, recipient, subject=subject,
                            organisation=investigation.organisation,
                            investigation=investigation, **context)


def _refuse_when_closed(investigation: Investigation) -> None:
    if investigation.status == InvestigationStatus.GESLOTEN:
        raise DomainError(_(CLOSED))


# --- findings -----------------------------------------------------------------------------------

@dataclass
class FindingInput:
    requirement_id: int | None
    indicator_id: int | None
    subject: str
    judgement: str | None
    text: str


def add_finding(investigation: Investigation, data: FindingInput, *, by: User) -> Finding:
    """A finding about one requirement, one indicator or a subject in free text."""
    _require_staff(by)
    errors = []
    chosen = [x for x in (data.requirement_id, data.indicator_id, _text(data.subject)) if x]
    requirement = indicator = None
    if len(chosen) != 1:
        errors.append(("requirement_id", _("Kies één eis, of één indicator, of vul een onderwerp "
                                           "in (precies één van de drie).")))
    elif data.requirement_id:
        requirement = db.session.get(Requirement, data.requirement_id)
        if requirement is None:
            errors.append(("requirement_id", _("Kies een eis uit de lijst.")))
    elif data.indicator_id:
        indicator = db.session.get(Indicator, data.indicator_id)
        if indicator is None:
            errors.append(("indicator_id", _("Kies een indicator uit de lijst.")))
    if len(_text(data.subject)) > 300:
        errors.append(("subject", _("Het onderwerp is te lang (maximaal 300 tekens).")))
    judgement = _enum(Judgement, data.judgement)
    if judgement is None:
        errors.append(("judgement", _("Kies het oordeel: voldoet, verbetering nodig of voldoet "
                                      "niet.")))
    if not _text(data.text):
        errors.append(("text", _("Beschrijf de bevinding.")))
    _too_long(errors, "text", data.text)
    if errors:
        raise ValidationFailed(errors)
    _refuse_when_closed(investigation)
    if investigation.measure is not None:
        raise DomainError(_("Er is al een maatregel vastgelegd; bevindingen kunnen daarna niet "
                            "meer worden toegevoegd."))
    finding = Finding(investigation=investigation, requirement=requirement, indicator=indicator,
                      subject=_text(data.subject) or None, judgement=judgement,
                      text=_text(data.text), created_by_id=by.id)
    db.session.add(finding)
    db.session.flush()
    audit.record("finding_recorded", finding, actor=by, to_state=judgement.value,
                 detail=f"{finding.about}: {finding.text[:200]}")
    return finding


# --- the measure --------------------------------------------------------------------------------

@dataclass
class MeasureInput:
    measure: str | None
    note: str
    plan_deadline: date | None = None
    admission_id: int | None = None
    starts_on: date | None = None  # schorsing: from
    ends_on: date | None = None  # schorsing: until (optional); beëindiging: the end date
    follow_up_on: date | None = None


def take_measure(investigation: Investigation, data: MeasureInput, *, by: User,
                 today: date | None = None) -> None:
    """Record the measure taken. A suspension or an ending is made by the admission's own
    operation (which checks the role, the state and the dates, and mails the partner); the
    investigation keeps the link to it."""
    _require_staff(by)
    today = today or today_local()
    measure, admission = _checked_measure(investigation, data, today)
    _refuse_when_closed(investigation)
    if investigation.measure is not None:
        raise DomainError(_("Er is al een maatregel vastgelegd (%(measure)s).",
                            measure=investigation.measure.label))
    if not investigation.findings:
        raise DomainError(_("Leg eerst de bevindingen vast; een maatregel volgt uit de "
                            "bevindingen."))
    note = _text(data.note)
    reason = f"Toezicht ({investigation.reason.label}, gestart {investigation.started_on:%d-%m-%Y}): {note}"
    if measure == Measure.SCHORSING:
        suspension = partners.suspend(admission, by=by, reason=reason, starts_on=data.starts_on,
                                      ends_on=data.ends_on, today=today)
        db.session.flush()
        investigation.suspension = suspension
    elif measure == Measure.BEEINDIGING:
        partners.end(admission, by=by, reason=reason, ends_on=data.ends_on, today=today)
        investigation.ends_on = data.ends_on
    investigation.admission = admission
    investigation.measure = measure
    investigation.measure_note = note
    investigation.measure_at = utcnow()
    investigation.plan_deadline = data.plan_deadline if measure == Measure.VERBETERPLAN else None
    investigation.follow_up_on = data.follow_up_on
    audit.record("investigation_measure_taken", investigation, actor=by, to_state=measure.value,
                 detail=_measure_detail(investigation))
    _mail_partner(investigation, "investigation_measure",
                  f"Uitkomst van het onderzoek van de regio: {measure.label}",
                  findings=list(investigation.findings))


def _checked_measure(investigation: Investigation, data: MeasureInput, today: date):
    """The measure and the admission it concerns, or ValidationFailed naming the fields."""
    errors = []
    measure = _enum(Measure, data.measure)
    if measure is None:
        errors.append(("measure", _("Kies de maatregel: geen, verbeterplan, schorsing of "
                                    "beëindiging.")))
    if not _text(data.note):
        errors.append(("note", _("Licht de maatregel toe; de partner leest deze toelichting.")))
    _too_long(errors, "note", data.note)
    if measure == Measure.VERBETERPLAN:
        if data.plan_deadline is None:
            errors.append(("plan_deadline", _("Vul de uiterste datum van het verbeterplan in.")))
        elif data.plan_deadline < today:
            errors.append(("plan_deadline", _("De uiterste datum van het verbeterplan kan niet in "
                                              "het verleden liggen.")))
    admission = None
    if measure in (Measure.SCHORSING, Measure.BEEINDIGING):
        admission = next((a for a in live_admissions(investigation.organisation_id)
                          if a.id == data.admission_id), None)
        if admission is None:
            errors.append(("admission_id", _("Kies de toelating (categorie) waarvoor de maatregel "
                                             "geldt.")))
    if measure == Measure.SCHORSING and data.starts_on is None:
        errors.append(("starts_on", _("Vul de ingangsdatum van de schorsing in.")))
    if measure == Measure.BEEINDIGING and data.ends_on is None:
        errors.append(("ends_on", _("Vul de datum van de beëindiging in.")))
    if data.follow_up_on is not None and data.follow_up_on < today:
        errors.append(("follow_up_on", _("De datum van de follow-up kan niet in het verleden "
                                         "liggen.")))
    if errors:
        raise ValidationFailed(errors)
    return measure, admission


def _measure_detail(investigation: Investigation) -> str:
    parts = [investigation.measure.label]
    if investigation.plan_deadline:
        parts.append(f"verbeterplan uiterlijk {investigation.plan_deadline}")
    if investigation.suspension_id:
        parts.append(f"schorsing {investigation.suspension_id}")
    if investigation.ends_on:
        parts.append(f"einde {investigation.ends_on}")
    if investigation.admission_id:
        parts.append(f"toelating {investigation.admission_id}")
    return "; ".join(parts)


def set_follow_up(investigation: Investigation, follow_up_on: date | None, *, by: User,
                  today: date | None = None) -> None:
    """Plan (or move) the follow-up of an open investigation."""
    _require_staff(by)
    today = today or today_local()
    if follow_up_on is None:
        raise ValidationFailed([("follow_up_on", _("Vul de datum van de follow-up in."))])
    if follow_up_on < today:
        raise ValidationFailed([("follow_up_on", _("De datum van de follow-up kan niet in het "
                                                   "verleden liggen."))])
    _refuse_when_closed(investigation)
    old = investigation.follow_up_on
    investigation.follow_up_on = follow_up_on
    audit.record("investigation_follow_up_planned", investigation, actor=by,
                 detail=f"{old or '-'} -> {follow_up_on}")


def close_investigation(investigation: Investigation, conclusion: str, *, by: User,
                        today: date | None = None) -> None:
    """Close the investigation with its conclusion; the partner is told."""
    _require_staff(by)
    today = today or today_local()
    errors = []
    if not _text(conclusion):
        errors.append(("conclusion", _("Vul de conclusie van het onderzoek in.")))
    _too_long(errors, "conclusion", conclusion)
    if errors:
        raise ValidationFailed(errors)
    _refuse_when_closed(investigation)
    if investigation.measure is None:
        raise DomainError(_("Leg eerst de maatregel vast (ook als dat 'geen maatregel' is); "
                            "daarna kan het onderzoek worden afgesloten."))
    investigation.status = InvestigationStatus.GESLOTEN
    investigation.closed_on = today
    investigation.conclusion = _text(conclusion)
    audit.record("investigation_closed", investigation, actor=by,
                 from_state=InvestigationStatus.OPEN, to_state=InvestigationStatus.GESLOTEN,
                 detail=_text(conclusion)[:500])
    _mail_partner(investigation, "investigation_closed", "Het onderzoek van de regio is afgesloten")

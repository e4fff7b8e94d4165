"""Every state change of an admission (organisation × category), checked against one
transition table: toegelaten → actief (agreement accepted) ↔ geschorst → beëindigd.
Also the agreement, suspensions, ends, extension options and the daily run."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .. import audit, notifications
from ..accounts import workflow as accounts
from ..accounts.models import OrgRole, User
from ..applications.models import Application
from ..auth import require_beheerder, require_role
from ..errors import DomainError, TransitionNotAllowed, ValidationFailed
from ..extensions import db
from ..files import read_bytes, store_bytes
from ..i18n import N_
from ..i18n import gettext as _
from ..pdf import render_pdf
from ..procedure.models import ExtensionExercise, Identifier, Procedure, add_months
from ..timeutil import local_midnight_utc, today_local, utcnow
from .models import LIVE_ADMISSION, Admission, AdmissionStatus, Agreement, Suspension

A = AdmissionStatus

ALLOWED_TRANSITIONS: dict[AdmissionStatus, frozenset[AdmissionStatus]] = {
    A.TOEGELATEN: frozenset({A.ACTIEF, A.BEEINDIGD}),
    A.ACTIEF: frozenset({A.GESCHORST, A.BEEINDIGD}),
    A.GESCHORST: frozenset({A.ACTIEF, A.BEEINDIGD}),
    A.BEEINDIGD: frozenset(),
}
AGREEMENT_REMINDER_DAYS = 14
EXTENSION_RACE = N_("Een andere contractbeheerder heeft intussen dezelfde verlengingsoptie benut. "
                    "Bekijk de actuele looptijd en benut zo nodig de volgende optie.")


def change_status(admission: Admission, new: AdmissionStatus, *, by: User | None, action: str,
                  detail: str = "") -> None:
    """The only place an admission's status changes."""
    old = admission.status
    if new not in ALLOWED_TRANSITIONS[old]:
        raise TransitionNotAllowed(
            _("Deze toelating heeft de status '%(old)s' en kan niet naar '%(new)s' gaan.",
              old=old.label, new=new.label))
    admission.status = new
    audit.record(action, admission, actor=by, from_state=old, to_state=new, detail=detail)


def _require_admin(user: User) -> None:
    require_role(user, "admin", _("Alleen een contractbeheerder kan dit doen."))


def partner_recipients(organisation) -> list[str]:
    """The organisation's contact address and its active beheerders."""
    beheerders = db.session.scalars(select(User.email).where(
        User.organisation_id == organisation.id, User.org_role == OrgRole.BEHEERDER,
        User.is_active_account.is_(True))).all()
    return list(dict.fromkeys([organisation.contact_email, *beheerders]))


# --- the agreement (deelnemersovereenkomst) ---------------------------------------------

def agb_code_given(application) -> str | None:
    """The AGB code the provider gave in the application (the requirement answered by an
    AGB code, A3 in the default catalogue), or None."""
    for answer in application.answers:
        if answer.requirement.identifier == Identifier.AGB and answer.identifier_value:
            return answer.identifier_value
    return None


def _record_agb_code(application, *, by: User) -> str | None:
    """The organisation's AGB code follows the one admitted on (checked by the assessor in
    the application): the agreement, the register and iJw messaging use it."""
    given = agb_code_given(application)
    if given:
        accounts.set_agb_code(application.organisation, given, by=by,
                              reason=f"aanmelding {application.reference}")
    return given or application.organisation.agb_code


def offer_agreement(application, admissions: list[Admission], *, by: User) -> Agreement:
    """Make the agreement for newly admitted categories and ask the beheerders to accept it."""
    organisation = application.organisation
    agb_code = _record_agb_code(application, by=by)
    pdf = render_pdf("partners/agreement_pdf.html", organisation=organisation,
                     application=application, admissions=admissions, agb_code=agb_code,
                     procedure=application.procedure, today=today_local())
    document = store_bytes(pdf, organisation=organisation, by=by,
                           original_name=f"deelnemersovereenkomst-{application.reference}.pdf",
                           content_type="application/pdf", doc_type="deelnemersovereenkomst")
    agreement = Agreement(organisation_id=organisation.id, application_id=application.id,
                          document_id=document.id, sha256=document.sha256)
    agreement.document = document
    db.session.add(agreement)
    db.session.flush()
    for admission in admissions:
        admission.agreement = agreement
    audit.record("agreement_offered", agreement, actor=by,
                 detail=", ".join(a.category.name for a in admissions))
    for recipient in partner_recipients(organisation):
        notifications.queue(
            "agreement_offered", recipient,
            subject=f"Deelnemersovereenkomst {application.procedure.name} accepteren",
            organisation=organisation, agreement=agreement, admissions=admissions,
            application=application, attachment=document,
        )
    return agreement


# What other modules of this part do when admissions become active, in the same transaction
# (``reconfirmation`` registers itself: it imports this module, not the other way round).
_AFTER_ACTIVATION: list = []


def after_activation(function):
    """Register ``function(application, admissions, *, by)`` to run when the admissions of
    an accepted agreement become active."""
    if function not in _AFTER_ACTIVATION:
        _AFTER_ACTIVATION.append(function)
    return function


def accept_agreement(agreement: Agreement, *, by: User, ip_address: str | None) -> None:
    """Overeenkomst accepteren: records who, when, from where and the exact document."""
    require_beheerder(by, agreement.organisation_id)
    if agreement.accepted_at is not None:
        raise DomainError(_("Deze overeenkomst is al geaccepteerd."))
    actual = hashlib.sha256(read_bytes(agreement.document)).hexdigest()
    if actual != agreement.sha256:
        raise DomainError(_("Het document van de overeenkomst is niet meer gelijk aan het "
                            "aangeboden document. Neem contact op met de regio."))
    agreement.accepted_at = utcnow()
    agreement.accepted_by_id = by.id
    agreement.accepted_ip = (ip_address or "")[:45] or None
    agreement.accepted_sha256 = actual
    audit.record("agreement_accepted", agreement, actor=by,
                 detail=f"sha256={actual}; ip={agreement.accepted_ip}")
    for admission in agreement.admissions:
        if admission.status == A.TOEGELATEN:
            change_status(admission, A.ACTIEF, by=by, action="activated",
                          detail=f"agreement={agreement.id}")
            admission.activated_at = agreement.accepted_at
    if agreement.application_id is not None:
        active = [a for a in agreement.admissions if a.status == A.ACTIEF]
        application = db.session.get(Application, agreement.application_id)
        for function in _AFTER_ACTIVATION:  # e.g. a re-confirmation round it must join
            function(application, active, by=by)
    for recipient in partner_recipients(agreement.organisation):
        notifications.queue(
            "agreement_accepted", recipient,
            subject="Bevestiging: deelnemersovereenkomst geaccepteerd",
            organisation=agreement.organisation, agreement=agreement, by=by,
        )


def remind_agreements(today: date) -> int:
    """One reminder, 14 days after the offer, for agreements not accepted yet."""
    cutoff = today - timedelta(days=AGREEMENT_REMINDER_DAYS)
    due = db.session.scalars(select(Agreement).where(
        Agreement.accepted_at.is_(None), Agreement.reminder_sent_at.is_(None),
        # offered on or before the cutoff, in Amsterdam dates
        Agreement.created_at < local_midnight_utc(cutoff + timedelta(days=1))).limit(1000)).all()
    for agreement in due:
        if all(a.status == A.BEEINDIGD for a in agreement.admissions):
            agreement.reminder_sent_at = utcnow()
            continue
        for recipient in partner_recipients(agreement.organisation):
            notifications.queue(
                "agreement_reminder", recipient,
                subject="Herinnering: accepteer de deelnemersovereenkomst",
                organisation=agreement.organisation, agreement=agreement,
            )
        agreement.reminder_sent_at = utcnow()
        db.session.commit()
    return len(due)


# --- suspension, reinstatement and end ----------------------------------------------------

def suspend(admission: Admission, *, by: User, reason: str, starts_on: date,
            ends_on: date | None = None, today: date | None = None) -> Suspension:
    """Schorsen by the region: from a date (today or later), optionally until a date."""
    _require_admin(by)
    today = today or today_local()
    errors = []
    if not (reason or "").strip():
        errors.append(("reason", _("Geef de reden van de schorsing.")))
    if starts_on is None:
        errors.append(("starts_on", _("Vul de datum in waarop de schorsing ingaat.")))
    elif starts_on < today:
        errors.append(("starts_on", _("Een schorsing kan niet in het verleden ingaan.")))
    if starts_on and ends_on and ends_on < starts_on:
        errors.append(("ends_on", _("De einddatum van de schorsing ligt vóór de begindatum.")))
    if errors:
        raise ValidationFailed(errors)
    if admission.status != A.ACTIEF:
        raise TransitionNotAllowed(_("Alleen een actieve toelating kan worden geschorst."))
    if any(s.reinstated_at is None and (s.ends_on is None or s.ends_on >= today)
           for s in admission.suspensions):
        raise DomainError(_("Voor deze toelating staat al een schorsing."))
    suspension = Suspension(admission=admission, reason=reason.strip(), starts_on=starts_on,
                            ends_on=ends_on, created_by_id=by.id)
    db.session.add(suspension)
    audit.record("suspension_planned", admission, actor=by,
                 detail=f"{starts_on} - {ends_on or 'onbepaald'}: {reason.strip()}")
    if starts_on <= today:
        change_status(admission, A.GESCHORST, by=by, action="suspended", detail=reason.strip())
    _mail_partner(admission, "admission_suspended",
                  f"Schorsing van uw toelating voor {admission.category.name}",
                  suspension=suspension)
    return suspension


def reinstate(admission: Admission, *, by: User | None, note: str = "") -> None:
    """Opheffen van de schorsing: the admission is active again."""
    if by is not None:
        _require_admin(by)
    change_status(admission, A.ACTIEF, by=by, action="reinstated", detail=note)
    for s in admission.suspensions:
        if s.reinstated_at is None:
            s.reinstated_at = utcnow()
    _mail_partner(admission, "admission_reinstated",
                  f"Uw toelating voor {admission.category.name} is weer actief")


def end(admission: Admission, *, by: User, reason: str, ends_on: date,
        today: date | None = None) -> None:
    """Beëindigen by the region, on a date (today: at once; later: by the daily run)."""
    _require_admin(by)
    _plan_end(admission, by=by, reason=reason, ends_on=ends_on, today=today or today_local(),
              action="end_planned")


def end_by_partner(admission: Admission, *, by: User, reason: str,
                   today: date | None = None) -> date:
    """The partner ends its own admission with the procedure's notice period."""
    require_beheerder(by, admission.organisation_id)
    today = today or today_local()
    # The notice period of the admission's own procedure (its category belongs to it).
    procedure = admission.category.procedure
    ends_on = add_months(today, procedure.notice_months)
    _plan_end(admission, by=by, reason=reason or "Opgezegd door de aanbieder", ends_on=ends_on,
              today=today, action="notice_given")
    return ends_on


def _plan_end(admission, *, by, reason, ends_on, today, action):
    errors = []
    if not (reason or "").strip():
        errors.append(("reason", _("Geef de reden van de beëindiging.")))
    if ends_on is None:
        errors.append(("ends_on", _("Vul de datum van de beëindiging in.")))
    elif ends_on < today:
        errors.append(("ends_on", _("Een beëindiging kan niet in het verleden liggen.")))
    if errors:
        raise ValidationFailed(errors)
    if admission.status == A.BEEINDIGD:
        raise TransitionNotAllowed(_("Deze toelating is al beëindigd."))
    if admission.ended_on is not None and admission.ended_on <= ends_on:
        ended_on = f"{admission.ended_on:%d-%m-%Y}"
        raise DomainError(_("Deze toelating eindigt al op %(date)s.", date=ended_on))
    admission.ended_on = ends_on
    admission.end_reason = reason.strip()
    audit.record(action, admission, actor=by, detail=f"{ends_on}: {reason.strip()}")
    if ends_on <= today:
        _end_now(admission, by=by)
    else:
        _mail_partner(admission, "admission_end_planned",
                      f"Uw toelating voor {admission.category.name} eindigt op {ends_on:%d-%m-%Y}")


def _end_now(admission, *, by):
    change_status(admission, A.BEEINDIGD, by=by, action="ended", detail=admission.end_reason or "")
    _mail_partner(admission, "admission_ended",
                  f"Uw toelating voor {admission.category.name} is beëindigd")


def _mail_partner(admission, kind, subject, **context):
    for recipient in partner_recipients(admission.organisation):
        notifications.queue(kind, recipient, subject=subject, organisation=admission.organisation,
                            admission=admission, **context)


# --- term and extension options -----------------------------------------------------------

def exercise_extension(procedure: Procedure, *, by: User, rationale: str,
                       exercised_on: date | None = None) -> ExtensionExercise:
    """Verlengingsoptie benutten: the end date moves; every active partner is told."""
    _require_admin(by)
    if not (rationale or "").strip():
        raise ValidationFailed([("rationale", _("Geef de onderbouwing van de verlenging."))])
    if procedure.options_left <= 0:
        raise DomainError(_("Er zijn geen verlengingsopties meer over."))
    old_end = procedure.current_end
    new_end = add_months(old_end, procedure.extension_months)
    if new_end > procedure.latest_possible_end:
        until, latest = f"{new_end:%d-%m-%Y}", f"{procedure.latest_possible_end:%d-%m-%Y}"
        raise DomainError(_("Deze verlenging zou de looptijd tot %(end)s laten lopen, "
                            "voorbij de uiterste einddatum van de gepubliceerde procedure "
                            "(%(latest)s).", end=until, latest=latest))
    exercise = ExtensionExercise(procedure=procedure, number=len(procedure.extensions) + 1,
                                 months=procedure.extension_months, rationale=rationale.strip(),
                                 exercised_on=exercised_on or today_local(), exercised_by_id=by.id)
    db.session.add(exercise)
    try:
        db.session.flush()
    except IntegrityError as exc:
        # Two administrators at once: the unique (procedure, number) refuses the second.
        db.session.rollback()
        raise DomainError(_(EXTENSION_RACE)) from exc
    db.session.refresh(procedure, ["extensions"])
    audit.record("extension_exercised", procedure, actor=by,
                 detail=f"{old_end} -> {procedure.current_end}: {rationale.strip()}")
    partners = db.session.scalars(
        select(Admission).where(Admission.status.in_(LIVE_ADMISSION))
        .options(selectinload(Admission.organisation))).all()
    for organisation in {a.organisation_id: a.organisation for a in partners}.values():
        for recipient in partner_recipients(organisation):
            notifications.queue(
                "term_extended", recipient,
                subject=f"{procedure.name} verlengd tot {procedure.current_end:%d-%m-%Y}",
                organisation=organisation, procedure=procedure, old_end=old_end,
                exercise=exercise,
            )
    return exercise


# --- the daily run -----------------------------------------------------------------------

@dataclass
class DailyReport:
    suspensions_started: int = 0
    suspensions_ended: int = 0
    admissions_ended: int = 0
    agreement_reminders: int = 0


def run_daily(today: date | None = None) -> DailyReport:
    """Apply what is due today; safe to run twice (what is done is not done again)."""
    today = today or today_local()
    report = DailyReport()
    for suspension in db.session.scalars(select(Suspension).where(
            Suspension.reinstated_at.is_(None), Suspension.starts_on <= today)
            .order_by(Suspension.id)).all():
        admission = suspension.admission
        if suspension.ends_on is not None and suspension.ends_on < today:
            if admission.status == A.GESCHORST:
                reinstate(admission, by=None, note="einde schorsingsperiode")
                report.suspensions_ended += 1
            else:
                suspension.reinstated_at = utcnow()
        elif admission.status == A.ACTIEF:
            change_status(admission, A.GESCHORST, by=None, action="suspended",
                          detail=suspension.reason)
            report.suspensions_started += 1
        db.session.commit()
    procedure = db.session.scalar(select(Procedure).order_by(Procedure.id).limit(1))
    term_over = procedure is not None and today > procedure.current_end
    ending = select(Admission).where(Admission.status.in_(LIVE_ADMISSION))
    if not term_over:
        ending = ending.where(Admission.ended_on <= today)
    for admission in db.session.scalars(ending.order_by(Admission.id).limit(5000)).all():
        if term_over and (admission.ended_on is None or admission.ended_on > procedure.current_end):
            admission.ended_on = procedure.current_end
            admission.end_reason = "Einde looptijd van de procedure"
        _end_now(admission, by=None)
        report.admissions_ended += 1
        db.session.commit()
    report.agreement_reminders = remind_agreements(today)
    db.session.commit()
    return report

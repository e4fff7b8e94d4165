"""The assessor's operations: assignment, verdicts, requests to complete, the proposed
decision and its approval by a second assessor (four eyes), corrections.

Every function checks who may act and the version of the application the actor saw
(optimistic locking), changes state only through the application's transition table,
writes audit events and queues mail; none touches the request or renders pages.
"""
from __future__ import annotations

from datetime import date, timedelta
from functools import cache

from sqlalchemy import bindparam, select

from .. import audit, notifications
from ..accounts.models import Role, User
from ..applications.models import Application, Status
from ..applications.workflow import (
    change_status,
    editable_requirement_ids,  # noqa: F401  (part of this module's API for views)
    open_completion,
    provider_recipients,
)
from ..auth import require_beheerder, require_role
from ..clock import add_working_days, resumed_due
from ..errors import DomainError, NotPermitted, TransitionNotAllowed, ValidationFailed
from ..extensions import db
from ..i18n import N_
from ..i18n import gettext as _
from ..partners import workflow as partners
from ..partners.compliance import refresh_evidence_date
from ..partners.models import LIVE_ADMISSION, Admission, AdmissionStatus
from ..partners.workflow import offer_agreement
from ..procedure.term import require_term_running, term_ended_message, term_has_ended
from ..timeutil import to_local, today_local, utcnow
from .letters import make_decision_letter
from .models import (
    CategoryDecision,
    CompletionItem,
    CompletionRequest,
    ConflictDeclaration,
    Outcome,
    Verdict,
    VerdictOutcome,
)

CONFLICT_STATEMENT = N_(
    "Ik verklaar dat ik geen belangen heb bij deze organisatie en er geen persoonlijke of "
    "zakelijke band mee heb die mijn oordeel kan beïnvloeden."
)

DECLARATION_MISSING = N_(
    "Verklaar eerst dat u geen belangenconflict heeft met deze organisatie. Pas daarna kunt u "
    "de aanmelding beoordelen, om aanvulling vragen of een besluit voorstellen."
)

STALE_MESSAGE = N_(
    "Iemand anders heeft deze aanmelding intussen gewijzigd. U ziet nu de actuele stand; "
    "controleer die en probeer het zo nodig opnieuw."
)


class StaleState(DomainError):
    """The application changed after the actor loaded it."""


def check_version(application: Application, expected: int | None) -> None:
    if expected is not None and expected != application.version:
        raise StaleState(_(STALE_MESSAGE))


def _require_assessor(user: User) -> None:
    require_role(user, "assessor", _("Alleen beoordelaars mogen dit doen."))


def _require_assigned(application: Application, user: User) -> None:
    _require_assessor(user)
    if getattr(application.assessor, "id", None) != user.id:
        raise NotPermitted(
            _("Alleen de toegewezen beoordelaar mag dit doen. Neem de aanmelding eerst in "
              "behandeling of vraag de contractbeheerder haar aan u toe te wijzen.")
        )


def start_review(application: Application, *, by: User, expected_version: int | None = None) -> None:
    """In behandeling nemen: the assessor takes the application."""
    _require_assessor(by)
    check_version(application, expected_version)
    change_status(application, Status.IN_BEHANDELING, by=by, action="review_started")
    application.assessor = by


def assign(application: Application, assessor: User, *, by: User,
           expected_version: int | None = None) -> None:
    """An administrator assigns (or reassigns) the application to an assessor."""
    if not by.is_admin:
        raise NotPermitted(_("Alleen een contractbeheerder kan een aanmelding toewijzen."))
    if not assessor.is_assessor or not assessor.is_active:
        raise DomainError(_("Kies een actieve beoordelaar."))
    check_version(application, expected_version)
    if application.status in (Status.BESLOTEN, Status.INGETROKKEN, Status.CONCEPT):
        raise TransitionNotAllowed(
            _("Een aanmelding met de status '%(status)s' kan niet worden toegewezen.",
              status=application.status.label))
    previous = application.assessor
    if application.status == Status.INGEDIEND:
        change_status(application, Status.IN_BEHANDELING, by=by, action="review_started",
                      detail=f"toegewezen aan {assessor.email}")
    application.assessor = assessor
    application.updated_at = utcnow()
    audit.record("assigned", application, actor=by,
                 detail=f"van {getattr(previous, 'email', 'niemand')} naar {assessor.email}")


def has_declared(application: Application, user: User) -> bool:
    return db.session.scalar(select(ConflictDeclaration.id).where(
        ConflictDeclaration.application_id == application.id,
        ConflictDeclaration.assessor_id == user.id)) is not None


def _require_declared(application: Application, user: User) -> None:
    """Every assessor action on an application needs the actor's own declaration of no
    conflict of interest, also after a reassignment (declarations are per assessor)."""
    if not has_declared(application, user):
        raise NotPermitted(_(DECLARATION_MISSING))


APPROVER_DECLARATION_MISSING = N_(
    "Verklaar dat u geen belangenconflict heeft met deze organisatie voordat u het besluit "
    "goedkeurt: ook de tweede beoordelaar beslist mee.")


def _declare_as_approver(application: Application, by: User, no_conflict: bool) -> None:
    """The second assessor decides too: approving needs their own declaration of no
    conflict of interest, given with the approval when they have not declared before."""
    if has_declared(application, by):
        return
    if not no_conflict:
        raise ValidationFailed([("no_conflict", _(APPROVER_DECLARATION_MISSING))])
    db.session.add(ConflictDeclaration(application_id=application.id, assessor_id=by.id,
                                       statement=CONFLICT_STATEMENT))
    audit.record("conflict_declared", application, actor=by, detail=CONFLICT_STATEMENT)


def declare_no_conflict(application: Application, *, by: User) -> ConflictDeclaration:
    """The assigned assessor declares before acting; after the decision any assessor may
    declare, to propose a herstelbesluit."""
    if application.status == Status.BESLOTEN:
        _require_assessor(by)
    else:
        _require_assigned(application, by)
    if has_declared(application, by):
        raise DomainError(_("U heeft voor deze aanmelding al verklaard dat u geen belangenconflict heeft."))
    declaration = ConflictDeclaration(application_id=application.id, assessor_id=by.id,
                                      statement=CONFLICT_STATEMENT)
    db.session.add(declaration)
    audit.record("conflict_declared", application, actor=by, detail=CONFLICT_STATEMENT)
    return declaration


def verdicts_by_requirement(application: Application) -> dict[int, Verdict]:
    return {
        v.requirement_id: v
        for v in db.session.scalars(select(Verdict).where(Verdict.application_id == application.id))
    }


@cache
def _verdict_rows_statement():
    return (select(Verdict.requirement_id, Verdict.outcome, Verdict.reason)
            .where(Verdict.application_id == bindparam("verdicts_of")))


def verdict_rows(application: Application) -> dict:
    """The verdicts to show, per requirement id: rows with ``outcome`` and ``reason`` (no
    objects to keep track of; half the time of ``verdicts_by_requirement``)."""
    return {row.requirement_id: row for row in db.session.execute(
        _verdict_rows_statement(), {"verdicts_of": application.id})}


def record_verdicts(application: Application, verdicts: dict[int, tuple[VerdictOutcome | None, str]],
                    *, by: User, expected_version: int | None = None) -> int:
    """Store verdicts per requirement: requirement id -> (outcome or None, reason)."""
    _require_assigned(application, by)
    if application.status != Status.IN_BEHANDELING:
        raise TransitionNotAllowed(
            _("Oordelen kunnen alleen worden vastgelegd als de aanmelding in behandeling is.")
        )
    check_version(application, expected_version)
    _require_declared(application, by)
    applicable = {r.id: r for r in application.applicable_requirements()}
    errors = []
    for req_id, (outcome, reason) in verdicts.items():
        req = applicable.get(req_id)
        if req is None:
            continue
        if outcome == VerdictOutcome.VOLDOET_NIET and not (reason or "").strip():
            errors.append((f"v{req_id}_reason", _("%(code)s: geef de reden waarom de aanbieder "
                                                   "niet voldoet.", code=req.code)))
    if errors:
        raise ValidationFailed(errors)
    existing = verdicts_by_requirement(application)
    changed = 0
    for req_id, (outcome, reason) in verdicts.items():
        if req_id not in applicable or outcome is None:
            continue
        verdict = existing.get(req_id)
        reason = (reason or "").strip()
        if verdict is None:
            db.session.add(Verdict(application_id=application.id, requirement_id=req_id,
                                   outcome=outcome, reason=reason, assessor_id=by.id))
            changed += 1
        elif (verdict.outcome, verdict.reason) != (outcome, reason):
            verdict.outcome, verdict.reason, verdict.assessor_id = outcome, reason, by.id
            changed += 1
    if changed:
        application.updated_at = utcnow()  # bumps the version: forms built before are stale
        audit.record("verdicts_recorded", application, actor=by,
                     detail=f"{changed} {'oordeel' if changed == 1 else 'oordelen'} vastgelegd")
    return changed


# --- request to complete (aanvulling vragen) -------------------------------------------

def completion_rounds(application: Application) -> list[CompletionRequest]:
    return list(db.session.scalars(select(CompletionRequest)
                                   .where(CompletionRequest.application_id == application.id)
                                   .order_by(CompletionRequest.round)))


def request_completion(application: Application, questions: dict[int, str], *, by: User,
                       deadline: date | None = None, expected_version: int | None = None,
                       today: date | None = None) -> CompletionRequest:
    """Aanvulling vragen: questions per requirement, a deadline; the decision clock stops."""
    _require_assigned(application, by)
    check_version(application, expected_version)
    _require_declared(application, by)
    today = today or today_local()
    applicable = {r.id: r for r in application.applicable_requirements()}
    errors = []
    chosen = {rid: (q or "").strip() for rid, q in questions.items() if rid in applicable}
    if not chosen:
        errors.append(("completion_requirements", _("Kies minstens één eis waarover u een vraag stelt.")))
    for rid, question in chosen.items():
        if not question:
            errors.append((f"q{rid}_question", _("%(code)s: schrijf de vraag aan de aanbieder.",
                                                          code=applicable[rid].code)))
    if deadline is None:
        deadline = add_working_days(today, application.procedure.completion_working_days)
    elif deadline <= today:
        errors.append(("completion_deadline", _("De uiterste datum moet na vandaag liggen.")))
    if errors:
        raise ValidationFailed(errors)
    change_status(application, Status.AANVULLING_GEVRAAGD, by=by, action="completion_requested")
    number = len(completion_rounds(application)) + 1
    request = CompletionRequest(application_id=application.id, round=number, requested_by_id=by.id,
                                deadline=deadline)
    for rid, question in chosen.items():
        request.items.append(CompletionItem(requirement_id=rid, question=question))
    db.session.add(request)
    db.session.flush()
    for recipient in provider_recipients(application, None):
        notifications.queue(
            "completion_requested", recipient,
            subject=f"Aanvulling gevraagd op uw aanmelding {application.reference}",
            organisation=application.organisation, application=application,
            request=request, items=[(applicable[i.requirement_id], i.question) for i in request.items],
        )
    return request


def _resume_clock(application: Application, request: CompletionRequest, resumed: date,
                  by_deadline: bool, by: User | None, note: str = "") -> None:
    """The clock runs again on ``resumed`` (a date in Europe/Amsterdam, like the deadline):
    the decision deadline moves by the days it stood still, and a reminder about the old
    deadline no longer counts."""
    requested = to_local(request.requested_at).date()
    stopped = 0
    if application.decision_due is not None:
        application.decision_due, stopped = resumed_due(application.decision_due, requested, resumed)
    if stopped:
        application.overdue_reminder_sent_at = None  # a new reminder before the new deadline
    request.closed_at = utcnow()
    request.closed_by_deadline = by_deadline
    request.clock_days_stopped = stopped
    request.provider_note = note or None
    change_status(application, Status.IN_BEHANDELING, by=by,
                  action="completion_expired" if by_deadline else "completion_returned",
                  detail=f"ronde {request.round}; de klok stond {stopped} "
                         f"{'dag' if stopped == 1 else 'dagen'} stil")
    if application.assessor is not None:
        notifications.queue(
            "completion_back", application.assessor.email,
            subject=f"Aanmelding {application.reference} is terug in behandeling",
            application=application, request=request, by_deadline=by_deadline,
        )


def return_completion(application: Application, *, by: User, note: str = "",
                      today: date | None = None) -> None:
    """The provider sends the completion back; the clock runs again."""

    require_beheerder(by, application.organisation_id, _("de aanvulling versturen"))
    today = today or today_local()
    request = open_completion(application)
    if application.status != Status.AANVULLING_GEVRAAGD or request is None:
        raise TransitionNotAllowed(_("Er staat geen vraag om aanvulling open voor deze aanmelding."))
    if today > request.deadline:
        expire_completions(today)
        raise DomainError(_("De termijn voor de aanvulling is verstreken. De aanmelding wordt "
                            "beoordeeld zoals zij nu is."))
    _resume_clock(application, request, today, False, by, note)


def expire_completions(today: date | None = None) -> int:
    """Requests past their deadline go back to the assessor as they stand."""
    today = today or today_local()
    expired = db.session.scalars(
        select(CompletionRequest).where(CompletionRequest.closed_at.is_(None),
                                        CompletionRequest.deadline < today)).all()
    for request in expired:
        application = db.session.get(Application, request.application_id)
        _resume_clock(application, request, request.deadline, True, None)
    return len(expired)


# --- the decision (four eyes) ------------------------------------------------------------

def propose_decision(application: Application, decisions: dict[int, tuple[Outcome | None, str, list[int]]],
                     *, by: User, expected_version: int | None = None) -> None:
    """Besluit voorstellen: category id -> (outcome, motivation, failed requirement ids)."""
    _require_assigned(application, by)
    if application.status != Status.IN_BEHANDELING:
        raise TransitionNotAllowed(_("Een besluit kan alleen worden voorgesteld als de aanmelding "
                                     "in behandeling is."))
    check_version(application, expected_version)
    _require_declared(application, by)
    requirements = application.applicable_requirements()
    verdicts = verdicts_by_requirement(application)
    errors = _decision_errors(application, requirements, verdicts, decisions)
    if errors:
        raise ValidationFailed(errors)

    existing = {d.category_id: d for d in current_decisions(application)}
    all_reqs = {r.id: r for r in requirements}
    for cat in application.categories:
        outcome, motivation, failed_ids = decisions[cat.id]
        decision = existing.get(cat.id) or CategoryDecision(application_id=application.id,
                                                            category_id=cat.id, round=0)
        decision.outcome = outcome
        decision.motivation = motivation.strip()
        decision.proposed_by_id = by.id
        decision.proposed_at = utcnow()
        decision.approved_by_id = None
        decision.approved_at = None
        decision.return_remark = None
        decision.failed_requirements = (
            [all_reqs[r] for r in failed_ids] if outcome == Outcome.AFGEWEZEN else []
        )
        db.session.add(decision)
    change_status(application, Status.BESLUIT_VOORGESTELD, by=by, action="decision_proposed",
                  detail="; ".join(f"{c.name}: {decisions[c.id][0].label}" for c in application.categories))


def _decision_errors(application, requirements, verdicts, decisions):
    errors = []
    # After the term's end nobody is admitted any more (a re-confirmation admits nobody).
    term_over = application.round_id is None and term_has_ended(application.procedure)
    for req in requirements:
        if req.id not in verdicts:
            errors.append((f"v{req.id}_outcome", _("%(code)s: er is nog geen oordeel vastgelegd.",
                                                             code=req.code)))
    for cat in application.categories:
        outcome, motivation, failed_ids = decisions.get(cat.id, (None, "", []))
        prefix = f"c{cat.id}"
        cat_reqs = {r.id: r for r in requirements if r.applies_to({cat.id})}
        if outcome is None:
            errors.append((f"{prefix}_outcome", _("%(category)s: kies toegelaten of afgewezen.",
                                                      category=cat.name)))
            continue
        if not (motivation or "").strip():
            errors.append((f"{prefix}_motivation", _("%(category)s: geef een motivering.",
                                                          category=cat.name)))
        failing_knockouts = [
            r for r in cat_reqs.values()
            if r.knockout and r.id in verdicts and verdicts[r.id].outcome == VerdictOutcome.VOLDOET_NIET
        ]
        if outcome == Outcome.TOEGELATEN and term_over:
            errors.append((f"{prefix}_outcome", _("%(category)s: toelaten kan niet meer. %(reason)s",
                                                  category=cat.name,
                                                  reason=term_ended_message(application.procedure))))
        if outcome == Outcome.TOEGELATEN and failing_knockouts:
            codes = ", ".join(r.code for r in failing_knockouts)
            errors.append((f"{prefix}_outcome", _("%(category)s: toelaten kan niet, want de "
                                                  "knock-out-eisen %(codes)s zijn als 'voldoet niet' "
                                                  "beoordeeld.", category=cat.name, codes=codes)))
        if outcome == Outcome.AFGEWEZEN:
            if not failed_ids:
                errors.append((f"{prefix}_failed", _("%(category)s: noem bij een afwijzing minstens "
                                                     "één eis waaraan niet is voldaan.",
                                                     category=cat.name)))
            for rid in failed_ids:
                if rid not in cat_reqs:
                    errors.append((f"{prefix}_failed", _("%(category)s: een genoemde eis hoort niet "
                                                         "bij deze categorie.", category=cat.name)))
                elif rid in verdicts and verdicts[rid].outcome != VerdictOutcome.VOLDOET_NIET:
                    errors.append((f"{prefix}_failed", _("%(category)s: eis %(code)s is niet als "
                                                         "'voldoet niet' beoordeeld en kan geen "
                                                         "afwijzingsgrond zijn.",
                                                         category=cat.name, code=cat_reqs[rid].code)))
    return errors


def current_decisions(application: Application, round: int | None = None) -> list[CategoryDecision]:
    """The decisions of the latest round (the decision, or the latest herstelbesluit)."""
    rows = db.session.scalars(
        select(CategoryDecision).where(CategoryDecision.application_id == application.id)
        .order_by(CategoryDecision.round)).all()
    if not rows:
        return []
    latest = max(d.round for d in rows) if round is None else round
    return [d for d in rows if d.round == latest]


def approve_decision(application: Application, *, by: User, no_conflict: bool = False,
                     expected_version: int | None = None) -> list[CategoryDecision]:
    """Goedkeuren by a second assessor: the decision becomes final, is sent, and admits.
    ``no_conflict``: the approver declares no conflict of interest with this approval
    (needed unless they declared before)."""
    _require_assessor(by)
    check_version(application, expected_version)
    decisions = current_decisions(application)
    if application.status == Status.BESLUIT_VOORGESTELD and any(
        d.proposed_by_id == by.id for d in decisions
    ):
        raise NotPermitted(_("Een besluit moet worden goedgekeurd door een tweede beoordelaar, "
                             "niet door wie het voorstelde (vier-ogenprincipe)."))
    if application.round_id is None and any(d.outcome == Outcome.TOEGELATEN for d in decisions):
        require_term_running(application.procedure)  # proposed before the end, approved after
    if application.status == Status.BESLUIT_VOORGESTELD:
        _declare_as_approver(application, by, no_conflict)
    change_status(application, Status.BESLOTEN, by=by, action="decision_approved")
    refresh_evidence_date(application.organisation_id)  # its evidence is tracked from now on
    now = utcnow()
    application.decided_at = now
    admitted = []
    for d in decisions:
        d.approved_by_id = by.id
        d.approved_at = now
        # A herbevestiging (round) is answered by a partner admitted already: it admits
        # nobody again, and a rejection leaves the admission to the region's own decision.
        if d.outcome == Outcome.TOEGELATEN and application.round_id is None:
            admitted.append(Admission(organisation_id=application.organisation_id,
                                      category=d.category, application_id=application.id))
    db.session.add_all(admitted)
    _finalise(application, decisions, round=0, by=by)
    if admitted:
        offer_agreement(application, admitted, by=by)
    return decisions


def _finalise(application, decisions, *, round: int, by: User) -> None:
    """Make the decision letter and queue the decision mail with it."""
    order = {c.id: i for i, c in enumerate(application.categories)}
    decisions = sorted(decisions, key=lambda d: order.get(d.category_id, 0))
    letter = make_decision_letter(application, decisions, round=round, by=by)
    corrected = round > 0
    for recipient in provider_recipients(application, None):
        notifications.queue(
            "decision",
            recipient,
            subject=(f"Herstelbesluit over uw aanmelding {application.reference}" if corrected
                     else f"Besluit over uw aanmelding {application.reference}"),
            organisation=application.organisation,
            application=application,
            decisions=decisions,
            corrected=corrected,
            attachment=letter.document,
        )


def send_back(application: Application, *, by: User, note: str = "",
              expected_version: int | None = None) -> None:
    """Terugsturen: the second assessor returns the proposal with a remark."""
    _require_assessor(by)
    check_version(application, expected_version)
    if not (note or "").strip():
        raise ValidationFailed([("return_remark", _("Schrijf bij het terugsturen een opmerking voor "
                                                    "de beoordelaar."))])
    decisions = current_decisions(application)
    if any(d.proposed_by_id == by.id for d in decisions):
        raise NotPermitted(_("Het voorstel wordt beoordeeld door een tweede beoordelaar; u kunt uw "
                             "eigen voorstel niet terugsturen."))
    change_status(application, Status.IN_BEHANDELING, by=by, action="decision_sent_back",
                  detail=note.strip())
    for d in decisions:
        d.return_remark = note.strip()
    if application.assessor is not None:
        notifications.queue(
            "proposal_returned", application.assessor.email,
            subject=f"Besluitvoorstel {application.reference} teruggestuurd",
            application=application, remark=note.strip(), by=by,
        )


# --- deadlines ----------------------------------------------------------------------------

# The decision clock runs in these states; in aanvulling gevraagd it stands still.
CLOCK_RUNNING = (Status.INGEDIEND, Status.IN_BEHANDELING, Status.BESLUIT_VOORGESTELD)


def send_overdue_reminders(today: date | None = None) -> int:
    """Mail the assessor and the administrators a week before an application is overdue.
    Not while the clock stands still (aanvulling gevraagd): its deadline will move, and
    the reminder is reset when it does."""
    today = today or today_local()
    due_soon = db.session.scalars(
        select(Application).where(
            Application.status.in_(CLOCK_RUNNING),
            Application.decision_due <= today + timedelta(days=7),
            Application.overdue_reminder_sent_at.is_(None),
        ).order_by(Application.decision_due).limit(1000)).all()
    admins = db.session.scalars(select(User.email).where(User.role == Role.ADMIN,
                                                         User.is_active_account.is_(True))).all()
    for application in due_soon:
        recipients = list(dict.fromkeys(
            ([application.assessor.email] if application.assessor else []) + list(admins)))
        for recipient in recipients:
            notifications.queue(
                "deadline_reminder", recipient,
                subject=f"Beslistermijn aanmelding {application.reference} verloopt op "
                        f"{application.decision_due:%d-%m-%Y}",
                application=application, days_left=(application.decision_due - today).days,
            )
        application.overdue_reminder_sent_at = utcnow()
    return len(due_soon)


# --- herstelbesluit -------------------------------------------------------------------------

def correction_allowed(application: Application, by: User) -> list[CategoryDecision]:
    """Whether ``by`` may propose a herstelbesluit now: raises the reason why not (a
    ``DomainError``); returns the decisions it would replace."""
    _require_assessor(by)
    if application.status != Status.BESLOTEN:
        raise TransitionNotAllowed(_("Een herstelbesluit kan alleen op een genomen besluit volgen."))
    _require_declared(application, by)
    previous = current_decisions(application)
    if any(d.approved_at is None for d in previous):
        raise DomainError(_("Er staat al een herstelbesluit klaar om goed te keuren."))
    return previous


def propose_correction(application: Application,
                       decisions: dict[int, tuple[Outcome | None, str, list[int]]],
                       *, by: User, reason: str,
                       expected_version: int | None = None) -> list[CategoryDecision]:
    """A final decision never changes; a mistake is repaired by a new decision (herstelbesluit)
    that references the old one. It is proposed here and approved by a second assessor."""
    _require_assessor(by)
    check_version(application, expected_version)
    previous = correction_allowed(application, by)
    errors = _decision_errors(application, application.applicable_requirements(),
                              verdicts_by_requirement(application), decisions)
    if not (reason or "").strip():
        errors.append(("correction_reason", _("Leg uit welke fout dit herstelbesluit herstelt.")))
    if errors:
        raise ValidationFailed(errors)
    round_ = previous[0].round + 1
    reqs = {r.id: r for r in application.applicable_requirements()}
    new = []
    for old in previous:
        outcome, motivation, failed_ids = decisions[old.category_id]
        decision = CategoryDecision(
            application_id=application.id, category_id=old.category_id, round=round_,
            corrects_id=old.id, outcome=outcome, motivation=motivation.strip(),
            proposed_by_id=by.id, proposed_at=utcnow(),
            failed_requirements=[reqs[r] for r in failed_ids] if outcome == Outcome.AFGEWEZEN else [],
        )
        db.session.add(decision)
        new.append(decision)
    application.updated_at = utcnow()
    audit.record("correction_proposed", application, actor=by, detail=reason.strip())
    return new


def approve_correction(application: Application, *, by: User, no_conflict: bool = False,
                       expected_version: int | None = None) -> list[CategoryDecision]:
    _require_assessor(by)
    check_version(application, expected_version)
    pending = current_decisions(application)
    if not pending or pending[0].round == 0 or any(d.approved_at for d in pending):
        raise DomainError(_("Er is geen herstelbesluit om goed te keuren."))
    if any(d.proposed_by_id == by.id for d in pending):
        raise NotPermitted(_("Een herstelbesluit moet worden goedgekeurd door een tweede beoordelaar."))
    _declare_as_approver(application, by, no_conflict)
    now = utcnow()
    admitted = []
    for d in pending:
        d.approved_by_id, d.approved_at = by.id, now
        live = db.session.scalar(select(Admission).where(
            Admission.organisation_id == application.organisation_id,
            Admission.category_id == d.category_id, Admission.status.in_(LIVE_ADMISSION)))
        if d.outcome == Outcome.TOEGELATEN and live is None:
            require_term_running(application.procedure)  # the caller rolls back
            admitted.append(Admission(organisation_id=application.organisation_id,
                                      category=d.category, application_id=application.id))
            db.session.add(admitted[-1])
        elif d.outcome == Outcome.AFGEWEZEN and live is not None and live.application_id == application.id:
            live.ended_on = today_local()
            live.end_reason = "Herstelbesluit: afgewezen"
            partners.change_status(live, AdmissionStatus.BEEINDIGD, by=by, action="ended",
                                   detail="herstelbesluit")
    application.updated_at = now
    audit.record("correction_approved", application, actor=by, detail=f"herstelbesluit {pending[0].round}")
    _finalise(application, pending, round=pending[0].round, by=by)
    if admitted:
        offer_agreement(application, admitted, by=by)
    return pending

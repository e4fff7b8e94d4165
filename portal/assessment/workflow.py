"""The assessor's operations: review, verdicts, proposed decision, approval (four eyes)."""
from __future__ import annotations

from sqlalchemy import select

from .. import audit, notifications
from ..accounts.models import User
from ..applications.models import Application, Status
from ..applications.workflow import change_status, provider_recipients
from ..errors import NotPermitted, TransitionNotAllowed, ValidationFailed
from ..extensions import db
from ..partners.models import Admission
from ..timeutil import utcnow
from .models import CategoryDecision, Outcome, Verdict, VerdictOutcome


def _require_assessor(user: User) -> None:
    if not user.is_assessor:
        raise NotPermitted("Alleen beoordelaars mogen dit doen.")


def start_review(application: Application, *, by: User) -> None:
    """In behandeling nemen."""
    _require_assessor(by)
    change_status(application, Status.IN_BEHANDELING, by=by, action="review_started")
    application.assessor = by


def verdicts_by_requirement(application: Application) -> dict[int, Verdict]:
    return {
        v.requirement_id: v
        for v in db.session.scalars(select(Verdict).where(Verdict.application_id == application.id))
    }


def record_verdicts(application: Application, verdicts: dict[int, tuple[VerdictOutcome | None, str]],
                    *, by: User) -> int:
    """Store verdicts per requirement: requirement id -> (outcome or None, reason)."""
    _require_assessor(by)
    if application.status != Status.IN_BEHANDELING:
        raise TransitionNotAllowed(
            "Oordelen kunnen alleen worden vastgelegd als de aanmelding in behandeling is."
        )
    applicable = {r.id: r for r in application.applicable_requirements()}
    errors = []
    for req_id, (outcome, reason) in verdicts.items():
        req = applicable.get(req_id)
        if req is None:
            continue
        if outcome == VerdictOutcome.VOLDOET_NIET and not (reason or "").strip():
            errors.append((f"v{req_id}_reason", f"{req.code}: geef de reden waarom de aanbieder "
                                                 "niet voldoet."))
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
        audit.record("verdicts_recorded", application, actor=by, detail=f"changed={changed}")
    return changed


def propose_decision(application: Application, decisions: dict[int, tuple[Outcome | None, str, list[int]]],
                     *, by: User) -> None:
    """Besluit voorstellen: category id -> (outcome, motivation, failed requirement ids)."""
    _require_assessor(by)
    if application.status != Status.IN_BEHANDELING:
        raise TransitionNotAllowed("Een besluit kan alleen worden voorgesteld als de aanmelding "
                                   "in behandeling is.")
    requirements = application.applicable_requirements()
    verdicts = verdicts_by_requirement(application)
    errors = []
    for req in requirements:
        if req.id not in verdicts:
            errors.append((f"v{req.id}_outcome", f"{req.code}: er is nog geen oordeel vastgelegd."))
    for cat in application.categories:
        outcome, motivation, failed_ids = decisions.get(cat.id, (None, "", []))
        prefix = f"c{cat.id}"
        cat_reqs = {r.id: r for r in requirements if r.applies_to({cat.id})}
        if outcome is None:
            errors.append((f"{prefix}_outcome", f"{cat.name}: kies toegelaten of afgewezen."))
            continue
        if not (motivation or "").strip():
            errors.append((f"{prefix}_motivation", f"{cat.name}: geef een motivering."))
        failing_knockouts = [
            r for r in cat_reqs.values()
            if r.knockout and r.id in verdicts and verdicts[r.id].outcome == VerdictOutcome.VOLDOET_NIET
        ]
        if outcome == Outcome.TOEGELATEN and failing_knockouts:
            codes = ", ".join(r.code for r in failing_knockouts)
            errors.append((f"{prefix}_outcome", f"{cat.name}: toelaten kan niet, want de "
                                                f"knock-out-eisen {codes} zijn als 'voldoet niet' beoordeeld."))
        if outcome == Outcome.AFGEWEZEN:
            if not failed_ids:
                errors.append((f"{prefix}_failed", f"{cat.name}: noem bij een afwijzing minstens één "
                                                   "eis waaraan niet is voldaan."))
            for rid in failed_ids:
                if rid not in cat_reqs:
                    errors.append((f"{prefix}_failed", f"{cat.name}: een genoemde eis hoort niet bij "
                                                       "deze categorie."))
                elif rid in verdicts and verdicts[rid].outcome != VerdictOutcome.VOLDOET_NIET:
                    errors.append((f"{prefix}_failed", f"{cat.name}: eis {cat_reqs[rid].code} is als "
                                                       "'voldoet' beoordeeld en kan geen afwijzingsgrond zijn."))
    if errors:
        raise ValidationFailed(errors)

    existing = {d.category_id: d for d in db.session.scalars(
        select(CategoryDecision).where(CategoryDecision.application_id == application.id))}
    all_reqs = {r.id: r for r in requirements}
    for cat in application.categories:
        outcome, motivation, failed_ids = decisions[cat.id]
        decision = existing.get(cat.id) or CategoryDecision(application_id=application.id,
                                                            category_id=cat.id)
        decision.outcome = outcome
        decision.motivation = motivation.strip()
        decision.proposed_by_id = by.id
        decision.proposed_at = utcnow()
        decision.approved_by_id = None
        decision.approved_at = None
        decision.failed_requirements = (
            [all_reqs[r] for r in failed_ids] if outcome == Outcome.AFGEWEZEN else []
        )
        db.session.add(decision)
    change_status(application, Status.BESLUIT_VOORGESTELD, by=by, action="decision_proposed",
                  detail="; ".join(f"{c.code}={decisions[c.id][0].value}" for c in application.categories))


def _decisions(application):
    return db.session.scalars(
        select(CategoryDecision).where(CategoryDecision.application_id == application.id)
    ).all()


def approve_decision(application: Application, *, by: User) -> list[CategoryDecision]:
    """Goedkeuren by a second assessor: the decision becomes final and is sent."""
    _require_assessor(by)
    decisions = _decisions(application)
    if application.status == Status.BESLUIT_VOORGESTELD and any(
        d.proposed_by_id == by.id for d in decisions
    ):
        raise NotPermitted("Een besluit moet worden goedgekeurd door een tweede beoordelaar, "
                           "niet door wie het voorstelde (vier-ogenprincipe).")
    change_status(application, Status.BESLOTEN, by=by, action="decision_approved")
    now = utcnow()
    application.decided_at = now
    for d in decisions:
        d.approved_by_id = by.id
        d.approved_at = now
        if d.outcome == Outcome.TOEGELATEN:
            db.session.add(Admission(organisation_id=application.organisation_id,
                                     category_id=d.category_id, application_id=application.id))
    order = {c.id: i for i, c in enumerate(application.categories)}
    decisions = sorted(decisions, key=lambda d: order.get(d.category_id, 0))
    for recipient in provider_recipients(application, None):
        notifications.queue(
            "decision",
            recipient,
            subject=f"Besluit over uw aanmelding {application.reference}",
            organisation=application.organisation,
            application=application,
            decisions=decisions,
        )
    return decisions


def send_back(application: Application, *, by: User, note: str = "") -> None:
    """Terugsturen: the proposal goes back to the assessor for another look."""
    _require_assessor(by)
    change_status(application, Status.IN_BEHANDELING, by=by, action="decision_sent_back", detail=note)

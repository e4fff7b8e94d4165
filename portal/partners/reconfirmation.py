"""Re-confirmation rounds (herbevestigingsrondes).

When a new catalogue version adds or changes requirements, an administrator starts a round
for the procedure's active partners, with a deadline. Each partner gets one application
(an aanmelding with ``round_id`` set) on the new version that asks only the added or
changed requirements that apply to its admitted categories; the partner answers it in the
ordinary wizard and submits it, and assessors assess it as usual. Approving the decision on
such an application admits nobody again (the partner is admitted already), and a rejection
does not end an admission by itself: the region decides that separately.

Like every operations module: these functions check who may act, write the audit event in
the caller's transaction, queue the mails and never touch the request.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from .. import audit, notifications
from ..accounts.models import OrgRole, User
from ..applications.models import Answer, Application, Status
from ..errors import DomainError, NotPermitted, ValidationFailed
from ..extensions import db
from ..i18n import format_number
from ..i18n import gettext as _
from ..procedure.models import CatalogueVersion, Category, Identifier, Procedure, Requirement
from ..procedure.versions import after_publication, asks_the_provider_again, compare
from ..timeutil import today_local, utcnow
from .models import Admission, AdmissionStatus, ReconfirmationRound
from .workflow import after_activation, partner_recipients

NOTE_MAX = 2000
# Answered: the partner submitted (whatever the assessors did with it since).
ANSWERED = (Status.INGEDIEND, Status.IN_BEHANDELING, Status.AANVULLING_GEVRAAGD,
            Status.BESLUIT_VOORGESTELD, Status.BESLOTEN)


# --- reading helpers ----------------------------------------------------------------------

def _requirements(version: CatalogueVersion) -> list[Requirement]:
    return list(db.session.scalars(
        select(Requirement).where(Requirement.version_id == version.id)
        .options(selectinload(Requirement.categories))
        .order_by(Requirement.position, Requirement.id)))


def latest_round(procedure: Procedure) -> ReconfirmationRound | None:
    return db.session.scalar(
        select(ReconfirmationRound).where(ReconfirmationRound.procedure_id == procedure.id)
        .order_by(ReconfirmationRound.id.desc()).limit(1))


def baseline(procedure: Procedure, version: CatalogueVersion) -> CatalogueVersion | None:
    """The version a round for ``version`` compares with: that of the latest round, or,
    before the first round, the published version just before it."""
    last = latest_round(procedure)
    if last is not None:
        return db.session.get(CatalogueVersion, last.version_id)
    return db.session.scalar(
        select(CatalogueVersion).where(CatalogueVersion.procedure_id == procedure.id,
                                       CatalogueVersion.published_at.is_not(None),
                                       CatalogueVersion.number < version.number)
        .order_by(CatalogueVersion.number.desc()).limit(1))


def eligible_versions(procedure: Procedure) -> list[CatalogueVersion]:
    """Published versions a round can be started for: newer than the latest round's
    version, or (before the first round) any published version after the first."""
    last = latest_round(procedure)
    after = (db.session.scalar(select(CatalogueVersion.number)
                               .where(CatalogueVersion.id == last.version_id)) if last
             else db.session.scalar(select(func.min(CatalogueVersion.number)).where(
                 CatalogueVersion.procedure_id == procedure.id,
                 CatalogueVersion.published_at.is_not(None))))
    if after is None:
        return []
    return list(db.session.scalars(
        select(CatalogueVersion).where(CatalogueVersion.procedure_id == procedure.id,
                                       CatalogueVersion.published_at.is_not(None),
                                       CatalogueVersion.number > after)
        .order_by(CatalogueVersion.number.desc())))


def new_or_changed(previous: CatalogueVersion, version: CatalogueVersion) -> list[Requirement]:
    """The requirements of ``version`` that were added or changed since ``previous``, in
    the order of ``version`` (a change to the assessment guidance alone does not count)."""
    comparison = compare(_requirements(previous), _requirements(version))
    ids = {r.id for r in comparison.added} | {c.new.id for c in comparison.changed
                                              if asks_the_provider_again(c)}
    return [r for r in _requirements(version) if r.id in ids]


def _applicant(organisation_id: int, fallback: User) -> User:
    """Who the round's application is made for: a beheerder of the organisation (its mails
    go to them), else any active member; the administrator only when there is none."""
    members = db.session.scalars(
        select(User).where(User.organisation_id == organisation_id,
                           User.is_active_account.is_(True))
        .order_by((User.org_role == OrgRole.BEHEERDER).desc(), User.id)).all()
    return members[0] if members else fallback


# --- starting a round -----------------------------------------------------------------------

def start_round(procedure: Procedure, version: CatalogueVersion, *, by: User, deadline: date | None,
                note: str = "", today: date | None = None) -> ReconfirmationRound:
    """Start a herbevestigingsronde for ``version``: one application per active partner
    that has something to answer, and a mail to each of them."""
    if not (by is not None and by.is_admin and by.is_active):
        raise NotPermitted(_("Alleen de contractbeheerder kan een herbevestigingsronde starten."))
    today = today or today_local()
    note = (note or "").replace("\r\n", "\n").strip()
    _check_round_input(deadline, note, today)
    previous, changed = _versions_to_reconfirm(procedure, version)

    rnd = ReconfirmationRound(
        procedure_id=procedure.id, version_id=version.id, previous_version_id=previous.id,
        requirement_codes=",".join(r.code for r in changed), deadline=deadline, note=note,
        started_at=utcnow(), started_by_id=by.id)
    db.session.add(rnd)
    db.session.flush()

    started = 0
    for admissions_of_org in _active_admissions_per_organisation(procedure).values():
        if _ask_partner(rnd, procedure, version, admissions_of_org, changed, by=by):
            started += 1
    audit.record("reconfirmation_started", rnd, actor=by,
                 detail=f"versie {previous.number} -> {version.number}; eisen "
                        f"{rnd.requirement_codes}; {started} partners; uiterlijk {deadline}")
    return rnd


# The deadline of a round started when a version is published: this many weeks later.
AUTOMATIC_ROUND_WEEKS = 6


@after_publication
def start_round_on_publication(version: CatalogueVersion, *, by: User,
                               reconfirm: bool = True) -> ReconfirmationRound | None:
    """When a version is published, the partners admitted on an older one are asked at
    once to re-confirm the requirements it adds or changes (a round with a deadline of
    ``AUTOMATIC_ROUND_WEEKS`` weeks). Nothing happens when there is no active partner,
    nothing to re-confirm, or ``reconfirm`` is off (then the administrator can start the
    round by hand, with a deadline and note of choice). Runs in ``publish``'s transaction."""
    if not reconfirm:
        return None
    procedure = db.session.get(Procedure, version.procedure_id)
    if not _active_admissions_per_organisation(procedure):
        return None
    try:
        _versions_to_reconfirm(procedure, version)
    except DomainError:
        return None  # nothing added or changed since the partners' version
    today = today_local()
    return start_round(
        procedure, version, by=by, deadline=today + timedelta(weeks=AUTOMATIC_ROUND_WEEKS),
        note=f"Gestart bij de publicatie van versie {version.number} van de eisen.",
        today=today)


@after_activation
def reconfirm_late_admission(application: Application, admissions: list[Admission], *,
                             by: User, today: date | None = None) -> Application | None:
    """A partner that became active on an application of an older version than the latest
    round's (submitted before that version was published, decided after) is asked in that
    round too, while it runs, for the round's requirements that changed since its own
    version and apply to it. Returns its round application, or None when nothing is asked."""
    if application is None or application.round_id is not None or not admissions:
        return None
    procedure = db.session.get(Procedure, application.procedure_id)
    rnd = latest_round(procedure)
    if rnd is None or rnd.deadline < (today or today_local()):
        return None
    version = db.session.get(CatalogueVersion, rnd.version_id)
    own = db.session.get(CatalogueVersion, application.catalogue_version_id)
    if own.number >= version.number or db.session.scalar(
            select(Application.id).where(Application.round_id == rnd.id,
                                         Application.organisation_id == application.organisation_id)
            .limit(1)) is not None:
        return None
    changed = [r for r in new_or_changed(own, version) if r.code.lower() in rnd.code_set]
    if not changed or not _ask_partner(rnd, procedure, version, admissions, changed, by=by):
        return None
    return db.session.scalar(select(Application).where(
        Application.round_id == rnd.id, Application.organisation_id == application.organisation_id))


def _check_round_input(deadline: date | None, note: str, today: date) -> None:
    """The administrator's deadline (in the future) and note (not too long)."""
    errors = []
    if deadline is None:
        errors.append(("deadline", _("Vul de uiterste datum voor de herbevestiging in.")))
    elif deadline <= today:
        errors.append(("deadline", _("De uiterste datum moet in de toekomst liggen.")))
    if len(note) > NOTE_MAX:
        errors.append(("note", _("De toelichting mag maximaal %(max)s tekens lang zijn.",
                                 max=format_number(NOTE_MAX))))
    if errors:
        raise ValidationFailed(errors)


def _versions_to_reconfirm(procedure: Procedure,
                           version: CatalogueVersion) -> tuple[CatalogueVersion, list[Requirement]]:
    """The version the partners last confirmed, and the requirements ``version`` adds or
    changes since; refused when ``version`` is not a newer, published version with changes."""
    if version.procedure_id != procedure.id:
        raise DomainError(_("Deze versie van de eisen hoort niet bij deze procedure."))
    if version.published_at is None:
        raise DomainError(_("Versie %(number)s van de eisen is nog niet gepubliceerd. "
                            "Publiceer haar eerst.", number=version.number))
    previous = baseline(procedure, version)
    if previous is None or previous.number >= version.number:
        raise DomainError(_("Versie %(number)s is niet nieuwer dan de versie waarmee de "
                            "partners al herbevestigden of werden toegelaten.",
                            number=version.number))
    changed = new_or_changed(previous, version)
    if not changed:
        raise DomainError(_("Versie %(number)s voegt ten opzichte van versie "
                            "%(previous)s geen eisen toe en wijzigt er geen: er is niets "
                            "te herbevestigen.", number=version.number,
                            previous=previous.number))
    return previous, changed


def _active_admissions_per_organisation(procedure: Procedure) -> dict[int, list[Admission]]:
    """The procedure's active admissions per organisation, in the categories' order."""
    admissions = db.session.scalars(
        select(Admission).join(Category, Category.id == Admission.category_id)
        .where(Admission.status == AdmissionStatus.ACTIEF,
               Category.procedure_id == procedure.id)
        .options(joinedload(Admission.organisation), joinedload(Admission.category))
        .order_by(Admission.organisation_id, Category.position)).all()
    per_org: dict[int, list[Admission]] = {}
    for admission in admissions:
        per_org.setdefault(admission.organisation_id, []).append(admission)
    return per_org


def _ask_partner(rnd: ReconfirmationRound, procedure: Procedure, version: CatalogueVersion,
                 admissions_of_org: list[Admission], changed: list[Requirement], *, by: User) -> bool:
    """One partner's application in the round, and its mail; False (and nothing made) when
    nothing new or changed applies to what this partner does."""
    organisation = admissions_of_org[0].organisation
    categories = [a.category for a in admissions_of_org
                  if any(r.applies_to({a.category_id}) for r in changed)]
    if not categories:
        return False  # nothing new or changed applies to what this partner does
    applicant = _applicant(organisation.id, by)
    application = Application(
        organisation=organisation, procedure=procedure, catalogue_version=version,
        created_by=applicant, status=Status.CONCEPT, categories=categories, round=rnd)
    db.session.add(application)
    db.session.flush()
    asked = application.applicable_requirements()
    for req in asked:  # known from the organisation's details, like a new application
        if req.identifier == Identifier.KVK:
            application.answers.append(
                Answer(requirement=req, identifier_value=organisation.kvk_number))
        elif req.identifier == Identifier.AGB and organisation.agb_code:
            application.answers.append(
                Answer(requirement=req, identifier_value=organisation.agb_code))
    audit.record("created", application, actor=by, to_state=Status.CONCEPT,
                 detail=f"herbevestiging versie {version.number}; categories="
                        + ",".join(c.code for c in categories))
    for recipient in partner_recipients(organisation):
        notifications.queue(
            "reconfirmation_started", recipient,
            subject=f"Herbevestiging van de eisen gevraagd, uiterlijk {rnd.deadline:%d-%m-%Y}",
            organisation=organisation, application=application, round=rnd,
            version=version, requirements=asked)
    return True


# --- the overview --------------------------------------------------------------------------

def counts(round_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per round: applications in total, answered (submitted) and withdrawn."""
    out = {rid: {"total": 0, "answered": 0, "withdrawn": 0} for rid in round_ids}
    if not round_ids:
        return out
    for rid, status, n in db.session.execute(
            select(Application.round_id, Application.status, func.count(Application.id))
            .where(Application.round_id.in_(round_ids))
            .group_by(Application.round_id, Application.status)):
        out[rid]["total"] += n
        if status in ANSWERED:
            out[rid]["answered"] += n
        elif status == Status.INGETROKKEN:
            out[rid]["withdrawn"] += n
    return out


def is_answered(application: Application) -> bool:
    return application.status in ANSWERED


"""Every state change of an application, checked against one transition table.

Functions here never touch the request and never render pages; they write the
audit event and queue the mails in the caller's transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import audit, notifications
from ..accounts.models import Organisation, User
from ..assessment.models import CompletionRequest
from ..auth import require_beheerder
from ..clock import decision_due
from ..errors import DomainError, NotPermitted, TransitionNotAllowed, ValidationFailed
from ..extensions import db
from ..i18n import format_number, ngettext
from ..i18n import gettext as _
from ..procedure.models import CatalogueVersion, Category, Identifier, Procedure, Requirement
from ..procedure.settings import categories_without_tariff, public_tariff_year
from ..procedure.term import require_open, require_term_running
from ..procedure.versions import (
    after_publication,
    asks_the_provider_again,
    compare,
    published_version,
)
from ..timeutil import today_local, utcnow
from ..validators import is_valid_kvk, normalise_digits
from .models import Answer, Application, Status

S = Status

ALLOWED_TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.CONCEPT: frozenset({S.INGEDIEND, S.INGETROKKEN}),
    S.INGEDIEND: frozenset({S.IN_BEHANDELING, S.INGETROKKEN}),
    S.IN_BEHANDELING: frozenset({S.AANVULLING_GEVRAAGD, S.BESLUIT_VOORGESTELD, S.INGETROKKEN}),
    S.AANVULLING_GEVRAAGD: frozenset({S.IN_BEHANDELING, S.INGETROKKEN}),
    S.BESLUIT_VOORGESTELD: frozenset({S.BESLOTEN, S.IN_BEHANDELING, S.INGETROKKEN}),
    S.BESLOTEN: frozenset(),
    S.INGETROKKEN: frozenset(),
}

# States in which the application still runs (counts against applying twice).
OPEN_STATES = frozenset(
    {S.CONCEPT, S.INGEDIEND, S.IN_BEHANDELING, S.AANVULLING_GEVRAAGD, S.BESLUIT_VOORGESTELD}
)


def change_status(application: Application, new: Status, *, by: User | None, action: str,
                  detail: str = "") -> None:
    """The only place an application's status changes."""
    old = application.status
    if new not in ALLOWED_TRANSITIONS[old]:
        raise TransitionNotAllowed(_(
            "Deze aanmelding heeft de status '%(old)s' en kan niet naar '%(new)s' gaan.",
            old=old.label, new=new.label))
    application.status = new
    audit.record(action, application, actor=by, from_state=old, to_state=new, detail=detail)


def require_member(application: Application, user: User) -> None:
    if not (user.is_provider and user.organisation_id == application.organisation_id):
        raise NotPermitted(_("Alleen gebruikers van de eigen organisatie mogen dit doen."))


def blocked_categories(organisation: Organisation) -> dict[int, str]:
    """Categories the organisation cannot apply for now, with the reason."""
    from ..partners.models import LIVE_ADMISSION, Admission
    from .models import application_categories

    blocked: dict[int, str] = {}
    for (cat_id,) in db.session.execute(
        select(Admission.category_id).where(
            Admission.organisation_id == organisation.id,
            Admission.status.in_(LIVE_ADMISSION),
        )
    ):
        blocked[cat_id] = _("u bent al toegelaten")
    for (cat_id,) in db.session.execute(
        select(application_categories.c.category_id)
        .join(Application, Application.id == application_categories.c.application_id)
        .where(
            Application.organisation_id == organisation.id,
            Application.status.in_(OPEN_STATES),
        )
    ):
        blocked.setdefault(cat_id, _("er loopt al een aanmelding"))
    return blocked


def create_application(procedure: Procedure, categories: list[Category], *, by: User) -> Application:
    if not by.is_provider or by.organisation is None:
        raise NotPermitted(_("Alleen aanbieders kunnen zich aanmelden."))
    # From the publication up to and including the current end of the term, while open.
    require_open(procedure, verb=_("aanmelden"))
    if not categories:
        raise DomainError(_("Kies minstens één categorie."))
    if any(c.procedure_id != procedure.id for c in categories):
        raise DomainError(_("Een gekozen categorie hoort niet bij deze procedure."))
    inactive = [c.name for c in categories if not c.is_active]
    if inactive:  # a deactivated category takes no new applications (its admissions stay)
        raise DomainError(ngettext(
            "U kunt zich niet meer aanmelden voor %(names)s: de regio neemt in deze categorie "
            "geen nieuwe aanmeldingen aan.",
            "U kunt zich niet meer aanmelden voor %(names)s: de regio neemt in deze categorieën "
            "geen nieuwe aanmeldingen aan.", len(inactive), names=", ".join(inactive)))
    blocked = blocked_categories(by.organisation)
    clashes = [f"{c.name} ({blocked[c.id]})" for c in categories if c.id in blocked]
    if clashes:
        raise DomainError(_("U kunt zich nu niet aanmelden voor: %(clashes)s.",
                            clashes="; ".join(clashes)))
    version = published_version(procedure)
    if version is None:
        raise DomainError(_("Er is nog geen gepubliceerde lijst met eisen; aanmelden kan nog niet."))
    application = Application(
        organisation=by.organisation,
        procedure=procedure,
        catalogue_version=version,
        created_by=by,
        status=S.CONCEPT,
        categories=list(categories),
    )
    db.session.add(application)
    db.session.flush()
    # Answers known from the organisation's own details are filled in already.
    for req in application.applicable_requirements():
        if req.identifier == Identifier.KVK:
            application.answers.append(Answer(requirement=req, identifier_value=by.organisation.kvk_number))
        elif req.identifier == Identifier.AGB and by.organisation.agb_code:
            application.answers.append(Answer(requirement=req, identifier_value=by.organisation.agb_code))
    audit.record("created", application, actor=by, to_state=S.CONCEPT,
                 detail="categories=" + ",".join(c.code for c in categories))
    return application


@dataclass(frozen=True)
class Missing:
    """One thing that keeps an application from being complete."""

    field: str  # the form field's id, for a link to it
    message: str
    requirement_id: int | None = None


def field_id(requirement, part: str) -> str:
    return f"r{requirement.id}_{part}"


def missing_items(application: Application, today: date | None = None) -> list[Missing]:
    """Exactly what is missing or wrong before the application can be submitted."""
    today = today or today_local()
    if not application.categories:
        return [Missing("categories", _("Kies minstens één categorie."))]
    answers = application.answers_by_requirement()
    missing: list[Missing] = []
    for req in application.applicable_requirements():
        label = f"{req.code} {req.title}"
        for part, message in _requirement_problems(application, req, answers.get(req.id), today):
            missing.append(Missing(field_id(req, part), f"{label}: {message}", req.id))
    return missing


def _requirement_problems(application: Application, req, ans, today: date) -> list[tuple[str, str]]:
    """What is missing or wrong in the answer ``ans`` (None: not answered yet) to ``req``,
    as (part of the form field's id, message) pairs in the order of the form."""
    problems: list[tuple[str, str]] = []
    if req.asks_declaration and not (ans and ans.declared):
        problems.append(("declared", _("bevestig de verklaring.")))
    problems += _identifier_problems(application, req, ans)
    problems += _number_problems(req, ans)
    problems += _amount_problems(req, ans)
    if req.asks_text and not (ans and (ans.text_value or "").strip()):
        problems.append(("text", _("beantwoord de vraag '%(label)s'.", label=req.text_label)))
    problems += _evidence_problems(req, ans, today)
    return problems


def _identifier_problems(application: Application, req, ans) -> list[tuple[str, str]]:
    """The KvK number (the organisation's own) or the AGB code."""
    if req.identifier == Identifier.KVK:
        value = ans.identifier_value if ans else None
        if not value:
            return [("identifier", _("vul het KvK-nummer in."))]
        if not is_valid_kvk(value):
            return [("identifier", _("een KvK-nummer bestaat uit 8 cijfers."))]
        if value != application.organisation.kvk_number:
            return [("identifier", _("dit KvK-nummer is niet dat van uw organisatie (%(kvk)s).",
                                     kvk=application.organisation.kvk_number))]
    elif req.identifier == Identifier.AGB:
        value = ans.identifier_value if ans else None
        if not value:
            return [("identifier", _("vul de AGB-code in."))]
        if len(normalise_digits(value)) != 8:
            return [("identifier", _("een AGB-code bestaat uit 8 cijfers."))]
    return []


def _number_problems(req, ans) -> list[tuple[str, str]]:
    """The number, within the requirement's bounds."""
    if not req.asks_number:
        return []
    value = ans.number_value if ans else None
    if value is None:
        return [("number", _("vul in: %(label)s.", label=req.number_label.lower()))]
    if (req.number_min is not None and value < req.number_min) or (
        req.number_max is not None and value > req.number_max
    ):
        return [("number", _range_message(req.number_min, req.number_max))]
    return []


def _amount_problems(req, ans) -> list[tuple[str, str]]:
    """The amount, at least the requirement's minimum."""
    if not req.asks_amount:
        return []
    value = ans.amount_value if ans else None
    if value is None:
        return [("amount", _("vul in: %(label)s.", label=req.amount_label.lower()))]
    if req.amount_min is not None and value < req.amount_min:
        return [("amount", _("het bedrag moet minstens € %(amount)s zijn.",
                             amount=format_number(req.amount_min)))]
    return []


def _evidence_problems(req, ans, today: date) -> list[tuple[str, str]]:
    """The required document, and the validity date of one that expires."""
    problems: list[tuple[str, str]] = []
    if req.evidence.value == "required" and not (ans and ans.document is not None):
        problems.append(("file", _("voeg het bewijsstuk toe (%(label)s).", label=req.evidence_label)))
    if req.asks_evidence and req.evidence_expires and ans and ans.document is not None:
        if ans.evidence_valid_until is None:
            problems.append(("valid_until", _("vul in tot wanneer het bewijsstuk geldig is.")))
        elif ans.evidence_valid_until < today:
            problems.append(("valid_until",
                             _("het bewijsstuk is verlopen; voeg een geldig bewijsstuk toe.")))
    return problems


def _range_message(lo, hi) -> str:
    if lo is not None and hi is not None:
        return _("vul een getal van %(lo)s tot en met %(hi)s in.", lo=lo, hi=hi)
    if lo is not None:
        return _("vul een getal van minstens %(lo)s in.", lo=lo)
    return _("vul een getal van hoogstens %(hi)s in.", hi=hi)


def _reference(application: Application) -> str:
    """A stable, readable reference: WMB-<year of submission>-<id>."""
    return f"WMB-{utcnow().year}-{application.id:06d}"


def submit(application: Application, *, by: User) -> None:
    require_beheerder(by, application.organisation_id, _("een aanmelding indienen"))
    if application.status != S.CONCEPT:
        raise TransitionNotAllowed(
            _("Deze aanmelding is al ingediend.") if application.status != S.INGETROKKEN
            else _("Deze aanmelding is ingetrokken en kan niet meer worden ingediend.")
        )
    # Closed or after the term: refused with the reason; the concept stays as it is. A
    # re-confirmation (round) is no new application: a temporary closure does not stop it.
    if application.round_id is None:
        require_open(application.procedure, verb=_("indienen"))
        require_published_tariffs(application)
    else:
        require_term_running(application.procedure)
    missing = missing_items(application)
    if missing:
        # The same Dutch text for one and for more (as it has always been); the plural
        # forms let a translation say "1 item" properly.
        raise DomainError(ngettext(
            "De aanmelding is nog niet compleet: er ontbreken %(num)d onderdelen.",
            "De aanmelding is nog niet compleet: er ontbreken %(num)d onderdelen.", len(missing)))
    change_status(application, S.INGEDIEND, by=by, action="submitted")
    application.submitted_at = utcnow()
    application.reference = application.reference or _reference(application)
    weeks = application.procedure.decision_period_weeks
    application.decision_due = decision_due(today_local(), weeks)
    for recipient in provider_recipients(application, by):
        notifications.queue(
            "receipt",
            recipient,
            subject=f"Ontvangstbevestiging aanmelding {application.reference}",
            organisation=application.organisation,
            application=application,
            weeks=weeks,
        )


def require_published_tariffs(application: Application, today: date | None = None) -> None:
    """The provider agrees to the published tariffs (A13): refused while a chosen category
    has no published tariff for the current tariff year (the draft stays as it is)."""
    procedure = application.procedure
    year = public_tariff_year(procedure, today or today_local())
    unpriced = categories_without_tariff(application.categories, year)
    if unpriced:
        names = ", ".join(c.name for c in unpriced)
        raise DomainError(_(
            "U kunt nog niet indienen: de regio heeft voor %(names)s nog geen tarieven voor "
            "%(year)s gepubliceerd. U gaat met uw aanmelding akkoord met de gepubliceerde "
            "tarieven; uw concept blijft bewaard, dien het in zodra de tarieven er zijn.",
            names=names, year=year))


# --- drafts follow the catalogue -----------------------------------------------------------

def _requirements_of(version_id: int) -> list[Requirement]:
    return list(db.session.scalars(
        select(Requirement).where(Requirement.version_id == version_id)
        .options(selectinload(Requirement.categories))
        .order_by(Requirement.position, Requirement.id)))


def _kept_answers(old: list[Requirement],
                  new: list[Requirement]) -> tuple[dict[int, Requirement], set[str]]:
    """({old requirement id: the same requirement in ``new``}, codes (lower case) of the
    requirements of ``new`` that are new or changed for the provider). Requirements are
    matched by code (``versions.compare``); one whose text, answer parts, scope or
    knock-out changed is asked again, one whose assessment guidance alone changed is not."""
    comparison = compare(old, new)
    kept = {}
    changed_codes = {r.code.lower() for r in comparison.added}
    changed_ids = set()
    for change in comparison.changed:
        if asks_the_provider_again(change):
            changed_codes.add(change.new.code.lower())
            changed_ids.add(change.old.id)
    new_by_code = {r.code.lower(): r for r in new}
    for r in old:
        if r.id not in changed_ids and r.code.lower() in new_by_code:
            kept[r.id] = new_by_code[r.code.lower()]
    return kept, changed_codes


@after_publication
def move_drafts(version, *, by: User, reconfirm: bool = True) -> int:
    """Move every open draft (status concept, no re-confirmation) of the procedure to the
    newly published ``version``, so that everyone applies on the same terms: answers to
    unchanged requirements are kept, those to changed or removed requirements dropped (the
    wizard asks them as unanswered), and the provider is told on the dashboard and by mail.
    Returns the number of drafts moved. Runs in ``versions.publish``'s transaction."""
    drafts = db.session.scalars(
        select(Application).where(Application.procedure_id == version.procedure_id,
                                  Application.status == S.CONCEPT,
                                  Application.round_id.is_(None),
                                  Application.catalogue_version_id != version.id)
        .options(selectinload(Application.answers), selectinload(Application.categories))
        .order_by(Application.id)).all()
    if not drafts:
        return 0
    new = _requirements_of(version.id)
    plans: dict[int, tuple[dict, set[str]]] = {}
    now = utcnow()
    for draft in drafts:
        old_id = draft.catalogue_version_id
        if old_id not in plans:
            plans[old_id] = _kept_answers(_requirements_of(old_id), new)
        kept, changed_codes = plans[old_id]
        ids, answered = draft.category_ids, set()
        for answer in list(draft.answers):
            target = kept.get(answer.requirement_id)
            if target is None or not target.applies_to(ids):
                draft.answers.remove(answer)  # changed or removed: asked again
            else:
                answer.requirement = target
                answered.add(target.id)
        previous = draft.moved_code_set  # an earlier move's, while still unanswered
        asked = [r for r in new if r.applies_to(ids) and (
            r.code.lower() in changed_codes
            or (r.code.lower() in previous and r.id not in answered))]
        old_number = db.session.get(CatalogueVersion, old_id).number
        draft.catalogue_version = version
        draft.moved_from_version_id = old_id
        draft.moved_at = now
        draft.moved_codes = ",".join(r.code for r in asked)[:1000] or None
        audit.record("moved_to_catalogue_version", draft, actor=by,
                     detail=f"versie {old_number} -> {version.number}; opnieuw gevraagd: "
                            + (", ".join(r.code for r in asked) or "niets"))
        for recipient in provider_recipients(draft, None):
            notifications.queue(
                "draft_moved", recipient,
                subject="Nieuwe versie van de eisen: uw concept-aanmelding is bijgewerkt",
                organisation=draft.organisation, application=draft, version=version,
                previous_number=old_number, requirements=asked)
    db.session.flush()
    return len(drafts)


def withdraw(application: Application, *, by: User, reason: str = "") -> None:
    require_beheerder(by, application.organisation_id, _("een aanmelding intrekken"))
    change_status(application, S.INGETROKKEN, by=by, action="withdrawn", detail=reason)
    application.withdrawn_at = utcnow()
    request = open_completion(application)
    if request is not None:  # an open question ends with the application
        request.closed_at = application.withdrawn_at


def provider_recipients(application: Application, by: User | None) -> list[str]:
    """The acting user and the organisation's contact address, without duplicates."""
    out = []
    for address in (getattr(by, "email", None) if by and by.is_provider else None,
                    application.created_by.email, application.organisation.contact_email):
        if address and address not in out:
            out.append(address)
    return out



ANSWER_COLUMNS = {
    "declared": "declared",
    "identifier": "identifier_value",
    "number": "number_value",
    "amount": "amount_value",
    "text": "text_value",
    "valid_until": "evidence_valid_until",
}


def open_completion(application: Application) -> CompletionRequest | None:
    """The open request to complete (aanvulling gevraagd), if any."""
    return db.session.scalar(select(CompletionRequest).where(
        CompletionRequest.application_id == application.id,
        CompletionRequest.closed_at.is_(None)))


def editable_requirement_ids(application: Application, today: date | None = None) -> set[int] | None:
    """None: every answer may change (a draft). A set: only these (an open request to
    complete, before its deadline). An empty set: nothing may change."""
    if application.status == S.CONCEPT:
        return None
    request = open_completion(application) if application.status == S.AANVULLING_GEVRAAGD else None
    if request is None or (today or today_local()) > request.deadline:
        return set()
    return {item.requirement_id for item in request.items}


FILE_KINDS = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


def attachment_problems(requirement, document, valid_until: date | None) -> list[tuple[str, str]]:
    """Why ``document`` cannot be the evidence of ``requirement`` with the answer's date
    ``valid_until``, as (field id, Dutch message) pairs; empty when it can.

    A document's type must be one the requirement accepts (an image from the library
    cannot go to a PDF-only requirement), and the answer cannot claim the evidence is valid
    longer than the document itself is (an empty date takes the document's own)."""
    problems = []
    if document.content_type != "application/pdf" and not requirement.evidence_allows_images:
        kind = FILE_KINDS.get(document.content_type, document.content_type)
        problems.append((field_id(requirement, "existing"),
                         _("Het document '%(name)s' is een %(kind)s-bestand; bij %(code)s is "
                           "alleen een PDF-bestand toegestaan. Kies een PDF-document of upload "
                           "er een.", name=document.original_name, kind=kind,
                           code=requirement.code)))
    if (requirement.evidence_expires and document.valid_until is not None
            and valid_until is not None and valid_until > document.valid_until):
        until = f"{document.valid_until:%d-%m-%Y}"
        problems.append((field_id(requirement, "valid_until"),
                         _("Het gekozen document is geldig tot %(date)s. Vul geen latere datum "
                           "in, of laat het veld leeg: dan geldt de datum van het document.",
                           date=until)))
    return problems


def locked_message(application: Application, today: date | None = None) -> str:
    """Why the answers of this application cannot change now (for a refused change)."""
    if application.status == S.AANVULLING_GEVRAAGD:
        request = open_completion(application)
        if request is not None and (today or today_local()) > request.deadline:
            deadline = f"{request.deadline:%d-%m-%Y}"
            return _("De uiterste datum voor de aanvulling (%(date)s) is verstreken. U kunt de "
                     "antwoorden niet meer wijzigen; de regio beoordeelt uw aanmelding zoals zij "
                     "nu is.", date=deadline)
    return _("Deze aanmelding heeft de status '%(status)s'; de antwoorden kunnen niet meer "
             "worden gewijzigd.", status=application.status.label)


def save_answers(application: Application, values: dict[int, dict], documents: dict, *,
                 by: User, today: date | None = None) -> int:
    """Store answers: all of a draft's, or those an open request to complete asks about.
    ``values``: requirement id -> part -> value; ``documents``: requirement id -> newly
    stored or attached Document. Returns the number of answers changed.

    An attached document must suit its requirement (``attachment_problems``); when the
    answer gives no validity date, the document's own date is taken."""
    require_member(application, by)
    editable = editable_requirement_ids(application, today)
    if editable is not None and not editable:
        raise TransitionNotAllowed(locked_message(application, today))
    answers = application.answers_by_requirement()
    applicable = {r.id: r for r in application.applicable_requirements()
                  if editable is None or r.id in editable}
    problems = []
    for req_id, document in documents.items():
        if req_id in applicable and document is not None:
            entered = values.get(req_id, {}).get("valid_until")
            problems += attachment_problems(applicable[req_id], document, entered)
    if problems:
        raise ValidationFailed(problems)
    changed = 0
    for req_id, parts in values.items():
        if req_id not in applicable:
            continue
        ans = answers.get(req_id)
        if ans is None:
            ans = Answer(requirement_id=req_id)
            application.answers.append(ans)
        before = {col: getattr(ans, col) for col in ANSWER_COLUMNS.values()}
        for part, value in parts.items():
            setattr(ans, ANSWER_COLUMNS[part], value)
        document = documents.get(req_id)
        if document is not None:
            ans.document = document
            if document.valid_until is None:
                document.valid_until = ans.evidence_valid_until
            elif parts.get("valid_until") is None and applicable[req_id].evidence_expires:
                ans.evidence_valid_until = document.valid_until  # no date given: the document's
        if document is not None or before != {c: getattr(ans, c) for c in ANSWER_COLUMNS.values()}:
            ans.updated_by_id = by.id
            changed += 1
    if changed:
        application.updated_at = utcnow()
    return changed

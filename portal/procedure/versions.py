"""The requirement catalogue and its versions (administrators).

The catalogue is edited as a draft version (concept): a copy of the latest published
version. Administrators add, change, reorder and remove requirements in the draft and then
publish it; from then on it is the version new applications get. A published version is
never edited: applications keep the version they were started on, and the assessor sees
that version. There is at most one draft at a time.

Like every operations module: these functions check who may act, write the audit event in
the caller's transaction and never touch the request.
"""
from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field, fields

from sqlalchemy import delete, func, select

from .. import audit
from ..accounts.models import User
from ..auth import require_role
from ..errors import DomainError, ValidationFailed
from ..extensions import db
from ..i18n import N_, format_number
from ..i18n import gettext as _
from ..procedure.models import (
    CatalogueVersion,
    Category,
    Evidence,
    Identifier,
    Procedure,
    Requirement,
    requirement_categories,
)
from ..timeutil import utcnow

CODE_MAX = 10
TITLE_MAX = 300
LABEL_MAX = 200
TEXT_MAX = 5000
NOTE_MAX = 2000
NUMBER_LIMIT = 1_000_000_000
AMOUNT_LIMIT = 2_000_000_000
CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]*")

STALE_MESSAGE = N_("Iemand anders heeft deze eis intussen gewijzigd. Uw invoer staat hieronder "
                    "nog; controleer die en sla opnieuw op om de eis te overschrijven.")


class StaleRequirement(DomainError):
    """The requirement changed after the form was built."""


# --- who may act --------------------------------------------------------------------------

def _require_admin(user: User) -> None:
    require_role(user, "admin", _("Alleen de contractbeheerder mag de eisen beheren."))


def require_draft(version: CatalogueVersion) -> None:
    if version.published_at is not None:
        raise DomainError(_(
            "Versie %(number)s is gepubliceerd en wordt niet meer gewijzigd. Maak een nieuwe "
            "conceptversie om eisen aan te passen.", number=version.number))


# --- reading helpers ------------------------------------------------------------------------

def is_draft(version: CatalogueVersion) -> bool:
    return version.published_at is None


def draft_of(procedure: Procedure) -> CatalogueVersion | None:
    return db.session.scalar(
        select(CatalogueVersion)
        .where(CatalogueVersion.procedure_id == procedure.id,
               CatalogueVersion.published_at.is_(None))
        .order_by(CatalogueVersion.number.desc()).limit(1))


def published_version(procedure: Procedure) -> CatalogueVersion | None:
    """The catalogue in force: the procedure's latest published version (None before the
    first publication)."""
    return db.session.scalar(
        select(CatalogueVersion)
        .where(CatalogueVersion.procedure_id == procedure.id,
               CatalogueVersion.published_at.is_not(None))
        .order_by(CatalogueVersion.number.desc()).limit(1))


def _requirements(version: CatalogueVersion) -> list[Requirement]:
    return list(db.session.scalars(
        select(Requirement).where(Requirement.version_id == version.id)
        .order_by(Requirement.position, Requirement.id)))


# --- what a requirement is -----------------------------------------------------------------

@dataclass
class RequirementSpec:
    """Everything an administrator sets on a requirement, as plain values."""

    code: str = ""
    title: str = ""
    help_text: str = ""
    assessment_guidance: str = ""
    knockout: bool = True
    is_general: bool = True
    category_ids: list[int] = field(default_factory=list)
    declaration_text: str | None = None
    identifier: Identifier = Identifier.NONE
    number_label: str | None = None
    number_min: int | None = None
    number_max: int | None = None
    text_label: str | None = None
    evidence: Evidence = Evidence.NONE
    evidence_label: str | None = None
    evidence_expires: bool = False
    evidence_allows_images: bool = False
    amount_label: str | None = None
    amount_min: int | None = None

    def normalised(self) -> RequirementSpec:
        def text(value):
            return (value or "").replace("\r\n", "\n").strip()

        def line(value):
            return " ".join((value or "").split())

        def optional(value):
            return line(value) or None

        return RequirementSpec(
            code=line(self.code),
            title=line(self.title),
            help_text=text(self.help_text),
            assessment_guidance=text(self.assessment_guidance),
            knockout=bool(self.knockout),
            is_general=bool(self.is_general),
            # A general requirement applies to every category: ticked boxes do not count.
            category_ids=[] if self.is_general else sorted({int(i) for i in self.category_ids}),
            declaration_text=text(self.declaration_text) or None,
            identifier=Identifier(self.identifier or Identifier.NONE),
            number_label=optional(self.number_label),
            number_min=self.number_min,
            number_max=self.number_max,
            text_label=optional(self.text_label),
            evidence=Evidence(self.evidence or Evidence.NONE),
            evidence_label=optional(self.evidence_label),
            evidence_expires=bool(self.evidence_expires),
            evidence_allows_images=bool(self.evidence_allows_images),
            amount_label=optional(self.amount_label),
            amount_min=self.amount_min,
        )

    @classmethod
    def of(cls, requirement: Requirement) -> RequirementSpec:
        return cls(
            code=requirement.code, title=requirement.title, help_text=requirement.help_text or "",
            assessment_guidance=requirement.assessment_guidance or "",
            knockout=requirement.knockout, is_general=requirement.is_general,
            category_ids=sorted(c.id for c in requirement.categories),
            declaration_text=requirement.declaration_text, identifier=requirement.identifier,
            number_label=requirement.number_label, number_min=requirement.number_min,
            number_max=requirement.number_max, text_label=requirement.text_label,
            evidence=requirement.evidence, evidence_label=requirement.evidence_label,
            evidence_expires=requirement.evidence_expires,
            evidence_allows_images=requirement.evidence_allows_images,
            amount_label=requirement.amount_label, amount_min=requirement.amount_min,
        )


SPEC_FIELDS = [f.name for f in fields(RequirementSpec)]


def fingerprint(requirement: Requirement) -> int:
    """A number that changes whenever the requirement's content changes (not its place in
    the list); edit forms carry it, so an edit built on an older state is refused."""
    spec = RequirementSpec.of(requirement)
    state = "\x1f".join(str(getattr(spec, name)) for name in SPEC_FIELDS)
    return zlib.crc32(state.encode("utf-8"))


def validate(version: CatalogueVersion, spec: RequirementSpec, *,
             current: Requirement | None = None) -> list[tuple[str, str]]:
    """Every rule the requirement breaks, as (form field, Dutch message) pairs."""
    return [
        *_code_errors(version, spec, current),
        *_text_errors(spec),
        *_category_errors(version, spec),
        *_number_errors(spec),
        *_amount_errors(spec),
        *_evidence_errors(spec),
        *_answer_errors(spec),
    ]


def _code_errors(version: CatalogueVersion, spec: RequirementSpec,
                 current: Requirement | None) -> list[tuple[str, str]]:
    """The code: present, well-formed and not used by another requirement of the version."""
    if not spec.code:
        return [("code", _("Vul een code in, bijvoorbeeld A15."))]
    if len(spec.code) > CODE_MAX or not CODE_RE.fullmatch(spec.code):
        return [("code", _("Een code bestaat uit letters, cijfers, punten of streepjes, zonder "
                           "spaties, en is maximaal %(max)s tekens lang.", max=CODE_MAX))]
    clash = db.session.scalar(
        select(Requirement).where(
            Requirement.version_id == version.id,
            func.lower(Requirement.code) == spec.code.lower(),
            Requirement.id != (current.id if current is not None else -1)).limit(1))
    if clash is not None:
        return [("code", _("De code %(code)s is in deze versie al in gebruik (eis '%(title)s'). "
                           "Kies een andere code.", code=clash.code, title=clash.title))]
    return []


def _text_errors(spec: RequirementSpec) -> list[tuple[str, str]]:
    """The title, the longer texts and the labels: present where needed, not too long."""
    errors: list[tuple[str, str]] = []
    if not spec.title:
        errors.append(("title", _("Vul de titel van de eis in.")))
    elif len(spec.title) > TITLE_MAX:
        errors.append(("title", _("De titel mag maximaal %(max)s tekens lang zijn.",
                                  max=TITLE_MAX)))
    for name, label in (("help_text", _("De toelichting")),
                        ("assessment_guidance", _("De beoordelingsrichtlijn")),
                        ("declaration_text", _("De verklaring"))):
        if len(getattr(spec, name) or "") > TEXT_MAX:
            errors.append((name, _("%(text)s mag maximaal %(max)s tekens lang zijn.", text=label,
                                   max=format_number(TEXT_MAX))))
    for name in ("number_label", "text_label", "evidence_label", "amount_label"):
        if len(getattr(spec, name) or "") > LABEL_MAX:
            errors.append((name, _("Deze tekst mag maximaal %(max)s tekens lang zijn.",
                                   max=LABEL_MAX)))
    return errors


def _category_errors(version: CatalogueVersion, spec: RequirementSpec) -> list[tuple[str, str]]:
    """A requirement that is not general holds for at least one category of the procedure."""
    if spec.is_general:
        return []
    if not spec.category_ids:
        return [("categories", _("Kies minstens één categorie waarvoor de eis geldt, of kies "
                                 "'Voor alle categorieën'."))]
    known = set(db.session.scalars(
        select(Category.id).where(Category.procedure_id == version.procedure_id,
                                  Category.id.in_(spec.category_ids))))
    if known != set(spec.category_ids):
        return [("categories", _("Een gekozen categorie hoort niet bij deze procedure."))]
    return []


def _number_errors(spec: RequirementSpec) -> list[tuple[str, str]]:
    """Number with bounds."""
    errors: list[tuple[str, str]] = []
    for name in ("number_min", "number_max"):
        value = getattr(spec, name)
        if value is not None and not 0 <= value <= NUMBER_LIMIT:
            errors.append((name, _("Vul een getal van 0 tot en met 1.000.000.000 in.")))
    if not spec.number_label and (spec.number_min is not None or spec.number_max is not None):
        errors.append(("number_label", _("Vul de vraag bij het getal in, of laat het kleinste en het "
                                         "grootste getal leeg.")))
    if (spec.number_min is not None and spec.number_max is not None
            and spec.number_min > spec.number_max):
        errors.append(("number_min", _("Het kleinste getal (%(min)s) mag niet groter zijn dan "
                                       "het grootste getal (%(max)s).", min=spec.number_min,
                                       max=spec.number_max)))
    return errors


def _amount_errors(spec: RequirementSpec) -> list[tuple[str, str]]:
    """Amount with a minimum."""
    errors: list[tuple[str, str]] = []
    if spec.amount_min is not None and not 0 <= spec.amount_min <= AMOUNT_LIMIT:
        errors.append(("amount_min", _("Vul een bedrag van 0 tot en met 2.000.000.000 euro in.")))
    if not spec.amount_label and spec.amount_min is not None:
        errors.append(("amount_label",
                       _("Vul de vraag bij het bedrag in, of laat het minimumbedrag leeg.")))
    return errors


def _evidence_errors(spec: RequirementSpec) -> list[tuple[str, str]]:
    """Evidence: described when asked for, nothing filled in when not."""
    if spec.evidence == Evidence.NONE:
        if spec.evidence_label or spec.evidence_expires or spec.evidence_allows_images:
            return [("evidence", _("U koos 'Geen bewijsstuk', maar vulde wel iets in bij het "
                                   "bewijsstuk. Kies of een bewijsstuk nodig is, of maak de omschrijving "
                                   "en de vinkjes bij het bewijsstuk leeg."))]
    elif not spec.evidence_label:
        return [("evidence_label", _("Vul de omschrijving van het bewijsstuk in, bijvoorbeeld "
                                     "'Polisblad (PDF)'."))]
    return []


def _answer_errors(spec: RequirementSpec) -> list[tuple[str, str]]:
    """At least one way for the provider to answer the requirement."""
    if not (spec.declaration_text or spec.identifier != Identifier.NONE or spec.number_label
            or spec.text_label or spec.evidence != Evidence.NONE or spec.amount_label):
        return [("antwoord", _("Kies minstens één manier waarop de aanbieder de eis beantwoordt: een "
                               "verklaring, een nummer, een getal, een open vraag, een bewijsstuk of "
                               "een bedrag."))]
    return []


def _apply(requirement: Requirement, spec: RequirementSpec) -> None:
    for name in SPEC_FIELDS:
        if name != "category_ids":
            setattr(requirement, name, getattr(spec, name))
    requirement.categories = (
        [] if spec.is_general else list(db.session.scalars(
            select(Category).where(Category.id.in_(spec.category_ids))
            .order_by(Category.position))))


def changed_fields(old: RequirementSpec, new: RequirementSpec) -> list[str]:
    return [name for name in SPEC_FIELDS if getattr(old, name) != getattr(new, name)]


# --- changes -------------------------------------------------------------------------------

def create_draft(procedure: Procedure, *, by: User) -> CatalogueVersion:
    """A new draft: a copy of the latest published version (requirements and their
    categories), or an empty one when nothing was published yet."""
    _require_admin(by)
    existing = draft_of(procedure)
    if existing is not None:
        raise DomainError(_(
            "Er is al een conceptversie (versie %(number)s). Werk die bij en publiceer haar, of "
            "gooi haar weg; er is steeds hoogstens één conceptversie.", number=existing.number))
    base = published_version(procedure)
    number = (db.session.scalar(select(func.max(CatalogueVersion.number))
                                .where(CatalogueVersion.procedure_id == procedure.id)) or 0) + 1
    draft = CatalogueVersion(procedure_id=procedure.id, number=number, note="",
                             created_at=utcnow(), published_at=None)
    db.session.add(draft)
    db.session.flush()
    if base is not None:
        for position, old in enumerate(_requirements(base), start=1):
            copy = Requirement(version_id=draft.id, position=position)
            _apply(copy, RequirementSpec.of(old))
            db.session.add(copy)
    db.session.flush()
    audit.record("catalogue_draft_created", draft, actor=by, to_state="concept",
                 detail=f"kopie van versie {base.number}" if base else "lege versie")
    return draft


def add_requirement(version: CatalogueVersion, spec: RequirementSpec, *, by: User) -> Requirement:
    """Add a requirement at the end of the draft."""
    _require_admin(by)
    require_draft(version)
    spec = spec.normalised()
    errors = validate(version, spec)
    if errors:
        raise ValidationFailed(errors)
    last = db.session.scalar(select(func.max(Requirement.position))
                             .where(Requirement.version_id == version.id)) or 0
    requirement = Requirement(version_id=version.id, position=last + 1)
    _apply(requirement, spec)
    db.session.add(requirement)
    db.session.flush()
    audit.record("catalogue_requirement_added", version, actor=by, detail=spec.code)
    return requirement


def change_requirement(requirement: Requirement, spec: RequirementSpec, *, by: User,
                       expected: int | None = None) -> list[str]:
    """Change a requirement of the draft; returns the names of the fields that changed
    (nothing is recorded when nothing changed)."""
    _require_admin(by)
    version = db.session.get(CatalogueVersion, requirement.version_id)
    require_draft(version)
    if expected is not None and expected != fingerprint(requirement):
        raise StaleRequirement(_(STALE_MESSAGE))
    spec = spec.normalised()
    errors = validate(version, spec, current=requirement)
    if errors:
        raise ValidationFailed(errors)
    before = RequirementSpec.of(requirement).normalised()
    changed = changed_fields(before, spec)
    if not changed:
        return []
    _apply(requirement, spec)
    db.session.flush()
    code = before.code if before.code == spec.code else f"{before.code} → {spec.code}"
    audit.record("catalogue_requirement_changed", version, actor=by,
                 detail=f"{code}: {', '.join(changed)}")
    return changed


def move_requirement(requirement: Requirement, direction: str, *, by: User) -> bool:
    """Move a requirement one place up or down in the draft; False at either end."""
    _require_admin(by)
    version = db.session.get(CatalogueVersion, requirement.version_id)
    require_draft(version)
    if direction not in ("up", "down"):
        raise DomainError(_("Kies omhoog of omlaag."))
    reqs = _requirements(version)
    index = next(i for i, r in enumerate(reqs) if r.id == requirement.id)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(reqs):
        return False
    reqs[index], reqs[other] = reqs[other], reqs[index]
    for position, r in enumerate(reqs, start=1):
        r.position = position
    db.session.flush()
    audit.record("catalogue_requirement_moved", version, actor=by,
                 detail=f"{requirement.code}: {'omhoog' if direction == 'up' else 'omlaag'}")
    return True


def remove_requirement(requirement: Requirement, *, by: User) -> None:
    """Remove a requirement from the draft (earlier versions keep theirs)."""
    _require_admin(by)
    version = db.session.get(CatalogueVersion, requirement.version_id)
    require_draft(version)
    code = requirement.code
    requirement.categories = []
    db.session.delete(requirement)
    db.session.flush()
    for position, r in enumerate(_requirements(version), start=1):
        r.position = position
    db.session.flush()
    audit.record("catalogue_requirement_removed", version, actor=by, detail=code)


# What the parts above the procedure do when a version is published, in the same
# transaction: the applications part moves open drafts to it, the partners part starts the
# re-confirmation of admitted partners. Each part registers its function with
# ``after_publication`` when it is imported (the procedure imports no part above it).
_AFTER_PUBLICATION: list = []


def after_publication(function):
    """Register ``function(version, *, by, reconfirm)`` to run when a version is published."""
    if function not in _AFTER_PUBLICATION:
        _AFTER_PUBLICATION.append(function)
    return function


def publish(version: CatalogueVersion, note: str = "", *, by: User, reconfirm: bool = True) -> None:
    """Publish the draft: from now on new applications get this version, open drafts move
    to it, and (``reconfirm``) admitted partners are asked at once to re-confirm what it
    adds or changes (see ``after_publication``)."""
    _require_admin(by)
    require_draft(version)
    note = (note or "").replace("\r\n", "\n").strip()
    if len(note) > NOTE_MAX:
        raise ValidationFailed([("note", _("De toelichting mag maximaal %(max)s tekens lang zijn.",
                                           max=format_number(NOTE_MAX)))])
    count = db.session.scalar(select(func.count(Requirement.id))
                              .where(Requirement.version_id == version.id)) or 0
    if count == 0:
        raise DomainError(_("Deze conceptversie heeft geen eisen. Een lege lijst met eisen kan "
                            "niet worden gepubliceerd; voeg eerst eisen toe."))
    orphans = db.session.scalars(
        select(Requirement.code).where(Requirement.version_id == version.id,
                                       Requirement.is_general.is_(False),
                                       ~Requirement.categories.any())).all()
    if orphans:
        raise DomainError(_("Deze eisen gelden voor geen enkele categorie: %(codes)s. Kies bij "
                            "elke eis een categorie of maak haar algemeen.",
                            codes=", ".join(orphans)))
    version.note = note
    version.published_at = utcnow()
    db.session.flush()
    audit.record("catalogue_published", version, actor=by, from_state="concept",
                 to_state="gepubliceerd", detail=f"versie {version.number}, {count} eisen")
    for function in _AFTER_PUBLICATION:
        function(version, by=by, reconfirm=reconfirm)


def discard_draft(version: CatalogueVersion, *, by: User) -> int:
    """Throw a draft away with its requirements; returns its number. Recorded on the
    procedure, since the version itself is gone."""
    _require_admin(by)
    require_draft(version)
    number = version.number
    procedure = db.session.get(Procedure, version.procedure_id)
    ids = select(Requirement.id).where(Requirement.version_id == version.id)
    db.session.execute(delete(requirement_categories)
                       .where(requirement_categories.c.requirement_id.in_(ids)))
    db.session.execute(delete(Requirement).where(Requirement.version_id == version.id))
    db.session.delete(version)
    db.session.flush()
    audit.record("catalogue_draft_discarded", procedure, actor=by, from_state="concept",
                 detail=f"versie {number}")
    return number


# --- comparison ---------------------------------------------------------------------------------

# The fields a comparison shows, in the order of the edit form, with their Dutch names.
COMPARED = [
    ("title", "Titel"),
    ("help_text", "Toelichting voor de aanbieder"),
    ("assessment_guidance", "Beoordelingsrichtlijn"),
    ("knockout", "Knock-out-eis"),
    ("scope", "Geldt voor"),
    ("declaration_text", "Verklaring"),
    ("identifier", "Nummer van de organisatie"),
    ("number_label", "Vraag naar een getal"),
    ("number_min", "Kleinste getal"),
    ("number_max", "Grootste getal"),
    ("text_label", "Open vraag"),
    ("evidence", "Bewijsstuk"),
    ("evidence_label", "Omschrijving bewijsstuk"),
    ("evidence_expires", "Met geldig-tot-datum"),
    ("evidence_allows_images", "Ook afbeeldingen"),
    ("amount_label", "Vraag naar een bedrag"),
    ("amount_min", "Minimumbedrag"),
]
IDENTIFIER_NAMES = {Identifier.NONE: "geen", Identifier.KVK: "KvK-nummer",
                    Identifier.AGB: "AGB-code"}
EVIDENCE_NAMES = {Evidence.NONE: "geen", Evidence.OPTIONAL: "indien van toepassing",
                  Evidence.REQUIRED: "verplicht"}


def describe(requirement: Requirement, name: str) -> str:
    """A field's value as the comparison shows it, in Dutch."""
    if name == "scope":
        if requirement.is_general:
            return _("alle categorieën")
        return ", ".join(c.name for c in requirement.categories) or _("geen categorie")
    value = getattr(requirement, name)
    if name == "identifier":
        return IDENTIFIER_NAMES[value]
    if name == "evidence":
        return EVIDENCE_NAMES[value]
    if isinstance(value, bool):
        return _("ja") if value else _("nee")
    if value is None or value == "":
        return "–"
    if name == "amount_min":
        return "€ " + f"{value:,}".replace(",", ".")
    return str(value)


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class RequirementChange:
    old: Requirement
    new: Requirement
    fields: list[FieldChange]


@dataclass(frozen=True)
class Comparison:
    added: list[Requirement]
    removed: list[Requirement]
    changed: list[RequirementChange]
    unchanged: int

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.changed)


# What only the assessors see: a change to it alone does not change what the provider is
# asked (a draft keeps its answer, a partner need not re-confirm).
ASSESSOR_ONLY = frozenset({"Beoordelingsrichtlijn"})


def asks_the_provider_again(change: RequirementChange) -> bool:
    """Whether ``change`` touches what the provider reads or answers."""
    return any(f.label not in ASSESSOR_ONLY for f in change.fields)


def compare(old: list[Requirement], new: list[Requirement]) -> Comparison:
    """What changed from ``old`` to ``new`` (requirements matched by code)."""
    old_by = {r.code.lower(): r for r in old}
    new_by = {r.code.lower(): r for r in new}
    added = [r for r in new if r.code.lower() not in old_by]
    removed = [r for r in old if r.code.lower() not in new_by]
    changed, unchanged = [], 0
    for r in new:
        before = old_by.get(r.code.lower())
        if before is None:
            continue
        diffs = [FieldChange(label, describe(before, name), describe(r, name))
                 for name, label in COMPARED if describe(before, name) != describe(r, name)]
        if diffs:
            changed.append(RequirementChange(before, r, diffs))
        else:
            unchanged += 1
    return Comparison(added=added, removed=removed, changed=changed, unchanged=unchanged)

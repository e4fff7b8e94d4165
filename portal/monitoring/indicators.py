"""The information set: the region's indicators (KPI's and KRI's) per category, versioned
like the requirement catalogue.

Administrators edit a draft version (a copy of the latest published one), then publish
it; a published version is never changed. A reporting round asks for the indicators of one
published version, and a report keeps that version: its figures keep the definitions they
were given on. ``code`` is stable across versions, so trends follow an indicator.

Like every operations module: these functions check who may act, write the audit event in
the caller's transaction and never touch the request.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select

from .. import audit
from ..accounts.models import User
from ..auth import require_role
from ..errors import DomainError, ValidationFailed
from ..extensions import db
from ..i18n import gettext as _
from ..procedure.models import Category, Procedure
from ..timeutil import utcnow
from .models import Direction, Frequency, Indicator, IndicatorSet, Unit

CODE_MAX = 40
NAME_MAX = 200
DEFINITION_MAX = 3000
NUMBER_LIMIT = Decimal("1000000000")
CODE_RE = re.compile(r"[a-z0-9][a-z0-9_]*")

# The default set (issue 13, point 8): code, name, definition, unit, target, direction,
# frequency, plausible min, plausible max.
DEFAULT_INDICATORS = (
    ("in_zorg", "Jeugdigen in zorg op de peildatum",
     "Het aantal jeugdigen dat op de laatste dag van de periode bij u in zorg is.",
     Unit.COUNT, None, Direction.HIGHER, Frequency.QUARTER, None, None),
    ("gestart", "Gestarte plaatsingen",
     "Het aantal plaatsingen dat in de periode is begonnen.",
     Unit.COUNT, None, Direction.HIGHER, Frequency.QUARTER, None, None),
    ("beeindigd_gepland", "Volgens plan beëindigde plaatsingen",
     "Het aantal plaatsingen dat in de periode is beëindigd zoals in het plan stond.",
     Unit.COUNT, None, Direction.HIGHER, Frequency.QUARTER, None, None),
    ("beeindigd_ongepland", "Ongepland beëindigde plaatsingen",
     "Het aantal plaatsingen dat in de periode voortijdig of anders dan gepland is beëindigd.",
     Unit.COUNT, Decimal("1"), Direction.LOWER, Frequency.QUARTER, None, None),
    ("verblijfsduur", "Gemiddelde verblijfsduur",
     "De gemiddelde duur in dagen van de plaatsingen die in de periode zijn beëindigd.",
     Unit.DAYS, Decimal("365"), Direction.HIGHER, Frequency.QUARTER, None, Decimal("3650")),
    ("klachten", "Klachten",
     "Het aantal formele klachten van jeugdigen of ouders dat in de periode is ontvangen.",
     Unit.COUNT, Decimal("2"), Direction.LOWER, Frequency.QUARTER, None, None),
    ("calamiteiten", "Calamiteiten gemeld bij de inspectie",
     "Het aantal calamiteiten dat in de periode is gemeld bij de Inspectie Gezondheidszorg "
     "en Jeugd.", Unit.COUNT, Decimal("0"), Direction.LOWER, Frequency.QUARTER, None, None),
    ("personeelsverloop", "Personeelsverloop",
     "Het aantal medewerkers dat in de periode vertrok, als percentage van het gemiddelde "
     "aantal medewerkers.", Unit.PERCENTAGE, Decimal("15"), Direction.LOWER, Frequency.QUARTER,
     None, None),
    ("clientervaring", "Cliëntervaringsscore",
     "Het gemiddelde rapportcijfer (1 tot en met 10) dat jeugdigen en ouders in het "
     "ervaringsonderzoek geven.", Unit.SCORE, Decimal("7.5"), Direction.HIGHER,
     Frequency.YEAR, None, None),
)

# Totals that must agree within one report: the left codes together at most the right
# codes together (plaatsingen beëindigd <= gestart + in zorg).
CONSISTENCY = ((("beeindigd_gepland", "beeindigd_ongepland"), ("gestart", "in_zorg")),)


class StaleIndicator(DomainError):
    """The draft changed after the form was built."""


def _require_admin(user: User) -> None:
    require_role(user, "admin", _("Alleen de contractbeheerder mag de informatieset beheren."))


def require_draft(indicator_set: IndicatorSet) -> None:
    if not indicator_set.is_draft:
        raise DomainError(
            _("Versie %(number)s is gepubliceerd en wordt niet meer gewijzigd. Maak "
              "een nieuwe conceptversie om indicatoren aan te passen.",
              number=indicator_set.number))


# --- reading ------------------------------------------------------------------------------

def draft_of(procedure: Procedure) -> IndicatorSet | None:
    return db.session.scalar(
        select(IndicatorSet).where(IndicatorSet.procedure_id == procedure.id,
                                   IndicatorSet.published_at.is_(None))
        .order_by(IndicatorSet.number.desc()).limit(1))


def published_set(procedure: Procedure) -> IndicatorSet | None:
    """The information set in force: the latest published version."""
    return db.session.scalar(
        select(IndicatorSet).where(IndicatorSet.procedure_id == procedure.id,
                                   IndicatorSet.published_at.is_not(None))
        .order_by(IndicatorSet.number.desc()).limit(1))


def indicators_of(indicator_set: IndicatorSet) -> list[Indicator]:
    return list(db.session.scalars(
        select(Indicator).where(Indicator.set_id == indicator_set.id)
        .order_by(Indicator.position, Indicator.id)))


# --- numbers --------------------------------------------------------------------------------

def parse_number(text: str | None) -> Decimal | None:
    """A number as typed in Dutch or English notation ("12,5", "12.5", " 7 "); None when
    empty. Raises ValueError when it is not a number."""
    cleaned = (text or "").strip().replace(" ", "")
    if not cleaned:
        return None
    if "," in cleaned:
        if "." in cleaned:
            raise ValueError(cleaned)
        cleaned = cleaned.replace(",", ".")
    if not re.fullmatch(r"-?\d+(\.\d+)?", cleaned):
        raise ValueError(cleaned)
    try:
        return Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError(cleaned) from exc


def show_number(value: Decimal | None) -> str:
    """A number in Dutch notation without needless decimals ("7,5", "12")."""
    if value is None:
        return "–"
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{int(value)}"
    return f"{value.normalize():f}".replace(".", ",")


# --- what an indicator is -------------------------------------------------------------------

@dataclass
class IndicatorSpec:
    code: str = ""
    name: str = ""
    definition: str = ""
    unit: str = ""
    target: str | None = None
    direction: str = ""
    frequency: str = ""
    plausible_min: str | None = None
    plausible_max: str | None = None
    category_id: int | None = None

    @classmethod
    def of(cls, indicator: Indicator) -> IndicatorSpec:
        def text(value):
            return "" if value is None else show_number(value)

        return cls(code=indicator.code, name=indicator.name, definition=indicator.definition,
                   unit=indicator.unit.value, target=text(indicator.target),
                   direction=indicator.direction.value, frequency=indicator.frequency.value,
                   plausible_min=text(indicator.plausible_min),
                   plausible_max=text(indicator.plausible_max),
                   category_id=indicator.category_id)


def _enum(enum_cls, value):
    try:
        return enum_cls(value)
    except ValueError:
        return None


def _number_messages(field: str) -> tuple:
    """The messages about one of the spec's numbers: (not a number, too large, a function
    of the unit's problem), each a whole sentence."""
    if field == "target":
        return (_("De streefwaarde is geen getal. Vul een getal in, bijvoorbeeld 7,5."),
                _("De streefwaarde is te groot."),
                lambda problem: _("De streefwaarde: %(problem)s", problem=problem))
    if field == "plausible_min":
        return (_("De ondergrens is geen getal. Vul een getal in, bijvoorbeeld 7,5."),
                _("De ondergrens is te groot."),
                lambda problem: _("De ondergrens: %(problem)s", problem=problem))
    return (_("De bovengrens is geen getal. Vul een getal in, bijvoorbeeld 7,5."),
            _("De bovengrens is te groot."),
            lambda problem: _("De bovengrens: %(problem)s", problem=problem))


def _check_numbers(spec: IndicatorSpec, unit: Unit | None, errors: list) -> dict:
    numbers = {}
    for field in ("target", "plausible_min", "plausible_max"):
        not_a_number, too_large, unit_message = _number_messages(field)
        try:
            value = parse_number(getattr(spec, field))
        except ValueError:
            errors.append((field, not_a_number))
            continue
        if value is not None and abs(value) >= NUMBER_LIMIT:
            errors.append((field, too_large))
            continue
        if value is not None and unit is not None:
            problem = unit_problem(unit, value)
            if problem:
                errors.append((field, unit_message(problem)))
                continue
        numbers[field] = value
    return numbers


def _check(spec: IndicatorSpec, indicator_set: IndicatorSet, indicator: Indicator | None):
    """The spec's values, checked: (values, errors)."""
    errors: list[tuple[str, str]] = []
    code = (spec.code or "").strip().lower()
    name = " ".join((spec.name or "").split())
    definition = (spec.definition or "").replace("\r\n", "\n").strip()
    if not code:
        errors.append(("code", _("Vul een code in, bijvoorbeeld klachten.")))
    elif len(code) > CODE_MAX or not CODE_RE.fullmatch(code):
        errors.append(("code", _("Gebruik voor de code kleine letters, cijfers en _ (hoogstens "
                                 "%(max)s tekens), bijvoorbeeld beeindigd_gepland.",
                                 max=CODE_MAX)))
    elif db.session.scalar(select(func.count()).select_from(Indicator).where(
            Indicator.set_id == indicator_set.id, Indicator.code == code,
            Indicator.id != (indicator.id if indicator else -1))):
        errors.append(("code", _("De code %(code)s bestaat al in deze versie. Kies een andere "
                                 "code.", code=code)))
    if not name:
        errors.append(("name", _("Vul de naam van de indicator in.")))
    elif len(name) > NAME_MAX:
        errors.append(("name", _("Gebruik voor de naam hoogstens %(max)s tekens.", max=NAME_MAX)))
    if len(definition) > DEFINITION_MAX:
        errors.append(("definition", _("Gebruik voor de definitie hoogstens %(max)s "
                                       "tekens.", max=DEFINITION_MAX)))
    unit = _enum(Unit, spec.unit)
    if unit is None:
        errors.append(("unit", _("Kies de eenheid.")))
    direction = _enum(Direction, spec.direction)
    if direction is None:
        errors.append(("direction", _("Kies of een hogere of een lagere waarde beter is.")))
    frequency = _enum(Frequency, spec.frequency)
    if frequency is None:
        errors.append(("frequency", _("Kies hoe vaak de indicator wordt gerapporteerd.")))
    numbers = _check_numbers(spec, unit, errors)
    low, high = numbers.get("plausible_min"), numbers.get("plausible_max")
    if low is not None and high is not None and low > high:
        errors.append(("plausible_max", _("De bovengrens is lager dan de ondergrens.")))
    category_id = spec.category_id
    if category_id is not None and db.session.get(Category, category_id) is None:
        errors.append(("category", _("Kies een bestaande categorie of 'alle categorieën'.")))
    values = dict(code=code, name=name, definition=definition, unit=unit, direction=direction,
                  frequency=frequency, target=numbers.get("target"), plausible_min=low,
                  plausible_max=high, category_id=category_id)
    return values, errors


def unit_problem(unit: Unit, value: Decimal) -> str | None:
    """Why ``value`` cannot be a value of ``unit`` (Dutch), or None."""
    if unit is Unit.COUNT:
        if value < 0:
            return _("een aantal kan niet negatief zijn.")
        if value != value.to_integral_value():
            return _("een aantal is een heel getal, zonder decimalen.")
    elif unit is Unit.PERCENTAGE:
        if not Decimal(0) <= value <= Decimal(100):
            return _("een percentage ligt tussen 0 en 100.")
    elif unit is Unit.SCORE:
        if not Decimal(1) <= value <= Decimal(10):
            return _("een score ligt tussen 1 en 10.")
    elif value < 0:
        return _("de waarde kan niet negatief zijn.")
    if value.as_tuple().exponent < -2:
        return _("gebruik hoogstens twee decimalen.")
    return None


# --- operations -----------------------------------------------------------------------------

def start_draft(procedure: Procedure, *, by: User) -> IndicatorSet:
    """A new draft: a copy of the latest published version (or an empty first version)."""
    _require_admin(by)
    if draft_of(procedure) is not None:
        raise DomainError(_("Er is al een conceptversie van de informatieset. Werk die bij of "
                            "publiceer die eerst."))
    latest = published_set(procedure)
    number = (db.session.scalar(select(func.max(IndicatorSet.number)).where(
        IndicatorSet.procedure_id == procedure.id)) or 0) + 1
    draft = IndicatorSet(procedure_id=procedure.id, number=number)
    db.session.add(draft)
    db.session.flush()
    if latest is not None:
        for old in indicators_of(latest):
            db.session.add(Indicator(
                set_id=draft.id, category_id=old.category_id, code=old.code, name=old.name,
                definition=old.definition, unit=old.unit, target=old.target,
                direction=old.direction, frequency=old.frequency,
                plausible_min=old.plausible_min, plausible_max=old.plausible_max,
                position=old.position))
        db.session.flush()
    audit.record("indicator_set_drafted", draft, actor=by,
                 detail=f"versie {number}" + (f" (kopie van versie {latest.number})"
                                              if latest else ""))
    return draft


def save_indicator(draft: IndicatorSet, spec: IndicatorSpec, *, by: User,
                   indicator: Indicator | None = None) -> Indicator:
    """Add an indicator to the draft, or change one of the draft's indicators."""
    _require_admin(by)
    require_draft(draft)
    if indicator is not None and indicator.set_id != draft.id:
        raise DomainError(_("Deze indicator hoort niet bij deze conceptversie."))
    values, errors = _check(spec, draft, indicator)
    if errors:
        raise ValidationFailed(errors)
    if indicator is None:
        position = (db.session.scalar(select(func.max(Indicator.position)).where(
            Indicator.set_id == draft.id)) or 0) + 1
        indicator = Indicator(set_id=draft.id, position=position, **values)
        db.session.add(indicator)
        db.session.flush()
        action = "indicator_added"
    else:
        for name, value in values.items():
            setattr(indicator, name, value)
        db.session.flush()
        action = "indicator_changed"
    audit.record(action, indicator, actor=by,
                 detail=f"versie {draft.number}: {indicator.code} ({indicator.name})")
    return indicator


def remove_indicator(draft: IndicatorSet, indicator: Indicator, *, by: User) -> None:
    _require_admin(by)
    require_draft(draft)
    if indicator.set_id != draft.id:
        raise DomainError(_("Deze indicator hoort niet bij deze conceptversie."))
    audit.record("indicator_removed", indicator, actor=by,
                 detail=f"versie {draft.number}: {indicator.code} ({indicator.name})")
    db.session.delete(indicator)
    db.session.flush()


def publish(draft: IndicatorSet, *, by: User, note: str = "") -> IndicatorSet:
    """Publish the draft: from now on new rounds use it; it is never changed again."""
    _require_admin(by)
    require_draft(draft)
    if not indicators_of(draft):
        raise DomainError(_("Een informatieset zonder indicatoren kan niet worden gepubliceerd. "
                            "Voeg eerst een indicator toe."))
    draft.published_at = utcnow()
    draft.published_by_id = by.id
    draft.note = (note or "").strip()[:2000]
    db.session.flush()
    audit.record("indicator_set_published", draft, actor=by, to_state="gepubliceerd",
                 detail=f"versie {draft.number}")
    return draft


def seed_default_set(procedure: Procedure) -> IndicatorSet | None:
    """The default information set as published version 1, when the procedure has none
    (idempotent: the reference seed calls it on every run)."""
    if db.session.scalar(select(IndicatorSet.id).where(
            IndicatorSet.procedure_id == procedure.id).limit(1)) is not None:
        return None
    first = IndicatorSet(procedure_id=procedure.id, number=1, published_at=utcnow(),
                         note="Standaardset")
    db.session.add(first)
    db.session.flush()
    for position, (code, name, definition, unit, target, direction, frequency, low,
                   high) in enumerate(DEFAULT_INDICATORS, start=1):
        db.session.add(Indicator(set_id=first.id, code=code, name=name, definition=definition,
                                 unit=unit, target=target, direction=direction,
                                 frequency=frequency, plausible_min=low, plausible_max=high,
                                 position=position))
    db.session.flush()
    return first


def seed_reference() -> None:
    """The monitoring part's reference data for every procedure (``flask seed``)."""
    for procedure in db.session.scalars(select(Procedure)).all():
        seed_default_set(procedure)

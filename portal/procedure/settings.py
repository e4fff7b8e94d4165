"""The procedure's settings, its categories, products and tariffs (administrators).

Like every operations module: each function checks who may act, validates (Dutch
messages, ``ValidationFailed`` with (form field, message) pairs so that a form can put
every message next to its field), writes audit events with the old and the new value in
the caller's transaction, and never touches the request. The caller commits.

Money is ``Decimal`` throughout: prices are parsed from text, never through ``float``, and
indexation rounds half-up to the cent.
"""
from __future__ import annotations

import re
import unicodedata
import zlib
from dataclasses import dataclass, fields
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select

from .. import audit
from ..accounts.models import User
from ..auth import require_role
from ..errors import DomainError, StaleForm, ValidationFailed
from ..extensions import db
from ..files import Document, UploadError, store_upload
from ..i18n import N_, ngettext
from ..i18n import gettext as _
from ..partners.models import Admission
from ..procedure.models import Category, Procedure, ProcedureDocument, Product, Tariff, add_months
from ..timeutil import today_local, utcnow

CENT = Decimal("0.01")
PRICE_MAX = Decimal("99999999.99")  # Numeric(10, 2)
PERCENT_MIN, PERCENT_MAX = Decimal("-50"), Decimal("100")

NAME_MAX = 200
REFERENCE_MAX = 60
TEXT_MAX = 5000
CATEGORY_NAME_MAX = 120
PRODUCT_NAME_MAX = 200
DOCUMENT_TITLE_MAX = 200

# iJw product codes: the regional style "44A06" (2 digits, a letter, 2 digits) or the
# national 5-digit style "54001".
PRODUCT_CODE_RE = re.compile(r"\d{2}[A-Z]\d{2}|\d{5}")
UNITS = ["etmaal", "uur", "dagdeel", "week", "maand", "stuk"]

# The public documents of the procedure: kind -> default title.
DOCUMENT_KINDS = {
    "toelatingsdocument": "Toelatingsdocument",
    "modelovereenkomst": "Modelovereenkomst (deelnemersovereenkomst)",
}

STALE_MESSAGE = N_("Iemand anders heeft dit intussen gewijzigd. Uw invoer staat hieronder nog; "
                    "controleer die tegen de actuele stand en sla opnieuw op.")


# --- who may act -----------------------------------------------------------------------------------

def _require_admin(user: User | None) -> None:
    require_role(user, "admin", _("Alleen de contractbeheerder mag de procedure beheren."))


def _show(value) -> str:
    """A value as it is written in the audit detail."""
    if value is None or value == "":
        return "(leeg)"
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return '"' + value.replace("\n", " ") + '"'
    return str(value)


def _record_change(obj, action: str, field: str, old, new, by: User) -> None:
    audit.record(action, obj, actor=by, detail=f"{field}: {_show(old)} -> {_show(new)}")


# --- money and percentages ------------------------------------------------------------------

MONEY_FORMAT = N_("Vul een bedrag in euro's in, bijvoorbeeld 1.234,56 of 1234.56.")
MONEY_DECIMALS = N_("Een tarief heeft hoogstens twee cijfers achter de komma (hele centen). "
                     "Bedoelt u duizendtallen, schrijf dan bijvoorbeeld 1.234,00.")
MONEY_NEGATIVE = N_("Een tarief kan niet negatief zijn.")
MONEY_TOO_BIG = N_("Een tarief kan hoogstens € 99.999.999,99 zijn.")


def _split_number(text: str) -> tuple[str, str, str]:
    """Split a typed number into (sign, whole digits, fraction digits), accepting Dutch
    ("1.234,56") and international ("1234.56") notation. Raises ValueError(format)."""
    s = re.sub(r"[\s\u00a0€%]", "", text)
    s = s.removesuffix(",-").removesuffix(".-")
    sign = ""
    if s[:1] in "+-":
        sign, s = s[0].replace("+", ""), s[1:]
    if not s or not re.fullmatch(r"[\d.,]+", s) or not s[0].isdigit():
        raise ValueError(_(MONEY_FORMAT))
    commas, dots = s.count(","), s.count(".")
    if commas and dots:
        decimal_sep = "," if s.rfind(",") > s.rfind(".") else "."
        thousands = "." if decimal_sep == "," else ","
        if s.count(decimal_sep) != 1:
            raise ValueError(_(MONEY_FORMAT))
    elif commas:
        decimal_sep, thousands = (",", None) if commas == 1 else (None, ",")
    elif dots:
        decimal_sep, thousands = (".", None) if dots == 1 else (None, ".")
    else:
        decimal_sep = thousands = None
    whole, fraction = (s.split(decimal_sep) if decimal_sep else (s, ""))
    if decimal_sep and not fraction:
        raise ValueError(_(MONEY_FORMAT))
    if thousands and thousands in whole:
        if not re.fullmatch(r"\d{1,3}(" + re.escape(thousands) + r"\d{3})+", whole):
            raise ValueError(_(MONEY_FORMAT))
        whole = whole.replace(thousands, "")
    if not whole.isdigit() or (fraction and not fraction.isdigit()):
        raise ValueError(_(MONEY_FORMAT))
    return sign, whole, fraction


def parse_price(value) -> Decimal:
    """A price per unit as an exact Decimal with two decimals.

    Accepts a Decimal, an int or text ("1.234,56", "1234.56", "€ 125,-"). Refuses floats,
    more than two decimals and negative amounts, each with a Dutch message (ValueError).
    """
    if isinstance(value, float):
        raise TypeError("A price is never a float; pass a Decimal or text.")
    if isinstance(value, bool):
        raise ValueError(_(MONEY_FORMAT))
    if isinstance(value, (Decimal, int)):
        amount = Decimal(value)
        if not amount.is_finite():
            raise ValueError(_(MONEY_FORMAT))
    else:
        text = (value or "").strip()
        if not text:
            raise ValueError(_("Vul een tarief in, bijvoorbeeld 1.234,56."))
        sign, whole, fraction = _split_number(text)
        if sign == "-" and (int(whole) or fraction.strip("0")):
            raise ValueError(_(MONEY_NEGATIVE))
        if len(fraction) > 2:
            raise ValueError(_(MONEY_DECIMALS))
        amount = Decimal(f"{whole}.{fraction or '0'}")
    if amount < 0:
        raise ValueError(_(MONEY_NEGATIVE))
    if amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise ValueError(_(MONEY_DECIMALS))
    if amount > PRICE_MAX:
        raise ValueError(_(MONEY_TOO_BIG))
    return amount.quantize(CENT)


PERCENT_FORMAT = N_("Vul een percentage in, bijvoorbeeld 3,7 of -1,25.")
PERCENT_RANGE = N_("Een indexatiepercentage ligt tussen -50 en 100.")
PERCENT_DECIMALS = N_("Een indexatiepercentage heeft hoogstens twee cijfers achter de komma.")


def parse_percentage(value) -> Decimal:
    """An indexation percentage ("3,7", "3.7 %", "-1,25") as a Decimal (ValueError: Dutch)."""
    if isinstance(value, float):
        raise TypeError("A percentage is never a float; pass a Decimal or text.")
    if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
        pct = Decimal(value)
    else:
        text = (value or "").strip()
        if not text:
            raise ValueError(_(PERCENT_FORMAT))
        try:
            sign, whole, fraction = _split_number(text)
        except ValueError:
            raise ValueError(_(PERCENT_FORMAT)) from None
        if len(fraction) > 2:
            raise ValueError(_(PERCENT_DECIMALS))
        pct = Decimal(f"{sign}{whole}.{fraction or '0'}")
    if not pct.is_finite():
        raise ValueError(_(PERCENT_FORMAT))
    if pct != pct.quantize(CENT, rounding=ROUND_HALF_UP):
        raise ValueError(_(PERCENT_DECIMALS))
    if not PERCENT_MIN <= pct <= PERCENT_MAX:
        raise ValueError(_(PERCENT_RANGE))
    return pct


def indexed(price: Decimal, percentage: Decimal) -> Decimal:
    """``price`` raised by ``percentage`` per cent, rounded half-up to the cent."""
    return (price * (Decimal(100) + percentage) / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)


# --- procedure settings --------------------------------------------------------------------------------

@dataclass
class Settings:
    """The settings an administrator edits on the procedure, as plain values."""

    name: str
    reference: str | None
    description: str
    term_start: date
    term_end: date
    extension_options: int
    extension_months: int
    decision_period_weeks: int
    completion_working_days: int
    notice_months: int

    @classmethod
    def of(cls, procedure: Procedure) -> Settings:
        return cls(**{f.name: getattr(procedure, f.name) for f in fields(cls)})


SETTING_FIELDS = [f.name for f in fields(Settings)]
TERM_FIELDS = ("term_start", "term_end")
# (field, lowest, highest, Dutch name)
BOUNDS = {
    "extension_options": (0, 10, "Het aantal verlengingsopties"),
    "extension_months": (1, 60, "De duur van een verlengingsoptie"),
    "decision_period_weeks": (1, 52, "De beslistermijn"),
    "completion_working_days": (1, 60, "De termijn voor aanvullen"),
    "notice_months": (0, 24, "De opzegtermijn"),
}
UNIT_WORDS = {"extension_options": "", "extension_months": " maanden",
              "decision_period_weeks": " weken", "completion_working_days": " werkdagen",
              "notice_months": " maanden"}


def settings_fingerprint(procedure: Procedure) -> int:
    """Changes whenever a setting or the open/closed state changes; forms carry it."""
    state = [str(getattr(procedure, name)) for name in SETTING_FIELDS]
    state += [str(procedure.is_open), str(procedure.closed_notice), str(procedure.reopens_on)]
    return zlib.crc32("\x1f".join(state).encode("utf-8"))


def has_admissions(procedure: Procedure) -> bool:
    """Whether any admission exists in the procedure (the term is fixed from then on)."""
    return db.session.scalar(
        select(Admission.id).join(Category, Category.id == Admission.category_id)
        .where(Category.procedure_id == procedure.id).limit(1)) is not None


def term_locked(procedure: Procedure) -> bool:
    return has_admissions(procedure) or bool(procedure.extensions) or has_submissions(procedure)


# The published procedure: once the first application was submitted, the base term, the
# number and length of the extension options and the decision period no longer change
# (only an exercised option moves the end, never past the latest possible end).
FIXED_AFTER_SUBMISSION = ("term_start", "term_end", "extension_options", "extension_months",
                          "decision_period_weeks")
FIELD_LABELS = {
    "term_start": "Het begin van de looptijd",
    "term_end": "Het einde van de eerste looptijd",
    "extension_options": "Het aantal verlengingsopties",
    "extension_months": "De duur van een verlengingsoptie",
    "decision_period_weeks": "De beslistermijn",
}


def has_submissions(procedure: Procedure) -> bool:
    """Whether any application in the procedure was ever submitted."""
    from ..applications.models import Application

    return db.session.scalar(
        select(Application.id).where(Application.procedure_id == procedure.id,
                                     Application.submitted_at.is_not(None)).limit(1)) is not None


def fixed_fields(procedure: Procedure) -> tuple[str, ...]:
    """The settings that can no longer change (the form shows them read-only)."""
    if has_submissions(procedure):
        return FIXED_AFTER_SUBMISSION
    if term_locked(procedure):
        return TERM_FIELDS
    return ()


def check_settings(procedure: Procedure, new: Settings,
                   skip: set[str] = frozenset()) -> list[tuple[str, str]]:
    """Every rule ``new`` breaks, as (field, Dutch message) pairs (normalises ``new``).

    ``skip``: fields that already have a message (a form could not read them)."""
    new.name = (new.name or "").strip()
    new.reference = (new.reference or "").strip() or None
    new.description = (new.description or "").strip()
    old = Settings.of(procedure)
    errors = _fixed_errors(procedure, new, old)
    errors += _text_setting_errors(new)
    errors += _number_setting_errors(new, skip)
    errors += _extension_option_errors(procedure, new)
    errors += _term_errors(procedure, new, old, skip)
    return errors


def _fixed_errors(procedure: Procedure, new: Settings, old: Settings) -> list[tuple[str, str]]:
    """A changed setting of the published procedure, once an application was submitted
    (``new`` then gets the old value back, so that no other rule judges it)."""
    if not has_submissions(procedure):
        return []
    errors = []
    for name in FIXED_AFTER_SUBMISSION:
        if getattr(new, name) != getattr(old, name):
            setattr(new, name, getattr(old, name))
            errors.append((name, _("%(setting)s ligt vast: er is al een aanmelding ingediend, en "
                                   "de gepubliceerde procedure verandert daarna niet meer. Het "
                                   "einde schuift alleen op door een verlengingsoptie te "
                                   "benutten.", setting=FIELD_LABELS[name])))
    return errors


def _text_setting_errors(new: Settings) -> list[tuple[str, str]]:
    """The name, reference and description (already normalised)."""
    errors: list[tuple[str, str]] = []
    if not new.name:
        errors.append(("name", _("Vul de naam van de procedure in.")))
    elif len(new.name) > NAME_MAX:
        errors.append(("name", _("De naam is maximaal %(max)s tekens lang.", max=NAME_MAX)))
    if new.reference and len(new.reference) > REFERENCE_MAX:
        errors.append(("reference", _("Het kenmerk is maximaal %(max)s tekens lang.",
                                      max=REFERENCE_MAX)))
    if not new.description:
        errors.append(("description", _("Beschrijf de procedure in een paar zinnen.")))
    elif len(new.description) > TEXT_MAX:
        errors.append(("description", _("De beschrijving is maximaal %(max)s tekens lang.",
                                        max=TEXT_MAX)))
    return errors


def _number_setting_errors(new: Settings, skip: set[str]) -> list[tuple[str, str]]:
    """The whole numbers of BOUNDS, each within its bounds."""
    errors: list[tuple[str, str]] = []
    for name, (low, high, label) in BOUNDS.items():
        value = getattr(new, name)
        if name in skip:
            continue
        if value is None:
            errors.append((name, _("%(setting)s: vul een heel getal in.", setting=label)))
        elif not low <= value <= high:
            errors.append((name, _("%(setting)s ligt tussen %(low)s en %(high)s%(unit)s.",
                                   setting=label, low=low, high=high, unit=UNIT_WORDS[name])))
    return errors


def _extension_option_errors(procedure: Procedure, new: Settings) -> list[tuple[str, str]]:
    """No fewer extension options than were exercised already."""
    exercised = len(procedure.extensions)
    if new.extension_options is not None and new.extension_options < exercised:
        return [("extension_options",
                 ngettext("Er is al %(num)d verlengingsoptie benut; het aantal kan niet lager "
                          "worden dan dat.",
                          "Er zijn al %(num)d verlengingsopties benut; het aantal kan niet lager "
                          "worden dan dat.", exercised))]
    if exercised and new.extension_options is not None and new.extension_months is not None \
            and new.term_end is not None:
        latest = add_months(new.term_end, new.extension_options * new.extension_months)
        if latest < procedure.current_end:
            end, latest_end = f"{procedure.current_end:%d-%m-%Y}", f"{latest:%d-%m-%Y}"
            return [("extension_months",
                     _("De looptijd loopt door de benutte verlengingsopties al tot en met "
                       "%(end)s; met deze opties zou de uiterste einddatum %(latest)s zijn. "
                       "Kies meer of langere opties.", end=end, latest=latest_end))]
    return []


def _term_errors(procedure: Procedure, new: Settings, old: Settings,
                 skip: set[str]) -> list[tuple[str, str]]:
    """The term: fixed once there are admissions (``new`` then gets the old term back),
    otherwise a start and a later end."""
    term_changed = (new.term_start, new.term_end) != (old.term_start, old.term_end)
    if skip & set(TERM_FIELDS):
        return []
    if term_changed and term_locked(procedure):
        new.term_start, new.term_end = old.term_start, old.term_end
        return [("term_end", _("Er zijn al toelatingen of benutte verlengingsopties: het begin "
                               "en het einde van de looptijd liggen vast. Het einde schuift "
                               "alleen op door een verlengingsoptie te benutten."))]
    if new.term_start is None:
        return [("term_start", _("Vul de begindatum van de looptijd in."))]
    if new.term_end is None:
        return [("term_end", _("Vul de einddatum van de eerste looptijd in."))]
    if new.term_end <= new.term_start:
        return [("term_end", _("De einddatum ligt na de begindatum."))]
    return []


def update_settings(procedure: Procedure, new: Settings, *, by: User,
                    fingerprint: int | None = None) -> list[str]:
    """Change the procedure's settings; returns the names of the fields that changed.

    The term start and initial end can change only while no admission exists; after
    that the end moves only by exercising an extension option."""
    _require_admin(by)
    if fingerprint is not None and fingerprint != settings_fingerprint(procedure):
        raise StaleForm(_(STALE_MESSAGE))
    old = Settings.of(procedure)
    errors = check_settings(procedure, new)
    if errors:
        raise ValidationFailed(errors)
    changed = []
    for name in SETTING_FIELDS:
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            setattr(procedure, name, after)
            _record_change(procedure, "setting_changed", name, before, after, by)
            changed.append(name)
    return changed


def set_applications_open(procedure: Procedure, is_open: bool, *, by: User,
                          notice: str | None = None, reopens_on: date | None = None,
                          fingerprint: int | None = None, today: date | None = None) -> bool:
    """Open or (temporarily) close the procedure for new applications.

    Closing needs a public notice text; a reopening date is optional and lies in the
    future. Returns whether anything changed."""
    _require_admin(by)
    if fingerprint is not None and fingerprint != settings_fingerprint(procedure):
        raise StaleForm(_(STALE_MESSAGE))
    today = today or today_local()
    notice = (notice or "").strip() or None
    errors = []
    if is_open:
        notice, reopens_on = None, None
    else:
        if not notice:
            errors.append(("closed_notice", _("Schrijf de mededeling die bezoekers zien zolang "
                                              "aanmelden gesloten is, bijvoorbeeld waarom en tot "
                                              "wanneer.")))
        elif len(notice) > TEXT_MAX:
            errors.append(("closed_notice", _("De mededeling is maximaal %(max)s tekens lang.",
                                              max=TEXT_MAX)))
        if reopens_on is not None and reopens_on <= today:
            errors.append(("reopens_on", _("De datum waarop aanmelden weer opengaat, ligt in de "
                                           "toekomst. Laat het veld leeg als die datum nog niet "
                                           "bekend is.")))
    if errors:
        raise ValidationFailed(errors)
    before = (procedure.is_open, procedure.closed_notice, procedure.reopens_on)
    if before == (is_open, notice, reopens_on):
        return False
    if procedure.is_open != is_open:
        audit.record("applications_opened" if is_open else "applications_closed", procedure,
                     actor=by, from_state="open" if procedure.is_open else "gesloten",
                     to_state="open" if is_open else "gesloten")
    if procedure.closed_notice != notice:
        _record_change(procedure, "setting_changed", "closed_notice", procedure.closed_notice,
                       notice, by)
    if procedure.reopens_on != reopens_on:
        _record_change(procedure, "setting_changed", "reopens_on", procedure.reopens_on,
                       reopens_on, by)
    procedure.is_open, procedure.closed_notice, procedure.reopens_on = is_open, notice, reopens_on
    return True


# --- public documents --------------------------------------------------------------------------

def store_region_pdf(file_storage, *, by: User, max_bytes: int) -> Document:
    """Check and store a PDF of the region itself (no organisation); returns the Document.

    ``files.store_upload`` (same checks, same storage), for documents that belong to the
    region: ``organisation_id`` stays None."""
    if file_storage is None or not getattr(file_storage, "filename", None):
        raise ValidationFailed([("file", _("Kies een PDF-bestand om te uploaden."))])
    try:
        return store_upload(file_storage, organisation=None, by=by, doc_type="procedure",
                            max_bytes=max_bytes)
    except UploadError as exc:
        raise ValidationFailed([("file", exc.message)]) from None


def procedure_documents(procedure: Procedure) -> dict[str, ProcedureDocument]:
    from sqlalchemy.orm import joinedload

    rows = db.session.scalars(
        select(ProcedureDocument).where(ProcedureDocument.procedure_id == procedure.id)
        .options(joinedload(ProcedureDocument.document)))
    return {row.kind: row for row in rows}


def publish_document(procedure: Procedure, kind: str, *, title: str, file_storage, by: User,
                     max_bytes: int) -> ProcedureDocument:
    """Publish (or replace) one public document of the procedure as a PDF."""
    _require_admin(by)
    if kind not in DOCUMENT_KINDS:
        raise DomainError(_("Dit soort document kent de procedure niet."))
    title = (title or "").strip()
    errors = []
    if not title:
        errors.append(("title", _("Vul de titel in die bezoekers bij de download zien.")))
    elif len(title) > DOCUMENT_TITLE_MAX:
        errors.append(("title", _("De titel is maximaal %(max)s tekens lang.",
                                  max=DOCUMENT_TITLE_MAX)))
    if file_storage is None or not getattr(file_storage, "filename", None):
        errors.append(("file", _("Kies een PDF-bestand om te uploaden.")))
    if errors:
        raise ValidationFailed(errors)
    document = store_region_pdf(file_storage, by=by, max_bytes=max_bytes)
    row = db.session.scalar(select(ProcedureDocument).where(
        ProcedureDocument.procedure_id == procedure.id, ProcedureDocument.kind == kind))
    if row is None:
        row = ProcedureDocument(procedure_id=procedure.id, kind=kind, title=title,
                                document_id=document.id)
        db.session.add(row)
        old = None
    else:
        old = f"{row.title} ({row.document.original_name}, sha256={row.document.sha256[:12]})"
        row.title, row.document_id, row.updated_at = title, document.id, utcnow()
    db.session.flush()
    audit.record("document_published", procedure, actor=by,
                 detail=f"{kind}: {old or '(geen)'} -> {title} ({document.original_name}, "
                        f"sha256={document.sha256[:12]})")
    return row


def withdraw_document(procedure: Procedure, kind: str, *, by: User) -> None:
    """Take a public document off the public page (the stored file stays, for the record)."""
    _require_admin(by)
    row = db.session.scalar(select(ProcedureDocument).where(
        ProcedureDocument.procedure_id == procedure.id, ProcedureDocument.kind == kind))
    if row is None:
        raise DomainError(_("Dit document is niet (meer) gepubliceerd."))
    audit.record("document_withdrawn", procedure, actor=by,
                 detail=f"{kind}: {row.title} ({row.document.original_name}) -> (geen)")
    db.session.delete(row)
    db.session.flush()


# --- categories --------------------------------------------------------------------------------

def _slug(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:34] or "categorie"


def category_fingerprint(category: Category) -> int:
    return zlib.crc32(f"{category.name}\x1f{category.description}".encode())


def _check_category(procedure: Procedure, name: str, description: str,
                    current: Category | None = None) -> list[tuple[str, str]]:
    errors = []
    if not name:
        errors.append(("name", _("Vul de naam van de categorie in.")))
    elif len(name) > CATEGORY_NAME_MAX:
        errors.append(("name", _("De naam is maximaal %(max)s tekens lang.",
                                 max=CATEGORY_NAME_MAX)))
    else:
        clash = db.session.scalar(select(Category.id).where(
            Category.procedure_id == procedure.id,
            func.lower(Category.name) == name.lower(),
            Category.id != (current.id if current else -1)).limit(1))
        if clash is not None:
            errors.append(("name", _("Er is al een categorie met de naam '%(name)s'. Kies een "
                                     "andere naam.", name=name)))
    if len(description) > TEXT_MAX:
        errors.append(("description", _("De beschrijving is maximaal %(max)s tekens lang.",
                                        max=TEXT_MAX)))
    return errors


def add_category(procedure: Procedure, *, name: str, description: str, by: User) -> Category:
    """A new category, last in the order; its code (used in links) follows from the name."""
    _require_admin(by)
    name, description = (name or "").strip(), (description or "").strip()
    errors = _check_category(procedure, name, description)
    if errors:
        raise ValidationFailed(errors)
    taken = set(db.session.scalars(select(Category.code).where(
        Category.procedure_id == procedure.id)))
    base = code = _slug(name)
    n = 1
    while code in taken:
        n += 1
        code = f"{base}-{n}"
    last = db.session.scalar(select(func.max(Category.position)).where(
        Category.procedure_id == procedure.id)) or 0
    category = Category(procedure_id=procedure.id, code=code, name=name,
                        description=description, position=last + 1, is_active=True)
    db.session.add(category)
    db.session.flush()
    audit.record("category_added", category, actor=by, to_state="actief",
                 detail=f"name: (leeg) -> {_show(name)}; code: {code}")
    return category


def update_category(category: Category, *, name: str, description: str, by: User,
                    fingerprint: int | None = None) -> list[str]:
    """Rename or describe a category; its code stays, so links and history keep working."""
    _require_admin(by)
    if fingerprint is not None and fingerprint != category_fingerprint(category):
        raise StaleForm(_(STALE_MESSAGE))
    name, description = (name or "").strip(), (description or "").strip()
    errors = _check_category(category.procedure, name, description, current=category)
    if errors:
        raise ValidationFailed(errors)
    changed = []
    for field, value in (("name", name), ("description", description)):
        if getattr(category, field) != value:
            _record_change(category, "category_changed", field, getattr(category, field), value, by)
            setattr(category, field, value)
            changed.append(field)
    return changed


def _ordered_categories(procedure_id: int) -> list[Category]:
    return list(db.session.scalars(
        select(Category).where(Category.procedure_id == procedure_id)
        .order_by(Category.position, Category.id)))


def move_category(category: Category, direction: str, *, by: User) -> bool:
    """Move a category one place up or down; returns whether it moved."""
    _require_admin(by)
    if direction not in ("up", "down"):
        raise DomainError(_("Kies omhoog of omlaag."))
    ordered = _ordered_categories(category.procedure_id)
    index = ordered.index(category)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(ordered):
        return False
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, item in enumerate(ordered, start=1):
        item.position = position
    audit.record("category_moved", category, actor=by,
                 detail=f"position: {index + 1} -> {other + 1}")
    return True


def set_category_active(category: Category, active: bool, *, by: User) -> bool:
    """Deactivate (no new applications; admissions stay) or reactivate a category."""
    _require_admin(by)
    if category.is_active == active:
        return False
    audit.record("category_reactivated" if active else "category_deactivated", category,
                 actor=by, from_state="actief" if category.is_active else "gedeactiveerd",
                 to_state="actief" if active else "gedeactiveerd")
    category.is_active = active
    return True


# --- products -----------------------------------------------------------------------------------------

@dataclass
class ProductSpec:
    code: str
    name: str
    unit: str
    category_id: int | None


def product_fingerprint(product: Product) -> int:
    return zlib.crc32(f"{product.code}\x1f{product.name}\x1f{product.unit}\x1f"
                      f"{product.category_id}".encode())


def normalise_product_code(code: str | None) -> str:
    return re.sub(r"\s", "", code or "").upper()


def _check_product(procedure: Procedure, spec: ProductSpec,
                   current: Product | None = None) -> list[tuple[str, str]]:
    errors = []
    if not spec.code:
        errors.append(("code", _("Vul de productcode in, bijvoorbeeld 44A06 of 54001.")))
    elif not PRODUCT_CODE_RE.fullmatch(spec.code):
        errors.append(("code", _("Een productcode bestaat uit 2 cijfers, 1 letter en 2 cijfers "
                                 "(zoals 44A06) of uit 5 cijfers (zoals 54001).")))
    else:
        clash = db.session.scalar(select(Product.id).where(
            Product.procedure_id == procedure.id, Product.code == spec.code,
            Product.id != (current.id if current else -1)).limit(1))
        if clash is not None:
            errors.append(("code", _("Productcode %(code)s is al in gebruik in deze procedure. "
                                     "Kies een andere code of wijzig het bestaande product.",
                                     code=spec.code)))
    if not spec.name:
        errors.append(("name", _("Vul de naam van het product in.")))
    elif len(spec.name) > PRODUCT_NAME_MAX:
        errors.append(("name", _("De naam is maximaal %(max)s tekens lang.",
                                 max=PRODUCT_NAME_MAX)))
    if spec.unit not in UNITS:
        errors.append(("unit", _("Kies een eenheid: %(units)s.", units=", ".join(UNITS))))
    category = db.session.get(Category, spec.category_id) if spec.category_id else None
    if category is None or category.procedure_id != procedure.id:
        errors.append(("category_id", _("Kies de categorie waar het product bij hoort.")))
    return errors


def _normalised(spec: ProductSpec) -> ProductSpec:
    return ProductSpec(code=normalise_product_code(spec.code), name=(spec.name or "").strip(),
                       unit=(spec.unit or "").strip(), category_id=spec.category_id)


def add_product(procedure: Procedure, spec: ProductSpec, *, by: User) -> Product:
    _require_admin(by)
    spec = _normalised(spec)
    errors = _check_product(procedure, spec)
    if errors:
        raise ValidationFailed(errors)
    product = Product(procedure_id=procedure.id, code=spec.code, name=spec.name, unit=spec.unit,
                      category_id=spec.category_id, is_active=True)
    db.session.add(product)
    db.session.flush()
    audit.record("product_added", product, actor=by,
                 detail=f"{spec.code}: {_show(spec.name)}, per {spec.unit}, "
                        f"category_id={spec.category_id}")
    return product


def update_product(product: Product, spec: ProductSpec, *, by: User,
                   fingerprint: int | None = None) -> list[str]:
    _require_admin(by)
    if fingerprint is not None and fingerprint != product_fingerprint(product):
        raise StaleForm(_(STALE_MESSAGE))
    spec = _normalised(spec)
    procedure = db.session.get(Procedure, product.procedure_id)
    errors = _check_product(procedure, spec, current=product)
    if errors:
        raise ValidationFailed(errors)
    changed = []
    for field in ("code", "name", "unit", "category_id"):
        before, after = getattr(product, field), getattr(spec, field)
        if before != after:
            _record_change(product, "product_changed", field, before, after, by)
            setattr(product, field, after)
            changed.append(field)
    return changed


# --- tariffs ----------------------------------------------------------------------------------

def tariff_years(procedure: Procedure) -> list[int]:
    """The calendar years of the term (as far as it runs now) that can have tariffs."""
    return list(range(procedure.term_start.year, procedure.current_end.year + 1))


def public_tariff_year(procedure: Procedure, today: date | None = None) -> int:
    """The year whose tariffs are 'current': this year, or the first year of the term
    while the term has not started."""
    year = (today or today_local()).year
    return min(max(year, procedure.term_start.year), procedure.current_end.year)


def products_of(procedure: Procedure) -> list[Product]:
    """The procedure's active products, by category order and code (category loaded)."""
    from sqlalchemy.orm import joinedload

    return list(db.session.scalars(
        select(Product).outerjoin(Category, Category.id == Product.category_id)
        .where(Product.procedure_id == procedure.id, Product.is_active.is_(True))
        .options(joinedload(Product.category))
        .order_by(func.coalesce(Category.position, 1_000_000), Product.code)))


def tariffs_by_product(procedure: Procedure, years) -> dict[tuple[int, int], Tariff]:
    """{(product id, year): tariff} for the procedure's products in ``years``."""
    rows = db.session.scalars(
        select(Tariff).join(Product, Product.id == Tariff.product_id)
        .where(Product.procedure_id == procedure.id, Tariff.year.in_(list(years))))
    return {(t.product_id, t.year): t for t in rows}


def tariffs_fingerprint(procedure: Procedure, year: int) -> int:
    rows = db.session.execute(
        select(Tariff.product_id, Tariff.price, Tariff.published_at)
        .join(Product, Product.id == Tariff.product_id)
        .where(Product.procedure_id == procedure.id, Tariff.year == year)
        .order_by(Tariff.product_id)).all()
    state = ";".join(f"{p}:{Decimal(price).quantize(CENT)}:{bool(pub)}" for p, price, pub in rows)
    return zlib.crc32(state.encode("utf-8"))


def _check_year(procedure: Procedure, year: int) -> None:
    if year not in tariff_years(procedure):
        years = tariff_years(procedure)
        raise DomainError(_("Tarieven horen bij een jaar van de looptijd: %(first)s tot en "
                            "met %(last)s.", first=years[0], last=years[-1]))


def _set_draft(product: Product, year: int, price: Decimal, existing: Tariff | None,
               by: User, how: str) -> bool:
    if existing is not None and existing.published_at is not None:
        raise DomainError(_("Het tarief %(year)s van %(code)s is al gepubliceerd en kan niet "
                            "meer worden gewijzigd.", year=year, code=product.code))
    if existing is not None and Decimal(existing.price).quantize(CENT) == price:
        return False
    if existing is None:
        tariff = Tariff(product_id=product.id, year=year, price=price, published_at=None)
        db.session.add(tariff)
        db.session.flush()
        old = None
    else:
        tariff, old = existing, Decimal(existing.price).quantize(CENT)
        tariff.price = price
    audit.record("tariff_set", tariff, actor=by, to_state="concept",
                 detail=f"{product.code} {year}: {_show(old)} -> {price} ({how})")
    return True


def set_prices(procedure: Procedure, year: int, prices: dict[int, object], *, by: User,
               fingerprint: int | None = None) -> int:
    """Enter draft prices for ``year``: {product id: price (text or Decimal)}.

    All or nothing: one bad price refuses the lot, with a message per field, so the
    form can show everything the administrator typed. An empty text removes a draft
    price; None leaves the price as it is. Returns the number of prices changed."""
    _require_admin(by)
    _check_year(procedure, year)
    if fingerprint is not None and fingerprint != tariffs_fingerprint(procedure, year):
        raise StaleForm(_(STALE_MESSAGE))
    products = {p.id: p for p in products_of(procedure)}
    existing = tariffs_by_product(procedure, [year])
    errors, parsed = [], {}
    for product_id, raw in prices.items():
        product = products.get(product_id)
        if product is None:
            continue
        if raw is None:  # not on the form: left as it is
            continue
        current = existing.get((product_id, year))
        empty = isinstance(raw, str) and not raw.strip()
        if current is not None and current.published_at is not None:
            if empty or _same_price(raw, current.price):
                continue
            errors.append((f"p{product_id}", _("Het tarief %(year)s van %(code)s is al "
                                               "gepubliceerd en kan niet meer worden gewijzigd.",
                                               year=year, code=product.code)))
            continue
        if empty:
            parsed[product_id] = None
            continue
        try:
            parsed[product_id] = parse_price(raw)
        except ValueError as exc:
            errors.append((f"p{product_id}", f"{product.code}: {exc}"))
    if errors:
        raise ValidationFailed(errors)
    changed = 0
    for product_id, price in parsed.items():
        product, current = products[product_id], existing.get((product_id, year))
        if price is None:
            if current is not None:
                audit.record("tariff_removed", current, actor=by,
                             detail=f"{product.code} {year}: {current.price} -> (leeg)")
                db.session.delete(current)
                changed += 1
            continue
        changed += _set_draft(product, year, price, current, by, "ingevoerd")
    db.session.flush()
    return changed


def _same_price(raw, price) -> bool:
    try:
        return parse_price(raw) == Decimal(price).quantize(CENT)
    except ValueError:
        return False


def index_prices(procedure: Procedure, year: int, *, by: User,
                 percentage: Decimal | str | None = None,
                 per_product: dict[int, object] | None = None,
                 fingerprint: int | None = None) -> int:
    """Draft prices for ``year`` from the previous year's prices raised by a percentage.

    ``percentage`` applies to every product; ``per_product`` ({product id: percentage})
    overrides it per product (empty entries fall back to ``percentage``). Products
    without a price in the previous year, or whose price for ``year`` is published
    already, are reported. Rounded half-up to the cent. Returns the number of drafts."""
    _require_admin(by)
    _check_year(procedure, year)
    if fingerprint is not None and fingerprint != tariffs_fingerprint(procedure, year):
        raise StaleForm(_(STALE_MESSAGE))
    errors = []
    general = None
    if percentage is not None and not (isinstance(percentage, str) and not percentage.strip()):
        try:
            general = parse_percentage(percentage)
        except ValueError as exc:
            errors.append(("percentage", str(exc)))
    products = products_of(procedure)
    specific = {}
    for product in products:
        raw = (per_product or {}).get(product.id)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        try:
            specific[product.id] = parse_percentage(raw)
        except ValueError as exc:
            errors.append((f"i{product.id}", f"{product.code}: {exc}"))
    if errors:
        raise ValidationFailed(errors)
    if general is None and not specific:
        raise ValidationFailed([("percentage", _("Vul een percentage in voor alle producten, of "
                                                 "een percentage per product."))])
    tariffs = tariffs_by_product(procedure, [year - 1, year])
    plan = []
    for product in products:
        pct = specific.get(product.id, general)
        if pct is None:
            continue
        base = tariffs.get((product.id, year - 1))
        if base is None:
            errors.append((f"i{product.id}" if product.id in specific else "percentage",
                           _("%(code)s heeft geen tarief in %(previous)s; vul het tarief "
                             "%(year)s zelf in.", code=product.code, previous=year - 1,
                             year=year)))
            continue
        current = tariffs.get((product.id, year))
        if current is not None and current.published_at is not None:
            errors.append((f"i{product.id}" if product.id in specific else "percentage",
                           _("Het tarief %(year)s van %(code)s is al gepubliceerd en kan niet "
                             "meer worden gewijzigd.", year=year, code=product.code)))
            continue
        plan.append((product, indexed(Decimal(base.price).quantize(CENT), pct), current, pct))
    if errors:
        raise ValidationFailed(errors)
    for product, price, current, pct in plan:
        _set_draft(product, year, price, current, by, f"index {pct}% op {year - 1}")
    db.session.flush()
    return len(plan)


def publish_tariffs(procedure: Procedure, year: int, *, by: User,
                    fingerprint: int | None = None) -> int:
    """Publish the draft prices of ``year``: from now on they are on the public page.

    Every active product needs a price for the year first. Returns the number published."""
    _require_admin(by)
    _check_year(procedure, year)
    if fingerprint is not None and fingerprint != tariffs_fingerprint(procedure, year):
        raise StaleForm(_(STALE_MESSAGE))
    products = products_of(procedure)
    tariffs = tariffs_by_product(procedure, [year])
    missing = [p.code for p in products if (p.id, year) not in tariffs]
    if missing:
        raise DomainError(_("Nog niet elk product heeft een tarief voor %(year)s: %(codes)s. "
                            "Vul die eerst in.", year=year, codes=", ".join(missing)))
    drafts = [t for t in tariffs.values() if t.published_at is None]
    if not drafts:
        raise DomainError(_("Er zijn geen nieuwe tarieven voor %(year)s om te publiceren.",
                            year=year))
    now = utcnow()
    codes = {p.id: p.code for p in products}
    for tariff in drafts:
        tariff.published_at = now
        audit.record("tariff_published", tariff, actor=by, from_state="concept",
                     to_state="gepubliceerd",
                     detail=f"{codes.get(tariff.product_id, tariff.product_id)} {year}: "
                            f"{Decimal(tariff.price).quantize(CENT)}")
    audit.record("tariffs_published", procedure, actor=by,
                 detail=f"{year}: {len(drafts)} tarie{'f' if len(drafts) == 1 else 'ven'}")
    db.session.flush()
    return len(drafts)


def published_tariffs(procedure: Procedure, years) -> dict[int, list[tuple[Product, Tariff]]]:
    """The published prices of ``years`` with their products, in display order, per year
    (years without published prices are left out)."""
    from sqlalchemy.orm import contains_eager

    rows = db.session.execute(
        select(Product, Tariff).join(Tariff, Tariff.product_id == Product.id)
        .outerjoin(Category, Category.id == Product.category_id)
        .where(Product.procedure_id == procedure.id, Product.is_active.is_(True),
               Tariff.year.in_(list(years)), Tariff.published_at.is_not(None))
        .options(contains_eager(Product.category))
        .order_by(Tariff.year, func.coalesce(Category.position, 1_000_000), Product.code)).all()
    out: dict[int, list[tuple[Product, Tariff]]] = {}
    for product, tariff in rows:
        out.setdefault(tariff.year, []).append((product, tariff))
    return out


def categories_without_tariff(categories, year: int) -> list[Category]:
    """Those of ``categories`` that have no active product with a published tariff for
    ``year`` (one query, whatever the number of categories)."""
    ids = [c.id for c in categories]
    if not ids:
        return []
    priced = set(db.session.scalars(
        select(Product.category_id).join(Tariff, Tariff.product_id == Product.id)
        .where(Product.category_id.in_(ids), Product.is_active.is_(True),
               Tariff.year == year, Tariff.published_at.is_not(None)).distinct()))
    return [c for c in categories if c.id not in priced]


def unpriced_categories(procedure: Procedure, year: int) -> list[Category]:
    """The procedure's active categories in which nobody can submit now: no active product
    with a published tariff for ``year`` (the administrators' products page warns)."""
    active = db.session.scalars(select(Category).where(
        Category.procedure_id == procedure.id, Category.is_active.is_(True))
        .order_by(Category.position)).all()
    return categories_without_tariff(active, year)

"""Free places (beschikbare plaatsen) for placement coordination.

A partner reports its free places per category and location. Reports are never changed:
a new report for the same organisation, category and location (case and spacing aside)
replaces the old one as the *current* report, and the old one stays as history. A report
made more than STALE_DAYS days ago is stale ("verouderd"); the daily run reminds the
partner once per stale report.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import lru_cache

from sqlalchemy import (
    DateTime,
    Integer,
    and_,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError

from .. import audit, notifications
from ..accounts.models import Organisation, User
from ..errors import DomainError, NotPermitted, ValidationFailed
from ..extensions import db
from ..i18n import gettext as _
from ..procedure.models import Category
from ..textsearch import planned_once
from ..timeutil import AMSTERDAM, today_local, utcnow
from .models import LIVE_ADMISSION, Admission, CapacityReport

STALE_DAYS = 30
AGE_LOWEST, AGE_HIGHEST = 0, 23  # youth care: up to the 23rd birthday
PLACES_MAX = 999
LOCATION_MAX = 200
REMARKS_MAX = 2000


def normalise_location(text: str | None) -> str:
    return " ".join((text or "").split())


def stale_before(today: date) -> datetime:
    """The moment (naive UTC) before which a report is stale on ``today``: it was made on a
    local date more than STALE_DAYS days before ``today``."""
    first_fresh_day = date.fromordinal(today.toordinal() - STALE_DAYS)
    local_midnight = datetime.combine(first_fresh_day, time(), AMSTERDAM)
    return local_midnight.astimezone(UTC).replace(tzinfo=None)


def is_stale(report: CapacityReport, today: date | None = None) -> bool:
    return report.reported_at < stale_before(today or today_local())


def is_current():
    """SQL condition: the report is the current one for its organisation, category and
    location (no later report replaced it; kept on the row by ``report_capacity``)."""
    return CapacityReport.is_current


def live_admission():
    """SQL condition: the report's organisation is still admitted for its category."""
    return exists().where(
        Admission.organisation_id == CapacityReport.organisation_id,
        Admission.category_id == CapacityReport.category_id,
        Admission.status.in_(LIVE_ADMISSION),
    )


def current_reports_query():
    """The current reports of live admissions (a select of CapacityReport to filter further)."""
    return select(CapacityReport).where(is_current(), live_admission())


def overview_ids(category_id: int | None = None, age: int | None = None,
                 free_only: bool = False, *, category_ids: list[int] | None = None,
                 upto: int | None = None):
    """The ids of the current reports of live admissions for the overview, per category
    (in the categories' order) and within it freshest first. The categories and each
    category's current reports are read in index order (ix_categories_position,
    ix_capacity_reports_current), so a page costs the same however many reports exist.

    PostgreSQL does not read a join in the order of the joined table's index: it would sort
    every current report for each page. Given ``category_ids`` (every category, in the
    overview's order) and ``upto`` (the rows up to the end of the page asked for), it reads
    at most ``upto`` of each category's reports in index order and sorts only those. To
    count the same rows, leave out ``category_ids`` (a count has no order).

    Built once per choice of the filters (kept in a bounded cache): building the statement
    took longer than the database's work for a page. On PostgreSQL the values are written
    into the SQL (``textsearch.planned_once``), so that it is planned once, not per page."""
    return _overview_ids(category_id, age, free_only,
                         None if category_ids is None else tuple(category_ids), upto,
                         db.session.get_bind().dialect.name)


@lru_cache(maxsize=256)
def _overview_ids(category_id, age, free_only, category_ids, upto, dialect):
    def reports(*columns):
        ids = select(*columns).where(is_current(), live_admission())
        if category_id is not None:
            ids = ids.where(CapacityReport.category_id == category_id)
        if age is not None:
            ids = ids.where(fits_age(age))
        if free_only:
            ids = ids.where(CapacityReport.places > 0)
        return ids

    freshest = (CapacityReport.reported_at.desc(), CapacityReport.id.desc())
    postgresql = dialect == "postgresql"
    if category_ids is not None and category_id is None and postgresql:
        if not category_ids:
            return select(CapacityReport.id).where(false())
        parts = []
        for k, cid in enumerate(category_ids):
            part = (reports(CapacityReport.id.label("id"), literal(k).label("k"),
                            CapacityReport.reported_at.label("reported_at"))
                    .where(CapacityReport.category_id == cid).order_by(*freshest))
            if upto is not None:
                part = part.limit(upto)
            parts.append(select(part.subquery()))
        each = planned_once(union_all(*parts), "per_category",
                            {"id": Integer(), "k": Integer(), "reported_at": DateTime()})
        return select(each.c.id).order_by(each.c.k, each.c.reported_at.desc(), each.c.id.desc())
    if category_id is not None:  # one category: its reports in index order, freshest first
        if postgresql:  # planned once (PostgreSQL planned it for every page)
            one = planned_once(reports(CapacityReport.id, CapacityReport.reported_at),
                               "one_category", {"id": Integer(), "reported_at": DateTime()})
            return select(one.c.id).order_by(one.c.reported_at.desc(), one.c.id.desc())
        return reports(CapacityReport.id).order_by(*freshest)
    every = reports(CapacityReport.id).join(Category, Category.id == CapacityReport.category_id)
    if postgresql and category_ids is None:  # PostgreSQL's count: no order, planned once
        return select(planned_once(every, "counted", {"id": Integer()}).c.id)
    return every.order_by(Category.position, Category.id, *freshest)


def fits_age(age: int):
    """SQL condition: a young person of ``age`` fits the report's age range (an open end
    fits every age)."""
    return and_(or_(CapacityReport.age_min.is_(None), CapacityReport.age_min <= age),
                or_(CapacityReport.age_max.is_(None), CapacityReport.age_max >= age))


def admitted_categories(organisation_id: int) -> list[Category]:
    """The categories the organisation has a live admission for, in their usual order."""
    return list(db.session.scalars(
        select(Category).join(Admission, Admission.category_id == Category.id)
        .where(Admission.organisation_id == organisation_id,
               Admission.status.in_(LIVE_ADMISSION))
        .order_by(Category.position)).unique())


@dataclass
class CapacityInput:
    category_id: int | None
    location: str | None
    places: int | None
    available_from: date | None
    age_min: int | None = None
    age_max: int | None = None
    remarks: str | None = None


def errors_on(errors, *names) -> bool:
    return any(name in names for name, _message in errors)


def _check(data: CapacityInput, admitted: list[Category], today: date) -> list[tuple[str, str]]:
    errors: list[tuple[str, str]] = []
    if data.category_id is None:
        errors.append(("category", _("Kies de categorie waarvoor u plaatsen opgeeft.")))
    elif data.category_id not in {c.id for c in admitted}:
        errors.append(("category", _("Uw organisatie is niet toegelaten voor deze categorie. U kunt "
                                     "alleen plaatsen opgeven voor categorieën waarvoor u bent "
                                     "toegelaten.")))
    location = normalise_location(data.location)
    if not location:
        errors.append(("location", _("Vul de locatie in, bijvoorbeeld de plaats of de wijk.")))
    elif len(location) > LOCATION_MAX:
        errors.append(("location", _("Gebruik maximaal %(max)s tekens.", max=LOCATION_MAX)))
    if data.places is None:
        errors.append(("places", _("Vul het aantal beschikbare plaatsen in. Vul 0 in als u geen "
                                   "plaatsen heeft.")))
    elif data.places < 0:
        errors.append(("places", _("Het aantal plaatsen kan niet negatief zijn. Vul 0 in als u "
                                   "geen plaatsen heeft.")))
    elif data.places > PLACES_MAX:
        errors.append(("places", _("Vul een aantal van hoogstens %(max)s in.", max=PLACES_MAX)))
    if data.available_from is None:
        errors.append(("available_from", _("Vul de datum in vanaf wanneer de plaatsen beschikbaar "
                                           "zijn.")))
    elif data.available_from < today:
        errors.append(("available_from", _("Deze datum ligt in het verleden. Vul de datum van "
                                           "vandaag in als de plaatsen nu al beschikbaar zijn.")))
    for name, value in (("age_min", data.age_min), ("age_max", data.age_max)):
        if value is not None and not AGE_LOWEST <= value <= AGE_HIGHEST:
            errors.append((name, _("Vul een leeftijd van %(lowest)s tot en met %(highest)s "
                                   "jaar in.", lowest=AGE_LOWEST, highest=AGE_HIGHEST)))
    if not errors_on(errors, "age_min", "age_max") and data.age_min is not None \
            and data.age_max is not None and data.age_min > data.age_max:
        errors.append(("age_max", _("De leeftijd tot en met (%(max)s) is lager dan de "
                                    "leeftijd vanaf (%(min)s). Vul een leeftijd van "
                                    "%(min)s of hoger in.", max=data.age_max, min=data.age_min)))
    if data.remarks and len(data.remarks.strip()) > REMARKS_MAX:
        errors.append(("remarks", _("Gebruik maximaal %(max)s tekens.", max=REMARKS_MAX)))
    return errors


def report_capacity(organisation: Organisation, data: CapacityInput, *, by: User,
                    today: date | None = None) -> CapacityReport:
    """Beschikbare plaatsen opgeven: a new current report for one category and location."""
    if not (by.is_provider and by.organisation_id == organisation.id):
        raise NotPermitted(_("U kunt alleen beschikbare plaatsen van uw eigen organisatie opgeven."))
    today = today or today_local()
    admitted = admitted_categories(organisation.id)
    errors = _check(data, admitted, today)
    if errors:
        raise ValidationFailed(errors)
    category = next(c for c in admitted if c.id == data.category_id)
    location = normalise_location(data.location)
    # Keep the spelling of the location the partner used before, so that one location keeps
    # one name in lists (the match itself ignores case).
    earlier = db.session.scalar(
        select(CapacityReport.location).where(
            CapacityReport.organisation_id == organisation.id,
            CapacityReport.category_id == category.id,
            func.lower(CapacityReport.location) == func.lower(location))
        .order_by(CapacityReport.id.desc()).limit(1))
    # The new report replaces the current one: it stays as history.
    db.session.execute(
        update(CapacityReport)
        .where(CapacityReport.organisation_id == organisation.id,
               CapacityReport.category_id == category.id,
               func.lower(CapacityReport.location) == func.lower(location),
               CapacityReport.is_current)
        .values(is_current=False)
        .execution_options(synchronize_session="fetch"))
    report = CapacityReport(
        organisation_id=organisation.id, category_id=category.id,
        location=earlier or location,
        places=data.places, available_from=data.available_from, age_min=data.age_min,
        age_max=data.age_max, remarks=(data.remarks or "").strip() or None,
        reported_by_id=by.id, is_current=True,
    )
    db.session.add(report)
    try:
        db.session.flush()
    except IntegrityError as exc:
        # Another report for this location was saved at the same moment (the unique index
        # keeps one current report per location).
        raise DomainError(_("Er is zojuist tegelijk een andere opgave voor deze categorie en "
                            "locatie opgeslagen. Bekijk de actuele opgave en geef zo nodig "
                            "opnieuw uw beschikbare plaatsen op.")) from exc
    ages = (f"{'' if data.age_min is None else data.age_min}-"
            f"{'' if data.age_max is None else data.age_max}")
    audit.record("capacity_reported", report, actor=by,
                 detail=f"{category.code}, {report.location}: {report.places} plaatsen vanaf "
                        f"{report.available_from.isoformat()}, leeftijd {ages}")
    return report


def remind_stale(today: date | None = None) -> int:
    """Mail the partner (contact address and beheerders) once about each current report that
    has become stale. Each reminder commits with its mail: a run that is interrupted, or a
    second run the same day, sends nothing twice. Returns the number of reports reminded."""
    from .workflow import partner_recipients

    today = today or today_local()
    due_ids = list(db.session.scalars(
        select(CapacityReport.id).where(
            is_current(), live_admission(),
            CapacityReport.reported_at < stale_before(today),
            CapacityReport.reminder_sent_at.is_(None))
        .order_by(CapacityReport.id)))
    reminded = 0
    for report_id in due_ids:
        # Claim the report first: of two runs at the same time, only one claims it.
        claimed = db.session.execute(
            update(CapacityReport)
            .where(CapacityReport.id == report_id, CapacityReport.reminder_sent_at.is_(None))
            .values(reminder_sent_at=utcnow())
            .execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            db.session.rollback()
            continue
        report = db.session.get(CapacityReport, report_id, populate_existing=True)
        organisation = db.session.get(Organisation, report.organisation_id)
        for recipient in partner_recipients(organisation):
            notifications.queue(
                "capacity_stale", recipient,
                subject=f"Werk uw beschikbare plaatsen bij: {report.category.name}, "
                        f"{report.location}",
                organisation=organisation, report=report, stale_days=STALE_DAYS,
            )
        audit.record("capacity_reminder_sent", report,
                     detail=f"opgave van {report.reported_at:%Y-%m-%d} verouderd")
        db.session.commit()
        reminded += 1
    return reminded

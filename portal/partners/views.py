"""Public pages of the admitted partners: the register (register van toegelaten aanbieders),
each partner's page, and the register as open data (CSV and Open Contracting JSON)."""
from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, time

from flask import Blueprint, Response, abort, current_app, render_template, request, stream_with_context
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..accounts.models import Organisation
from ..accounts.search import place_key, register_search
from ..auth import has_role
from ..extensions import db, limiter
from ..pagecache import public_page
from ..pagination import COUNT_CAP, FILTERED_COUNT_CAP, paginate
from ..procedure.models import Category
from ..procedure.term import term_has_ended
from ..procedure.views import _procedure_or_404
from ..reports.models import LIVE_CATEGORY, ReportCount
from ..textsearch import few, unindexed
from ..timeutil import AMSTERDAM, today_local, utcnow
from ..urls import portal_url
from . import capacity, snapshot
from .models import LIVE_ADMISSION, Admission, AdmissionStatus, CapacityReport

bp = Blueprint("partners", __name__)

# The municipalities of the region, each with its places (woonplaatsen): an organisation is
# in a municipality when its city is one of them. (Rijswijk in Altena is left out: the name
# is far more often the city in Zuid-Holland.)
MUNICIPALITIES: dict[str, tuple[str, ...]] = {
    "Altena": ("Altena", "Almkerk", "Andel", "Babyloniënbroek", "Dussen", "Eethen", "Genderen",
               "Giessen", "Hank", "Meeuwen", "Nieuwendijk", "Sleeuwijk", "Uitwijk", "Uppel",
               "Veen", "Waardhuizen", "Werkendam", "Wijk en Aalburg", "Woudrichem"),
    "Breda": ("Breda", "Bavel", "Prinsenbeek", "Teteringen", "Ulvenhout"),
    "Drimmelen": ("Drimmelen", "Hooge Zwaluwe", "Lage Zwaluwe", "Made", "Terheijden",
                  "Wagenberg"),
    "Geertruidenberg": ("Geertruidenberg", "Raamsdonk", "Raamsdonksveer"),
    "Oosterhout": ("Oosterhout", "Den Hout", "Dorst", "Oosteind"),
}
EXPORT_BATCH = 1000
OCDS_VERSION = "1.1"
# The region's OCDS prefix: replace it with the prefix registered for the region at the Open
# Contracting Partnership (https://standard.open-contracting.org/latest/en/guidance/publish/).
OCID_PREFIX = "ocds-wbojgd"
KVK_SCHEME = "NL-KVK"


class RegisterFilter:
    """The register's filters from the query string: category, municipality, search term."""

    def __init__(self, args, categories):
        self.categories = categories
        self.category = next((c for c in categories if c.code == args.get("categorie")), None)
        municipality = args.get("gemeente")
        self.municipality = municipality if municipality in MUNICIPALITIES else None
        self.term = (args.get("zoek") or "").strip()[:100]

    @property
    def narrowed(self) -> bool:
        return bool(self.category or self.municipality or self.term)

    @property
    def args(self) -> dict:
        return {"categorie": self.category.code if self.category else None,
                "gemeente": self.municipality, "zoek": self.term or None}

    def organisations(self, query, *, walk: bool = False):
        """Narrow a query over Organisation by the search term and the municipality. A few
        matches are read by their ids; many are read through their index for a count, and
        with ``walk`` (a page in name order) checked row by row along the name's index."""
        if self.term:
            query = register_search(query, self.term, walk=walk)
        if self.municipality:
            places = [p.lower() for p in MUNICIPALITIES[self.municipality]]
            place = place_key(Organisation.city)
            ids = few(select(Organisation.id).where(place.in_(places)))
            if ids is not None:
                query = query.where(Organisation.id.in_(ids))
            else:
                query = query.where((unindexed(place) if walk else place).in_(places))
        return query

    def admissions(self, query):
        """Narrow a query over Admission to live admissions in the chosen categories."""
        query = query.where(Admission.status.in_(LIVE_ADMISSION),
                            Admission.category_id.in_([c.id for c in self.categories]))
        if self.category is not None:
            query = query.where(Admission.category_id == self.category.id)
        return query


def _categories(procedure):
    return db.session.scalars(
        select(Category).where(Category.procedure_id == procedure.id).order_by(Category.position)
    ).all()


def _register_version() -> str:
    """What the public register shows changes with the register's version, and with the
    day (admissions that end or start)."""
    return f"{snapshot.current_version()}-{today_local().isoformat()}"


@bp.route("/register")
@public_page(_register_version)
def register():
    """Register van toegelaten aanbieders: organisations with their live admissions, per
    category or all, searchable, per municipality, alphabetical and paginated."""
    procedure = _procedure_or_404()
    categories = _categories(procedure)
    filters = RegisterFilter(request.args, categories)
    live = filters.admissions(select(Admission.id).where(Admission.organisation_id == Organisation.id))
    base = select(Organisation.id).where(live.exists())
    # Rows of the columns shown, not ORM objects: 50 organisations and their admissions
    # are only read here, and building objects for them was a fifth of the page's time.
    page = paginate(
        filters.organisations(base, walk=True).order_by(Organisation.name, Organisation.id),
        lambda page_ids: db.session.execute(
            select(Organisation.id, Organisation.name, Organisation.city,
                   Organisation.kvk_number, Organisation.agb_code)
            .where(Organisation.id.in_(page_ids))).all(),
        per_page=50,
        count_query=filters.organisations(base),
        cap=FILTERED_COUNT_CAP if filters.narrowed else COUNT_CAP,
    )
    admissions = {}
    if page.items:
        for admission in db.session.execute(
            select(Admission.organisation_id, Category.name.label("category_name"),
                   Admission.admitted_at, Admission.status, Admission.ended_on)
            .join(Category, Category.id == Admission.category_id)
            .where(Admission.organisation_id.in_([o.id for o in page.items]),
                   Admission.status.in_(LIVE_ADMISSION))
            .order_by(Admission.admitted_at, Admission.id)
        ):
            admissions.setdefault(admission.organisation_id, []).append(admission)
    # Live admissions per category: the counts the database keeps (report_counts, kept by
    # triggers), exact and the same cost at every size.
    kept = db.session.execute(
        select(ReportCount.key1, func.sum(ReportCount.n))
        .where(ReportCount.figure == LIVE_CATEGORY,
               ReportCount.key1.in_([str(c.id) for c in categories]))
        .group_by(ReportCount.key1)).all() if categories else []
    counts = {int(key): int(n) for key, n in kept}
    return render_template("partners/register.html", procedure=procedure, categories=categories,
                           counts={c.id: counts.get(c.id, 0) for c in categories},
                           selected=filters.category, term=filters.term,
                           municipality=filters.municipality, municipalities=list(MUNICIPALITIES),
                           filters=filters.args, page=page, admissions=admissions,
                           Status=AdmissionStatus)


def _safe_website(url: str | None) -> str | None:
    """A link target for the organisation's website: http(s) only."""
    url = (url or "").strip()
    if not url or any(c.isspace() for c in url):
        return None
    if url.lower().startswith(("http://", "https://")):
        return url
    if ":" in url.split("/")[0]:
        return None  # another scheme (javascript:, data:, ...)
    return "https://" + url


@bp.route("/register/<int:organisation_id>")
def partner(organisation_id):
    """A partner's public page: its categories, admission dates and states, contact
    details; for the region's staff and referrers also its current free places."""
    procedure = _procedure_or_404()
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    admissions = db.session.scalars(
        select(Admission).where(Admission.organisation_id == organisation.id,
                                Admission.status.in_(LIVE_ADMISSION))
        .options(joinedload(Admission.category), selectinload(Admission.suspensions))
        .order_by(Admission.admitted_at)).all()
    admissions = [a for a in admissions if a.category.procedure_id == procedure.id]
    if not admissions:
        abort(404)  # not (or no longer) in the register
    today = today_local()
    suspensions = {a.id: next((s for s in reversed(a.suspensions)
                               if s.reinstated_at is None and s.starts_on <= today), None)
                   for a in admissions}
    reports = None
    if has_role(current_user, "capacity_viewer"):
        reports = db.session.scalars(
            capacity.current_reports_query()
            .where(CapacityReport.organisation_id == organisation.id)
            .join(Category, Category.id == CapacityReport.category_id)
            .options(joinedload(CapacityReport.category))
            .order_by(Category.position, CapacityReport.location, CapacityReport.id)
            .limit(200)).all()
    return render_template("partners/partner.html", procedure=procedure, org=organisation,
                           admissions=admissions, suspensions=suspensions, reports=reports,
                           website=_safe_website(organisation.website), Status=AdmissionStatus,
                           stale_before=capacity.stale_before(today),
                           stale_days=capacity.STALE_DAYS)


# --- open data ------------------------------------------------------------------------------

def _export_rows(filters: RegisterFilter):
    """The live admissions of the register (with the filters), one row each, streamed from
    the database in batches."""
    query = (
        select(Organisation.id, Organisation.name, Organisation.kvk_number,
               Organisation.agb_code, Organisation.street, Organisation.postal_code, Organisation.city,
               Organisation.contact_email, Organisation.website,
               Category.code.label("category_code"), Category.name.label("category_name"),
               Admission.status, Admission.admitted_at)
        .join(Admission, Admission.organisation_id == Organisation.id)
        .join(Category, Category.id == Admission.category_id)
    )
    query = filters.organisations(filters.admissions(query))
    query = query.order_by(Organisation.name, Organisation.id, Category.position)
    return db.session.execute(query.execution_options(yield_per=EXPORT_BATCH))


def _csv_cell(value) -> str:
    """A cell that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


CSV_FILENAME = "register-toegelaten-aanbieders.csv"
JSON_FILENAME = "register-toegelaten-aanbieders.json"
CSV_COLUMNS = ["organisatie", "kvk_nummer", "agb_code", "adres", "postcode", "plaats", "e_mail", "website",
               "categorie", "categorie_code", "status", "toegelaten_op"]


def _export_limit() -> str:
    return current_app.config["EXPORT_RATE_LIMIT"]


@bp.route("/register/export.csv")
@limiter.shared_limit(_export_limit, scope="register-export")
def export_csv():
    """The register as CSV, one row per live admission: UTF-8 with a BOM and semicolons, as
    the portal's other exports, so that a Dutch spreadsheet opens it as it is."""
    procedure = _procedure_or_404()
    filters = RegisterFilter(request.args, _categories(procedure))

    def generate():  # run once per version of the register (see snapshot)
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")

        def flush():
            data = buffer.getvalue()
            buffer.seek(0)
            buffer.truncate(0)
            return data

        writer.writerow(CSV_COLUMNS)
        yield "\ufeff" + flush()  # the BOM: a spreadsheet reads the file as UTF-8
        for n, row in enumerate(_export_rows(filters), start=1):
            writer.writerow([_csv_cell(v) for v in (
                row.name, row.kvk_number, row.agb_code, row.street, row.postal_code, row.city,
                row.contact_email, row.website, row.category_name, row.category_code,
                row.status.label, row.admitted_at.date().isoformat())])
            if n % 500 == 0:
                yield flush()
        yield flush()

    return snapshot.serve(
        kind="csv", filters=filters.args, today=today_local(), body=generate,
        stream=lambda chunks: _download(chunks, "text/csv; charset=utf-8", CSV_FILENAME),
        mimetype="text/csv; charset=utf-8", filename=CSV_FILENAME)


def _download(body, mimetype, filename):
    return Response(stream_with_context(body), mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    })


def _iso_timestamp(value: datetime) -> str:
    """A stored (naive UTC) timestamp as ISO 8601 with its offset."""
    return value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def _iso_day(value: date, *, end: bool = False) -> str:
    """A calendar day as ISO 8601 date-time in the Netherlands: its start, or its last
    second for the end of a period."""
    moment = time(23, 59, 59) if end else time()
    return datetime.combine(value, moment, AMSTERDAM).isoformat()


def _party_id(kvk_number: str) -> str:
    return f"{KVK_SCHEME}-{kvk_number}"


def _supplier(org_rows) -> dict:
    first = org_rows[0]
    party = {
        "id": _party_id(first.kvk_number),
        "name": first.name,
        "identifier": {"scheme": KVK_SCHEME, "id": first.kvk_number, "legalName": first.name},
        "address": {"streetAddress": first.street, "postalCode": first.postal_code,
                    "locality": first.city, "countryName": "Nederland"},
        "contactPoint": {"email": first.contact_email},
        "roles": ["supplier"],
        # The AGB code (Vektis) the provider gave: the register page shows it too.
        "additionalIdentifiers": ([{"scheme": "NL-AGB", "id": first.agb_code}]
                                  if first.agb_code else []),
        "details": {"admissions": [
            {"category": r.category_code, "status": r.status.value,
             "admittedDate": _iso_timestamp(r.admitted_at)} for r in org_rows]},
    }
    website = _safe_website(first.website)
    if website:
        party["contactPoint"]["url"] = website
    return party


def _grouped_by_organisation(rows):
    """Consecutive rows of one organisation, as lists (rows come ordered by organisation)."""
    group, current = [], None
    for row in rows:
        if group and row.id != current:
            yield group
            group = []
        current = row.id
        group.append(row)
    if group:
        yield group


@bp.route("/register/export.json")
@limiter.shared_limit(_export_limit, scope="register-export")
def export_ocds():
    """The register as an Open Contracting Data Standard release package: the buyer and every
    admitted supplier as parties (identified by KvK number), one award per category with
    its suppliers. Built once per version of the register (see snapshot), in one pass over
    the live admissions, written as it is read."""
    procedure = _procedure_or_404()
    categories = _categories(procedure)
    filters = RegisterFilter(request.args, categories)

    def generate():
        yield from _ocds_package(procedure, categories, filters)

    return snapshot.serve(
        kind="json", filters=filters.args, today=today_local(), body=generate,
        stream=lambda chunks: _download(chunks, "application/json", JSON_FILENAME),
        mimetype="application/json", filename=JSON_FILENAME)


def _ocds_package(procedure, categories, filters):
    """The release package's text, in pieces: the parties while the rows are read, the
    awards (their suppliers gathered on the way, a few bytes each) at the end."""
    region = procedure.region
    now = utcnow()
    ocid = f"{OCID_PREFIX}-{procedure.slug}"
    buyer = {"id": region.code, "name": region.name}
    contract_period = {"startDate": _iso_day(procedure.term_start),
                       "endDate": _iso_day(procedure.current_end, end=True),
                       "maxExtentDate": _iso_day(procedure.latest_possible_end, end=True)}
    package = {
        "uri": portal_url("partners.export_ocds"),
        "version": OCDS_VERSION,
        "publishedDate": _iso_timestamp(now),
        "publisher": {"name": region.name, "uri": portal_url("procedure.home")},
    }
    release = {
        "ocid": ocid,
        "id": f"{ocid}-register-{now:%Y%m%dT%H%M%SZ}",
        "date": _iso_timestamp(now),
        "tag": ["award"],
        "initiationType": "tender",
        "language": "nl",
        "buyer": buyer,
        "tender": {
            "id": procedure.slug,
            "title": procedure.name,
            # Complete once the term has ended, as when applying is closed.
            "status": ("active" if procedure.is_open and not term_has_ended(procedure)
                       else "complete"),
            "procurementMethod": "open",
            "procurementMethodDetails": "Open house: toelating van iedere aanbieder die aan de "
                                        "minimumeisen voldoet",
            "contractPeriod": contract_period,
        },
    }

    def dump(value) -> str:
        return json.dumps(value, ensure_ascii=False)

    # The package and the release without their closing braces; lists follow.
    yield dump(package)[:-1] + ', "releases": [' + dump(release)[:-1]
    yield ', "parties": [' + dump({**buyer, "roles": ["buyer"]})
    suppliers: dict[str, list[str]] = {}  # category code -> its suppliers, as JSON
    for org_rows in _grouped_by_organisation(_export_rows(filters)):
        yield ", " + dump(_supplier(org_rows))
        first = org_rows[0]
        reference = dump({"id": _party_id(first.kvk_number), "name": first.name})
        for code in dict.fromkeys(r.category_code for r in org_rows):
            suppliers.setdefault(code, []).append(reference)
    yield '], "awards": ['
    # An award per category that has suppliers (with the filters).
    chosen = [c for c in categories if c.code in suppliers]
    for n, category in enumerate(chosen):
        award = {"id": f"{procedure.slug}-{category.code}", "title": category.name,
                 "status": "active", "contractPeriod": contract_period,
                 "items": [{"id": category.code, "description": category.name}]}
        yield ((", " if n else "") + dump(award)[:-1] + ', "suppliers": ['
               + ", ".join(suppliers[category.code]) + "]}")
    yield "]}]}"

"""Management report (rapportage): the figures of the administrators' dashboard.

Every figure but one reads counts that the database keeps (``counts.py``, table
``report_counts``, kept by triggers on every change of an application, link, decision or
admission), so the cost of the dashboard does not depend on how many applications there
are: no figure reads the applications, decisions or admissions themselves. The overdue
figure depends on today and stays a query, over the open applications only (an index).
The lead time is computed in Python from a histogram (number of decided applications per
month and whole number of days), a few rows per day of the term.

Conventions:
- months and lead times are counted on the stored UTC timestamps;
- a decision counts in the month its latest approved round was approved: a herstelbesluit
  replaces the decision it corrects (and moves it to the month of the herstelbesluit);
- the lead time is the number of calendar days from submission to decision;
- percentiles interpolate linearly between ranks (as Excel's PERCENTIL.INC).

The rows of each figure are also kept for REPORT_CACHE_SECONDS (default five minutes, see
``_rows``); the dashboard says when its figures were computed and an administrator can
have them computed again at once ("Nu bijwerken").
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from math import ceil, floor, log10

from flask import current_app, g
from sqlalchemy import func, select

from ..applications.models import OPEN_STATES, Application, Status
from ..assessment.models import Outcome
from ..errors import ValidationFailed
from ..extensions import cache, db
from ..i18n import gettext as _
from ..partners.models import LIVE_ADMISSION, AdmissionStatus
from ..procedure.models import Category
from ..spreadsheet import Spreadsheet
from . import counts
from .models import ReportCount

# While the provider is asked to complete the application the decision clock stands still
# (the deadline moves when it runs again): such an application is never overdue.
OVERDUE_STATES = tuple(s for s in OPEN_STATES if s is not Status.AANVULLING_GEVRAAGD)
LIVE_STATES = tuple(AdmissionStatus[name] for name in LIVE_ADMISSION)
MAX_PERIOD_MONTHS = 120

STATUS_LABELS = {
    Status.CONCEPT: "Concept",
    Status.INGEDIEND: "Ingediend",
    Status.IN_BEHANDELING: "In behandeling",
    Status.AANVULLING_GEVRAAGD: "Aanvulling gevraagd",
    Status.BESLUIT_VOORGESTELD: "Besluit voorgesteld",
    Status.BESLOTEN: "Besloten",
    Status.INGETROKKEN: "Ingetrokken",
}
ADMISSION_LABELS = {
    AdmissionStatus.TOEGELATEN: "Toegelaten",
    AdmissionStatus.ACTIEF: "Actief",
    AdmissionStatus.GESCHORST: "Geschorst",
}
MONTH_NAMES = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
               "september", "oktober", "november", "december")
MONTH_SHORT = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")


# --- the period filter -----------------------------------------------------------------------

def _add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    """Every month from ``first`` to ``last`` (both the first day of a month), inclusive."""
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    return [_add_months(first, i) for i in range(max(0, count))]


def month_label(month: date) -> str:
    return f"{MONTH_NAMES[month.month - 1]} {month.year}"


def month_key(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


_MONTH_RE = (re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})$"), re.compile(r"^(?P<m>\d{1,2})-(?P<y>\d{4})$"))


def parse_month(value: str) -> date | None:
    """``2027-03`` (what a month field sends) or ``03-2027`` (what people type)."""
    value = value.strip().replace("/", "-")
    for pattern in _MONTH_RE:
        match = pattern.match(value)
        if match:
            year, month = int(match["y"]), int(match["m"])
            if 2000 <= year <= 2100 and 1 <= month <= 12:
                return date(year, month, 1)
    return None


@dataclass(frozen=True)
class Period:
    """A range of whole months; either end may be open."""

    first: date | None = None  # first day of the first month
    last: date | None = None  # first day of the last month

    @property
    def is_set(self) -> bool:
        return self.first is not None or self.last is not None

    @property
    def start(self) -> datetime | None:
        return datetime(self.first.year, self.first.month, 1) if self.first else None

    @property
    def end(self) -> datetime | None:
        """Exclusive: the first moment after the last month."""
        if self.last is None:
            return None
        after = _add_months(self.last, 1)
        return datetime(after.year, after.month, 1)

    def params(self) -> dict[str, str]:
        """The query-string form (for links to exports of the same period)."""
        out = {}
        if self.first:
            out["van"] = month_key(self.first)
        if self.last:
            out["tot"] = month_key(self.last)
        return out

    def describe(self) -> str:
        if self.first and self.last:
            return f"{month_label(self.first)} tot en met {month_label(self.last)}"
        if self.first:
            return f"vanaf {month_label(self.first)}"
        if self.last:
            return f"tot en met {month_label(self.last)}"
        return "de hele looptijd"

    def slug(self) -> str:
        return "-".join(filter(None, (self.first and month_key(self.first),
                                      self.last and "tm-" + month_key(self.last))))

    @classmethod
    def parse(cls, first: str | None, last: str | None) -> Period:
        """The period of the query string ``van``/``tot``; raises ValidationFailed."""
        errors = []
        parsed = {}
        for name, value in (("van", first), ("tot", last)):
            value = (value or "").strip()
            if not value:
                parsed[name] = None
                continue
            parsed[name] = parse_month(value)
            if parsed[name] is None:
                errors.append((name, _("Vul een maand in als jjjj-mm, bijvoorbeeld 2027-03.")))
        period = cls(parsed.get("van"), parsed.get("tot"))
        if not errors and period.first and period.last:
            if period.last < period.first:
                errors.append(("tot", _("Deze maand ligt vóór de maand bij ‘Van (maand)’.")))
            elif len(months_between(period.first, period.last)) > MAX_PERIOD_MONTHS:
                errors.append(("tot", _("Kies een periode van hoogstens 10 jaar.")))
        if errors:
            raise ValidationFailed(errors)
        return period


def _in_period(period: Period) -> list:
    """Conditions on the month (key1, 'YYYY-MM', which sorts as text) of a counted figure."""
    conditions = []
    if period.first is not None:
        conditions.append(ReportCount.key1 >= month_key(period.first))
    if period.last is not None:
        conditions.append(ReportCount.key1 <= month_key(period.last))
    return conditions


# --- the figures -------------------------------------------------------------------------------

# --- the figures' rows, kept for a while -----------------------------------------------------

def _generation() -> int:
    return cache.get("report:generation") or 0


def refresh() -> None:
    """Compute every figure again on its next use (the 'Nu bijwerken' button)."""
    cache.set("report:generation", _generation() + 1, timeout=0)


def _rows(key: str, statement) -> list[tuple]:
    """The rows of an aggregate ``statement``, kept REPORT_CACHE_SECONDS under ``key``
    (which must name everything the statement depends on). Records in ``g`` when the
    rows used by this request were computed."""
    from ..timeutil import utcnow

    seconds = current_app.config.get("REPORT_CACHE_SECONDS", 0)
    full_key = f"report:counts:{_generation()}:{key}"  # 'counts': rows of report_counts
    hit = cache.get(full_key) if seconds else None
    if hit is None:
        hit = (utcnow(), [tuple(row) for row in db.session.execute(statement).all()])
        if seconds:
            cache.set(full_key, hit, timeout=seconds)
    times = g.setdefault("report_computed_at", [])
    times.append(hit[0])
    return hit[1]


def computed_at():
    """When the oldest figure shown in this request was computed (UTC), or None."""
    times = g.get("report_computed_at") or []
    return min(times) if times else None


def categories() -> list[Category]:
    return list(db.session.scalars(
        select(Category).order_by(Category.procedure_id, Category.position, Category.id)))


def applications_per_state() -> dict[Status, int]:
    rows = _rows("states", counts.statement(counts.STATUS))
    per_state = {status: 0 for status in Status}
    per_state.update({Status[name]: n for name, _key2, n in rows})
    return per_state


@dataclass
class CategoryStates:
    category: Category
    counts: dict[Status, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def applications_per_category(cats: list[Category]) -> list[CategoryStates]:
    """Per category and state; an application for two categories counts in both (the
    count per link of an application and a category, by the application's state)."""
    rows = _rows("per-category", counts.statement(counts.CATEGORY_STATUS))
    table = {c.id: CategoryStates(c, {s: 0 for s in Status}) for c in cats}
    for category_id, status, n in rows:
        if int(category_id) in table:
            table[int(category_id)].counts[Status[status]] = n
    return list(table.values())


@dataclass(frozen=True)
class MonthDecisions:
    month: date
    admitted: int
    rejected: int

    @property
    def total(self) -> int:
        return self.admitted + self.rejected

    @property
    def label(self) -> str:
        return month_label(self.month)

    @property
    def key(self) -> str:
        return month_key(self.month)


def decisions_per_month(period: Period = Period()) -> list[MonthDecisions]:
    """Final category decisions (toegelaten / afgewezen) per month of approval. Only the
    latest approved round of each application and category counts. Months without decisions
    inside the shown range are listed with zeros."""
    rows = _rows(f"decisions:{period.slug()}",
                 counts.statement(counts.DECISIONS, *_in_period(period)))
    per_month: dict[date, dict[Outcome, int]] = {}
    for key, outcome, n in rows:
        per_month.setdefault(parse_month(key), {})[Outcome[outcome]] = n
    first = period.first or (min(per_month) if per_month else None)
    last = period.last or (max(per_month) if per_month else None)
    if first is None or last is None:
        return []
    if last < first:
        last = first
    return [MonthDecisions(m, per_month.get(m, {}).get(Outcome.TOEGELATEN, 0),
                           per_month.get(m, {}).get(Outcome.AFGEWEZEN, 0))
            for m in months_between(first, last)]


@dataclass(frozen=True)
class LeadTime:
    count: int
    median: Decimal | None
    p90: Decimal | None
    shortest: int | None
    longest: int | None


def _rank(histogram: list[tuple[int, int]], k: int) -> int:
    """The value at 0-based rank ``k`` of the sorted values the histogram counts."""
    seen = 0
    for value, n in histogram:
        seen += n
        if k < seen:
            return value
    raise IndexError(k)


def percentile(histogram: list[tuple[int, int]], p: Fraction) -> Fraction | None:
    """The p-th quantile (0 <= p <= 1) of a sorted histogram [(value, count)], interpolated
    linearly between ranks (Hyndman & Fan type 7: Excel PERCENTIEL.INC, numpy's default)."""
    n = sum(count for _days, count in histogram)
    if n == 0:
        return None
    position = (n - 1) * p
    low = floor(position)
    a = _rank(histogram, low)
    b = _rank(histogram, min(low + 1, n - 1))
    return a + (position - low) * (b - a)


def _one_decimal(value: Fraction | None) -> Decimal | None:
    if value is None:
        return None
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP)


P90_MIN_COUNT = 10  # decisions needed before the 90th percentile is shown


def lead_time(period: Period = Period()) -> LeadTime:
    """Median and 90th percentile of the days from submission to decision of the
    applications decided in the period."""
    rows = _rows(f"lead-time:{period.slug()}", select(ReportCount.key2, func.sum(ReportCount.n))
                 .where(ReportCount.figure == counts.LEAD, ReportCount.n != 0,
                        *_in_period(period))
                 .group_by(ReportCount.key2))
    histogram = sorted((int(days), int(n)) for days, n in rows if n)
    return lead_from_histogram(histogram)


def lead_from_histogram(histogram: list[tuple[int, int]]) -> LeadTime:
    """The lead-time figures of a histogram of (days, number of applications), by days."""
    count = sum(n for _days, n in histogram)
    return LeadTime(
        count=count,
        median=_one_decimal(percentile(histogram, Fraction(1, 2))),
        # A 90th percentile says something only over enough decisions (over one it is that one).
        p90=_one_decimal(percentile(histogram, Fraction(9, 10))) if count >= P90_MIN_COUNT else None,
        shortest=histogram[0][0] if histogram else None,
        longest=histogram[-1][0] if histogram else None,
    )


@dataclass(frozen=True)
class Overdue:
    today: date
    per_state: dict[Status, int]

    @property
    def total(self) -> int:
        return sum(self.per_state.values())


def overdue(today: date) -> Overdue:
    """Open applications whose decision date (beslistermijn) has passed, not counting
    those whose clock stands still (aanvulling gevraagd)."""
    rows = _rows(f"overdue:{today.isoformat()}", select(Application.status, func.count())
                 .where(Application.status.in_(OVERDUE_STATES), Application.decision_due < today)
                 .group_by(Application.status))
    per_state = {s: 0 for s in OVERDUE_STATES}
    per_state.update({s: n for s, n in rows})
    return Overdue(today, per_state)


@dataclass
class CategoryPartners:
    category: Category
    counts: dict[AdmissionStatus, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Partners:
    rows: list[CategoryPartners]
    organisations: int  # distinct organisations with at least one live admission

    @property
    def total(self) -> int:
        return sum(r.total for r in self.rows)

    @property
    def per_status(self) -> dict[AdmissionStatus, int]:
        return {s: sum(r.counts[s] for r in self.rows) for s in LIVE_STATES}


def partners_per_category(cats: list[Category]) -> Partners:
    """Live admissions (toegelaten, actief, geschorst) per category and state."""
    rows = _rows("partners", counts.statement(counts.LIVE_CATEGORY))
    table = {c.id: CategoryPartners(c, {s: 0 for s in LIVE_STATES}) for c in cats}
    for category_id, status, n in rows:
        if int(category_id) in table:
            table[int(category_id)].counts[AdmissionStatus[status]] = n
    organisations = _rows("partner-organisations", select(
        func.coalesce(func.sum(ReportCount.n), 0))
        .where(ReportCount.figure == counts.LIVE_ORGS))[0][0]
    return Partners(list(table.values()), int(organisations or 0))


# --- the whole report ------------------------------------------------------------------------

@dataclass
class Report:
    today: date
    period: Period
    states: dict[Status, int]
    per_category: list[CategoryStates]
    decisions: list[MonthDecisions]
    lead: LeadTime
    overdue: Overdue
    partners: Partners

    @property
    def applications(self) -> int:
        return sum(self.states.values())


def build(today: date, period: Period = Period()) -> Report:
    cats = categories()
    return Report(today=today, period=period, states=applications_per_state(),
                  per_category=applications_per_category(cats),
                  decisions=decisions_per_month(period), lead=lead_time(period),
                  overdue=overdue(today), partners=partners_per_category(cats))


# --- figures as tables (for CSV and Excel) -------------------------------------------------------

@dataclass
class Table:
    key: str
    title: str  # also the sheet name: at most 31 characters
    headers: list[str]
    rows: list[list]
    notes: list[str] = field(default_factory=list)


FIGURES = {
    "statussen": "Aanmeldingen per status",
    "categorieen": "Aanmeldingen per categorie",
    "besluiten": "Besluiten per maand",
    "doorlooptijd": "Doorlooptijd",
    "te-laat": "Te late aanmeldingen",
    "partners": "Aanbieders per categorie",
}


def table(key: str, today: date, period: Period = Period(), report: Report | None = None) -> Table:
    """One figure as a table; runs only that figure's queries unless ``report`` is given."""
    title = FIGURES[key]
    period_note = f"Periode: {period.describe()} (op datum van het besluit)."
    if key == "statussen":
        states = report.states if report else applications_per_state()
        rows = [[STATUS_LABELS[s], n] for s, n in states.items()]
        rows.append(["Totaal", sum(states.values())])
        return Table(key, title, ["Status", "Aantal aanmeldingen"], rows,
                     [f"Peildatum: {today:%d-%m-%Y}."])
    if key == "categorieen":
        per_category = report.per_category if report else applications_per_category(categories())
        rows = [[r.category.name, *(r.counts[s] for s in Status), r.total] for r in per_category]
        return Table(key, title, ["Categorie", *(STATUS_LABELS[s] for s in Status), "Totaal"], rows,
                     [f"Peildatum: {today:%d-%m-%Y}.",
                      "Een aanmelding voor meer categorieën telt bij elke categorie mee."])
    if key == "besluiten":
        decisions = report.decisions if report else decisions_per_month(period)
        rows = [[m.key, m.admitted, m.rejected, m.total] for m in decisions]
        return Table(key, title, ["Maand", "Toegelaten", "Afgewezen", "Totaal"], rows,
                     [period_note, "Besluiten per categorie, geteld in de maand van goedkeuring; "
                      "een herstelbesluit vervangt het besluit dat het herstelt."])
    if key == "doorlooptijd":
        lead = report.lead if report else lead_time(period)
        rows = [["Aantal besloten aanmeldingen", lead.count],
                ["Mediaan (dagen)", lead.median],
                ["90e percentiel (dagen)", lead.p90],
                ["Kortste (dagen)", lead.shortest],
                ["Langste (dagen)", lead.longest]]
        return Table(key, title, ["Cijfer", "Waarde"], rows,
                     [period_note, "Kalenderdagen van indienen tot besluit."])
    if key == "te-laat":
        late = report.overdue if report else overdue(today)
        rows = [[STATUS_LABELS[s], n] for s, n in late.per_state.items()]
        rows.append(["Totaal", late.total])
        return Table(key, title, ["Status", "Aantal met verstreken beslistermijn"], rows,
                     [f"Peildatum: {today:%d-%m-%Y}; open aanmeldingen met een uiterste "
                      "besluitdatum vóór de peildatum; niet meegeteld: aanmeldingen waarvan "
                      "de klok stilstaat (aanvulling gevraagd)."])
    if key == "partners":
        partners = report.partners if report else partners_per_category(categories())
        rows = [[r.category.name, *(r.counts[s] for s in LIVE_STATES), r.total]
                for r in partners.rows]
        rows.append(["Totaal", *partners.per_status.values(), partners.total])
        return Table(key, title,
                     ["Categorie", *(ADMISSION_LABELS[s] for s in LIVE_STATES), "Totaal"], rows,
                     [f"Peildatum: {today:%d-%m-%Y}.",
                      f"{partners.organisations} verschillende organisaties zijn toegelaten."])
    raise KeyError(key)


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(value).replace(".", ",")  # Dutch decimal comma, as Excel in Dutch reads it
    text = str(value)
    if isinstance(value, str) and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text  # never a formula in a spreadsheet
    return text


def to_csv(tab: Table) -> bytes:
    """Semicolon-separated UTF-8 with a byte order mark: what Excel in Dutch opens directly."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(tab.headers)
    for row in tab.rows:
        writer.writerow([_csv_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(tables: list[Table], *, period: Period, today: date) -> bytes:
    book = Spreadsheet(title="Rapportage Wonen met begeleiding")
    for tab in tables:
        book.table(tab.title, tab.headers, tab.rows, fit_columns=True, decimal_format="0.0")
    lines = [("Rapportage open house Wonen met begeleiding", True),
             f"Peildatum: {today:%d-%m-%Y}",
             f"Periode (besluiten en doorlooptijd): {period.describe()}"]
    for tab in tables:
        lines += ["", (tab.title, True), *tab.notes]
    book.notes("Toelichting", lines, width=100)
    return book.bytes()


# --- chart geometry (the SVG is drawn by templates/admin/reports/_charts.html) ----------------

@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    series: int
    label: str


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str


@dataclass
class Chart:
    id: str
    width: int
    height: int
    plot: tuple[float, float, float, float]  # left, top, right, bottom
    bars: list[Bar]
    labels: list[Text]  # category / month labels
    ticks: list[Text]  # value axis
    gridlines: list[float]  # positions along the value axis
    values: list[Text]  # the number at the end of each bar
    legend: list[tuple[int, str]]
    horizontal: bool = False


def _scale(maximum: int, ticks: int = 4) -> tuple[int, int]:
    """A round step and axis top for integer counts up to ``maximum``."""
    if maximum <= 0:
        return 1, 1
    raw = maximum / ticks
    magnitude = 10 ** floor(log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(1, int(step))
    return step, ceil(maximum / step) * step


CHART_WIDTH = 960  # drawn at the width of the page (viewBox), scaled on small screens


def column_chart(chart_id: str, months: list[MonthDecisions]) -> Chart:
    """Grouped vertical bars per month: toegelaten and afgewezen."""
    admitted, rejected = _("Toegelaten"), _("Afgewezen")
    series = [(admitted, [m.admitted for m in months]),
              (rejected, [m.rejected for m in months])]
    left, top, right, bottom = 48, 16, 16, 48
    plot_w = CHART_WIDTH - left - right
    plot_h = 220
    group = plot_w / max(1, len(months))
    gap = min(12.0, group * 0.25)
    bar_w = min(40.0, (group - gap) / len(series))
    step, axis_top = _scale(max((v for _name, vs in series for v in vs), default=0))
    unit = plot_h / axis_top
    base = top + plot_h
    show_values = bar_w >= 14
    # A month label needs about 56 units: every month, every quarter, or every January.
    every = 1 if group >= 56 else 3 if group * 3 >= 56 else 12
    bars, values, labels = [], [], []
    for i, row in enumerate(months):
        month = row.month
        centre = left + (i + 0.5) * group
        x0 = centre - bar_w * len(series) / 2
        for j, (name, vs) in enumerate(series):
            h = vs[i] * unit
            x = x0 + j * bar_w
            bars.append(Bar(round(x, 1), round(base - h, 1), round(bar_w - 1, 1), round(h, 1),
                            vs[i], j, f"{row.label}, {name.lower()}: {vs[i]}"))
            if show_values:
                values.append(Text(round(x + (bar_w - 1) / 2, 1), round(base - h - 4, 1),
                                   str(vs[i])))
        if (month.month - 1) % every == 0 or i == 0:
            label = MONTH_SHORT[month.month - 1]
            if i == 0 or month.month == 1 or every == 12:
                label += f" {month.year}"
            labels.append(Text(round(centre, 1), base + 18, label))
    ticks = [Text(left - 6, round(base - v * unit, 1), str(v)) for v in range(0, axis_top + 1, step)]
    return Chart(chart_id, CHART_WIDTH, top + plot_h + bottom,
                 (left, top, left + plot_w, base), bars, labels, ticks,
                 [t.y for t in ticks], values, [(0, admitted), (1, rejected)])


def bar_chart(chart_id: str, items: list[tuple[str, int]], *, legend: str) -> Chart:
    """Horizontal bars, one per category."""
    longest = max((len(name) for name, _value in items), default=10)
    left = min(320, longest * 8 + 16)
    top, right, bottom, row = 8, 56, 32, 36
    plot_w = CHART_WIDTH - left - right
    plot_h = max(1, len(items)) * row
    step, axis_top = _scale(max((v for _name, v in items), default=0))
    unit = plot_w / axis_top
    bars, values, labels = [], [], []
    for i, (name, value) in enumerate(items):
        y = top + i * row + 8
        w = value * unit
        middle = y + (row - 16) / 2 + 5
        bars.append(Bar(left, y, round(w, 1), row - 16, value, 0, f"{name}: {value}"))
        values.append(Text(round(left + w + 6, 1), middle, str(value)))
        fits = (left - 16) // 8
        labels.append(Text(left - 8, middle, name if len(name) <= fits else name[:fits - 1] + "…"))
    base = top + plot_h
    ticks = [Text(round(left + v * unit, 1), base + 20, str(v)) for v in range(0, axis_top + 1, step)]
    return Chart(chart_id, CHART_WIDTH, base + bottom,
                 (left, top, left + plot_w, base), bars, labels, ticks, [t.x for t in ticks],
                 values, [(0, legend)], horizontal=True)
